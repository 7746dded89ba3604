"""A tracker store that masks personal data before any of Rasa's stores keeps it.

Rasa 3.6 persists every event of a conversation (user texts, parse data with entities,
bot texts, slot values) in its tracker store. This wrapper is registered through
``endpoints.yml`` (Rasa's extension point for custom tracker stores) and delegates to
one of Rasa's own stores, named by ``inner_store`` (not ``store_type``: Rasa reads that key as the type itself) (``in_memory``, ``redis``, ``sql``):

    tracker_store:
      type: bot.tracker_store.MaskingTrackerStore
      inner_store: redis          # every other key goes to RedisTrackerStore unchanged
      url: 127.0.0.1
      port: 6379
      db: 0
      key_prefix: naviyam

``save`` replaces the tracker by a copy whose events went through
``naviyam.shared.personal_data.mask_personal_data`` (user and bot texts, entity values and
texts, message metadata, bot payloads, string slot values); masking is idempotent, so
Rasa's Redis merge of stored and new events still finds them equal. The live tracker of
the turn is not touched: the current answer is computed from what the child wrote, and
only the stored history is masked (so a later turn sees ``[전화번호]``, never the
number). Why a wrapper and not an event broker or a Rasa plugin hook: the broker only
copies events elsewhere, and the plugin hooks are Rasa Pro's.

**Saving to Redis appends** (issue 11). Rasa 3.6's ``RedisTrackerStore.save`` reads and
deserialises the whole stored conversation, merges it with the live tracker event by event
(``_merge_trackers`` compares every new event's dict with every stored one once the
conversation has more than one session: quadratic in the history), and ``stream_events``
reads it once more for the event broker. Measured with py-spy on returning children's
recommendation turns that was a third of the Rasa server's CPU, and it grows with every day a
child keeps using the bot. A tracker this store returned remembers how many events it had
(``STORED_EVENTS``); Rasa only appends to a tracker during a turn (turns of one sender are
serialised by the lock store), so saving masks only the events after that count, appends them
to the stored JSON (same format as Rasa's: ``{"events": [...], "name": ...}``; only the text's end
is read, to check its last event, and rewritten with SETRANGE under WATCH: bot/tracker_text.py)
and publishes
them to the event broker as Rasa's ``_stream_new_events`` does (Rasa's SQL broker: the turn's
rows in one transaction, ``publish_turn``). When anything does not line up
(a new conversation, a tracker not from ``retrieve``, the stored conversation changed since:
its last event is not the tracker's) it falls back to Rasa's own save of the masked tracker.

**Reading only the latest session** (issue 11). Rasa's Redis and in-memory ``retrieve`` build a
tracker from every stored event, replaying the whole history, then split it into one tracker per
session (replaying it again) and return the last: a child who uses the bot every school day
makes each turn slower than the one before. ``retrieve`` here cuts the stored events at the last
``action_session_start`` first (the event Rasa splits on, kept as the session's first event),
parsing only that session's part of the stored text, and replays only that session: the same
tracker, at a cost that no longer grows with the history.
``retrieve_full_tracker`` still returns everything.
"""
from __future__ import annotations

import json
import logging
from typing import Any, Dict, Iterable, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.brokers.sql import SQLEventBroker
from rasa.core.tracker_store import (
    InMemoryTrackerStore, RedisTrackerStore, SQLTrackerStore, TrackerStore, create_tracker_store,
)
from rasa.shared.core.conversation import Dialogue
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from redis.exceptions import WatchError

from bot.tracker_text import appended, ending, last_event, latest_session, latest_session_events
from naviyam.shared.personal_data import mask_in_context

logger = logging.getLogger(__name__)

# Attribute put on a tracker returned by ``retrieve``: how many of its events are stored.
STORED_EVENTS = "_naviyam_stored_events"

# How much of a stored conversation's end a save reads to find its last event (a larger last
# event makes the save fall back to Rasa's merge).
TAIL_BYTES = 16_384

# Set by action_forget_user (domain/privacy.yml) once the user's data was erased.
ERASURE_SLOT = "personal_data_erased_at"

