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
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from naviyam.domain.geo import haversine_m, haversine_many
from naviyam.domain.hours import is_open_at, minute_of_week
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.distinct import distinct

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

def mask_available(catalog: Catalog) -> np.ndarray:
    return catalog.menu_available.copy()


def shop_mask_foodcard(catalog: Catalog) -> np.ndarray:
    return np.isin(catalog.shop_foodcard, FOODCARD_USABLE)


def shop_mask_open(catalog: Catalog, when: datetime) -> np.ndarray:
    m = minute_of_week(when)
    inside = (catalog.shop_interval_start <= m) & (m < catalog.shop_interval_end)
    return inside.any(axis=1) & catalog.shop_hours_known


def shop_distances(catalog: Catalog, location: tuple[float, float] | None) -> np.ndarray | None:
    if location is None:
        return None
    return haversine_many(location[0], location[1], catalog.shop_lat, catalog.shop_lng)


def mask_dietary(catalog: Catalog, dietary: tuple[str, ...]) -> np.ndarray:
    if not dietary:
        return np.ones(catalog.n_menus, dtype=bool)
    key = ("dietary", dietary)
    cached = catalog.memo.get(key)
    if cached is None:
        ctx = FilterContext(now=datetime.now(), budget=None, dietary=dietary)
        rows = catalog.memo.get("dietary_rows")
        if rows is None:   # each distinct (text, tags, dietary info) once: chains repeat their menus
            rows = catalog.memo["dietary_rows"] = distinct(
                (catalog.menu_text[i], tuple(catalog.menu_tags[i]), catalog.menu_dietary[i])
                for i in range(catalog.n_menus))
        cached = rows.where(lambda row: check_dietary(row[0], row[1], row[2], ctx))
        catalog.memo[key] = cached
    return cached


@dataclass
class FilterOutcome:
    """Which menus pass, and how many survived each step (logged as filtering_steps)."""

    mask: np.ndarray                 # every hard filter except the exact post-coupon budget
    within_budget: np.ndarray        # price <= budget before any coupon
    distances: np.ndarray | None     # per shop, metres
    steps: dict[str, int]
    # masks that fail exactly one of (budget, open) for alternatives
    open_but_over_budget: np.ndarray
    closed_but_in_budget: np.ndarray
    # for explaining why a wanted food is missing (available, card, dietary, not shown before)
    everywhere: np.ndarray | None = None      # ... at any distance, open or not, any price
    nearby: np.ndarray | None = None          # ... within the radius, open or not, any price
    open_now: np.ndarray | None = None        # the menu's shop is open at the request time


def apply_hard_filters(catalog: Catalog, ctx: FilterContext) -> FilterOutcome:
    """All hard filters at once; ``steps`` counts survivors after each, in order."""
    steps: dict[str, int] = {"total": catalog.n_menus}
    shop_ok = np.ones(catalog.n_shops, dtype=bool)

    mask = mask_available(catalog)
    steps["available"] = int(mask.sum())

    foodcard = shop_mask_foodcard(catalog)
    shop_ok &= foodcard
    mask &= foodcard[catalog.menu_shop]
    steps["foodcard"] = int(mask.sum())

    if ctx.exclude_menu_ids or ctx.exclude_shop_ids:
        excluded = np.isin(catalog.menu_ids, list(ctx.exclude_menu_ids)) | np.isin(
            catalog.shop_ids[catalog.menu_shop], list(ctx.exclude_shop_ids))
    else:
        excluded = None
    everywhere = mask & mask_dietary(catalog, ctx.dietary)
    if excluded is not None:
        everywhere &= ~excluded

    distances = shop_distances(catalog, ctx.location)
    if distances is not None:
        near = distances <= ctx.radius_m
        shop_ok &= near
        mask &= near[catalog.menu_shop]
        steps["radius"] = int(mask.sum())

    dietary = mask_dietary(catalog, ctx.dietary)
    mask &= dietary
    steps["dietary"] = int(mask.sum())

    if excluded is not None:
        mask &= ~excluded
        steps["not_shown_before"] = int(mask.sum())

    before_open_and_budget = mask.copy()
    open_shops = shop_mask_open(catalog, ctx.now)
    if ctx.open_for_min:
        open_shops = open_shops & shop_mask_open(catalog, ctx.now + timedelta(minutes=ctx.open_for_min))
    open_now = open_shops[catalog.menu_shop]
    if ctx.budget is None:
        within = np.ones(catalog.n_menus, dtype=bool)
        loose = within
    else:
        within = catalog.menu_prices <= ctx.budget
        loose = catalog.menu_prices <= ctx.budget + max(0, ctx.coupon_slack)

    mask &= open_now
    steps["open"] = int(mask.sum())
    mask &= loose
    steps["budget"] = int(mask.sum())
    return FilterOutcome(
        mask=mask, within_budget=within, distances=distances, steps=steps,
        open_but_over_budget=before_open_and_budget & open_now & ~loose,
        closed_but_in_budget=before_open_and_budget & ~open_now & within,
        everywhere=everywhere, nearby=before_open_and_budget, open_now=open_now,
    )
