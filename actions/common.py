"""What every action needs: the turn's context, replies rendered from the domain, logging.

Actions stay thin (STYLE.md): ``TurnContext.from_tracker`` reads the tracker once,
``Responder`` sends Korean text from the domain's ``responses`` plus one
machine-readable ``json_message``, and ``record_turn`` writes the conversations row
in its own transaction.
"""
from __future__ import annotations

import logging
import random
import re
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from naviyam.config import get_settings
from naviyam.shared.coordinates import parse_location
from naviyam.adapters.db.conversation_log import TurnRecord, log_turn
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import get_or_create_user, split_sender

log = logging.getLogger(__name__)


def latest_user_event(tracker: Tracker) -> dict[str, Any]:
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            return event
    return {}


def _parse_now(raw: Any, settings) -> datetime | None:
    if not raw or not isinstance(raw, str):
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        log.warning("Ignoring metadata.now that is not ISO 8601: %r", raw)
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=settings.timezone)
    return value.astimezone(settings.timezone)


@dataclass
class TurnContext:
    """One user turn as the business logic needs it."""

    sender_id: str
    external_user_id: str
    platform: str
    text: str
    intent: str | None
    confidence: float | None
    entities: dict[str, list[Any]]
    metadata: dict[str, Any]
    now: datetime
    location: tuple[float, float] | None
    previous_intent: str | None = None
    started: float = field(default_factory=time.perf_counter)

    @classmethod
    def from_tracker(cls, tracker: Tracker) -> TurnContext:
        settings = get_settings()
        event = latest_user_event(tracker)
        metadata = dict(event.get("metadata") or {})
        latest = tracker.latest_message or {}
        intent = (latest.get("intent") or {}).get("name")
        confidence = (latest.get("intent") or {}).get("confidence")
        entities: dict[str, list[Any]] = {}
        for entity in latest.get("entities") or []:
            entities.setdefault(entity.get("entity"), []).append(entity.get("value"))
        external_id, platform = split_sender(tracker.sender_id, metadata.get("platform"))
        now = _parse_now(metadata.get("now"), settings) or datetime.now(settings.timezone)
        return cls(
            sender_id=tracker.sender_id,
            external_user_id=external_id,
            platform=platform,
            text=latest.get("text") or "",
            intent=intent,
            confidence=float(confidence) if confidence is not None else None,
            entities=entities,
            metadata=metadata,
            now=now,
            location=parse_location(metadata.get("location")),
            previous_intent=_previous_intent(tracker),
        )

    def entity(self, name: str) -> Any | None:
        values = self.entities.get(name)
        return values[0] if values else None

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)


def _previous_intent(tracker: Tracker) -> str | None:
    seen_latest = False
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        if not seen_latest:
            seen_latest = True
            continue
        return ((event.get("parse_data") or {}).get("intent") or {}).get("name")
    return None


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class Responder:
    """Sends replies rendered from the domain's Korean responses and remembers them."""

    def __init__(self, dispatcher: CollectingDispatcher, domain: dict[str, Any],
                 rng: random.Random | None = None) -> None:
        self.dispatcher = dispatcher
        self.responses = (domain or {}).get("responses") or {}
        self.rng = rng or random.Random()
        self.texts: list[str] = []

    def render(self, response: str, **values: Any) -> tuple[str, list[dict] | None]:
        variants = self.responses.get(response) or []
        if not variants:
            log.error("Response %s is missing from the domain", response)
            return "죄송해요, 잠시 문제가 생겼어요. 다시 한 번 말씀해 주시겠어요?", None
        variant = self.rng.choice(variants)
        text = _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))),
                                variant.get("text") or "")
        return text, variant.get("buttons")

    def say(self, response: str, buttons: list[dict] | None = None, **values: Any) -> str:
        text, default_buttons = self.render(response, **values)
        return self.say_text(text, buttons if buttons is not None else default_buttons)

    def say_text(self, text: str, buttons: list[dict] | None = None) -> str:
        if buttons:
            self.dispatcher.utter_message(text=text, buttons=buttons)
        else:
            self.dispatcher.utter_message(text=text)
        self.texts.append(text)
        return text

    def send_json(self, payload: dict[str, Any]) -> None:
        self.dispatcher.utter_message(json_message=payload)

    @property
    def transcript(self) -> str:
        return "\n".join(self.texts)


def record_turn(ctx: TurnContext, responder: Responder, **extra: Any) -> None:
    """Write this turn to ``conversations`` in its own transaction; never breaks the reply."""
    try:
        with unit_of_work() as session:
            user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
            log_turn(session, TurnRecord(
                session_key=ctx.sender_id,
                input_text=ctx.text,
                response_text=responder.transcript,
                user_id=user.id,
                rasa_intent=ctx.intent,
                intent_confidence=ctx.confidence,
                entities={k: v[0] if len(v) == 1 else v for k, v in ctx.entities.items()},
                previous_intent=ctx.previous_intent,
                processing_time_ms=ctx.elapsed_ms(),
                **extra,
            ))
    except Exception:  # noqa: BLE001 - logging must never cost the user an answer
        log.exception("Could not record the turn of %s", ctx.sender_id)
