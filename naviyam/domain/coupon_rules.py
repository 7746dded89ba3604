"""Coupon rules as pure functions (seed 004 §3.6-3.7, issue 4).

Nothing here touches the database or the clock: callers pass the coupon's terms, the
wallet entry, the shop, the user's facts and ``now``. ``service.py`` loads those facts
from the database; ``redemption.py`` re-checks them inside the redemption transaction.

Decisions (also in docs/COUPONS_AND_BALANCE.md):
- Usage types: ALL (any shop), SHOP (``applicable_shop_ids``), CATEGORY
  (``target_categories``), FOODCARD (a shop that takes the meal card, Y or P, and a user
  with an active card), NEW_USER (account younger than ``NEW_USER_DAYS``), LOYALTY (at
  least ``LOYALTY_MIN_INTERACTIONS`` interactions). Shop or category lists set on any
  other usage type narrow it the same way; ``target_user_types`` ('foodcard', 'new',
  'loyal'/'vip') must match at least one of the user's types when set.
- Validity: the coupon is active, today (local date) lies within valid_from..valid_until
  and the wallet entry is ACTIVE with ``expires_at`` still in the future.
- Discount: FIXED_AMOUNT takes ``discount_amount``; PERCENTAGE takes
  ``floor(price x rate)`` capped by ``max_discount_amount``. FREEBIE and BOGO give
  something extra rather than lowering the price of one menu, so their price discount
  is 0 and they are never picked as the best coupon for a price (they still show in
  the wallet). A discount never exceeds the price: the final price is never below 0.
- Best coupon: the largest discount; ties go to the entry that expires first (use it
  before it is lost), then the higher ``priority_score``, then the smaller wallet id.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_FLOOR, Decimal
from typing import Any

NEW_USER_DAYS = 30
LOYALTY_MIN_INTERACTIONS = 10
FOODCARD_SHOP_STATUSES = frozenset({"Y", "P"})
PRICE_DISCOUNT_TYPES = frozenset({"FIXED_AMOUNT", "PERCENTAGE"})

# Reasons a coupon does not apply; stable codes for logs, payloads and user messages.
OK = "OK"
NOT_ACTIVE = "NOT_ACTIVE"            # switched off by an operator
NOT_YET_VALID = "NOT_YET_VALID"      # before valid_from
EXPIRED = "EXPIRED"                  # after valid_until or the wallet's expires_at
NOT_IN_WALLET = "NOT_IN_WALLET"      # wallet entry used, cancelled or expired
MIN_ORDER = "MIN_ORDER"              # order below min_order_amount
WRONG_SHOP = "WRONG_SHOP"
WRONG_CATEGORY = "WRONG_CATEGORY"
NOT_FOODCARD_SHOP = "NOT_FOODCARD_SHOP"
NO_CARD = "NO_CARD"                  # FOODCARD coupon, user without an active card
NOT_NEW_USER = "NOT_NEW_USER"
NOT_LOYAL = "NOT_LOYAL"
WRONG_USER_TYPE = "WRONG_USER_TYPE"
USE_LIMIT = "USE_LIMIT"              # max_use_per_user reached
NO_PRICE_DISCOUNT = "NO_PRICE_DISCOUNT"  # FREEBIE/BOGO: nothing off one menu's price
INVALID_PRICE = "INVALID_PRICE"


def as_utc(value: datetime) -> datetime:
    """Aware UTC datetime; naive values (SQLite reads) are taken as UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _int_list(values: Iterable[Any] | None) -> tuple[int, ...]:
    return tuple(int(v) for v in values or ())


