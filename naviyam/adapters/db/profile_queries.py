"""The user's profile as ranking needs it, cached (TTL 1 hour, invalidated on change)."""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.cache import TTL_USER_PROFILE, get_cache
from naviyam.shared.cache_keys import profile_key, user_keys
from naviyam.adapters.db.models import RecommendationLog, Shop, User, UserProfile

log = logging.getLogger(__name__)


def invalidate_profile(user_id: int) -> None:
    """Drop the user's cached profile, and with it the card and wallet facts (``user_keys``)."""
    try:
        get_cache().delete(*user_keys(user_id))
    except Exception:  # noqa: BLE001
        log.exception("Could not invalidate the profile cache of %s", user_id)


def _taste_words(taste: Any) -> list[str]:
    """``{"spicy": "high", "likes": ["국물"]}`` or ``["매운맛"]`` → words to match in menus."""
    words: list[str] = []
    mapping = {"spicy": "매운", "매운맛": "매운", "soup": "국물", "sweet": "달콤", "fried": "튀김",
               "noodle": "면", "rice": "밥", "meat": "고기", "cheese": "치즈"}
    if isinstance(taste, dict):
        for key, value in taste.items():
            if value in (False, None, 0, "low", "none", "싫음", "no"):
                continue
            if isinstance(value, (list, tuple)):
                words.extend(str(v) for v in value)
            else:
                words.append(mapping.get(str(key), str(key)))
    elif isinstance(taste, (list, tuple)):
        words.extend(str(v) for v in taste)
    elif isinstance(taste, str) and taste.strip():
        words.append(taste.strip())
    return [mapping.get(w, w) for w in words if w and len(w) <= 20]


EXPOSURE_WINDOW = 30   # recent recommendations read for the pick rate (as the simulator's 30 sessions)


def recent_exposure(session: Session, user_id: int, window: int = EXPOSURE_WINDOW) -> tuple[list[str], list[str]]:
    """(categories of every item shown, category picked from each) over the user's last
    ``window`` recommendations; alternatives (closed-now shops) are not counted as shown."""
    rows = session.execute(
        select(RecommendationLog.recommendations, RecommendationLog.user_final_selection)
        .where(RecommendationLog.user_id == user_id)
        .order_by(RecommendationLog.timestamp.desc(), RecommendationLog.id.desc()).limit(window)).all()
    shown: list[str] = []
    picked: list[str] = []
    for items, selected in rows:
        listed = [i for i in items or [] if isinstance(i, dict) and not i.get("alternative_reason")]
        shown.extend(str(i["category"]) for i in listed if i.get("category"))
        picked.extend(str(i["category"]) for i in listed
                      if selected is not None and i.get("shop_id") == selected and i.get("category"))
    return shown, picked


def load_profile(session: Session, user_id: int | None) -> dict[str, Any]:
    """Plain-dict profile (preferences, history, dietary, area); {} for unknown users."""
    if user_id is None:
        return {}
    cache = get_cache()
    key = profile_key(user_id)
    try:
        cached = cache.get(key)
        if isinstance(cached, dict) and "shown_categories" in cached:
            return cached
    except Exception:  # noqa: BLE001 - the database is the source of truth
        log.warning("Profile cache unavailable", exc_info=True)
    row = session.execute(
        select(UserProfile, User.preferred_location, User.created_at)
        .join(User, User.id == UserProfile.user_id).where(UserProfile.user_id == user_id)
    ).first()
    if row is None:
        return {}
    profile, preferred_location, _created = row
    orders = [o for o in (profile.recent_orders or []) if isinstance(o, dict)]
    shop_ids = {int(o["shop_id"]) for o in orders if str(o.get("shop_id", "")).isdigit()}
    categories_by_shop: dict[int, str] = {}
    if shop_ids:
        categories_by_shop = dict(session.execute(
            select(Shop.id, Shop.category).where(Shop.id.in_(shop_ids))).all())
    recent_categories = []
    for order in orders:
        category = order.get("category") or order.get("shop_category")
        if not category and str(order.get("shop_id", "")).isdigit():
            category = categories_by_shop.get(int(order["shop_id"]))
        if category:
            recent_categories.append(str(category))
    shown, picked = recent_exposure(session, user_id)
    data = {
        "user_id": user_id,
        "preferred_categories": list(profile.preferred_categories or []),
        "favorite_shops": [int(s) for s in profile.favorite_shops or []],
        "visited_shops": sorted(shop_ids),
        "recent_categories": recent_categories,
        "average_budget": profile.average_budget,
        "taste_words": _taste_words(profile.taste_preferences),
        "dietary_restrictions": list(profile.dietary_restrictions or []),
        "interaction_count": int(profile.interaction_count or 0),
        "shown_categories": shown,
        "picked_when_shown": picked,
        "preferred_location": preferred_location,
        "location_preferences": list(profile.location_preferences or []),
    }
    try:
        cache.set(key, data, TTL_USER_PROFILE)
    except Exception:  # noqa: BLE001
        log.warning("Could not cache the profile", exc_info=True)
    return data
