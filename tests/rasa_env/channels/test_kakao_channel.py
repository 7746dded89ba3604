"""Kakao skill channel logic: allow-list, door, choice map, 5-second rule and callbacks."""
from __future__ import annotations

import asyncio

import pytest

from naviyam.shared.canary import canary_key

from bot.channels.door import Door
from bot.channels.kakao import SLOW_NOTE, WAIT_TEXT, KakaoInput
from bot.settings import KakaoSettings
from tests.fakes.kakao import TEST_BOT_ID, FakeKakaoCallback, skill_payload


@pytest.fixture
def callback_server():
    with FakeKakaoCallback() as server:
        yield server


def make_channel(cache, **settings) -> KakaoInput:
    options = {"bot_ids": frozenset({TEST_BOT_ID}), **settings}
    return KakaoInput(KakaoSettings(**options), door=Door(cache=cache), cache=cache)


def run(coro):
    return asyncio.run(coro)


def test_unset_allow_list_refuses_everything(memory_cache, bot_stub, caplog):
    channel = KakaoInput(KakaoSettings(bot_ids=frozenset()), cache=memory_cache)
    status, body = run(channel.handle(skill_payload("안녕"), bot_stub))
    assert status == 403 and bot_stub.received == []
    assert "KAKAO_BOT_IDS is not set" in caplog.text


def test_unknown_bot_is_refused(memory_cache, bot_stub):
    status, _ = run(make_channel(memory_cache).handle(skill_payload("안녕", bot_id="other"), bot_stub))
    assert status == 403 and bot_stub.received == []


def test_not_a_skill_payload(memory_cache, bot_stub):
    assert run(make_channel(memory_cache).handle({"hello": 1}, bot_stub))[0] == 400


def test_message_reaches_rasa_with_platform_sender_and_metadata(memory_cache, bot_stub):
    status, body = run(make_channel(memory_cache).handle(
        skill_payload("  떡볶이 먹고 싶어\x00", user_id="abc123"), bot_stub))
    assert status == 200
    message = bot_stub.received[0]
    assert message.sender_id == "kakao:abc123"
    assert message.text == "떡볶이 먹고 싶어"
    assert message.input_channel == "kakao"
    # the NLU routes the user to an adapter by a pseudonym of the sender, never the id itself
    assert message.metadata == {"platform": "kakao", "canary_key": canary_key("kakao:abc123")}
    assert "abc123" not in message.metadata["canary_key"]
    assert body == {"version": "2.0", "template": {"outputs": [
        {"simpleText": {"text": "안녕하세요! 무엇을 도와드릴까요?"}}]}}


def test_buttons_come_back_as_exact_payloads(memory_cache, bot_stub, recommendation_answer):
    channel = make_channel(memory_cache)
    bot_stub.answer = recommendation_answer
    _, body = run(channel.handle(skill_payload("5천원으로 뭐 먹지", user_id="u7"), bot_stub))
    button = body["template"]["outputs"][1]["carousel"]["items"][0]["buttons"][0]
    quick = body["template"]["quickReplies"][0]
    bot_stub.answer = [{"text": "좋아요!"}]
    run(channel.handle(skill_payload(button["messageText"], user_id="u7"), bot_stub))
    run(channel.handle(skill_payload(quick["messageText"], user_id="u7"), bot_stub))
    run(channel.handle(skill_payload("x", user_id="u7",
                                     client_extra={"payload": "/balance_check"}), bot_stub))
    # a payload we never rendered for this user is not an intent, only its utterance counts
    run(channel.handle(skill_payload("x", user_id="u7",
                                     client_extra={"payload": "/forget_me"}), bot_stub))
    assert [m.text for m in bot_stub.received[1:]] == [
        '/choose_option{"option_number": 1}', "/request_more", "/balance_check", "x"]
    # another user typing the same words gets no payload
    run(channel.handle(skill_payload(button["messageText"], user_id="someone-else"), bot_stub))
    assert bot_stub.received[-1].text == button["messageText"]


def test_too_long_message_is_answered_without_rasa(memory_cache, bot_stub):
    status, body = run(make_channel(memory_cache).handle(skill_payload("가" * 501), bot_stub))
    assert status == 200 and bot_stub.received == []
    assert "500자" in body["template"]["outputs"][0]["simpleText"]["text"]


def test_rate_limit_answers_kindly(memory_cache, bot_stub):
    channel = make_channel(memory_cache)

    async def burst():
        return [await channel.handle(skill_payload(f"안녕 {i}", user_id="fast"), bot_stub)
                for i in range(61)]
    results = run(burst())
    assert len(bot_stub.received) == 60
    assert "1분 뒤" in results[-1][1]["template"]["outputs"][0]["simpleText"]["text"]


def test_slow_answer_with_callback_url_uses_the_callback_once(memory_cache, bot_stub,
                                                               callback_server, recommendation_answer):
    channel = make_channel(memory_cache, callback_budget_seconds=0.2,
                           callback_url_prefixes=(callback_server.url + "/",))
    bot_stub.delay, bot_stub.answer = 0.6, recommendation_answer
    url = callback_server.new_callback_url()

    async def scenario():
        status, body = await channel.handle(skill_payload("5천원으로 뭐 먹지", callback_url=url), bot_stub)
        await asyncio.gather(*channel._pending)
        return status, body
    status, body = run(scenario())
    assert (status, body) == (200, {"version": "2.0", "useCallback": True, "data": {"text": WAIT_TEXT}})
    calls = callback_server.wait_for(lambda c: len(c) >= 1, timeout=10)
    assert len(calls) == 1 and calls[0]["first"]
    posted = calls[0]["body"]
    assert posted["version"] == "2.0"
    assert posted["template"]["outputs"][1]["carousel"]["items"][0]["title"] == "1. 김밥천국 건대점"


