"""What the user can actually spend now (seed 001 §3.2 step 1, issue 4 "Hard filters").

``amount = min(card balance, today's remaining daily limit, this month's remaining
monthly limit)``. The card row mirrors the operator: ``daily_spent``/``monthly_spent``
were counted on ``spent_as_of``; when that day (month) is not today (this month) in
the service's time zone, the day's (month's) spending has reset to 0. A missing limit
means no limit. ``spent_as_of`` unknown: the figures are taken as current (the
cautious reading, it never overstates the budget).

``is_low`` compares the card balance with the card's ``balance_alert_threshold``
(default 5,000원), as the low-balance alert does (seed 001 §3.2.2). ``is_stale`` is
true when the last operator sync is older than the freshness window (default 10
minutes), has never happened, or the operator's circuit breaker is open.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.cache import TTL_USER_MONEY
from naviyam.adapters.db.models import FoodcardUser
from naviyam.adapters.db.user_cache import read_through
from naviyam.config import get_balance_settings, get_settings
from naviyam.shared.cache_keys import card_key


@dataclass(frozen=True)
class SpendableBudget:
    amount: int | None              # None: no active card
    balance: int | None
    daily_remaining: int | None     # None: no daily limit (or no card)
    monthly_remaining: int | None   # None: no monthly limit (or no card)
    is_low: bool
    has_card: bool
    last_sync_at: datetime | None
    is_stale: bool
    threshold: int | None = None
    card_status: str | None = None  # ACTIVE, SUSPENDED, LOST... None: no card at all
    limited_by: str | None = None   # "balance", "daily" or "monthly": which figure set amount
    operator_down: bool = False     # the operator's circuit breaker is open right now

    def as_payload(self) -> dict[str, Any]:
        data = asdict(self)
        if self.last_sync_at is not None:
            data["last_sync_at"] = self.last_sync_at.astimezone(timezone.utc).isoformat()
        return data


def _local(now: datetime) -> datetime:
    tz = get_settings().timezone
    if now.tzinfo is None:
        now = now.replace(tzinfo=tz)
    return now.astimezone(tz)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def effective_spent(daily_spent: int, monthly_spent: int, spent_as_of: date | None,
                    today: date) -> tuple[int, int]:
    """Spending that still counts today: resets on a new day / a new month."""
    if spent_as_of is None:
        return daily_spent, monthly_spent
    daily = daily_spent if spent_as_of == today else 0
    monthly = monthly_spent if (spent_as_of.year, spent_as_of.month) == (today.year, today.month) else 0
    return daily, monthly


def is_stale(last_sync_at: datetime | None, now: datetime, freshness_s: int,
             breaker_open: bool = False) -> bool:
    if breaker_open or last_sync_at is None:
        return True
    age = (_local(now) - _aware(last_sync_at)).total_seconds()
    return age > freshness_s


def compute_budget(card: Any | None, now: datetime, *, freshness_s: int,
                   breaker_open: bool = False) -> SpendableBudget:
    """Pure: the budget from a card row (or any object with the same attributes)."""
    if card is None:
        return SpendableBudget(None, None, None, None, False, False, None, False)
    last_sync = _aware(card.last_sync_at)
    stale = is_stale(last_sync, now, freshness_s, breaker_open)
    threshold = card.balance_alert_threshold if card.balance_alert_threshold is not None else 5000
    if card.status != "ACTIVE":
        return SpendableBudget(None, card.balance, None, None, False, False, last_sync, stale,
                               threshold=threshold, card_status=card.status, operator_down=breaker_open)
    today = _local(now).date()
    daily_spent, monthly_spent = effective_spent(card.daily_spent or 0, card.monthly_spent or 0,
                                                 card.spent_as_of, today)
    daily_remaining = max(0, card.daily_limit - daily_spent) if card.daily_limit is not None else None
    monthly_remaining = max(0, card.monthly_limit - monthly_spent) if card.monthly_limit is not None else None
    balance = max(0, card.balance)
    candidates = [("balance", balance)]
    if daily_remaining is not None:
        candidates.append(("daily", daily_remaining))
    if monthly_remaining is not None:
        candidates.append(("monthly", monthly_remaining))
    limited_by, amount = min(candidates, key=lambda c: c[1])
    return SpendableBudget(
        amount=amount, balance=balance, daily_remaining=daily_remaining,
        monthly_remaining=monthly_remaining, is_low=balance < threshold, has_card=True,
        last_sync_at=last_sync, is_stale=stale, threshold=threshold, card_status=card.status,
        limited_by=limited_by, operator_down=breaker_open,
    )


def operator_breaker_open() -> bool:
    """Is the card operator's circuit breaker open (shared state in the cache)?"""
    from naviyam.adapters.card_operator import operator_breaker  # local import: sync pulls in requests
    from naviyam.adapters.resilience import is_open

    return is_open(operator_breaker())


def spendable_budget(session: Session, user_id: int, now: datetime) -> SpendableBudget:
    """The user's spendable budget now; ``amount`` is None without an active card."""
    card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
    settings = get_balance_settings()
    breaker_open = operator_breaker_open() if card is not None else False
    return compute_budget(card, now, freshness_s=settings.freshness_s, breaker_open=breaker_open)


@dataclass(frozen=True)
class CardFigures:
    """The columns of a ``foodcard_users`` row that :func:`compute_budget` reads (cacheable)."""

    status: str
    balance: int
    daily_limit: int | None
    monthly_limit: int | None
    daily_spent: int | None
    monthly_spent: int | None
    spent_as_of: date | None
    last_sync_at: datetime | None
    balance_alert_threshold: int | None

    @classmethod
    def of(cls, card: Any) -> CardFigures:
        return cls(card.status, card.balance, card.daily_limit, card.monthly_limit, card.daily_spent,
                   card.monthly_spent, card.spent_as_of, _aware(card.last_sync_at), card.balance_alert_threshold)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["spent_as_of"] = self.spent_as_of.isoformat() if self.spent_as_of else None
        data["last_sync_at"] = self.last_sync_at.isoformat() if self.last_sync_at else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CardFigures:
        data = dict(data)
        data["spent_as_of"] = date.fromisoformat(data["spent_as_of"]) if data["spent_as_of"] else None
        data["last_sync_at"] = datetime.fromisoformat(data["last_sync_at"]) if data["last_sync_at"] else None
        return cls(**data)


def cached_spendable_budget(session: Session, user_id: int | None, now: datetime) -> SpendableBudget:
    """:func:`spendable_budget` from the cached card figures (``user:{id}:card``).

    For reads that only show or filter by the budget (a recommendation); every change of the
    card row (sync, link, payment) drops the key. The operator's breaker state is read live.
    """
    def load() -> CardFigures | None:
        card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
        return CardFigures.of(card) if card is not None else None

    if user_id is None:      # an anonymous sender (no consent): no card
        return spendable_budget(session, user_id, now)
    figures = read_through(session, user_id, card_key(user_id), load, ttl=TTL_USER_MONEY,
                           encode=lambda f: f.to_json() if f is not None else None,
                           decode=lambda d: CardFigures.from_json(d) if d is not None else None)
    settings = get_balance_settings()
    breaker_open = operator_breaker_open() if figures is not None else False
    return compute_budget(figures, now, freshness_s=settings.freshness_s, breaker_open=breaker_open)
