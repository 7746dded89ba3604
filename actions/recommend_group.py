"""Group, urgency and portion in the recommendation dialogue (issue 12), for actions/recommend.py.

- ``budget_scope``: "1인당"/"전체" said in this message (entity or words), or the answer to
  "1인당이에요, 전체예요?" (intent budget_scope); an older slot value never carries over.
- ``ask_scope``: "10명이서 3만원" with no such word is asked back with quick replies; the
  request waits in the ``pending_group_request`` slot and the answer repeats it.
- ``header_notes`` / ``item_note``: what the list says about the group budget, seats
  (unknown said as unknown), urgency and portion, from the result (docs/NLU_DIALOGUE.md).
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions.common import Reply, TurnContext, positive_int, won
from naviyam.domain.recommend.preferences import (
    LARGE, SMALL, URGENT, budget_scope_in_text, needs_scope_question, normalise_portion, normalise_scope,
    portion_in_text,
)
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.recommend.result import RecommendationResult, RecommendedItem

SCOPE_BUTTONS = [
    {"title": "1인당이에요", "payload": '/budget_scope{"budget_scope": "per_person"}'},
    {"title": "전체예요", "payload": '/budget_scope{"budget_scope": "total"}'},
]
ANSWER_INTENT = "budget_scope"
# Intents that refine the request before (a group's party size is kept for these only,
# so "10명이서" does not stick to a later "5천원으로 점심 뭐 먹지").
REFINING_INTENTS = ("group_dining", "menu_option", ANSWER_INTENT)


def party_size(ctx: TurnContext, tracker: Tracker) -> int | None:
    said = positive_int(ctx.entity("party_size"))
    if said is None and ctx.intent in REFINING_INTENTS:
        said = positive_int(tracker.get_slot("party_size"))
    return said


def portion_size(ctx: TurnContext, tracker: Tracker) -> str | None:
    """This message's portion (entity, else its words); "양 많은 걸로" (menu_option) refines the last request."""
    said = normalise_portion(ctx.entity("portion_size")) or portion_in_text(ctx.text)
    if said is None and ctx.intent == "menu_option":
        said = normalise_portion(tracker.get_slot("portion_size"))
    return said


def budget_scope(ctx: TurnContext, tracker: Tracker) -> str | None:
    said = normalise_scope(ctx.entity("budget_scope")) or budget_scope_in_text(ctx.text)
    if said is None and ctx.intent == ANSWER_INTENT:
        said = normalise_scope(tracker.get_slot("budget_scope"))
    return said


def pending_request(ctx: TurnContext, tracker: Tracker) -> RecommendationRequest | None:
    """The group request waiting for this answer (None unless this turn answers the question)."""
    state = tracker.get_slot("pending_group_request")
    if ctx.intent != ANSWER_INTENT or not isinstance(state, dict):
        return None
    scope = budget_scope(ctx, tracker)
    return RecommendationRequest.from_state(
        state, now=ctx.now, session_key=ctx.sender_id, intent="group_dining", budget_scope=scope,
        location=ctx.location or (tuple(state["location"]) if state.get("location") else None))


def should_ask(request: RecommendationRequest) -> bool:
    return needs_scope_question(request.stated_budget, request.party_size, request.budget_scope)


def ask_scope(reply: Reply, request: RecommendationRequest) -> list[dict[str, Any]]:
    """Ask "1인당이에요, 전체예요?" and keep the request for the answer."""
    reply.say("utter_ask_budget_scope", buttons=SCOPE_BUTTONS, party_size=request.party_size,
              budget=won(request.stated_budget))
    reply.send_json({"kind": "ask_budget_scope", "party_size": request.party_size,
                     "budget": request.stated_budget,
                     "quick_replies": SCOPE_BUTTONS})
    return [SlotSet("pending_group_request", request.to_state()), SlotSet("budget_scope", None)]


def done_events(ctx: TurnContext) -> list[dict[str, Any]]:
    """After a recommendation: nothing waits for an answer any more."""
    return [SlotSet("pending_group_request", None), SlotSet("budget_scope", None)]


def header_notes(reply: Reply, result: RecommendationResult) -> list[str]:
    """Lines under the list header: the group budget, seats, urgency, portion."""
    request, lines = result.request, []
    group = result.group_budget
    if group is not None:
        key = "utter_group_budget_total" if group["scope"] == "total" else "utter_group_budget_per_person"
        lines.append(reply.line(key, party_size=group["party_size"], total=won(group["total"]),
                                per_person=won(group["per_person"])))
    if (request.party_size or 1) > 1:
        lines.append(reply.line("utter_group_seats_note", party_size=request.party_size))
    if request.urgency == URGENT:
        lines.append(reply.line("utter_urgency_note"))
    if request.portion_size == LARGE:
        lines.append(reply.line("utter_portion_large_note"))
    elif request.portion_size == SMALL:
        lines.append(reply.line("utter_portion_small_note"))
    return [line for line in lines if line]


def item_note(reply: Reply, item: RecommendedItem) -> str:
    """" · 🪑 40석 (단체 OK)" / " · 🪑 좌석 정보 없음 ..." / " · 🍚 곱빼기 +1,000원" (or "")."""
    notes = []
    if item.group is not None:
        seats = item.group.get("seats")
        if seats is None:
            notes.append(reply.line("utter_group_seats_unknown"))
        else:
            friendly = item.group.get("group_friendly")
            group = reply.line("utter_group_friendly_yes" if friendly else "utter_group_friendly_unknown"
                               if friendly is None else "utter_group_friendly_no")
            notes.append(reply.line("utter_group_seats_known", seats=seats, group=group))
    if item.portion is not None and item.portion.get("option"):
        notes.append(reply.line("utter_portion_option", option=item.portion["option"],
                                extra=won(item.portion["extra_price"])))
    return "".join(f"\n   {note}" for note in notes if note)
