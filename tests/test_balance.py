"""Spendable budget, low-balance alert (once per 24 h, also under concurrency), stale flag."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from helpers_coupons import make_card, make_user
from naviyam.usecases import low_balance as alerts
from naviyam.usecases.balance.budget import compute_budget, effective_spent, spendable_budget
from naviyam.adapters.card_operator import operator_breaker
from naviyam.usecases.coupons import issuance
from naviyam.adapters.db.models import FoodcardUser
from naviyam.adapters.db.session import unit_of_work

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2025, 3, 10, 12, 0, tzinfo=SEOUL)


def card(**kw):
    base = dict(status="ACTIVE", balance=20000, daily_limit=9000, monthly_limit=150000, daily_spent=0,
                monthly_spent=0, spent_as_of=NOW.date(), balance_alert_threshold=5000,
                last_sync_at=NOW - timedelta(minutes=3))
    base.update(kw)
    return SimpleNamespace(**base)


BUDGET_CASES = [
    # (id, card overrides, amount, daily_remaining, monthly_remaining, limited_by)
    ("daily limit binds", {}, 9000, 9000, 150000, "daily"),
    ("spent today", {"daily_spent": 6000, "monthly_spent": 40000}, 3000, 3000, 110000, "daily"),
    ("balance binds", {"balance": 2500}, 2500, 9000, 150000, "balance"),
    ("monthly binds", {"monthly_spent": 146000}, 4000, 9000, 4000, "monthly"),
    ("daily resets on a new day", {"daily_spent": 9000, "monthly_spent": 20000,
                                   "spent_as_of": date(2025, 3, 9)}, 9000, 9000, 130000, "daily"),
    ("month resets too", {"daily_spent": 9000, "monthly_spent": 150000,
                          "spent_as_of": date(2025, 2, 28)}, 9000, 9000, 150000, "daily"),
    ("overspent clamps at 0", {"daily_spent": 12000}, 0, 0, 150000, "daily"),
    ("no limits", {"daily_limit": None, "monthly_limit": None}, 20000, None, None, "balance"),
    ("unknown spending date counts", {"daily_spent": 4000, "spent_as_of": None}, 5000, 5000, 150000, "daily"),
]


@pytest.mark.parametrize("overrides,amount,daily,monthly,limited_by",
                         [c[1:] for c in BUDGET_CASES], ids=[c[0] for c in BUDGET_CASES])
def test_compute_budget(overrides, amount, daily, monthly, limited_by):
    budget = compute_budget(card(**overrides), NOW, freshness_s=600)
    assert (budget.amount, budget.daily_remaining, budget.monthly_remaining) == (amount, daily, monthly)
    assert budget.limited_by == limited_by
    assert budget.has_card and not budget.is_stale


def test_day_boundary_is_local_time():
    # 23:30 UTC on the 9th is 08:30 on the 10th in Seoul: yesterday's spending no longer counts.
    late_utc = datetime(2025, 3, 9, 23, 30, tzinfo=timezone.utc)
    budget = compute_budget(card(daily_spent=9000, spent_as_of=date(2025, 3, 9),
                                 last_sync_at=late_utc), late_utc, freshness_s=600)
    assert budget.daily_remaining == 9000
    assert effective_spent(100, 200, date(2025, 3, 9), date(2025, 3, 9)) == (100, 200)


def test_low_stale_and_cardless():
    assert compute_budget(card(balance=4999), NOW, freshness_s=600).is_low
    assert not compute_budget(card(balance=5000), NOW, freshness_s=600).is_low
    assert compute_budget(card(balance=6000, balance_alert_threshold=7000), NOW, freshness_s=600).is_low
    assert compute_budget(card(last_sync_at=NOW - timedelta(minutes=11)), NOW, freshness_s=600).is_stale
    assert compute_budget(card(last_sync_at=None), NOW, freshness_s=600).is_stale
    assert compute_budget(card(), NOW, freshness_s=600, breaker_open=True).is_stale
    none = compute_budget(None, NOW, freshness_s=600)
    assert none.amount is None and not none.has_card and not none.is_low
    lost = compute_budget(card(status="LOST"), NOW, freshness_s=600)
    assert lost.amount is None and not lost.has_card and lost.card_status == "LOST"


def test_spendable_budget_from_the_database(db_session, cache):
    now = datetime.now(SEOUL)
    user = make_user(db_session)
    make_card(db_session, user, balance=12000, daily_limit=9000, monthly_limit=100000,
              daily_spent=2000, monthly_spent=50000, spent_as_of=now.date(),
              last_sync_at=now - timedelta(minutes=2))
    budget = spendable_budget(db_session, user.id, now)
    assert (budget.amount, budget.balance, budget.daily_remaining, budget.monthly_remaining) == \
        (7000, 12000, 7000, 50000)
    assert budget.has_card and not budget.is_low and not budget.is_stale
    assert budget.as_payload()["last_sync_at"].endswith("+00:00")

    operator_breaker().open()
    assert spendable_budget(db_session, user.id, now).is_stale  # operator down → maybe stale
    operator_breaker().close()
    assert not spendable_budget(db_session, user.id, now).is_stale
    assert spendable_budget(db_session, make_user(db_session).id, now).amount is None


def test_low_balance_alert_once_per_24_hours(db_session, cache):
    now = datetime.now(SEOUL)
    user = make_user(db_session)
    row = make_card(db_session, user, balance=3000)
    assert alerts.should_alert(3000, 5000, True, None, now)
    assert alerts.claim_low_balance_alert(db_session, user.id, now)
    assert not alerts.claim_low_balance_alert(db_session, user.id, now + timedelta(hours=23, minutes=59))
    assert alerts.claim_low_balance_alert(db_session, user.id, now + timedelta(hours=24))
    db_session.refresh(row)
    assert row.balance_alert_sent
    assert not alerts.should_alert(3000, 5000, True, now, now + timedelta(hours=1))

    rich = make_user(db_session)
    make_card(db_session, rich, balance=5000)
    assert not alerts.claim_low_balance_alert(db_session, rich.id, now)
    assert not alerts.claim_low_balance_alert(db_session, make_user(db_session).id, now)


def test_handle_low_balance_alerts_and_issues_the_emergency_coupon(db_session, cache):
    now = datetime.now(SEOUL)
    user = make_user(db_session)
    make_card(db_session, user, balance=2000, last_sync_at=now)
    first = alerts.handle_low_balance(db_session, user.id, now)
    assert first.budget.is_low and first.alert
    assert first.emergency.issued and first.emergency.item.coupon_id == issuance.system_coupon_id(issuance.EMERGENCY)
    second = alerts.handle_low_balance(db_session, user.id, now + timedelta(minutes=5))
    assert not second.alert and not second.emergency.issued

    fine = make_user(db_session)
    make_card(db_session, fine, balance=30000)
    outcome = alerts.handle_low_balance(db_session, fine.id, now)
    assert not outcome.alert and outcome.emergency is None


def test_concurrent_alert_claims_alert_once(database_url, cache):
    now = datetime.now(SEOUL)
    with unit_of_work(database_url) as session:
        user = make_user(session)
        make_card(session, user, balance=1000)
        user_id = user.id
    barrier = threading.Barrier(16)

    def claim(_):
        barrier.wait(timeout=30)
        with unit_of_work(database_url) as session:
            return alerts.claim_low_balance_alert(session, user_id, now)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(claim, range(16)))
    assert results.count(True) == 1
    with unit_of_work(database_url) as session:
        stored = session.scalar(select(FoodcardUser.last_balance_alert_at)
                                .where(FoodcardUser.user_id == user_id))
    assert stored is not None
