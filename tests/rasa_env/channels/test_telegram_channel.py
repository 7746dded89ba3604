"""Telegram channel logic against the fake Bot API: commands, buttons, location, door."""
from __future__ import annotations

import asyncio

import pytest

from naviyam.shared.canary import canary_key

from bot.channels.door import Door
from bot.settings import TelegramSettings
from bot.channels.telegram import HELP_TEXT, TelegramInput, parse_command
from tests.fakes.telegram import (
    TEST_SECRET,
    TEST_TOKEN,
    FakeTelegramAPI,
    callback_update,
    html_error,
    location_update,
    text_update,
    visible_text,
)


@pytest.fixture
def api():
    with FakeTelegramAPI() as server:
        yield server


@pytest.fixture
def channel(api, memory_cache) -> TelegramInput:
    settings = TelegramSettings(bot_token=TEST_TOKEN, webhook_secret=TEST_SECRET, api_base=api.url)
    return TelegramInput(settings, door=Door(cache=memory_cache), cache=memory_cache)


def handle(channel, update, bot_stub):
    asyncio.run(channel.handle_update(update, bot_stub))


@pytest.mark.parametrize("text,expected", [
    ("/start", ("start", "")), ("/start@naviyam_bot ref42", ("start", "ref42")),
    ("/Balance", ("balance", "")), ("안녕", None), ("/떡볶이", None)])
def test_parse_command(text, expected):
    assert parse_command(text) == expected


@pytest.mark.parametrize("command,payload", [("/start", "/greet"), ("/balance", "/balance_check"),
                                             ("/coupons", "/coupon_inquiry")])
def test_commands_become_intents(channel, bot_stub, api, command, payload):
    handle(channel, text_update(555, command), bot_stub)
    message = bot_stub.received[0]
    assert (message.text, message.sender_id, message.input_channel) == (payload, "telegram:555", "telegram")
    assert message.metadata == {"platform": "telegram", "canary_key": canary_key("telegram:555")}
    assert api.sent() == [{"chat_id": 555, "text": "안녕하세요! 무엇을 도와드릴까요?", "parse_mode": "HTML"}]


def test_help_is_answered_by_the_channel(channel, bot_stub, api):
    handle(channel, text_update(555, "/help"), bot_stub)
    assert bot_stub.received == []
    sent = api.sent()
    assert len(sent) == 1 and visible_text(sent[0]["text"]) == HELP_TEXT


def test_recommendations_and_a_button_press(channel, bot_stub, api, recommendation_answer):
    bot_stub.answer = recommendation_answer
    handle(channel, text_update(777, "5천원으로 <뭐> 먹지 & 어디"), bot_stub)
    assert bot_stub.received[0].text == "5천원으로 <뭐> 먹지 & 어디"
    sent = api.sent()
    assert len(sent) == 4 and all(html_error(m["text"]) is None for m in sent)
    choose = sent[1]["reply_markup"]["inline_keyboard"][0][0]
    assert choose == {"text": "이걸로 할게요", "callback_data": '/choose_option{"option_number": 1}'}

    api.clear()
    bot_stub.answer = [{"text": "좋은 선택이에요!"}]
    handle(channel, callback_update(777, choose["callback_data"]), bot_stub)
    assert bot_stub.received[-1].text == '/choose_option{"option_number": 1}'
    assert [c["method"] for c in api.calls] == ["answerCallbackQuery", "sendMessage"]


def test_location_is_used_now_and_remembered(channel, bot_stub, api):
    handle(channel, location_update(888, 37.5404, 127.0693), bot_stub)
    first = bot_stub.received[0]
    assert first.text == "/location_inquiry"
    assert first.metadata == {"platform": "telegram", "location": {"lat": 37.5404, "lng": 127.0693},
                              "canary_key": canary_key("telegram:888")}
    handle(channel, text_update(888, "떡볶이 먹고 싶어"), bot_stub)
    assert bot_stub.received[1].metadata["location"] == {"lat": 37.5404, "lng": 127.0693}


