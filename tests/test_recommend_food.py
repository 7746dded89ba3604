"""What a hungry kid notices: a meal is a meal, and the food they named comes first (or an honest no).

Service-level tests on the imported sample data near 건대입구 (the live conversation
that showed 아메리카노 and 쿨피스 for "떡볶이 먹고싶어").
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from naviyam.adapters.db.models import Menu, Shop, User
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend

KST = ZoneInfo("Asia/Seoul")
MONDAY_LUNCH = datetime(2026, 11, 23, 12, 30, tzinfo=KST)
MONDAY_EVENING = datetime(2026, 11, 23, 18, 30, tzinfo=KST)
KONDAE = (37.5404, 127.0693)
MEAL_KINDS = ("메인메뉴", "세트메뉴")


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


@pytest.fixture()
def session(loaded_database_url, db_session):
    return db_session


def uid(session, external_id: str) -> int:
    return session.scalar(select(User.id).where(User.external_user_id == external_id))


def ask(session, external_id: str | None, text: str, *, food_type: str | None = None, budget: int | None = None,
        now: datetime = MONDAY_LUNCH, location=KONDAE, source: str | None = "entity", **extra):
    return recommend(session, RecommendationRequest(
        now=now, user_id=uid(session, external_id) if external_id else None, session_key=f"t-{text}",
        text=text, food_type=food_type, food_type_source=source if food_type else None,
        stated_budget=budget, location=location, **extra), write_log=False)


def menu_category(session, item) -> str:
    return session.get(Menu, item.menu_id).category or "메인메뉴"


def test_tteokbokki_request_shows_tteokbokki_not_drinks(session):
    """The live bug: "떡볶이 먹고싶어" gave 아메리카노 and 쿨피스 (their descriptions mention 떡볶이)."""
    result = ask(session, "demo_new_01", "떡볶이 먹고싶어", food_type="떡볶이")
    assert len(result.items) == 3
    for item in result.items:
        assert menu_category(session, item) in MEAL_KINDS, item.menu_name
        assert "떡볶이" in item.menu_name or "라볶이" in item.menu_name, item.menu_name
        assert item.match_tier == 5
    assert result.food_type_matched is True
    payload = result.payload()
    assert payload["food_type"]["match"] == "exact"
    assert all(r["food_type_match"] == "exact" for r in payload["recommendations"])


def test_food_word_in_the_text_is_used_when_the_nlu_gave_none(session):
    result = ask(session, "demo_new_01", "떡볶이 먹고싶어")
    assert result.request.food_type == "떡볶이" and result.request.food_type_source == "text"
    assert all("떡볶이" in i.menu_name or "라볶이" in i.menu_name for i in result.items)


def test_the_message_food_word_beats_an_older_slot(session):
    """"그럼 치킨은?" after 떡볶이: the slot still says 떡볶이, the sentence says 치킨."""
    result = ask(session, "demo_new_01", "그럼 치킨은?", food_type="떡볶이", source="slot", now=MONDAY_EVENING)
    assert result.food_type.word == "치킨"


@pytest.mark.parametrize("who,text,budget", [
    ("demo_new_01", "뭐 먹지", None), ("demo_kid_01", "5천원으로 점심", 5000),
    ("demo_lowbal_01", "배고파", None), ("demo_teen_01", "8천원으로 점심 추천해줘", 8000),
])
def test_a_meal_request_never_offers_drinks_or_desserts(session, who, text, budget):
    result = ask(session, who, text, budget=budget, location=None)
    assert result.items
    for item in result.items + result.alternatives:
        assert menu_category(session, item) not in ("음료", "디저트", "기타"), item.menu_name


def test_cafe_main_menus_are_meals_but_coffee_is_not(session):
    """At a café a sandwich is a meal; an americano is not (no more "all café menus are meals")."""
    result = ask(session, "demo_nocard_01", "점심 뭐 먹지", budget=8000, location=None)
    for item in result.items:
        assert menu_category(session, item) in MEAL_KINDS


def _isolated_snack_bar(session) -> tuple[float, float]:
    """One shop far from the sample data: a 6,000원 main, a 2,000원 side, a 1,500원 drink."""
    place = (35.1796, 129.0756)
    shop = Shop(shop_name="테스트 분식", category="분식", address_name="테스트시 1", is_food_card_shop="Y",
                business_hours={d: {"open": "10:00", "close": "22:00"} for d in (
                    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")},
                latitude=Decimal("35.17960000"), longitude=Decimal("129.07560000"),
                popularity_score=Decimal("0.5"), quality_score=Decimal("0.5"))
    session.add(shop)
    session.flush()
    session.add_all([
        Menu(shop_id=shop.id, menu_name="라면 정식", price=6000, category="메인메뉴", tags=["면"]),
        Menu(shop_id=shop.id, menu_name="어묵꼬치(2개)", price=2000, category="사이드메뉴", tags=["국물"]),
        Menu(shop_id=shop.id, menu_name="쿨피스", price=1500, category="음료", tags=["음료"]),
    ])
    session.flush()
    return place


def test_sides_only_when_no_meal_fits_a_tiny_budget(session):
    place = _isolated_snack_bar(session)
    tiny = ask(session, None, "배고파", budget=2500, location=place)
    assert tiny.filtering_steps["menu_kind"] == "side"
    assert [i.menu_name for i in tiny.items] == ["어묵꼬치(2개)"]       # never the drink
    enough = ask(session, None, "배고파", budget=7000, location=place)
    assert [i.menu_name for i in enough.items] == ["라면 정식"]          # a meal when one fits
    drink = ask(session, None, "음료수 마시고 싶어", budget=2500, location=place)
    assert [i.menu_name for i in drink.items] == ["쿨피스"]


def test_asking_for_a_drink_or_dessert_allows_them(session):
    drink = ask(session, "demo_new_01", "시원한 음료 마시고 싶어")
    assert drink.filtering_steps["menu_kind"] == "any"
    assert any(menu_category(session, i) == "음료" for i in drink.items)
    named = ask(session, "demo_new_01", "쿨피스", food_type="쿨피스")
    assert named.items and named.items[0].menu_name == "쿨피스"
    cafe = ask(session, "demo_teen_01", "카페 가고 싶어", food_type="카페", budget=8000,
               location=(37.5559, 126.9368))
    assert cafe.items and all(i.category == "카페/디저트" for i in cafe.items)


def test_chicken_over_budget_is_honest_with_marked_real_chicken(session):
    """"그럼 치킨은?" with 5,000원 in the evening: chicken shops cost more.

    Items are menus containing chicken (치킨버거, 치킨마요, 치킨너겟...), the answer says
    real chicken is over budget, and real chicken appears among the alternatives,
    marked over budget, with its real price.
    """
    result = ask(session, "demo_kid_01", "그럼 치킨은?", food_type="치킨", budget=5000, now=MONDAY_EVENING)
    assert result.items
    for item in result.items:
        assert item.final_price <= 5000
        assert "치킨" in item.menu_name or item.category == "치킨" or "닭" in item.menu_name, item.menu_name
    assert result.food_type.shown_level == "partial"
    assert result.food_type.missing_reason == "budget"
    assert result.food_type_matched is False
    assert result.alternatives
    shown = {i.shop_id for i in result.items}
    for alt in result.alternatives:
        assert alt.alternative_reason == "over_budget"
        assert alt.category == "치킨" and alt.final_price > 5000
        assert alt.shop_id not in shown
    payload = result.payload()
    assert payload["food_type"] == {"requested": "치킨", "word": "치킨", "match": "partial",
                                    "missing_reason": "budget"}
    assert payload["kind"] == "recommendations"
    assert {a["alternative_reason"] for a in payload["alternatives"]} == {"over_budget"}


def test_chicken_at_lunch_says_the_shops_are_closed(session):
    """Near 건대입구 the chicken shops open at 16:00: the answer says so and when they open."""
    result = ask(session, "demo_kid_01", "치킨 먹고 싶어", food_type="치킨", budget=20000)
    assert result.food_type.missing_reason == "closed"
    assert result.alternatives
    for alt in result.alternatives:
        assert alt.alternative_reason == "opening_soon" and alt.category == "치킨"
        assert alt.opens_at is not None and alt.opens_at > MONDAY_LUNCH


def test_named_food_out_of_budget_falls_back_honestly(session):
    """Nothing matching at all within budget: the best other meals, with an honest reason."""
    result = ask(session, "demo_kid_01", "스테이크", food_type="스테이크", budget=4000, now=MONDAY_EVENING)
    assert result.items
    assert result.food_type.shown_level in ("none", "related")
    assert result.food_type.missing_reason in ("budget", "far", "none")
    for item in result.items:
        assert item.final_price <= 4000
        assert menu_category(session, item) not in ("음료", "디저트", "기타")


def test_dish_synonym_ranks_real_matches_before_related_ones(session):
    """"김밥": menus named 김밥 first; another 분식 menu only after them."""
    result = ask(session, "demo_new_01", "김밥", food_type="김밥", budget=9000, limit=3)
    tiers = [i.match_tier for i in result.items]
    assert tiers == sorted(tiers, reverse=True)
    assert all("김밥" in i.menu_name for i in result.items if i.match_tier == 5)
    assert tiers[0] == 5


def test_nut_allergy_holds_with_a_named_food(session):
    result = ask(session, "demo_teen_01", "빵 먹고 싶어", food_type="빵", budget=8000, location=(37.5559, 126.9368))
    for item in result.items + result.alternatives:
        menu = session.get(Menu, item.menu_id)
        text = f"{menu.menu_name} {menu.description} {menu.tags} {menu.dietary_info}"
        assert not any(w in text for w in ("땅콩", "견과", "호두", "아몬드")), menu.menu_name


def test_shop_rows_agree_with_items(session):
    result = ask(session, "demo_new_01", "떡볶이 먹고싶어", food_type="떡볶이")
    for item in result.items:
        assert session.get(Shop, item.shop_id).shop_name == item.shop_name
