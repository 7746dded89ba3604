"""Which of the menus that pass the hard filters to rank, in which tiers, and why a wanted food is missing.

Runs between the hard filters and retrieval (docs/RECOMMENDATION.md "Meals and food types"):

- **Menu kind**: a meal request ranks meals (메인메뉴/세트메뉴) only; sides
  (사이드메뉴) only when no meal passes the filters (a 1,500원 budget), or as weaker
  matches of a named food (치킨너겟 for "치킨"). Drinks, desserts and extras (공기밥)
  are never offered as a meal; when the user asks for a drink, dessert, café or snack
  every kind may be shown.
- **Tiers**: with a stated food type every menu gets a tier (higher is shown first,
  the ranker orders within a tier):

  | tier | menu |
  |---|---|
  | 5 | the real thing as a meal (a chicken shop's main menu for "치킨", a 떡볶이 for "떡볶이") |
  | 4 | a meal containing it (치킨마요 도시락), or the real thing as a side (닭강정 컵) |
  | 3 | a side containing it (치킨너겟 at a burger shop) |
  | 2 / 1 | a related meal / side (another menu of a 분식집 for "떡볶이"; a mention) |
  | 0 | unrelated |

  Only matching menus are ranked when any passes; otherwise the best meals are, and
  the answer says so.
- **Why the real thing is missing** (``missing_reason``): ``budget`` (open nearby but
  over the budget), ``closed`` (nearby but closed now), ``far`` (only beyond the
  radius), ``none`` (no usable shop sells it, or all were shown already).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.filters import FilterOutcome
from naviyam.domain.recommend.relevance import EXACT, PARTIAL, RELATED, FoodTypeMatch

TOP_TIER = 5
MISSING_BUDGET, MISSING_CLOSED, MISSING_FAR, MISSING_NONE = "budget", "closed", "far", "none"


@dataclass
class Focus:
    eligible: np.ndarray                  # menus to rank (pass every hard filter but the exact budget)
    tiers: np.ndarray                     # int8 per menu, higher first
    snack: bool                           # a drink/dessert/café/snack request: every kind may be shown
    kind: str                             # what the ranked pool holds: meal | side | any
    match: FoodTypeMatch | None
    # the real thing (tier 5) over the whole catalog: computed on first use (``wanted``)
    wanted_mask: Callable[[], np.ndarray] | np.ndarray | None = None
    wanted_eligible: bool = False         # a real thing passes the hard filters
    steps: dict[str, int | str] = field(default_factory=dict)

    @property
    def word(self) -> str | None:
        return self.match.word if self.match else None

    @property
    def wanted(self) -> np.ndarray | None:
        if callable(self.wanted_mask):
            self.wanted_mask = self.wanted_mask()
        return self.wanted_mask

    def missing_reason(self, outcome: FilterOutcome) -> str | None:
        """Why no real match passes the hard filters (None when one does or no food was named)."""
        if self.match is None or self.wanted_eligible:
            return None
        if outcome.nearby is not None:
            # nearby ⊆ everywhere: when the real thing is nearby, the whole-catalogue mask is not needed
            near = self.wanted & outcome.nearby
            if near.any():
                return MISSING_BUDGET if outcome.open_now is not None and (near & outcome.open_now).any() \
                    else MISSING_CLOSED
            anywhere = self.wanted & outcome.everywhere if outcome.everywhere is not None else self.wanted
            return MISSING_FAR if anywhere.any() else MISSING_NONE
        wanted = self.wanted & outcome.everywhere if outcome.everywhere is not None else self.wanted
        if not wanted.any():
            return MISSING_NONE
        near = wanted & outcome.nearby if outcome.nearby is not None else wanted
        if not near.any():
            return MISSING_FAR
        if outcome.open_now is not None and (near & outcome.open_now).any():
            return MISSING_BUDGET
        return MISSING_CLOSED


def tiers_for(levels: np.ndarray, primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Tier per menu from its match level and kind (table in the module docstring)."""
    tiers = np.zeros(len(levels), dtype=np.int8)
    for level, if_primary, if_secondary in ((RELATED, 2, 1), (PARTIAL, 4, 3), (EXACT, TOP_TIER, 4)):
        at = levels == level
        tiers[at & primary] = if_primary
        tiers[at & secondary & ~primary] = if_secondary
    return tiers


