"""Onboarding of new users (seed 001 §3.3.1): consent, favourite foods, usual budget, allergies.

The form's first slot is ``consent`` (issue 10, docs/SECURITY.md "Consent"), asked by
``action_ask_consent`` unless the user already agreed: "동의해요" records the agreement
(``naviyam.usecases.consent.record_consent``) and the questions follow; "동의하지
않아요" ends the form, and ``action_onboarding_save`` says kindly that recommendations
go on without anything being remembered (nothing is written).

``validate_onboarding_form`` reads the answers (typed or from the quick-reply
buttons); a message that is a request rather than an answer ("치킨 먹고 싶어") is not
taken as one, so the form rejects it and the rules in data/rules/onboarding.yml
serve the request first and come back to the question afterwards.
``action_onboarding_save`` writes user_profiles and issues the welcome coupon in one
transaction through the use case ``naviyam.usecases.profile.save_onboarding``.

Passing over a question: each time the form comes back after serving something else
(the rules' "recommend, then back to the question"), ``onboarding_passed_over`` grows.
At ``MAX_PASSES`` the form ends instead of asking again, and the save action defers the
questions: nothing is written unless some were answered, and the user is asked again in
a later conversation while still new. The count is taken only when the form *comes back*
(an action ran after the user's message), never on the user's own turn: events returned
then would stop Rasa from rejecting the form, and the request would not be served.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.card_link import CARD_LINK_BUTTON
from actions.common import Reply, TurnContext, record_turn
from actions.consent import AGREED, CONSENT_SLOT, DECLINED, declined_events, say_declined
from actions.dialogue import preference_summary
from actions.onboarding_answers import WORD_ANSWER_INTENTS, answer_from_words, is_answer
from naviyam.domain.onboarding import SKIPPED, OnboardingAnswers, valid_budget
from naviyam.shared.korean.vocab import normalize_dietary
from naviyam.usecases.consent import record_consent
from naviyam.usecases.profile import save_onboarding
from naviyam.usecases.senders import ConsentRequired

log = logging.getLogger(__name__)

FORM_SLOTS = ("onboarding_foods", "onboarding_budget", "onboarding_restrictions")
ASKED_SLOTS = (CONSENT_SLOT, *FORM_SLOTS)
AGREE_INTENTS = {"consent_agree", "affirm"}          # while the consent question is pending
DECLINE_INTENTS = {"consent_decline", "deny", "skip"}
PASSED_OVER_SLOT = "onboarding_passed_over"
MAX_PASSES = 2
# What the form itself runs; anything else between the user's message and the form
# served the message instead of answering the question.
_FORM_STEPS = {"action_listen", "onboarding_form", "validate_onboarding_form"}
def _answered(tracker: Tracker, events: list[EventType]) -> bool:
    """This message filled an onboarding slot (an answer, a skip or the consent answer)."""
    return any(e.get("event") == "slot" and e.get("name") in ASKED_SLOTS
               and e.get("value") is not None for e in events)


def _record_answer_turn(tracker: Tracker, domain: DomainDict, dispatcher: CollectingDispatcher,
                        events: list[EventType]) -> None:
    """Log a turn that answered an onboarding question and got the next question.

    Only while a question was pending (the form's first run logs nothing: that turn's
    own action logs it) and only when another question follows (the last answer is
    logged by ``action_onboarding_save``). The next question is the first unfilled
    slot, asked by Rasa from the domain's ``utter_ask_<slot>``; the row records that response's name.
    """
    if not tracker.get_slot("requested_slot"):
        return
    values = {name: tracker.get_slot(name) for name in FORM_SLOTS}
    for event in events:
        if event.get("event") == "slot" and event.get("name") in values:
            values[event["name"]] = event.get("value")
    next_slot = next((name for name in FORM_SLOTS if values[name] is None), None)
    if not next_slot:
        return
    reply = Reply(dispatcher, domain)
    reply.note(f"utter_ask_{next_slot}")
    record_turn(TurnContext.from_tracker(tracker), reply, user_strategy="ONBOARDING")


def _returning_after_interruption(tracker: Tracker) -> bool:
    """The active form runs again after another action answered the user's message.

    A question must have been pending: when a request activates the form (the first
    question is about to be asked), Rasa already shows the loop as active, but nothing
    was passed over yet.
    """
    if (tracker.active_loop or {}).get("name") != "onboarding_form" or not tracker.get_slot("requested_slot"):
        return False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "action" and event.get("name") not in _FORM_STEPS:
            return True
    return False


def passed_over(tracker: Tracker) -> int:
    return int(tracker.get_slot(PASSED_OVER_SLOT) or 0)


class ValidateOnboardingForm(FormValidationAction):
    """Extracts and checks the three onboarding answers."""

    def name(self) -> str:
        return "validate_onboarding_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if tracker.get_slot(CONSENT_SLOT) == DECLINED:
            # Declined: nothing else is asked (requested_slot → null ends the form, and
            # the save rule says so); `consent` stays listed so that its answer is kept.
            return [CONSENT_SLOT]
        return list(ASKED_SLOTS)

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[EventType]:
        events = await super().run(dispatcher, tracker, domain)
        # Never add events here for a turn that answered nothing: a form whose
        # validation returns slot events does not reject the turn, and the rules that
        # serve a request first ("recommend, then back to the question") would not run.
        declined = any(e.get("event") == "slot" and e.get("name") == CONSENT_SLOT
                       and e.get("value") == DECLINED for e in events)
        if declined:
            pass                           # action_onboarding_save answers and logs the turn
        elif _answered(tracker, events):
            _record_answer_turn(tracker, domain, dispatcher, events)
        elif _returning_after_interruption(tracker):
            passes = passed_over(tracker) + 1
            events.append(SlotSet(PASSED_OVER_SLOT, passes))
            if passes >= MAX_PASSES:
                events.append(SlotSet("requested_slot", None))   # ends the form; the save rule defers
        return events


    async def extract_consent(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        ctx = TurnContext.from_tracker(tracker)
        if tracker.get_slot("requested_slot") != CONSENT_SLOT:
            return {}
        if ctx.intent in AGREE_INTENTS:
            return {CONSENT_SLOT: AGREED}
        if ctx.intent in DECLINE_INTENTS:
            return {CONSENT_SLOT: DECLINED}
        return {}

    def validate_consent(self, slot_value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        """Agreement is recorded the moment it is given (users.terms_agreed_at/privacy_agreed_at).

        Rasa also validates slots that are already filled when the form activates: an agreement
        given earlier ("동의해요" outside the form, or carried over from the last session) was
        recorded and thanked for then, so it is kept without a second thank-you.
        """
        if slot_value != AGREED or tracker.get_slot("requested_slot") != CONSENT_SLOT:
            return {CONSENT_SLOT: slot_value}
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        try:
            record_consent(ctx.sender, ctx.now)
        except Exception:  # noqa: BLE001 - nothing was written; the question is asked again
            log.exception("Could not record the consent of %s", ctx.sender_id)
            reply.say("utter_consent_failed")
            return {CONSENT_SLOT: None}
        reply.say("utter_consent_thanks")
        return {CONSENT_SLOT: AGREED}

    async def extract_onboarding_foods(self, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        ctx = TurnContext.from_tracker(tracker)
        asked = tracker.get_slot("requested_slot") == "onboarding_foods"
        if asked and ctx.intent == "skip":
            return {"onboarding_foods": SKIPPED}
        if asked and ctx.intent == "deny":
            return {"onboarding_foods": []}
        if is_answer(ctx, tracker, "food_type") and (asked or ctx.intent == "inform"):
            return {"onboarding_foods": [str(v) for v in ctx.entities["food_type"]]}
        return {}

    async def extract_onboarding_budget(self, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        ctx = TurnContext.from_tracker(tracker)
        asked = tracker.get_slot("requested_slot") == "onboarding_budget"
        if asked and ctx.intent in ("skip", "deny"):
            return {"onboarding_budget": SKIPPED}
        if is_answer(ctx, tracker, "budget") and (asked or ctx.intent == "inform"):
            return {"onboarding_budget": ctx.entity("budget")}
        if asked and ctx.intent in WORD_ANSWER_INTENTS:   # "오천원 정도" the NLU was unsure of
            return answer_from_words("onboarding_budget", ctx.text)
        return {}

    async def extract_onboarding_restrictions(self, dispatcher: CollectingDispatcher,
                                              tracker: Tracker,
                                              domain: DomainDict) -> dict[str, Any]:
        ctx = TurnContext.from_tracker(tracker)
        asked = tracker.get_slot("requested_slot") == "onboarding_restrictions"
        if asked and ctx.intent == "skip":
            return {"onboarding_restrictions": SKIPPED}
        if asked and ctx.intent == "deny":
            return {"onboarding_restrictions": []}
        if ctx.entities.get("dietary_restrictions") and (asked or ctx.intent == "inform"):
            codes = []
            for value in ctx.entities["dietary_restrictions"]:
                codes.extend(normalize_dietary(str(value)) or [str(value)])
            return {"onboarding_restrictions": list(dict.fromkeys(codes))}
        if asked and ctx.intent == "inform":   # an answer naming nothing means none
            return answer_from_words("onboarding_restrictions", ctx.text) or {"onboarding_restrictions": []}
        if asked and ctx.intent == "nlu_fallback":   # "없어", "새우 못 먹어" the NLU was unsure of
            return answer_from_words("onboarding_restrictions", ctx.text)
        return {}

    def validate_onboarding_budget(self, slot_value: Any, dispatcher: CollectingDispatcher,
                                   tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        if slot_value == SKIPPED:
            return {"onboarding_budget": slot_value}
        won = valid_budget(slot_value)
        if won is None:
            Reply(dispatcher, domain).say("utter_onboarding_budget_invalid")
            return {"onboarding_budget": None}
        return {"onboarding_budget": won}


def answers_from_slots(tracker: Tracker) -> OnboardingAnswers:
    def listed(value: Any) -> list[str] | None:
        if value is None or value == SKIPPED:
            return None
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    budget = tracker.get_slot("onboarding_budget")
    return OnboardingAnswers(
        foods=listed(tracker.get_slot("onboarding_foods")),
        budget=None if budget in (None, SKIPPED) else valid_budget(budget),
        restrictions=listed(tracker.get_slot("onboarding_restrictions")),
    )


def _deferred(reply: Reply, reset: list[EventType]) -> list[EventType]:
    """Passed over, never answered: ask again in a later conversation; write nothing."""
    reply.say("utter_onboarding_deferred")
    reply.send_json({"kind": "onboarding_deferred", "welcome_coupon": False, "quick_replies": []})
    return reset


class ActionOnboardingSave(Action):
    """Saves the answers to user_profiles, issues the welcome coupon, thanks the user."""

    def name(self) -> str:
        return "action_onboarding_save"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        answers = answers_from_slots(tracker)
        reset = [SlotSet("onboarding_pending", False), SlotSet(PASSED_OVER_SLOT, 0)] + [
            SlotSet(s, None) for s in FORM_SLOTS]
        if tracker.get_slot(CONSENT_SLOT) == DECLINED:
            # Declined: nothing is stored; recommendations go on anonymously.
            say_declined(reply)
            record_turn(ctx, reply, user_strategy="ONBOARDING")
            return reset + declined_events()
        if passed_over(tracker) >= MAX_PASSES and not any(
                tracker.get_slot(s) is not None for s in FORM_SLOTS):
            return _deferred(reply, reset)
        coupon = False
        try:
            coupon = save_onboarding(ctx.sender, answers, ctx.now).welcome_coupon
        except ConsentRequired:     # the consent question was passed over: nothing is stored
            return _deferred(reply, reset)
        except Exception:  # noqa: BLE001 - nothing was written; the user gets a polite answer
            log.exception("Could not save the onboarding answers of %s", ctx.sender_id)
            reply.say("utter_internal_error")
        else:
            summary = preference_summary(reply, answers.foods, answers.budget, answers.restrictions)
            if summary:
                reply.say("utter_onboarding_done", summary=summary)
            else:
                reply.say("utter_onboarding_skipped")
            reply.say("utter_card_link_offer", buttons=[CARD_LINK_BUTTON])   # issue 12
            if coupon:
                reply.say("utter_welcome_coupon")
        reply.send_json({"kind": "onboarding_done", "welcome_coupon": bool(coupon),
                         "quick_replies": [CARD_LINK_BUTTON]})
        record_turn(ctx, reply, user_strategy="ONBOARDING")
        return reset
