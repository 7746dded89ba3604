"""The request in context: where the user is, who they are, and one search's shared state.

Pure: the profile arrives as the dict ``load_profile`` returns, the budget as a
``BudgetInfo``; ``Search`` holds what the ranking and the alternatives both read, and
builds the shown items from catalog rows.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from naviyam.domain.geo import resolve_place, walk_minutes
from naviyam.shared.places import Gazetteer, Place
from naviyam.domain.hours import describe_day
from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.features import UserContext
from naviyam.domain.recommend.filters import FilterContext, FilterOutcome
from naviyam.domain.recommend.focus import Focus
from naviyam.domain.recommend.money import BudgetInfo
from naviyam.domain.recommend.reasons import reasons_for
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.recommend.result import RecommendedItem


def resolve_location(request: RecommendationRequest, profile: dict[str, Any], gazetteer: Gazetteer,
                     remembered: tuple[str, float, float] | None = None) -> None:
    """place named in this message → metadata location → named place of an earlier turn (NLU
    slot) → remembered place → profile's area → none.

    A place the child names now ("부산 서면인데 돈까스") is where they want to eat, even when
    the client attached its position to the message (the web chat and REST clients do on every
    message); an unknown name leaves the position in charge. A shared position is named by
    the gazetteer's nearest area (``place_name``); ``remembered`` is the user's last confirmed
    place while it has not expired.
    """
    named = resolve_place(request.place_name, gazetteer) if request.place_name else None
    if named is not None and (request.place_said or request.location is None):
        request.location, request.location_source, request.place_name = (named.lat, named.lng), "place", named.name
        return
    if request.location is not None:
        request.location_source = request.location_source or "metadata"
        if not request.place_name or request.location_source == "metadata":
            area = gazetteer.area_at(*request.location)
            request.place_name = area.name if area is not None else None
        return
    if remembered is not None:
        request.place_name, lat, lng = remembered
        request.location, request.location_source = (lat, lng), "remembered"
        return
    for name in (profile.get("preferred_location"), (profile.get("location_preferences") or [None])[0]):
        place = resolve_place(name, gazetteer) if name else None
        if place is not None:
            request.location, request.location_source, request.place_name = (place.lat, place.lng), "profile", place.name
            return
    request.location_source = None


def confirmed_place(request: RecommendationRequest, gazetteer: Gazetteer) -> Place | None:
    """The place to remember after this request: a named place, or the area of a shared position."""
    if request.location_source not in ("place", "metadata") or not request.place_name:
        return None
    return gazetteer.get(request.place_name)


def take_food_word_from_text(request: RecommendationRequest) -> None:
    """The NLU gave no food word for this message: one in the text wins over an older slot."""
    if not request.food_type or request.food_type_source == "slot":
        said = relevance.food_word_in_text(request.text)
        if said:
            request.food_type, request.food_type_source = said, "text"


def user_context(profile: dict[str, Any], budget: BudgetInfo) -> UserContext:
    """The ranker's view of the user (history from the profile, card state from the budget)."""
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


@dataclass
class Search:
    """One recommendation's state after the hard filters: what ranking and alternatives share."""

    catalog: Catalog
    request: RecommendationRequest
    budget: BudgetInfo
    user: UserContext
    filters: FilterContext
    outcome: FilterOutcome
    focus: Focus
    walk_speed: int                      # metres a minute
    steps: dict[str, Any] = field(default_factory=dict)   # survivors per step (filtering_steps)
    preference: np.ndarray | None = None     # per menu: group fit x 2 + portion match (issue 12)

    def tier(self, i: int) -> int | None:
        """The focus tier of menu ``i`` when a food was named, else None."""
        return int(self.focus.tiers[i]) if self.focus.match is not None else None

    def item(self, i: int, *, final_price: int, coupon: dict | None, score: float) -> RecommendedItem:
        """The shown item for catalog menu ``i`` at ``final_price`` (after ``coupon``)."""
        catalog, user, distances = self.catalog, self.user, self.outcome.distances
        s = int(catalog.menu_shop[i])
        distance = float(distances[s]) if distances is not None else None
        category = catalog.shop_categories[s]
        affinity = (float(user.category_affinity[catalog.shop_category_idx[s]])
                    if len(user.category_affinity) else 0)
        return RecommendedItem(
            shop_id=int(catalog.shop_ids[s]), shop_name=catalog.shop_names[s], category=category,
            menu_id=int(catalog.menu_ids[i]), menu_name=catalog.menu_names[i],
            price=int(catalog.menu_prices[i]), final_price=int(final_price),
            foodcard=str(catalog.shop_foodcard[s]),
            distance_m=int(round(distance)) if distance is not None else None,
            walk_minutes=walk_minutes(distance, self.walk_speed) if distance is not None else None,
            reasons=reasons_for(
                final_price=int(final_price), budget=self.budget.hard_budget, distance_m=distance,
                popularity=float(catalog.shop_popularity[s]), popular_menu=bool(catalog.menu_popular[i]),
                quality=float(catalog.shop_quality[s]), good_influence=bool(catalog.shop_good_influence[s]),
                foodcard=str(catalog.shop_foodcard[s]), category=category,
                preferred_categories=user.preferred_categories,
                favorite=int(catalog.shop_ids[s]) in user.favorite_shops, affinity=affinity),
            score=float(score), coupon=coupon, phone=catalog.shop_phone[s],
            address=catalog.shop_address[s] or None,
            business_hours_today=describe_day(catalog.shop_hours[s], self.request.open_moment),
        )
