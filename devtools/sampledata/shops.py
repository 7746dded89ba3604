"""Shops and their menus: names, places, meal-card acceptance, hours, prices.

Shops are spread over the neighbourhoods by category weight; chains get branch names
and share one menu per brand; independents take names from the catalog.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from devtools.sampledata.catalog.menus import (
    BRAND_MENUS,
    INDEPENDENT_BRAND_MENU,
    MENU_CATEGORY_CODES,
    MENUS,
    OPTION_SETS,
)
from devtools.sampledata.catalog.places import NEIGHBOURHOODS, Neighbourhood
from devtools.sampledata.catalog.shops import (
    CATEGORY_WEIGHTS,
    CHAIN_SHARE,
    CHAINS,
    FOODCARD_WEIGHTS,
    INDEPENDENTS,
    OWNER_MESSAGES,
)
from devtools.sampledata.hours import hours_for


def _allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Largest-remainder split of ``total`` over weights, every key at least 1 if possible."""
    weight_sum = sum(weights.values())
    raw = {k: total * w / weight_sum for k, w in weights.items()}
    counts = {k: max(1, int(v)) if total >= len(weights) else int(v) for k, v in raw.items()}
    order = sorted(weights, key=lambda k: (raw[k] - int(raw[k])), reverse=True)
    i = 0
    while sum(counts.values()) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts.values()) > total:
        biggest = max(counts, key=lambda k: counts[k])
        counts[biggest] -= 1
    return counts



@dataclass
class _ShopDraft:
    name: str
    category: str
    brand: str | None
    hood: Neighbourhood


def _shop_names(rng: random.Random, hood: Neighbourhood, category: str, count: int,
                used: set[str]) -> list[_ShopDraft]:
    drafts: list[_ShopDraft] = []
    brands = list(CHAINS.get(category, ()))
    all_independents = [n.format(short=hood.short) for n in INDEPENDENTS.get(category, ())]
    independents = [n for n in all_independents if n not in used]
    rng.shuffle(independents)
    rng.shuffle(all_independents)
    branch_names = list(hood.stations) + [d[:-1] for d in hood.dongs]
    for _ in range(count):
        use_chain = brands and (not independents or rng.random() < CHAIN_SHARE[category])
        if use_chain:
            brand = rng.choice(brands)
            branches = [b for b in branch_names if f"{brand} {b}점" not in used]
            name = f"{brand} {rng.choice(branches)}점" if branches else f"{brand} {hood.short}{len(used)}호점"
            drafts.append(_ShopDraft(name, category, brand, hood))
        else:
            if independents:
                base = independents.pop()
            elif all_independents:  # the same small business with a second shop here
                base = f"{all_independents.pop()} {hood.short}점"
            else:
                base = f"{hood.short} {category.split('/')[0]}집"
            name, k = base, 2
            while name in used:
                name, k = f"{base} {k}호점", k + 1
            drafts.append(_ShopDraft(name, category, None, hood))
        used.add(drafts[-1].name)
    return drafts


def _point(rng: random.Random, hood: Neighbourhood, radius_m: float) -> tuple[float, float, float]:
    r = radius_m * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    lat = hood.lat + r * math.cos(theta) / 111_320
    lng = hood.lng + r * math.sin(theta) / (111_320 * math.cos(math.radians(hood.lat)))
    return round(lat, 7), round(lng, 7), theta


def _phone(rng: random.Random, hood: Neighbourhood) -> str:
    return f"{rng.choice(hood.phone_prefixes)}{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}"


def _owner_message(rng: random.Random, foodcard: str, chain: bool, category: str) -> str | None:
    chance = 0.2 if category == "편의점" else (0.4 if chain else 0.85)
    if rng.random() >= chance:
        return None
    pool = [msg for msg in OWNER_MESSAGES if foodcard in ("Y", "P") or "급식카드" not in msg]
    return rng.choice(pool)


