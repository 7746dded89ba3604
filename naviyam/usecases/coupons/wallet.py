"""Coupon wallet: the user's facts, the best coupon per menu, the listing, expiry.

Issuing the system coupons (welcome, emergency) is ``issuance.py``.

Every function takes the caller's ``Session`` and never commits: the caller's unit of
work is the transaction (STYLE.md). Redemption has its own module (``redemption.py``)
because it owns its transaction and retries.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from naviyam.config import get_settings
from naviyam.domain import coupon_rules as rules
from naviyam.domain.coupon_rules import (
    BestCoupon,
    ShopFacts,
    UserFacts,
    WalletEntry,
    as_utc,
)
from naviyam.adapters.db.models import FoodcardUser, User, UserCouponWallet, UserProfile

log = logging.getLogger(__name__)



def local_date(now: datetime) -> date:
    tz = get_settings().timezone
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    return now.astimezone(tz).date()


def to_utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=get_settings().timezone)
    return now.astimezone(timezone.utc)


# --------------------------------------------------------------------------- reading


def load_user_facts(session: Session, user_id: int, now: datetime) -> UserFacts:
    user = session.get(User, user_id)
    if user is None:
        return UserFacts()
    card_status = session.scalar(select(FoodcardUser.status).where(FoodcardUser.user_id == user_id))
    interactions = session.scalar(
        select(UserProfile.interaction_count).where(UserProfile.user_id == user_id)
    ) or 0
    uses = dict(session.execute(
        select(UserCouponWallet.coupon_id, func.count())
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status == "USED")
        .group_by(UserCouponWallet.coupon_id)
    ).all())
    return UserFacts(
        has_active_card=card_status == "ACTIVE",
        account_created_at=user.created_at,
        interaction_count=int(interactions),
        uses_by_coupon={k: int(v) for k, v in uses.items()},
    )


def load_active_entries(session: Session, user_id: int, now: datetime) -> list[WalletEntry]:
    """The user's ACTIVE (and RESERVED) wallet rows that have not passed ``expires_at``."""
    rows = session.scalars(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status.in_(("ACTIVE", "RESERVED")),
               UserCouponWallet.expires_at > to_utc(now))
        .order_by(UserCouponWallet.expires_at, UserCouponWallet.id)
    ).all()
    # A reserved row still prices the owner's options: choosing another one moves it.
    return [replace(WalletEntry.from_model(row), status="ACTIVE") for row in rows]


@dataclass(frozen=True)
class AppliedCoupon:
    """The best coupon for one menu at one shop (used by the recommender)."""

    wallet_id: int
    coupon_id: str
    name: str
    discount: int
    final_price: int

    def as_payload(self) -> dict[str, Any]:
        return asdict(self)


_CONTEXT_KEY = "naviyam_coupon_context"


def _wallet_context(session: Session, user_id: int, now: datetime) -> tuple[list[WalletEntry], UserFacts]:
    """Entries and facts for (user, now), memoised on the session for one use case.

    The recommender asks for many (shop, menu) pairs in one turn; this loads the wallet
    once, from the cache when it is there (``wallet_cache``). Issuing or redeeming in the
    same session clears the memo.
    """
    from naviyam.usecases.coupons.wallet_cache import cached_wallet

    memo: dict = session.info.setdefault(_CONTEXT_KEY, {})
    key = (user_id, to_utc(now).isoformat())
    if key not in memo:
        memo.clear()
        entries, facts = cached_wallet(session, user_id, now)
        now_utc = to_utc(now)   # as load_active_entries: not past expires_at; a reserved row prices as active
        memo[key] = ([replace(e, status="ACTIVE") for e in entries if e.expires_at > now_utc], facts)
    return memo[key]


def forget_wallet_context(session: Session) -> None:
    session.info.pop(_CONTEXT_KEY, None)


def best_coupon_for(session: Session, user_id: int, shop: Any, menu_price: int,
                    now: datetime) -> AppliedCoupon | None:
    """The wallet coupon that lowers ``menu_price`` at ``shop`` most, or None.

    ``shop`` is a ``Shop`` row, a ``ShopFacts`` or a mapping with shop_id/category/foodcard.
    """
    if user_id is None or menu_price is None:
        return None
    entries, facts = _wallet_context(session, user_id, now)
    if not entries:
        return None
    best: BestCoupon | None = rules.best_coupon(
        entries, ShopFacts.of(shop), int(menu_price), facts, now, local_date(now)
    )
    if best is None:
        return None
    return AppliedCoupon(
        wallet_id=best.entry.wallet_id,
        coupon_id=best.entry.terms.coupon_id,
        name=best.entry.terms.name,
        discount=best.discount,
        final_price=best.final_price,
    )


# --------------------------------------------------------------------------- listing


