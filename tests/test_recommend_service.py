"""The recommendation use case against the imported sample data (issue 2 slice, issue 4)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from naviyam.adapters.db.models import (
    Conversation, Menu, PerformanceLog, RecommendationLog, Shop, User, UserProfile,
)
from naviyam.adapters.db.conversation_log import TurnRecord
from naviyam.domain.geo import haversine_m
from naviyam.domain.hours import is_open_at
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend
from naviyam.usecases.selection import select_option

KST = ZoneInfo("Asia/Seoul")
TUESDAY_LUNCH = datetime(2026, 11, 17, 12, 30, tzinfo=KST)
ITEM_KEYS = {"shop_id", "shop_name", "category", "menu", "foodcard", "distance_m", "walk_minutes",
             "reasons", "score"}


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


@pytest.fixture()
def session(loaded_database_url, db_session):
    return db_session


def user_id(session, external_id: str) -> int:
    return session.scalar(select(User.id).where(User.external_user_id == external_id))


def check_item(session, item, *, budget, now, location=None, radius=1000):
    shop = session.get(Shop, item.shop_id)
    menu = session.get(Menu, item.menu_id)
    assert menu.shop_id == shop.id
    assert is_open_at(shop.business_hours, now)
    assert shop.is_food_card_shop in ("Y", "P")
    assert menu.is_available
    assert item.price == menu.price
    if budget is not None:
        assert item.final_price <= budget
    if location is not None:
        assert haversine_m(*location, float(shop.latitude), float(shop.longitude)) <= radius


def test_budget_lunch_request(session):
    uid = user_id(session, "demo_kid_01")
    # the profile's home area, not a place remembered from another test's turn (issue 12)
    session.execute(update(User).where(User.id == uid).values(
        last_place_name=None, last_place_lat=None, last_place_lng=None, last_place_at=None))
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=uid, session_key="t-lunch", text="5천원으로 점심 추천해줘",
        stated_budget=5000))
    assert 1 <= len(result.items) <= 3
    assert len({i.shop_id for i in result.items}) == len(result.items)
    for item in result.items:
        check_item(session, item, budget=5000, now=TUESDAY_LUNCH, location=result.request.location)
    payload = result.payload()
    assert payload["kind"] == "recommendations"
    for entry in payload["recommendations"]:
        assert ITEM_KEYS <= set(entry)
        assert set(entry["menu"]) == {"menu_id", "name", "price", "final_price"}
        assert entry["foodcard"] in ("Y", "P")
        assert isinstance(entry["score"], float)
    assert "alternatives" not in payload
    # the profile's area (건대입구) gives a location, so distances are known
    assert result.location_source == "profile"
    assert all(i.walk_minutes is not None and i.walk_minutes <= 13 for i in result.items)


def test_card_balance_caps_the_budget(session):
    uid = user_id(session, "demo_lowbal_01")          # 3,200원 left on the card
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=uid, session_key="t-low", stated_budget=10000))
    assert result.budget.hard_budget is not None and result.budget.hard_budget <= 3200
    for item in result.items:
        assert item.final_price <= result.budget.hard_budget


def test_metadata_location_wins_and_radius_holds(session):
    sinchon = (37.5559, 126.9368)
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=user_id(session, "demo_kid_01"), session_key="t-loc",
        stated_budget=8000, location=sinchon, place_name="노량진"))
    assert result.location_source == "metadata"
    assert result.items
    for item in result.items:
        check_item(session, item, budget=8000, now=TUESDAY_LUNCH, location=sinchon)


def test_a_place_said_in_this_message_wins_over_the_attached_position(session):
    """Found by chatting: "부산 서면인데 돈까스 먹을래" from a client that attaches its position
    (건대입구) got shops near 건대입구, a silent swap; an earlier turn's place still yields."""
    geondae = (37.5404, 127.0693)
    said = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=None, session_key="t-said", stated_budget=8000, location=geondae,
        location_source="metadata", place_name="노량진역", place_said=True))
    assert said.location_source == "place" and said.request.place_name == "노량진"   # the gazetteer's name
    for item in said.items:
        check_item(session, item, budget=8000, now=TUESDAY_LUNCH, location=(37.5133, 126.9426))
    unknown = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=None, session_key="t-said2", stated_budget=8000, location=geondae,
        location_source="metadata", place_name="아무데나없는동네", place_said=True))
    assert unknown.location_source == "metadata"      # a name the gazetteer does not know: the position


