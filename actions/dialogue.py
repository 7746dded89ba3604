"""Conversation actions: session start, small talk, clarifying questions, preferences.

Thin (STYLE.md): read the turn, call ``naviyam.adapters.db.profiles``, answer with the domain's
Korean responses (domain/dialogue.yml), log the turn.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Responder, TurnContext, record_turn
from naviyam.adapters.db import profiles
from naviyam.adapters.db.session import unit_of_work
from naviyam.shared.korean.vocab import is_negative_feedback
from naviyam.adapters.db.users import get_or_create_user, split_sender

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
    "recommendation_log_id", "recommendation_shown_at", "selected_shop_id",
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


def quick_replies(buttons: list[dict] | None) -> list[dict]:
    return [{"title": b["title"], "payload": b["payload"]} for b in buttons or []]


class ActionSessionStart(Action):
    """Starts a session: counts it on the profile and decides whether to onboard.

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
        pending = False
        try:
            metadata = _session_metadata(tracker)
            external_id, platform = split_sender(tracker.sender_id, metadata.get("platform"))
            with unit_of_work() as session:
                pending = profiles.start_session(session, external_id, platform).is_new
        except Exception:  # noqa: BLE001 - a profile problem must not stop the conversation
            log.exception("Could not load the profile of %s at session start", tracker.sender_id)
        events.append(SlotSet("onboarding_pending", pending))
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
        responder = Responder(dispatcher, domain)
        intent = ctx.intent or ""
        if intent == "greet":
            response = ("utter_greet_new_user" if tracker.get_slot("onboarding_pending")
                        else "utter_greet")
        elif intent == "feedback":
            response = ("utter_feedback_negative" if is_negative_feedback(ctx.text)
                        else "utter_feedback")
        else:
            response = SMALL_TALK_RESPONSES.get(intent, "utter_general_chat")
        text, buttons = responder.render(response)
        responder.say_text(text, buttons)
        responder.send_json({"kind": intent or "small_talk", "quick_replies": quick_replies(buttons)})
        record_turn(ctx, responder, user_strategy=strategy(tracker))
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
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, domain)
        ranking = (tracker.latest_message or {}).get("intent_ranking") or []
        candidates = clarify_intents([r.get("name") for r in ranking], responder.responses)
        entities = {name: values[0] for name, values in ctx.entities.items()
                    if name and values and name != "dietary_restrictions"}
        buttons = []
        for intent in candidates:
            title, _ = responder.render(f"utter_clarify_option_{intent}")
            payload = f"/{intent}" + (json.dumps(entities, ensure_ascii=False) if entities else "")
            buttons.append({"title": title, "payload": payload})
        if buttons:
            responder.say("utter_clarify", buttons=buttons)
        else:
            responder.say("utter_clarify_no_options")
        responder.send_json({"kind": "clarify", "quick_replies": buttons})
        record_turn(ctx, responder, user_strategy=strategy(tracker))
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


def preference_summary(responder: Responder, foods: list[str] | None, budget: int | None,
                       restrictions: list[str] | None) -> str:
    """One line per answer ("좋아하는 음식: 치킨, 피자", "한 끼 예산: 5,000원"), domain wording."""
    parts = []
    if foods:
        parts.append(responder.render("utter_summary_foods", foods=", ".join(foods))[0])
    if budget:
        parts.append(responder.render("utter_summary_budget", budget=f"{int(budget):,}")[0])
    if restrictions:
        labels = [responder.render(f"utter_restriction_{code}")[0]
                  if f"utter_restriction_{code}" in responder.responses else code
                  for code in restrictions]
        parts.append(responder.render("utter_summary_restrictions",
                                      restrictions=", ".join(labels))[0])
    return "\n".join(parts)


class ActionUpdatePreferences(Action):
    """A preference said outside onboarding ("나 떡볶이 좋아해") is saved to the profile."""

    def name(self) -> str:
        return "action_update_preferences"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, domain)
        foods = [str(v) for v in ctx.entities.get("food_type", [])]
        restrictions = [str(v) for v in ctx.entities.get("dietary_restrictions", [])]
        budget = profiles.valid_budget(ctx.entity("budget"))
        if not (foods or restrictions or budget):
            responder.say("utter_preference_not_understood")
        else:
            try:
                with unit_of_work() as session:
                    user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
                    profiles.update_preferences(session, user.id, foods=foods, budget=budget,
                                                restrictions=restrictions)
                responder.say("utter_preference_saved",
                              summary=preference_summary(responder, foods, budget, restrictions))
            except Exception:  # noqa: BLE001 - the user gets a polite answer, operators the log
                log.exception("Could not save preferences of %s", ctx.sender_id)
                responder.say("utter_internal_error")
        responder.send_json({"kind": "preferences", "quick_replies": []})
        record_turn(ctx, responder, user_strategy=strategy(tracker))
        return []
