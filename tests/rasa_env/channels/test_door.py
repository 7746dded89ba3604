"""The door: validation and per-user rate limiting (in-process and Redis)."""
from __future__ import annotations

import asyncio
import unicodedata

import pytest

from bot.channels.door import REPLY_EMPTY, REPLY_RATE_LIMITED, Door
from bot.settings import DoorSettings


def admit(door: Door, *args, **kwargs):
    return asyncio.run(door.admit(*args, **kwargs))


def test_text_is_normalised_and_cleaned(memory_cache):
    door = Door(cache=memory_cache)
    decomposed = unicodedata.normalize("NFD", "떡볶이 먹고 싶어")
    verdict = admit(door, "kakao", "u1", "\u202e" + decomposed + "\x00\x1b[31m  ")
    assert verdict.allowed
    assert verdict.text == "떡볶이 먹고 싶어[31m"
    assert unicodedata.is_normalized("NFC", verdict.text)


def test_typed_text_cannot_smuggle_intent_payloads(memory_cache):
    door = Door(cache=memory_cache)
    assert admit(door, "telegram", "u1", '/choose_option{"option_number": 99}').text == \
        'choose_option{"option_number": 99}'
    assert admit(door, "telegram", "u1", "/balance_check", is_payload=True).text == "/balance_check"


def test_over_long_message_gets_a_polite_answer_without_echo(memory_cache):
    door = Door(cache=memory_cache)
    secret = "<script>alert(1)</script>" + "가" * 500
    verdict = admit(door, "kakao", "u1", secret)
    assert not verdict.allowed and verdict.reason == "too_long"
    assert "500자" in verdict.reply and "script" not in verdict.reply
    assert admit(door, "kakao", "u1", "가" * 500).allowed


def test_empty_message(memory_cache):
    verdict = admit(Door(cache=memory_cache), "kakao", "u1", " \u200b\x07 ")
    assert not verdict.allowed and verdict.reply == REPLY_EMPTY


def _limits(door: Door, platform: str, user: str | None, ip: str, n: int) -> list[bool]:
    async def run():
        return [(await door.admit(platform, user, "안녕", client_ip=ip)).allowed for _ in range(n)]
    return asyncio.run(run())


@pytest.mark.parametrize("cache_fixture", ["memory_cache", "redis_cache"])
def test_rate_limits_known_and_anonymous(request, cache_fixture):
    cache = request.getfixturevalue(cache_fixture)
    door = Door(DoorSettings(), cache=cache)
    known = _limits(door, "kakao", "user-a", "10.0.0.1", 61)
    assert known[:60] == [True] * 60 and known[60] is False
    assert _limits(door, "kakao", "user-b", "10.0.0.1", 1) == [True]  # per user
    assert _limits(door, "telegram", "user-a", "10.0.0.1", 1) == [True]  # per platform
    anonymous = _limits(door, "kakao", None, "10.0.0.9", 11)
    assert anonymous[:10] == [True] * 10 and anonymous[10] is False
    verdict = asyncio.run(door.admit("kakao", "user-a", "또 왔어요"))
    assert verdict.reason == "rate_limited" and verdict.reply == REPLY_RATE_LIMITED


def test_window_expires(memory_cache):
    door = Door(DoorSettings(rate_limit_known=2, window_seconds=1), cache=memory_cache)
    assert _limits(door, "kakao", "u", "ip", 3) == [True, True, False]
    import time
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not _limits(door, "kakao", "u", "ip", 1)[0]:
        time.sleep(0.2)
    assert time.monotonic() < deadline, "the window never reopened"


def test_broken_cache_keeps_the_door_open():
    class Broken:
        backend = "redis"

        def incr_window(self, key, window):
            raise ConnectionError("redis down")

    assert admit(Door(cache=Broken()), "kakao", "u", "안녕").allowed


@pytest.mark.parametrize("text", ["씨발 뭐야", "씨 발", "씨1발", "병신아", "개 새 끼", "ㅅㅂ", "존나 짜증나"])
def test_profanity_gets_a_gentle_answer_that_echoes_nothing(memory_cache, text):
    from bot.channels.door import REPLY_ABUSE

    verdict = admit(Door(cache=memory_cache), "kakao", "u-abuse", text)
    assert not verdict.allowed and verdict.reason == "abuse" and verdict.reply == REPLY_ABUSE
    assert verdict.text == "" and not any(ch in verdict.reply for ch in ("씨", "병", "ㅅ", "존"))


@pytest.mark.parametrize("text", ["수박씨 발라 먹고 싶어", "시발점 근처 맛집", "새끼손가락 다쳤어",
                                  "택시 타고 갈게", "미친 맛집 추천해줘", "5천원으로 떡볶이", "시바견 카페"])
def test_innocent_words_pass(memory_cache, text):
    assert admit(Door(cache=memory_cache), "kakao", "u-fine", text).allowed


def test_repeated_abuse_gets_a_firmer_answer_per_user(memory_cache):
    from bot.channels.door import ABUSE_FIRM_AFTER, REPLY_ABUSE, REPLY_ABUSE_FIRM

    door = Door(cache=memory_cache)
    replies = [admit(door, "telegram", "u-rude", "병신").reply for _ in range(ABUSE_FIRM_AFTER)]
    assert replies[0] == REPLY_ABUSE and replies[-1] == REPLY_ABUSE_FIRM
    assert admit(door, "telegram", "u-other", "병신").reply == REPLY_ABUSE


def test_no_training_example_is_flagged():
    """Every NLU example is something a polite child says: none may be refused."""
    import re
    from pathlib import Path

    import yaml

    from bot.channels.abuse_filter import is_abusive

    flagged = []
    for path in (Path(__file__).resolve().parents[3] / "data" / "nlu").rglob("*.yml"):
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(item.get("examples") or "").splitlines():
                text = re.sub(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}",
                              lambda m: m.group(1) or m.group(2) or "", line.lstrip("- ").strip())
                if text and is_abusive(text):
                    flagged.append(text)
    assert flagged == []


def test_one_address_is_limited_whatever_senders_it_names(memory_cache):
    door = Door(DoorSettings(rate_limit_address=3), cache=memory_cache)
    verdicts = [admit(door, "rest", f"sender-{i}", "안녕", client_ip="203.0.113.9", per_address=True)
                for i in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert verdicts[-1].reply == REPLY_RATE_LIMITED
    assert admit(door, "rest", "sender-x", "안녕", client_ip="203.0.113.10", per_address=True).allowed