def _options(keys: str) -> dict[str, Any] | None:
    if not keys:
        return None
    merged: dict[str, list] = {}
    for key in keys.split("+"):
        for group, items in OPTION_SETS[key].items():
            merged.setdefault(group, []).extend(dict(item) for item in items)
    return merged


def _menu_pool(draft: _ShopDraft) -> tuple[tuple, ...]:
    if draft.category != "프랜차이즈":
        return MENUS[draft.category]
    brand = draft.brand
    if brand is None:  # an independent shop of the franchise kind borrows a brand's menu
        brand = next((menu_brand for pattern, menu_brand in INDEPENDENT_BRAND_MENU.items()
                      if draft.name.startswith(pattern.format(short=draft.hood.short))), "봉구스밥버거")
    return BRAND_MENUS[brand]


def _price(rng: random.Random, lo: int, hi: int, level: float, step: int) -> int:
    if lo == hi:
        return lo
    x = min(1.0, max(0.0, level + rng.uniform(-0.25, 0.25)))
    price = lo + round((hi - lo) * x / step) * step
    return max(lo, min(hi, price))


def _menus_for(seed: int, rng: random.Random, draft: _ShopDraft) -> list[dict[str, Any]]:
    """6-12 menus; branches of one brand share their menu and prices."""
    pick = random.Random(f"{seed}:brand:{draft.brand}") if draft.brand else rng
    pool = _menu_pool(draft)
    k = min(len(pool), pick.randint(6, 12))
    indices = sorted(pick.sample(range(len(pool)), k))
    if not any(pool[i][3] == "M" for i in indices):
        mains = [i for i in range(len(pool)) if pool[i][3] == "M"]
        indices[0] = pick.choice(mains)
        indices = sorted(set(indices))
    level = pick.random()
    step_small = draft.category == "편의점"
    menus = []
    for i in indices:
        name, lo, hi, code, desc, tags, diet, opts = pool[i]
        step = 100 if (step_small or hi < 3000) else 500
        menus.append({
            "menu_name": name,
            "price": _price(pick, lo, hi, level, step),
            "description": desc,
            "category": MENU_CATEGORY_CODES[code],
            "is_available": rng.random() > 0.03,
            "is_popular": False,
            "options": _options(opts),
            "recommendation_frequency": 0,
            "dietary_info": diet or None,
            "tags": tags.split(),
        })
    mains = [mm for mm in menus if mm["category"] == "메인메뉴"]
    for popular in pick.sample(mains, min(len(mains), pick.choice((1, 1, 2)))):
        popular["is_popular"] = True
    return menus


# Seats by shop category (lo, hi); group-friendly = takes groups / has a group table.
_SEAT_RANGES = {"편의점": (0, 8), "카페/디저트": (10, 30), "분식": (8, 24), "도시락/죽": (4, 16),
                "패스트푸드": (30, 80), "프랜차이즈": (20, 60), "한식": (20, 70), "중식": (30, 90),
                "일식": (12, 40), "양식": (16, 50), "치킨": (16, 40), "피자": (20, 50)}


def _seating(seed: int, shop_id: int, category: str) -> dict:
    """``seats`` and ``group_friendly`` of one shop, about a quarter unknown (None).

    Its own random stream per shop, so adding these columns left every other value as it was.
    """
    rng = random.Random(f"{seed}-seating-{shop_id}")
    lo, hi = _SEAT_RANGES.get(category, (10, 40))
    seats = rng.randint(lo, hi) if rng.random() > 0.25 else None
    if rng.random() < 0.3:
        group = None
    elif seats is not None:
        group = seats >= 24 and rng.random() < 0.85
    else:
        group = rng.random() < 0.4
    return {"seats": seats, "group_friendly": group}


