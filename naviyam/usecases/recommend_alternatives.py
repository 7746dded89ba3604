"""Nearest misses, marked as such (steps of ``recommend``).

- ``alternatives``: nothing passes every hard filter → shops opening soon (in budget)
  and menus a little over budget (open now), each with ``alternative_reason``.
- ``wanted_alternatives``: items were found but not the food the user named, because it
  is over budget or closed now → the real thing, beside the items, marked. No price
  cap there: the price is part of the honest answer.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from sqlalchemy.orm import Session

from naviyam.domain.hours import next_opening
from naviyam.domain.recommend.candidates import best_per_shop, focus_rows
from naviyam.domain.recommend.context import Search
from naviyam.domain.recommend.focus import MISSING_BUDGET, MISSING_CLOSED, TOP_TIER
from naviyam.domain.recommend.result import (
    ALTERNATIVE_OPENING_SOON, ALTERNATIVE_OVER_BUDGET, FoodTypeOutcome, RecommendedItem,
)
from naviyam.usecases.budget import menu_coupon

OPENING_SOON_WINDOW = timedelta(hours=3)
OVER_BUDGET_MAX_RATIO = 1.5
WANTED_ALTERNATIVES = 2      # the named food itself, over budget or opening later, beside the items
WANTED_OPENING_WINDOW = timedelta(hours=8)   # "치킨집은 16:00에 열어요" at lunch


def alternatives_for(session: Session, search: Search, items: list[RecommendedItem],
                     food: FoodTypeOutcome | None) -> list[RecommendedItem]:
    """The nearest misses this answer shows (none when the named food itself was found)."""
    if not items:
        return alternatives(session, search)
    if food is not None and food.missing_reason in (MISSING_BUDGET, MISSING_CLOSED):
        return wanted_alternatives(session, search, food.missing_reason, {i.shop_id for i in items})
    return []


def alternatives(session: Session, search: Search) -> list[RecommendedItem]:
    """Nearest misses when nothing passes: shops opening soon, menus a little over budget."""
    catalog, request, budget, outcome = search.catalog, search.request, search.budget, search.outcome
    found: list[RecommendedItem] = []
    used_shops: set[int] = set()
    limit = request.limit

    # Opening soon (in budget, every other filter passes except "open now").
    soon: list[tuple[datetime, int]] = []
    closed_shops = best_per_shop(
        catalog, focus_rows(catalog, outcome.closed_but_in_budget, search.focus),
        key=lambda i: (-catalog.shop_popularity[catalog.menu_shop[i]], catalog.menu_prices[i]))
    for i in closed_shops[:300]:
        opens = next_opening(catalog.shop_hours[catalog.menu_shop[i]], request.open_moment)
        if opens is not None and opens - request.open_moment <= OPENING_SOON_WINDOW:
            soon.append((opens, i))
    soon.sort(key=lambda pair: (pair[0], -catalog.shop_popularity[catalog.menu_shop[pair[1]]]))
    for opens, i in soon[:max(1, limit - 1)]:
        item = search.item(i, final_price=int(catalog.menu_prices[i]), coupon=None, score=0.0)
        item.alternative_reason, item.opens_at = ALTERNATIVE_OPENING_SOON, opens
        item.match_tier = search.tier(i)
        found.append(item)
        used_shops.add(item.shop_id)

    # Slightly over budget (open now, every filter but the budget).
    if budget.hard_budget is not None:
        cap = max(budget.hard_budget * OVER_BUDGET_MAX_RATIO, budget.hard_budget + 3000)
        over = outcome.open_but_over_budget & (catalog.menu_prices <= cap)
        for i in best_per_shop(catalog, focus_rows(catalog, over, search.focus),
                               key=lambda i: (catalog.menu_prices[i],
                                              -catalog.shop_popularity[catalog.menu_shop[i]])):
            if len(found) >= limit:
                break
            if int(catalog.shop_ids[catalog.menu_shop[i]]) in used_shops:
                continue
            final, coupon = menu_coupon(session, request.user_id, catalog, i, request.now)
            item = search.item(i, final_price=final, coupon=coupon, score=0.0)
            item.alternative_reason = ALTERNATIVE_OVER_BUDGET
            item.match_tier = search.tier(i)
            found.append(item)
            used_shops.add(item.shop_id)
    return found[:limit]


def wanted_alternatives(session: Session, search: Search, reason: str,
                        shown_shops: set[int]) -> list[RecommendedItem]:
    """The real thing the user named, marked: over the budget (cheapest first) or opening soon.

    Shown beside the items when the named food itself does not pass ("그럼 치킨은?" with
    5,000원: chicken shops cost more), so the answer is honest about it.
    """
    catalog, request, budget, outcome, focus = (search.catalog, search.request, search.budget,
                                                search.outcome, search.focus)
    if focus.wanted is None or outcome.nearby is None or outcome.open_now is None:
        return []
    found: list[RecommendedItem] = []
    most = max(1, WANTED_ALTERNATIVES)
    if reason == MISSING_BUDGET:
        rows = np.flatnonzero(focus.wanted & outcome.nearby & outcome.open_now)
        for i in best_per_shop(catalog, rows, key=lambda i: (catalog.menu_prices[i],
                                                             -catalog.shop_popularity[catalog.menu_shop[i]])):
            if len(found) >= most:
                break
            if int(catalog.shop_ids[catalog.menu_shop[i]]) in shown_shops:
                continue
            final, coupon = menu_coupon(session, request.user_id, catalog, i, request.now)
            if budget.hard_budget is not None and final <= budget.hard_budget:
                continue      # fits after all (e.g. it was past the verification pool): not a miss
            item = search.item(i, final_price=final, coupon=coupon, score=0.0)
            item.alternative_reason, item.match_tier = ALTERNATIVE_OVER_BUDGET, TOP_TIER
            found.append(item)
    elif reason == MISSING_CLOSED:
        rows = np.flatnonzero(focus.wanted & outcome.nearby & ~outcome.open_now)
        soon: list[tuple[datetime, int]] = []
        for i in best_per_shop(catalog, rows, key=lambda i: catalog.menu_prices[i]):
            opens = next_opening(catalog.shop_hours[catalog.menu_shop[i]], request.open_moment)
            if opens is not None and opens - request.open_moment <= WANTED_OPENING_WINDOW:
                soon.append((opens, i))
        soon.sort(key=lambda pair: (pair[0], catalog.menu_prices[pair[1]]))
        for opens, i in soon[:most]:
            final, coupon = menu_coupon(session, request.user_id, catalog, i, request.now)
            item = search.item(i, final_price=final, coupon=coupon, score=0.0)
            item.alternative_reason, item.opens_at, item.match_tier = ALTERNATIVE_OPENING_SOON, opens, TOP_TIER
            found.append(item)
    return found
