"""Rasa's stored conversation text, read and extended without parsing the whole history (issue 11).

Rasa 3.6's Redis and in-memory tracker stores keep a conversation as one JSON text,
``json.dumps({"events": [...], "name": sender_id})`` with the default separators (``", "``,
``": "``) and ASCII escapes: ``{"events": [{"event": "action", ...}, ...], "name": "kakao:..."}``.
A child who uses the bot every school day has thousands of events there after a year; parsing all
of them on every turn (to replay one session, or to append six events) made each turn slower than
the one before (benchmarks/tracker_history.py).

These helpers rely only on that layout and check it: a JSON string value can never contain an
unescaped ``"``, so ``{"event": "action"`` and ``"name": "action_session_start"`` found in the text
are keys of an event, never text a child wrote. Whenever a check fails (another layout, an event
larger than the window read, a nested match) they return None and the caller parses the whole
text as Rasa does.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional

from rasa.shared.core.constants import ACTION_SESSION_START_NAME

HEAD = '{"events": ['
SEPARATOR = ", "
SESSION_START = '"name": ' + json.dumps(ACTION_SESSION_START_NAME)
ACTION_START = '{"event": "action"'
EVENT_START = '{"event": "'
_DECODER = json.JSONDecoder()


def ending(sender_id: str) -> str:
    """What follows the last event: ``], "name": "<sender>"}``."""
    return '], "name": ' + json.dumps(sender_id) + "}"


def _events_from(text: str, position: int) -> Optional[List[Dict[str, Any]]]:
    """The events from ``position`` to the closing ``]``; None when the text is not laid out so."""
    events: List[Dict[str, Any]] = []
    try:
        while True:
            event, position = _DECODER.raw_decode(text, position)
            if not isinstance(event, dict):
                return None
            events.append(event)
            if text.startswith(SEPARATOR, position):
                position += len(SEPARATOR)
            elif text.startswith("]", position):
                return events
            else:
                return None
    except ValueError:
        return None


def latest_session_events(text: str) -> Optional[List[Dict[str, Any]]]:
    """The serialised events from the last ``action_session_start`` on (all of them when there is
    none), parsing only those; None when the text is not Rasa's layout."""
    if not text.startswith(HEAD):
        return None
    found = text.rfind(SESSION_START)
    if found < 0:
        return [] if text.startswith("]", len(HEAD)) else _events_from(text, len(HEAD))
    start = text.rfind(ACTION_START, 0, found)
    if start < len(HEAD):
        return None
    events = _events_from(text, start)
    return events if events and is_session_start(events[0]) else None


def is_session_start(event: Dict[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME


def latest_session(events: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Serialised events from the last ``action_session_start`` on (all when there is none), as
    Rasa's ``get_trackers_for_conversation_sessions`` splits a conversation (the whole-parse path)."""
    for index in range(len(events) - 1, -1, -1):
        if is_session_start(events[index]):
            return events[index:]
    return events


def last_event(tail: str, sender_id: str) -> Optional[Dict[str, Any]]:
    """The last event of a conversation text whose end is ``tail`` (any suffix of it); None when the
    tail does not hold that event whole or is not Rasa's layout."""
    end = ending(sender_id)
    if not tail.endswith(end):
        return None
    body = tail[: -len(end)]
    start = body.rfind(EVENT_START)
    if start < 0:
        return None
    try:
        event, position = _DECODER.raw_decode(body, start)
    except ValueError:
        return None
    if position != len(body) or not isinstance(event, dict):
        return None   # a nested match, or the event began before the tail
    before = body[:start]
    if before and not before.endswith((SEPARATOR, "[")):
        return None
    return event


def appended(events: List[Dict[str, Any]], sender_id: str) -> str:
    """The text that replaces the conversation's ending to add ``events`` after its last one."""
    return SEPARATOR + SEPARATOR.join(json.dumps(e) for e in events) + ending(sender_id)
