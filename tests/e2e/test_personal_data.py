"""Personal data through the real servers (issue 16): nothing unmasked in any table, in the
tracker store (Rasa's Redis store behind bot.tracker_store) or in either server's log
(both at debug level, so Rasa logs every user message), while amounts and head counts
still reach the slots. Hypothesis writes the numbers in many forms.
"""
from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterator

import pytest
import redis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from naviyam.shared.personal_data import digit_runs
from tests.e2e.harness import BotServers, start_servers, tracker_redis
from tests.test_personal_data_property import PREFIXES, SUFFIXES, card_numbers, landline_numbers, \
    mobile_numbers, resident_numbers

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"
GEONDAE = {"lat": 37.5404, "lng": 127.0693}
KEY_PREFIX = "privacye2e"
TABLES = ("conversations", "recommendations_log", "performance_logs", "conversation_contexts")
# (message, the personal part as written, its digits)
FIXED = [
    ("제 번호는 ０１０－１２３４－５６７８이에요", "０１０－１２３４－５６７８", "01012345678"),
    ("010.1234.5678", "010.1234.5678", "01012345678"),
    ("1.2.3", None, None),  # once raised inside NLU
    ("엄마 번호 공일공 일이삼사 오육칠팔", "공일공 일이삼사 오육칠팔", "01012345678"),
    ("카드번호 4111 1111 1111 1111 등록할래요", "4111 1111 1111 1111", "4111111111111111"),
    ("주민번호 900101-1234567", "900101-1234567", "9001011234567"),
    ("메일은 kid.kim@example.com 이에요", "kid.kim@example.com", None),
    ("010—9876—5432원으로 추천해줘", "010—9876—5432", "01098765432"),
    ("4111111111111111원으로 떡볶이", "4111111111111111", "4111111111111111"),
    ("제 이름은 김민수예요", "김민수", None),
]
SENT: list[tuple[str | None, str | None]] = []
_senders = itertools.count()


@pytest.fixture(scope="module")
def private_bot(rasa_model, loaded_database_url: str, redis_url: str | None,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServers, redis.Redis]]:
    store = tracker_redis(redis_url, KEY_PREFIX)
    store.clear()
    env = {"DATABASE_URL": loaded_database_url, "KAKAO_BOT_IDS": "naviyam-test-bot"}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("private"), tracker_store=store.stores,
                            rasa_args=("--debug",), action_args=("-vv",))
    try:
        yield servers, store.client
    finally:
        servers.stop()
        store.clear()


def _leaks(dump: str, raw: str | None, digits: str | None) -> list[str]:
    """What of ``raw`` / ``digits`` survives in ``dump`` (as written or read as digits)."""
    found = [raw] if raw and raw in dump else []
    if digits and any(digits in run.digits for run in digit_runs(dump)):
        found.append(digits)
    return found


def _engine_numbers_only(value, key=None) -> bool:
    """``recommendations_log.policy_log`` holds ids, scores, propensities and feature values the
    engine computed: numbers, plus the policy's and the ranker's names."""
    if isinstance(value, dict):
        return all(_engine_numbers_only(v, k) for k, v in value.items())
    if isinstance(value, list):
        return all(_engine_numbers_only(v) for v in value)
    return not isinstance(value, str) or key in ("policy", "ranker")


def _stored(engine, client: redis.Redis) -> str:
    """Every stored row and tracker as text. The policy log is checked to hold numbers only and
    is left out of the text: its long feature lists read as digit runs (0.0, 1.0, 0.0, ...)."""
    with engine.connect() as conn:
        rows = [str(row[0]) for table in TABLES
                for row in conn.execute(text(f"SELECT (to_jsonb(t) - 'policy_log')::text FROM {table} t"))]
        policies = [row[0] for row in conn.execute(
            text("SELECT policy_log FROM recommendations_log WHERE policy_log IS NOT NULL"))]
    assert all(_engine_numbers_only(policy) for policy in policies)
    tracker = [client.get(key).decode("utf-8") for key in client.scan_iter(f"{KEY_PREFIX}*")]
    return "\n".join(rows + tracker)


def _send(bot: BotServers, message: str) -> list[dict]:
    sender = f"e2e_private_{next(_senders)}"
    answer = bot.send(sender, message, {"now": WEEKDAY_LUNCH, "location": GEONDAE})
    assert any(m.get("text") for m in answer), f"no answer to {message!r}"
    return answer


@pytest.mark.parametrize(("message", "secret", "digits"), FIXED)
def test_hostile_forms_get_an_answer_and_are_stored_masked(private_bot, engine, message, secret, digits):
    bot, client = private_bot
    _send(bot, message)
    SENT.append((secret, digits))
    assert not _leaks(_stored(engine, client), secret, digits)


@st.composite
def personal_messages(draw) -> tuple[str, str, str]:
    kind = draw(st.sampled_from([mobile_numbers, landline_numbers, card_numbers, resident_numbers]))
    number = draw(kind())
    digits = "".join(run.digits for run in digit_runs(number))
    return draw(st.sampled_from(PREFIXES)) + number + draw(st.sampled_from(SUFFIXES)), number, digits


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(personal_messages())
def test_generated_forms_are_never_stored_unmasked(private_bot, engine, sample):
    bot, client = private_bot
    message, number, digits = sample
    _send(bot, message)
    SENT.append((number, digits))
    assert not _leaks(_stored(engine, client), number, digits)


def _slots(client: redis.Redis, message: str) -> dict:
    for key in client.scan_iter(f"{KEY_PREFIX}*"):
        events = json.loads(client.get(key))["events"]
        if any(e.get("event") == "user" and e.get("text") == message for e in events):
            return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    raise AssertionError(f"no stored tracker has {message!r}")


@pytest.mark.parametrize(("message", "budget", "party"), [
    ("5천원으로 떡볶이 먹고 싶어", 5000, None), ("만 이천원으로 점심 추천해줘", 12000, None),
    ("4500원으로 먹을 거 추천해줘", 4500, None), ("친구랑 3명이서 만원으로 먹을 곳 추천해줘", 10000, 3),
])
def test_amounts_and_head_counts_still_work(private_bot, message, budget, party):
    bot, client = private_bot
    _send(bot, message)
    slots = _slots(client, message)
    assert slots.get("budget") == budget
    if party is not None:
        assert slots.get("party_size") == party


def test_phone_is_no_budget(private_bot):
    bot, client = private_bot
    message = "010-2222-3333원으로 추천해줘"
    _send(bot, message)
    SENT.append(("010-2222-3333", "01022223333"))
    assert _slots(client, "[전화번호]원으로 추천해줘").get("budget") in (None, 0)


def test_servers_logs_hold_no_personal_data(private_bot, engine):
    bot, client = private_bot
    assert SENT, "run with the tests above"
    logs = "\n".join(path.read_text(encoding="utf-8", errors="replace") for path in bot.logs)
    # Debug level is on: Rasa logs every message it receives, so the placeholders show up.
    assert "[전화번호]" in logs and "[카드번호]" in logs, logs[-3000:]
    leaks = {secret: _leaks(logs, secret, digits) for secret, digits in SENT}
    assert not {m: leak for m, leak in leaks.items() if leak}
    assert "could not convert string to float" not in logs  # "1.2.3" no longer breaks NLU
    stored = _stored(engine, client)
    assert "[전화번호]" in stored and "[카드번호]" in stored
    assert not re.search(r"kid\.kim@example\.com", stored + logs)
