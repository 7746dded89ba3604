"""Place, shop questions and another time inside the action server process (no Rasa):
ask → answer → remembered, shop_info from the row, the open filter moved (issue 12)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from actions.recommend import ActionChooseOption, ActionRecommend
from actions.shop_info import ActionShopInfo
import helpers_actions
from helpers_actions import make_tracker, run, slots_of, texts
from naviyam.adapters.db.models import User
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender
from naviyam.adapters.db.session import unit_of_work

MONDAY_LUNCH = {"now": "2026-11-23T12:30:00+09:00"}
GEONDAE = {"lat": 37.5404, "lng": 127.0693}


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def turn(action, domain, trk):
    """The turn's json_message, its text and the slots it set."""
    events, messages = run(action, trk, domain)
    return helpers_actions.custom(messages), texts(messages), slots_of(events)


def test_ask_answer_remember(loaded_database_url, domain):
    sender = f"t_place_{uuid.uuid4().hex[:6]}"
    record_consent(Sender(sender), datetime.now(timezone.utc))   # only an agreed user's place is kept
    custom, text, slots = turn(ActionRecommend(), domain, make_tracker(
        sender, "떡볶이 먹고 싶어", "food_request", [{"entity": "food_type", "value": "떡볶이"}],
        metadata=MONDAY_LUNCH))
    assert custom["kind"] == "ask_location" and "어디 근처에서 찾을까요?" in text
    pending = slots["pending_place_request"]
    custom, text, slots = turn(ActionRecommend(), domain, make_tracker(
        sender, "건대", "inform_place", [{"entity": "location", "value": "건대입구"}],
        slots={"pending_place_request": pending}, metadata=MONDAY_LUNCH))
    assert custom["place"] == {"name": "건대입구", "source": "place"}, text
    assert custom["food_type"]["requested"] == "떡볶이" and slots["pending_place_request"] is None
    with unit_of_work() as session:
        assert session.scalar(select(User.last_place_name).where(User.external_user_id == sender)) == "건대입구"
    custom, text, _ = turn(ActionRecommend(), domain, make_tracker(
        sender, "점심 추천해줘", "food_request", metadata={"now": "2026-11-24T12:10:00+09:00"}))
    assert custom["place"] == {"name": "건대입구", "source": "remembered"}
    assert "지난번처럼 건대입구 근처에서 찾았어요" in text
    # after the memory expires (14 days by default) the bot asks again, offering the old place
    custom, text, _ = turn(ActionRecommend(), domain, make_tracker(
        sender, "점심 추천해줘", "food_request", metadata={"now": "2026-12-20T12:10:00+09:00"}))
    assert custom["kind"] == "ask_location" and custom["place_choices"] == ["건대입구"]


def test_an_unknown_place_is_said_and_asked_again(loaded_database_url, domain):
    sender = f"t_place_{uuid.uuid4().hex[:6]}"
    custom, text, _ = turn(ActionRecommend(), domain, make_tracker(
        sender, "아틀란티스", "inform_place", [{"entity": "location", "value": "아틀란티스"}], metadata=MONDAY_LUNCH))
    assert custom["kind"] == "ask_location" and "아틀란티스" in text


def test_shop_questions_and_another_time(loaded_database_url, domain):
    sender = f"t_info_{uuid.uuid4().hex[:6]}"
    meta = {**MONDAY_LUNCH, "location": GEONDAE}
    shown, _, slots = turn(ActionRecommend(), domain, make_tracker(sender, "만원으로 점심 추천해줘", "budget_inquiry",
                                                             [{"entity": "budget", "value": 10000}], metadata=meta))
    items = shown["recommendations"]
    state = {"last_recommendations": slots["last_recommendations"],
             "last_recommendation_request": slots["last_recommendation_request"]}
    info, text, _ = turn(ActionShopInfo(), domain, make_tracker(sender, "거기 몇 시에 닫아?", "shop_info",
                                                            slots=state, metadata=meta))
    assert info["kind"] == "shop_info" and info["shop_id"] == items[0]["shop_id"] and "⏰" in text
    info, text, _ = turn(ActionShopInfo(), domain, make_tracker(
        sender, "2번 가게 어디야?", "shop_info", [{"entity": "option_number", "value": 2}], slots=state, metadata=meta))
    assert info["shop_id"] == items[1]["shop_id"] and info["address"] in text and info["asked"] == "address"
    _, _, chosen = turn(ActionChooseOption(), domain, make_tracker(
        sender, "2번", "choose_option", [{"entity": "option_number", "value": 2}], slots=state, metadata=meta))
    info, text, _ = turn(ActionShopInfo(), domain, make_tracker(
        sender, "거기 카드 돼?", "shop_info", slots={**state, **chosen}, metadata=meta))
    assert info["shop_id"] == items[1]["shop_id"] and info["asked"] == "card" and "급식카드" in text

    later, text, _ = turn(ActionRecommend(), domain, make_tracker(
        sender, "내일 점심에 먹을 거", "time_inquiry", [{"entity": "time_preference", "value": "점심"}],
        metadata={"now": "2026-11-23T03:00:00+09:00", "location": GEONDAE}))
    assert later["open_at"]["label"] == "내일 점심(12:00)"
    assert "점심(12:00)에 문을 여는 곳으로 골랐어요" in text and later["recommendations"]
