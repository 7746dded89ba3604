"""Hard filters (seed 001 §3.1 step 4.1, issue 4): an answer never violates one.

Each filter is a named function in two forms that must agree:
- ``mask_*``: vectorised over the whole catalog (numpy), used to pick candidates fast;
- ``check_*``: the plain rule for one (shop, menu), used to re-verify every item
  before it is shown, and by the property tests as the reference.

Filters: budget (judged after the best coupon), open at the request time (breaks,
closed days, past midnight; unknown hours are not open), meal card usable (Y, or P
shown as partial), dietary restrictions (profile + request), menu available, and
within the radius when the user's location is known.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from naviyam.domain.geo import haversine_m
from naviyam.domain.hours import is_open_at, minute_of_week
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.distinct import Distinct, distinct
from naviyam.domain.recommend.spatial import ShopGrid, ShopMenus, shops_within

FOODCARD_USABLE = ("Y", "P")

# Restrictions that REQUIRE a marker on the menu (tags or dietary_info).
_REQUIRE: dict[str, tuple[str, ...]] = {
    "채식": ("채식", "vegetarian", "비건", "vegan"),
    "비건": ("비건", "vegan"),
    "할랄": ("할랄", "halal"),
}
# Restrictions that EXCLUDE menus mentioning any of these words.
_EXCLUDE: dict[str, tuple[str, ...]] = {
    "매운음식": ("맵기", "매운", "매콤", "얼큰", "spicy", "불닭", "고추", "마라"),
    "땅콩": ("땅콩", "peanut"),
    "견과류": ("견과", "땅콩", "호두", "아몬드", "잣", "피스타치오", "nut"),
    "갑각류": ("갑각류", "새우", "게살", "꽃게", "대게", "랍스터", "크랩", "shrimp"),
    "새우": ("새우", "shrimp"),
    "우유": ("우유", "유제품", "치즈", "크림", "라떼", "버터", "milk"),
    "유제품": ("우유", "유제품", "치즈", "크림", "라떼", "버터", "요거트", "milk"),
    "계란": ("계란", "달걀", "에그", "egg", "마요"),
    "밀": ("밀가루", "밀", "글루텐", "gluten"),
    "대두": ("대두", "콩", "두부", "soy"),
    "메밀": ("메밀",),
    "복숭아": ("복숭아",),
    "토마토": ("토마토",),
    "돼지고기": ("돼지", "돈까스", "돈가스", "제육", "삼겹", "보쌈", "족발", "베이컨", "pork"),
    "소고기": ("소고기", "쇠고기", "불고기", "한우", "beef"),
    "해산물": ("해산물", "새우", "오징어", "조개", "굴", "생선", "연어", "참치", "해물"),
    "생선": ("생선", "연어", "참치", "고등어", "회", "fish"),
}
_ALIASES = {
    "vegetarian": "채식", "채식주의": "채식", "베지테리언": "채식", "고기안먹음": "채식",
    "vegan": "비건", "halal": "할랄",
    "no_spicy": "매운음식", "매운거": "매운음식", "매운것": "매운음식", "매운맛": "매운음식",
    "매운": "매운음식", "맵지않게": "매운음식", "안매운": "매운음식", "spicy": "매운음식",
    "견과": "견과류", "nut": "견과류", "nuts": "견과류", "peanut": "땅콩",
    "우유알레르기": "우유", "milk": "우유", "dairy": "유제품", "egg": "계란", "달걀": "계란",
    "gluten": "밀", "글루텐": "밀", "밀가루": "밀", "soy": "대두", "콩": "대두",
    "새우알레르기": "새우", "shellfish": "갑각류", "seafood": "해산물", "해물": "해산물",
    "돼지": "돼지고기", "pork": "돼지고기", "beef": "소고기", "소": "소고기", "fish": "생선",
    # restriction codes of the NLU normaliser (naviyam.shared.korean.vocab.normalize_dietary)
    "no_pork": "돼지고기", "no_beef": "소고기", "no_shellfish": "갑각류", "no_seafood": "해산물",
    "no_nuts": "견과류", "no_dairy": "유제품", "no_egg": "계란", "no_wheat": "밀",
    "no_peach": "복숭아", "no_fish": "생선", "no_soy": "대두", "no_peanut": "땅콩",
}
_STRIP = re.compile(r"(알레르기|알러지|allergy|없이|빼고|제외|못먹어요|못먹음|못먹어|금지|싫어요|싫어)$")


def normalise_restriction(raw: str) -> str:
    """``"땅콩 알레르기"`` → ``"땅콩"``; ``"매운 거 못 먹어"`` → ``"매운음식"``."""
    text = re.sub(r"\s+", "", str(raw or "")).lower()
    previous = None
    while previous != text:
        previous = text
        text = _STRIP.sub("", text)
    text = text.replace("거", "것") if text.endswith("거") and len(text) > 1 else text
    return _ALIASES.get(text, _ALIASES.get(text.replace("것", "거"), text))


def restriction_rule(restriction: str) -> tuple[str, tuple[str, ...]]:
    """``("require" | "exclude", words)`` for one normalised restriction."""
    key = normalise_restriction(restriction)
    if key in _REQUIRE:
        return "require", _REQUIRE[key]
    if key in _EXCLUDE:
        return "exclude", _EXCLUDE[key]
    return "exclude", (key,) if key else ()


def normalised_restrictions(values: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(sorted({normalise_restriction(v) for v in values or () if str(v or "").strip()}))


@dataclass
class FilterContext:
    """Everything the hard filters depend on for one request."""

    now: datetime
    budget: int | None                        # hard budget after card limits and stated budget
    location: tuple[float, float] | None = None
    radius_m: int = 1000
    dietary: tuple[str, ...] = ()
    coupon_slack: int = 0                     # the most any coupon of the user can take off
    exclude_menu_ids: set[int] = field(default_factory=set)
    exclude_shop_ids: set[int] = field(default_factory=set)
    open_for_min: int = 0                     # urgent: still open this many minutes later (issue 12)


# ---- the plain rules (reference) -----------------------------------------------------

def check_budget(final_price: int, ctx: FilterContext) -> bool:
    """Price after the best coupon within the hard budget (no budget known: no limit)."""
    return ctx.budget is None or final_price <= ctx.budget


def check_open(business_hours: dict | None, ctx: FilterContext) -> bool:
    """Open now (and, for an urgent request, still open ``open_for_min`` minutes later)."""
    if ctx.open_for_min and not is_open_at(business_hours, ctx.now + timedelta(minutes=ctx.open_for_min)):
        return False
    return is_open_at(business_hours, ctx.now)


def check_foodcard(status: str) -> bool:
    return status in FOODCARD_USABLE


def check_available(is_available: bool) -> bool:
    return bool(is_available)


def check_radius(lat: float, lng: float, ctx: FilterContext) -> bool:
    if ctx.location is None:
        return True
    return haversine_m(ctx.location[0], ctx.location[1], lat, lng) <= ctx.radius_m


def check_dietary(menu_text: str, menu_tags: Iterable[str], dietary_info: str,
                  ctx: FilterContext) -> bool:
    text = menu_text.lower()
    marks = (" ".join(menu_tags) + " " + (dietary_info or "")).lower()
    for restriction in ctx.dietary:
        kind, words = restriction_rule(restriction)
        if kind == "require" and not any(w in marks for w in words):
            return False
        if kind == "exclude" and any(w in text for w in words):
            return False
    return True


def violations(catalog: Catalog, menu_index: int, final_price: int, ctx: FilterContext) -> list[str]:
    """Names of the hard filters one catalog item breaks (empty: it may be shown)."""
    s = int(catalog.menu_shop[menu_index])
    broken = []
    if not check_budget(final_price, ctx):
        broken.append("budget")
    if not check_open(catalog.shop_hours[s], ctx):
        broken.append("open")
    if not check_foodcard(str(catalog.shop_foodcard[s])):
        broken.append("foodcard")
    if not check_available(bool(catalog.menu_available[menu_index])):
        broken.append("available")
    if not check_radius(float(catalog.shop_lat[s]), float(catalog.shop_lng[s]), ctx):
        broken.append("radius")
    if not check_dietary(catalog.menu_text[menu_index], catalog.menu_tags[menu_index],
                         catalog.menu_dietary[menu_index], ctx):
        broken.append("dietary")
    return broken


# ---- vectorised forms over the catalog ----------------------------------------------

def shop_mask_foodcard(catalog: Catalog) -> np.ndarray:
    return np.isin(catalog.shop_foodcard, FOODCARD_USABLE)


def shop_mask_open(catalog: Catalog, when: datetime, shops: np.ndarray | None = None) -> np.ndarray:
    """Open at ``when``, per shop (of ``shops`` only, in their order, when given)."""
    m = minute_of_week(when)
    if shops is None:
        inside = (catalog.shop_interval_start <= m) & (m < catalog.shop_interval_end)
        return inside.any(axis=1) & catalog.shop_hours_known
    inside = (catalog.shop_interval_start[shops] <= m) & (m < catalog.shop_interval_end[shops])
    return inside.any(axis=1) & catalog.shop_hours_known[shops]


def _dietary_rows(catalog: Catalog) -> Distinct:
    """Each distinct (text, tags, dietary info) once: chains repeat their menus."""
    return _memo(catalog, "dietary_rows", lambda: distinct(
        (catalog.menu_text[i], tuple(catalog.menu_tags[i]), catalog.menu_dietary[i])
        for i in range(catalog.n_menus)))


def mask_dietary(catalog: Catalog, dietary: tuple[str, ...]) -> np.ndarray:
    if not dietary:
        return np.ones(catalog.n_menus, dtype=bool)
    key = ("dietary", dietary)
    cached = catalog.memo.get(key)
    if cached is None:
        ctx = FilterContext(now=datetime.now(), budget=None, dietary=dietary)
        cached = _dietary_rows(catalog).where(lambda row: check_dietary(row[0], row[1], row[2], ctx))
        catalog.memo[key] = cached
    return cached


class FilterOutcome:
    """Which menus pass, and how many survived each step (logged as filtering_steps).

    With a location, only the menus of shops within the radius are examined (the grid of
    ``spatial.py``): ``mask``, ``nearby`` and the two alternative masks are the same as a
    scan of the whole catalogue; ``open_now`` and ``within_budget`` are computed for those
    menus only (False elsewhere), and ``distances`` for the shops the grid looked at
    (``inf`` for the others, which are beyond the radius). ``everywhere`` (any distance) is
    computed on first use only: it explains a missing food.
    """

    def __init__(self, *, mask: np.ndarray, within_budget: np.ndarray, distances: np.ndarray | None,
                 steps: dict[str, int], open_but_over_budget: np.ndarray, closed_but_in_budget: np.ndarray,
                 nearby: np.ndarray | None = None, open_now: np.ndarray | None = None,
                 everywhere: Callable[[], np.ndarray] | np.ndarray | None = None,
                 rows: np.ndarray | None = None) -> None:
        self.mask = mask                            # every hard filter except the exact post-coupon budget
        self.within_budget = within_budget          # price <= budget before any coupon
        self.distances = distances                  # per shop, metres
        self.steps = steps
        # masks that fail exactly one of (budget, open) for alternatives
        self.open_but_over_budget = open_but_over_budget
        self.closed_but_in_budget = closed_but_in_budget
        # for explaining why a wanted food is missing (available, card, dietary, not shown before)
        self.nearby = nearby                        # ... within the radius, open or not, any price
        self.open_now = open_now                    # the menu's shop is open at the request time
        self.rows = rows                            # the menu rows examined (None: every menu)
        self._everywhere = everywhere

    @property
    def everywhere(self) -> np.ndarray | None:
        """... at any distance, open or not, any price (computed once, on first use)."""
        if callable(self._everywhere):
            self._everywhere = self._everywhere()
        return self._everywhere


def _memo(catalog: Catalog, key: str, build: Callable[[], Any]) -> Any:
    found = catalog.memo.get(key)
    if found is None:
        found = catalog.memo[key] = build()
    return found


def shop_grid(catalog: Catalog) -> ShopGrid:
    """The snapshot's grid of shops (built on first use, kept with the snapshot)."""
    return _memo(catalog, "shop_grid", lambda: ShopGrid.build(catalog.shop_lat, catalog.shop_lng))


