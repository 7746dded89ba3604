"""The actions' responses through Rasa's own NLG (Rasa 3.6, no trained model, no servers).

Actions send ``{"response": "utter_...", **values}`` (rasa-sdk's ``utter_message``); Rasa's
``RemoteAction`` renders each with its ``TemplatedNaturalLanguageGenerator`` from the
domain's responses. These tests feed it messages shaped as rasa-sdk shapes them and check
what a channel receives: one bubble for a composed list, the action's buttons after the
response's own, and the placeholders filled (tests/helpers_nlg.py renders the same way
in the app environment's action tests).
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker

DOMAIN_DIR = Path(__file__).resolve().parents[2] / "domain"


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(DOMAIN_DIR))


def sdk_message(response: str, buttons: list[dict] | None = None, **values) -> dict:
    """What ``CollectingDispatcher.utter_message(response=..., buttons=..., **values)`` collects."""
    return {"text": None, "buttons": buttons or [], "elements": [], "custom": {}, "template": response,
            "response": response, "image": None, "attachment": None, **values}


def delivered(domain: Domain, *messages: dict, slots: dict | None = None) -> list[dict]:
    """The messages a REST client receives for these action messages."""
    tracker = DialogueStateTracker.from_dict("tester", [], domain.slots)
    for name, value in (slots or {}).items():
        tracker.slots[name].value = value
    channel = CollectingOutputChannel()

    async def go() -> None:
        nlg = TemplatedNaturalLanguageGenerator(domain.responses)
        events = await RemoteAction._utter_responses([dict(m) for m in messages], channel, nlg, tracker)
        for event in events:
            await channel.send_response("tester", event.message())

    asyncio.run(go())
    return channel.messages


def test_a_recommendation_list_is_one_bubble_with_the_option_buttons(domain):
    buttons = [{"title": "1번 선택", "payload": '/choose_option{"option_number": 1}'}]
    [message] = delivered(domain, sdk_message(
        "utter_recommend_list", buttons, header="찾았어요!", items="1. 김밥천국\n   라면 3,500원",
        footer="번호를 골라 주세요!"), slots={"budget": 5000.0})
    assert message["text"] == "찾았어요!\n1. 김밥천국\n   라면 3,500원\n번호를 골라 주세요!"
    assert message["buttons"] == buttons


def test_the_values_the_action_sent_win_over_slots_of_the_same_name(domain):
    [message] = delivered(domain, sdk_message("utter_food_type_over_budget", food_topic="치킨은",
                                              budget="5,000원"), slots={"budget": 5000.0})
    assert message["text"] == "치킨은 지금 예산(5,000원)으로는 찾기 어려워요 😢"


def test_an_empty_value_leaves_no_placeholder(domain):
    [message] = delivered(domain, sdk_message("utter_coupons_none", history=""))
    assert "{" not in message["text"] and message["text"].endswith("적용해 드릴게요!")


def test_a_response_with_buttons_keeps_them_and_a_json_message_follows(domain):
    messages = delivered(domain, sdk_message("utter_feedback_negative"),
                         {"text": None, "buttons": [], "elements": [], "custom": {"kind": "feedback"},
                          "template": None, "response": None, "image": None, "attachment": None})
    assert messages[0]["buttons"][0]["payload"] == "/request_more"
    assert messages[1]["custom"] == {"kind": "feedback"}


@pytest.mark.parametrize("response,values", [
    ("utter_balance_summary", {"balance": "3,000원", "details": "(방금 전 기준이에요)"}),
    ("utter_balance_charge_limits", {"info": "충전은 못 해요", "daily_limit": "9,000원",
                                     "monthly_limit": "150,000원"}),
    ("utter_coupons_list", {"count": 1, "items": "1. 쿠폰", "footer": "자동으로 골라 드려요"}),
    ("utter_shop_menu", {"shop_name": "김밥천국", "body": "✅ 라면 3,500원"}),
    ("utter_choose_confirm", {"shop_name": "김밥천국", "menu_name": "라면", "price": "3,500원",
                              "details": "\n📞 02-123-4567"}),
    ("utter_recommend_alternatives", {"header": "없어요", "items": "1. 가게"}),
])
def test_composed_responses_are_filled_in_every_variation(domain, response, values):
    """With the quick-reply buttons the actions send, a composed answer stays one message
    (Rasa's collecting channel splits a text *without* buttons at blank lines)."""
    buttons = [{"title": "다른 추천", "payload": "/request_more"}]
    for _ in range(8):      # variations are picked at random
        [message] = delivered(domain, sdk_message(response, buttons, **values))
        assert "{" not in message["text"]
        assert all(str(v).strip() in message["text"] for v in values.values())
