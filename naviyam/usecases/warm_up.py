"""Loading what the first recommendation would otherwise wait for.

Called explicitly by the action server's entry point (``actions/server.py``) in each
worker process once it serves; never at import time. Best effort: without a database
(or with a broken index) it logs a warning and the first answer loads lazily instead.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime

from naviyam.adapters.db.catalog import CATALOGS
from naviyam.adapters.db.session import session_factory, unit_of_work
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.adapters.ranking_model import get_ranker
from naviyam.adapters.search.bm25 import kiwi
from naviyam.adapters.search.index_store import INDEXES
from naviyam.config import get_recommend_settings, get_settings
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend

log = logging.getLogger(__name__)


def warm_up() -> bool:
    """Gazetteer, catalog, ranker, Kiwi, encoder and index; True when everything loaded."""
    started = time.perf_counter()
    try:
        rsettings = get_recommend_settings()
        get_gazetteer()
        with unit_of_work() as session:
            catalog = CATALOGS.get(session, 0)
        get_ranker(rsettings.ranker_dir, rsettings.ranker_version)
        kiwi()
        INDEXES.get(catalog, rsettings.index_dir, rsettings.embedding_backend, rsettings.embedding_model,
                    rsettings.build_index_in_background)
        first_request(catalog)
    except Exception:  # noqa: BLE001 - warm-up is best effort (e.g. no database yet)
        log.warning("Recommendation warm-up skipped", exc_info=True)
        return False
    log.info("Recommendation engine warmed up in %.1f s", time.perf_counter() - started)
    return True


def first_request(catalog) -> None:
    """One anonymous request beside the first shop, written nowhere (rolled back).

    Loading is not enough: the first query through the encoder, the index and the ranker
    paid one-off costs; measured, the first recommendation after start took 2.6 s instead of
    about 0.1 s (docs/PERFORMANCE.md).
    """
    if not len(catalog.shop_lat):
        return
    request = RecommendationRequest(now=datetime.now(get_settings().timezone), text="떡볶이 먹고 싶어",
                                    stated_budget=8000, location=(float(catalog.shop_lat[0]),
                                                                  float(catalog.shop_lng[0])),
                                    location_source="metadata")
    with session_factory()() as session:
        try:
            recommend(session, request, write_log=False)
        finally:
            session.rollback()