def build_shops_and_menus(seed: int, n_shops: int) -> tuple[list[dict], list[dict]]:
    """``n_shops`` shop rows and their menu rows, ids from 1 in order."""
    rng = random.Random(seed)
    hoods = NEIGHBOURHOODS
    per_hood = [n_shops // len(hoods) + (1 if i < n_shops % len(hoods) else 0) for i in range(len(hoods))]
    used: set[str] = set()
    drafts: list[_ShopDraft] = []
    for hood, count in zip(hoods, per_hood):
        for category, k in _allocate(count, CATEGORY_WEIGHTS).items():
            drafts.extend(_shop_names(rng, hood, category, k, used))

    shops, menus = [], []
    for draft in drafts:
        shop_id = len(shops) + 1
        hood = draft.hood
        radius = 700 if draft.category == "편의점" else 1200
        lat, lng, theta = _point(rng, hood, radius)
        dong = hood.dongs[int(theta / (2 * math.pi) * len(hood.dongs)) % len(hood.dongs)]
        statuses = ("Y", "P", "N", "U")
        foodcard = rng.choices(statuses, weights=FOODCARD_WEIGHTS[draft.category])[0]
        chain = draft.brand is not None
        shops.append({
            "id": shop_id,
            "shop_name": draft.name,
            "category": draft.category,
            "address_name": f"서울 {hood.gu} {dong} {rng.randint(1, 640)}-{rng.randint(1, 45)}",
            "road_address_name": f"서울 {hood.gu} {rng.choice(hood.roads)} {rng.randint(1, 260)}",
            "neighbourhood": hood.name,
            "is_good_influence_shop": rng.random() < (0.1 if chain else 0.36),
            "is_food_card_shop": foodcard,
            "business_hours": hours_for(rng, draft.category, draft.name, draft.brand),
            "phone": _phone(rng, hood) if rng.random() > 0.05 else None,
            "owner_message": _owner_message(rng, foodcard, chain, draft.category),
            "latitude": Decimal(str(lat)),
            "longitude": Decimal(str(lng)),
            "current_status": "UNKNOWN",
            "popularity_score": Decimal(str(round(rng.uniform(0.45, 0.95) if chain else rng.uniform(0.15, 0.9), 3))),
            "quality_score": Decimal(str(round(rng.uniform(0.3, 0.95), 3))),
            "recommendation_count": 0,
            "data_source": "manual",
            **_seating(seed, shop_id, draft.category),
        })
        for menu in _menus_for(seed, rng, draft):
            menus.append({"id": len(menus) + 1, "shop_id": shop_id, **menu})
    assign_free_meals(shops, menus)
    return shops, menus


FREE_MEAL_CATEGORIES = ("한식", "분식", "도시락/죽")
FREE_MEALS_PER_HOOD = 2


def assign_free_meals(shops: list[dict], menus: list[dict]) -> None:
    """Benefits that need no card balance (issue 12), without drawing from the random stream
    (every other value stays as it was): in each neighbourhood the first good shops (착한가게)
    that take the meal card offer a free meal, then a sponsored menu (its cheapest main dish)."""
    cheapest: dict[int, dict] = {}   # the cheapest main dish of each shop
    for menu in menus:
        if menu.get("category") != "메인메뉴":
            continue
        if menu["shop_id"] not in cheapest or menu["price"] < cheapest[menu["shop_id"]]["price"]:
            cheapest[menu["shop_id"]] = menu
    taken: dict[str, int] = {}
    for shop in shops:
        shop["free_meal_offer"] = None
        hood = shop["neighbourhood"]
        if (not shop["is_good_influence_shop"] or shop["is_food_card_shop"] != "Y"
                or shop["category"] not in FREE_MEAL_CATEGORIES or taken.get(hood, 0) >= FREE_MEALS_PER_HOOD
                or shop["id"] not in cheapest):
            continue
        if taken.get(hood, 0) == 0:
            shop["free_meal_offer"] = "급식카드 잔액이 없는 어린이·청소년은 한 끼 무료예요 (하루 1번)"
        else:
            shop["free_meal_offer"] = f"이웃이 미리 낸 후원 메뉴: {cheapest[shop['id']]['menu_name']} 1인분 무료"
        taken[hood] = taken.get(hood, 0) + 1