def test_fast_answer_with_callback_url_answers_directly(memory_cache, bot_stub, callback_server):
    channel = make_channel(memory_cache, callback_url_prefixes=(callback_server.url + "/",))
    status, body = run(channel.handle(
        skill_payload("안녕", callback_url=callback_server.new_callback_url()), bot_stub))
    assert "template" in body and "useCallback" not in body
    assert callback_server.calls == []


def test_callback_url_outside_kakao_is_never_called(memory_cache, bot_stub, callback_server):
    channel = make_channel(memory_cache, callback_budget_seconds=0.05, response_limit_seconds=0.2)
    bot_stub.delay = 0.5
    status, body = run(channel.handle(
        skill_payload("안녕", callback_url=callback_server.new_callback_url()), bot_stub))
    assert "useCallback" not in body  # treated as if no callback URL was given
    assert body["template"]["outputs"][-1]["simpleText"]["text"].endswith(SLOW_NOTE)
    assert callback_server.calls == []


def test_slow_answer_without_callback_answers_in_time_with_a_note(memory_cache, bot_stub):
    channel = make_channel(memory_cache, response_limit_seconds=0.3)
    bot_stub.delay = 2.0

    async def timed():
        loop = asyncio.get_running_loop()
        start = loop.time()
        result = await channel.handle(skill_payload("치킨"), bot_stub)
        return result, loop.time() - start
    (status, body), elapsed = run(timed())
    assert status == 200 and elapsed < 1.0
    assert body["template"]["outputs"] == [{"simpleText": {"text": SLOW_NOTE}}]


def test_kakao_callback_allow_list_defaults_to_kakao_https_hosts(memory_cache):
    channel = make_channel(memory_cache)
    assert channel._allowed_callback("https://bot-api.kakao.com/v1/callback/abc")
    assert not channel._allowed_callback("http://bot-api.kakao.com/v1/callback/abc")
    assert not channel._allowed_callback("https://kakao.com.evil.example/x")
    assert not channel._allowed_callback("http://169.254.169.254/latest/meta-data")


def test_zero_budget_always_answers_through_the_callback(memory_cache, bot_stub, callback_server):
    channel = make_channel(memory_cache, callback_budget_seconds=0.0,
                           callback_url_prefixes=(callback_server.url + "/",))

    async def scenario():
        result = await channel.handle(
            skill_payload("안녕", callback_url=callback_server.new_callback_url()), bot_stub)
        await asyncio.gather(*channel._pending)
        return result
    status, body = run(scenario())
    assert body["useCallback"] is True
    [call] = callback_server.wait_for(lambda c: len(c) == 1, timeout=10)
    assert call["body"]["template"]["outputs"] == [{"simpleText": {"text": "안녕하세요! 무엇을 도와드릴까요?"}}]


def test_skill_secret_is_required_and_compared_exactly(memory_cache, caplog):
    closed = make_channel(memory_cache)
    assert closed.secret_refusal("anything")[0] == 403
    assert "KAKAO_SKILL_SECRET is not set" in caplog.text
    channel = make_channel(memory_cache, skill_secret="s3cret")
    assert channel.secret_refusal("s3cret") is None
    for wrong in (None, "", "s3cre", "s3cret ", "S3CRET"):
        assert channel.secret_refusal(wrong)[0] == 403


def test_bot_ids_match_with_or_without_the_trailing_bang(memory_cache, bot_stub):
    settings = KakaoSettings(bot_ids="bot-a!, bot-b")
    assert settings.bot_allowed("bot-a") and settings.bot_allowed("bot-a!")
    assert settings.bot_allowed("bot-b!") and not settings.bot_allowed("bot-c")
    assert not settings.bot_allowed("") and not settings.bot_allowed("!")
    status, _ = run(make_channel(memory_cache).handle(skill_payload("안녕", bot_id=TEST_BOT_ID + "!"),
                                                      bot_stub))
    assert status == 200


@pytest.mark.parametrize("url,allowed", [
    ("http://127.0.0.1:9000/callback/abc", True),
    ("http://127.0.0.1:9000/callback/../admin", False),
    ("http://127.0.0.1:9000/callback/%2e%2e/admin", False),
    ("http://127.0.0.1:9000/callback/./abc", False),
    ("http://127.0.0.1:9000/callbackevil/abc", False),
    ("http://127.0.0.1:9000/callback", False),
    ("http://127.0.0.1:90001/callback/abc", False),
    ("http://127.0.0.1:9001/callback/abc", False),
    ("https://127.0.0.1:9000/callback/abc", False),
    ("http://127.0.0.1.evil.example:9000/callback/abc", False),
    ("http://user@127.0.0.1:9000/callback/abc", False),
    ("http://127.0.0.1:9000\\@evil.example/callback/abc", False),
    ("javascript:alert(1)", False),
])
def test_callback_url_checked_on_scheme_host_and_normalised_path(url, allowed):
    from bot.channels.kakao import callback_allowed

    assert callback_allowed(url, ("http://127.0.0.1:9000/callback/",)) is allowed


@pytest.mark.parametrize("url", ["https://bot-api.kakao.com.evil.example/x",
                                 "https://evilkakao.com/x", "https://kakao.com@evil.example/x",
                                 "https://bot-api.kakao.com:8443/x/../../internal"])
def test_default_callback_hosts_refuse_lookalikes(url):
    from bot.channels.kakao import callback_allowed

    assert not callback_allowed(url, ())
