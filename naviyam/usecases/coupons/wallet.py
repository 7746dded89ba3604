"""Coupon wallet service: listing, best coupon per menu, welcome and emergency issuance.

Every function takes the caller's ``Session`` and never commits: the caller's unit of
work is the transaction (STYLE.md). Redemption has its own module (``redemption.py``)
because it owns its transaction and retries.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.config import get_balance_settings, get_settings
from naviyam.domain import coupon_rules as rules
from naviyam.domain.coupon_rules import (
    BestCoupon,
    ShopFacts,
    UserFacts,
    WalletEntry,
    as_utc,
)
from naviyam.adapters.db.models import Coupon, FoodcardUser, User, UserCouponWallet, UserProfile

log = logging.getLogger(__name__)

WELCOME = "welcome"
EMERGENCY = "emergency"
WELCOME_VALID_DAYS = 30
EMERGENCY_VALID_HOURS = 24

# The coupons the system issues by itself; their ids are settings
# (NAVIYAM_WELCOME_COUPON_ID, NAVIYAM_EMERGENCY_COUPON_ID; the defaults are the sample
# data's WELCOME1000 and EMERGENCY_ASSIST). A missing row is created from these terms;
# an operator may change the amounts or switch a coupon off (is_active).
SYSTEM_COUPONS: dict[str, dict[str, Any]] = {
    WELCOME: dict(
        coupon_name="첫 방문 1,000원 할인",
        description="처음 오신 친구에게 드리는 환영 쿠폰이에요. 5,000원 이상 주문 시 1,000원 할인!",
        coupon_type="FIXED_AMOUNT", discount_amount=1000, min_order_amount=5000,
        usage_type="NEW_USER", max_use_per_user=1, priority_score=Decimal("0.80"),
    ),
    EMERGENCY: dict(
        coupon_name="든든 지원 쿠폰",
        description="잔액이 부족할 때 한 끼를 챙길 수 있도록 2,000원을 지원해 드려요.",
        coupon_type="FIXED_AMOUNT", discount_amount=2000, min_order_amount=0,
        usage_type="FOODCARD", max_use_per_user=100, priority_score=Decimal("0.95"),
    ),
}


def system_coupon_id(role: str) -> str:
    settings = get_balance_settings()
    return {WELCOME: settings.welcome_coupon_id, EMERGENCY: settings.emergency_coupon_id}[role]


# Issue outcomes
ISSUED = "ISSUED"
ALREADY_ISSUED = "ALREADY_ISSUED"
NO_USER = "NO_USER"
NO_CARD = "NO_CARD"
BALANCE_OK = "BALANCE_OK"
HAS_ACTIVE_EMERGENCY = "HAS_ACTIVE_EMERGENCY"
COOLDOWN = "COOLDOWN"
COUPON_UNAVAILABLE = "COUPON_UNAVAILABLE"
USE_LIMIT = "USE_LIMIT"


def local_date(now: datetime) -> date:
    tz = get_settings().timezone
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    return now.astimezone(tz).date()


def _utc(now: datetime) -> datetime:
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
    """The user's ACTIVE wallet rows that have not passed ``expires_at``."""
    rows = session.scalars(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status == "ACTIVE",
               UserCouponWallet.expires_at > _utc(now))
        .order_by(UserCouponWallet.expires_at, UserCouponWallet.id)
    ).all()
    return [WalletEntry.from_model(row) for row in rows]


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
    once. Issuing or redeeming in the same session clears the memo.
    """
    memo: dict = session.info.setdefault(_CONTEXT_KEY, {})
    key = (user_id, _utc(now).isoformat())
    if key not in memo:
        memo.clear()
        memo[key] = (load_active_entries(session, user_id, now), load_user_facts(session, user_id, now))
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
    status: str                     # ACTIVE, USED, EXPIRED, CANCELLED (as shown to the user)
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

    def as_payload(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("issued_at", "expires_at", "used_at"):
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


def _display_status(row: UserCouponWallet, now_utc: datetime, today: date) -> str:
    if row.status == "ACTIVE" and (as_utc(row.expires_at) <= now_utc or row.coupon.valid_until < today):
        return "EXPIRED"
    return row.status


def _item(row: UserCouponWallet, status: str) -> WalletItem:
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
    )


def wallet_listing(session: Session, user_id: int, now: datetime) -> WalletListing:
    """The user's coupons split into active, used and expired (CANCELLED rows are left out).

    ACTIVE rows past ``expires_at`` (or whose coupon's validity ended) are reported as
    expired without writing; ``expire_overdue`` persists that in bulk.
    Active coupons are ordered by expiry (soonest first), the others newest first.
    """
    now_utc, today = _utc(now), local_date(now)
    rows = session.scalars(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status != "CANCELLED")
        .order_by(UserCouponWallet.id)
    ).all()
    active, used, expired = [], [], []
    for row in rows:
        status = _display_status(row, now_utc, today)
        item = _item(row, status)
        {"ACTIVE": active, "USED": used, "EXPIRED": expired}[status].append(item)
    active.sort(key=lambda i: (as_utc(i.expires_at), i.wallet_id))
    used.sort(key=lambda i: (as_utc(i.used_at), i.wallet_id), reverse=True)
    expired.sort(key=lambda i: (as_utc(i.expires_at), i.wallet_id), reverse=True)
    return WalletListing(active=active, used=used, expired=expired)


def expire_overdue(session: Session, now: datetime, user_id: int | None = None) -> int:
    """Mark ACTIVE wallet rows past ``expires_at`` as EXPIRED; returns how many."""
    stmt = (
        update(UserCouponWallet)
        .where(UserCouponWallet.status == "ACTIVE", UserCouponWallet.expires_at <= _utc(now))
        .values(status="EXPIRED")
        .execution_options(synchronize_session=False)
    )
    if user_id is not None:
        stmt = stmt.where(UserCouponWallet.user_id == user_id)
    count = session.execute(stmt).rowcount or 0
    forget_wallet_context(session)
    return count


# --------------------------------------------------------------------------- issuing


@dataclass(frozen=True)
class IssueResult:
    reason: str
    item: WalletItem | None = None

    @property
    def issued(self) -> bool:
        return self.reason == ISSUED

    def __bool__(self) -> bool:  # "if result:" reads as "was a coupon issued now?"
        return self.issued


def ensure_system_coupon(session: Session, role: str, now: datetime) -> Coupon:
    """The coupon row of a system role (WELCOME, EMERGENCY), created from defaults if missing."""
    coupon_id = system_coupon_id(role)
    coupon = session.get(Coupon, coupon_id)
    if coupon is not None:
        return coupon
    today = local_date(now)
    with session.begin_nested():
        coupon = Coupon(id=coupon_id, valid_from=today, valid_until=date(today.year + 10, 12, 31),
                        is_active=True, created_by="SYSTEM", **SYSTEM_COUPONS[role])
        session.add(coupon)
        session.flush()
    log.info("Created system coupon %s (%s)", coupon_id, role)
    return coupon


def _lock_user(session: Session, user_id: int) -> bool:
    """Serialise issuing for one user (row lock on PostgreSQL; SQLite serialises writers)."""
    return session.scalar(select(User.id).where(User.id == user_id).with_for_update()) is not None


def _issue(session: Session, user_id: int, coupon: Coupon, source: str, expires_at: datetime,
           now: datetime, context: dict[str, Any]) -> IssueResult:
    today = local_date(now)
    if rules.check_validity(rules.CouponTerms.from_model(coupon), today) != rules.OK:
        return IssueResult(COUPON_UNAVAILABLE)
    used = session.scalar(select(func.count()).select_from(UserCouponWallet).where(
        UserCouponWallet.user_id == user_id, UserCouponWallet.coupon_id == coupon.id,
        UserCouponWallet.status == "USED"))
    if used >= coupon.max_use_per_user:
        return IssueResult(USE_LIMIT)  # a coupon the user could not use is no gift
    # Count the issue atomically against max_issue_count.
    claimed = session.execute(
        update(Coupon)
        .where(Coupon.id == coupon.id,
               (Coupon.max_issue_count.is_(None)) | (Coupon.total_issued < Coupon.max_issue_count))
        .values(total_issued=Coupon.total_issued + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        return IssueResult(COUPON_UNAVAILABLE)
    issued_at = _utc(now)
    row = UserCouponWallet(
        user_id=user_id, coupon_id=coupon.id, status="ACTIVE", issued_at=issued_at,
        issued_by="SYSTEM", acquisition_source=source, acquisition_context=context,
        expires_at=max(as_utc(expires_at), issued_at),
    )
    session.add(row)
    session.flush()
    session.refresh(coupon)
    forget_wallet_context(session)
    invalidate_after_commit(session, [user_id])
    return IssueResult(ISSUED, _item(row, "ACTIVE"))


def issue_welcome_coupon(session: Session, user_id: int, now: datetime) -> IssueResult:
    """Give the welcome coupon after onboarding; at most one WELCOME_BONUS per user, ever."""
    if not _lock_user(session, user_id):
        return IssueResult(NO_USER)
    existing = session.scalar(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id,
               UserCouponWallet.acquisition_source == "WELCOME_BONUS")
        .order_by(UserCouponWallet.id).limit(1)
    )
    if existing is not None:
        return IssueResult(ALREADY_ISSUED, _item(existing, _display_status(existing, _utc(now), local_date(now))))
    coupon = ensure_system_coupon(session, WELCOME, now)
    expires = _utc(now) + timedelta(days=WELCOME_VALID_DAYS)
    return _issue(session, user_id, coupon, "WELCOME_BONUS", expires, now,
                  {"trigger_event": "onboarding_completed"})


def emergency_eligibility(session: Session, user_id: int, now: datetime) -> str:
    """Why the user may (``ISSUED``) or may not get an emergency coupon now.

    Eligible when all hold: an ACTIVE meal card; its balance below the card's
    ``balance_alert_threshold``; no unexpired ACTIVE emergency coupon in the wallet;
    no emergency coupon issued within the cooldown (default 7 days).
    """
    card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
    if card is None or card.status != "ACTIVE":
        return NO_CARD
    if card.balance >= card.balance_alert_threshold:
        return BALANCE_OK
    now_utc = _utc(now)
    active = session.scalar(
        select(func.count()).select_from(UserCouponWallet).where(
            UserCouponWallet.user_id == user_id,
            UserCouponWallet.acquisition_source == "EMERGENCY_ASSIST",
            UserCouponWallet.status == "ACTIVE",
            UserCouponWallet.expires_at > now_utc,
        )
    )
    if active:
        return HAS_ACTIVE_EMERGENCY
    cooldown = timedelta(days=get_balance_settings().emergency_cooldown_days)
    recent = session.scalar(
        select(func.count()).select_from(UserCouponWallet).where(
            UserCouponWallet.user_id == user_id,
            UserCouponWallet.acquisition_source == "EMERGENCY_ASSIST",
            UserCouponWallet.issued_at > now_utc - cooldown,
        )
    )
    if recent:
        return COOLDOWN
    return ISSUED


def issue_emergency_coupon(session: Session, user_id: int, now: datetime) -> IssueResult:
    """Issue the 24-hour emergency meal coupon when the user is eligible (seed 004 §5.3)."""
    if not _lock_user(session, user_id):
        return IssueResult(NO_USER)
    reason = emergency_eligibility(session, user_id, now)
    if reason != ISSUED:
        return IssueResult(reason)
    card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
    coupon = ensure_system_coupon(session, EMERGENCY, now)
    expires = _utc(now) + timedelta(hours=EMERGENCY_VALID_HOURS)
    return _issue(session, user_id, coupon, "EMERGENCY_ASSIST", expires, now,
                  {"trigger_event": "low_balance", "balance": card.balance,
                   "threshold": card.balance_alert_threshold})
