"""bot.tracker_store.MaskingTrackerStore: what Rasa's stores keep has no personal data.

Runs in the Rasa environment, against Rasa's own InMemory and Redis tracker stores
(Redis at TEST_REDIS_URL, default redis://127.0.0.1:6379/11; never skipped under CI).
"""
from __future__ import annotations

import asyncio
import json
import os
from urllib.parse import urlparse

import pytest
import redis
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
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


# ----------------------------------------------------------------- Redis: saving appends (issue 11)
class CollectingBroker(EventBroker):
    """Rasa's broker interface, keeping what it is given (what a real broker would send on)."""

    def __init__(self) -> None:
        self.published: list[dict] = []

    def publish(self, event: dict) -> None:
        self.published.append(event)


def _redis_store(prefix: str, broker: EventBroker | None = None) -> tuple[MaskingTrackerStore, redis.Redis]:
    parsed = urlparse(REDIS_URL)
    db = int((parsed.path or "/0").lstrip("/") or 0)
    client = redis.Redis(host=parsed.hostname, port=parsed.port or 6379, db=db)
    store = MaskingTrackerStore(domain=DOMAIN, host=parsed.hostname, event_broker=broker, inner_store="redis",
                                port=parsed.port or 6379, db=db, key_prefix=prefix)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    return store, client


def _stored(client: redis.Redis, store: MaskingTrackerStore, sender: str) -> list[dict]:
    return json.loads(client.get(store.inner.key_prefix + sender))["events"]


def test_redis_save_appends_only_the_turns_events_masked():
    broker = CollectingBroker()
    store, client = _redis_store("appendtest", broker)
    sender = "rest:append-1"
    asyncio.run(store.get_or_create_tracker(sender))  # new: Rasa's own save

    async def rasas_save(*_args, **_kwargs):
        raise AssertionError("a retrieved tracker must be appended, not re-saved whole")

    store.inner.save = rasas_save
    for turn in range(3):
        tracker = asyncio.run(store.retrieve(sender))
        before = len(_stored(client, store, sender))
        tracker.update(user(f"{turn}번째: 제 번호는 {PHONE}"))
        tracker.update(ActionExecuted("action_recommend"))
        tracker.update(BotUttered(f"{PHONE} 맞나요?"))
        asyncio.run(store.save(tracker))
        stored = _stored(client, store, sender)
        assert len(stored) == before + 3
        assert [e["event"] for e in stored[-3:]] == ["user", "action", "bot"]
    dump = json.dumps(_stored(client, store, sender), ensure_ascii=False) + repr(broker.published)
    assert PHONE not in dump and "5678" not in dump and "[전화번호]" in dump
    # every event reached the broker once, in order, masked, as Rasa publishes them
    user_texts = [e["text"] for e in broker.published if e["event"] == "user"]
    assert len(user_texts) == 3 and all(e["sender_id"] == sender for e in broker.published)
    full = asyncio.run(store.retrieve_full_tracker(sender))
    assert [e.as_dict() for e in full.events] == _stored(client, store, sender)


def test_rasas_sql_broker_gets_a_turns_events_in_one_transaction_as_rasa_writes_them(tmp_path):
    """The append path writes the rows Rasa's per-event ``publish`` writes, in one commit."""
    from rasa.core.brokers.sql import SQLEventBroker
    from sqlalchemy import event as sa_event

    broker = SQLEventBroker(dialect="sqlite", db=str(tmp_path / "events.db"))
    commits = []
    sa_event.listen(broker.engine, "commit", lambda _conn: commits.append(1))
    store, _client = _redis_store("appendbroker", broker)
    sender = "rest:append-broker"
    asyncio.run(store.get_or_create_tracker(sender))   # new conversation: Rasa's own save
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(user(f"제 번호는 {PHONE}"))
    tracker.update(ActionExecuted("action_recommend"))
    tracker.update(BotUttered("추천이에요"))
    commits.clear()
    asyncio.run(store.save(tracker))
    assert len(commits) == 1
    with broker.session_scope() as session:
        ours = [row.data for row in session.query(broker.SQLBrokerEvent)
                .filter_by(sender_id=sender).order_by(broker.SQLBrokerEvent.id)][-3:]
    # Rasa's own publish of the same (stored, masked) events, one commit each
    stored = _stored(_client, store, sender)[-3:]
    commits.clear()
    for stored_event in stored:
        broker.publish({"sender_id": "rasa:" + sender, **stored_event})
    assert len(commits) == 3
    with broker.session_scope() as session:
        rasas = [row.data for row in session.query(broker.SQLBrokerEvent)
                 .filter_by(sender_id="rasa:" + sender).order_by(broker.SQLBrokerEvent.id)]
    assert [json.loads(d)["event"] for d in ours] == ["user", "action", "bot"]
    assert [d.replace('"sender_id": "' + sender + '"', "") for d in ours] == \
        [d.replace('"sender_id": "rasa:' + sender + '"', "") for d in rasas]
    assert PHONE not in "".join(ours)


