"""Card operator sync adapter (seed 001 §4.1 step 3, seed 004 §3.4, issue 4).

``CardOperatorClient`` speaks the operator API (``devtools/operator_simulator.py`` is its
local stand-in) with a timeout per attempt and the project's one resilience policy
(``naviyam.adapters.resilience``: tenacity retries with exponential back-off and jitter on
timeouts, connection errors, 5xx and 429; a pybreaker circuit breaker shared through Redis). ``sync_balances`` pulls every card in batches and, per batch in
one transaction, updates the rows whose figures changed (balance, limits, spending,
status) together with ``last_sync_at``; rows that did not change get only
``last_sync_at`` (the figure is confirmed fresh). Changed users' cached
profile/budget entries are dropped after the commit.

CLI: ``python -m naviyam.adapters.card_operator [--once | --interval 300]``.
"""
from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import pybreaker
import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from naviyam.adapters.resilience import CircuitOpenError, TransientError, circuit_breaker, is_open, retrying
from naviyam.adapters.db.invalidation import invalidate_users
from naviyam.config import BalanceSettings, get_balance_settings
from naviyam.adapters.crypto import lookup_hash
from naviyam.adapters.db.models import FoodcardUser
from naviyam.domain.card_link import Verification
from naviyam.domain.vocabulary import AGE_GROUPS, CARD_STATUSES, CARD_TYPES
from naviyam.adapters.db.session import unit_of_work

log = logging.getLogger(__name__)

BREAKER_NAME = "card_operator"
SYNCED_FIELDS = ("status", "balance", "daily_limit", "monthly_limit", "daily_spent",
                 "monthly_spent", "spent_as_of")


class OperatorError(RuntimeError):
    """The operator answered something we cannot use (4xx, bad JSON)."""


class OperatorUnavailable(RuntimeError):
    """The operator did not answer usefully after all retries."""


def operator_breaker(settings: BalanceSettings | None = None) -> pybreaker.CircuitBreaker:
    """The operator's breaker, shared by every process through Redis when Redis is the cache."""
    s = settings or get_balance_settings()
    return circuit_breaker(BREAKER_NAME, fail_max=s.breaker_failures, reset_s=s.breaker_reset_s,
                           exclude=[OperatorError])


