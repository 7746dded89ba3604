"""Ranking the retrieved menus and picking the shown ones (steps of ``recommend``).

``score``: features (the same code as training) → ranker (Wide&Deep or the popularity
baseline) + meal-card bonus. ``verify_and_pick``: exact verification in rank order (one
menu per shop, coupon-aware budget, every hard filter again), then MMR for diversity,
then the coupon of each picked menu and its explanation.
"""
from __future__ import annotations

import logging
import random
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from naviyam.adapters.ranking_model import FOODCARD_BONUS, foodcard_bonus
from naviyam.adapters.search.hybrid import Retrieved
from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.candidates import candidates_from, subset_candidates
from naviyam.domain.recommend.context import Search
from naviyam.domain.recommend import preferences as prefs
from naviyam.domain.recommend.features import FEATURE_NAMES, Candidates, RequestContext, build_features
from naviyam.domain.recommend.exploration import POLICY_NAME, explore
from naviyam.domain.recommend.filters import violations
from naviyam.domain.recommend.mmr import mmr_select
from naviyam.domain.recommend.result import RecommendedItem
from naviyam.usecases.budget import menu_coupon

log = logging.getLogger(__name__)

MAX_COUPON_CHECKS = 12


@dataclass
class Scored:
    """The retrieved menus as the ranker saw them, with its scores."""

    cands: Candidates
    dense: np.ndarray
    crosses: np.ndarray
    scores: np.ndarray


@dataclass
class PoolEntry:
    """A menu that passed the exact verification: its price after any coupon, its rank score."""

    menu: int
    final_price: int
    coupon: dict | None
    score: float
    row: int                              # row in ``Scored``


def score(search: Search, retrieved: Retrieved, ranker) -> Scored:
    """Features and ranker scores for the retrieved menus (plus the meal-card bonus)."""
    focus, request = search.focus, search.request
    indices = retrieved.indices
    qmatch = (focus.match.scores[indices] if focus.match is not None
              else np.zeros(len(indices), dtype=np.float32))
    cands = candidates_from(search.catalog, indices, search.outcome.distances, qmatch, retrieved.scores)
    rctx = RequestContext(slot=request.meal_slot, budget=search.budget.hard_budget,
                          radius_m=request.radius_m,
                          taste_words=set(relevance.taste_words(request.taste_preference)))
    dense, crosses = build_features(search.user, cands, rctx)
    if request.urgency == prefs.URGENT and hasattr(ranker, "logits"):
        # seed 003 §12-1: distance counts double, budget fit 1.5x (the popularity baseline has neither)
        columns = {FEATURE_NAMES.index(name): w for name, w in prefs.URGENT_FEATURE_WEIGHTS.items()}
        z = np.clip(prefs.reweighted_logits(ranker.logits, dense, crosses, columns), -30, 30)
        model_scores = (1.0 / (1.0 + np.exp(-z))).astype(np.float32)
    else:
        model_scores = ranker.predict(dense, crosses, cands)
    scores = model_scores + foodcard_bonus(cands.foodcard)
    return Scored(cands=cands, dense=dense, crosses=crosses, scores=scores)


def verified_pool(session: Session, search: Search, scored: Scored) -> list[PoolEntry]:
    """Menus in rank order (best focus tier first) that pass every hard filter, one per shop.

    A menu over the budget is checked with its best coupon (at most ``MAX_COUPON_CHECKS``);
    a mismatch other than the budget means the vectorised filters and the exact check
    disagree, which is logged as an error.
    """
    catalog, request, budget = search.catalog, search.request, search.budget
    pool: list[PoolEntry] = []
    seen_shops: set[int] = set()
    coupon_checks = 0
    want = max(request.limit * 5, 15)
    cand_tiers = search.focus.tiers[scored.cands.menu_index]
    cand_prefs = (search.preference[scored.cands.menu_index] if search.preference is not None
                  else np.zeros(len(cand_tiers), dtype=np.int8))
    for row in np.lexsort((-scored.scores, -cand_prefs, -cand_tiers)):
        i = int(scored.cands.menu_index[row])
        shop = int(catalog.menu_shop[i])
        if shop in seen_shops:
            continue
        price = int(catalog.menu_prices[i])
        final, coupon = price, None
        if budget.hard_budget is not None and price > budget.hard_budget:
            if coupon_checks >= MAX_COUPON_CHECKS:
                continue
            coupon_checks += 1
            final, coupon = menu_coupon(session, request.user_id, catalog, i, request.now)
        broken = violations(catalog, i, final, search.filters)
        if broken:
            if broken != ["budget"]:
                log.error("Hard filter mismatch for menu %s: %s", catalog.menu_ids[i], broken)
            continue
        seen_shops.add(shop)
        pool.append(PoolEntry(i, final, coupon, float(scored.scores[row]), int(row)))
        if len(pool) >= want:
            break
    return pool


def pick(search: Search, pool: list[PoolEntry], mmr_lambda: float) -> list[PoolEntry]:
    """Up to ``request.limit`` entries of the pool, balancing score and diversity (MMR)."""
    catalog, user = search.catalog, search.user
    pool_shops = [int(catalog.menu_shop[p.menu]) for p in pool]
    chosen = mmr_select([p.score for p in pool], [catalog.shop_categories[s] for s in pool_shops],
                        [p.final_price for p in pool], pool_shops, search.request.limit, mmr_lambda,
                        tiers=[int(search.focus.tiers[p.menu]) * PREFERENCE_SPAN
                               + (int(search.preference[p.menu]) if search.preference is not None else 0)
                               for p in pool],
                        affinity=[float(user.category_affinity[catalog.shop_category_idx[s]])
                                  for s in pool_shops] if len(user.category_affinity) else None)
    return [pool[k] for k in chosen]


