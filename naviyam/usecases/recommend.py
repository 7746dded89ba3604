"""The recommendation use case: ``recommend(session, request)`` and ``select_option``.

Steps (each timed; the timings go to performance_logs and the result):
profile → location → budget → catalog → hard filters → relevance (food type) →
retrieval (structured + BM25 + FAISS, RRF) → features + ranker (+ meal-card bonus) →
exact verification (coupon, every hard filter again) → MMR → reasons → log.

Nothing that does not pass every hard filter goes into ``items``; when nothing does,
``alternatives`` holds the nearest misses (opening soon, a little over budget) marked
with ``alternative_reason``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from naviyam.config import get_recommend_settings, get_settings
from naviyam.adapters.db.conversation_log import TurnRecord, log_performance, log_turn, session_uuid
from naviyam.adapters.db.models import Menu, RecommendationLog, Shop, UserProfile
from naviyam.domain.geo import resolve_place, walk_minutes
from naviyam.domain.hours import describe_day, next_opening
from naviyam.domain.recommend import relevance
from naviyam.usecases.budget import BudgetInfo, best_coupon, budget_for, coupon_slack
from naviyam.adapters.db.catalog import CATALOGS
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.focus import (
    MISSING_BUDGET, MISSING_CLOSED, TOP_TIER, Focus, plan as plan_focus,
)
from naviyam.domain.recommend.filters import (
    FilterContext, apply_hard_filters, normalised_restrictions, violations,
)
from naviyam.domain.recommend.mmr import diversity_score, mmr_select
from naviyam.adapters.db.profile_queries import invalidate_profile, load_profile
from naviyam.domain.recommend.features import (
    Candidates, RequestContext, UserContext, build_features,
)
from naviyam.adapters.ranking_model import PopularityBaseline, foodcard_bonus, get_ranker
from naviyam.domain.recommend.reasons import reasons_for
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.adapters.search.hybrid import retrieve

log = logging.getLogger(__name__)

ALTERNATIVE_OPENING_SOON = "opening_soon"
ALTERNATIVE_OVER_BUDGET = "over_budget"
OPENING_SOON_WINDOW = timedelta(hours=3)
OVER_BUDGET_MAX_RATIO = 1.5
MAX_COUPON_CHECKS = 12
WANTED_ALTERNATIVES = 2      # the named food itself, over budget or opening later, beside the items
WANTED_OPENING_WINDOW = timedelta(hours=8)   # "치킨집은 16:00에 열어요" at lunch


@dataclass
class RecommendedItem:
    shop_id: int
    shop_name: str
    category: str
    menu_id: int
    menu_name: str
    price: int
    final_price: int
    foodcard: str
    distance_m: int | None
    walk_minutes: int | None
    reasons: list[str]
    score: float
    coupon: dict[str, Any] | None = None
    phone: str | None = None
    address: str | None = None
    business_hours_today: str | None = None
    feature_contributions: dict[str, float] = field(default_factory=dict)
    alternative_reason: str | None = None
    opens_at: datetime | None = None
    match_tier: int | None = None             # focus tier when a food type was named (5 = the real thing)

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "shop_id": self.shop_id, "shop_name": self.shop_name, "category": self.category,
            "menu": {"menu_id": self.menu_id, "name": self.menu_name, "price": self.price,
                     "final_price": self.final_price},
            "foodcard": self.foodcard, "distance_m": self.distance_m,
            "walk_minutes": self.walk_minutes, "reasons": list(self.reasons),
            "score": round(float(self.score), 4),
        }
        if self.coupon:
            payload["coupon"] = self.coupon
        for key in ("phone", "address", "business_hours_today"):
            if getattr(self, key):
                payload[key] = getattr(self, key)
        if self.feature_contributions:
            payload["feature_contributions"] = self.feature_contributions
        if self.alternative_reason:
            payload["alternative_reason"] = self.alternative_reason
        if self.opens_at:
            payload["opens_at"] = self.opens_at.isoformat()
        if self.match_tier is not None:
            payload["food_type_match"] = tier_name(self.match_tier)
        return payload

    def to_state(self) -> dict[str, Any]:
        """What a later "1번 선택" needs (kept in the last_recommendations slot)."""
        return {"shop_id": self.shop_id, "shop_name": self.shop_name, "menu_id": self.menu_id,
                "menu_name": self.menu_name, "price": self.price, "final_price": self.final_price,
                "category": self.category, "coupon_id": (self.coupon or {}).get("coupon_id"),
                "alternative": bool(self.alternative_reason)}


def tier_name(tier: int) -> str:
    """Focus tier → how well the item matches the named food: exact | partial | related | none."""
    return "exact" if tier >= TOP_TIER else "partial" if tier >= 3 else "related" if tier >= 1 else "none"


@dataclass
class FoodTypeOutcome:
    """How the named food was served: what was shown and, if not the real thing, why."""

    requested: str                      # as the user (or the NLU) said it
    word: str                           # normalised ("치킨은" → 치킨)
    source: str | None                  # entity | slot | text
    shown_level: str                    # best shown item: exact | partial | related | none
    missing_reason: str | None          # budget | closed | far | none (when not exact)

    def to_payload(self) -> dict[str, Any]:
        return {"requested": self.requested, "word": self.word, "match": self.shown_level,
                "missing_reason": self.missing_reason}


@dataclass
class RecommendationResult:
    items: list[RecommendedItem]
    alternatives: list[RecommendedItem]
    method: str
    ranker: str
    filtering_steps: dict[str, Any]
    total_candidates: int
    timings_ms: dict[str, float]
    budget: BudgetInfo
    request: RecommendationRequest
    has_more: bool = False
    food_type_matched: bool | None = None     # the real thing was shown (None: no food named)
    food_type: FoodTypeOutcome | None = None
    location_source: str | None = None
    place_name: str | None = None
    log_id: int | None = None
    diversity: float = 0.0

    @property
    def shown_shop_ids(self) -> list[int]:
        return [i.shop_id for i in self.items]

    def payload(self) -> dict[str, Any]:
        kind = "recommendations" if self.items else "no_results"
        data: dict[str, Any] = {
            "kind": kind,
            "recommendations": [i.to_payload() for i in self.items],
            "method": self.method,
            "budget": self.budget.hard_budget,
        }
        if self.alternatives:
            data["alternatives"] = [a.to_payload() for a in self.alternatives]
        if self.food_type is not None:
            data["food_type"] = self.food_type.to_payload()
        if self.log_id is not None:
            data["recommendation_id"] = self.log_id
        return data


# ----------------------------------------------------------------------------- helpers

def resolve_location(request: RecommendationRequest, profile: dict[str, Any]) -> None:
    """metadata location → named place (NLU) → profile's area → none."""
    if request.location is not None:
        request.location_source = request.location_source or "metadata"
        return
    for source, name in (("place", request.place_name),
                         ("profile", profile.get("preferred_location")),
                         ("profile", (profile.get("location_preferences") or [None])[0])):
        place = resolve_place(name) if name else None
        if place is not None:
            request.location = (place.lat, place.lng)
            request.location_source = source
            request.place_name = request.place_name if source == "place" else place.name
            return
    request.location_source = None