def _str_list(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


@dataclass(frozen=True)
class CouponTerms:
    """The rule-relevant columns of one ``coupons`` row."""

    coupon_id: str
    name: str
    coupon_type: str
    usage_type: str
    valid_from: date
    valid_until: date
    discount_amount: int | None = None
    discount_rate: Decimal | None = None
    max_discount_amount: int | None = None
    min_order_amount: int = 0
    target_categories: tuple[str, ...] = ()
    applicable_shop_ids: tuple[int, ...] = ()
    target_user_types: tuple[str, ...] = ()
    max_use_per_user: int = 1
    is_active: bool = True
    priority_score: Decimal = Decimal("0.5")
    description: str = ""

    @classmethod
    def from_model(cls, coupon: Any) -> CouponTerms:
        rate = coupon.discount_rate
        return cls(
            coupon_id=coupon.id,
            name=coupon.coupon_name,
            description=coupon.description or "",
            coupon_type=coupon.coupon_type,
            usage_type=coupon.usage_type,
            valid_from=coupon.valid_from,
            valid_until=coupon.valid_until,
            discount_amount=coupon.discount_amount,
            discount_rate=Decimal(str(rate)) if rate is not None else None,
            max_discount_amount=coupon.max_discount_amount,
            min_order_amount=coupon.min_order_amount or 0,
            target_categories=_str_list(coupon.target_categories),
            applicable_shop_ids=_int_list(coupon.applicable_shop_ids),
            target_user_types=_str_list(coupon.target_user_types),
            max_use_per_user=coupon.max_use_per_user if coupon.max_use_per_user is not None else 1,
            is_active=bool(coupon.is_active),
            priority_score=Decimal(str(coupon.priority_score if coupon.priority_score is not None else "0.5")),
        )


@dataclass(frozen=True)
class WalletEntry:
    """One ``user_coupon_wallet`` row with its coupon's terms."""

    wallet_id: int
    status: str
    expires_at: datetime
    terms: CouponTerms
    acquisition_source: str = "PROMOTION"

    @classmethod
    def from_model(cls, row: Any) -> WalletEntry:
        return cls(
            wallet_id=row.id,
            status=row.status,
            expires_at=as_utc(row.expires_at),
            terms=CouponTerms.from_model(row.coupon),
            acquisition_source=row.acquisition_source,
        )


@dataclass(frozen=True)
class ShopFacts:
    shop_id: int
    category: str | None = None
    foodcard: str = "U"  # shops.is_food_card_shop: Y, N, P, U

    @classmethod
    def of(cls, shop: Any) -> ShopFacts:
        """From a ``Shop`` model, a ``ShopFacts``, or a mapping with id/category/foodcard."""
        if isinstance(shop, ShopFacts):
            return shop
        if isinstance(shop, Mapping):
            return cls(
                shop_id=int(shop.get("shop_id", shop.get("id"))),
                category=shop.get("category"),
                foodcard=shop.get("foodcard", shop.get("is_food_card_shop")) or "U",
            )
        return cls(shop_id=int(shop.id), category=getattr(shop, "category", None),
                   foodcard=getattr(shop, "is_food_card_shop", None) or "U")


@dataclass(frozen=True)
class UserFacts:
    """What coupon rules need to know about the user at ``now``."""

    has_active_card: bool = False
    account_created_at: datetime | None = None
    interaction_count: int = 0
    # coupon_id -> how many times this user already used that coupon
    uses_by_coupon: Mapping[str, int] = field(default_factory=dict)

    def is_new(self, now: datetime) -> bool:
        if self.account_created_at is None:
            return True
        return as_utc(now) - as_utc(self.account_created_at) <= timedelta(days=NEW_USER_DAYS)

    def is_loyal(self) -> bool:
        return self.interaction_count >= LOYALTY_MIN_INTERACTIONS

    def user_types(self, now: datetime) -> frozenset[str]:
        types = set()
        if self.has_active_card:
            types.add("foodcard")
        if self.is_new(now):
            types.add("new")
        if self.is_loyal():
            types.update({"loyal", "vip"})
        return frozenset(types)


@dataclass(frozen=True)
class Evaluation:
    reason: str
    discount: int = 0

    @property
    def applicable(self) -> bool:
        return self.reason == OK


def price_discount(terms: CouponTerms, price: int) -> int:
    """Won taken off ``price`` by the coupon, never more than the price itself."""
    if price <= 0 or terms.coupon_type not in PRICE_DISCOUNT_TYPES:
        return 0
    if terms.discount_amount is not None:
        discount = int(terms.discount_amount)
    elif terms.discount_rate is not None:
        raw = (Decimal(price) * Decimal(terms.discount_rate)).to_integral_value(rounding=ROUND_FLOOR)
        discount = int(raw)
        if terms.max_discount_amount is not None:
            discount = min(discount, int(terms.max_discount_amount))
    else:
        discount = 0
    return max(0, min(discount, price))


def final_price(price: int, discount: int) -> int:
    return max(0, int(price) - int(discount))


def check_validity(terms: CouponTerms, today: date) -> str:
    if not terms.is_active:
        return NOT_ACTIVE
    if today < terms.valid_from:
        return NOT_YET_VALID
    if today > terms.valid_until:
        return EXPIRED
    return OK


def check_target(terms: CouponTerms, shop: ShopFacts, user: UserFacts, now: datetime) -> str:
    usage = terms.usage_type
    if usage == "SHOP" and shop.shop_id not in terms.applicable_shop_ids:
        return WRONG_SHOP
    if usage == "CATEGORY" and shop.category not in terms.target_categories:
        return WRONG_CATEGORY
    if usage == "FOODCARD":
        if shop.foodcard not in FOODCARD_SHOP_STATUSES:
            return NOT_FOODCARD_SHOP
        if not user.has_active_card:
            return NO_CARD
    if usage == "NEW_USER" and not user.is_new(now):
        return NOT_NEW_USER
    if usage == "LOYALTY" and not user.is_loyal():
        return NOT_LOYAL
    if usage not in {"SHOP"} and terms.applicable_shop_ids and shop.shop_id not in terms.applicable_shop_ids:
        return WRONG_SHOP
    if usage not in {"CATEGORY"} and terms.target_categories and shop.category not in terms.target_categories:
        return WRONG_CATEGORY
    if terms.target_user_types:
        wanted = {t.lower() for t in terms.target_user_types}
        if not wanted & user.user_types(now):
            return WRONG_USER_TYPE
    return OK


def evaluate(entry: WalletEntry, shop: ShopFacts, price: int, user: UserFacts,
             now: datetime, today: date) -> Evaluation:
    """Does ``entry`` apply to ``price`` at ``shop`` for ``user`` at ``now``, and for how much?

    ``today`` is the local calendar date of ``now`` (coupon validity is by date).
    """
    terms = entry.terms
    if price is None or price < 0:
        return Evaluation(INVALID_PRICE)
    if entry.status != "ACTIVE":
        return Evaluation(NOT_IN_WALLET)
    if as_utc(entry.expires_at) <= as_utc(now):
        return Evaluation(EXPIRED)
    reason = check_validity(terms, today)
    if reason != OK:
        return Evaluation(reason)
    if user.uses_by_coupon.get(terms.coupon_id, 0) >= max(terms.max_use_per_user, 0):
        return Evaluation(USE_LIMIT)
    reason = check_target(terms, shop, user, now)
    if reason != OK:
        return Evaluation(reason)
    if price < terms.min_order_amount:
        return Evaluation(MIN_ORDER)
    if terms.coupon_type not in PRICE_DISCOUNT_TYPES:
        return Evaluation(NO_PRICE_DISCOUNT)
    return Evaluation(OK, price_discount(terms, price))


@dataclass(frozen=True)
class BestCoupon:
    entry: WalletEntry
    discount: int
    final_price: int


def best_coupon(entries: Iterable[WalletEntry], shop: ShopFacts, price: int, user: UserFacts,
                now: datetime, today: date) -> BestCoupon | None:
    """The entry that lowers ``price`` most (ties: expires first, priority, wallet id)."""
    best: tuple[tuple, BestCoupon] | None = None
    for entry in entries:
        result = evaluate(entry, shop, price, user, now, today)
        if not result.applicable or result.discount <= 0:
            continue
        key = (-result.discount, as_utc(entry.expires_at), -entry.terms.priority_score, entry.wallet_id)
        if best is None or key < best[0]:
            best = (key, BestCoupon(entry, result.discount, final_price(price, result.discount)))
    return best[1] if best else None


def discount_label(terms: CouponTerms) -> str:
    """A short Korean description of the benefit: '1,000원 할인', '10% 할인 (최대 2,000원)'."""
    if terms.coupon_type == "FREEBIE":
        return "서비스 메뉴 증정"
    if terms.coupon_type == "BOGO":
        return "1+1 혜택"
    if terms.discount_amount is not None:
        return f"{terms.discount_amount:,}원 할인"
    if terms.discount_rate is not None:
        percent = (Decimal(terms.discount_rate) * 100).normalize()
        label = f"{percent:f}% 할인"
        if terms.max_discount_amount:
            label += f" (최대 {terms.max_discount_amount:,}원)"
        return label
    return "할인"
