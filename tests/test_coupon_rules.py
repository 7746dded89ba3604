"""Coupon rules, table-driven (pure: no database, no clock)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naviyam.domain import coupon_rules as rules
from naviyam.domain.coupon_rules import CouponTerms, ShopFacts, UserFacts, WalletEntry

NOW = datetime(2025, 3, 10, 3, 0, tzinfo=timezone.utc)  # 12:00 in Seoul
TODAY = date(2025, 3, 10)
SHOP = ShopFacts(shop_id=7, category="한식", foodcard="Y")
CARD_USER = UserFacts(has_active_card=True, account_created_at=NOW - timedelta(days=200),
                      interaction_count=3)


def terms(**kw) -> CouponTerms:
    base = dict(coupon_id="C1", name="쿠폰", coupon_type="FIXED_AMOUNT", usage_type="ALL",
                valid_from=date(2025, 1, 1), valid_until=date(2025, 12, 31), discount_amount=1000)
    base.update(kw)
    return CouponTerms(**base)


def entry(t: CouponTerms | None = None, wallet_id: int = 1, status: str = "ACTIVE",
          expires_at: datetime | None = None) -> WalletEntry:
    return WalletEntry(wallet_id=wallet_id, status=status,
                       expires_at=expires_at or NOW + timedelta(days=5), terms=t or terms())


PCT = dict(coupon_type="PERCENTAGE", discount_amount=None, discount_rate=Decimal("0.10"))

CASES = [
    # (id, terms overrides, shop, user, price, expected reason, expected discount)
    ("fixed", {}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("fixed larger than price", {"discount_amount": 9000}, SHOP, CARD_USER, 6000, rules.OK, 6000),
    ("rate", PCT, SHOP, CARD_USER, 6500, rules.OK, 650),
    ("rate floors won", PCT, SHOP, CARD_USER, 6555, rules.OK, 655),
    ("rate capped", {**PCT, "discount_rate": Decimal("0.50"), "max_discount_amount": 2000},
     SHOP, CARD_USER, 8000, rules.OK, 2000),
    ("rate under cap", {**PCT, "max_discount_amount": 2000}, SHOP, CARD_USER, 8000, rules.OK, 800),
    ("min order met exactly", {"min_order_amount": 6000}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("min order not met", {"min_order_amount": 6001}, SHOP, CARD_USER, 6000, rules.MIN_ORDER, 0),
    ("inactive", {"is_active": False}, SHOP, CARD_USER, 6000, rules.NOT_ACTIVE, 0),
    ("not yet valid", {"valid_from": date(2025, 3, 11)}, SHOP, CARD_USER, 6000, rules.NOT_YET_VALID, 0),
    ("last valid day", {"valid_until": TODAY}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("validity over", {"valid_until": date(2025, 3, 9)}, SHOP, CARD_USER, 6000, rules.EXPIRED, 0),
    ("shop match", {"usage_type": "SHOP", "applicable_shop_ids": (7, 8)}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("shop mismatch", {"usage_type": "SHOP", "applicable_shop_ids": (8,)}, SHOP, CARD_USER, 6000,
     rules.WRONG_SHOP, 0),
    ("shop without list", {"usage_type": "SHOP"}, SHOP, CARD_USER, 6000, rules.WRONG_SHOP, 0),
    ("category match", {"usage_type": "CATEGORY", "target_categories": ("한식",)}, SHOP, CARD_USER, 6000,
     rules.OK, 1000),
    ("category mismatch", {"usage_type": "CATEGORY", "target_categories": ("중식",)}, SHOP, CARD_USER,
     6000, rules.WRONG_CATEGORY, 0),
    ("ALL narrowed by category", {"target_categories": ("중식",)}, SHOP, CARD_USER, 6000,
     rules.WRONG_CATEGORY, 0),
    ("foodcard shop Y", {"usage_type": "FOODCARD"}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("foodcard shop P", {"usage_type": "FOODCARD"}, replace(SHOP, foodcard="P"), CARD_USER, 6000,
     rules.OK, 1000),
    ("foodcard shop N", {"usage_type": "FOODCARD"}, replace(SHOP, foodcard="N"), CARD_USER, 6000,
     rules.NOT_FOODCARD_SHOP, 0),
    ("foodcard without card", {"usage_type": "FOODCARD"}, SHOP, replace(CARD_USER, has_active_card=False),
     6000, rules.NO_CARD, 0),
    ("new user", {"usage_type": "NEW_USER"}, SHOP, replace(CARD_USER, account_created_at=NOW - timedelta(days=3)),
     6000, rules.OK, 1000),
    ("not new", {"usage_type": "NEW_USER"}, SHOP, CARD_USER, 6000, rules.NOT_NEW_USER, 0),
    ("loyal", {"usage_type": "LOYALTY"}, SHOP, replace(CARD_USER, interaction_count=10), 6000, rules.OK, 1000),
    ("not loyal", {"usage_type": "LOYALTY"}, SHOP, CARD_USER, 6000, rules.NOT_LOYAL, 0),
    ("user type foodcard", {"target_user_types": ("foodcard",)}, SHOP, CARD_USER, 6000, rules.OK, 1000),
    ("user type vip", {"target_user_types": ("vip",)}, SHOP, CARD_USER, 6000, rules.WRONG_USER_TYPE, 0),
    ("use limit reached", {}, SHOP, replace(CARD_USER, uses_by_coupon={"C1": 1}), 6000, rules.USE_LIMIT, 0),
    ("use limit not reached", {"max_use_per_user": 2}, SHOP, replace(CARD_USER, uses_by_coupon={"C1": 1}),
     6000, rules.OK, 1000),
    ("freebie lowers no price", {"coupon_type": "FREEBIE"}, SHOP, CARD_USER, 6000, rules.NO_PRICE_DISCOUNT, 0),
    ("bogo lowers no price", {"coupon_type": "BOGO"}, SHOP, CARD_USER, 6000, rules.NO_PRICE_DISCOUNT, 0),
    ("free menu", {}, SHOP, CARD_USER, 0, rules.OK, 0),
    ("negative price", {}, SHOP, CARD_USER, -1, rules.INVALID_PRICE, 0),
]


@pytest.mark.parametrize("overrides,shop,user,price,reason,discount",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_evaluate(overrides, shop, user, price, reason, discount):
    result = rules.evaluate(entry(terms(**overrides)), shop, price, user, NOW, TODAY)
    assert result.reason == reason
    assert result.discount == discount
    assert rules.final_price(price, result.discount) == max(0, price - discount)


@pytest.mark.parametrize("status,expires_at,reason", [
    ("USED", None, rules.NOT_IN_WALLET),
    ("EXPIRED", None, rules.NOT_IN_WALLET),
    ("CANCELLED", None, rules.NOT_IN_WALLET),
    ("ACTIVE", NOW, rules.EXPIRED),
    ("ACTIVE", NOW - timedelta(seconds=1), rules.EXPIRED),
    ("ACTIVE", NOW + timedelta(seconds=1), rules.OK),
])
def test_wallet_state(status, expires_at, reason):
    result = rules.evaluate(entry(status=status, expires_at=expires_at or NOW + timedelta(days=1)),
                            SHOP, 6000, CARD_USER, NOW, TODAY)
    assert result.reason == reason


def test_best_coupon_picks_largest_discount_then_soonest_expiry():
    fixed = entry(terms(coupon_id="F", discount_amount=1000), wallet_id=1)
    rate = entry(terms(coupon_id="R", **PCT), wallet_id=2)              # 10% of 8000 = 800
    big_late = entry(terms(coupon_id="B", discount_amount=1500), wallet_id=3,
                     expires_at=NOW + timedelta(days=9))
    big_soon = entry(terms(coupon_id="S", discount_amount=1500), wallet_id=4,
                     expires_at=NOW + timedelta(hours=2))
    not_here = entry(terms(coupon_id="X", discount_amount=5000, usage_type="SHOP",
                           applicable_shop_ids=(99,)), wallet_id=5)
    best = rules.best_coupon([fixed, rate, big_late, big_soon, not_here], SHOP, 8000, CARD_USER, NOW, TODAY)
    assert best is not None
    assert best.entry.wallet_id == 4
    assert (best.discount, best.final_price) == (1500, 6500)


def test_best_coupon_none_when_nothing_applies():
    only_freebie = entry(terms(coupon_type="FREEBIE"))
    assert rules.best_coupon([only_freebie], SHOP, 8000, CARD_USER, NOW, TODAY) is None
    assert rules.best_coupon([], SHOP, 8000, CARD_USER, NOW, TODAY) is None


@pytest.mark.parametrize("overrides,label", [
    ({}, "1,000원 할인"),
    ({**PCT, "max_discount_amount": 2000}, "10% 할인 (최대 2,000원)"),
    ({"coupon_type": "FREEBIE"}, "서비스 메뉴 증정"),
])
def test_discount_label(overrides, label):
    assert rules.discount_label(terms(**overrides)) == label


@given(price=st.integers(min_value=0, max_value=1_000_000),
       amount=st.integers(min_value=1, max_value=50_000),
       rate=st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1.00"), places=2),
       cap=st.one_of(st.none(), st.integers(min_value=1, max_value=50_000)))
def test_final_price_never_negative_and_cap_holds(price, amount, rate, cap):
    fixed = rules.price_discount(terms(discount_amount=amount), price)
    pct = rules.price_discount(terms(**{**PCT, "discount_rate": rate, "max_discount_amount": cap}), price)
    for discount in (fixed, pct):
        assert 0 <= discount <= price
        assert rules.final_price(price, discount) >= 0
    if cap is not None:
        assert pct <= cap
