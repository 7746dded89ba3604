"""Coupon wallet service against the real database (a rolled-back transaction per test)."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from helpers_coupons import give, make_card, make_coupon, make_shop, make_user
from naviyam.shared import cache_keys
from naviyam.usecases.coupons import issuance
from naviyam.usecases.coupons import wallet as service
from naviyam.adapters.db.models import Coupon, UserCouponWallet

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture()
def now() -> datetime:
    return datetime.now(SEOUL).replace(microsecond=0)


def test_best_coupon_for_picks_the_biggest_applicable_discount(db_session, cache, now):
    user, other = make_user(db_session), make_user(db_session)
    make_card(db_session, user)
    shop = make_shop(db_session, category="분식", foodcard="Y")
    today = now.date()
    small = make_coupon(db_session, today, discount_amount=500)
    rate = make_coupon(db_session, today, discount_rate=Decimal("0.20"), max_discount_amount=1500)
    wrong_shop = make_coupon(db_session, today, discount_amount=3000, usage_type="SHOP",
                             applicable_shop_ids=[shop.id + 1000])
    foodcard = make_coupon(db_session, today, discount_amount=1300, usage_type="FOODCARD")
    expired = make_coupon(db_session, today, discount_amount=4000)
    others = make_coupon(db_session, today, discount_amount=5000)
    give(db_session, user, small, now)
    give(db_session, user, rate, now)
    give(db_session, user, wrong_shop, now)
    best_row = give(db_session, user, foodcard, now)
    give(db_session, user, expired, now, days=-1, issued_at=now - timedelta(days=3))
    give(db_session, other, others, now)

    applied = service.best_coupon_for(db_session, user.id, shop, 6000, now)
    assert applied == service.AppliedCoupon(wallet_id=best_row.id, coupon_id=foodcard.id,
                                            name="테스트 쿠폰", discount=1300, final_price=4700)
    # 20% of 9000 = 1800, capped at 1500: the rate coupon wins at a higher price.
    assert service.best_coupon_for(db_session, user.id, shop, 9000, now).discount == 1500
    # A mapping works as the shop too (recommender candidates are dicts); at a shop that
    # does not take the card the FOODCARD coupon drops out and 20% of 6000 wins.
    as_dict = {"shop_id": shop.id, "category": "분식", "foodcard": "N"}
    assert service.best_coupon_for(db_session, user.id, as_dict, 6000, now).discount == 1200
    assert service.best_coupon_for(db_session, make_user(db_session).id, shop, 6000, now) is None


def test_used_coupon_counts_against_the_per_user_limit(db_session, cache, now):
    user = make_user(db_session)
    shop = make_shop(db_session)
    coupon = make_coupon(db_session, now.date(), discount_amount=1000, max_use_per_user=1)
    give(db_session, user, coupon, now, status="USED", used_at=now, discount_applied=1000)
    give(db_session, user, coupon, now)  # a second copy of the same coupon
    assert service.best_coupon_for(db_session, user.id, shop, 6000, now) is None


def test_wallet_listing_splits_active_used_expired(db_session, cache, now):
    user = make_user(db_session)
    today = now.date()
    active = give(db_session, user, make_coupon(db_session, today, coupon_name="활성"), now, days=3)
    soon = give(db_session, user, make_coupon(db_session, today, coupon_name="곧 만료"), now, days=0.5)
    used = give(db_session, user, make_coupon(db_session, today, coupon_name="사용"), now,
                status="USED", used_at=now - timedelta(hours=2), discount_applied=1000)
    overdue = give(db_session, user, make_coupon(db_session, today, coupon_name="기한 지남"), now,
                   days=-0.1, issued_at=now - timedelta(days=2))
    ended = give(db_session, user, make_coupon(db_session, today, coupon_name="기간 끝",
                                               valid_until=today - timedelta(days=1)), now)
    give(db_session, user, make_coupon(db_session, today), now, status="CANCELLED")

    listing = service.wallet_listing(db_session, user.id, now)
    assert [i.wallet_id for i in listing.active] == [soon.id, active.id]
    assert [i.wallet_id for i in listing.used] == [used.id]
    assert {i.wallet_id for i in listing.expired} == {overdue.id, ended.id}
    assert all(i.status == "EXPIRED" for i in listing.expired)
    payload = listing.active[0].as_payload()
    assert payload["benefit"] == "1,000원 할인" and payload["status"] == "ACTIVE"
    assert "T" in payload["expires_at"]

    # Listing did not write; expire_overdue does, for rows past expires_at only.
    assert db_session.get(UserCouponWallet, overdue.id).status == "ACTIVE"
    assert service.expire_overdue(db_session, now, user_id=user.id) == 1
    db_session.expire_all()
    assert db_session.get(UserCouponWallet, overdue.id).status == "EXPIRED"


def test_welcome_coupon_is_issued_once(db_session, cache, now):
    user = make_user(db_session)
    cache.set(cache_keys.profile_key(user.id), {"cached": True}, ttl=60)
    first = issuance.issue_welcome_coupon(db_session, user.id, now)
    assert first.issued and first.item.coupon_id == issuance.system_coupon_id(issuance.WELCOME)
    assert first.item.usage_type == "NEW_USER"
    assert cache.get(cache_keys.profile_key(user.id)) is None  # invalidated

    again = issuance.issue_welcome_coupon(db_session, user.id, now + timedelta(days=1))
    assert again.reason == issuance.ALREADY_ISSUED and again.item.wallet_id == first.item.wallet_id
    rows = db_session.scalar(select(func.count()).select_from(UserCouponWallet).where(
        UserCouponWallet.user_id == user.id, UserCouponWallet.acquisition_source == "WELCOME_BONUS"))
    assert rows == 1
    assert db_session.get(Coupon, issuance.system_coupon_id(issuance.WELCOME)).total_issued >= 1
    # A new user can use it on a 3,000원+ menu anywhere.
    applied = service.best_coupon_for(db_session, user.id, make_shop(db_session), 5000, now)
    assert applied is not None and applied.coupon_id == issuance.system_coupon_id(issuance.WELCOME)
    assert applied.final_price == 4000
    assert issuance.issue_welcome_coupon(db_session, 10**9, now).reason == issuance.NO_USER


def test_emergency_coupon_eligibility_and_cooldown(db_session, cache, now):
    user = make_user(db_session)
    card = make_card(db_session, user, balance=3000)

    first = issuance.issue_emergency_coupon(db_session, user.id, now)
    assert first.issued
    assert first.item.acquisition_source == "EMERGENCY_ASSIST"
    expires = first.item.expires_at
    assert abs((expires - now).total_seconds() - 24 * 3600) < 2
    # Usable right away at a meal-card shop, 2,000원 off.
    applied = service.best_coupon_for(db_session, user.id, make_shop(db_session, foodcard="Y"), 4500, now)
    assert applied is not None and applied.coupon_id == issuance.system_coupon_id(issuance.EMERGENCY)
    assert applied.final_price == 2500

    assert issuance.issue_emergency_coupon(db_session, user.id, now + timedelta(hours=1)).reason \
        == issuance.HAS_ACTIVE_EMERGENCY
    assert issuance.issue_emergency_coupon(db_session, user.id, now + timedelta(hours=25)).reason \
        == issuance.COOLDOWN
    assert issuance.issue_emergency_coupon(db_session, user.id, now + timedelta(days=8)).issued

    card.balance = 5000  # at the threshold is not low
    db_session.flush()
    assert issuance.emergency_eligibility(db_session, user.id, now + timedelta(days=20)) == issuance.BALANCE_OK
    card.balance, card.status = 100, "LOST"
    db_session.flush()
    assert issuance.emergency_eligibility(db_session, user.id, now + timedelta(days=20)) == issuance.NO_CARD
    assert issuance.issue_emergency_coupon(db_session, make_user(db_session).id, now).reason == issuance.NO_CARD


def test_switched_off_or_exhausted_system_coupon_is_not_issued(db_session, cache, now):
    coupon = issuance.ensure_system_coupon(db_session, issuance.EMERGENCY, now)
    coupon.is_active = False
    db_session.flush()
    user = make_user(db_session)
    make_card(db_session, user, balance=1000)
    assert issuance.issue_emergency_coupon(db_session, user.id, now).reason == issuance.COUPON_UNAVAILABLE

    coupon.is_active = True
    coupon.max_issue_count = coupon.total_issued
    db_session.flush()
    assert issuance.issue_emergency_coupon(db_session, user.id, now).reason == issuance.COUPON_UNAVAILABLE

    coupon.max_issue_count, coupon.max_use_per_user = None, 0  # the user could not use it
    db_session.flush()
    assert issuance.issue_emergency_coupon(db_session, user.id, now).reason == issuance.USE_LIMIT
    assert db_session.scalar(select(func.count()).select_from(UserCouponWallet)
                             .where(UserCouponWallet.user_id == user.id)) == 0


def test_sample_data_wallets_budgets_and_best_coupons(loaded_database_url, cache):
    """Every demo user of data/sample_data.xlsx goes through listing, budget and best coupon."""
    from naviyam.usecases.balance.budget import spendable_budget
    from naviyam.adapters.db.models import Menu, Shop, User
    from naviyam.adapters.db.session import unit_of_work

    now = datetime(2026, 11, 20, 12, 30, tzinfo=SEOUL)  # the sample's AS_OF day
    applied_any = 0
    with unit_of_work(loaded_database_url) as session:
        pairs = session.execute(select(Shop, Menu).join(Menu, Menu.shop_id == Shop.id)
                                .order_by(Menu.id).limit(40)).all()
        users = session.scalars(select(User).where(User.platform != "test").order_by(User.id)).all()
        assert users and pairs
        for user in users:
            listing = service.wallet_listing(session, user.id, now)
            assert all(i.status == "ACTIVE" for i in listing.active)
            budget = spendable_budget(session, user.id, now)
            if budget.has_card:
                assert budget.amount is not None and 0 <= budget.amount <= budget.balance
            for shop, menu in pairs:
                applied = service.best_coupon_for(session, user.id, shop, menu.price, now)
                if applied is not None:
                    applied_any += 1
                    assert 0 < applied.discount <= menu.price
                    assert applied.final_price == menu.price - applied.discount
                    assert applied.wallet_id in {i.wallet_id for i in listing.active}
    assert applied_any > 0
