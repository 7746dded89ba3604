"""Card operator sync against the local operator simulator (a fake of the third party).

Our own database and cache are real; only the card operator is simulated, on a free
port. Covers: only changed rows get new figures, unchanged rows only ``last_sync_at``;
timeouts are retried with back-off (tenacity); repeated failures open the breaker (pybreaker), which then
fails fast; the bot still answers and reports the balance as possibly stale.
"""
from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import select

from naviyam.adapters.crypto import lookup_hash

from helpers_coupons import make_card, make_user
from naviyam.shared import cache_keys
import pybreaker

from naviyam.adapters.resilience import CircuitOpenError, circuit_breaker, is_open
from naviyam.usecases.balance.budget import spendable_budget
from devtools.operator_simulator import OperatorSimulator, SimulatorThread
from naviyam.adapters.card_operator import (
    BREAKER_NAME,
    CardOperatorClient,
    OperatorError,
    OperatorUnavailable,
    refresh_card,
    sync_balances,
)
from naviyam.adapters.db.models import FoodcardUser
from naviyam.adapters.db.session import unit_of_work

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture()
def simulator():
    sim = OperatorSimulator(seed=7)
    server = SimulatorThread(sim)
    url = server.start()
    try:
        yield sim, url
    finally:
        server.stop()


def _breaker(fail_max: int, reset_s: int) -> pybreaker.CircuitBreaker:
    return circuit_breaker(BREAKER_NAME, fail_max=fail_max, reset_s=reset_s, exclude=[OperatorError])


def _client(url: str, breaker: pybreaker.CircuitBreaker, delays: list[float], **kw) -> CardOperatorClient:
    options = dict(timeout_s=0.3, retries=2, backoff_base_s=0.05, backoff_max_s=0.4,
                   breaker=breaker, sleep=delays.append)
    options.update(kw)
    return CardOperatorClient(url, **options)


def _cards(url: str, numbers: list[str]) -> dict[str, FoodcardUser]:
    with unit_of_work(url) as session:
        hashes = [lookup_hash(n) for n in numbers]  # encrypted at rest: look up by keyed hash
        rows = session.scalars(select(FoodcardUser).where(FoodcardUser.card_number_hash.in_(hashes))).all()
        return {r.card_number: r for r in rows}


def test_sync_updates_only_changed_rows(database_url, cache, simulator):
    sim, base_url = simulator
    now = datetime.now(SEOUL).replace(microsecond=0)
    old_sync = now - timedelta(hours=2)
    with unit_of_work(database_url) as session:
        changed_user, same_user, unknown_user = make_user(session), make_user(session), make_user(session)
        changed = make_card(session, changed_user, balance=15000, daily_limit=9000, monthly_limit=100000,
                            daily_spent=0, monthly_spent=20000, spent_as_of=now.date() - timedelta(days=1),
                            last_sync_at=old_sync)
        same = make_card(session, same_user, balance=8000, daily_limit=9000, monthly_limit=100000,
                         daily_spent=1000, monthly_spent=30000, spent_as_of=now.date(), last_sync_at=old_sync)
        unknown = make_card(session, unknown_user, balance=5000, last_sync_at=old_sync)
        numbers = [changed.card_number, same.card_number, unknown.card_number]
        ids = (changed_user.id, same_user.id)
    sim.put_card(numbers[0], balance=9000, daily_limit=9000, monthly_limit=100000, daily_spent=6000,
                 monthly_spent=26000, spent_as_of=now.date().isoformat())
    sim.put_card(numbers[1], balance=8000, daily_limit=9000, monthly_limit=100000, daily_spent=1000,
                 monthly_spent=30000, spent_as_of=now.date().isoformat())
    for uid in ids:
        cache.set(cache_keys.profile_key(uid), {"cached": True}, ttl=60)

    delays: list[float] = []
    client = _client(base_url, _breaker(3, 1), delays)
    report = sync_balances(database_url, client=client, now=now, card_numbers=numbers, batch_size=2)
    assert (report.requested, report.fetched, report.updated, report.unchanged, report.unknown,
            report.failed) == (3, 2, 1, 1, 1, 0)
    assert not report.breaker_open and client.attempts == 2 and delays == []

    rows = _cards(database_url, numbers)
    c, s, u = (rows[n] for n in numbers)
    assert (c.balance, c.daily_spent, c.monthly_spent, c.spent_as_of) == (9000, 6000, 26000, now.date())
    assert c.last_sync_at.replace(tzinfo=c.last_sync_at.tzinfo or timezone.utc) == now
    assert (s.balance, s.daily_spent) == (8000, 1000)
    assert s.last_sync_at.replace(tzinfo=s.last_sync_at.tzinfo or timezone.utc) == now
    assert u.last_sync_at.replace(tzinfo=u.last_sync_at.tzinfo or timezone.utc) == old_sync
    # Cached budget/recommendations of the changed user dropped, the unchanged one kept.
    assert cache.get(cache_keys.profile_key(ids[0])) is None
    assert cache.get(cache_keys.profile_key(ids[1])) == {"cached": True}

    # A second pass with nothing new changes no figures.
    again = sync_balances(database_url, client=client, now=now + timedelta(minutes=5), card_numbers=numbers)
    assert (again.updated, again.unchanged, again.unknown) == (0, 2, 1)


