"""Meal-card balance actions: balance_check and balance_charge (issue 4).

Thin: read the turn, call one use case (``naviyam.usecases.balance_check``: budget,
low-balance alert, emergency coupon rule; the card's limits), answer with
domain/balance_coupons.yml's responses by name plus one ``json_message``
``{"kind": "balance", "balance": {...}}``, log the turn.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.card_link import CARD_LINK_BUTTON
from actions.common import Reply, TurnContext, record_turn, won
from naviyam.usecases.balance.budget import SpendableBudget
from naviyam.usecases.balance_check import card_limits, check_balance
from naviyam.usecases.coupons.issuance import EMERGENCY_VALID_HOURS

log = logging.getLogger(__name__)

QUICK_REPLIES = [
    {"title": "예산 안에서 추천", "payload": "/food_request"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
    {"title": "충전 방법", "payload": "/balance_charge"},
]


def freshness_text(last_sync_at: datetime | None, now: datetime) -> str | None:
    """'방금 전', '3분 전', '2시간 전', '3일 전' (None when never synced)."""
    if last_sync_at is None:
        return None
    if last_sync_at.tzinfo is None:
        last_sync_at = last_sync_at.replace(tzinfo=timezone.utc)
    seconds = max(0, int((now - last_sync_at).total_seconds()))
    if seconds < 60:
        return "방금 전"
    if seconds < 3600:
        return f"{seconds // 60}분 전"
    if seconds < 86400:
        return f"{seconds // 3600}시간 전"
    return f"{seconds // 86400}일 전"


def balance_details(reply: Reply, budget: SpendableBudget, now: datetime) -> list[str]:
    """The lines under the balance of an active card: limits left, spendable, how fresh."""
    lines = []
    if budget.daily_remaining is not None:
        lines.append(reply.line("utter_balance_daily", daily_remaining=won(budget.daily_remaining)))
    if budget.monthly_remaining is not None:
        lines.append(reply.line("utter_balance_monthly", monthly_remaining=won(budget.monthly_remaining)))
    if budget.amount is not None and budget.amount != budget.balance:
        lines.append(reply.line("utter_balance_spendable", amount=won(budget.amount)))
    fresh = freshness_text(budget.last_sync_at, now)
    if fresh is None:
        lines.append(reply.line("utter_balance_never_synced"))
    else:
        lines.append(reply.line("utter_balance_freshness", freshness=fresh))
        if budget.operator_down:
            lines.append(reply.line("utter_balance_operator_down"))
        elif budget.is_stale:
            lines.append(reply.line("utter_balance_stale"))
    return lines


def balance_payload(budget: SpendableBudget, now: datetime) -> dict[str, Any]:
    data = budget.as_payload()
    data["freshness_text"] = freshness_text(budget.last_sync_at, now)
    return data


class ActionCheckBalance(Action):
    def name(self) -> str:
        return "action_check_balance"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(ctx, reply, lambda: check_balance(ctx.sender, ctx.now),
                               failure="Balance check failed for %s", error="utter_balance_coupons_error",
                               error_json={"kind": "error", "quick_replies": QUICK_REPLIES},
                               asks_consent=True, consent_for="balance_check")   # a card or a wallet is stored data
        if called.answered:
            return called.events
        outcome = called.value
        budget = outcome.budget
        if budget.card_status is None:   # no card yet: offer to link one (issue 12)
            reply.say("utter_balance_no_card", buttons=[CARD_LINK_BUTTON] + QUICK_REPLIES)
        elif not budget.has_card:
            reply.say("utter_balance_card_inactive", buttons=[CARD_LINK_BUTTON] + QUICK_REPLIES,
                      status=budget.card_status)
        else:
            details = balance_details(reply, budget, ctx.now)
            if budget.is_low and outcome.alert:
                details.append(reply.line("utter_balance_low", balance=won(budget.balance)))
            reply.say("utter_balance_summary", buttons=QUICK_REPLIES, balance=won(budget.balance),
                      details="\n".join(details))
        payload: dict[str, Any] = {
            "kind": "balance",
            "balance": balance_payload(budget, ctx.now),
            "low_balance_alert": bool(outcome.alert),
            "quick_replies": QUICK_REPLIES,
        }
        emergency = outcome.emergency
        if emergency:
            item = emergency.item
            reply.say("utter_emergency_coupon_issued", name=item.name, benefit=item.benefit,
                      hours=EMERGENCY_VALID_HOURS)
            payload["emergency_coupon"] = item.as_payload()
        reply.send_json(payload)
        record_turn(ctx, reply, user_strategy="URGENT" if budget.is_low else None)
        return []


class ActionBalanceChargeInfo(Action):
    def name(self) -> str:
        return "action_balance_charge_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        limits = None
        try:
            limits = card_limits(ctx.sender)
        except Exception:  # noqa: BLE001 - the explanation does not need the card
            log.exception("Could not read the card limits of %s", ctx.sender_id)
        buttons = [QUICK_REPLIES[0], {"title": "잔액 확인", "payload": "/balance_check"}]
        if limits is None:
            reply.say("utter_balance_charge_info", buttons=buttons)
        else:
            reply.say("utter_balance_charge_limits", buttons=buttons, info=reply.line("utter_balance_charge_info"),
                      daily_limit=won(limits.daily_limit), monthly_limit=won(limits.monthly_limit))
        reply.send_json({"kind": "balance_charge", "payments": False,
                         "card_limits": limits.to_payload() if limits else None, "quick_replies": buttons})
        record_turn(ctx, reply)
        return []