def test_redis_append_keeps_earlier_sessions():
    store, client = _redis_store("appendsessions")
    sender = "rest:append-2"
    old = asyncio.run(store.get_or_create_tracker(sender))
    old.update(user("어제 메시지"))
    asyncio.run(store.save(old))
    tracker = asyncio.run(store.retrieve(sender))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    asyncio.run(store.save(tracker))
    latest = asyncio.run(store.retrieve(sender))  # only the latest session
    assert not any(e.type_name == "user" for e in latest.events)
    latest.update(user("오늘 메시지"))
    asyncio.run(store.save(latest))
    texts = [e.get("text") for e in _stored(client, store, sender) if e["event"] == "user"]
    assert texts == ["어제 메시지", "오늘 메시지"]


def test_redis_save_falls_back_to_rasas_merge_when_the_stored_conversation_moved_on():
    store, client = _redis_store("appendstale")
    other, _ = _redis_store("appendstale")  # another Rasa process, same Redis
    sender = "rest:append-3"
    asyncio.run(store.get_or_create_tracker(sender))
    stale = asyncio.run(store.retrieve(sender))
    fresh = asyncio.run(other.retrieve(sender))
    fresh.update(user("다른 서버가 받은 메시지"))
    asyncio.run(other.save(fresh))
    stale.update(user("늦게 저장하는 메시지"))
    asyncio.run(store.save(stale))
    texts = [e.get("text") for e in _stored(client, store, sender) if e["event"] == "user"]
    assert sorted(texts) == sorted(["다른 서버가 받은 메시지", "늦게 저장하는 메시지"])


def test_entities_lose_a_name_the_message_revealed_by_context():
    store = MaskingTrackerStore(domain=DOMAIN)
    tracker = asyncio.run(store.get_or_create_tracker("rest:privacy-name"))
    text = "제 이름은 김민수예요"
    tracker.update(UserUttered(text, intent={"name": "food_request", "confidence": 0.4}, parse_data={
        "text": text, "intent": {"name": "food_request", "confidence": 0.4},
        "entities": [{"entity": "food_type", "value": "김민수", "start": 6, "end": 9}]},
        entities=[{"entity": "food_type", "value": "김민수", "start": 6, "end": 9}]))
    asyncio.run(store.save(tracker))
    dump = json.dumps([e.as_dict() for e in store.inner.store and
                       asyncio.run(store.retrieve("rest:privacy-name")).events], ensure_ascii=False)
    assert "김민수" not in dump and "[이름]" in dump and "[가림]" in dump
    assert tracker.latest_message.entities[0]["value"] == "김민수"  # the live turn is untouched


def _three_sessions(store: MaskingTrackerStore, sender: str) -> None:
    for day in range(3):
        tracker = asyncio.run(store.get_or_create_tracker(sender))
        if day:
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(SlotSet("note", f"{day}일째 메모"))
            tracker.update(ActionExecuted("action_listen"))
        tracker.update(user(f"{day}일째 메시지"))
        tracker.update(ActionExecuted("action_recommend"))
        tracker.update(BotUttered(f"{day}일째 추천"))
        asyncio.run(store.save(tracker))


@pytest.mark.parametrize("kind", ["redis", "in_memory"])
def test_retrieve_replays_only_the_latest_session_and_equals_rasas(kind, monkeypatch):
    """Issue 11: the stored events are cut at the last action_session_start before the tracker
    is built; the tracker is the one Rasa's own retrieve returns (events and slots)."""
    from rasa.shared.core.events import Event

    store = _redis_store("latestsession")[0] if kind == "redis" else MaskingTrackerStore(domain=DOMAIN)
    sender = f"rest:latest-{kind}"
    _three_sessions(store, sender)
    rasas = asyncio.run(store.inner.retrieve(sender))
    original = Event.from_parameters   # a staticmethod
    built = []
    monkeypatch.setattr(Event, "from_parameters", staticmethod(
        lambda parameters, *a, **k: built.append(parameters) or original(parameters, *a, **k)))
    ours = asyncio.run(store.retrieve(sender))
    assert [e.as_dict() for e in ours.events] == [e.as_dict() for e in rasas.events]
    assert ours.current_slot_values() == rasas.current_slot_values()
    assert ours.get_slot("note") == "2일째 메모"
    assert [e.get("text") for e in built if e["event"] == "user"] == ["2일째 메시지"]
    assert built[0]["name"] == "action_session_start"
    if kind == "redis":   # the earlier sessions stay stored, and the next turn appends after them
        ours.update(user("3번째 메시지"))
        asyncio.run(store.save(ours))
        texts = [e.get("text") for e in _stored(store.inner.red, store, sender)
                 if e["event"] == "user"]
        assert texts == ["0일째 메시지", "1일째 메시지", "2일째 메시지", "3번째 메시지"]


def test_redis_save_after_an_event_larger_than_the_tail_read_falls_back_to_rasas_save():
    from bot.tracker_store import TAIL_BYTES

    store, client = _redis_store("appendlarge")
    sender = "rest:append-large"
    tracker = asyncio.run(store.get_or_create_tracker(sender))
    tracker.update(BotUttered("긴 안내 " + "가" * TAIL_BYTES))
    asyncio.run(store.save(tracker))
    calls = []
    rasas_save = store.inner.save

    async def counting_save(*args, **kwargs):
        calls.append(1)
        await rasas_save(*args, **kwargs)

    store.inner.save = counting_save
    again = asyncio.run(store.retrieve(sender))
    again.update(user("다음 메시지"))
    asyncio.run(store.save(again))
    assert calls == [1]
    assert [e["event"] for e in _stored(client, store, sender)][-2:] == ["bot", "user"]
