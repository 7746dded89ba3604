"""Feedback that is kept (issue 12): "맛있었어", "별로였어", "별점 4점", "거기 문 닫았던데".

Thin: find the shop the feedback is about (a numbered option in the text, else the chosen
shop, else the only one shown; several shown and none chosen → ask which), call
``naviyam.usecases.feedback.give_feedback``, and thank with the response that says what
was really done (excluded for a while, queued for the operator, or just stored).
"""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, parse_datetime, positive_int, record_turn
from naviyam.domain.feedback import CLOSED, LIKED, NOTED, RATED
from naviyam.usecases.feedback import FeedbackOutcome, FeedbackTarget, give_feedback

_NUMBERED = re.compile(r"([1-9])\s*번")
MORE_BUTTON = [{"title": "다른 추천 보기", "payload": "/request_more"}]


def feedback_target(ctx: TurnContext, tracker: Tracker) -> FeedbackTarget | str | None:
    """The shop the feedback is about; "ask" when several were shown and none chosen; None when none."""
    options = [o for o in tracker.get_slot("last_recommendations") or [] if isinstance(o, dict)]
    log_id = positive_int(tracker.get_slot("recommendation_log_id"))
    shown_at = parse_datetime(tracker.get_slot("recommendation_shown_at"))
    selected = positive_int(tracker.get_slot("selected_shop_id"))
    shown_ids = [positive_int(o.get("shop_id")) for o in options]
    numbered = _NUMBERED.search(ctx.text or "")
    number = int(numbered.group(1)) if numbered else None
    if number is not None and 1 <= number <= len(options) and shown_ids[number - 1]:
        shop = shown_ids[number - 1]
        return FeedbackTarget(shop, log_id, chosen=shop == selected, shown_at=shown_at)
    if selected is not None:
        in_this_list = selected in shown_ids
        return FeedbackTarget(selected, log_id if in_this_list else None, chosen=True,
                              shown_at=shown_at if in_this_list else None)
    if len(options) == 1 and shown_ids[0]:
        return FeedbackTarget(shown_ids[0], log_id, chosen=False, shown_at=shown_at)
    return "ask" if options else None


def thanks_response(outcome: FeedbackOutcome) -> str:
    """The response that says only what was done."""
    kind, excluded = outcome.reading.kind, outcome.excluded_until is not None
    if kind == CLOSED:
        return "utter_feedback_closed_reported" if excluded else "utter_feedback_closed_queued"
    if outcome.reading.excludes_shop:
        return "utter_feedback_disliked_excluded" if excluded else "utter_feedback_disliked_kept"
    return {RATED: "utter_feedback_rated", LIKED: "utter_feedback_liked", NOTED: "utter_feedback_noted"}.get(
        kind, "utter_feedback_noted")


def payload(outcome: FeedbackOutcome) -> dict[str, Any]:
    return {"kind": "feedback", "stored": True,
            "feedback": {"feedback_id": outcome.feedback_id, "shop_id": outcome.shop_id,
                         "feedback_kind": outcome.reading.kind, "rating": outcome.reading.rating,
                         "excluded_until": outcome.excluded_until.isoformat() if outcome.excluded_until else None,
                         "closure_report_id": outcome.closure_report_id, "updated": outcome.updated}}


class ActionFeedback(Action):
    def name(self) -> str:
        return "action_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        target = feedback_target(ctx, tracker)
        if not isinstance(target, FeedbackTarget):
            reply.say("utter_feedback_which_shop" if target == "ask" else "utter_feedback_no_shop")
            reply.send_json({"kind": "feedback", "stored": False, "quick_replies": []})
            record_turn(ctx, reply)
            return []
        called = call_use_case(
            ctx, reply, lambda: give_feedback(ctx.sender, target, ctx.text, ctx.now,
                                              channel=tracker.get_latest_input_channel()),
            failure="Storing feedback of %s failed", error="utter_feedback_error",
            error_json={"kind": "error", "stored": False},
            asks_consent=True, consent_for="feedback")   # feedback is kept against the user
        if called.answered:
            return called.events
        outcome = called.value
        response = thanks_response(outcome)
        reply.say(response, shop_name=outcome.shop_name, rating=outcome.reading.rating)
        reply.send_json({**payload(outcome), "quick_replies": reply.common_buttons(response) or MORE_BUTTON})
        record_turn(ctx, reply)
        return []