def _user_context(profile: dict[str, Any], budget: BudgetInfo) -> UserContext:
    return UserContext.from_history(
        profile.get("preferred_categories") or [], profile.get("recent_categories") or [],
        shown_categories=profile.get("shown_categories") or [],
        picked_when_shown=profile.get("picked_when_shown") or [],
        user_id=profile.get("user_id"),
        favorite_shops=set(profile.get("favorite_shops") or []),
        visited_shops=set(profile.get("visited_shops") or []),
        average_budget=profile.get("average_budget"),
        interaction_count=int(profile.get("interaction_count") or 0),
        taste_words=set(profile.get("taste_words") or []),
        has_card=budget.has_card, is_low=budget.is_low,
    )


def candidates_from(catalog: Catalog, idx: np.ndarray, distances: np.ndarray | None,
                    query_match: np.ndarray, retrieval_score: np.ndarray) -> Candidates:
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


def _item(catalog: Catalog, i: int, *, final_price: int, coupon: dict | None, score: float,
          distances: np.ndarray | None, request: RecommendationRequest, budget: BudgetInfo,
          user: UserContext, walk_speed: int) -> RecommendedItem:
    s = int(catalog.menu_shop[i])
    distance = float(distances[s]) if distances is not None else None
    category = catalog.shop_categories[s]
    cat_aff = float(user.category_affinity[catalog.shop_category_idx[s]]) if len(user.category_affinity) else 0
    return RecommendedItem(
        shop_id=int(catalog.shop_ids[s]), shop_name=catalog.shop_names[s], category=category,
        menu_id=int(catalog.menu_ids[i]), menu_name=catalog.menu_names[i],
        price=int(catalog.menu_prices[i]), final_price=int(final_price),
        foodcard=str(catalog.shop_foodcard[s]),
        distance_m=int(round(distance)) if distance is not None else None,
        walk_minutes=walk_minutes(distance, walk_speed) if distance is not None else None,
        reasons=reasons_for(
            final_price=int(final_price), budget=budget.hard_budget, distance_m=distance,
            popularity=float(catalog.shop_popularity[s]), popular_menu=bool(catalog.menu_popular[i]),
            quality=float(catalog.shop_quality[s]), good_influence=bool(catalog.shop_good_influence[s]),
            foodcard=str(catalog.shop_foodcard[s]), category=category,
            preferred_categories=user.preferred_categories,
            favorite=int(catalog.shop_ids[s]) in user.favorite_shops, affinity=cat_aff),
        score=float(score), coupon=coupon, phone=catalog.shop_phone[s],
        address=catalog.shop_address[s] or None,
        business_hours_today=describe_day(catalog.shop_hours[s], request.now),
    )