@dataclass(frozen=True)
class CardState:
    card_number: str
    status: str
    balance: int
    daily_limit: int | None
    monthly_limit: int | None
    daily_spent: int
    monthly_spent: int
    spent_as_of: date | None

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> CardState:
        try:
            status = str(raw.get("status") or "ACTIVE")
            if status not in CARD_STATUSES:
                raise ValueError(f"unknown status {status!r}")

            def opt_int(name: str) -> int | None:
                value = raw.get(name)
                return None if value is None else int(value)

            spent_as_of = raw.get("spent_as_of")
            state = cls(
                card_number=str(raw["card_number"]), status=status,
                balance=int(raw["balance"]),
                daily_limit=opt_int("daily_limit"), monthly_limit=opt_int("monthly_limit"),
                daily_spent=int(raw.get("daily_spent") or 0),
                monthly_spent=int(raw.get("monthly_spent") or 0),
                spent_as_of=date.fromisoformat(spent_as_of) if spent_as_of else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise OperatorError(f"malformed card state {raw!r}: {exc}") from exc
        if state.balance < 0 or state.daily_spent < 0 or state.monthly_spent < 0:
            raise OperatorError(f"negative figures in card state {raw!r}")
        return state


@dataclass(frozen=True)
class FetchResult:
    cards: dict[str, CardState]
    unknown: list[str]


class CardOperatorClient:
    """HTTP client of the operator API with timeouts, retries and a circuit breaker."""

    def __init__(self, base_url: str, *, timeout_s: float = 2.0, retries: int = 2,
                 backoff_base_s: float = 0.2, backoff_max_s: float = 2.0,
                 breaker: pybreaker.CircuitBreaker | None = None, http: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not base_url:
            raise ValueError("card operator base URL is not configured (NAVIYAM_CARD_OPERATOR_URL)")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = max(0, retries)
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.breaker = breaker or operator_breaker()
        self.http = http or requests.Session()
        self.sleep = sleep
        self.attempts = 0  # total HTTP attempts made (for reports and tests)

    @classmethod
    def from_settings(cls, settings: BalanceSettings | None = None, **overrides: Any) -> CardOperatorClient:
        s = settings or get_balance_settings()
        kwargs: dict[str, Any] = dict(timeout_s=s.timeout_s, retries=s.retries,
                                      backoff_base_s=s.backoff_base_s, backoff_max_s=s.backoff_max_s,
                                      breaker=operator_breaker(s))
        kwargs.update(overrides)
        return cls(s.base_url or "", **kwargs)

    def _attempt(self, method: str, path: str, **kwargs: Any) -> Any:
        """One HTTP attempt: TransientError is retried and counts against the breaker, OperatorError not."""
        self.attempts += 1
        try:
            response = self.http.request(method, self.base_url + path,
                                         timeout=(self.timeout_s, self.timeout_s), **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            # Our request is wrong (or the card is unknown): retrying won't help,
            # and it says nothing about the operator's health (excluded from the breaker).
            raise OperatorError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        try:
            return response.json()
        except ValueError as exc:
            raise TransientError(f"{method} {path}: response is not JSON") from exc

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        policy = retrying(attempts=self.retries + 1, base_s=self.backoff_base_s, max_s=self.backoff_max_s,
                          what=f"Card operator {method} {path}", sleep=self.sleep)
        try:
            for attempt in policy:
                with attempt:
                    return self.breaker.call(self._attempt, method, path, **kwargs)
        except TransientError as exc:
            raise OperatorUnavailable(f"{method} {path} failed after {self.retries + 1} attempts: {exc}") from exc
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    def fetch_cards(self, card_numbers: Sequence[str]) -> FetchResult:
        payload = self._request("POST", "/v1/cards/balances", json={"card_numbers": list(card_numbers)})
        if not isinstance(payload, dict) or not isinstance(payload.get("cards"), list):
            raise OperatorError("batch response has no 'cards' list")
        cards = {state.card_number: state for state in map(CardState.parse, payload["cards"])}
        return FetchResult(cards=cards, unknown=[str(n) for n in payload.get("unknown") or []])

    def verify_card(self, card_number: str) -> tuple[CardState, Verification] | None:
        """The operator's word on one card before it is linked (None: unknown to the operator).

        The number travels in the body (never in a URL that proxies and access logs keep).
        """
        try:
            raw = self._request("POST", "/v1/cards/verify", json={"card_number": card_number})
        except OperatorError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise
        state = CardState.parse(raw)
        card_type = str(raw.get("card_type") or "기타")
        age_group = str(raw.get("target_age_group") or "기타")
        verification = Verification(
            status=state.status, card_type=card_type if card_type in CARD_TYPES else "기타",
            target_age_group=age_group if age_group in AGE_GROUPS else "기타", balance=state.balance,
            daily_limit=state.daily_limit, monthly_limit=state.monthly_limit)
        return state, verification

    def fetch_card(self, card_number: str) -> CardState | None:
        try:
            return CardState.parse(self._request("GET", f"/v1/cards/{card_number}"))
        except OperatorError as exc:
            if "HTTP 404" in str(exc):
                return None
            raise


@dataclass
class SyncReport:
    requested: int = 0       # cards we asked about
    fetched: int = 0         # card states received
    updated: int = 0         # rows whose figures changed (and got last_sync_at)
    unchanged: int = 0       # rows confirmed as they were (only last_sync_at)
    unknown: int = 0         # card numbers the operator does not know
    failed: int = 0          # cards not synced because a batch failed or the breaker was open
    breaker_open: bool = False
    errors: list[str] = field(default_factory=list)
    duration_ms: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _differs(card: FoodcardUser, state: CardState) -> bool:
    return any(getattr(card, name) != getattr(state, name) for name in SYNCED_FIELDS)


def apply_states(session: Session, states: Iterable[CardState], now: datetime) -> tuple[list[int], int]:
    """Write fetched states; returns (user ids whose figures changed, unchanged row count)."""
    # Card numbers are encrypted at rest: rows are found by their keyed hash.
    states = {lookup_hash(s.card_number): s for s in states}
    if not states:
        return [], 0
    now_utc = now.astimezone(timezone.utc)
    rows = session.scalars(
        select(FoodcardUser).where(FoodcardUser.card_number_hash.in_(list(states))).with_for_update()
    ).all()
    changed_users: list[int] = []
    unchanged_ids: list[int] = []
    for card in rows:
        state = states[card.card_number_hash]
        if not _differs(card, state):
            unchanged_ids.append(card.id)
            continue
        values: dict[str, Any] = {name: getattr(state, name) for name in SYNCED_FIELDS}
        values["last_sync_at"] = now_utc
        if state.balance >= card.balance_alert_threshold:
            values["balance_alert_sent"] = False  # back above the threshold: re-arm the alert
        session.execute(update(FoodcardUser).where(FoodcardUser.id == card.id).values(**values)
                        .execution_options(synchronize_session=False))
        changed_users.append(card.user_id)
    if unchanged_ids:
        session.execute(update(FoodcardUser).where(FoodcardUser.id.in_(unchanged_ids))
                        .values(last_sync_at=now_utc).execution_options(synchronize_session=False))
    return changed_users, len(unchanged_ids)


def _card_numbers(url: str | None) -> list[str]:
    with unit_of_work(url) as session:
        return list(session.scalars(
            select(FoodcardUser.card_number).where(FoodcardUser.card_number.is_not(None))
            .order_by(FoodcardUser.id)
        ))


def sync_balances(url: str | None = None, *, client: CardOperatorClient | None = None,
                  now: datetime | None = None, card_numbers: Sequence[str] | None = None,
                  batch_size: int | None = None) -> SyncReport:
    """Pull every card (or ``card_numbers``) from the operator and store what changed."""
    started = time.perf_counter()
    settings = get_balance_settings()
    client = client or CardOperatorClient.from_settings(settings)
    batch_size = max(1, min(batch_size or settings.batch_size, 100))
    numbers = list(card_numbers) if card_numbers is not None else _card_numbers(url)
    report = SyncReport(requested=len(numbers))
    for start in range(0, len(numbers), batch_size):
        batch = numbers[start:start + batch_size]
        try:
            result = client.fetch_cards(batch)
        except CircuitOpenError as exc:
            report.breaker_open = True
            report.failed += len(numbers) - start
            report.errors.append(str(exc))
            break
        except (OperatorUnavailable, OperatorError) as exc:
            report.failed += len(batch)
            report.errors.append(str(exc))
            log.warning("Card sync batch of %d failed: %s", len(batch), exc)
            continue
        moment = now or datetime.now(timezone.utc)
        with unit_of_work(url) as session:
            changed, unchanged = apply_states(session, result.cards.values(), moment)
        invalidate_users(changed)  # after the commit
        report.fetched += len(result.cards)
        report.updated += len(changed)
        report.unchanged += unchanged
        report.unknown += len(result.unknown)
    report.breaker_open = report.breaker_open or is_open(client.breaker)
    report.duration_ms = int((time.perf_counter() - started) * 1000)
    log.info("Card sync: %s", report.as_dict())
    return report


def fetch_card_state(card_number: str, client: CardOperatorClient | None = None) -> CardState | None:
    """Ask the operator for one card now (on demand; call it outside any transaction).

    None when no operator is configured, the card is unknown to it, or it is unavailable
    (breaker open, timeouts: one fast attempt). Never raises for an operator problem.
    """
    settings = get_balance_settings()
    if client is None and not settings.base_url:
        return None
    client = client or CardOperatorClient.from_settings(
        settings, retries=0, timeout_s=min(settings.timeout_s, 1.5))
    try:
        return client.fetch_card(card_number)
    except (CircuitOpenError, OperatorUnavailable, OperatorError) as exc:
        log.info("On-demand card refresh failed: %s", exc)
        return None


def refresh_card(session: Session, user_id: int, now: datetime,
                 client: CardOperatorClient | None = None) -> bool:
    """On-demand refresh of one user's card inside the caller's transaction.

    Returns True when the operator answered (changed or not). Never raises for an
    operator problem: the stored figure stays and is reported as possibly stale.
    (The balance-check use case calls ``fetch_card_state`` outside its transaction instead.)
    """
    settings = get_balance_settings()
    if client is None and not settings.base_url:
        return False
    number = session.scalar(select(FoodcardUser.card_number).where(FoodcardUser.user_id == user_id))
    if not number:
        return False
    state = fetch_card_state(number, client)
    if state is None:
        return False
    changed, _ = apply_states(session, [state], now)
    if changed:
        from naviyam.adapters.db.invalidation import invalidate_after_commit

        invalidate_after_commit(session, changed)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Sync meal-card balances from the card operator")
    parser.add_argument("--once", action="store_true", help="one pass, then exit (default)")
    parser.add_argument("--interval", type=int, default=0,
                        help="seconds between passes (seed: 300); 0 = one pass")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    if not get_balance_settings().base_url:
        raise SystemExit("NAVIYAM_CARD_OPERATOR_URL is not set: nothing to sync from")
    while True:
        report = sync_balances()
        print(report.as_dict(), flush=True)
        if args.once or args.interval <= 0:
            break
        time.sleep(args.interval)


if __name__ == "__main__":
    main()
