"""Erasure in chat, the tracker-store side: when the saved turn carries the marker slot
(set by action_forget_user), bot.tracker_store.MaskingTrackerStore drops the stored
conversation instead of saving it, for Rasa's InMemory, Redis and SQL stores.
"""
from __future__ import annotations

import asyncio
import os
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.tracker_store import ERASURE_SLOT, MaskingTrackerStore, erasure_requested

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
DOMAIN = Domain.from_yaml(
    f"version: '3.1'\nslots:\n  {ERASURE_SLOT}:\n    type: any\n    mappings: [{{type: custom}}]\n")


def _user(text: str, intent: str) -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


async def _erase_conversation(store: TrackerStore, sender: str, other: str):
    for who in (sender, other):
        tracker = await store.get_or_create_tracker(who)
        tracker.update(_user("우리 집은 건대 앞이에요", "inform"))
        tracker.update(BotUttered("알겠어요"))
        await store.save(tracker)
    tracker = await store.retrieve(sender)
    tracker.update(_user("내 정보 삭제", "forget_me"))
    tracker.update(ActionExecuted("utter_forget_confirm"))
    await store.save(tracker)
    tracker = await store.retrieve(sender)
    assert not erasure_requested(tracker)  # the question alone erases nothing
    tracker.update(_user("네", "affirm"))
    tracker.update(ActionExecuted("action_forget_user"))
    tracker.update(BotUttered("모두 지웠어요"))
    tracker.update(SlotSet(ERASURE_SLOT, "2026-11-29T12:00:00+00:00"))
    tracker.update(ActionExecuted("action_listen"))
    assert erasure_requested(tracker)
    await store.save(tracker)
    fresh = await store.get_or_create_tracker(sender)
    assert not any(isinstance(e, UserUttered) for e in fresh.events)
    fresh.update(_user("안녕", "greet"))  # the next turn starts a new conversation
    await store.save(fresh)
    kept = await store.retrieve_full_tracker(sender)
    return [e.text for e in kept.events if isinstance(e, UserUttered)], await store.retrieve(other)


def test_in_memory_store_drops_the_conversation():
    store = MaskingTrackerStore(domain=DOMAIN)
    texts, other = asyncio.run(_erase_conversation(store, "rest:erase-1", "rest:erase-2"))
    assert texts == ["안녕"]
    assert other is not None and other.latest_message.text == "우리 집은 건대 앞이에요"


def test_redis_store_drops_the_conversation():
    parsed = urlparse(REDIS_URL)
    db = int((parsed.path or "/0").lstrip("/") or 0)
    store = TrackerStore.create(EndpointConfig(
        type="bot.tracker_store.MaskingTrackerStore", inner_store="redis", url=parsed.hostname,
        port=parsed.port or 6379, db=db, key_prefix="erasuretest"), DOMAIN)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=db)
    keys = [store.inner.key_prefix + s for s in ("rest:erase-3", "rest:erase-4")]
    client.delete(*keys)
    try:
        texts, other = asyncio.run(_erase_conversation(store, "rest:erase-3", "rest:erase-4"))
        assert texts == ["안녕"]
        assert other is not None and other.latest_message.text == "우리 집은 건대 앞이에요"
        assert "건대" not in client.get(keys[0]).decode("utf-8")
    finally:
        client.delete(*keys)


def test_sql_store_drops_the_conversation(tmp_path):
    store = TrackerStore.create(EndpointConfig(
        type="bot.tracker_store.MaskingTrackerStore", inner_store="sql", dialect="sqlite",
        db=str(tmp_path / "trackers.db")), DOMAIN)
    texts, other = asyncio.run(_erase_conversation(store, "rest:erase-5", "rest:erase-6"))
    assert texts == ["안녕"]
    assert other is not None and other.latest_message.text == "우리 집은 건대 앞이에요"


@pytest.mark.parametrize("value", [None, ""])
def test_an_unset_marker_erases_nothing(value):
    store = MaskingTrackerStore(domain=DOMAIN)

    async def scenario():
        tracker = await store.get_or_create_tracker("rest:erase-7")
        tracker.update(_user("네", "affirm"))
        tracker.update(SlotSet(ERASURE_SLOT, value))
        await store.save(tracker)
        return await store.retrieve("rest:erase-7")

    assert asyncio.run(scenario()).latest_message.text == "네"
