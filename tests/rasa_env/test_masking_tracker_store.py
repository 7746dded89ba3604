"""bot.tracker_store.MaskingTrackerStore: what Rasa's stores keep has no personal data.

Runs in the Rasa environment, against Rasa's own InMemory and Redis tracker stores
(Redis at TEST_REDIS_URL, default redis://127.0.0.1:6379/11; never skipped under CI).
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

from bot.tracker_store import MaskingTrackerStore

PHONE = "０１０－１２３４－５６７８"
CARD = "4111 1111 1111 1111"
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")
DOMAIN = Domain.from_yaml("version: '3.1'\nslots:\n  note:\n    type: text\n    mappings: [{type: custom}]\n")


def user(text: str) -> UserUttered:
    return UserUttered(text, intent={"name": "greet", "confidence": 1.0}, parse_data={
        "text": text, "intent": {"name": "greet", "confidence": 1.0},
        "entities": [{"entity": "budget", "value": "공일공 일이삼사 오육칠팔", "start": 0, "end": 3}]},
        metadata={"note": "카드 " + CARD})


async def _round_trip(store: TrackerStore, sender: str) -> list[dict]:
    tracker = await store.get_or_create_tracker(sender)
    tracker.update(user(f"제 번호는 {PHONE}이고 5천원으로 3명이요"))
    tracker.update(ActionExecuted("action_recommend"))
    tracker.update(BotUttered(f"{PHONE} 맞나요? 5천원이면 돼요", data={"custom": {"card": CARD}}))
    tracker.update(SlotSet("note", "공일공 일이삼사 오육칠팔"))
    live_text = tracker.latest_message.text
    await store.save(tracker)
    assert PHONE in live_text  # the turn itself still sees what the child wrote
    again = await store.retrieve(sender)
    again.update(user("두 번째 메시지 010 9999 8888"))
    await store.save(again)  # Redis merges stored and new events: they must still agree
    stored = await store.retrieve_full_tracker(sender)
    return [event.as_dict() for event in stored.events]


def _assert_clean(dump: str) -> None:
    for secret in (PHONE, "1234", "5678", "4111", "오육칠팔", "9999"):
        assert secret not in dump, secret
    assert "[전화번호]" in dump and "[카드번호]" in dump and "5천원" in dump and "3명" in dump


def test_in_memory_store_keeps_masked_events():
    store = MaskingTrackerStore(domain=DOMAIN)
    events = asyncio.run(_round_trip(store, "rest:privacy-1"))
    _assert_clean(repr(events) + repr(store.inner.store))
    assert sum(1 for e in events if e["event"] == "user") == 2


def test_redis_store_keeps_masked_events():
    parsed = urlparse(REDIS_URL)
    db = int((parsed.path or "/0").lstrip("/") or 0)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=db)
    store = TrackerStore.create(EndpointConfig(
        type="bot.tracker_store.MaskingTrackerStore", inner_store="redis", url=parsed.hostname,
        port=parsed.port or 6379, db=db, key_prefix="privacytest"), DOMAIN)
    assert isinstance(store, MaskingTrackerStore)
    key = store.inner.key_prefix + "rest:privacy-2"
    client.delete(key)
    events = asyncio.run(_round_trip(store, "rest:privacy-2"))
    raw = client.get(key).decode("utf-8")
    _assert_clean(repr(events) + raw)
    assert sum(1 for e in events if e["event"] == "user") == 2
    client.delete(key)


def test_domain_reaches_the_inner_store():
    store = MaskingTrackerStore(domain=Domain.empty())
    store.domain = DOMAIN
    assert store.inner.domain is DOMAIN


@pytest.mark.parametrize("redis_url", [None, REDIS_URL])
def test_rendered_and_default_endpoints_use_the_masking_store(redis_url):
    import yaml
    from pathlib import Path

    from scripts.render_endpoints import render

    rendered = yaml.safe_load(render(5055, redis_url))["tracker_store"]
    default = yaml.safe_load((Path(__file__).resolve().parents[2] / "endpoints.yml").read_text())
    for config in (rendered, default["tracker_store"]):
        config = dict(config)
        store = TrackerStore.create(EndpointConfig(url=config.pop("url", None), **config), DOMAIN)
        assert isinstance(store, MaskingTrackerStore)