def _coupon_for(session: Session, user_id: int | None, catalog: Catalog, i: int,
                now: datetime) -> tuple[int, dict | None]:
    s = int(catalog.menu_shop[i])
    price = int(catalog.menu_prices[i])
    choice = best_coupon(session, user_id, {"shop_id": int(catalog.shop_ids[s]),
                                            "category": catalog.shop_categories[s],
                                            "foodcard": str(catalog.shop_foodcard[s])}, price, now)
    if choice is None:
        return price, None
    return choice.final_price, choice.to_payload()


# ----------------------------------------------------------------------------- recommend

def recommend(session: Session, request: RecommendationRequest, *, write_log: bool = True) -> RecommendationResult:
    """Recommend up to ``request.limit`` menus (one per shop) that pass every hard filter."""
    settings, rsettings = get_settings(), get_recommend_settings()
    timings: dict[str, float] = {}
    started = clock = time.perf_counter()

    def tick(name: str) -> None:
        nonlocal clock
        now_ = time.perf_counter()
        timings[name] = round((now_ - clock) * 1000, 2)
        clock = now_

    profile = load_profile(session, request.user_id)
    resolve_location(request, profile)
    request.radius_m = request.radius_m or settings.search_radius_m
    dietary = normalised_restrictions(list(profile.get("dietary_restrictions") or [])
                                      + list(request.dietary_restrictions or []))
    tick("profile")

    budget = budget_for(session, request.user_id, request.stated_budget, request.now)
    slack = coupon_slack(session, request.user_id, budget.hard_budget, request.now)
    tick("budget")

    catalog = CATALOGS.get(session, rsettings.catalog_refresh_s)
    tick("catalog")

    fctx = FilterContext(now=request.now, budget=budget.hard_budget, location=request.location,
                         radius_m=request.radius_m, dietary=dietary, coupon_slack=slack,
                         exclude_menu_ids=set(request.exclude_menu_ids),
                         exclude_shop_ids=set(request.exclude_shop_ids))
    outcome = apply_hard_filters(catalog, fctx)
    steps: dict[str, Any] = dict(outcome.steps)
    if not request.food_type or request.food_type_source == "slot":
        # the NLU gave no food word for this message: one in the text wins over an older slot
        said = relevance.food_word_in_text(request.text)
        if said:
            request.food_type, request.food_type_source = said, "text"
    focus = plan_focus(catalog, outcome, request.food_type, request.text)
    steps.update(focus.steps)
    eligible = focus.eligible
    match_scores = focus.match.scores if focus.match is not None else None
    tick("filters")

    retrieved = retrieve(catalog, eligible, request, outcome.distances, rsettings)
    steps["retrieval"] = retrieved.sources
    tick("retrieval")

    user = _user_context(profile, budget)
    ranker = get_ranker(rsettings.ranker_dir, rsettings.ranker_version)
    items: list[RecommendedItem] = []
    pool_scores: list[float] = []
    method = ranker.method
    if len(retrieved.indices):
        qmatch = (match_scores[retrieved.indices] if match_scores is not None
                  else np.zeros(len(retrieved.indices), dtype=np.float32))
        cands = candidates_from(catalog, retrieved.indices, outcome.distances, qmatch, retrieved.scores)
        rctx = RequestContext(slot=request.meal_slot, budget=budget.hard_budget,
                              radius_m=request.radius_m,
                              taste_words=set(relevance.taste_words(request.taste_preference)))
        dense, crosses = build_features(user, cands, rctx)
        scores = ranker.predict(dense, crosses, cands) + foodcard_bonus(cands.foodcard)
        tick("ranking")

        # exact verification in rank order: one menu per shop, coupon-aware budget
        pool: list[tuple[int, int, dict | None, float, int]] = []  # (menu idx, final, coupon, score, row)
        seen_shops: set[int] = set()
        coupon_checks = 0
        want = max(request.limit * 5, 15)
        cand_tiers = focus.tiers[cands.menu_index]
        for row in np.lexsort((-scores, -cand_tiers)):
            i = int(cands.menu_index[row])
            shop = int(catalog.menu_shop[i])
            if shop in seen_shops:
                continue
            price = int(catalog.menu_prices[i])
            final, coupon = price, None
            if budget.hard_budget is not None and price > budget.hard_budget:
                if coupon_checks >= MAX_COUPON_CHECKS:
                    continue
                coupon_checks += 1
                final, coupon = _coupon_for(session, request.user_id, catalog, i, request.now)
            broken = violations(catalog, i, final, fctx)
            if broken:
                if broken != ["budget"]:
                    log.error("Hard filter mismatch for menu %s: %s", catalog.menu_ids[i], broken)
                continue
            seen_shops.add(shop)
            pool.append((i, final, coupon, float(scores[row]), int(row)))

            if len(pool) >= want:
                break
        steps["verified_pool"] = len(pool)
        pool_shops = [int(catalog.menu_shop[p[0]]) for p in pool]
        picked = mmr_select([p[3] for p in pool], [catalog.shop_categories[s] for s in pool_shops],
                            [p[1] for p in pool], pool_shops, request.limit, rsettings.mmr_lambda,
                            tiers=[int(focus.tiers[p[0]]) for p in pool],
                            affinity=[float(user.category_affinity[catalog.shop_category_idx[s]])
                                      for s in pool_shops] if len(user.category_affinity) else None)
        rows = [pool[k][4] for k in picked]
        contributions = ranker.contributions(dense[rows], crosses[rows], _subset(cands, rows)) if rows else []
        for n, k in enumerate(picked):
            i, final, coupon, score, _row = pool[k]
            if coupon is None:
                final, coupon = _coupon_for(session, request.user_id, catalog, i, request.now)
                if violations(catalog, i, final, fctx):
                    final, coupon = int(catalog.menu_prices[i]), None
            item = _item(catalog, i, final_price=final, coupon=coupon, score=score,
                         distances=outcome.distances, request=request, budget=budget, user=user,
                         walk_speed=settings.walk_speed_m_per_min)
            item.feature_contributions = contributions[n] if n < len(contributions) else {}
            item.match_tier = int(focus.tiers[i])
            items.append(item)
            pool_scores.append(score)
        has_more = len(pool) > len(items) or int(eligible.sum()) > len(pool)
    else:
        tick("ranking")
        has_more = False
    if isinstance(ranker, PopularityBaseline) and retrieved.semantic:
        method = "HYBRID"

    food = _food_type_outcome(focus, outcome, items, request)
    alternatives: list[RecommendedItem] = []
    if not items:
        alternatives = _alternatives(session, catalog, outcome, fctx, request, budget, user,
                                     settings.walk_speed_m_per_min, focus)
    elif food is not None and food.missing_reason in (MISSING_BUDGET, MISSING_CLOSED):
        alternatives = _wanted_alternatives(session, catalog, outcome, request, budget, user,
                                            settings.walk_speed_m_per_min, focus, food.missing_reason,
                                            {i.shop_id for i in items})
    tick("compose")

    result = RecommendationResult(
        items=items, alternatives=alternatives, method=method, ranker=ranker.name,
        filtering_steps=steps, total_candidates=int(len(retrieved.indices)), timings_ms=timings,
        budget=budget, request=request, has_more=has_more,
        food_type_matched=(food.shown_level == "exact") if food is not None else None, food_type=food,
        location_source=request.location_source, place_name=request.place_name,
        diversity=diversity_score([i.category for i in items], [i.final_price for i in items]),
    )
    timings["total"] = round((time.perf_counter() - started) * 1000, 2)
    if write_log:
        _write_logs(session, result)
        timings["log"] = round((time.perf_counter() - started) * 1000 - timings["total"], 2)
    return result


