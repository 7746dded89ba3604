"""Users and what belongs to them: meal cards, profiles, order histories and wallets.

The hand-written demo users (``catalog.people.DEMO_PERSONAS``) come first, then users
generated from a seed. One random stream (``seed + 1``) is drawn from in a fixed order
per user: join date, user row, orders, profile, wallet; so the same seed gives the same
rows.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from devtools.sampledata.catalog.people import (
    DEMO_PERSONAS,
    DIETARY_CHOICES,
    NICKNAMES,
    TASTES,
    Persona,
)
from devtools.sampledata.catalog.places import NEIGHBOURHOODS, Neighbourhood
from devtools.sampledata.catalog.shops import CATEGORY_WEIGHTS
from devtools.sampledata.dates import AS_OF, at
from devtools.sampledata.orders import order_history
from devtools.sampledata.wallets import count_issued, fill_wallet

Rows = dict[str, list[dict[str, Any]]]

_BIRTH_YEARS = {"초등학생": 2015, "중학생": 2012, "고등학생": 2009, "대학생": 2005, "청년": 2001}


def generated_personas(rng: random.Random, count: int) -> list[Persona]:
    """``count`` users of every kind: 80% with a meal card, all platforms, all neighbourhoods."""
    personas = []
    kid = teen = other = 1
    platforms = ("test", "web", "kakao", "telegram", "test", "kakao")
    cats = [c for c in CATEGORY_WEIGHTS if c != "편의점"]
    for i in range(count):
        has_card = i % 5 != 4  # 80% with meal cards
        if has_card:
            card = rng.choice(("아동급식카드", "청소년급식카드"))
            age = rng.choice(("초등학생", "중학생")) if card == "아동급식카드" else rng.choice(("중학생", "고등학생"))
        else:
            card, age = None, rng.choice(("대학생", "청년", "고등학생"))
        if age == "초등학생":
            kid += 1
            base = f"demo_kid_{kid:02d}"
        elif age in ("중학생", "고등학생") and has_card:
            teen += 1
            base = f"demo_teen_{teen:02d}"
        else:
            other += 1
            base = f"demo_user_{other:02d}"
        platform = platforms[i % len(platforms)]
        ext = f"{platform}:{base}" if platform in ("kakao", "telegram") else base
        daily = rng.choice((9000, 10000, 11000, 12000)) if card else 0
        interactions = rng.choice((0, 0, 2, 5, 8, 12, 15, 20, 25, 32, 40))
        taste = tuple((t, round(rng.uniform(0.1, 0.95), 2)) for t in rng.sample(TASTES, rng.randint(1, 3)))
        personas.append(Persona(
            ext, platform, i % len(NEIGHBOURHOODS), card, age,
            balance=rng.choice((0, 2800, 4500, 12000, 18500, 25000, 36000, 52000, 70000)) if card else 0,
            daily_limit=daily, monthly_limit=rng.choice((200000, 250000, 300000)) if card else 0,
            interactions=interactions,
            categories=tuple(rng.sample(cats, rng.randint(1, 3))) if interactions else (),
            budget=rng.choice((5000, 6000, 7000, 8000, 10000, 12000)) if interactions else None,
            dietary=rng.choice(DIETARY_CHOICES) if rng.random() < 0.2 else (),
            taste=taste if interactions else (),
            style=rng.choice(("friendly", "friendly", "casual", "brief", "formal")),
        ))
    return personas


def _user_row(rng: random.Random, uid: int, nickname: str, p: Persona, hood: Neighbourhood,
              joined: date) -> dict[str, Any]:
    birth_year = _BIRTH_YEARS.get(p.age, 2008)
    return {
        "id": uid, "external_user_id": p.external_user_id, "platform": p.platform,
        "name": None, "nickname": nickname, "email": None, "phone_number": None,
        "birth_date": date(birth_year + rng.randint(0, 1), rng.randint(1, 12), 1),
        "current_address": f"서울 {hood.gu} {hood.dongs[0]}",
        "preferred_location": hood.name,
        "status": "ACTIVE",
        "terms_agreed_at": at(joined, 15, 0), "privacy_agreed_at": at(joined, 15, 0),
        "marketing_agreed_at": at(joined, 15, 1) if rng.random() < 0.3 else None,
        "last_login_at": at(AS_OF - timedelta(days=rng.randint(0, 6)), rng.randint(8, 21), rng.randint(0, 59)),
    }


def _card_row(card_id: int, uid: int, p: Persona, my_orders: list[dict[str, Any]]) -> dict[str, Any]:
    """The meal card with this month's and today's spending taken from the orders."""
    month_spent = sum(o["price"] for o in my_orders if o["ordered_at"].date().replace(day=1) == AS_OF.replace(day=1))
    month_spent = min(month_spent, p.monthly_limit)
    day_spent = min(sum(o["price"] for o in my_orders if o["ordered_at"].date() == AS_OF), p.daily_limit)
    return {
        "id": card_id, "user_id": uid, "card_number": f"9410-****-****-{uid:04d}",
        "card_type": p.card, "balance": p.balance, "daily_limit": p.daily_limit,
        "monthly_limit": p.monthly_limit, "daily_spent": day_spent, "monthly_spent": month_spent,
        "spent_as_of": AS_OF, "target_age_group": p.age, "status": p.card_status,
        "balance_alert_threshold": 5000, "balance_alert_sent": False, "last_balance_alert_at": None,
        "last_sync_at": at(AS_OF, 21, 0),
    }


def _profile_row(rng: random.Random, uid: int, p: Persona, hood: Neighbourhood, joined: date,
                 my_orders: list[dict[str, Any]]) -> dict[str, Any]:
    """The learned profile: favourites and recent orders come from the order history."""
    counts = Counter(o["shop_id"] for o in my_orders)
    favourites = [sid for sid, n in counts.most_common(3) if n >= 2]
    recent = [{"shop_id": o["shop_id"], "menu_id": o["menu_id"], "menu_name": o["menu_name"],
               "price": o["price"], "order_date": o["ordered_at"].isoformat(timespec="seconds"),
               "satisfaction": float(o["satisfaction"])}
              for o in reversed(my_orders[-10:])]
    filled = [bool(p.categories), p.budget is not None, bool(p.taste), bool(favourites), bool(p.dietary) or p.interactions > 5]
    return {
        "id": uid, "user_id": uid, "preferred_categories": list(p.categories),
        "average_budget": p.budget, "favorite_shops": favourites, "conversation_style": p.style,
        "taste_preferences": dict(p.taste), "companion_patterns": sorted({o["companions"] for o in my_orders if o["companions"]}),
        "location_preferences": [hood.name] if p.interactions else [],
        "dietary_restrictions": list(p.dietary),
        "good_influence_preference": Decimal(str(round(rng.uniform(0.3, 0.9), 2))),
        "interaction_count": p.interactions,
        "data_completeness": Decimal(str(round(sum(filled) / len(filled), 2))),
        "recent_orders": recent,
        "onboarding_completed_at": at(joined, 15, 5) if p.interactions else None,
        "last_updated": at(AS_OF - timedelta(days=1) if p.interactions else joined, 20, 0),
    }


def build_users(seed: int, shops: list[dict], menus: list[dict], coupons: list[dict],
                n_generated: int = 32) -> Rows:
    """Users, meal cards, profiles, wallets and orders; sets the coupons' issue counts."""
    rng = random.Random(seed + 1)
    personas = list(DEMO_PERSONAS) + generated_personas(rng, n_generated)
    menus_by_shop: dict[int, list[dict]] = {}
    for menu in menus:
        menus_by_shop.setdefault(menu["shop_id"], []).append(menu)
    coupon_by_id = {c["id"]: c for c in coupons}

    users, cards, profiles, wallets, orders = [], [], [], [], []
    for index, p in enumerate(personas):
        uid = index + 1
        hood = NEIGHBOURHOODS[p.hood]
        joined = AS_OF - timedelta(days=3 if p.interactions == 0 else rng.randint(40, 300))
        users.append(_user_row(rng, uid, NICKNAMES[index % len(NICKNAMES)], p, hood, joined))
        my_orders = order_history(rng, p, uid, hood, joined, shops, menus_by_shop, orders)
        if p.card:
            cards.append(_card_row(len(cards) + 1, uid, p, my_orders))
        profiles.append(_profile_row(rng, uid, p, hood, joined, my_orders))
        fill_wallet(rng, wallets, coupon_by_id, uid, joined, p, my_orders)

    count_issued(coupons, wallets)
    return {"users": users, "foodcard_users": cards, "user_profiles": profiles,
            "user_coupon_wallet": wallets, "orders": orders}
