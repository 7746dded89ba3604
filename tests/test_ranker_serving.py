"""The serving path reads the model registry and logs propensities (issue 15; docs/LEARNING_LOOP.md).

Production serves everyone but the hashed canary share; the ranker a list was ranked by is the
version the registry serves (what ``judge_canary`` counts); an empty registry keeps the latest
ranker on disk; every served list logs its pool's propensities and serving features, which
become training rows and SNIPS data."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from sqlalchemy import select, update

from naviyam.adapters.db.models import RecommendationLog, User
from naviyam.adapters.db.models.feedback import RecommendationFeedback
from naviyam.adapters.db.models.learning import ModelVersion
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.ranking_model import DEEP_UNITS, load_scorer
from naviyam.domain.learning import in_canary
from naviyam.domain.recommend.features import FEATURE_NAMES, HASH_BUCKETS, N_CROSSES, N_DENSE
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.learning import registry
from naviyam.usecases.learning.logged_data import load_logged_lists, snips_of, training_rows
from naviyam.usecases.learning.serving import forget_snapshot
from naviyam.usecases.recommend import recommend

KST = ZoneInfo("Asia/Seoul")
LUNCH = datetime(2026, 11, 17, 12, 30, tzinfo=KST)
PLACES = {"demo_kid_01": (37.5404, 127.0693), "demo_teen_01": (37.5559, 126.9368),
          "demo_allergy_01": (37.5133, 126.9426), "demo_nocard_01": (37.5559, 126.9368),
          "demo_new_01": (37.5559, 126.9368)}


def save_tiny_ranker(folder, version: str, seed: int) -> str:
    """A Wide&Deep version on disk in the serving format (numpy weights, no TensorFlow)."""
    rng = np.random.default_rng(seed)
    target = folder / version
    target.mkdir(parents=True)
    weights = {"wide_crosses": rng.normal(0, 0.1, (HASH_BUCKETS, 1)), "wide_dense_w": rng.normal(0, 1, (N_DENSE, 1)),
               "wide_dense_b": np.zeros(1), "deep_out_w": rng.normal(0, 0.3, (DEEP_UNITS[-1], 1)),
               "deep_out_b": np.zeros(1)}
    width = N_DENSE
    for i, units in enumerate(DEEP_UNITS):
        weights[f"deep_{i}_w"], weights[f"deep_{i}_b"] = rng.normal(0, 0.2, (width, units)), np.zeros(units)
        width = units
    np.savez(target / "weights.npz", **{k: v.astype(np.float32) for k, v in weights.items()})
    (target / "metadata.json").write_text(json.dumps({"version": version, "feature_names": FEATURE_NAMES}))
    return str(target)


@pytest.fixture()
def clean_registry(loaded_database_url, recommender_env):
    """No ranker serves when the test starts; the test's own rows stop serving at the end."""
    def retire():
        with unit_of_work() as session:
            session.execute(update(ModelVersion).where(
                ModelVersion.model_type == "recommendation",
                ModelVersion.deployment_status.in_(("production", "canary"))).values(deployment_status="deprecated"))
        forget_snapshot()
    retire()
    yield recommender_env
    retire()


def ask(session, external_id: str, *, minutes: int = 0, write_log: bool = True):
    uid = session.scalar(select(User.id).where(User.external_user_id == external_id))
    request = RecommendationRequest(now=LUNCH + timedelta(minutes=minutes), user_id=uid,
                                    session_key=f"test-{external_id}", text="점심 추천해줘",
                                    location=PLACES[external_id], location_source="metadata", limit=3)
    return uid, recommend(session, request, write_log=write_log)


def test_production_serves_everyone_but_the_hashed_canary_share(clean_registry, db_session, tmp_path):
    clean_registry.setenv("NAVIYAM_CANARY_PERCENT", "50")
    tag = uuid.uuid4().hex[:6]
    uids = [str(db_session.scalar(select(User.id).where(User.external_user_id == n))) for n in PLACES]
    v1 = f"p{tag}"
    v2 = next(f"c{tag}{n}" for n in range(100)  # a candidate whose hashed half holds some users, not all
              if 0 < sum(in_canary(u, f"recommendation:c{tag}{n}", 50.0) for u in uids) < len(uids))
    registry.register("recommendation", v1, save_tiny_ranker(tmp_path, v1, 1), {})
    registry.register("recommendation", v2, save_tiny_ranker(tmp_path, v2, 2), {})
    served = {}
    for name in PLACES:
        uid, result = ask(db_session, name)
        expected = v2 if in_canary(str(uid), f"recommendation:{v2}", 50.0) else v1
        assert result.ranker == f"wide-deep-{expected}", name
        assert result.items, name
        row = db_session.get(RecommendationLog, result.log_id)
        assert row.filtering_steps["ranker"] == result.ranker      # what judge_canary counts
        assert row.policy_log["ranker"] == result.ranker
        served[name] = expected
    assert set(served.values()) == {v1, v2}                        # both versions served someone
    # the snapshot is cached: a change made behind the registry's back shows after it is dropped
    with unit_of_work() as session:
        session.execute(update(ModelVersion).where(ModelVersion.version == v2).values(
            deployment_status="rolled_back"))
    canary_user = next(n for n, v in served.items() if v == v2)
    assert ask(db_session, canary_user, write_log=False)[1].ranker == f"wide-deep-{v2}"
    forget_snapshot()
    assert ask(db_session, canary_user, write_log=False)[1].ranker == f"wide-deep-{v1}"