def shown_items(session: Session, search: Search, scored: Scored, picked: list[PoolEntry],
                ranker) -> list[RecommendedItem]:
    """The picked entries as items: best coupon applied, feature contributions attached."""
    catalog, request = search.catalog, search.request
    rows = [p.row for p in picked]
    contributions = (ranker.contributions(scored.dense[rows], scored.crosses[rows],
                                          subset_candidates(scored.cands, rows)) if rows else [])
    items: list[RecommendedItem] = []
    for n, entry in enumerate(picked):
        final, coupon = entry.final_price, entry.coupon
        if coupon is None:
            final, coupon = menu_coupon(session, request.user_id, catalog, entry.menu, request.now)
            if violations(catalog, entry.menu, final, search.filters):
                final, coupon = int(catalog.menu_prices[entry.menu]), None
        item = search.item(entry.menu, final_price=final, coupon=coupon, score=entry.score)
        item.feature_contributions = contributions[n] if n < len(contributions) else {}
        item.match_tier = int(search.focus.tiers[entry.menu])
        annotate(search, item, entry.menu)
        items.append(item)
    return items


# ---- logged exploration (issue 15; naviyam.domain.recommend.exploration) ---------------------

_RNG = random.Random()


def explore_pick(search: Search, scored: Scored, pool: list[PoolEntry], greedy: list[PoolEntry], ranker,
                 epsilon: float, pool_cap: int) -> tuple[list[PoolEntry], dict]:
    """The shown entries after the exploration, and the policy log of this list: per logged pool
    menu its ids, score, inclusion probability, shown position and serving features."""
    positions = [next(i for i, p in enumerate(pool) if p is entry) for entry in greedy]
    explored = explore(len(pool), positions, epsilon, pool_cap, _RNG)
    catalog = search.catalog
    shown_at = {p: n for n, p in enumerate(explored.picked)}
    entries = []
    for p in explored.logged:
        entry = pool[p]
        row = entry.row
        entries.append({
            "shop_id": int(catalog.shop_ids[int(catalog.menu_shop[entry.menu])]),
            "menu_id": int(catalog.menu_ids[entry.menu]), "score": round(entry.score, 4),
            "bonus": FOODCARD_BONUS.get(str(scored.cands.foodcard[row]), 0.0),
            "p": round(explored.propensity[p], 6), "shown": shown_at.get(p),
            "dense": [round(float(v), 4) for v in scored.dense[row]],
            "crosses": [int(v) for v in scored.crosses[row]]})
    log_entry = {"policy": POLICY_NAME, "epsilon": epsilon if len(entries) > len(positions) else 0.0,
                 "ranker": ranker.name, "k": len(explored.picked), "swapped": explored.swapped, "pool": entries}
    return [pool[p] for p in explored.picked], log_entry


# ---- group, urgency, portion (issue 12; naviyam.domain.recommend.preferences) -------------

PREFERENCE_SPAN = 8          # preference values are 0..5; food tiers stay first in MMR's order


def add_preferences(search: Search) -> None:
    """Per menu: group fit (0-2) x 2 + portion match (0/1); None when the request has neither."""
    catalog, request = search.catalog, search.request
    party = request.party_size or 1
    portion = prefs.portion_marks(catalog, request.portion_size, search.budget.hard_budget, search.outcome.rows)
    if party <= 1 and portion is None:
        return
    value = np.zeros(catalog.n_menus, dtype=np.int8)
    if party > 1:
        value += 2 * prefs.group_tiers(catalog, party)[catalog.menu_shop]
    if portion is not None:
        value += portion.astype(np.int8)
    search.preference = value
    eligible = search.focus.eligible
    if party > 1:
        search.steps["group_suited"] = int((eligible & (value >= 2 * prefs.GROUP_SUITS)).sum())
    if portion is not None:
        search.steps["portion_match"] = int((eligible & portion).sum())


def annotate(search: Search, item: RecommendedItem, menu: int) -> None:
    """The group and portion facts of a shown item (unknown said as unknown)."""
    catalog, request = search.catalog, search.request
    shop = int(catalog.menu_shop[menu])
    if (request.party_size or 1) > 1:
        seats = int(catalog.shop_seats[shop]) if len(catalog.shop_seats) else -1
        friendly = int(catalog.shop_group_friendly[shop]) if len(catalog.shop_group_friendly) else -1
        item.group = {"seats": seats if seats >= 0 else None,
                      "group_friendly": None if friendly < 0 else bool(friendly),
                      "suits": prefs.group_fit(catalog, shop, int(request.party_size))}
    size = prefs.normalise_portion(request.portion_size)
    if size is not None and search.preference is not None:
        options = catalog.menu_options[menu] if len(catalog.menu_options) > menu else None
        option = prefs.portion_option(options, size)
        budget = search.budget.hard_budget
        if option is not None and budget is not None and item.final_price + option[1] > budget:
            option = None                      # never offer an option the budget cannot pay
        item.portion = {"size": size, "matches": bool(search.preference[menu] % 2),
                        "option": option[0] if option else None, "extra_price": option[1] if option else None}
