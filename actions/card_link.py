"""Linking, replacing and unlinking a meal card in chat (issue 12; domain/card_link.yml).

``action_card_link_start`` asks the use case whether the flow may start (agreement,
attempts left today, the card linked now) and sets ``card_link_ready``; the rules then run
``card_link_form``, whose ``validate_card_link_form`` reads the number from the text (any
message with digits while the number is asked; a plain "그만" is left to the rules) and
checks its length (``naviyam.domain.card_link.parse_card_number``). ``action_card_link_submit``
calls ``naviyam.usecases.card_link.link_card`` and clears the slot in the same turn.
``action_card_unlink`` calls ``unlink_card``. Numbers are only ever said masked.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, record_turn, won
from actions.consent import FOR_SLOT, show_notice
from naviyam.domain import card_link as rules
from naviyam.usecases.card_link import LinkOutcome, card_link_start, link_card, unlink_card

CARD_LINK_BUTTON = {"title": "급식카드 등록", "payload": "/card_link"}
AFTER_LINK_BUTTONS = [
    {"title": "예산 안에서 추천", "payload": "/food_request"},
    {"title": "잔액 확인", "payload": "/balance_check"},
]
# Messages that leave the flow when they carry no digits (rules in data/rules/card_link.yml).
EXIT_INTENTS = {"deny", "skip", "goodbye", "cancel_reservation", "forget_me", "card_unlink"}
# Request slots a card number could be mistaken for ("1234-5678-..." read as an amount).
GUARDED_SLOTS = ("budget", "party_size", "option_number")

# A card's operator status as a child reads it (utter_card_link_not_active's {status}).
STATUS_WORDS = {"SUSPENDED": "정지", "LOST": "분실 신고", "EXPIRED": "기간 만료", "INACTIVE": "사용 중지"}

REFUSAL_RESPONSES = {
    rules.UNKNOWN_CARD: "utter_card_link_unknown",
    rules.CARD_NOT_ACTIVE: "utter_card_link_not_active",
    rules.LINKED_ELSEWHERE: "utter_card_link_linked_elsewhere",
    rules.ALREADY_LINKED: "utter_card_link_already_linked",
    rules.TOO_MANY_ATTEMPTS: "utter_card_link_too_many",
    rules.OPERATOR_UNAVAILABLE: "utter_card_link_unavailable",
    rules.NO_CONSENT: "utter_card_link_consent_first",
    rules.NO_DIGITS: "utter_card_link_no_digits",
    rules.WRONG_LENGTH: "utter_card_link_wrong_length",
}


class ActionCardLinkStart(Action):
    def name(self) -> str:
        return "action_card_link_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(ctx, reply, lambda: card_link_start(ctx.sender, ctx.now),
                               failure="Card-link start failed for %s", error="utter_card_link_error",
                               error_events=[SlotSet("card_link_ready", False)])
        if called.answered:
            return called.events
        start = called.value
        payload: dict[str, Any] = {"kind": "card_link", "step": "start", "ready": False}
        consent_events: list[EventType] = []
        if not start.agreed:      # the notice follows; 동의해요 then offers 급식카드 등록 again
            reply.say("utter_card_link_consent_first")
            response = show_notice(reply, start.notice)
            payload.update(refusal=rules.NO_CONSENT, notice=start.notice,
                           quick_replies=reply.common_buttons(response))
            consent_events = [SlotSet(FOR_SLOT, "card_link")]
        elif start.attempts_left <= 0:
            reply.say("utter_card_link_too_many")
            payload["refusal"] = rules.TOO_MANY_ATTEMPTS
        else:
            if start.current_card:
                reply.say("utter_card_link_replace_intro", card=start.current_card)
            else:
                reply.say("utter_card_link_intro")
            payload.update(ready=True, current_card=start.current_card, attempts_left=start.attempts_left)
        reply.send_json(payload)
        record_turn(ctx, reply)
        return [SlotSet("card_link_ready", bool(payload["ready"])), SlotSet("card_number", None),
                *consent_events]


def _slot_before_latest_message(tracker: Tracker, name: str) -> Any:
    """The slot's value before the latest user message filled anything."""
    seen_user = False
    for event in reversed(tracker.events or []):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == name:
            return event.get("value")
    return None