def test_an_empty_registry_keeps_the_latest_ranker_on_disk(clean_registry, db_session, tmp_path):
    ranker_dir = tmp_path / "ranker"
    save_tiny_ranker(ranker_dir, "20260101000000", 3)
    (ranker_dir / "latest").write_text("20260101000000\n")
    assert ask(db_session, "demo_kid_01", write_log=False)[1].ranker == "wide-deep-20260101000000"
    (ranker_dir / "latest").unlink()
    __import__("shutil").rmtree(ranker_dir)
    assert ask(db_session, "demo_kid_01", write_log=False)[1].ranker == "popularity-baseline"


def test_exploration_off_is_deterministic_and_every_shown_item_has_propensity_one(clean_registry, db_session):
    clean_registry.setenv("NAVIYAM_EXPLORATION_RATE", "0")
    _uid, first = ask(db_session, "demo_teen_01")
    _uid, again = ask(db_session, "demo_teen_01")
    assert [i.menu_id for i in first.items] == [i.menu_id for i in again.items]
    shown = [e for e in first.policy_log["pool"] if e["shown"] is not None]
    assert [e["p"] for e in shown] == [1.0] * len(first.items)
    assert sum(e["p"] for e in first.policy_log["pool"]) == pytest.approx(len(first.items))


def test_explored_lists_log_propensities_and_features_that_become_training_rows(clean_registry, db_session,
                                                                                  tmp_path):
    clean_registry.setenv("NAVIYAM_EXPLORATION_RATE", "0.5")
    v1 = f"s{uuid.uuid4().hex[:6]}"
    registry.register("recommendation", v1, save_tiny_ranker(tmp_path, v1, 4), {})
    log_ids = []
    for minutes in range(0, 40, 5):
        for name in ("demo_kid_01", "demo_teen_01", "demo_allergy_01"):
            uid, result = ask(db_session, name, minutes=minutes)
            policy = result.policy_log
            assert policy["epsilon"] in (0.0, 0.5) and policy["k"] == len(result.items)
            probabilities = [e["p"] for e in policy["pool"]]
            assert all(0 <= p <= 1 for p in probabilities)
            assert sum(probabilities) == pytest.approx(len(result.items), abs=1e-4)
            assert {e["shop_id"] for e in policy["pool"] if e["shown"] is not None} == set(result.shown_shop_ids)
            assert all(len(e["dense"]) == N_DENSE and len(e["crosses"]) == N_CROSSES for e in policy["pool"])
            log_ids.append((result.log_id, uid, result.items))
    swaps = [db_session.get(RecommendationLog, i).policy_log["swapped"] for i, _u, _x in log_ids]
    assert 0 < sum(swaps) < len(swaps)
    # choices on two lists, a "liked" on a third
    (first, _u1, items1), (second, _u2, items2), (third, uid3, items3) = log_ids[:3]
    db_session.execute(update(RecommendationLog).where(RecommendationLog.id == first)
                       .values(user_final_selection=items1[0].shop_id))
    db_session.execute(update(RecommendationLog).where(RecommendationLog.id == second)
                       .values(user_final_selection=items2[-1].shop_id))
    db_session.add(RecommendationFeedback(
        recommendation_log_id=third, user_id=uid3, session_id=uuid.uuid4(), recommended_shops=[],
        user_action="clicked", feedback_shop_id=items3[1].shop_id, feedback_kind="liked",
        action_timestamp=datetime.now(timezone.utc), context_features={}, user_features={}))
    db_session.flush()
    lists = [item for item in load_logged_lists(db_session) if item.log_id in {i for i, _u, _x in log_ids}]
    assert len(lists) == len(log_ids)
    dense, crosses, labels, groups = training_rows(lists)
    assert dense.shape == (sum(len(x) for _i, _u, x in log_ids), N_DENSE) and crosses.shape[1] == N_CROSSES
    assert labels.sum() == 3 and len(set(groups.tolist())) == len(lists)
    by_id = {item.log_id: item for item in lists}
    assert by_id[third].chosen.sum() == 1 and not by_id[log_ids[3][0]].chosen.any()
    estimate = snips_of(load_scorer(tmp_path, v1), lists, clip=10.0)
    assert estimate.lists == len(lists) and estimate.decisions == len(labels)
    assert estimate.logged_rate == pytest.approx(3 / len(lists))
    assert 0 <= estimate.estimate and 0 < estimate.effective_sample_size <= estimate.decisions
