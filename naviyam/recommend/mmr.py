"""Maximal Marginal Relevance over category and price (seed 001 §3.1 step 5.1).

Picks ``k`` items one at a time, each maximising
``lambda * relevance - (1 - lambda) * max similarity to the items already picked``,
where similarity = 0.7 x [same shop category] + 0.3 x price closeness. Never two
menus of the same shop. ``lambda`` = 1 is pure ranking; lower values diversify more.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def similarity(cat_a: str, cat_b: str, price_a: float, price_b: float) -> float:
    same = 1.0 if cat_a == cat_b else 0.0
    closeness = 1.0 - min(1.0, abs(price_a - price_b) / max(price_a, price_b, 1.0))
    return 0.7 * same + 0.3 * closeness


def mmr_select(scores: Sequence[float], categories: Sequence[str], prices: Sequence[float],
               shop_ids: Sequence[int], k: int, lam: float = 0.7) -> list[int]:
    """Indices (into the inputs) of the ``k`` items to show, in display order."""
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(scores, dtype=np.float64)
    if rel.max() > rel.min():
        rel = (rel - rel.min()) / (rel.max() - rel.min())
    else:
        rel = np.ones(n)
    chosen: list[int] = []
    used_shops: set[int] = set()
    while len(chosen) < k:
        best, best_value = None, -np.inf
        for i in range(n):
            if i in chosen or int(shop_ids[i]) in used_shops:
                continue
            penalty = max((similarity(categories[i], categories[j], prices[i], prices[j])
                           for j in chosen), default=0.0)
            value = lam * rel[i] - (1 - lam) * penalty
            if value > best_value:
                best, best_value = i, value
        if best is None:
            break
        chosen.append(best)
        used_shops.add(int(shop_ids[best]))
    return chosen


def diversity_score(categories: Sequence[str], prices: Sequence[float]) -> float:
    """1 - mean pairwise similarity of a shown list (1 = fully diverse)."""
    n = len(categories)
    if n < 2:
        return 0.0
    sims = [similarity(categories[i], categories[j], prices[i], prices[j])
            for i in range(n) for j in range(i + 1, n)]
    return round(1.0 - float(np.mean(sims)), 3)
