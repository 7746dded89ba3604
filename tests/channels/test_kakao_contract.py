"""Kakao i Open Builder skill contract, through the real Rasa server and action server.

SkillPayloads in the documented format go to POST /webhooks/kakao/webhook; we assert
the exact SkillResponse 2.0 shapes returned (and POSTed to the AI-chatbot callback URL)
and what reached Rasa and the database.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import Menu, Shop, User
from tests.channels.conftest import latest_user_event, post
from tests.fakes.kakao import SKILL_SECRET_HEADER, TEST_SKILL_SECRET, skill_payload

pytestmark = pytest.mark.e2e

WAIT_TEXT = "맛있는 곳을 찾고 있어요! 잠시만 기다려 주세요 🍚"
HANGUL = re.compile(r"[가-힣]")


def kakao(servers, payload, secret=TEST_SKILL_SECRET):
    headers = {SKILL_SECRET_HEADER: secret} if secret is not None else {}
    return post(f"{servers.rasa_url}/webhooks/kakao/webhook", payload, headers)


def assert_skill_response(body: dict) -> None:
    """The documented SkillResponse 2.0 shape and Kakao's limits."""
    assert set(body) == {"version", "template"} and body["version"] == "2.0"
    template = body["template"]
    assert set(template) <= {"outputs", "quickReplies"}
    assert 1 <= len(template["outputs"]) <= 3
    for output in template["outputs"]:
        assert len(output) == 1
        kind, value = next(iter(output.items()))
        assert kind in {"simpleText", "carousel", "simpleImage"}
        if kind == "simpleText":
            assert set(value) == {"text"} and 0 < len(value["text"]) <= 1000
        elif kind == "carousel":
            assert value["type"] in {"basicCard", "textCard"}
            assert 1 <= len(value["items"]) <= 10
            for card in value["items"]:
                assert set(card) <= {"title", "description", "buttons", "thumbnail"}
                assert card["title"] and len(card["description"]) <= 230
                assert 1 <= len(card["buttons"]) <= 3
                for button in card["buttons"]:
                    assert button["action"] in {"message", "phone"}
                    assert len(button["label"]) <= 14
                    assert ("messageText" in button) if button["action"] == "message" \
                        else ("phoneNumber" in button)
    for quick in template.get("quickReplies", []):
        assert set(quick) == {"label", "action", "messageText"} and quick["action"] == "message"
    assert len(template.get("quickReplies", [])) <= 10


def carousel_of(body: dict) -> dict | None:
    for output in body["template"]["outputs"]:
        if "carousel" in output:
            return output["carousel"]
    return None


def test_recommendation_request_without_callback(channel_servers, engine):
    # A Kakao request carries no position: the place is named (without one the bot asks where, issue 12).
    status, body = kakao(channel_servers, skill_payload("건대입구역에서 5천원으로 먹을 거 추천해줘", user_id="kk-rec-1"))
    assert status == 200
    assert_skill_response(body)
    first = body["template"]["outputs"][0]
    assert "simpleText" in first and HANGUL.search(first["simpleText"]["text"])
    carousel = carousel_of(body)
    assert carousel is not None, f"no recommendation cards in {body}"
    with Session(engine) as session:
        for number, card in enumerate(carousel["items"], start=1):
            title = card["title"]
            assert title.startswith(f"{number}. ")
            shop = session.scalars(select(Shop).where(Shop.shop_name == title[len(f"{number}. "):])).first()
            assert shop is not None, f"card for an unknown shop: {title}"
            menu_line = card["description"].splitlines()[0]
            price = int(re.search(r"· ([\d,]+)원", menu_line).group(1).replace(",", ""))
            assert price <= 5000
            assert card["buttons"][0] == {"label": "이걸로 할게요", "action": "message",
                                          "messageText": f"{number}번 {title[len(f'{number}. '):]} 선택할게요"}
            assert card["buttons"][1]["label"] == "메뉴 보기"
            names = session.scalars(select(Menu.menu_name).where(Menu.shop_id == shop.id)).all()
            assert any(name in menu_line for name in names)
        # a new user is served before agreeing, and nothing about them is stored (issue 10)
        assert session.scalars(select(User).where(User.external_user_id == "kakao:kk-rec-1")).first() is None
    # the onboarding's first question, the consent notice, with its two answers as quick replies
    assert any("동의가 필요해요" in o.get("simpleText", {}).get("text", "") for o in body["template"]["outputs"])
    labels = [quick["label"] for quick in body["template"].get("quickReplies", [])]
    assert "동의해요" in labels and "동의하지 않아요" in labels
    event = latest_user_event(channel_servers, "kakao:kk-rec-1")
    assert event["input_channel"] == "kakao"
    assert event["metadata"]["platform"] == "kakao"


