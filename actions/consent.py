"""Consent (issue 10, docs/SECURITY.md "Consent"): the notice and the answers to it.

Thin (STYLE.md): ``action_ask_consent`` reads which notice fits
(``naviyam.usecases.consent.consent_state``: the guardian notice under 14, both when
the age is unknown) and shows it with two quick replies (동의해요 / 동의하지 않아요, the
response's buttons, rendered by each channel like every other button). The onboarding
form asks its first slot, ``consent``, with it (actions/onboarding.py takes the answer).

Outside the form, a request that needs stored data (coupons, balance, a preference)
answers with :func:`ask_for_request` instead; the answer then reaches
``action_consent_agree`` (records ``users.terms_agreed_at`` / ``privacy_agreed_at``
through ``record_consent``, offers the request again as a button) or
``action_consent_decline`` (a kind word; nothing is stored, the onboarding is not
offered again in this conversation).
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Reply, TurnContext, record_turn
from naviyam.domain.consent import NOTICE_BOTH, NOTICE_CHILD, NOTICE_OLDER
from naviyam.usecases.consent import consent_state, record_consent

log = logging.getLogger(__name__)

CONSENT_SLOT = "consent"
FOR_SLOT = "consent_for"
AGREED, DECLINED = "agreed", "declined"
NOTICE_RESPONSES = {
    NOTICE_CHILD: "utter_consent_notice_child",
    NOTICE_OLDER: "utter_consent_notice_older",
    NOTICE_BOTH: "utter_consent_notice_both",
}


def show_notice(reply: Reply, notice: str) -> str:
    """The notice for ``notice`` with its two quick replies (the response's buttons)."""
    response = NOTICE_RESPONSES.get(notice, NOTICE_RESPONSES[NOTICE_BOTH])
    reply.say(response)
    return response


def ask_for_request(reply: Reply, notice: str, intent: str | None) -> list[EventType]:
    """A request needs stored data the sender has not agreed to: say so, show the notice.

    This is the request's answer, so it carries the turn's one json_message.
    """
    reply.say("utter_consent_needed")
    response = show_notice(reply, notice)
    reply.send_json({"kind": "consent", "notice": notice, "for": intent,
                     "quick_replies": reply.common_buttons(response)})
    return [SlotSet(FOR_SLOT, intent)]


class ActionAskConsent(Action):
    """The consent question (the onboarding form's ``consent`` slot).

    Like the form's other questions it sends no json_message: it follows the answer of
    another action in the same turn (a recommendation, a greeting) whose payload stands.
    """

    def name(self) -> str:
        return "action_ask_consent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        try:
            notice = consent_state(ctx.sender, ctx.now.date()).notice
        except Exception:  # noqa: BLE001 - the notice that covers everyone is always right
            log.exception("Could not read the consent state of %s", ctx.sender_id)
            notice = NOTICE_BOTH
        show_notice(reply, notice)
        return []


class ActionConsentAgree(Action):
    """동의해요 outside the onboarding form: record the agreement, offer the request again."""

    def name(self) -> str:
        return "action_consent_agree"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        if tracker.get_slot(CONSENT_SLOT) == AGREED:
            reply.say("utter_consent_already")
            reply.send_json({"kind": "consent_agreed", "quick_replies": []})
            record_turn(ctx, reply)
            return []
        try:
            record_consent(ctx.sender, ctx.now)
        except Exception:  # noqa: BLE001 - nothing was written; the user may press again
            log.exception("Could not record the consent of %s", ctx.sender_id)
            reply.say("utter_consent_failed")
            reply.send_json({"kind": "error", "quick_replies": []})
            return []
        buttons = retry_buttons(reply, tracker.get_slot(FOR_SLOT))
        if buttons:
            reply.say("utter_consent_thanks_retry", buttons=buttons)
        else:
            reply.say("utter_consent_thanks")
        reply.send_json({"kind": "consent_agreed", "quick_replies": buttons})
        record_turn(ctx, reply)
        return [SlotSet(CONSENT_SLOT, AGREED), SlotSet(FOR_SLOT, None)]


def retry_buttons(reply: Reply, intent: str | None) -> list[dict[str, str]]:
    """The request that asked for consent, as one button (its clarify-option title)."""
    response = f"utter_clarify_option_{intent}"
    if not intent or not reply.has(response):
        return []
    return [{"title": reply.line(response), "payload": f"/{intent}"}]


class ActionConsentDecline(Action):
    """동의하지 않아요: nothing is stored; recommendations go on without remembering anything."""

    def name(self) -> str:
        return "action_consent_decline"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        if tracker.get_slot(CONSENT_SLOT) == AGREED:
            reply.say("utter_consent_already")      # erasure is "내 정보 삭제"
            reply.send_json({"kind": "consent_agreed", "quick_replies": []})
            record_turn(ctx, reply)
            return []
        say_declined(reply)
        record_turn(ctx, reply)
        return declined_events()


def say_declined(reply: Reply) -> None:
    reply.say("utter_consent_declined")
    reply.send_json({"kind": "consent_declined", "quick_replies": []})


def declined_events() -> list[EventType]:
    """Remember the answer for this conversation; the onboarding is not offered again in it."""
    return [SlotSet(CONSENT_SLOT, DECLINED), SlotSet(FOR_SLOT, None), SlotSet("onboarding_pending", False)]