class ValidateCardLinkForm(FormValidationAction):
    def name(self) -> str:
        return "validate_card_link_form"

    async def extract_card_number(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        text = (tracker.latest_message or {}).get("text") or ""
        intent = ((tracker.latest_message or {}).get("intent") or {}).get("name")
        has_digits = any(c.isdigit() for c in text)
        if text.startswith("/") or (not has_digits and intent in EXIT_INTENTS):
            return {}                       # a button or a way out: the rules answer it
        if has_digits or tracker.get_slot("requested_slot") == "card_number":
            return {"card_number": text}
        return {}

    def validate_card_number(self, slot_value: Any, dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        parsed = rules.parse_card_number(str(slot_value or ""))
        # Whatever else the NLU read into the number ("1234" as an amount) is put back.
        restored = {name: _slot_before_latest_message(tracker, name) for name in GUARDED_SLOTS
                    if tracker.get_slot(name) != _slot_before_latest_message(tracker, name)}
        if parsed.digits is None:
            reply = Reply(dispatcher, domain)
            if parsed.problem == rules.WRONG_LENGTH:
                reply.say("utter_card_link_wrong_length", count=parsed.digit_count)
            else:
                reply.say("utter_card_link_no_digits")
            return {"card_number": None, **restored}
        return {"card_number": parsed.digits, **restored}


def balance_line(reply: Reply, outcome: LinkOutcome) -> str:
    budget = outcome.budget
    if budget is None or budget.balance is None:
        return ""
    return reply.line("utter_card_link_balance", balance=won(budget.balance), amount=won(budget.amount or 0))


def render_outcome(reply: Reply, outcome: LinkOutcome) -> dict[str, Any]:
    payload: dict[str, Any] = {"kind": "card_link", "step": "submit", "linked": outcome.linked,
                               "refusal": outcome.refusal, "card": outcome.masked}
    if outcome.linked:
        v = outcome.verification
        key = "utter_card_link_replaced" if outcome.replaced else "utter_card_link_done"
        reply.say(key, buttons=AFTER_LINK_BUTTONS, card=outcome.masked, replaced=outcome.replaced,
                  card_type=v.card_type if v else "급식카드", balance_line=balance_line(reply, outcome))
        payload.update(replaced=outcome.replaced, card_type=v.card_type if v else None,
                       target_age_group=v.target_age_group if v else None,
                       balance=outcome.budget.as_payload() if outcome.budget else None)
        return payload
    key = REFUSAL_RESPONSES.get(outcome.refusal or "", "utter_card_link_error")
    status = STATUS_WORDS.get(outcome.verification.status, "사용 중지") if outcome.verification else ""
    buttons = [CARD_LINK_BUTTON] if outcome.refusal in (rules.UNKNOWN_CARD, rules.WRONG_LENGTH,
                                                        rules.NO_DIGITS) else None
    reply.say(key, buttons=buttons, card=outcome.masked, status=status, count=outcome.digit_count)
    payload["attempts_left"] = outcome.attempts_left
    return payload


class ActionCardLinkSubmit(Action):
    def name(self) -> str:
        return "action_card_link_submit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        done = [SlotSet("card_number", None), SlotSet("card_link_ready", None)]
        number = tracker.get_slot("card_number")
        called = call_use_case(ctx, reply, lambda: link_card(ctx.sender, str(number or ""), ctx.now),
                               failure="Linking a card failed for %s", error="utter_card_link_error",
                               error_json={"kind": "card_link", "step": "submit", "linked": False,
                                           "refusal": "error"},
                               error_events=done)
        if called.answered:
            return called.events
        reply.send_json(render_outcome(reply, called.value))
        record_turn(ctx, reply)
        return done


class ActionCardUnlink(Action):
    def name(self) -> str:
        return "action_card_unlink"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(ctx, reply, lambda: unlink_card(ctx.sender, ctx.now),
                               failure="Unlinking the card of %s failed", error="utter_card_link_error")
        if called.answered:
            return called.events
        masked = called.value
        if masked is None:
            reply.say("utter_card_unlink_none", buttons=[CARD_LINK_BUTTON])
        else:
            reply.say("utter_card_unlinked", buttons=[CARD_LINK_BUTTON], card=masked)
        reply.send_json({"kind": "card_unlink", "unlinked": masked is not None, "card": masked})
        record_turn(ctx, reply)
        return []