def _subset(cands: Candidates, rows: list[int]) -> Candidates:
    r = np.asarray(rows, dtype=np.int64)
    return Candidates(
        menu_index=cands.menu_index[r], shop_id=cands.shop_id[r], category=[cands.category[k] for k in rows],
        price=cands.price[r], popularity=cands.popularity[r], quality=cands.quality[r],
        popular_menu=cands.popular_menu[r], foodcard=cands.foodcard[r],
        good_influence=cands.good_influence[r], distance_m=cands.distance_m[r],
        frequency=cands.frequency[r], tags=[cands.tags[k] for k in rows],
        text=[cands.text[k] for k in rows], query_match=cands.query_match[r],
        retrieval_score=cands.retrieval_score[r])


def _food_type_outcome(focus: Focus, outcome, items: list[RecommendedItem],
                       request: RecommendationRequest) -> FoodTypeOutcome | None:
    if focus.match is None:
        return None
    best = max((i.match_tier or 0 for i in items), default=0)
    shown = tier_name(best) if items else "none"
    reason = None if shown == "exact" else (focus.missing_reason(outcome) or "none")
    if reason == "none" and request.exclude_shop_ids and shown != "exact":
        reason = "no_more"          # "다른 거": every shop selling it was shown already
    return FoodTypeOutcome(requested=str(request.food_type), word=focus.match.word,
                           source=request.food_type_source, shown_level=shown, missing_reason=reason)


