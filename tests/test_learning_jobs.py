"""Scheduled jobs (issue 15): the EMA and quality arithmetic on fixed data, one run per slot
however many schedulers fire it, old values kept when a job fails, the reminder rules."""
from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from naviyam.adapters.db.models import RecommendationLog, Shop
from naviyam.adapters.db.models.learning import JobRun, ShopDailyStat
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain.learning import ShopWindow, ema, popularity_update, quality_score, window_score
from naviyam.usecases.learning import jobs as jobs_module
from naviyam.usecases.learning.jobs import Job, run_job, slot_of


def test_window_score_and_ema_on_fixed_numbers():
    # shop 1: 10 views (the most), 5 choices, ratings 4 and 5 → 0.4·1 + 0.4·0.5 + 0.2·0.875 = 0.775
    assert window_score(ShopWindow(10, 5, 9.0, 2), 10) == pytest.approx(0.775)
    # shop 2: 5 views, 1 choice, no ratings → (0.4·0.5 + 0.4·0.2) / 0.8 = 0.35
    assert window_score(ShopWindow(5, 1), 10) == pytest.approx(0.35)
    assert ema(0.5, 0.775) == pytest.approx(0.583)  # 0.7·0.5 + 0.3·0.775 = 0.5825
    new = popularity_update({1: 0.5, 2: 0.2, 3: 0.9}, {1: ShopWindow(10, 5, 9.0, 2), 2: ShopWindow(5, 1)})
    assert new == {1: 0.583, 2: 0.245}  # shop 3 was not shown: it keeps its score


def test_quality_is_a_bayesian_average_with_the_current_score_as_prior():
    assert quality_score(0.6, 0.0, 0) == 0.6
    # prior rating 1 + 4·0.5 = 3 worth 5 ratings; five 5-star ratings → mean 4 → (4-1)/4 = 0.75
    assert quality_score(0.5, 25.0, 5) == 0.75


def _log(session, shown: list[int], chosen: int | None, rating: int | None, at: datetime) -> None:
    session.add(RecommendationLog(
        session_id=uuid.uuid4(), request_intent="FOOD_REQUEST", request_entities={},
        recommendations=[{"shop_id": s} for s in shown], recommendation_count=len(shown),
        recommendation_method="HYBRID", user_final_selection=chosen, feedback_rating=rating, timestamp=at))


@pytest.fixture()
def two_shops(loaded_database_url):
    with unit_of_work() as session:
        ids = session.scalars(select(Shop.id).order_by(Shop.id).limit(2)).all()
        old = {s.id: (s.popularity_score, s.quality_score)
               for s in session.scalars(select(Shop).where(Shop.id.in_(ids)))}
        for shop in session.scalars(select(Shop).where(Shop.id.in_(ids))):
            shop.popularity_score, shop.quality_score = Decimal("0.500"), Decimal("0.500")
    yield ids
    with unit_of_work() as session:
        for shop in session.scalars(select(Shop).where(Shop.id.in_(ids))):
            shop.popularity_score, shop.quality_score = old[shop.id]


def test_popularity_job_moves_only_the_shops_shown_in_its_window(two_shops):
    a, b = two_shops
    slot = datetime(2031, 3, 4, 12, 5, tzinfo=timezone.utc)
    with unit_of_work() as session:
        for _ in range(2):
            _log(session, [a, b], a, 5, slot - timedelta(minutes=2))
        _log(session, [a], None, None, slot - timedelta(minutes=9))  # outside the window
    outcome = run_job("popularity-ema", slot)
    assert outcome.status == "succeeded" and outcome.rows == 2
    with unit_of_work() as session:
        scores = {s.id: float(s.popularity_score) for s in session.scalars(select(Shop).where(Shop.id.in_([a, b])))}
    # a: views 2/2, choices 2/2, rating 5 → 1.0 → 0.7·0.5 + 0.3 = 0.65; b: views 1, choices 0 → 0.5 → 0.5
    assert scores == {a: 0.65, b: 0.5}
    assert run_job("popularity-ema", slot + timedelta(seconds=30)).status == "skipped"  # same slot
    with unit_of_work() as session:
        session.execute(delete(RecommendationLog).where(RecommendationLog.timestamp < slot,
                                                        RecommendationLog.timestamp > slot - timedelta(minutes=10)))


