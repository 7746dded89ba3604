"""Erasure in chat ("내 정보 삭제", issue 10): after the user confirmed, forget them.

Thin (STYLE.md): the rules (data/rules/privacy.yml) ask ``utter_forget_confirm`` first
and run this action only on a "네" right after it; the action calls the use case
``naviyam.usecases.forget_user`` for this sender (database rows, cache keys, the tracker
key in Redis) and says what was deleted. It records no turn (the turn log of this user
was just deleted). It sets ``personal_data_erased_at``, the marker on which
``bot.tracker_store.MaskingTrackerStore`` drops the stored conversation when Rasa saves
the tracker after this action (deleting it here would be undone by that save).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Reply
from naviyam.usecases.forget_user import ForgetReport, forget_user

log = logging.getLogger(__name__)

ERASURE_SLOT = "personal_data_erased_at"   # bot/tracker_store.py ERASURE_SLOT


def deleted_items(report: ForgetReport, reply: Reply) -> list[str]:
    """What was deleted, in the user's words (domain/privacy.yml utter_forget_item_*)."""
    rows = report.rows
    items = []
    if rows.get("user_profiles"):
        items.append(reply.line("utter_forget_item_profile"))
    if rows.get("foodcard_users"):
        items.append(reply.line("utter_forget_item_card"))
    if rows.get("user_coupon_wallet"):
        items.append(reply.line("utter_forget_item_coupons"))
    if rows.get("conversations"):
        items.append(reply.line("utter_forget_item_conversations", count=rows["conversations"]))
    if rows.get("recommendations_log"):
        items.append(reply.line("utter_forget_item_recommendations", count=rows["recommendations_log"]))
    items.append(reply.line("utter_forget_item_cache"))
    items.append(reply.line("utter_forget_item_tracker"))
    return [item for item in items if item]


class ActionForgetUser(Action):
    def name(self) -> str:
        return "action_forget_user"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: dict[str, Any]) -> list[EventType]:
        reply = Reply(dispatcher, domain)
        try:
            # anonymous: a sender who never agreed has only an anonymous turn log to delete
            report = forget_user(tracker.sender_id, anonymous=True)
        except Exception:  # noqa: BLE001 - nothing was committed; the user may simply ask again
            log.exception("Erasure in chat failed")
            reply.say("utter_forget_failed")
            reply.send_json({"kind": "forget_user", "error": True})
            return []
        if report.user_id is None:
            reply.say("utter_forget_nothing_stored")
            reply.send_json({"kind": "forget_user", "deleted": {}})
        else:
            reply.say("utter_forget_done", deleted=", ".join(deleted_items(report, reply)))
            reply.send_json({"kind": "forget_user", "deleted": report.rows})
        log.info("Erasure in chat done for one user")
        return [SlotSet(ERASURE_SLOT, datetime.now(timezone.utc).isoformat())]
