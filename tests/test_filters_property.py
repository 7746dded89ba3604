"""Property: over >= 1,000 random (user, query, time, place) cases no answer breaks a hard filter.

Every shown item is re-checked against the database rows with the plain rules
(naviyam.domain.hours, naviyam.domain.geo, the card's spendable budget, the coupon service), not
with the engine's vectorised masks. Alternatives must be marked and must not be in
``recommendations``.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from naviyam.usecases.balance.budget import spendable_budget
from naviyam.usecases.coupons.wallet import best_coupon_for
from naviyam.adapters.db.models import Menu, Shop, User
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.domain.geo import haversine_m, resolve_place
from naviyam.domain.hours import is_open_at
from naviyam.domain.recommend.filters import FilterContext, check_dietary, normalised_restrictions
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend

KST = ZoneInfo("Asia/Seoul")
CASES = 1000
FOODS = [None, None, None, "치킨", "분식", "김밥", "국물", "피자", "한식", "카페", "라면", "햄버거", "편의점", "면"]
PLACES = [None, "건대", "신촌역", "노량진", "연대", "화양동", "부산"]
DIETARY = [[], [], [], ["no_nuts"], ["vegetarian"], ["no_pork", "no_shellfish"], ["no_spicy"], ["유제품"]]
CENTRES = [(37.5404, 127.0693), (37.5559, 126.9368), (37.5133, 126.9426)]


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    recommender_env.setenv("NAVIYAM_CATALOG_REFRESH_S", "60")


def test_no_hard_filter_is_ever_violated(loaded_database_url, db_session):
    session = db_session
    rng = random.Random(20261117)
    users = [None] + list(session.scalars(select(User.id)))
    shops = {s.id: s for s in session.scalars(select(Shop))}
    menus = {m.id: m for m in session.scalars(select(Menu))}
    profiles = {}
    start = datetime(2026, 11, 16, 0, 0, tzinfo=KST)   # a Monday
    shown = alternatives = empty = 0
    for case in range(CASES):
        user_id = rng.choice(users)
        now = start + timedelta(minutes=rng.randrange(0, 7 * 24 * 60))
        stated = rng.choice([None, None, 2000, 3000, 5000, 7000, 10000, 15000, 30000])
        location = None
        if rng.random() < 0.4:
            lat, lng = rng.choice(CENTRES)
            location = (lat + rng.uniform(-0.01, 0.01), lng + rng.uniform(-0.012, 0.012))
        place = rng.choice(PLACES)
        dietary = rng.choice(DIETARY)
        request = RecommendationRequest(
            now=now, user_id=user_id, session_key=f"prop-{case}", text="", stated_budget=stated,
            food_type=rng.choice(FOODS), location=location, place_name=place,
            dietary_restrictions=list(dietary), taste_preference=rng.choice([None, "매운", "국물"]))
        result = recommend(session, request, write_log=False)

        # Budget the reference way: the card now, capped by what was said.
        limits = [stated] if stated else []
        if user_id is not None:
            spend = spendable_budget(session, user_id, now)
            if spend.amount is not None:
                limits.append(spend.amount)
        budget = min(limits) if limits else None
        if user_id is not None and user_id not in profiles:
            from naviyam.adapters.db.models import UserProfile
            profile = session.scalar(select(UserProfile).where(UserProfile.user_id == user_id))
            profiles[user_id] = list(profile.dietary_restrictions or []) if profile else []
        restrictions = normalised_restrictions(list(dietary) + profiles.get(user_id, []))
        diet_ctx = FilterContext(now=now, budget=None, dietary=restrictions)
        # Location the reference way: metadata, else the named place, else the profile's area.
        expected_location = location
        if expected_location is None and place and resolve_place(place, get_gazetteer()):
            p = resolve_place(place, get_gazetteer())
            expected_location = (p.lat, p.lng)

        assert result.items or result.alternatives or result.payload()["kind"] == "no_results"
        for item in result.items:
            shop, menu = shops[item.shop_id], menus[item.menu_id]
            assert menu.shop_id == shop.id
            assert is_open_at(shop.business_hours, now), (case, shop.shop_name, now)
            assert shop.is_food_card_shop in ("Y", "P")
            assert menu.is_available
            assert item.price == menu.price
            if budget is not None:
                assert item.final_price <= budget, (case, item, budget)
            if item.final_price < item.price:
                coupon = best_coupon_for(session, user_id, shop, menu.price, now)
                assert coupon is not None and coupon.final_price == item.final_price
            if expected_location is not None:
                assert haversine_m(*expected_location, float(shop.latitude), float(shop.longitude)) <= 1000
                assert result.request.location == pytest.approx(expected_location)
            text = " ".join([menu.menu_name, menu.description or "", " ".join(menu.tags or []),
                             menu.dietary_info or ""])
            assert check_dietary(text, menu.tags or [], menu.dietary_info or "", diet_ctx), (case, menu.menu_name)
            shown += 1
        assert len({i.shop_id for i in result.items}) == len(result.items)
        for alt in result.alternatives:
            assert alt.alternative_reason in ("opening_soon", "over_budget")
            alternatives += 1
        if not result.items:
            empty += 1
    assert shown > CASES  # the property was exercised on real answers
    print(f"{CASES} cases: {shown} items checked, {alternatives} alternatives, {empty} without items")
