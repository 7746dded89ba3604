"""The zero-balance answer's rules (issue 12): when it applies and when the card is usable again.

Pure. A card that is active but lets the child spend (almost) nothing now
(``amount < NAVIYAM_ZERO_BALANCE_WON``, default 1,000원: no menu costs less) gets its own
honest answer instead of "no results, change the budget". Which figure set the amount says
when money comes back: today's daily limit is spent → tomorrow; this month's limit is spent
→ the 1st of next month; the balance itself is empty → after the next top-up, whose date
only the local government knows (never invented).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

TOMORROW = "tomorrow"
NEXT_MONTH = "next_month"
AFTER_CHARGE = "after_charge"


def is_zero_balance(has_card: bool, amount: int | None, threshold: int) -> bool:
    return bool(has_card) and amount is not None and amount < max(1, threshold)


@dataclass(frozen=True)
class NextUsable:
    kind: str                   # TOMORROW, NEXT_MONTH or AFTER_CHARGE
    on: date | None             # the day, when it is known
    amount: int | None          # what can be spent that day, when it is known


def first_of_next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def next_usable(limited_by: str | None, today: date, *, balance: int | None, daily_limit: int | None,
                monthly_limit: int | None, monthly_remaining: int | None) -> NextUsable:
    """When the card can pay again and how much, from the figure that is used up now."""
    balance = balance or 0
    if limited_by == "daily" and balance > 0:
        tomorrow = today + timedelta(days=1)
        monthly_left = monthly_limit if tomorrow.day == 1 else monthly_remaining
        amounts = [v for v in (balance, daily_limit, monthly_left) if v is not None]
        amount = min(amounts)
        if amount > 0:
            return NextUsable(TOMORROW, tomorrow, amount)
    if limited_by in ("daily", "monthly") and balance > 0:
        first = first_of_next_month(today)
        amounts = [v for v in (balance, daily_limit, monthly_limit) if v is not None]
        return NextUsable(NEXT_MONTH, first, min(amounts))
    return NextUsable(AFTER_CHARGE, None, None)
