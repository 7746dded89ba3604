"""Erasure in chat through the real servers (issue 10): "내 정보 삭제" asks first, "아니요"
changes nothing, "네" erases the user's rows, cache keys and the stored conversation
(Rasa's Redis tracker store behind bot.tracker_store.MaskingTrackerStore).
"""
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import text

from naviyam.adapters.db.conversation_log import session_uuid
from tests.e2e.harness import BotServers, start_servers, tracker_redis

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"
GEONDAE = {"lat": 37.5404, "lng": 127.0693}
KEY_PREFIX = "forgete2e"
LOG_TABLES = ("conversations", "recommendations_log", "performance_logs")


@pytest.fixture(scope="module")
def forget_bot(rasa_model, loaded_database_url: str, redis_url: str | None,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServers, redis.Redis]]:
    store = tracker_redis(redis_url, KEY_PREFIX)
    env = {"DATABASE_URL": loaded_database_url, "KAKAO_BOT_IDS": "naviyam-test-bot",
           "REDIS_URL": store.url, "NAVIYAM_RASA_TRACKER_KEY_PREFIX": KEY_PREFIX}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("forget"), tracker_store=store.stores)
    try:
        yield servers, store.client
    finally:
        servers.stop()
        store.clear()


def _say(bot: BotServers, sender: str, message: str) -> str:
    answer = bot.send(sender, message, {"now": WEEKDAY_LUNCH, "location": GEONDAE})
    said = "\n".join(m["text"] for m in answer if m.get("text"))
    assert said, f"no answer to {message!r}"
    return said


def _rows(engine, sender: str) -> dict[str, int]:
    sid = str(session_uuid(sender))
    with engine.connect() as conn:
        uid = conn.execute(text("SELECT id FROM users WHERE external_user_id = :s"), {"s": sender}).scalar()
        out = {"users": 0 if uid is None else 1}
        for table in LOG_TABLES:
            out[table] = conn.execute(text(f"SELECT count(*) FROM {table} WHERE session_id = :sid "
                                           f"OR user_id = :uid"), {"sid": sid, "uid": uid or -1}).scalar()
        out["user_profiles"] = conn.execute(text("SELECT count(*) FROM user_profiles WHERE user_id = :uid"),
                                            {"uid": uid or -1}).scalar()
    return out | {"uid": uid}


def _stored_texts(client: redis.Redis, sender: str) -> list[str]:
    raw = client.get(f"{KEY_PREFIX}:tracker:{sender}")
    if raw is None:
        return []
    return [e.get("text") for e in json.loads(raw)["events"] if e.get("event") in ("user", "bot")]


def test_forget_me_asks_first_and_no_changes_nothing(forget_bot, engine):
    bot, client = forget_bot
    sender = f"e2e_forget_{uuid.uuid4().hex[:8]}"
    _say(bot, sender, "5천원으로 떡볶이 먹고 싶어")
    _say(bot, sender, "동의해요")          # the consent question after the first recommendation
    before = _rows(engine, sender)
    assert before["users"] == 1 and before["conversations"] >= 1

    question = _say(bot, sender, "내 정보 삭제해 주세요")
    assert "지울까요" in question
    assert "아무것도 지우지 않았어요" in _say(bot, sender, "아니요")
    after = _rows(engine, sender)
    assert after["users"] == 1 and after["conversations"] >= before["conversations"]
    assert "5천원으로 떡볶이 먹고 싶어" in _stored_texts(client, sender)


def test_forget_me_then_yes_erases_rows_cache_and_tracker(forget_bot, engine):
    bot, client = forget_bot
    sender = f"e2e_forget_{uuid.uuid4().hex[:8]}"
    for message in ("5천원으로 떡볶이 먹고 싶어", "동의해요", "떡볶이 좋아해요"):
        _say(bot, sender, message)
    before = _rows(engine, sender)
    uid = before["uid"]
    assert before["users"] == 1 and before["conversations"] >= 2 and before["recommendations_log"] >= 1
    assert client.exists(f"naviyam:ratelimit:rest:{sender}")

    assert "지울까요" in _say(bot, sender, "내 정보 지워줘")
    done = _say(bot, sender, "네")
    assert "모두 지웠어요" in done and "대화 기록" in done and "추천 기록" in done, done

    after = _rows(engine, sender)
    assert {k: v for k, v in after.items() if k != "uid"} == {
        "users": 0, "conversations": 0, "recommendations_log": 0, "performance_logs": 0, "user_profiles": 0}
    leftover = [k.decode() for k in client.scan_iter("naviyam:*")
                if sender in k.decode() or f"user:{uid}:" in k.decode()]
    assert leftover == []
    assert client.get(f"{KEY_PREFIX}:tracker:{sender}") is None  # not written back after the action

    _say(bot, sender, "안녕")  # the next message starts over, with none of the earlier ones
    stored = _stored_texts(client, sender)
    assert "안녕" in stored
    for earlier in ("5천원으로 떡볶이 먹고 싶어", "동의해요", "떡볶이 좋아해요", "내 정보 지워줘", "네"):
        assert earlier not in stored
    assert not any("모두 지웠어요" in (t or "") for t in stored)
