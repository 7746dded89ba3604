"""The recommendation engine ``recommend`` (a chat turn calls it through
``naviyam.usecases.recommend_turn.recommend_turn``, which owns the transaction).

Steps (each timed; the timings go to performance_logs and the result):
profile → location → budget → catalog → hard filters → relevance (food type) →
retrieval (structured + BM25 + FAISS, RRF) → features + ranker (+ meal-card bonus) →
exact verification (coupon, every hard filter again) → MMR → reasons → log.

Nothing that does not pass every hard filter goes into ``items``; when nothing does,
``alternatives`` holds the nearest misses (opening soon, a little over budget) marked
with ``alternative_reason``. The pure parts live in ``naviyam.domain.recommend``
(context, candidates, result); ranking and alternatives in ``recommend_ranking`` and
``recommend_alternatives``; choosing an option in ``naviyam.usecases.selection``.
"""
from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from naviyam.adapters.db.catalog import CATALOGS
from naviyam.adapters.db.places import remembered_place
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.adapters.db.profile_queries import load_profile
from naviyam.adapters.ranking_model import PopularityBaseline
from naviyam.adapters.search.hybrid import Retrieved, retrieve
from naviyam.config import get_learning_settings, get_recommend_settings, get_settings
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.context import (
    Search, resolve_location, take_food_word_from_text, user_context,
)
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters, normalised_restrictions
from naviyam.domain.recommend.focus import plan as plan_focus
from naviyam.domain.recommend.mmr import diversity_score
from naviyam.domain.recommend.preferences import URGENT, group_budget
from naviyam.domain.recommend.money import BudgetInfo
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.when import shifted_time
from naviyam.domain.recommend.result import (
    RecommendationResult, RecommendedItem, food_type_outcome,
)
from naviyam.usecases import recommend_ranking as ranking
from naviyam.usecases.budget import budget_for, coupon_slack
from naviyam.usecases.feedback import excluded_shops
from naviyam.usecases.learning.serving import ranker_for
from naviyam.usecases.recommend_alternatives import alternatives_for
from naviyam.usecases.recommend_log import write_recommendation_log
from naviyam.usecases.place_memory import fresh_memory, place_choices, remember_confirmed

__all__ = ["RecommendationResult", "RecommendedItem", "recommend"]


