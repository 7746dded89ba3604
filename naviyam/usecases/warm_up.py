"""Loading what the first recommendation would otherwise wait for.

Called explicitly by the action server's entry point (``actions/server.py``) in each
worker process once it serves; never at import time. Best effort: without a database
(or with a broken index) it logs a warning and the first answer loads lazily instead.
"""
from __future__ import annotations

import logging
import time

from naviyam.adapters.db.catalog import CATALOGS
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.adapters.ranking_model import get_ranker
from naviyam.adapters.search.bm25 import kiwi
from naviyam.adapters.search.index_store import INDEXES
from naviyam.config import get_recommend_settings

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
    except Exception:  # noqa: BLE001 - warm-up is best effort (e.g. no database yet)
        log.warning("Recommendation warm-up skipped", exc_info=True)
        return False
    log.info("Recommendation engine warmed up in %.1f s", time.perf_counter() - started)
    return True
