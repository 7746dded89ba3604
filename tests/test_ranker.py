"""Wide&Deep ranker: trains on simulated interactions, is versioned, serves in numpy, beats the baseline."""
from __future__ import annotations

import json
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from naviyam.domain.recommend.features import N_DENSE
from naviyam.adapters.ranking_model import (
    PopularityBaseline, WideDeepScorer, get_ranker, latest_version, load_scorer,
)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
KST = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def trained(loaded_database_url, tmp_path_factory):
    from ml.ranking.train_wide_deep import train
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.adapters.db.catalog import load_catalog

    with unit_of_work(loaded_database_url) as session:
        catalog = load_catalog(session)
    ranker_dir = tmp_path_factory.mktemp("ranker")
    metrics = train(catalog, users=60, epochs=3, sessions=(10, 16), seed=3, ranker_dir=ranker_dir)
    return ranker_dir, metrics, catalog


def test_training_beats_popularity_baseline(trained):
    _dir, metrics, _catalog = trained
    wd, base = metrics["wide_deep"], metrics["popularity_baseline"]
    assert metrics["rows_test"] > 500
    assert wd["auc"] > base["auc"] + 0.05
    assert wd["ndcg@5"] > base["ndcg@5"]
    assert wd["preferred_top5"]["mean_share"] > base["preferred_top5"]["mean_share"]
    assert metrics["tastes"] == "affordable"
    assert wd["preferred_top5_uniform_tastes"]["users"] > 0


def test_affordable_tastes_are_within_reach_and_uniform_tastes_are_not_limited(trained):
    from ml.ranking.simulator import FAVOURITE_CANDIDATES, affordable_supply, make_users

    _dir, _m, catalog = trained
    users = make_users(90, np.random.default_rng(5), catalog, "affordable")
    for user in users:
        supply = affordable_supply(catalog, user.home, user.budget)
        assert all(supply[FAVOURITE_CANDIDATES.index(c)] > 0 for c in user.favourites), user
        assert user.favourites[0] != user.favourites[1]
    uniform = make_users(300, np.random.default_rng(5), catalog, "uniform")
    out_of_reach = [u for u in uniform if any(
        affordable_supply(catalog, u.home, u.budget)[FAVOURITE_CANDIDATES.index(c)] == 0 for c in u.favourites)]
    assert out_of_reach, "uniform tastes should include categories nobody can afford nearby"
    with pytest.raises(ValueError):
        make_users(1, np.random.default_rng(0), catalog, "random")


def test_model_is_versioned_and_loads(trained):
    ranker_dir, metrics, _catalog = trained
    version = latest_version(ranker_dir)
    assert version and (ranker_dir / "latest").read_text().strip() == version
    meta = json.loads((ranker_dir / version / "metadata.json").read_text())
    assert meta["metrics"]["wide_deep"]["auc"] == pytest.approx(metrics["wide_deep"]["auc"])
    scorer = get_ranker(ranker_dir)
    assert isinstance(scorer, WideDeepScorer) and scorer.method == "WIDE_DEEP"


def test_numpy_serving_matches_keras(trained):
    import tensorflow as tf

    ranker_dir, _m, _c = trained
    version = latest_version(ranker_dir)
    keras_model = tf.keras.models.load_model(ranker_dir / version / "model.keras", safe_mode=False)
    scorer = load_scorer(ranker_dir)
    rng = np.random.default_rng(0)
    dense = rng.random((16, N_DENSE)).astype(np.float32)
    crosses = rng.integers(0, 4096, (16, 5)).astype(np.int32)
    expected = keras_model({"dense": dense, "crosses": crosses}).numpy()[:, 0]
    np.testing.assert_allclose(scorer.predict(dense, crosses), expected, rtol=1e-4, atol=1e-5)
    contributions = scorer.contributions(dense[:2], crosses[:2])
    assert len(contributions) == 2 and all(len(c) <= 3 for c in contributions)


def test_missing_model_falls_back_to_baseline(tmp_path):
    assert isinstance(get_ranker(tmp_path / "nothing-here"), PopularityBaseline)


def test_service_ranks_with_the_model(trained, db_session, monkeypatch, cache):
    from naviyam.domain.recommend.request import RecommendationRequest
    from naviyam.usecases.recommend import recommend

    ranker_dir, _m, _c = trained
    monkeypatch.setenv("NAVIYAM_RANKER_DIR", str(ranker_dir))
    monkeypatch.setenv("NAVIYAM_INDEX_AUTOBUILD", "0")
    result = recommend(db_session, RecommendationRequest(
        now=datetime(2026, 11, 17, 12, 30, tzinfo=KST), user_id=None, session_key="t-wd",
        stated_budget=8000, place_name="신촌"))
    assert result.method == "WIDE_DEEP"
    assert result.items and all(i.feature_contributions for i in result.items)
    assert result.items[0].score >= min(i.score for i in result.items) - 1e-6


def test_pick_rate_is_relative_to_what_was_shown():
    from naviyam.domain.recommend.features import CATEGORY_INDEX, pick_rate

    neutral = pick_rate([], [])
    assert np.allclose(neutral, 0.5)
    shown = ["분식"] * 2 + ["한식"] * 12 + ["중식"] * 6
    picked = ["분식", "분식", "한식", "한식", "한식"]
    rate = pick_rate(picked, shown)
    assert rate[CATEGORY_INDEX["분식"]] > rate[CATEGORY_INDEX["한식"]] > rate[CATEGORY_INDEX["중식"]]
    assert rate[CATEGORY_INDEX["중식"]] < 0.5 < rate[CATEGORY_INDEX["분식"]]
    assert rate[CATEGORY_INDEX["피자"]] == pytest.approx(0.5)      # never shown: no evidence either way
    # Page size does not change the scale: three times the items shown, the same picks.
    tripled = pick_rate(picked, shown * 3)
    assert tripled[CATEGORY_INDEX["분식"]] == pytest.approx(rate[CATEGORY_INDEX["분식"]], abs=0.06)


def test_old_versions_are_pruned_but_latest_and_pinned_stay(tmp_path):
    from naviyam.adapters.ranking_model import prune_versions

    versions = [f"2026110{d}120000" for d in range(1, 8)]
    for v in versions:
        (tmp_path / v).mkdir()
        (tmp_path / v / "weights.npz").write_bytes(b"x")
    (tmp_path / "latest").write_text(versions[2] + "\n")      # rolled back to an older one
    removed = prune_versions(tmp_path, keep=3, protect={versions[0]})
    left = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())
    assert left == [versions[0], versions[2]] + versions[-3:]
    assert sorted(removed) == [versions[1], versions[3]]
    assert prune_versions(tmp_path, keep=0) == []