def shop_menus(catalog: Catalog) -> ShopMenus:
    return _memo(catalog, "shop_menus", lambda: ShopMenus.build(catalog.menu_shop, catalog.n_shops))


def _usable(catalog: Catalog) -> tuple[np.ndarray, int, int]:
    """(meal-card shops, menus available, menus available at a meal-card shop): per snapshot."""
    def build() -> tuple[np.ndarray, int, int]:
        foodcard = shop_mask_foodcard(catalog)
        available = catalog.menu_available
        return foodcard, int(available.sum()), int((available & foodcard[catalog.menu_shop]).sum())
    return _memo(catalog, "usable_counts", build)


def prepare(catalog: Catalog) -> None:
    """Build the per-snapshot structures now (the action server's warm-up), not on a request."""
    shop_grid(catalog)
    shop_menus(catalog)
    _usable(catalog)
    _dietary_rows(catalog)


def _excluded(catalog: Catalog, ctx: FilterContext, rows: np.ndarray, shop_of: np.ndarray) -> np.ndarray | None:
    if not (ctx.exclude_menu_ids or ctx.exclude_shop_ids):
        return None
    return np.isin(catalog.menu_ids[rows], list(ctx.exclude_menu_ids)) | np.isin(
        catalog.shop_ids[shop_of], list(ctx.exclude_shop_ids))


