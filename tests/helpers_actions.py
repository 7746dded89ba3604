"""Actions driven in the test process (no Rasa): a tracker for one user turn, a run, what it said.

``make_tracker`` builds the tracker Rasa would hand the action server for a user message
(the message's intent, entities and metadata; the slots and the active loop as given);
``run`` runs one action and returns its events and its messages as Rasa renders them
(tests/helpers_nlg.py); ``Chat`` is one user's conversation whose slots carry over from
turn to turn as Rasa keeps them.
"""
from __future__ import annotations

import asyncio
from typing import Any, Iterable

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from helpers_nlg import said


def make_tracker(sender_id: str, text: str = "", intent: str | None = None,
                 entities: Iterable[dict] | None = None, *, slots: dict | None = None,
                 metadata: dict | None = None, ranking: list[dict] | None = None,
                 active_loop: dict | None = None, confidence: float = 0.95) -> Tracker:
    """The tracker after the user said ``text``; with no ``intent``, one with no user message yet."""
    message: dict[str, Any] = {"text": text, "intent": {"name": intent, "confidence": confidence} if intent else {},
                               "entities": list(entities or [])}
    if ranking is not None:
        message["intent_ranking"] = ranking
    events = [{"event": "user", "text": text, "parse_data": message,
               "metadata": metadata or {}}] if intent else []
    return Tracker(sender_id, slots or {}, message, events, False, None, active_loop or {}, "action_listen")


def run(action, tracker: Tracker, domain: dict) -> tuple[list[dict], list[dict]]:
    """The action's events, and its messages as Rasa renders them (tests/helpers_nlg.py)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return events, said(dispatcher, domain)


def texts(messages: list[dict]) -> str:
    return "\n".join(m["text"] for m in messages if m.get("text"))


def slots_of(events: list[dict]) -> dict:
    """The slots the action set."""
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def custom(messages: list[dict]) -> dict:
    """The turn's json_message (the last one sent)."""
    return [m["custom"] for m in messages if m.get("custom")][-1]


class Chat:
    """One user's conversation: the slots carry over as Rasa would keep them."""

    def __init__(self, domain: dict, sender: str, *, metadata: dict | None = None) -> None:
        self.domain, self.sender, self.metadata, self.slots = domain, sender, metadata, {}

    def turn(self, action, text: str, intent: str, entities: list[dict] | None = None) -> list[dict]:
        for e in entities or []:
            if e["entity"] in self.domain["slots"]:
                self.slots[e["entity"]] = e["value"]
        tracker = make_tracker(self.sender, text, intent, entities, slots=dict(self.slots), metadata=self.metadata)
        events, messages = run(action, tracker, self.domain)
        self.slots.update(slots_of(events))
        return messages