@dataclass(frozen=True)
class WalletItem:
    wallet_id: int
    coupon_id: str
    name: str
    description: str
    status: str                     # ACTIVE, RESERVED, USED, EXPIRED, CANCELLED (as shown to the user)
    benefit: str                    # Korean label: "1,000원 할인"
    coupon_type: str
    usage_type: str
    discount_amount: int | None
    discount_rate: float | None
    max_discount_amount: int | None
    min_order_amount: int
    applicable_shops: list[int]
    target_categories: list[str]
    acquisition_source: str
    issued_at: datetime | None
    expires_at: datetime
    used_at: datetime | None = None
    used_shop_id: int | None = None
    discount_applied: int | None = None
    reservation_code: str | None = None          # while RESERVED: the code to show at the shop
    reservation_expires_at: datetime | None = None
    reserved_shop_id: int | None = None

    def as_payload(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("issued_at", "expires_at", "used_at", "reservation_expires_at"):
            if data[key] is not None:
                data[key] = as_utc(data[key]).isoformat()
        return data


@dataclass(frozen=True)
class WalletListing:
    active: list[WalletItem]
    used: list[WalletItem]
    expired: list[WalletItem]

    def all(self) -> list[WalletItem]:
        return [*self.active, *self.used, *self.expired]


def display_status(row: UserCouponWallet, now_utc: datetime, today: date) -> str:
    if row.status == "RESERVED" and as_utc(row.reservation_expires_at) <= now_utc:
        row_status = "ACTIVE"  # the hold ran out; the release job has not run yet
    else:
        row_status = row.status
    if row_status in ("ACTIVE", "RESERVED") and (as_utc(row.expires_at) <= now_utc or row.coupon.valid_until < today):
        return "EXPIRED"
    return row_status


def wallet_item(row: UserCouponWallet, status: str) -> WalletItem:
    coupon = row.coupon
    terms = rules.CouponTerms.from_model(coupon)
    return WalletItem(
        wallet_id=row.id,
        coupon_id=coupon.id,
        name=coupon.coupon_name,
        description=coupon.description,
        status=status,
        benefit=rules.discount_label(terms),
        coupon_type=coupon.coupon_type,
        usage_type=coupon.usage_type,
        discount_amount=coupon.discount_amount,
        discount_rate=float(coupon.discount_rate) if coupon.discount_rate is not None else None,
        max_discount_amount=coupon.max_discount_amount,
        min_order_amount=coupon.min_order_amount,
        applicable_shops=list(terms.applicable_shop_ids),
        target_categories=list(terms.target_categories),
        acquisition_source=row.acquisition_source,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        used_at=row.used_at,
        used_shop_id=row.used_shop_id,
        discount_applied=row.discount_applied,
        **({"reservation_code": row.reservation_code, "reservation_expires_at": row.reservation_expires_at,
            "reserved_shop_id": row.reserved_shop_id} if status == "RESERVED" else {}),
    )


def wallet_listing(session: Session, user_id: int, now: datetime) -> WalletListing:
    """The user's coupons split into active (reserved ones included), used and expired
    (CANCELLED rows are left out).

    ACTIVE rows past ``expires_at`` (or whose coupon's validity ended) are reported as
    expired without writing; ``expire_overdue`` persists that in bulk.
    Active coupons are ordered by expiry (soonest first), the others newest first.
    """
    now_utc, today = to_utc(now), local_date(now)
    rows = session.scalars(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status != "CANCELLED")
        .order_by(UserCouponWallet.id)
        .execution_options(populate_existing=True)  # reservations change rows by bulk update
    ).all()
    active, used, expired = [], [], []
    for row in rows:
        status = display_status(row, now_utc, today)
        item = wallet_item(row, status)
        {"ACTIVE": active, "RESERVED": active, "USED": used, "EXPIRED": expired}[status].append(item)
    active.sort(key=lambda i: (as_utc(i.expires_at), i.wallet_id))
    used.sort(key=lambda i: (as_utc(i.used_at), i.wallet_id), reverse=True)
    expired.sort(key=lambda i: (as_utc(i.expires_at), i.wallet_id), reverse=True)
    return WalletListing(active=active, used=used, expired=expired)


def expire_overdue(session: Session, now: datetime, user_id: int | None = None) -> int:
    """Mark ACTIVE wallet rows past ``expires_at`` as EXPIRED; returns how many."""
    stmt = (
        update(UserCouponWallet)
        .where(UserCouponWallet.status == "ACTIVE", UserCouponWallet.expires_at <= to_utc(now))
        .values(status="EXPIRED")
        .execution_options(synchronize_session=False)
    )
    if user_id is not None:
        stmt = stmt.where(UserCouponWallet.user_id == user_id)
    count = session.execute(stmt).rowcount or 0
    forget_wallet_context(session)
    return count


# --------------------------------------------------------------------------- issuing