def test_quality_and_daily_aggregates_from_ratings(two_shops):
    a, _ = two_shops
    day = datetime(2031, 3, 5, 10, 0, tzinfo=timezone.utc)
    with unit_of_work() as session:
        for rating in (5, 5, 5, 5, 5):
            _log(session, [a], a, rating, day)
    run = run_job("quality-scores", day + timedelta(days=1))
    assert run.status == "succeeded" and run.rows >= 1
    aggregated = run_job("daily-aggregates", day + timedelta(days=1))
    assert aggregated.status == "succeeded"
    with unit_of_work() as session:
        assert float(session.get(Shop, a).quality_score) == 0.75
        stat = session.scalars(select(ShopDailyStat).where(ShopDailyStat.shop_id == a)).one()
        assert (stat.impressions, stat.selections, stat.feedback_count, float(stat.avg_rating)) == (5, 5, 5, 5.0)
        session.execute(delete(RecommendationLog).where(RecommendationLog.timestamp == day))


def test_two_schedulers_firing_the_same_slot_run_it_once(loaded_database_url, monkeypatch):
    calls: list[datetime] = []
    barrier = threading.Barrier(2)

    def slow(slot: datetime) -> int:
        calls.append(slot)
        return 7

    name = f"test-job-{uuid.uuid4().hex[:6]}"
    monkeypatch.setitem(jobs_module.JOBS, name, Job(name, "test", {"trigger": "interval", "minutes": 5},
                                                    timedelta(minutes=5), slow))
    outcomes = []

    def replica(offset_s: int) -> None:
        barrier.wait()
        outcomes.append(run_job(name, datetime(2031, 1, 1, 9, 0, offset_s, tzinfo=timezone.utc)))

    threads = [threading.Thread(target=replica, args=(s,)) for s in (1, 40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(o.status for o in outcomes) == ["skipped", "succeeded"]
    assert len(calls) == 1
    with unit_of_work() as session:
        runs = session.scalars(select(JobRun).where(JobRun.job_name == name)).all()
    assert [(r.status, r.rows) for r in runs] == [("succeeded", 7)] and runs[0].finished_at is not None


def test_a_failing_job_records_the_error_and_keeps_old_values(two_shops, monkeypatch):
    a, _ = two_shops

    def broken(slot: datetime) -> int:
        with unit_of_work() as session:
            session.get(Shop, a).popularity_score = Decimal("0.999")
            raise RuntimeError("card operator answered nonsense")

    name = f"broken-{uuid.uuid4().hex[:6]}"
    monkeypatch.setitem(jobs_module.JOBS, name, Job(name, "test", {"trigger": "cron", "hour": 1},
                                                    timedelta(days=1), broken))
    outcome = run_job(name, datetime(2031, 2, 2, 1, 0, tzinfo=timezone.utc))
    assert outcome.status == "failed" and "nonsense" in outcome.error
    with unit_of_work() as session:
        assert float(session.get(Shop, a).popularity_score) == 0.5
        run = session.scalars(select(JobRun).where(JobRun.job_name == name)).one()
        assert run.status == "failed" and "nonsense" in run.error


def test_slots_are_floored_in_local_time():
    job = jobs_module.JOBS["popularity-ema"]
    assert slot_of(job, datetime(2031, 1, 1, 3, 7, 59, tzinfo=timezone.utc)).isoformat() == "2031-01-01T12:05:00+09:00"
    daily = jobs_module.JOBS["maintenance"]
    assert slot_of(daily, datetime(2031, 1, 1, 16, 0, tzinfo=timezone.utc)).isoformat() == "2031-01-02T00:00:00+09:00"
