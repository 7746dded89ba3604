"""Model registry and canary (issue 15): the hashed split is stable per user and near its share;
a worse canary is rolled back, a canary that is not worse is promoted."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from naviyam.adapters.db.models import RecommendationLog, Shop
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain.learning import canary_bucket, canary_verdict, in_canary
from naviyam.usecases.learning import registry


def test_canary_split_is_stable_per_user_and_close_to_its_share():
    users = [f"kakao:user{i}" for i in range(5000)]
    first = [in_canary(u, "recommendation:v2", 10.0) for u in users]
    assert first == [in_canary(u, "recommendation:v2", 10.0) for u in users]  # same answer every time
    assert 0.08 < sum(first) / len(users) < 0.12
    # another candidate model draws another 10 %: the same users are not always the guinea pigs
    other = [in_canary(u, "recommendation:v3", 10.0) for u in users]
    assert sum(a and b for a, b in zip(first, other)) < 0.03 * len(users)
    assert 0 <= canary_bucket("x", "y") < 100


def test_verdict_waits_for_the_minimum_sample():
    assert canary_verdict(0.3, 0.1, 50, 100) == "wait"
    assert canary_verdict(0.3, 0.31, 100, 100) == "promote"
    assert canary_verdict(0.3, 0.2, 100, 100) == "rollback"


def _lists(ranker: str, chosen: int, total: int, at: datetime) -> None:
    with unit_of_work() as session:
        for _ in range(total):
            session.add(RecommendationLog(
                session_id=uuid.uuid4(), request_intent="FOOD_REQUEST", request_entities={},
                recommendations=[], recommendation_count=0, recommendation_method="WIDE_DEEP",
                filtering_steps={"ranker": ranker}, timestamp=at))
    if chosen:
        with unit_of_work() as session:
            ids = session.scalars(select(RecommendationLog.id).where(
                RecommendationLog.filtering_steps["ranker"].as_string() == ranker).limit(chosen)).all()
            shop = session.scalar(select(Shop.id).limit(1))
            session.execute(update(RecommendationLog).where(RecommendationLog.id.in_(ids))
                            .values(user_final_selection=shop))


def test_registry_rolls_back_a_worse_canary_and_promotes_a_better_one(loaded_database_url):
    kind = "rag"  # a kind no other test registers, judged by the rankers' measure
    tag = uuid.uuid4().hex[:6]
    v1, v2, v3 = (f"{tag}-{n}" for n in (1, 2, 3))
    assert registry.register(kind, v1, f"models/{v1}", {"auc": 0.7}).deployment_status == "production"
    assert registry.register(kind, v2, f"models/{v2}", {"auc": 0.72}).deployment_status == "canary"
    state = registry.serving(kind)
    assert (state.production, state.canary, state.canary_percent) == (v1, v2, 10.0)
    user = next(f"u{i}" for i in range(1000) if in_canary(f"u{i}", f"{kind}:{v2}", 10.0))
    assert registry.version_for(kind, user) == v2
    later = datetime.now(timezone.utc) + timedelta(seconds=5)
    _lists(f"wide-deep-{v1}", 40, 100, later)
    _lists(f"wide-deep-{v2}", 5, 30, later)
    measure = registry.ranker_choice_rate
    assert registry.judge_canary(kind, min_samples=50, measure=measure) == "wait"
    _lists(f"wide-deep-{v2}", 0, 30, later)
    assert registry.judge_canary(kind, min_samples=50, measure=measure) == "rollback"
    assert registry.serving(kind).canary is None and registry.version_for(kind, user) == v1
    registry.register(kind, v3, f"models/{v3}", {"auc": 0.75})
    _lists(f"wide-deep-{v3}", 40, 60, later + timedelta(seconds=5))
    assert registry.judge_canary(kind, min_samples=50, measure=measure) == "promote"
    state = registry.serving(kind)
    assert (state.production, state.canary) == (v3, None)
    statuses = {r.version: r.deployment_status for r in registry.registry_rows() if r.model_type == kind}
    assert statuses == {v1: "deprecated", v2: "rolled_back", v3: "production"}


def test_snips_on_fixed_logged_decisions():
    from naviyam.domain.learning import snips

    # the logging policy showed each action with probability 0.5; the candidate would show the
    # first two with certainty and never the third: its estimate is their mean reward
    assert snips([1.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.5, 0.5, 0.5]) == 0.5
    assert snips([1.0, 1.0], [0.2, 0.8], [0.5, 0.25]) == (0.4 + 3.2) / (0.4 + 3.2)


def test_a_trained_ranker_is_registered_once(loaded_database_url, tmp_path):
    import json

    version = f"t{uuid.uuid4().hex[:8]}"
    (tmp_path / version).mkdir()
    (tmp_path / version / "metadata.json").write_text(json.dumps(
        {"version": version, "metrics": {"rows_train": 80, "rows_test": 20, "wide_deep": {"auc": 0.7}},
         "training_data": "simulated (affordable tastes)", "epochs": 3}), encoding="utf-8")
    row = registry.record_trained_ranker(tmp_path, version)
    assert row is not None and row.performance_metrics["wide_deep"]["auc"] == 0.7
    assert row.training_data_stats == {"simulated_rows": 100, "logged_rows": 0}
    assert registry.record_trained_ranker(tmp_path, version) is None


def test_weekly_retrain_job_trains_and_registers_and_the_canary_job_judges(loaded_database_url, recommender_env):
    from naviyam.adapters.ranking_model import latest_version
    from naviyam.config import get_recommend_settings
    from naviyam.usecases.learning.jobs import JOBS, run_job

    assert JOBS["ranker-retrain"].trigger["day_of_week"] == "mon" and "canary-judge" in JOBS
    slot = datetime(2032, 5, 3, 3, 40, tzinfo=timezone.utc)  # a slot no other test uses
    before = {r.version for r in registry.registry_rows() if r.model_type == "recommendation"}
    outcome = run_job("ranker-retrain", slot)
    assert outcome.status == "succeeded" and outcome.rows == 1, outcome
    trained = latest_version(get_recommend_settings().ranker_dir)
    rows = {r.version: r for r in registry.registry_rows() if r.model_type == "recommendation"}
    assert trained in rows and trained not in before
    assert rows[trained].deployment_status in ("production", "canary")
    assert rows[trained].training_data_stats["simulated_rows"] > 0  # no logged lists in this database
    assert run_job("ranker-retrain", slot).status == "skipped"  # once per slot, also with replicas
    assert run_job("canary-judge", slot).status == "succeeded"
