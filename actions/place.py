"""Where and when, in the recommendation's answer (issue 12; docs/NLU_DIALOGUE.md "Place and time").

- ``render_ask_location``: no place known → "어디 근처에서 찾을까요?" with the known places
  as buttons (``/inform_place{"location": ...}``), plus ``json_message`` kind
  ``ask_location`` (Telegram adds a share-location keyboard button from that kind).
- ``pending_request``: the request waiting for that answer is resumed with the place.
- ``context_lines``: the first lines of a list: where the search was made when the user
  did not say it this time (the remembered place) and the other time the open filter moved to.
"""
from __future__ import annotations

import json
from typing import Any

from rasa_sdk.events import SlotSet

from actions.common import Reply, TurnContext
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.recommend.result import RecommendationResult

PENDING_SLOT = "pending_place_request"
RESUMING_INTENTS = ("inform_place", "location_inquiry")   # a place alone answers the question
# Said only when the user did not give the place this time (a remembered one).
PLACE_LINES = {"remembered": "utter_place_remembered"}


def place_button(name: str) -> dict[str, str]:
    return {"title": f"📍 {name}", "payload": "/inform_place" + json.dumps({"location": name}, ensure_ascii=False)}


def render_ask_location(reply: Reply, result: RecommendationResult) -> list[dict[str, Any]]:
    """Ask where; the request waits in a slot for the answer."""
    buttons = [place_button(name) for name in result.place_choices]
    if result.request.intent == "inform_place" and result.request.place_name:
        reply.say("utter_place_unknown", place=result.request.place_name)
    reply.say("utter_ask_location", buttons=buttons or None)
    reply.send_json({"kind": "ask_location", "recommendations": [], "quick_replies": buttons,
                     "place_choices": list(result.place_choices), "request_location": True})
    return [SlotSet(PENDING_SLOT, result.request.to_state())]


def pending_request(ctx: TurnContext, tracker: Any, place: Any) -> RecommendationRequest | None:
    """The request that waited for a place, now with this turn's place or position."""
    state = tracker.get_slot(PENDING_SLOT)
    if ctx.intent not in RESUMING_INTENTS or not isinstance(state, dict) or not (ctx.location or place):
        return None
    request = RecommendationRequest.from_state(state, now=ctx.now, session_key=ctx.sender_id, intent=ctx.intent)
    request.location = ctx.location
    request.location_source = "metadata" if ctx.location else None
    request.place_name = None if ctx.location else str(place)
    return request


def context_lines(reply: Reply, result: RecommendationResult) -> list[str]:
    """Where the search was made, and the other time it is for."""
    lines = []
    key = PLACE_LINES.get(result.location_source or "")
    if key and result.place_name:
        lines.append(reply.line(key, place=result.place_name))
    if result.request.time_label:
        lines.append(reply.line("utter_time_shifted", time=result.request.time_label))
    return lines
