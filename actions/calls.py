"""An action's call to its use case, and the two answers every such call needs.

Most actions call one use case (STYLE.md) and, when it gives no result, answer in one of
two ways: where the use case needs stored data (``asks_consent``), a sender who has not
agreed yet (``ConsentRequired``) is shown the notice, and the request is offered again after
동의해요 (``actions.consent.ask_for_request``); any other failure gets a polite error response
(the use case wrote nothing: one transaction) and operators get the log. Either way the turn
is recorded and the action returns at once::

    called = call_use_case(ctx, reply, lambda: check_balance(ctx.sender, ctx.now),
                           failure="Balance check failed for %s", error="utter_balance_coupons_error",
                           error_json={"kind": "error", "quick_replies": QUICK_REPLIES},
                           asks_consent=True, consent_for="balance_check")
    if called.answered:
        return called.events
    outcome = called.value
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from rasa_sdk.events import EventType

from actions.common import Reply, TurnContext, record_turn
from actions.consent import ask_for_request
from naviyam.usecases.senders import ConsentRequired

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Called(Generic[T]):
    """The use case's result, or the events of a turn already answered (consent asked, a failure)."""

    value: T | None = None
    events: list[EventType] | None = None

    @property
    def answered(self) -> bool:
        return self.events is not None


def call_use_case(ctx: TurnContext, reply: Reply, call: Callable[[], T], *, failure: str, error: str,
                  error_json: dict[str, Any] | None = None, error_events: list[EventType] | None = None,
                  asks_consent: bool = False, consent_for: str | None = None, **turn: Any) -> Called[T]:
    """Run ``call``. With ``asks_consent``, ``ConsentRequired`` shows the notice (offering the
    request ``consent_for`` again after 동의해요); any other exception logs ``failure`` (with
    the sender id), says ``error``, sends ``error_json`` if given and returns ``error_events``.
    ``turn`` goes to the turn's record."""
    try:
        return Called(value=call())
    except ConsentRequired as needed:   # stored data needs the sender's agreement: ask first
        if not asks_consent:
            return _failed(ctx, reply, failure, error, error_json, error_events, turn)
        events = ask_for_request(reply, needed.notice, consent_for)
    except Exception:  # noqa: BLE001 - nothing half-written; the user gets a polite answer
        return _failed(ctx, reply, failure, error, error_json, error_events, turn)
    record_turn(ctx, reply, **turn)
    return Called(events=events)


def _failed(ctx: TurnContext, reply: Reply, failure: str, error: str, error_json: dict[str, Any] | None,
            error_events: list[EventType] | None, turn: dict[str, Any]) -> Called[Any]:
    log.exception(failure, ctx.sender_id)
    reply.say(error)
    if error_json is not None:
        reply.send_json(error_json)
    record_turn(ctx, reply, **turn)
    return Called(events=list(error_events or []))
