"""Candidate sets over the catalog: the ranker's input rows, and the rows an answer may offer.

``candidates_from`` is the one place that turns catalog rows into the ``Candidates`` the
features and the ranker read (serving, the training simulator and the offline
evaluation all use it, so training and serving see the same columns).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.features import Candidates
from naviyam.domain.recommend.focus import Focus


def candidates_from(catalog: Catalog, idx: np.ndarray, distances: np.ndarray | None,
                    query_match: np.ndarray, retrieval_score: np.ndarray) -> Candidates:
    """The ranker's view of the menus ``idx`` (distances per shop, in metres, or None)."""
    shops = catalog.menu_shop[idx]
    dist = distances[shops] if distances is not None else np.full(len(idx), np.nan)
    return Candidates(
        menu_index=idx, shop_id=catalog.shop_ids[shops],
        category=[catalog.shop_categories[s] for s in shops],
        price=catalog.menu_prices[idx].astype(np.float32),
        popularity=catalog.shop_popularity[shops], quality=catalog.shop_quality[shops],
        popular_menu=catalog.menu_popular[idx], foodcard=catalog.shop_foodcard[shops],
        good_influence=catalog.shop_good_influence[shops], distance_m=dist.astype(np.float64),
        frequency=catalog.menu_frequency[idx], tags=[catalog.menu_tags[i] for i in idx],
        text=[catalog.menu_text[i] for i in idx], query_match=query_match,
        retrieval_score=retrieval_score.astype(np.float32),
    )


def subset_candidates(cands: Candidates, rows: list[int]) -> Candidates:
    """The candidates at ``rows``, in that order."""
    r = np.asarray(rows, dtype=np.int64)
    return Candidates(
        menu_index=cands.menu_index[r], shop_id=cands.shop_id[r], category=[cands.category[k] for k in rows],
        price=cands.price[r], popularity=cands.popularity[r], quality=cands.quality[r],
        popular_menu=cands.popular_menu[r], foodcard=cands.foodcard[r],
        good_influence=cands.good_influence[r], distance_m=cands.distance_m[r],
        frequency=cands.frequency[r], tags=[cands.tags[k] for k in rows],
        text=[cands.text[k] for k in rows], query_match=cands.query_match[r],
        retrieval_score=cands.retrieval_score[r])


def best_per_shop(catalog: Catalog, idx: np.ndarray, key: Callable[[int], object]) -> list[int]:
    """One menu per shop: the first of each shop when ``idx`` is sorted by ``key``."""
    chosen: dict[int, int] = {}
    for i in sorted(idx.tolist(), key=key):
        chosen.setdefault(int(catalog.menu_shop[i]), i)
    return list(chosen.values())


def focus_rows(catalog: Catalog, mask: np.ndarray, focus: Focus) -> np.ndarray:
    """Menus of ``mask`` an answer may offer: allowed kinds, then the best match tier, meals first."""
    if not focus.snack:
        mask = mask & (relevance.meal_mask(catalog) | relevance.side_mask(catalog))
    idx = np.flatnonzero(mask)
    if len(idx) and focus.match is not None:
        idx = idx[focus.tiers[idx] == focus.tiers[idx].max()]
    if len(idx) and not focus.snack:
        meals = relevance.meal_mask(catalog)[idx]
        if meals.any():
            idx = idx[meals]
    return idx
