"""Hostile input at the three webhooks, through the real Rasa and action servers (Hypothesis).

Bodies: invalid JSON and invalid UTF-8, wrong types, missing fields, nulls, huge and deeply
nested values, control and zero-width characters, injection strings, intent-payload
strings and 500+ character texts, inside otherwise well-formed REST, Kakao and Telegram
requests. Every answer must be below 500, every text a user would read must be Korean,
and the servers must still be alive at the end. ``NAVIYAM_FUZZ_EXAMPLES`` (default 700 per
webhook, 2,100 in all) sets the count; ``benchmarks/fuzz_webhooks.py`` runs 10,000 and
prints the counts.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.channels.conftest import get_json
from tests.fakes.kakao import SKILL_SECRET_HEADER, TEST_BOT_ID, TEST_SKILL_SECRET, skill_payload
from tests.fakes.telegram import TEST_SECRET

pytestmark = pytest.mark.e2e

EXAMPLES = int(os.environ.get("NAVIYAM_FUZZ_EXAMPLES", "700"))
HANGUL = re.compile(r"[가-힣]")
COUNTS: dict[str, Counter] = {"rest": Counter(), "kakao": Counter(), "telegram": Counter()}
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

NASTY = st.sampled_from([
    "", " ", "\x00", "\u200b\u200d\ufeff", "\u202e떡볶이", "'; DROP TABLE users; --", "<script>alert(1)</script>",
    "{{7*7}}", "${jndi:ldap://x/a}", "../../etc/passwd", '/choose_option{"option_number": 99}',
    "/restart", "/session_start", '/shop_menu{"shop_id": "1 OR 1=1"}', "/forget_me", "\U0001F600" * 50,
    "가" * 501, "떡볶이 " * 200, "5천원으로 점심 추천해줘", "%s%s%n", "\\u0000", "null", "씨발",
])
TEXT = st.one_of(NASTY, st.text(max_size=60), st.text(alphabet=st.characters(codec="utf-8"), min_size=400,
                                                      max_size=700))
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), TEXT)
JSONISH = st.recursive(SCALAR, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=12)
USERS = st.one_of(st.sampled_from(["fz-1", "fz-2", "fz-3"]), st.text(max_size=30), st.integers(), st.none())


def deep(depth: int) -> str:
    return "[" * depth + "]" * depth


RAW = st.one_of(st.binary(max_size=200), st.just(b"\xff\xfe\xfa{\"a\":"), st.just(deep(5000).encode()),
                st.just(b'{"sender": "fz-1", "message": "' + b"\xed\xa0\x80" + b'"}'),
                st.just(json.dumps({"message": "x" * 200_000, "sender": "fz-1"}).encode()))


def post_raw(url: str, data: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def check(channel: str, status: int, body: bytes, texts) -> None:
    COUNTS[channel][status] += 1
    assert status < 500, f"{channel} answered {status}: {body[:300]!r}"
    if status != 200:
        return
    for text in texts(json.loads(body)):
        assert isinstance(text, str) and HANGUL.search(text), f"{channel} answered non-Korean text {text!r}"


def rest_texts(answer):
    return [m["text"] for m in answer if isinstance(m, dict) and "text" in m] if isinstance(answer, list) else []


def kakao_texts(answer):
    outputs = ((answer.get("template") or {}).get("outputs") or []) if isinstance(answer, dict) else []
    return [o["simpleText"]["text"] for o in outputs if "simpleText" in o]


@given(body=st.one_of(
    st.fixed_dictionaries({"sender": USERS, "message": st.one_of(TEXT, SCALAR)},
                          optional={"metadata": st.one_of(JSONISH, st.fixed_dictionaries(
                              {"now": TEXT, "location": JSONISH}))}).map(json.dumps),
    JSONISH.map(json.dumps)).map(lambda s: s.encode("utf-8", "surrogatepass")) | RAW)
@FUZZ
def test_rest_webhook_survives_hostile_input(channel_servers, body):
    status, answer = post_raw(f"{channel_servers.rasa_url}/webhooks/rest/webhook", body, {})
    check("rest", status, answer, rest_texts)


@given(utterance=st.one_of(TEXT, SCALAR), user=USERS, extra=JSONISH, bot=st.sampled_from(
    [TEST_BOT_ID, TEST_BOT_ID + "!", None, 7, "stranger"]), callback=st.one_of(st.none(), TEXT, st.sampled_from(
        ["http://169.254.169.254/latest/meta-data", "https://bot-api.kakao.com.evil.example/x",
         "file:///etc/passwd"])), raw=st.one_of(st.none(), RAW))
@FUZZ
def test_kakao_webhook_survives_hostile_input(channel_servers, utterance, user, extra, bot, callback, raw):
    if raw is None:
        payload = skill_payload("x", user_id="x", bot_id=bot)
        payload["userRequest"]["utterance"] = utterance
        payload["userRequest"]["user"]["id"] = user
        payload["action"]["clientExtra"] = extra
        if callback is not None:
            payload["userRequest"]["callbackUrl"] = callback
        raw = json.dumps(payload).encode("utf-8", "surrogatepass")
    status, answer = post_raw(f"{channel_servers.rasa_url}/webhooks/kakao/webhook", raw,
                              {SKILL_SECRET_HEADER: TEST_SKILL_SECRET})
    check("kakao", status, answer, kakao_texts)


@given(update=st.one_of(
    st.fixed_dictionaries({"update_id": st.one_of(st.integers(), SCALAR), "message": st.one_of(JSONISH, st.fixed_dictionaries(
        {"chat": st.one_of(JSONISH, st.fixed_dictionaries({"id": st.one_of(st.integers(), SCALAR),
                                                           "type": st.sampled_from(["private", "group", None])})),
         "from": JSONISH, "text": st.one_of(TEXT, SCALAR), "location": JSONISH}))}),
    st.fixed_dictionaries({"update_id": st.integers(), "callback_query": JSONISH}),
    JSONISH).map(lambda u: json.dumps(u).encode("utf-8", "surrogatepass")) | RAW)
@FUZZ
def test_telegram_webhook_survives_hostile_input(channel_servers, update):
    status, answer = post_raw(f"{channel_servers.rasa_url}/webhooks/telegram/webhook", update,
                              {"X-Telegram-Bot-Api-Secret-Token": TEST_SECRET})
    check("telegram", status, answer, lambda _: [])


def test_servers_alive_after_the_fuzz(channel_servers):
    """Runs after the fuzz tests (file order): both processes up, webhooks answering."""
    assert all(process.poll() is None for process in channel_servers.processes)
    assert get_json(f"{channel_servers.rasa_url}/webhooks/telegram/")["status"] == "ok"
    assert get_json(f"{channel_servers.action_url}/health")
    for channel, counts in COUNTS.items():
        print(f"fuzz {channel}: {sum(counts.values())} requests, statuses {dict(sorted(counts.items()))}")
