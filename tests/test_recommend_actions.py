"""The recommendation actions end to end inside the action server process (no Rasa)."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.recommend import ActionChooseOption, ActionMoreOptions, ActionRecommend
from helpers_actions import make_tracker, slots_of
from helpers_nlg import said
from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import Conversation, RecommendationLog
from naviyam.adapters.db.session import unit_of_work


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def tracker(sender: str, text: str, intent: str, entities: list[dict], slots: dict | None = None,
            metadata: dict | None = None) -> Tracker:
    return make_tracker(sender, text, intent, entities, slots=slots, metadata=metadata)


def run(action, dispatcher, trk, domain):
    return asyncio.run(action.run(dispatcher, trk, domain))


def test_recommend_more_and_choose(loaded_database_url, domain):
    sender = "demo_kid_01"
    meta = {"now": "2026-11-17T12:30:00+09:00"}
    d = CollectingDispatcher()
    events = run(ActionRecommend(), d, tracker(sender, "5천원으로 점심 추천해줘", "budget_inquiry",
                                               [{"entity": "budget", "value": 5000},
                                                {"entity": "time_preference", "value": "점심"}],
                                               metadata=meta), domain)
    messages = said(d, domain)
    texts = [m["text"] for m in messages if m.get("text")]
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert len(texts) == 1 and "5,000원" in texts[0]          # one bubble, then the card payload
    assert "1." in texts[0] and "급식카드" in texts[0]
    buttons = [b["title"] for m in messages for b in (m.get("buttons") or [])]
    assert "1번 선택" in buttons and "다른 추천" in buttons
    assert custom["kind"] == "recommendations" and 1 <= len(custom["recommendations"]) <= 3
    assert all(r["menu"]["final_price"] <= 5000 for r in custom["recommendations"])
    assert custom["quick_replies"]
    slots = slots_of(events)
    first_ids = {r["shop_id"] for r in custom["recommendations"]}
    assert set(slots["shown_shop_ids"]) == first_ids

    d2 = CollectingDispatcher()
    events2 = run(ActionMoreOptions(), d2, tracker(sender, "다른 거", "request_more", [], slots=slots,
                                                   metadata=meta), domain)
    custom2 = [m["custom"] for m in said(d2, domain) if m.get("custom")][0]
    second_ids = {r["shop_id"] for r in custom2["recommendations"]}
    assert second_ids and not second_ids & first_ids
    slots2 = {**slots, **slots_of(events2)}

    d3 = CollectingDispatcher()
    run(ActionChooseOption(), d3, tracker(sender, "2번", "choose_option", [{"entity": "option_number", "value": 2}],
                                          slots=slots2, metadata=meta), domain)
    chosen = slots2["last_recommendations"][1]
    assert chosen["shop_name"] in said(d3, domain)[0]["text"]
    with unit_of_work() as s:
        log_row = s.get(RecommendationLog, int(slots2["recommendation_log_id"]))
        assert log_row.user_final_selection == chosen["shop_id"]
        turns = s.scalars(select(Conversation).where(Conversation.selected_shop_id == chosen["shop_id"])).all()
        assert turns


def test_choose_without_options_is_polite(loaded_database_url, domain):
    d = CollectingDispatcher()
    run(ActionChooseOption(), d, tracker("demo_kid_02", "3번", "choose_option",
                                         [{"entity": "option_number", "value": 3}]), domain)
    assert "추천해 드린 곳이 없어요" in said(d, domain)[0]["text"]


def test_zero_balance_still_answers(loaded_database_url, domain):
    d = CollectingDispatcher()
    run(ActionRecommend(), d, tracker("demo_zero_01", "뭐 먹지", "food_request", [],
                                      metadata={"now": "2026-11-17T12:30:00+09:00"}), domain)
    messages = said(d, domain)
    texts = [m["text"] for m in messages if m.get("text")]
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert texts and texts[0]
    assert custom["recommendations"] == []


def test_named_food_over_budget_is_said_honestly(loaded_database_url, domain):
    """"그럼 치킨은?" with 5,000원 in the evening: chicken-containing menus, an honest first line,
    and real chicken listed after them, marked over budget, choosable by number."""
    meta = {"now": "2026-11-23T18:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}
    d = CollectingDispatcher()
    events = run(ActionRecommend(), d, tracker("demo_kid_01", "그럼 치킨은?", "food_request",
                                               [{"entity": "food_type", "value": "치킨"}],
                                               slots={"budget": 5000, "food_type": "떡볶이"},
                                               metadata=meta), domain)
    messages = said(d, domain)
    text = [m["text"] for m in messages if m.get("text")][0]
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert text.startswith("치킨은 지금 예산(5,000원)으로는 찾기 어려워요")
    assert "대신 치킨이 들어간 메뉴를 골라 봤어요" in text
    assert "예산보다 비싸요" in text
    assert custom["food_type"]["missing_reason"] == "budget"
    assert all(r["menu"]["final_price"] <= 5000 for r in custom["recommendations"])
    assert custom["alternatives"] and all(a["category"] == "치킨" for a in custom["alternatives"])
    slots = slots_of(events)
    assert len(slots["last_recommendations"]) == len(custom["recommendations"]) + len(custom["alternatives"])
    assert slots["last_recommendations"][-1]["alternative"] is True
    n_alt = len(custom["recommendations"]) + 1
    assert f"{n_alt}. " in text
    buttons = [b["title"] for m in messages for b in (m.get("buttons") or [])]
    assert f"{n_alt}번 선택" in buttons


def test_a_place_with_no_meal_card_shop_is_said_by_name(loaded_database_url, domain):
    """Found by chatting: "부산 서면인데 돈까스 먹을래" got "근처에는 돈까스 파는 곳이 없어요" and
    "예산이나 장소를 바꿔서": true, but the child could not tell that 서면 has no shop at all."""
    meta = {"now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}
    d = CollectingDispatcher()
    stranger = f"kakao:place-{uuid.uuid4().hex[:10]}"   # stores nothing (a demo user would remember 부산)
    run(ActionRecommend(), d, tracker(stranger, "부산 서면인데 돈까스 먹을래", "food_request",
                                      [{"entity": "location", "value": "부산"}, {"entity": "food_type", "value": "돈까스"}],
                                      metadata=meta), domain)
    messages = said(d, domain)
    text = "\n".join(m["text"] for m in messages if m.get("text"))
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert custom["kind"] == "no_results" and custom["place"]["source"] == "place"
    assert "부산 근처에는 아직 나비얌이 아는 급식카드 가게가 없어요" in text, text
    assert "돈까스 파는 곳이 없어요" not in text


def test_tteokbokki_while_onboarding_gets_tteokbokki(loaded_database_url, domain):
    d = CollectingDispatcher()
    run(ActionRecommend(), d, tracker("demo_new_01", "떡볶이 먹고싶어", "food_request",
                                      [{"entity": "food_type", "value": "떡볶이"}],
                                      metadata={"now": "2026-11-23T12:30:00+09:00",
                                                "location": {"lat": 37.5404, "lng": 127.0693}}), domain)
    messages = said(d, domain)
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    names = [r["menu"]["name"] for r in custom["recommendations"]]
    assert names and all("떡볶이" in n for n in names)
    text = [m["text"] for m in messages if m.get("text")][0]
    assert "아메리카노" not in text and "쿨피스" not in text


def test_the_answer_is_sent_by_response_name_and_recorded_with_its_values(loaded_database_url, domain):
    """Rasa renders the list (utter_recommend_list); the turn's row names it with its values."""
    sender = "demo_kid_03"
    d = CollectingDispatcher()
    run(ActionRecommend(), d, tracker(sender, "5천원으로 점심 추천해줘", "budget_inquiry",
                                      [{"entity": "budget", "value": 5000}],
                                      metadata={"now": "2026-11-17T12:30:00+09:00"}), domain)
    [list_message] = [m for m in d.messages if m.get("response")]
    assert list_message["response"] == "utter_recommend_list"
    assert {"header", "items", "footer"} <= set(list_message)
    assert list_message["items"].startswith("1. ")
    with unit_of_work() as s:
        row = s.scalars(select(Conversation).where(Conversation.session_id == session_uuid(sender))
                        .order_by(Conversation.id.desc())).first()
    assert row.response_text.startswith("utter_recommend_list header=")
    assert list_message["items"] in row.response_text


def test_importing_the_actions_starts_nothing():
    """No warm-up thread at import: the server entry point (actions/server.py) starts it."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import threading, actions.recommend, actions.shop_menu, actions.server; "
            "print(threading.active_count())")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True,
                         env={"PYTHONPATH": str(root), "RASA_TELEMETRY_ENABLED": "false",
                              "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "1"