def test_card_button_comes_back_as_the_choose_intent(channel_servers):
    _, body = kakao(channel_servers, skill_payload("건대입구역에서 5천원으로 먹을 거 추천해줘", user_id="kk-choose"))
    carousel = carousel_of(body)
    assert carousel is not None
    button = carousel["items"][0]["buttons"][0]
    status, answer = kakao(channel_servers, skill_payload(button["messageText"], user_id="kk-choose"))
    assert status == 200
    assert_skill_response(answer)
    event = latest_user_event(channel_servers, "kakao:kk-choose")
    assert event["text"] == '/choose_option{"option_number": 1}'
    assert event["parse_data"]["intent"]["name"] == "choose_option"


def test_menu_button_shows_that_shops_menu(channel_servers):
    _, body = kakao(channel_servers, skill_payload("건대입구역에서 5천원으로 먹을 거 추천해줘", user_id="kk-menu"))
    carousel = carousel_of(body)
    assert carousel is not None
    card = carousel["items"][0]
    shop_name = card["title"].split(". ", 1)[1]
    button = card["buttons"][1]
    assert button["messageText"] == f"{shop_name} 메뉴 보여주세요"
    status, answer = kakao(channel_servers, skill_payload(button["messageText"], user_id="kk-menu"))
    assert status == 200
    assert_skill_response(answer)
    event = latest_user_event(channel_servers, "kakao:kk-menu")
    assert event["text"].startswith('/shop_menu{"shop_id": ')
    assert event["parse_data"]["intent"]["name"] == "shop_menu"
    text = answer["template"]["outputs"][0]["simpleText"]["text"]
    assert f"{shop_name} 메뉴예요" in text


def test_request_with_callback_url_answers_through_the_callback(channel_servers, fake_kakao):
    url = fake_kakao.new_callback_url()
    token = url.rsplit("/", 1)[1]
    status, body = kakao(channel_servers, skill_payload("만원으로 저녁 추천해줘", user_id="kk-cb",
                                                        callback_url=url))
    assert status == 200
    assert body == {"version": "2.0", "useCallback": True, "data": {"text": WAIT_TEXT}}
    calls = fake_kakao.wait_for(lambda c: any(x["token"] == token for x in c), timeout=60)
    mine = [c for c in calls if c["token"] == token]
    assert len(mine) == 1 and mine[0]["first"]
    assert mine[0]["content_type"].startswith("application/json")
    assert_skill_response(mine[0]["body"])


def test_unknown_bot_is_refused(channel_servers):
    status, body = kakao(channel_servers, skill_payload("안녕", bot_id="stranger-bot"))
    assert status == 403 and "template" not in body


def test_over_long_utterance_gets_a_polite_answer(channel_servers):
    status, body = kakao(channel_servers, skill_payload("<b>" + "배고파" * 200, user_id="kk-long"))
    assert status == 200
    assert_skill_response(body)
    text = body["template"]["outputs"][0]["simpleText"]["text"]
    assert "500자" in text and "<b>" not in text


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", TEST_SKILL_SECRET + "x"])
def test_allowed_bot_without_the_skill_secret_is_refused(channel_servers, secret):
    """The bot id is in every payload, so it proves nothing: the shared secret is the credential."""
    status, body = kakao(channel_servers, skill_payload("안녕", user_id="kk-nosecret"), secret=secret)
    assert status == 403 and "template" not in body


def test_bot_id_with_kakaos_trailing_bang_is_the_same_bot(channel_servers):
    status, body = kakao(channel_servers, skill_payload("안녕", user_id="kk-bang", bot_id="another-bot!"))
    assert status == 200
    assert_skill_response(body)


def test_a_free_intent_in_client_extra_is_not_run(channel_servers):
    """Only payloads of buttons we rendered for this user count; others are plain text."""
    payload = skill_payload("안녕", user_id="kk-free-intent",
                            client_extra={"payload": '/choose_option{"option_number": 1}'})
    status, body = kakao(channel_servers, payload)
    assert status == 200
    event = latest_user_event(channel_servers, "kakao:kk-free-intent")
    assert event["text"] == "안녕"
    assert event["parse_data"]["intent"]["name"] != "choose_option"