def test_named_place_is_used_without_metadata(session):
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=None, session_key="t-place", stated_budget=8000, place_name="노량진역"))
    assert result.location_source == "place"
    for item in result.items:
        check_item(session, item, budget=8000, now=TUESDAY_LUNCH, location=(37.5133, 126.9426))


def test_dietary_restrictions_from_profile(session):
    uid = user_id(session, "demo_allergy_01")          # no pork, no shellfish
    for food in (None, "한식", "분식"):
        result = recommend(session, RecommendationRequest(
            now=TUESDAY_LUNCH, user_id=uid, session_key="t-diet", stated_budget=12000, food_type=food))
        for item in result.items:
            menu = session.get(Menu, item.menu_id)
            assert "돼지고기 포함" not in (menu.dietary_info or "")
            assert "갑각류 포함" not in (menu.dietary_info or "")


def test_food_type_narrows(session):
    result = recommend(session, RecommendationRequest(
        now=datetime(2026, 11, 17, 19, 0, tzinfo=KST), user_id=None, session_key="t-chicken",
        food_type="치킨", stated_budget=20000, place_name="건대입구"))
    assert result.food_type_matched
    assert result.items
    for item in result.items:
        assert item.category == "치킨" or "치킨" in item.menu_name


def test_paging_never_repeats(session):
    uid = user_id(session, "demo_kid_01")
    shown: set[int] = set()
    for _ in range(4):
        result = recommend(session, RecommendationRequest(
            now=TUESDAY_LUNCH, user_id=uid, session_key="t-page", stated_budget=8000,
            exclude_shop_ids=set(shown)))
        ids = {i.shop_id for i in result.items}
        assert not ids & shown
        shown |= ids
    assert len(shown) >= 9


def test_nothing_fits_gives_marked_alternatives(session):
    """A tiny isolated place: one shop closed now (opens in an hour), one open but pricey."""
    hours_all_week = lambda o, c: {d: {"open": o, "close": c} for d in (  # noqa: E731
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}
    far = (35.1796, 129.0756)   # far from every sample shop
    closed = Shop(shop_name="테스트 국수집", category="한식", address_name="테스트시 1", is_food_card_shop="Y",
                  business_hours=hours_all_week("13:30", "21:00"), latitude=Decimal("35.17960000"),
                  longitude=Decimal("129.07560000"), popularity_score=Decimal("0.5"), quality_score=Decimal("0.5"))
    pricey = Shop(shop_name="테스트 돈까스", category="일식", address_name="테스트시 2", is_food_card_shop="Y",
                  business_hours=hours_all_week("10:00", "22:00"), latitude=Decimal("35.17970000"),
                  longitude=Decimal("129.07570000"), popularity_score=Decimal("0.5"), quality_score=Decimal("0.5"))
    session.add_all([closed, pricey])
    session.flush()
    session.add_all([
        Menu(shop_id=closed.id, menu_name="잔치국수", price=4000, category="메인메뉴", tags=["면"]),
        Menu(shop_id=pricey.id, menu_name="등심돈까스", price=6000, category="메인메뉴", tags=["튀김"]),
    ])
    session.flush()
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=None, session_key="t-alt", stated_budget=5000, location=far))
    assert result.items == []
    reasons = {a.shop_name: a.alternative_reason for a in result.alternatives}
    assert reasons == {"테스트 국수집": "opening_soon", "테스트 돈까스": "over_budget"}
    payload = result.payload()
    assert payload["recommendations"] == [] and payload["kind"] == "no_results"
    assert {a["alternative_reason"] for a in payload["alternatives"]} == {"opening_soon", "over_budget"}
    soon = next(a for a in result.alternatives if a.alternative_reason == "opening_soon")
    assert soon.opens_at.hour == 13 and soon.opens_at.minute == 30