# Keys whose values are identifiers or names, never free text: left as they are.
_IDENTIFIER_KEYS = frozenset({
    "event", "name", "timestamp", "message_id", "sender_id", "input_channel", "policy",
    "action_name", "intent", "intent_ranking", "entity", "extractor", "role", "group",
    "processors", "model_id", "assistant_id", "start", "end", "confidence", "confidence_entity",
    "response_selector", "action_text_ids", "utter_action", "template_name", "response",
})


_FREE_TEXT_FIELDS = ("text", "parse_data", "metadata", "data", "value", "action_text", "entities")


def mask_event(event: Dict[Text, Any]) -> Dict[Text, Any]:
    """A serialised Rasa event with its free text masked; values copied out of its text (a user
    message's entities) lose what masking removed from the text (``mask_in_context``)."""
    text = event.get("text") if isinstance(event.get("text"), str) else None
    fields = {f: event[f] for f in _FREE_TEXT_FIELDS if event.get(f) is not None}
    return {**event, **mask_in_context(fields, text, _IDENTIFIER_KEYS)}


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True when the turn being saved set ``ERASURE_SLOT`` (after the latest user message)."""
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return False
        if isinstance(event, SlotSet) and event.key == ERASURE_SLOT and event.value:
            return True
    return False


def masked_tracker(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """A copy of ``tracker`` whose events carry no personal data."""
    events: List[Dict[Text, Any]] = [mask_event(e.as_dict()) for e in tracker.events]
    copy = DialogueStateTracker.from_dict(
        tracker.sender_id, events, tracker.slots.values(), tracker._max_event_history,
    )
    copy.model_id, copy.assistant_id = tracker.model_id, tracker.assistant_id
    return copy


def publish_turn(broker: EventBroker, sender_id: Text, events: List[Dict[Text, Any]]) -> None:
    """Publish a turn's new events as Rasa's ``_stream_new_events`` does (one message each,
    ``{"sender_id": ..., **event}``, in order).

    Rasa's ``SQLEventBroker.publish`` opens a session and commits once per event, on the
    server's event loop: 8-10 commits for one recommendation turn. For that broker the turn's
    rows go in one transaction instead: the same rows (same ``sender_id`` and ``data``), in
    the same order (ascending ids, which the event consumer reads by), committed before the
    save returns as before, and now all or none. Other brokers (pika) publish one by one.
    """
    messages = [{"sender_id": sender_id, **event} for event in events]
    if isinstance(broker, SQLEventBroker):
        with broker.session_scope() as session:
            for message in messages:   # one add per row keeps the insert order
                session.add(broker.SQLBrokerEvent(sender_id=message.get("sender_id"), data=json.dumps(message)))
            session.commit()
        return
    for message in messages:
        broker.publish(message)


class MaskingTrackerStore(TrackerStore):
    """Rasa's tracker store named by ``inner_store``, fed only masked trackers."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        inner_store: Text = "in_memory",
        **kwargs: Any,
    ) -> None:
        inner_type = None if inner_store in (None, "", "in_memory", "memory") else inner_store
        config = EndpointConfig(url=host, type=inner_type, **kwargs) if inner_type else None
        self._inner = create_tracker_store(config, domain, event_broker)
        super().__init__(domain, event_broker)
        logger.debug("Masking tracker store around %s", type(self._inner).__name__)

    @property
    def inner(self) -> TrackerStore:
        return self._inner

    @property
    def domain(self) -> Domain:  # type: ignore[override]
        return self._inner.domain

    @domain.setter
    def domain(self, domain: Optional[Domain]) -> None:
        if hasattr(self, "_inner"):
            self._inner.domain = domain

    @property
    def max_event_history(self) -> Optional[int]:  # type: ignore[override]
        return self._inner.max_event_history if hasattr(self, "_inner") else None

    @max_event_history.setter
    def max_event_history(self, value: Optional[int]) -> None:
        if hasattr(self, "_inner"):
            self._inner.max_event_history = value

    async def save(self, tracker: DialogueStateTracker) -> None:
        if erasure_requested(tracker):
            self.delete(tracker.sender_id)
            return
        if isinstance(self._inner, RedisTrackerStore) and self._append_to_redis(tracker):
            return
        await self._inner.save(masked_tracker(tracker))
        setattr(tracker, STORED_EVENTS, len(tracker.events))

    def _append_to_redis(self, tracker: DialogueStateTracker) -> bool:
        """Append the tracker's unsaved events, masked, to its stored conversation; False when
        the stored conversation is not the one this tracker was read from (Rasa's save then).
        Only the stored text's end is read and rewritten (bot/tracker_text.py)."""
        stored_count = getattr(tracker, STORED_EVENTS, 0)
        events = list(tracker.events)
        if not 0 < stored_count <= len(events):
            return False
        inner, sender = self._inner, tracker.sender_id
        key = inner.key_prefix + sender
        new: List[Dict[Text, Any]] = []
        try:
            with inner.red.pipeline() as pipe:
                pipe.watch(key)   # another writer in between: EXEC fails, Rasa's merge then
                length = pipe.strlen(key)
                tail = pipe.getrange(key, max(0, length - TAIL_BYTES), -1) if length else ""
                stored_last = last_event(tail, sender) if tail.isascii() else None
                last_read = events[stored_count - 1]
                if stored_last is None or stored_last.get("event") != last_read.type_name \
                        or stored_last.get("timestamp") != last_read.timestamp:
                    return False
                new = [mask_event(event.as_dict()) for event in events[stored_count:]]
                if new:
                    pipe.multi()
                    pipe.setrange(key, length - len(ending(sender)), appended(new, sender))
                    if inner.record_exp:
                        pipe.expire(key, inner.record_exp)
                    pipe.execute()
        except (WatchError, UnicodeDecodeError):
            return False
        if new and inner.event_broker is not None:
            publish_turn(inner.event_broker, sender, new)
        setattr(tracker, STORED_EVENTS, len(events))
        return True

    def delete(self, sender_id: Text) -> None:
        """Remove the stored conversation of ``sender_id`` (Rasa 3.6 stores have no delete)."""
        inner = self._inner
        if isinstance(inner, RedisTrackerStore):
            inner.red.delete(inner.key_prefix + sender_id)
        elif isinstance(inner, SQLTrackerStore):
            with inner.session_scope() as session:
                session.query(inner.SQLEvent).filter(inner.SQLEvent.sender_id == sender_id).delete()
                session.commit()
        elif isinstance(inner, InMemoryTrackerStore):
            inner.store.pop(sender_id, None)
        else:  # refuse loudly rather than pretend: the docs list the supported stores
            raise NotImplementedError(f"erasing a conversation from {type(inner).__name__}")
        logger.info("Erased the stored conversation of one sender (erasure requested in chat)")

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        inner = self._inner
        if isinstance(inner, (RedisTrackerStore, InMemoryTrackerStore)):
            raw = (inner.red.get(inner.key_prefix + sender_id) if isinstance(inner, RedisTrackerStore)
                   else inner.store.get(sender_id))
            tracker = None if raw is None else self._latest_session_tracker(sender_id, raw)
        else:   # SQL: Rasa already reads only the latest session
            tracker = await inner.retrieve(sender_id)
        if tracker is not None:
            setattr(tracker, STORED_EVENTS, len(tracker.events))
        return tracker

    def _latest_session_tracker(self, sender_id: Text, raw: Any) -> DialogueStateTracker:
        events = latest_session_events(raw) if isinstance(raw, str) else None
        if events is None:   # not Rasa's usual layout: parse it all
            events = latest_session(json.loads(raw).get("events") or [])
        tracker = self._inner.init_tracker(sender_id)
        tracker.recreate_from_dialogue(Dialogue.from_parameters({"name": sender_id, "events": events}))
        return tracker

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        return await self._inner.retrieve_full_tracker(sender_id)

    async def keys(self) -> Iterable[Text]:
        return await self._inner.keys()

    async def exists(self, conversation_id: Text) -> bool:
        return await self._inner.exists(conversation_id)
