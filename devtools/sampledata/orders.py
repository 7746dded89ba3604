"""Order histories (the ranker's training logs): meals a user bought at open shops nearby.

Each order is a main or set menu within about the user's budget, allowed by their
dietary restrictions, at a shop of their neighbourhood (a meal-card shop for card
holders), at a time that shop is open, within the 90 days before ``AS_OF``.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from devtools.sampledata.catalog.menus import RESTRICTION_MARKERS
from devtools.sampledata.catalog.people import COMPANIONS, Persona
from devtools.sampledata.catalog.places import Neighbourhood
from devtools.sampledata.dates import AS_OF
from devtools.sampledata.hours import open_minutes
from naviyam.adapters.workbook.cells import SEOUL
from naviyam.domain.hours import WEEKDAYS


def allowed(menu: dict, dietary: tuple[str, ...]) -> bool:
    """Whether ``menu`` is free of everything the ``dietary`` restrictions exclude."""
    info = menu["dietary_info"] or ""
    return not any(marker in info for word in dietary for marker in RESTRICTION_MARKERS.get(word, (f"{word} 포함",)))


def _draw_meals(rng: random.Random, p: Persona, hood: Neighbourhood, joined: date,
                shops: list[dict], menus_by_shop: dict[int, list[dict]]) -> list[dict[str, Any]]:
    """The user's meals (shop, menu, time, satisfaction, companions), oldest first."""
    user_orders: list[dict[str, Any]] = []
    n_orders = min(30, p.interactions // 2 + (1 if p.interactions else 0))
    eligible = [s for s in shops if s["neighbourhood"] == hood.name
                and (p.card is None or s["is_food_card_shop"] in ("Y", "P"))]
    cap = int((p.budget or 8000) * 1.3)
    weights = [3 if s["category"] in p.categories else 1 for s in eligible]
    tries = 0
    while len(user_orders) < n_orders and tries < n_orders * 20:
        tries += 1
        shop = rng.choices(eligible, weights=weights)[0]
        choices = [mm for mm in menus_by_shop[shop["id"]] if mm["is_available"] and mm["category"] in ("메인메뉴", "세트메뉴")
                   and mm["price"] <= cap and allowed(mm, p.dietary)]
        if not choices:
            continue
        day = AS_OF - timedelta(days=rng.randint(0, min(90, (AS_OF - joined).days - 1)))
        intervals = open_minutes(shop["business_hours"].get(WEEKDAYS[day.weekday()], {}))
        last = 20 * 60 if day == AS_OF else 22 * 60  # the sample's data ends AS_OF 21:00
        meal_times = [t for t in range(7 * 60, last, 15) if any(a <= t < b - 20 for a, b in intervals)]
        if not meal_times:
            continue
        minute = rng.choice(meal_times)
        menu = rng.choice(choices)
        user_orders.append({
            "shop": shop, "menu": menu,
            "at": datetime.combine(day, time(minute // 60, minute % 60), tzinfo=SEOUL),
            "satisfaction": Decimal(str(rng.choice((3.0, 3.5, 4.0, 4.0, 4.5, 4.5, 5.0)))),
            "companions": rng.choice(COMPANIONS) if rng.random() < 0.8 else None,
        })
    user_orders.sort(key=lambda o: o["at"])
    return user_orders


def order_history(rng: random.Random, p: Persona, uid: int, hood: Neighbourhood, joined: date,
                  shops: list[dict], menus_by_shop: dict[int, list[dict]],
                  orders: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Append user ``uid``'s order rows to ``orders`` (ids continue) and return them."""
    mine = []
    for o in _draw_meals(rng, p, hood, joined, shops, menus_by_shop):
        mine.append({
            "id": len(orders) + len(mine) + 1, "user_id": uid, "shop_id": o["shop"]["id"], "menu_id": o["menu"]["id"],
            "menu_name": o["menu"]["menu_name"], "price": o["menu"]["price"], "coupon_id": None,
            "final_price": o["menu"]["price"], "ordered_at": o["at"], "companions": o["companions"],
            "satisfaction": o["satisfaction"],
        })
    orders.extend(mine)
    return mine
