"""Ranking metrics on simulated interactions: AUC, NDCG@k, preferred-category share."""
from __future__ import annotations

from datetime import datetime

import numpy as np

from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters
from naviyam.domain.recommend.mmr import mmr_select
from naviyam.domain.recommend.features import CATEGORY_INDEX, RequestContext, build_features
from naviyam.adapters.ranking_model import foodcard_bonus
from naviyam.domain.recommend.request import meal_slot_for
from naviyam.domain.recommend.candidates import candidates_from


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties averaged)."""
    labels = np.asarray(labels).astype(bool)
    pos, neg = labels.sum(), (~labels).sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores), dtype=np.float64)
    sorted_scores = np.asarray(scores)[order]
    i = 0
    while i < len(scores):
        j = i
        while j + 1 < len(scores) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[labels].sum() - pos * (pos + 1) / 2) / (pos * neg))


def ndcg_at_k(labels: np.ndarray, scores: np.ndarray, groups: np.ndarray, k: int = 5) -> float:
    """Mean NDCG@k over groups (sessions); one or more relevant items per group."""
    values = []
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        rel = labels[idx][np.argsort(-scores[idx], kind="stable")][:k]
        dcg = float(np.sum(rel / np.log2(np.arange(2, len(rel) + 2))))
        ideal = np.sort(labels[idx])[::-1][:k]
        idcg = float(np.sum(ideal / np.log2(np.arange(2, len(ideal) + 2))))
        if idcg > 0:
            values.append(dcg / idcg)
    return float(np.mean(values)) if values else float("nan")


def preferred_share(model, catalog: Catalog, users, when: datetime, min_interactions: int = 10,
                    k: int = 5, mmr_lambda: float = 0.7, use_affinity: bool = True) -> dict[str, float]:
    """For users with >= ``min_interactions``: share of the top-k (one per shop, MMR) in their favourites.

    Also the ceiling: the best share any ranker could reach, min(k, eligible favourite-category
    shops) / k per user, since a user whose favourites have 2 eligible shops here and now can
    get at most 2 of 5 from them. ``use_affinity`` is the serving MMR (preference-aware).
    """
    meal = relevance.meal_mask(catalog)
    shares, supplied, ceilings = [], [], []
    for user in users:
        if len(user.history) < min_interactions:
            continue
        outcome = apply_hard_filters(catalog, FilterContext(now=when, budget=user.budget, location=user.home,
                                                            radius_m=1000))
        rows = np.flatnonzero(outcome.mask & meal)
        if len(rows) < k:
            continue
        cands = candidates_from(catalog, rows, outcome.distances, np.zeros(len(rows), np.float32),
                                np.zeros(len(rows), np.float32))
        context = user.context()
        dense, crosses = build_features(context, cands, RequestContext(
            slot=meal_slot_for(when), budget=user.budget, radius_m=1000))
        scores = model.predict(dense, crosses, cands) + foodcard_bonus(cands.foodcard)
        order = np.argsort(-scores, kind="stable")
        pool, seen = [], set()
        for r in order:
            shop = int(cands.shop_id[r])
            if shop not in seen:
                seen.add(shop)
                pool.append(int(r))
            if len(pool) >= 5 * k:
                break
        picked = mmr_select([float(scores[r]) for r in pool], [cands.category[r] for r in pool],
                            [float(cands.price[r]) for r in pool], [int(cands.shop_id[r]) for r in pool],
                            k, mmr_lambda,
                            affinity=[float(context.category_affinity[CATEGORY_INDEX.get(cands.category[r], 0)])
                                      for r in pool] if use_affinity else None)
        top = [pool[p] for p in picked]
        shares.append(np.mean([cands.category[r] in user.favourites for r in top]))
        # Can the data satisfy this user at all? (>= k favourite-category shops eligible here and now)
        fav_shops = {int(cands.shop_id[r]) for r in range(len(cands)) if cands.category[r] in user.favourites}
        supplied.append(len(fav_shops) >= k)
        ceilings.append(min(k, len(fav_shops)) / k)
    shares_arr = np.array(shares) if shares else np.zeros(0)
    ok = np.array(supplied, dtype=bool)
    return {"users": int(len(shares_arr)),
            "mean_share": float(shares_arr.mean()) if len(shares_arr) else float("nan"),
            "users_at_80pct": float((shares_arr >= 0.8).mean()) if len(shares_arr) else float("nan"),
            "ceiling": float(np.mean(ceilings)) if ceilings else float("nan"),
            "users_with_supply": int(ok.sum()),
            "mean_share_with_supply": float(shares_arr[ok].mean()) if ok.any() else float("nan"),
            "users_at_80pct_with_supply": float((shares_arr[ok] >= 0.8).mean()) if ok.any() else float("nan")}
