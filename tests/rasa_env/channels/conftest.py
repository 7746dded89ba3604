"""Fixtures for the channel tests in the Rasa environment.

``cache``: the in-process cache, or Redis (db 13, flushed around the test) when
``TEST_REDIS_URL``/127.0.0.1:6379 answers; under ``CI=true`` an unreachable Redis fails
the Redis-backed tests instead of skipping them.

``bot_stub``: stands in for Rasa's message handler (``on_new_message``): it records the
``UserMessage`` and answers through the message's output channel like Rasa would, so
channel logic is tested without a trained model. The contract tests in
``tests/channels`` run the same channels through the real Rasa and action servers.
"""
from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from naviyam.shared.cache import InProcessCache, RedisCache

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/13"


@pytest.fixture(autouse=True)
def _no_channel_env(monkeypatch):
    for name in ("KAKAO_BOT_IDS", "KAKAO_SKILL_SECRET", "NAVIYAM_DEV_MODE", "NAVIYAM_REST_TOKEN",
                 "KAKAO_CALLBACK_URL_PREFIXES", "TELEGRAM_BOT_TOKEN",
                 "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE", "KAKAO_CARD_THUMBNAIL_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def memory_cache() -> InProcessCache:
    return InProcessCache()


@pytest.fixture
def redis_cache():
    cache = RedisCache(REDIS_URL)
    if not cache.ping():
        if IN_CI:
            pytest.fail(f"Redis at {REDIS_URL} is unreachable (CI=true: failing, not skipping)")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    cache.client.flushdb()
    yield cache
    cache.client.flushdb()


class BotStub:
    """Rasa's ``on_new_message`` stand-in: records messages and answers with ``answer``."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.answer: list[dict[str, Any]] = [{"text": "안녕하세요! 무엇을 도와드릴까요?"}]
        self.delay = 0.0

    async def __call__(self, message: Any) -> None:
        self.received.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        out = message.output_channel
        for m in self.answer:
            if "custom" in m:
                await out.send_custom_json(message.sender_id, m["custom"])
            elif m.get("buttons"):
                await out.send_text_with_buttons(message.sender_id, m["text"], m["buttons"])
            else:
                await out.send_text_message(message.sender_id, m["text"])


@pytest.fixture
def bot_stub() -> BotStub:
    return BotStub()


RECOMMENDATION_ANSWER = [
    {"text": "5천원으로 드실 수 있는 곳을 찾았어요!"},
    {"custom": {
        "kind": "recommendations",
        "recommendations": [
            {"shop_id": 11, "shop_name": "김밥천국 건대점", "category": "분식",
             "menu": {"menu_id": 101, "name": "참치김밥", "price": 4500, "final_price": 4000},
             "foodcard": "Y", "distance_m": 320, "walk_minutes": 4,
             "reasons": ["BUDGET_FIT", "NEARBY"], "score": 0.91, "phone": "02-555-1234"},
            {"shop_id": 12, "shop_name": "<떡볶이> & 튀김", "category": "분식",
             "menu": {"menu_id": 102, "name": "떡볶이", "price": 5000, "final_price": 5000},
             "foodcard": "P", "distance_m": None, "walk_minutes": None, "reasons": [], "score": 0.5},
        ],
        "alternatives": [],
        "quick_replies": [{"title": "다른 추천", "payload": "/request_more"},
                          {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
                          {"title": "잔액 확인", "payload": "/balance_check"}],
    }},
]


@pytest.fixture
def recommendation_answer() -> list[dict[str, Any]]:
    return [dict(m) for m in RECOMMENDATION_ANSWER]
