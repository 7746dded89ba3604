"""Every serving feature varies in the simulated training matrix (issue 15): a constant column
keeps its random initial weight, so the ranker would use noise at serving time."""
from __future__ import annotations

import numpy as np

from ml.ranking.simulator import constant_features, simulate, to_arrays
from naviyam.adapters.db.catalog import load_catalog
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain.recommend.features import FEATURE_NAMES


def test_no_feature_column_is_constant_in_the_training_matrix(loaded_database_url):
    with unit_of_work() as session:
        catalog = load_catalog(session)
    dense, _crosses, labels, _groups = to_arrays(simulate(catalog, n_users=40, sessions=(8, 12), seed=3), "train")
    assert dense.shape[1] == len(FEATURE_NAMES)
    assert constant_features(dense) == []
    assert 0 < labels.mean() < 1


def test_the_guard_names_a_constant_column():
    dense = np.random.default_rng(0).random((20, len(FEATURE_NAMES))).astype(np.float32)
    dense[:, FEATURE_NAMES.index("query_match")] = 0.0
    assert constant_features(dense) == ["query_match"]