def _everywhere(catalog: Catalog, ctx: FilterContext) -> np.ndarray:
    """Available, meal card, dietary and not excluded, at any distance (the full scan)."""
    foodcard, _a, _f = _usable(catalog)
    everywhere = catalog.menu_available & foodcard[catalog.menu_shop] & mask_dietary(catalog, ctx.dietary)
    everything = np.arange(catalog.n_menus)
    excluded = _excluded(catalog, ctx, everything, catalog.menu_shop)
    return everywhere & ~excluded if excluded is not None else everywhere


def _scatter(n: int, rows: np.ndarray | None, values: np.ndarray) -> np.ndarray:
    if rows is None:
        return values
    full = np.zeros(n, dtype=bool)
    full[rows] = values
    return full


def apply_hard_filters(catalog: Catalog, ctx: FilterContext) -> FilterOutcome:
    """All hard filters at once; ``steps`` counts survivors after each, in order.

    With a location, the grid gives the shops within the radius first and every other
    filter runs over their menus only; without one, over every menu.
    """
    foodcard, n_available, n_foodcard = _usable(catalog)
    steps: dict[str, int] = {"total": catalog.n_menus, "available": n_available, "foodcard": n_foodcard}
    if ctx.location is not None:
        shops, near_m = shops_within(shop_grid(catalog), catalog.shop_lat, catalog.shop_lng,
                                     ctx.location, ctx.radius_m)
        distances = np.full(catalog.n_shops, np.inf)
        distances[shops] = near_m
        rows: np.ndarray | None = shop_menus(catalog).menus_of(shops)
        shop_of = catalog.menu_shop[rows]
        mask = catalog.menu_available[rows] & foodcard[shop_of]
        steps["radius"] = int(mask.sum())
    else:
        shops, distances, rows = None, None, None
        shop_of = catalog.menu_shop
        mask = catalog.menu_available & foodcard[shop_of]
    selected = rows if rows is not None else np.arange(catalog.n_menus)

    if ctx.dietary:
        dietary = mask_dietary(catalog, ctx.dietary)
        mask &= dietary[rows] if rows is not None else dietary
    steps["dietary"] = int(mask.sum())

    excluded = _excluded(catalog, ctx, selected, shop_of)
    if excluded is not None:
        mask &= ~excluded
        steps["not_shown_before"] = int(mask.sum())

    before_open_and_budget = mask.copy()
    open_shops = shop_mask_open(catalog, ctx.now, shops)
    if ctx.open_for_min:
        open_shops = open_shops & shop_mask_open(catalog, ctx.now + timedelta(minutes=ctx.open_for_min), shops)
    if shops is not None:
        by_shop = np.zeros(catalog.n_shops, dtype=bool)
        by_shop[shops] = open_shops
        open_shops = by_shop
    open_now = open_shops[shop_of]
    prices = catalog.menu_prices[rows] if rows is not None else catalog.menu_prices
    if ctx.budget is None:
        within = np.ones(len(prices), dtype=bool)
        loose = within
    else:
        within = prices <= ctx.budget
        loose = prices <= ctx.budget + max(0, ctx.coupon_slack)

    mask &= open_now
    steps["open"] = int(mask.sum())
    mask &= loose
    steps["budget"] = int(mask.sum())
    n = catalog.n_menus
    return FilterOutcome(
        mask=_scatter(n, rows, mask), within_budget=_scatter(n, rows, within), distances=distances, steps=steps,
        open_but_over_budget=_scatter(n, rows, before_open_and_budget & open_now & ~loose),
        closed_but_in_budget=_scatter(n, rows, before_open_and_budget & ~open_now & within),
        everywhere=lambda: _everywhere(catalog, ctx), nearby=_scatter(n, rows, before_open_and_budget),
        open_now=_scatter(n, rows, open_now), rows=rows,
    )
