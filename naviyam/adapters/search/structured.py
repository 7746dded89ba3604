"""Structured candidates: the menus passing the hard filters, best-known first.

The in-memory equivalent of seed 003 §4 step 11's SQL (``WHERE open AND price <=
budget AND within radius AND meal card ORDER BY popularity_score DESC LIMIT n``):
the hard-filter mask comes from filters.py, the order from shop popularity and
quality, popular menus, and closeness when the location is known.
"""
from __future__ import annotations

import numpy as np

from naviyam.domain.recommend.catalog import Catalog


def structured_candidates(catalog: Catalog, eligible: np.ndarray, limit: int,
                          distances: np.ndarray | None = None, radius_m: int = 1000) -> np.ndarray:
    idx = np.flatnonzero(eligible)
    if len(idx) == 0:
        return idx
    shops = catalog.menu_shop[idx]
    score = (0.6 * catalog.shop_popularity[shops] + 0.2 * catalog.shop_quality[shops]
             + 0.2 * catalog.menu_popular[idx])
    if distances is not None:
        score = score + 0.2 * (1 - np.minimum(1.0, distances[shops] / max(1, radius_m)))
    if len(idx) > limit:
        top = np.argpartition(-score, limit - 1)[:limit]
        idx, score = idx[top], score[top]
    order = np.lexsort((catalog.menu_ids[idx], -score))
    return idx[order]