def test_timeouts_retry_then_breaker_opens_and_bot_reports_stale(database_url, cache, simulator):
    sim, base_url = simulator
    now = datetime.now(SEOUL)
    with unit_of_work(database_url) as session:
        user = make_user(session)
        card = make_card(session, user, balance=7000, last_sync_at=now - timedelta(minutes=1))
        number, user_id = card.card_number, user.id
    sim.put_card(number, balance=6500)
    sim.faults.latency_ms = 1500  # far beyond the client's 0.3 s timeout

    breaker = _breaker(3, 2)  # Redis keeps opened_at in whole seconds: open for 1-2 s
    delays: list[float] = []
    client = _client(base_url, breaker, delays)
    report = sync_balances(database_url, client=client, card_numbers=[number])
    print("DBG", client.breaker.current_state, client.breaker.fail_counter, type(client.breaker._state_storage), client.attempts, report)
    assert report.failed == 1 and report.updated == 0
    assert client.attempts == 3                      # first try + 2 retries
    assert len(delays) == 2
    # tenacity's wait_exponential_jitter: 0.05·2^n plus up to 0.025 s of jitter
    assert 0.05 <= delays[0] <= 0.075 and 0.1 <= delays[1] <= 0.125
    assert is_open(breaker) and report.breaker_open

    # Open breaker: fail fast, no request reaches the operator.
    before = sim.requests
    fast = sync_balances(database_url, client=client, card_numbers=[number])
    assert fast.breaker_open and fast.failed == 1 and sim.requests == before
    with pytest.raises(CircuitOpenError):
        client.fetch_cards([number])

    # The bot keeps working from the stored figure and says it may be stale.
    with unit_of_work(database_url) as session:
        budget = spendable_budget(session, user_id, now)
        assert budget.amount == 7000 and budget.is_stale
        assert refresh_card(session, user_id, now, client=client) is False

    # Operator recovers; after reset_s one trial call closes the breaker again.
    sim.faults.latency_ms = 0
    deadline = time.monotonic() + 5
    while is_open(breaker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_open(breaker)
    healed = sync_balances(database_url, client=client, card_numbers=[number], now=now)
    assert healed.updated == 1 and not healed.breaker_open
    assert breaker.current_state == "closed"
    with unit_of_work(database_url) as session:
        budget = spendable_budget(session, user_id, now)
        assert budget.balance == 6500 and not budget.is_stale


def test_server_errors_are_retried_and_client_errors_are_not(database_url, cache, simulator):
    sim, base_url = simulator
    delays: list[float] = []
    breaker = _breaker(10, 1)
    client = _client(base_url, breaker, delays, retries=3)
    sim.faults.down = True
    with pytest.raises(OperatorUnavailable):
        client.fetch_cards(["x"])
    assert client.attempts == 4 and len(delays) == 3 and sim.injected_failures == 4
    assert breaker.current_state == "closed"  # 4 < 10 failures
    sim.faults.down = False

    attempts = client.attempts
    assert client.fetch_card("does-not-exist") is None  # 404: no retry
    assert client.attempts == attempts + 1
    too_many = requests.post(base_url + "/v1/cards/balances", json={"card_numbers": ["1"] * 101}, timeout=5)
    assert too_many.status_code == 400


def test_refresh_card_on_demand(db_session, cache, simulator):
    sim, base_url = simulator
    now = datetime.now(SEOUL)
    user = make_user(db_session)
    card = make_card(db_session, user, balance=10000, last_sync_at=now - timedelta(hours=1))
    sim.put_card(card.card_number, balance=4000, spent_as_of=date.today().isoformat())
    client = _client(base_url, _breaker(3, 1), [], retries=0)
    assert spendable_budget(db_session, user.id, now).is_stale
    assert refresh_card(db_session, user.id, now, client=client)
    db_session.expire_all()
    budget = spendable_budget(db_session, user.id, now)
    assert budget.balance == 4000 and budget.is_low and not budget.is_stale


def test_simulator_seeds_cards_from_the_database(database_url, cache):
    from devtools.operator_simulator import cards_from_database

    now = datetime.now(SEOUL)
    with unit_of_work(database_url) as session:
        card = make_card(session, make_user(session), balance=4321, spent_as_of=now.date())
        number = card.card_number
    state = cards_from_database(database_url)[number]
    assert state["balance"] == 4321 and state["spent_as_of"] == now.date().isoformat()
