"""What every action needs: the turn's context, replies by response name, turn recording.

Actions stay thin (STYLE.md): ``TurnContext.from_tracker`` reads the tracker once, one
use case does the work, ``Reply`` answers with the domain's responses *by name*
(``dispatcher.utter_message(response="utter_...", **values)``) so Rasa's NLG picks the
variation, fills the placeholders and adds the response's buttons (channel-specific
variations and conditions work), plus one machine-readable ``json_message``; and
``record_turn`` hands the conversations row to ``naviyam.usecases.turns``. An action's call
to its use case, with the consent and polite-error answers, is ``actions.calls.call_use_case``.

A message composed of several lines (a recommendation list) is one response with
placeholders (``utter_recommend_list``: {header} {items} {footer}); the line texts are
rendered here by ``Reply.line`` from the responses Rasa sent with the request (never
read from disk).
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
from naviyam.shared.korean.numbers import parse_money
from naviyam.usecases.senders import Sender
from naviyam.usecases.turns import Turn, record_turn as record_turn_row

log = logging.getLogger(__name__)

FALLBACK_RESPONSE = "utter_internal_error"     # domain/core.yml
MAX_MONEY = 1_000_000


# ----------------------------------------------------------------------------- small values

def won(amount: int | None) -> str:
    """5000 → "5,000원" ("" for None)."""
    return f"{amount:,}원" if amount is not None else ""


def positive_int(value: Any) -> int | None:
    """A positive whole number from an entity or slot value, else None."""
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def money(value: Any) -> int | None:
    """An amount in won from an entity or slot value (5000, "5000", "5천원"), else None."""
    if value in (None, ""):
        return None
    try:
        amount = int(float(value))
    except (TypeError, ValueError):
        amount = parse_money(str(value)) or 0
    return amount if 0 < amount <= MAX_MONEY else None


def as_list(value: Any) -> list[str]:
    """An entity or slot value as a list of non-empty strings."""
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def parse_datetime(value: Any) -> datetime | None:
    """An ISO 8601 slot value, else None."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


# ----------------------------------------------------------------------------- the turn

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
    platform_hint: str | None
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
        # A client-set clock and platform are for local trials and tests only (dev mode);
        # otherwise the server's clock and the sender's namespace decide.
        trusted = settings.dev_mode
        now = (_parse_now(metadata.get("now"), settings) if trusted else None) \
            or datetime.now(settings.timezone)
        return cls(
            sender_id=tracker.sender_id,
            platform_hint=metadata.get("platform") if trusted else None,
            text=latest.get("text") or "",
            intent=intent,
            confidence=float(confidence) if confidence is not None else None,
            entities=entities,
            metadata=metadata,
            now=now,
            location=parse_location(metadata.get("location")),
            previous_intent=_previous_intent(tracker),
        )

    @property
    def sender(self) -> Sender:
        return Sender(self.sender_id, self.platform_hint)

    def entity(self, name: str) -> Any | None:
        values = self.entities.get(name)
        return values[0] if values else None

    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self.started) * 1000)

    def turn(self, response_text: str, **extra: Any) -> Turn:
        """This turn as the conversations row records it."""
        return Turn(
            sender=self.sender, input_text=self.text, response_text=response_text,
            intent=self.intent, confidence=self.confidence,
            entities={k: v[0] if len(v) == 1 else v for k, v in self.entities.items()},
            previous_intent=self.previous_intent, processing_time_ms=self.elapsed_ms(), **extra,
        )


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


# ----------------------------------------------------------------------------- replies

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def sent_entry(response: str, values: dict[str, Any]) -> str:
    """How the conversations row records a sent response: ``utter_x key=value ...``."""
    parts = [response] + [f"{key}={value}" for key, value in values.items() if value not in (None, "")]
    return " ".join(parts)


class Reply:
    """The answer to one turn: responses sent by name, one json_message, and their record."""

    def __init__(self, dispatcher: CollectingDispatcher, domain: dict[str, Any] | None,
                 rng: random.Random | None = None) -> None:
        self.dispatcher = dispatcher
        self.responses: dict[str, list[dict[str, Any]]] = (domain or {}).get("responses") or {}
        self.rng = rng or random.Random()
        self.sent: list[str] = []

    def has(self, response: str) -> bool:
        return response in self.responses

    def say(self, response: str, buttons: list[dict[str, Any]] | None = None, **values: Any) -> None:
        """Send ``response`` for Rasa's NLG with ``values`` for its placeholders.

        ``buttons`` are added after the response's own. A response the domain Rasa sent
        does not have (a model trained before it existed) becomes the polite fallback.
        """
        if self.responses and response not in self.responses:
            log.error("Response %s is missing from the domain Rasa sent; retrain the model", response)
            response, buttons, values = FALLBACK_RESPONSE, None, {}
        values = {key: "" if value is None else value for key, value in values.items()}
        self.dispatcher.utter_message(response=response, buttons=buttons, **values)
        self.sent.append(sent_entry(response, values))

    def line(self, response: str, **values: Any) -> str:
        """One line of a composed message, rendered from the domain's responses (a variation at random)."""
        variants = [v for v in self.responses.get(response) or [] if v.get("text")]
        if not variants:
            log.error("Response %s is missing from the domain Rasa sent", response)
            return ""
        text = self.rng.choice(variants)["text"]
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), text)

    def common_buttons(self, response: str) -> list[dict[str, str]]:
        """The buttons every variation of ``response`` has (what the json_message may promise)."""
        variants = self.responses.get(response) or []
        if not variants:
            return []
        first = [{"title": b["title"], "payload": b["payload"]} for b in variants[0].get("buttons") or []]
        return [b for b in first if all(any(o.get("payload") == b["payload"] for o in v.get("buttons") or [])
                                        for v in variants[1:])]

    def note(self, response: str) -> None:
        """Record a response Rasa sends on its own this turn (a form's next question)."""
        self.sent.append(response)

    def send_json(self, payload: dict[str, Any]) -> None:
        self.dispatcher.utter_message(json_message=payload)

    @property
    def transcript(self) -> str:
        return "\n".join(self.sent)


def record_turn(ctx: TurnContext, reply: Reply, **extra: Any) -> None:
    """Write this turn to ``conversations`` (``naviyam.usecases.turns``); never breaks the reply."""
    record_turn_row(ctx.turn(reply.transcript, **extra))