def _best_per_shop(catalog: Catalog, idx: np.ndarray, key) -> list[int]:
    chosen: dict[int, int] = {}
    for i in sorted(idx.tolist(), key=key):
        chosen.setdefault(int(catalog.menu_shop[i]), i)
    return list(chosen.values())


def _focus_rows(catalog: Catalog, mask: np.ndarray, focus: Focus) -> np.ndarray:
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


def _alternatives(session: Session, catalog: Catalog, outcome, fctx: FilterContext,
                  request: RecommendationRequest, budget: BudgetInfo, user: UserContext,
                  walk_speed: int, focus: Focus) -> list[RecommendedItem]:
    """Nearest misses when nothing passes: shops opening soon, menus a little over budget."""
    found: list[RecommendedItem] = []
    used_shops: set[int] = set()
    limit = request.limit

    # Opening soon (in budget, every other filter passes except "open now").
    soon: list[tuple[datetime, int]] = []
    closed_shops = _best_per_shop(catalog, _focus_rows(catalog, outcome.closed_but_in_budget, focus),
                                  key=lambda i: (-catalog.shop_popularity[catalog.menu_shop[i]], catalog.menu_prices[i]))
    for i in closed_shops[:300]:
        opens = next_opening(catalog.shop_hours[catalog.menu_shop[i]], request.now)
        if opens is not None and opens - request.now <= OPENING_SOON_WINDOW:
            soon.append((opens, i))
    soon.sort(key=lambda pair: (pair[0], -catalog.shop_popularity[catalog.menu_shop[pair[1]]]))
    for opens, i in soon[:max(1, limit - 1)]:
        item = _item(catalog, i, final_price=int(catalog.menu_prices[i]), coupon=None, score=0.0,
                     distances=outcome.distances, request=request, budget=budget, user=user,
                     walk_speed=walk_speed)
        item.alternative_reason, item.opens_at = ALTERNATIVE_OPENING_SOON, opens
        item.match_tier = int(focus.tiers[i]) if focus.match is not None else None
        found.append(item)
        used_shops.add(item.shop_id)

    # Slightly over budget (open now, every filter but the budget).
    if budget.hard_budget is not None:
        cap = max(budget.hard_budget * OVER_BUDGET_MAX_RATIO, budget.hard_budget + 3000)
        over = outcome.open_but_over_budget & (catalog.menu_prices <= cap)
        for i in _best_per_shop(catalog, _focus_rows(catalog, over, focus),
                                key=lambda i: (catalog.menu_prices[i], -catalog.shop_popularity[catalog.menu_shop[i]])):
            if len(found) >= limit:
                break
            if int(catalog.shop_ids[catalog.menu_shop[i]]) in used_shops:
                continue
            final, coupon = _coupon_for(session, request.user_id, catalog, i, request.now)
            item = _item(catalog, i, final_price=final, coupon=coupon, score=0.0,
                         distances=outcome.distances, request=request, budget=budget, user=user,
                         walk_speed=walk_speed)
            item.alternative_reason = ALTERNATIVE_OVER_BUDGET
            item.match_tier = int(focus.tiers[i]) if focus.match is not None else None
            found.append(item)
            used_shops.add(item.shop_id)
    return found[:limit]