class Stopwatch:
    """Milliseconds per named step, and in total."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}
        self.started = self.clock = time.perf_counter()

    def tick(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round((now - self.clock) * 1000, 2)
        self.clock = now

    def since_start(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 2)


def recommend(session: Session, request: RecommendationRequest, *, write_log: bool = True,
              ranker=None, explore: bool = True) -> RecommendationResult:
    """Recommend up to ``request.limit`` menus (one per shop) that pass every hard filter.

    ``ranker``: the model registry's choice for this user unless given (offline evaluation);
    ``explore``: the logged exploration (NAVIYAM_EXPLORATION_RATE) applies; False: deterministic.
    """
    settings, rsettings = get_settings(), get_recommend_settings()
    clock = Stopwatch()
    profile = load_profile(session, request.user_id)
    gazetteer = get_gazetteer()
    memory = remembered_place(session, request.user_id)
    resolve_location(request, profile, gazetteer, fresh_memory(memory, request, rsettings.place_memory_days))
    request.radius_m = request.radius_m or settings.search_radius_m
    clock.tick("profile")

    group = group_budget(request.stated_budget, request.party_size, request.budget_scope)
    stated = group.per_person if group is not None else request.stated_budget
    budget = budget_for(session, request.user_id, stated, request.now)
    if request.location is None:
        # Never search everywhere: ask where (the action answers kind "ask_location").
        return RecommendationResult(
            items=[], alternatives=[], method="FALLBACK", ranker="", filtering_steps={}, total_candidates=0,
            timings_ms=clock.timings, budget=budget, request=request, needs_location=True,
            place_choices=place_choices(memory, profile, gazetteer))
    if write_log:
        remember_confirmed(session, request, gazetteer, rsettings.place_memory_days)
    slack = coupon_slack(session, request.user_id, budget.hard_budget, request.now)
    clock.tick("budget")

    catalog = CATALOGS.get(session, rsettings.catalog_refresh_s)
    clock.tick("catalog")

    disliked = excluded_shops(session, request.user_id, request.now) - set(request.exclude_shop_ids)
    search = hard_filters(catalog, request, profile, budget, slack, settings.walk_speed_m_per_min,
                          disliked=disliked)
    clock.tick("filters")

    retrieved = retrieve(catalog, search.focus.eligible, request, search.outcome.distances, rsettings)
    search.steps["retrieval"] = retrieved.sources
    clock.tick("retrieval")

    if ranker is None:
        ranker = ranker_for(session, str(request.user_id) if request.user_id is not None else request.session_key)
    epsilon = get_learning_settings().exploration_rate if explore else 0.0
    items, has_more, policy_log = rank_and_pick(session, search, retrieved, ranker, clock, epsilon)
    food = food_type_outcome(search.focus, search.outcome, items, request)
    alternatives = alternatives_for(session, search, items, food)
    clock.tick("compose")

    method = "HYBRID" if isinstance(ranker, PopularityBaseline) and retrieved.semantic else ranker.method
    result = RecommendationResult(
        items=items, alternatives=alternatives, method=method, ranker=ranker.name,
        filtering_steps=search.steps, total_candidates=int(len(retrieved.indices)), timings_ms=clock.timings,
        budget=budget, request=request, has_more=has_more,
        food_type_matched=(food.shown_level == "exact") if food is not None else None, food_type=food,
        location_source=request.location_source, place_name=request.place_name,
        diversity=diversity_score([i.category for i in items], [i.final_price for i in items]),
        group_budget=group.to_payload() if group is not None else None, excluded_by_feedback=len(disliked),
        policy_log=policy_log,
    )
    clock.timings["total"] = clock.since_start()
    if write_log:
        write_recommendation_log(session, result)
        clock.timings["log"] = round(clock.since_start() - clock.timings["total"], 2)
    return result


def hard_filters(catalog: Catalog, request: RecommendationRequest, profile: dict[str, Any],
                 budget: BudgetInfo, slack: int, walk_speed: int, *, disliked: set[int] | None = None) -> Search:
    """Every hard filter over the catalog, then the food-type focus: the search's state.

    ``disliked``: shops this user disliked or reported closed (left out like shops shown
    before); an urgent request keeps only shops open ``urgent_open_minutes`` more minutes.
    """
    shift = shifted_time(request.text, request.time_preference, request.now)
    request.open_at, request.time_label = (shift.at, shift.label) if shift else (None, None)
    dietary = normalised_restrictions(list(profile.get("dietary_restrictions") or [])
                                      + list(request.dietary_restrictions or []))
    filters = FilterContext(now=request.open_moment, budget=budget.hard_budget, location=request.location,
                            radius_m=request.radius_m, dietary=dietary, coupon_slack=slack,
                            exclude_menu_ids=set(request.exclude_menu_ids),
                            exclude_shop_ids=set(request.exclude_shop_ids) | set(disliked or ()),
                            open_for_min=(get_recommend_settings().urgent_open_minutes
                                          if request.urgency == URGENT else 0))
    outcome = apply_hard_filters(catalog, filters)
    take_food_word_from_text(request)
    focus = plan_focus(catalog, outcome, request.food_type, request.text)
    search = Search(catalog=catalog, request=request, budget=budget, user=user_context(profile, budget),
                    filters=filters, outcome=outcome, focus=focus, walk_speed=walk_speed,
                    steps={**outcome.steps, **focus.steps})
    ranking.add_preferences(search)
    return search


def rank_and_pick(session: Session, search: Search, retrieved: Retrieved, ranker, clock: Stopwatch,
                  epsilon: float = 0.0) -> tuple[list[RecommendedItem], bool, dict | None]:
    """The shown items, whether more would pass ("다른 거" has something to show), and the
    list's policy log (propensities; None when nothing was ranked)."""
    if not len(retrieved.indices):
        clock.tick("ranking")
        return [], False, None
    scored = ranking.score(search, retrieved, ranker)
    clock.tick("ranking")
    pool = ranking.verified_pool(session, search, scored)
    search.steps["verified_pool"] = len(pool)
    picked = ranking.pick(search, pool, get_recommend_settings().mmr_lambda)
    picked, policy_log = ranking.explore_pick(search, scored, pool, picked, ranker, epsilon,
                                              get_learning_settings().exploration_pool)
    items = ranking.shown_items(session, search, scored, picked, ranker)
    has_more = len(pool) > len(items) or int(search.focus.eligible.sum()) > len(pool)
    return items, has_more, policy_log if picked else None