def plan(catalog: Catalog, outcome: FilterOutcome, food_type: str | None, text: str | None) -> Focus:
    """Pick the menus to rank for this request (see the module docstring).

    Works over the menus the hard filters examined (``outcome.rows``: those of shops within
    the radius; every menu without a location), so its cost follows the neighbourhood, not
    the catalogue; ``tiers`` are set for those menus (0 elsewhere) and ``wanted`` is
    computed over the whole catalogue only when ``missing_reason`` needs it.
    """
    rows = outcome.rows
    n = catalog.n_menus

    def sub(values: np.ndarray) -> np.ndarray:
        return values[rows] if rows is not None else values

    def full(values: np.ndarray, dtype=bool) -> np.ndarray:
        if rows is None:
            return values
        out = np.zeros(n, dtype=dtype)
        out[rows] = values
        return out

    eligible = sub(outcome.mask)
    snack = relevance.wants_snack(food_type, text)
    match = relevance.food_type_match(catalog, food_type)
    if match is not None and not snack and _names_only_snacks(catalog, match):
        snack = True                  # "쿨피스", "아메리카노": the user named a drink or dessert itself
    if snack:
        primary = np.ones(len(eligible), dtype=bool)
        secondary = np.zeros(len(eligible), dtype=bool)
    else:
        primary = sub(relevance.meal_mask(catalog))
        secondary = sub(relevance.side_mask(catalog))
    steps: dict[str, int | str] = {}

    def fallback() -> tuple[np.ndarray, str]:
        if snack:
            return eligible, "any"
        meals = eligible & primary
        if meals.any():
            return meals, "meal"
        return eligible & secondary, "side"

    if match is None:
        pool, kind = fallback()
        tiers = np.zeros(n, dtype=np.int8)
        wanted, wanted_eligible = None, False
    else:
        local = tiers_for(sub(match.levels), primary, secondary)
        tiers = full(local, np.int8)
        wanted = _wanted(catalog, match, snack)
        matching = eligible & (local > 0)
        if matching.any():
            pool, kind = matching, ("any" if snack else "meal" if (matching & primary).any() else "side")
        else:
            pool, kind = fallback()
        steps["food_type"] = int(matching.sum())
        steps["food_type_exact"] = int((eligible & (local == TOP_TIER)).sum())
        wanted_eligible = steps["food_type_exact"] > 0
    steps["menu_kind"] = kind
    steps["meal_menus"] = int(pool.sum())
    return Focus(eligible=full(pool), tiers=tiers, snack=snack, kind=kind, match=match, wanted_mask=wanted,
                 wanted_eligible=wanted_eligible, steps=steps)


def _wanted(catalog: Catalog, match: FoodTypeMatch, snack: bool) -> Callable[[], np.ndarray]:
    """``tiers == TOP_TIER`` over the whole catalogue: exact matches of the allowed kind."""
    def compute() -> np.ndarray:
        exact = match.levels == EXACT
        return exact if snack else exact & relevance.meal_mask(catalog)
    return compute


def _names_only_snacks(catalog: Catalog, match: FoodTypeMatch) -> bool:
    """The named food is only ever a drink/dessert (by menu name), never a meal or side
    (remembered with the word's matches: the same for every request on this snapshot)."""
    if match.names_category:
        return False
    found = match.facts.get("names_only_snacks")
    if found is None:
        named = match.levels == EXACT
        snacks = relevance.kind_mask(catalog, relevance.DRINK, relevance.DESSERT)
        found = match.facts["names_only_snacks"] = bool(
            named.any() and (named & snacks).any() and not (named & ~snacks).any())
    return found
