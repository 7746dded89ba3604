"""Maximal Marginal Relevance over category and price (seed 001 §3.1 step 5.1).

Picks ``k`` items one at a time, each maximising
``lambda * relevance - (1 - lambda) * max similarity to the items already picked``,
where similarity = 0.7 x [same shop category] x (1 - affinity) + 0.3 x price closeness.
Never two menus of the same shop. ``lambda`` = 1 is pure ranking; lower values diversify more.

Two refinements keep diversity from working against what the user asked for:
- ``affinity`` (the user's affinity to each item's category, 0..1): repeating a
  category the user loves costs little, so diversity spreads over price and over the
  user's favourite categories instead of pushing in categories the user does not eat
  (issue 4: "top-5 from the preferred categories"). Users without history have
  affinity 0 everywhere and get the plain MMR.
- ``tiers`` (how well each item matches a named food): a higher tier always comes
  first; MMR diversifies within the tier ("떡볶이" shows 떡볶이 first, from varied shops).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

CATEGORY_WEIGHT, PRICE_WEIGHT = 0.7, 0.3


def similarity(cat_a: str, cat_b: str, price_a: float, price_b: float, affinity: float = 0.0) -> float:
    same = 1.0 if cat_a == cat_b else 0.0
    closeness = 1.0 - min(1.0, abs(price_a - price_b) / max(price_a, price_b, 1.0))
    return CATEGORY_WEIGHT * same * (1.0 - min(1.0, max(0.0, affinity))) + PRICE_WEIGHT * closeness


def mmr_select(scores: Sequence[float], categories: Sequence[str], prices: Sequence[float],
               shop_ids: Sequence[int], k: int, lam: float = 0.7, *,
               tiers: Sequence[int] | None = None,
               affinity: Sequence[float] | None = None) -> list[int]:
    """Indices (into the inputs) of the ``k`` items to show, in display order."""
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    rel = np.asarray(scores, dtype=np.float64)
    if rel.max() > rel.min():
        rel = (rel - rel.min()) / (rel.max() - rel.min())
    else:
        rel = np.ones(n)
    tier = np.zeros(n) if tiers is None else np.asarray(tiers, dtype=np.float64)
    aff = np.zeros(n) if affinity is None else np.asarray(affinity, dtype=np.float64)
    chosen: list[int] = []
    used_shops: set[int] = set()
    while len(chosen) < k:
        best, best_key = None, (-np.inf, -np.inf)
        for i in range(n):
            if i in chosen or int(shop_ids[i]) in used_shops:
                continue
            penalty = max((similarity(categories[i], categories[j], prices[i], prices[j], aff[i])
                           for j in chosen), default=0.0)
            key = (tier[i], lam * rel[i] - (1 - lam) * penalty)
            if key > best_key:
                best, best_key = i, key
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