def _wanted_alternatives(session: Session, catalog: Catalog, outcome, request: RecommendationRequest,
                         budget: BudgetInfo, user: UserContext, walk_speed: int, focus: Focus,
                         reason: str, shown_shops: set[int]) -> list[RecommendedItem]:
    """The real thing the user named, marked: over the budget (cheapest first) or opening soon.

    Shown beside the items when the named food itself does not pass ("그럼 치킨은?" with
    5,000원: chicken shops cost more), so the answer is honest about it. No price cap:
    the price is part of the honest answer.
    """
    if focus.wanted is None or outcome.nearby is None or outcome.open_now is None:
        return []
    found: list[RecommendedItem] = []
    most = max(1, WANTED_ALTERNATIVES)
    if reason == MISSING_BUDGET:
        rows = np.flatnonzero(focus.wanted & outcome.nearby & outcome.open_now)
        for i in _best_per_shop(catalog, rows, key=lambda i: (catalog.menu_prices[i],
                                                              -catalog.shop_popularity[catalog.menu_shop[i]])):
            if len(found) >= most:
                break
            if int(catalog.shop_ids[catalog.menu_shop[i]]) in shown_shops:
                continue
            final, coupon = _coupon_for(session, request.user_id, catalog, i, request.now)
            if budget.hard_budget is not None and final <= budget.hard_budget:
                continue      # fits after all (e.g. it was past the verification pool): not a miss
            item = _item(catalog, i, final_price=final, coupon=coupon, score=0.0,
                         distances=outcome.distances, request=request, budget=budget, user=user,
                         walk_speed=walk_speed)
            item.alternative_reason, item.match_tier = ALTERNATIVE_OVER_BUDGET, TOP_TIER
            found.append(item)
    elif reason == MISSING_CLOSED:
        rows = np.flatnonzero(focus.wanted & outcome.nearby & ~outcome.open_now)
        soon: list[tuple[datetime, int]] = []
        for i in _best_per_shop(catalog, rows, key=lambda i: catalog.menu_prices[i]):
            opens = next_opening(catalog.shop_hours[catalog.menu_shop[i]], request.now)
            if opens is not None and opens - request.now <= WANTED_OPENING_WINDOW:
                soon.append((opens, i))
        soon.sort(key=lambda pair: (pair[0], catalog.menu_prices[pair[1]]))
        for opens, i in soon[:most]:
            final, coupon = _coupon_for(session, request.user_id, catalog, i, request.now)
            item = _item(catalog, i, final_price=final, coupon=coupon, score=0.0,
                         distances=outcome.distances, request=request, budget=budget, user=user,
                         walk_speed=walk_speed)
            item.alternative_reason, item.opens_at, item.match_tier = ALTERNATIVE_OPENING_SOON, opens, TOP_TIER
            found.append(item)
    return found


