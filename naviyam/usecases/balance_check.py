"""The meal-card answers: checking the balance, and the card's limits for "충전 어떻게 해?".

``check_balance`` asks the card operator for a fresh figure when the stored one is old,
*outside* any transaction (a slow operator must not hold row locks or a pooled
connection), then reads the budget and runs the low-balance rules (once-a-day alert,
emergency coupon) in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from naviyam.adapters.card_operator import CardState, apply_states, fetch_card_state
from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.adapters.db.models import FoodcardUser
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.balance.budget import spendable_budget
from naviyam.usecases.low_balance import LowBalanceOutcome, handle_low_balance
from naviyam.usecases.senders import Sender, consented_user_id, require_consent


@dataclass(frozen=True)
class CardLimits:
    daily_limit: int
    monthly_limit: int

    def to_payload(self) -> dict[str, int]:
        return {"daily_limit": self.daily_limit, "monthly_limit": self.monthly_limit}


def check_balance(sender: Sender, now: datetime) -> LowBalanceOutcome:
    """The spendable budget now, plus the low-balance alert and emergency coupon when low.

    Raises ``ConsentRequired`` for a sender who has not agreed (the card and the
    emergency coupon are stored data); nothing is written then.
    """
    with unit_of_work() as session:
        user_id = require_consent(session, sender, now.date())
        current = spendable_budget(session, user_id, now)
        number = (session.scalar(select(FoodcardUser.card_number).where(FoodcardUser.user_id == user_id))
                  if current.has_card and current.is_stale else None)
    # Best effort, fails fast (not configured, breaker open): the stored figure stays.
    state: CardState | None = fetch_card_state(number) if number else None
    with unit_of_work() as session:
        if state is not None:
            changed, _ = apply_states(session, [state], now)
            invalidate_after_commit(session, changed)
        return handle_low_balance(session, user_id, now)


def card_limits(sender: Sender) -> CardLimits | None:
    """The daily and monthly limits of the sender's card (None without a card, limits or consent)."""
    with unit_of_work() as session:
        user_id = consented_user_id(session, sender)
        if user_id is None:
            return None
        card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
        if card is None or card.daily_limit is None or card.monthly_limit is None:
            return None
        return CardLimits(daily_limit=int(card.daily_limit), monthly_limit=int(card.monthly_limit))
