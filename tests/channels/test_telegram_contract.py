"""Telegram contract, through the real Rasa and action servers and a fake Bot API.

Updates in the Bot API's documented format go to POST /webhooks/telegram/webhook with
the secret-token header (webhook mode), or through getUpdates and the long-polling
forwarder; we assert the exact Bot API calls the bot made.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from telegram import Update

from naviyam.adapters.db.models import User
from tests.channels.conftest import get_json, latest_user_event, post
from tests.e2e.harness import PROJECT_ROOT, RASA_ENV
from tests.fakes.telegram import (
    TEST_SECRET,
    callback_update,
    html_error,
    location_update,
    text_update,
    visible_text,
)

pytestmark = pytest.mark.e2e

GEONDAE = {"lat": 37.5404, "lng": 127.0693}
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def deliver(servers, update, secret=TEST_SECRET):
    """POST an update; the webhook answers at once, so wait until the channel is idle again."""
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    answer = post(f"{servers.rasa_url}/webhooks/telegram/webhook", update, headers)
    wait_idle(servers)
    return answer


def wait_idle(servers, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while get_json(f"{servers.rasa_url}/webhooks/telegram/")["pending"]:
        assert time.monotonic() < deadline, "Telegram updates still in progress"
        time.sleep(0.05)


def messages_to(fake, chat_id):
    return [p for p in fake.sent() if str(p.get("chat_id")) == str(chat_id)]


def assert_bot_api_message(params):
    assert set(params) <= {"chat_id", "text", "parse_mode", "reply_markup"}
    assert params["parse_mode"] == "HTML" and html_error(params["text"]) is None
    assert len(visible_text(params["text"])) <= 4096
    for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
        for button in row:
            assert set(button) == {"text", "callback_data"}
            assert 1 <= len(button["callback_data"].encode()) <= 64


def test_builders_are_valid_bot_api_updates():
    for update in (text_update(1, "/start"), location_update(1, 37.5, 127.0),
                   callback_update(1, "/balance_check")):
        parsed = Update.de_json(update, None)
        assert parsed.update_id == update["update_id"]
        assert (parsed.effective_chat.id, parsed.effective_user.id) == (1, 1)


def test_text_message_gets_recommendation_cards_with_keyboards(channel_servers, fake_telegram, engine):
    chat = 710001
    status, body = deliver(channel_servers, text_update(chat, "건대입구역에서 5천원으로 먹을 거 추천해줘"))
    assert (status, body) == (200, {"ok": True})
    sent = messages_to(fake_telegram, chat)
    assert sent, "the bot sent nothing"
    for params in sent:
        assert_bot_api_message(params)
    cards = [p for p in sent if p["text"].startswith("<b>1. ")]
    assert cards, f"no recommendation card in {sent}"
    keyboard = cards[0]["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0] == {"text": "이걸로 할게요", "callback_data": '/choose_option{"option_number": 1}'}
    assert keyboard[0][1]["text"] == "메뉴 보기"
    with Session(engine) as session:   # served before agreeing; nothing stored about them (issue 10)
        assert session.scalars(select(User).where(User.external_user_id == f"telegram:{chat}")).first() is None
    assert any("동의가 필요해요" in p["text"] for p in sent), f"no consent question in {sent}"
    buttons = [button for p in sent for row in (p.get("reply_markup") or {}).get("inline_keyboard", [])
               for button in row]   # the turn's options share one keyboard after the cards
    assert {"text": "동의해요", "callback_data": "/consent_agree"} in buttons
    assert {"text": "동의하지 않아요", "callback_data": "/consent_decline"} in buttons
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["input_channel"] == "telegram" and event["metadata"]["platform"] == "telegram"
    assert "location" not in event["metadata"]


def test_callback_query_becomes_the_choose_intent(channel_servers, fake_telegram):
    chat = 710002
    deliver(channel_servers, text_update(chat, "건대입구역에서 5천원으로 먹을 거 추천해줘"))
    card = next(p for p in messages_to(fake_telegram, chat) if p["text"].startswith("<b>1. "))
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    update = callback_update(chat, data)
    before = len(fake_telegram.calls)
    assert deliver(channel_servers, update) == (200, {"ok": True})
    new_calls = fake_telegram.calls[before:]
    assert new_calls[0]["method"] == "answerCallbackQuery"
    assert new_calls[0]["params"] == {"callback_query_id": update["callback_query"]["id"]}
    assert any(c["method"] == "sendMessage" for c in new_calls[1:])
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["text"] == '/choose_option{"option_number": 1}'
    assert event["parse_data"]["intent"]["name"] == "choose_option"


def test_menu_button_shows_that_shops_menu(channel_servers, fake_telegram):
    chat = 710004
    deliver(channel_servers, text_update(chat, "건대입구역에서 5천원으로 먹을 거 추천해줘"))
    card = next(p for p in messages_to(fake_telegram, chat) if p["text"].startswith("<b>1. "))
    data = card["reply_markup"]["inline_keyboard"][0][1]["callback_data"]
    assert data.startswith('/shop_menu{"shop_id": ')
    before = len(fake_telegram.calls)
    assert deliver(channel_servers, callback_update(chat, data)) == (200, {"ok": True})
    texts = [c["params"]["text"] for c in fake_telegram.calls[before:] if c["method"] == "sendMessage"]
    assert any("메뉴예요" in t for t in texts), texts
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["parse_data"]["intent"]["name"] == "shop_menu"


def test_shared_location_is_used_for_distance(channel_servers, fake_telegram):
    chat = 710003
    deliver(channel_servers, location_update(chat, GEONDAE["lat"], GEONDAE["lng"]))
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["metadata"]["platform"] == "telegram"
    assert event["metadata"]["location"] == GEONDAE
    deliver(channel_servers, text_update(chat, "건대입구역에서 5천원으로 먹을 거 추천해줘"))
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["metadata"]["location"] == GEONDAE
    cards = [p for p in messages_to(fake_telegram, chat) if p["text"].startswith("<b>")]
    assert cards and all("걸어서" in visible_text(p["text"]) for p in cards)


@pytest.mark.parametrize("chat,command,intent", [(710011, "/start", "greet"),
                                                 (710012, "/balance", "balance_check"),
                                                 (710013, "/coupons", "coupon_inquiry")])
def test_commands(channel_servers, fake_telegram, chat, command, intent):
    assert deliver(channel_servers, text_update(chat, command)) == (200, {"ok": True})
    assert messages_to(fake_telegram, chat)
    event = latest_user_event(channel_servers, f"telegram:{chat}")
    assert event["parse_data"]["intent"]["name"] == intent


def test_help_command(channel_servers, fake_telegram):
    chat = 710020
    deliver(channel_servers, text_update(chat, "/help"))
    [message] = messages_to(fake_telegram, chat)
    assert "/balance" in message["text"] and "/coupons" in message["text"]


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_wrong_or_missing_secret_is_refused(channel_servers, fake_telegram, secret):
    chat = 710030
    status, _ = deliver(channel_servers, text_update(chat, "안녕"), secret=secret)
    assert status == 403
    assert messages_to(fake_telegram, chat) == []


def test_webhook_registration_script(channel_env, fake_telegram):
    env = {**os.environ, **channel_env}
    url = "https://bot.example.com/webhooks/telegram/webhook"
    result = subprocess.run([sys.executable, "scripts/telegram_webhook.py", "set", "--url", url],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert fake_telegram.webhook == {"url": url, "secret_token": TEST_SECRET,
                                     "allowed_updates": ["message", "callback_query"]}
    commands = [c for c in fake_telegram.calls if c["method"] == "setMyCommands"]
    assert [c["command"] for c in commands[-1]["params"]["commands"]] == ["start", "balance", "coupons", "help"]
    assert channel_env["TELEGRAM_BOT_TOKEN"] not in result.stdout + result.stderr
    delete = subprocess.run([sys.executable, "scripts/telegram_webhook.py", "delete"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert delete.returncode == 0 and fake_telegram.webhook == {}


def test_long_polling_forwards_updates(channel_servers, channel_env, fake_telegram, tmp_path):
    chat = 710040
    env = {**os.environ, **channel_env, "PYTHONPATH": str(PROJECT_ROOT)}
    log = (tmp_path / "polling.log").open("w")
    poller = subprocess.Popen(
        [str(RASA_ENV / "bin/python"), "-m", "bot.channels.telegram_polling",
         "--rasa-url", channel_servers.rasa_url, "--poll-timeout", "2"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        fake_telegram.push_update(text_update(chat, "/start"))
        fake_telegram.push_update(text_update(chat, "건대입구역에서 5천원으로 먹을 거 추천해줘"))
        fake_telegram.wait_for(
            lambda calls: sum(1 for c in calls if c["method"] == "sendMessage"
                              and str(c["params"].get("chat_id")) == str(chat)) >= 2, timeout=90)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            event = latest_user_event(channel_servers, f"telegram:{chat}")
            if event["text"] != "/greet":
                break
            time.sleep(0.3)
        assert event["text"] == "건대입구역에서 5천원으로 먹을 거 추천해줘"
    finally:
        poller.terminate()
        poller.wait(timeout=20)
    assert poller.returncode == 0, (tmp_path / "polling.log").read_text()


def test_a_retried_update_runs_once(channel_servers, fake_telegram):
    """Telegram retries an update when it thinks the webhook missed it: one turn, one answer."""
    chat = 710021
    update = text_update(chat, "/balance")
    assert deliver(channel_servers, update) == (200, {"ok": True})
    first = len(messages_to(fake_telegram, chat))
    assert first >= 1
    assert deliver(channel_servers, update) == (200, {"ok": True})
    assert len(messages_to(fake_telegram, chat)) == first
    tracker = get_json(channel_servers.api(f"/conversations/telegram:{chat}/tracker"))
    assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["/balance_check"]


def test_updates_of_one_chat_are_answered_in_order(channel_servers, fake_telegram):
    chat = 710022
    updates = [text_update(chat, "/help"), text_update(chat, "/balance"), text_update(chat, "/help")]
    for update in updates:  # posted back to back, answered in the background
        status, _ = post(f"{channel_servers.rasa_url}/webhooks/telegram/webhook", update,
                         {SECRET_HEADER: TEST_SECRET})
        assert status == 200
    wait_idle(channel_servers)
    texts = [visible_text(p["text"]) for p in messages_to(fake_telegram, chat)]
    assert texts[0].startswith("안녕하세요! 저는") and texts[-1].startswith("안녕하세요! 저는")
    assert not any(t.startswith("안녕하세요! 저는") for t in texts[1:-1])


def test_no_please_type_hint_for_stickers_in_group_chats(channel_servers, fake_telegram):
    chat = -100710023
    update = text_update(chat, "x")
    del update["message"]["text"]
    update["message"]["chat"] = {"id": chat, "title": "우리 반", "type": "supergroup"}
    update["message"]["sticker"] = {"file_id": "abc", "width": 512, "height": 512}
    assert deliver(channel_servers, update) == (200, {"ok": True})
    assert messages_to(fake_telegram, chat) == []