def _write_logs(session: Session, result: RecommendationResult) -> None:
    request = result.request
    shown = result.items + result.alternatives
    top = [i.score for i in result.items]
    row = RecommendationLog(
        user_id=request.user_id,
        session_id=session_uuid(request.session_key or f"anon-{id(request)}"),
        request_intent=(request.intent or "FOOD_REQUEST").upper()[:50],
        request_entities={k: v for k, v in request.to_log().items()
                          if k in ("stated_budget", "food_type", "food_type_source", "time_preference", "party_size",
                                   "place_name", "taste_preference", "dietary_restrictions",
                                   "location_source", "now", "exclude_shop_ids")},
        user_latitude=Decimal(f"{request.location[0]:.8f}") if request.location else None,
        user_longitude=Decimal(f"{request.location[1]:.8f}") if request.location else None,
        recommendations=[i.to_payload() for i in shown],
        recommendation_count=len(result.items),
        recommendation_method=result.method,
        confidence_score=Decimal(f"{min(1.0, max(top)):.3f}") if top else None,
        total_candidates=result.total_candidates,
        filtering_steps={**result.filtering_steps, "budget": result.budget.to_log(),
                         "ranker": result.ranker, "timings_ms": result.timings_ms},
        diversity_score=Decimal(f"{result.diversity:.3f}"),
    )
    session.add(row)
    log_performance(session, "recommend", result.timings_ms.get("total", 0.0),
                    {k: v for k, v in result.timings_ms.items() if k != "total"},
                    session_key=request.session_key, user_id=request.user_id,
                    details={"method": result.method, "candidates": result.total_candidates,
                             "items": len(result.items)})
    session.flush()
    result.log_id = row.id


# ----------------------------------------------------------------------------- selection

@dataclass
class SelectionResult:
    shop_id: int
    shop_name: str
    menu_name: str | None
    final_price: int | None
    phone: str | None
    address: str | None


