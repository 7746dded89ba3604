"""Issuing the system coupons: the welcome coupon after onboarding, the emergency coupon at low balance.

Every function takes the caller's ``Session`` and never commits (the calling use case owns the
transaction). The terms of the system coupons are below; their ids are settings.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.adapters.db.models import Coupon, FoodcardUser, User, UserCouponWallet
from naviyam.config import get_balance_settings
from naviyam.domain import coupon_rules as rules
from naviyam.domain.coupon_rules import as_utc
from naviyam.usecases.coupons.wallet import (
    WalletItem, display_status, forget_wallet_context, local_date, to_utc, wallet_item,
)

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
    issued_at = to_utc(now)
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
    return IssueResult(ISSUED, wallet_item(row, "ACTIVE"))


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
        return IssueResult(ALREADY_ISSUED, wallet_item(existing, display_status(existing, to_utc(now), local_date(now))))
    coupon = ensure_system_coupon(session, WELCOME, now)
    expires = to_utc(now) + timedelta(days=WELCOME_VALID_DAYS)
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
    now_utc = to_utc(now)
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
    expires = to_utc(now) + timedelta(hours=EMERGENCY_VALID_HOURS)
    return _issue(session, user_id, coupon, "EMERGENCY_ASSIST", expires, now,
                  {"trigger_event": "low_balance", "balance": card.balance,
                   "threshold": card.balance_alert_threshold})
