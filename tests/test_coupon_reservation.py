"""Reserve → redeem (issue 13): a choice holds its coupon with a redeem code, "취소할래",
another choice and the expiry job release it, and only the code at its shop redeems it.
Real database, a rolled-back transaction per test."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpers_coupons import give, make_coupon, make_shop, make_user
from naviyam.adapters.db.models import UserCouponWallet
from naviyam.domain import redeem_code
from naviyam.domain import coupon_rules as rules
from naviyam.usecases.coupons import redemption
from naviyam.usecases.coupons.reservation import current_reservations, reserve_in_session, _release
from naviyam.usecases.coupons.wallet import wallet_listing
from naviyam.usecases.selection import select_option

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture()
def now() -> datetime:
    return datetime.now(SEOUL).replace(microsecond=0)


@pytest.fixture()
def world(db_session, cache, now):
    user = make_user(db_session)
    shop, other_shop = make_shop(db_session), make_shop(db_session)
    coupon = make_coupon(db_session, now.date(), discount_amount=500, min_order_amount=3000)
    row = give(db_session, user, coupon, now)
    return user, shop, other_shop, coupon, row


def _option(shop, coupon=None, price=4500):
    return {"shop_id": shop.id, "menu_id": None, "menu_name": "떡볶이", "price": price,
            "final_price": price - 500 if coupon else price, "coupon_id": coupon.id if coupon else None}


def _redeem(session, code, shop, amount, now, key="k1"):
    return redemption.redeem_in_session(session, shop_id=shop.id, order_amount=amount,
                                        idempotency_key=key, now=now, reservation_code=code)


def test_codes_are_six_unambiguous_characters():
    codes = {redeem_code.new_code() for _ in range(500)}
    assert len(codes) > 490
    for code in codes:
        assert len(code) == 6 and not set(code) & set("0O1IL2Z5S8BUVG")
        assert redeem_code.normalise(f" {code[:3].lower()}-{code[3:]} ") == code
    assert redeem_code.normalise("ABC12") is None and redeem_code.normalise("A0CE47") is None


def test_choosing_an_option_with_a_coupon_reserves_it(db_session, world, now):
    user, shop, _, coupon, row = world
    result = select_option(db_session, user_id=user.id, option=_option(shop, coupon),
                           recommendation_log_id=None, now=now)
    held = result.reservation
    assert held is not None and held.coupon_id == coupon.id and held.shop_id == shop.id
    assert result.final_price == 4000 and result.price == 4500
    assert redeem_code.normalise(held.code) == held.code
    assert held.expires_at == (now + timedelta(minutes=60)).astimezone(held.expires_at.tzinfo)
    payload = held.to_payload()
    assert set(payload) == {"code", "expires_at", "coupon_id", "shop_id"}
    db_session.refresh(row)
    assert row.status == "RESERVED" and row.reservation_code == held.code
    listing = wallet_listing(db_session, user.id, now)
    [item] = listing.active
    assert item.status == "RESERVED" and item.reservation_code == held.code
    assert item.as_payload()["reservation_expires_at"].startswith(str(now.year))


def test_another_choice_moves_the_reservation_and_one_without_coupon_releases_it(db_session, world, now):
    user, shop, other_shop, coupon, row = world
    first = select_option(db_session, user_id=user.id, option=_option(shop, coupon),
                          recommendation_log_id=None, now=now).reservation
    second = select_option(db_session, user_id=user.id, option=_option(other_shop, coupon),
                           recommendation_log_id=None, now=now).reservation
    assert second.shop_id == other_shop.id and second.code != first.code
    assert [r.code for r in current_reservations(db_session, user.id, now)] == [second.code]
    # The first code no longer redeems anything, even at its own shop (the row carries the new one).
    assert _redeem(db_session, first.code, shop, 5000, now).reason == redemption.NOT_FOUND
    plain = select_option(db_session, user_id=user.id, option=_option(shop),
                          recommendation_log_id=None, now=now)
    assert plain.reservation is None
    db_session.refresh(row)
    assert row.status == "ACTIVE"


def test_a_coupon_that_no_longer_applies_is_not_reserved_and_the_price_is_honest(db_session, world, now):
    user, shop, _, coupon, row = world
    row.status, row.used_at = "EXPIRED", None
    db_session.flush()
    result = select_option(db_session, user_id=user.id, option=_option(shop, coupon),
                           recommendation_log_id=None, now=now)
    assert result.reservation is None and result.final_price == 4500


def test_redeeming_by_code_checks_shop_minimum_and_use(db_session, world, now):
    user, shop, other_shop, coupon, row = world
    held = reserve_in_session(db_session, user_id=user.id, coupon_id=coupon.id, shop_id=shop.id,
                              menu_id=None, price=4500, now=now)
    assert _redeem(db_session, "CCCCCC", shop, 5000, now).reason == redemption.NOT_FOUND
    assert _redeem(db_session, held.code, other_shop, 5000, now).reason == redemption.OTHER_SHOP
    assert _redeem(db_session, held.code, shop, 2000, now).reason == rules.MIN_ORDER
    # Without its code a reserved coupon is not redeemable (no redeeming it "for another choice").
    by_wallet = redemption.redeem_in_session(db_session, shop_id=shop.id, order_amount=5000,
                                             idempotency_key="w1", now=now, wallet_id=row.id)
    assert by_wallet.reason == redemption.RESERVED
    db_session.refresh(row)
    assert row.status == "RESERVED" and row.used_at is None
    done = _redeem(db_session, held.code, shop, 5000, now)
    assert done.status == redemption.REDEEMED and (done.discount, done.final_amount) == (500, 4500)
    assert _redeem(db_session, held.code, shop, 5000, now, key="k2").reason == redemption.ALREADY_USED
    assert _redeem(db_session, held.code, shop, 5000, now).status == redemption.REPLAYED
    db_session.refresh(row)
    assert row.status == "USED" and row.used_shop_id == shop.id


def test_expired_reservations_are_released_by_the_job(db_session, world, now):
    user, shop, _, coupon, row = world
    held = reserve_in_session(db_session, user_id=user.id, coupon_id=coupon.id, shop_id=shop.id,
                              menu_id=None, price=4500, now=now)
    later = now + timedelta(minutes=61)
    assert _redeem(db_session, held.code, shop, 5000, later).reason == redemption.RESERVATION_EXPIRED
    listing = wallet_listing(db_session, user.id, later)
    assert [i.status for i in listing.active] == ["ACTIVE"]
    # release_expired runs its own transaction; the same statement inside ours:
    assert _release(db_session, UserCouponWallet.reservation_expires_at <= later,
                    UserCouponWallet.user_id == user.id) == 1
    db_session.refresh(row)
    assert row.status == "ACTIVE" and row.reservation_code == held.code  # kept for "expired" answers
    again = _redeem(db_session, held.code, shop, 5000, later)
    assert again.reason == redemption.RESERVATION_EXPIRED
    status = db_session.scalar(select(UserCouponWallet.status).where(UserCouponWallet.id == row.id))
    assert status == "ACTIVE"