def test_over_long_text_gets_a_polite_answer(channel, bot_stub, api):
    handle(channel, text_update(999, "<b>" + "가" * 600), bot_stub)
    assert bot_stub.received == []
    [sent] = api.sent()
    assert "500자" in sent["text"] and "<b>" not in sent["text"]


def test_sticker_gets_a_gentle_hint(channel, bot_stub, api):
    update = text_update(1000, "x")
    del update["message"]["text"]
    update["message"]["sticker"] = {"file_id": "abc", "width": 512, "height": 512}
    handle(channel, update, bot_stub)
    assert bot_stub.received == [] and len(api.sent()) == 1


def test_a_retried_update_runs_once(channel, bot_stub, api):
    update = text_update(1200, "/balance")

    async def twice():
        first = await channel.enqueue(update, bot_stub)
        second = await channel.enqueue(dict(update), bot_stub)
        await channel.drain()
        return first, second
    assert asyncio.run(twice()) == (True, False)
    assert [m.text for m in bot_stub.received] == ["/balance_check"]
    assert len(api.sent()) == 1


def test_updates_of_one_chat_run_in_order_in_the_background(channel, bot_stub, api):
    bot_stub.delay = 0.2
    updates = [text_update(1300, text) for text in ("하나", "둘", "셋")]

    async def scenario():
        for update in updates:
            await channel.enqueue(update, bot_stub)
        queued = len(bot_stub.received)  # enqueue returned before any turn finished
        await channel.drain()
        return queued
    assert asyncio.run(scenario()) == 0
    assert [m.text for m in bot_stub.received] == ["하나", "둘", "셋"]


def test_a_failing_update_does_not_block_the_chat(channel, bot_stub, api, monkeypatch):
    real = channel.handle_update

    async def flaky(update, on_new_message):
        if update["update_id"] == 99001:
            raise RuntimeError("boom")
        await real(update, on_new_message)
    monkeypatch.setattr(channel, "handle_update", flaky)

    async def scenario():
        await channel.enqueue({"update_id": 99001, "message": {"chat": {"id": 1400}, "text": "x"}}, bot_stub)
        await channel.enqueue(text_update(1400, "안녕"), bot_stub)
        await channel.drain()
    asyncio.run(scenario())
    assert [m.text for m in bot_stub.received] == ["안녕"]


@pytest.mark.parametrize("chat_type", ["group", "supergroup"])
def test_stickers_and_photos_in_group_chats_get_no_hint(channel, bot_stub, api, chat_type):
    for extra in ({"sticker": {"file_id": "abc", "width": 512, "height": 512}},
                  {"photo": [{"file_id": "p", "width": 90, "height": 90}]}):
        update = text_update(-1001500, "x")
        del update["message"]["text"]
        update["message"]["chat"] = {"id": -1001500, "title": "우리 반", "type": chat_type}
        update["message"].update(extra)
        handle(channel, update, bot_stub)
    assert bot_stub.received == [] and api.sent() == []


@pytest.mark.parametrize("update", [
    {"update_id": 1, "message": {"chat": 5, "from": [1], "text": "안녕"}},
    {"update_id": 2, "message": {"chat": {"id": [1, 2]}, "text": "안녕"}},
    {"update_id": 3, "callback_query": {"message": "x", "from": 7, "data": None}},
    {"update_id": 4, "callback_query": {"message": {"chat": {"id": 1600}}, "from": {"id": {"a": 1}},
                                        "data": "/balance_check"}},
])
def test_malformed_updates_never_raise(channel, bot_stub, api, update):
    handle(channel, update, bot_stub)


def test_json_bodies_too_deep_or_invalid_are_not_json():
    from bot.channels.common import NOT_JSON, parse_json

    assert parse_json(b"[" * 100_000 + b"]" * 100_000) is NOT_JSON
    assert parse_json(b"\xff\xfe{") is NOT_JSON and parse_json(b"{") is NOT_JSON
    assert parse_json(b"") is None and parse_json(b'{"a": 1}') == {"a": 1}
