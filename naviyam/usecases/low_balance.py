"""Low-balance alert (seed 001 §3.2.2) and the emergency coupon rule (seed 004 §5.3).

- Alert when the ACTIVE card's balance is below its ``balance_alert_threshold``
  (default 5,000원), at most once per 24 hours per card.
- ``claim_low_balance_alert`` claims the alert with one conditional UPDATE, so of two
  concurrent requests only one sees ``True`` (PostgreSQL re-checks the WHERE clause
  after waiting for the first writer's row lock).
- ``balance_alert_sent`` mirrors the seed's flag: true while an alert is within its
  24-hour window; it is cleared by the next claim check once the window has passed
  or by the card sync when the balance is back above the threshold.
- Budget-fitting recommendations first is the recommender's job (it reads
  ``SpendableBudget.is_low``); the emergency coupon is ``coupons.service``'s rule,
  called from ``handle_low_balance``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from naviyam.usecases.balance.budget import SpendableBudget, cached_spendable_budget
from naviyam.config import get_settings
from naviyam.usecases.coupons import issuance
from naviyam.adapters.db.models import FoodcardUser

ALERT_INTERVAL = timedelta(hours=24)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=get_settings().timezone)
    return now.astimezone(timezone.utc)


def should_alert(balance: int | None, threshold: int | None, card_active: bool,
                 last_alert_at: datetime | None, now: datetime) -> bool:
    """Pure: is a low-balance alert due now?"""
    if not card_active or balance is None:
        return False
    if balance >= (threshold if threshold is not None else 5000):
        return False
    if last_alert_at is None:
        return True
    if last_alert_at.tzinfo is None:
        last_alert_at = last_alert_at.replace(tzinfo=timezone.utc)
    return _utc(now) - last_alert_at >= ALERT_INTERVAL


def claim_low_balance_alert(session: Session, user_id: int, now: datetime) -> bool:
    """Atomically claim this user's low-balance alert; True for exactly one caller per 24 h."""
    now_utc = _utc(now)
    claimed = session.execute(
        update(FoodcardUser)
        .where(
            FoodcardUser.user_id == user_id,
            FoodcardUser.status == "ACTIVE",
            FoodcardUser.balance < FoodcardUser.balance_alert_threshold,
            or_(FoodcardUser.last_balance_alert_at.is_(None),
                FoodcardUser.last_balance_alert_at <= now_utc - ALERT_INTERVAL),
        )
        .values(last_balance_alert_at=now_utc, balance_alert_sent=True)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1


@dataclass(frozen=True)
class LowBalanceOutcome:
    budget: SpendableBudget
    alert: bool                                 # show the low-balance alert in this answer
    emergency: issuance.IssueResult | None  # the emergency coupon attempt, if low


def handle_low_balance(session: Session, user_id: int, now: datetime) -> LowBalanceOutcome:
    """Budget plus, when low: the once-a-day alert claim and the emergency coupon rule.

    The budget comes from the cached card figures (every card change drops them; a session
    that changed the card reads the database); the claim and the coupon re-check the rows.
    """
    budget = cached_spendable_budget(session, user_id, now)
    if not (budget.has_card and budget.is_low):
        return LowBalanceOutcome(budget, False, None)
    alert = claim_low_balance_alert(session, user_id, now)
    emergency = issuance.issue_emergency_coupon(session, user_id, now)
    return LowBalanceOutcome(budget, alert, emergency)