def select_option(session: Session, *, user_id: int | None, option: dict[str, Any],
                  recommendation_log_id: int | None, now: datetime,
                  turn: TurnRecord | None = None, shown_at: datetime | None = None) -> SelectionResult:
    """Record a choice (seed 001 §4.3.1) in the caller's transaction, all or nothing.

    recommendations_log.user_final_selection (+ time to decision), the conversation
    turn with selected_shop_id, shops.recommendation_count, menus.recommendation_frequency,
    and user_profiles (interaction_count, recent_orders, favorite_shops,
    preferred_categories). Cache invalidation happens after the caller commits.
    """
    shop_id = int(option["shop_id"])
    menu_id = option.get("menu_id")
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"shop {shop_id} does not exist")
    if recommendation_log_id is not None:
        values: dict[str, Any] = {"user_final_selection": shop_id}
        if shown_at is not None:
            values["time_to_decision_ms"] = max(0, int((now - shown_at).total_seconds() * 1000))
        session.execute(update(RecommendationLog)
                        .where(RecommendationLog.id == int(recommendation_log_id))
                        .values(**values))
    session.execute(update(Shop).where(Shop.id == shop_id)
                    .values(recommendation_count=Shop.recommendation_count + 1))
    menu = None
    if menu_id is not None:
        menu = session.get(Menu, int(menu_id))
        if menu is not None:
            session.execute(update(Menu).where(Menu.id == menu.id)
                            .values(recommendation_frequency=Menu.recommendation_frequency + 1))
    if user_id is not None:
        profile = session.scalar(select(UserProfile).where(UserProfile.user_id == user_id)
                                 .with_for_update())
        if profile is None:
            profile = UserProfile(user_id=user_id)
            session.add(profile)
        orders = list(profile.recent_orders or [])
        orders.append({"shop_id": shop_id, "menu_id": menu.id if menu else None,
                       "category": shop.category, "price": option.get("final_price") or (menu.price if menu else None),
                       "ordered_at": now.isoformat()})
        orders = orders[-30:]
        profile.recent_orders = orders
        profile.interaction_count = int(profile.interaction_count or 0) + 1
        visits = sum(1 for o in orders if o.get("shop_id") == shop_id)
        favorites = [int(s) for s in profile.favorite_shops or []]
        if visits >= 2 and shop_id not in favorites:
            profile.favorite_shops = (favorites + [shop_id])[-20:]
        preferred = list(profile.preferred_categories or [])
        same_category = sum(1 for o in orders if o.get("category") == shop.category)
        if same_category >= 2 and shop.category not in preferred:
            profile.preferred_categories = (preferred + [shop.category])[-5:]
        profile.last_updated = now
    if turn is not None:
        turn.selected_shop_id = shop_id
        turn.user_id = turn.user_id or user_id
        log_turn(session, turn)
    session.flush()
    if user_id is not None:
        invalidate_profile(user_id)  # the caller invalidates once more after commit
    return SelectionResult(shop_id=shop_id, shop_name=shop.shop_name,
                           menu_name=menu.menu_name if menu else option.get("menu_name"),
                           final_price=option.get("final_price") or (menu.price if menu else None),
                           phone=shop.phone, address=shop.road_address_name or shop.address_name)


# ----------------------------------------------------------------------------- warm-up

def warm_up() -> None:
    """Load what the first answer would otherwise wait for (run in a background thread)."""
    started = time.perf_counter()
    try:
        from naviyam.adapters.db.session import unit_of_work
        from naviyam.adapters.search.bm25 import kiwi
        from naviyam.adapters.search.index_store import INDEXES

        rsettings = get_recommend_settings()
        with unit_of_work() as session:
            catalog = CATALOGS.get(session, 0)
        get_ranker(rsettings.ranker_dir, rsettings.ranker_version)
        kiwi()
        INDEXES.get(catalog, rsettings.index_dir, rsettings.embedding_backend, rsettings.embedding_model,
                    rsettings.build_index_in_background)
        log.info("Recommendation engine warmed up in %.1f s", time.perf_counter() - started)
    except Exception:  # noqa: BLE001 - warm-up is best effort (e.g. no database yet)
        log.warning("Recommendation warm-up skipped", exc_info=True)


def start_warm_up() -> None:
    """Called when the action server loads the actions (not under pytest)."""
    import sys
    import threading

    if get_recommend_settings().warm_up and "pytest" not in sys.modules:
        threading.Thread(target=warm_up, name="naviyam-reco-warmup", daemon=True).start()