def test_logs_are_written(session):
    before = session.scalar(select(func.count()).select_from(RecommendationLog))
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=user_id(session, "demo_kid_01"), session_key="t-log", stated_budget=6000))
    row = session.get(RecommendationLog, result.log_id)
    assert session.scalar(select(func.count()).select_from(RecommendationLog)) == before + 1
    assert row.recommendation_method in ("WIDE_DEEP", "HYBRID", "FALLBACK")
    assert row.recommendation_count == len(result.items)
    assert row.total_candidates == result.total_candidates
    assert "open" in row.filtering_steps and "budget" in row.filtering_steps
    assert [r["shop_id"] for r in row.recommendations] == [i.shop_id for i in result.items]
    perf = session.scalars(select(PerformanceLog).where(PerformanceLog.operation == "recommend")
                           .order_by(PerformanceLog.id.desc())).first()
    assert perf is not None and "filters" in perf.component_ms


def test_selection_is_recorded_in_one_transaction(session):
    uid = user_id(session, "demo_kid_01")
    result = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=uid, session_key="t-select", stated_budget=7000))
    chosen = result.items[0]
    shop_count = session.get(Shop, chosen.shop_id).recommendation_count
    menu_freq = session.get(Menu, chosen.menu_id).recommendation_frequency
    interactions = session.scalar(select(UserProfile.interaction_count).where(UserProfile.user_id == uid))
    turn = TurnRecord(session_key="t-select", input_text="1번", response_text="좋아요!", user_id=uid,
                      rasa_intent="choose_option")
    select_option(session, user_id=uid, option=chosen.to_state(), recommendation_log_id=result.log_id,
                  now=TUESDAY_LUNCH, turn=turn, shown_at=TUESDAY_LUNCH)
    session.expire_all()
    assert session.get(RecommendationLog, result.log_id).user_final_selection == chosen.shop_id
    assert session.get(Shop, chosen.shop_id).recommendation_count == shop_count + 1
    assert session.get(Menu, chosen.menu_id).recommendation_frequency == menu_freq + 1
    profile = session.scalar(select(UserProfile).where(UserProfile.user_id == uid))
    assert profile.interaction_count == interactions + 1
    assert profile.recent_orders[-1]["shop_id"] == chosen.shop_id
    convo = session.scalars(select(Conversation).where(Conversation.selected_shop_id == chosen.shop_id)
                            .order_by(Conversation.id.desc())).first()
    assert convo is not None and convo.rasa_intent == "choose_option"


def test_selection_of_missing_shop_writes_nothing(session):
    before = session.scalar(select(func.count()).select_from(Conversation))
    with pytest.raises(LookupError):
        with session.begin_nested():
            select_option(session, user_id=None, option={"shop_id": 999999}, recommendation_log_id=None,
                          now=TUESDAY_LUNCH, turn=TurnRecord(session_key="x", input_text="1", response_text="-"))
    assert session.scalar(select(func.count()).select_from(Conversation)) == before


def test_profile_reads_what_was_shown_and_what_was_picked(session):
    from naviyam.adapters.db.profile_queries import recent_exposure
    from naviyam.domain.recommend.features import CATEGORY_INDEX, UserContext

    uid = user_id(session, "demo_kid_02")
    shown_before, picked_before = recent_exposure(session, uid)
    first = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=uid, session_key="t-exposure", stated_budget=8000))
    second = recommend(session, RecommendationRequest(
        now=TUESDAY_LUNCH, user_id=uid, session_key="t-exposure", stated_budget=8000,
        exclude_shop_ids=set(first.shown_shop_ids)))
    chosen = second.items[0]
    select_option(session, user_id=uid, option=chosen.to_state(), recommendation_log_id=second.log_id,
                  now=TUESDAY_LUNCH, turn=TurnRecord(session_key="t-exposure", input_text="1번",
                                                     response_text="좋아요!", user_id=uid),
                  shown_at=TUESDAY_LUNCH)
    shown, picked = recent_exposure(session, uid)
    new_items = first.items + second.items
    assert len(shown) == len(shown_before) + len(new_items)
    assert sorted(shown[:len(new_items)]) == sorted(i.category for i in new_items)
    assert picked[:1] == [chosen.category] and len(picked) == len(picked_before) + 1
    context = UserContext.from_history([], [chosen.category], shown_categories=shown, picked_when_shown=picked)
    assert context.category_pick_rate[CATEGORY_INDEX[chosen.category]] > 0.5
