"""Training from logged lists (issue 15; docs/LEARNING_LOOP.md): logged impressions and choices
become training rows, simulated data fills in below the minimum (each row's source counted on
the registry row), a training_jobs row records the run, the candidate's SNIPS estimate and the
offline evaluation through recommend() land in its metrics. Small: a few users, one epoch."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from naviyam.adapters.db.catalog import load_catalog
from naviyam.adapters.db.models import RecommendationLog
from naviyam.adapters.db.models.learning import ModelVersion, TrainingJob
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.learning import registry
from naviyam.usecases.learning.logged_data import load_logged_lists
from naviyam.usecases.learning.serving import forget_snapshot
from tests.test_ranker_serving import PLACES, ask, clean_registry  # noqa: F401 - the fixture


@pytest.fixture()
def logged_lists(clean_registry, db_session):
    clean_registry.setenv("NAVIYAM_EXPLORATION_RATE", "0.5")
    ids = []
    for minutes in range(0, 50, 5):
        for name in PLACES:
            _uid, result = ask(db_session, name, minutes=minutes)
            if result.items:
                ids.append((result.log_id, result.items[0].shop_id))
    for log_id, shop in ids[::3]:
        db_session.execute(update(RecommendationLog).where(RecommendationLog.id == log_id)
                           .values(user_final_selection=shop))
    db_session.flush()
    wanted = {i for i, _s in ids}
    return [item for item in load_logged_lists(db_session) if item.log_id in wanted]


def test_logged_rows_train_a_ranker_with_simulated_fill_marked_and_snips_stored(logged_lists, tmp_path):
    pytest.importorskip("tensorflow")
    from ml.ranking.train_wide_deep import train

    with unit_of_work() as session:
        catalog = load_catalog(session)
    job_id = registry.start_training_job("ranker", {"users": 30})
    metrics = train(catalog, users=30, epochs=1, sessions=(4, 6), seed=3, ranker_dir=tmp_path, logged=logged_lists,
                    min_logged_lists=10_000, heldout_percent=50.0, offline_requests=1,
                    extra={"training_job_id": job_id})
    data = metrics["data"]
    assert data["source"] == "logged+simulated" and "< 10000" in data["fill_reason"]
    assert data["logged_rows"] > 0 and data["simulated_rows"] > 0
    assert data["logged_lists"] + data["heldout_logged_lists"] == len(logged_lists)
    assert metrics["rows_train"] == data["logged_rows"] + data["simulated_rows"]
    snips = metrics["snips"]
    if data["heldout_logged_lists"]:
        assert snips["lists"] == data["heldout_logged_lists"] and snips["effective_sample_size"] > 0
    offline = metrics["offline_eval"]
    assert "simulator" in offline["note"]
    for name in ("wide_deep", "popularity_baseline"):
        assert offline[name]["requests"] > 0 and 0 <= offline[name]["choice_rate"] <= 1
    registry.finish_training_job(job_id, metrics=metrics, path=metrics["saved_to"])
    version = metrics["saved_to"].rsplit("/", 1)[-1]
    try:
        row = registry.record_trained_ranker(tmp_path, version)
        assert row.training_job_id == job_id
        assert row.training_data_stats["logged_rows"] == data["logged_rows"]
        assert row.training_data_stats["simulated_rows"] == data["simulated_rows"]
        assert row.training_data_stats["source"] == "logged+simulated"
        assert "snips" in row.performance_metrics and "offline_eval" in row.performance_metrics
        with unit_of_work() as session:
            job = session.get(TrainingJob, job_id)
            assert job.status == "completed" and job.end_time is not None
            assert job.data_window["logged"] == data["logged_rows"]
            assert job.data_count == metrics["rows_train"]
    finally:
        with unit_of_work() as session:
            session.execute(update(ModelVersion).where(ModelVersion.version == version)
                            .values(deployment_status="deprecated"))
        forget_snapshot()


def test_with_enough_logged_lists_the_ranker_trains_on_them_alone(logged_lists):
    from ml.ranking.train_wide_deep import training_set

    with unit_of_work() as session:
        catalog = load_catalog(session)
    data = training_set(catalog, logged_lists, users=6, sessions=(3, 4), seed=2, tastes="uniform",
                        min_logged_lists=1, heldout_percent=0.0)
    stats = data["stats"]
    assert stats["logged_lists"] == len(logged_lists) and stats["heldout_logged_lists"] == 0
    if stats["fill_reason"] is None:              # every serving feature varied in the logged rows
        assert stats["source"] == "logged" and stats["simulated_rows"] == 0
    else:                                         # a constant column: simulated rows fill in, marked
        assert stats["fill_reason"].startswith("constant columns") and stats["simulated_rows"] > 0
    assert list(data["source"]).count("logged") == stats["logged_rows"] > 0


def test_a_failed_training_run_is_recorded(loaded_database_url):
    job_id = registry.start_training_job("ranker", {"users": 1}, triggered_by="test")
    registry.finish_training_job(job_id, error="ValueError: constant feature columns")
    with unit_of_work() as session:
        job = session.get(TrainingJob, job_id)
        assert job.status == "failed" and "constant" in job.error_message and job.end_time is not None
        assert session.scalar(select(TrainingJob.triggered_by).where(TrainingJob.id == job_id)) == "test"
