"""Conversation actions: session start, small talk, clarifying questions, preferences.

Thin (STYLE.md): read the turn, call one use case (``naviyam.usecases.profile``), answer
with the domain's Korean responses by name (domain/dialogue.yml), log the turn.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, record_turn
from actions.onboarding_answers import form_takes_it
from naviyam.domain.onboarding import valid_budget
from naviyam.shared.korean.vocab import is_negative_feedback
from naviyam.usecases.profile import save_preferences, start_session
from naviyam.usecases.senders import Sender

log = logging.getLogger(__name__)

# Slots a new session starts without (docs/NLU_DIALOGUE.md): the request, the
# onboarding answers, the recommendation thread ("2번" must not pick from yesterday's
# list) and Rasa's per-session metadata. Every other slot is carried over.
NOT_CARRIED_SLOTS = frozenset({
    "budget", "food_type", "time_preference", "party_size", "location", "taste_preference",
    "companions", "urgency", "dietary_restrictions", "portion_size", "option_number",
    "onboarding_foods", "onboarding_budget", "onboarding_restrictions", "requested_slot",
    "onboarding_pending", "session_started_metadata",
    "shown_shop_ids", "last_recommendations", "last_recommendation_request",
    "recommendation_log_id", "recommendation_shown_at", "selected_shop_id", "pending_place_request",
    "consent", "consent_for",          # set again from the database at every session start
})

SMALL_TALK_RESPONSES = {
    "goodbye": "utter_goodbye",
    "thanks": "utter_thanks",
    "affirm": "utter_affirm",
    "deny": "utter_deny",
    "general_chat": "utter_general_chat",
    "help": "utter_help",
    "out_of_scope": "utter_out_of_scope",
    "inform": "utter_preference_not_understood",
    "skip": "utter_onboarding_skipped",
}

# Intents the clarifying question may offer, in the order used to pad the options.
CLARIFY_DEFAULTS = ("food_request", "budget_inquiry", "help")
MAX_CLARIFY_OPTIONS = 3


def strategy(tracker: Tracker) -> str:
    return "ONBOARDING" if tracker.get_slot("onboarding_pending") else "NORMAL"


class ActionSessionStart(Action):
    """Starts a session: counts it on the profile and decides whether to onboard.

    ``consent`` is "agreed" when the user agreed (docs/SECURITY.md "Consent"), else unset:
    nothing is counted or created for a sender who has not agreed.

    Request and recommendation-thread slots (``NOT_CARRIED_SLOTS``) are not carried
    into a new session; the others are (domain/core.yml carry_over_slots_to_new_session).
    """

    def name(self) -> str:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        events: list[EventType] = [SessionStarted()]
        carry = ((domain or {}).get("session_config") or {}).get(
            "carry_over_slots_to_new_session", True)
        if carry:
            for name, value in (tracker.slots or {}).items():
                if name not in NOT_CARRIED_SLOTS and value is not None:
                    events.append(SlotSet(name, value))
        pending, agreed = False, False
        try:
            started = start_session(Sender(tracker.sender_id, _session_metadata(tracker).get("platform")))
            pending, agreed = started.onboarding_pending, started.agreed
        except Exception:  # noqa: BLE001 - a profile problem must not stop the conversation
            log.exception("Could not load the profile of %s at session start", tracker.sender_id)
        events.append(SlotSet("onboarding_pending", pending))
        events.append(SlotSet("consent", "agreed" if agreed else None))
        events.append(ActionExecuted("action_listen"))
        return events


def _session_metadata(tracker: Tracker) -> dict[str, Any]:
    metadata = tracker.get_slot("session_started_metadata")
    if isinstance(metadata, dict) and metadata:
        return dict(metadata)
    for event in reversed(tracker.events or []):
        if event.get("event") in ("session_started", "user") and event.get("metadata"):
            return dict(event["metadata"])
    return {}


class ActionSmallTalk(Action):
    """Greeting, goodbye, thanks, yes/no, small talk, help, out of scope, feedback."""

    def name(self) -> str:
        return "action_small_talk"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        intent = ctx.intent or ""
        if intent == "greet":
            response = ("utter_greet_new_user" if tracker.get_slot("onboarding_pending")
                        else "utter_greet")
        elif intent == "feedback":
            response = ("utter_feedback_negative" if is_negative_feedback(ctx.text)
                        else "utter_feedback")
        else:
            response = SMALL_TALK_RESPONSES.get(intent, "utter_general_chat")
        reply.say(response)
        # Rasa picks the variation; the payload names the buttons every variation offers.
        reply.send_json({"kind": intent or "small_talk", "quick_replies": reply.common_buttons(response)})
        record_turn(ctx, reply, user_strategy=strategy(tracker))
        return []


class ActionClarify(Action):
    """Low NLU confidence (nlu_fallback): ask which of the likely requests was meant.

    Seed 001 §3.1 step 3.4: below 0.7 the bot asks back instead of guessing. The
    options are the most likely intents of the ranking; each button carries the
    entities already understood, so "5천원..." keeps its budget after the click.
    """

    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        if form_takes_it(tracker):
            # "없어" to the allergy question, unsure to the NLU: the onboarding form runs next
            # (data/rules/onboarding.yml) and takes it as the answer; no question back.
            return []
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        candidates = clarify_intents([r.get("name") for r in ranking], reply.responses)
        entities = {name: values[0] for name, values in ctx.entities.items()
                    if name and values and name != "dietary_restrictions"}
        buttons = []
        for intent in candidates:
            title = reply.line(f"utter_clarify_option_{intent}")
            payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
            buttons.append({"title": title, "payload": payload})
        if buttons:
            reply.say("utter_clarify", buttons=buttons)
        else:
            reply.say("utter_clarify_no_options")
        reply.send_json({"kind": "clarify", "quick_replies": buttons})
        record_turn(ctx, reply, user_strategy=strategy(tracker))
        return []


def clarify_intents(ranked: list[str | None], responses: dict[str, Any]) -> list[str]:
    """Up to three intents to offer: the ranking first, then the usual requests."""
    chosen: list[str] = []
    for intent in [*ranked, *CLARIFY_DEFAULTS]:
        if not intent or intent in chosen or f"utter_clarify_option_{intent}" not in responses:
            continue
        chosen.append(intent)
        if len(chosen) == MAX_CLARIFY_OPTIONS:
            break
    return chosen


def preference_summary(reply: Reply, foods: list[str] | None, budget: int | None,
                       restrictions: list[str] | None) -> str:
    """One line per answer ("좋아하는 음식: 치킨, 피자", "한 끼 예산: 5,000원"), domain wording."""
    parts = []
    if foods:
        parts.append(reply.line("utter_summary_foods", foods=", ".join(foods)))
    if budget:
        parts.append(reply.line("utter_summary_budget", budget=f"{int(budget):,}"))
    if restrictions:
        labels = [reply.line(f"utter_restriction_{code}") if reply.has(f"utter_restriction_{code}") else code
                  for code in restrictions]
        parts.append(reply.line("utter_summary_restrictions", restrictions=", ".join(labels)))
    return "\n".join(parts)


class ActionUpdatePreferences(Action):
    """A preference said outside onboarding ("나 떡볶이 좋아해") is saved to the profile."""

    def name(self) -> str:
        return "action_update_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        foods = [str(v) for v in ctx.entities.get("food_type", [])]
        restrictions = [str(v) for v in ctx.entities.get("dietary_restrictions", [])]
        budget = valid_budget(ctx.entity("budget"))
        done = {"kind": "preferences", "quick_replies": []}
        if not (foods or restrictions or budget):
            reply.say("utter_preference_not_understood")
        else:
            called = call_use_case(   # nothing stored without agreement: asks for it
                ctx, reply, lambda: save_preferences(ctx.sender, foods=foods, budget=budget,
                                                     restrictions=restrictions, now=ctx.now),
                failure="Could not save preferences of %s", error="utter_internal_error", error_json=done,
                asks_consent=True, user_strategy=strategy(tracker))
            if called.answered:
                return called.events
            reply.say("utter_preference_saved", summary=preference_summary(reply, foods, budget, restrictions))
        reply.send_json(done)
        record_turn(ctx, reply, user_strategy=strategy(tracker))
        return []
