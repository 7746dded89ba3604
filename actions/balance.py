"""Meal-card balance actions: balance_check and balance_charge (issue 4).

Thin: read the turn, call ``naviyam.balance`` (budget, low-balance alert, emergency
coupon rule), render Korean text from domain/balance_coupons.yml plus one
``json_message`` ``{"kind": "balance", "balance": {...}}``, log the turn.
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Responder, TurnContext, record_turn
from naviyam.usecases.low_balance import handle_low_balance
from naviyam.usecases.balance.budget import SpendableBudget, spendable_budget
from naviyam.adapters.card_operator import refresh_card
from naviyam.usecases.coupons.wallet import EMERGENCY_VALID_HOURS
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import get_or_create_user

log = logging.getLogger(__name__)

QUICK_REPLIES = [
    {"title": "예산 안에서 추천", "payload": "/food_request"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
    {"title": "충전 방법", "payload": "/balance_charge"},
]


def won(amount: int | None) -> str:
    return f"{amount:,}원" if amount is not None else ""


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


def balance_lines(responder: Responder, budget: SpendableBudget, now: datetime) -> list[str]:
    """The balance answer as lines (also used by other answers that mention the balance)."""
    if budget.card_status is None:
        return [responder.render("utter_balance_no_card")[0]]
    if not budget.has_card:
        return [responder.render("utter_balance_card_inactive", status=budget.card_status)[0]]
    lines = [responder.render("utter_balance_summary", balance=won(budget.balance))[0]]
    if budget.daily_remaining is not None:
        lines.append(responder.render("utter_balance_daily", daily_remaining=won(budget.daily_remaining))[0])
    if budget.monthly_remaining is not None:
        lines.append(responder.render("utter_balance_monthly",
                                      monthly_remaining=won(budget.monthly_remaining))[0])
    if budget.amount is not None and budget.amount != budget.balance:
        lines.append(responder.render("utter_balance_spendable", amount=won(budget.amount))[0])
    fresh = freshness_text(budget.last_sync_at, now)
    if fresh is None:
        lines.append(responder.render("utter_balance_never_synced")[0])
    else:
        lines.append(responder.render("utter_balance_freshness", freshness=fresh)[0])
        if budget.operator_down:
            lines.append(responder.render("utter_balance_operator_down")[0])
        elif budget.is_stale:
            lines.append(responder.render("utter_balance_stale")[0])
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
        responder = Responder(dispatcher, domain)
        try:
            with unit_of_work() as session:
                user_id = get_or_create_user(session, ctx.external_user_id, ctx.platform).id
                # Best effort: ask the operator for this one card when the figure is old
                # (fails fast when not configured or the breaker is open).
                current = spendable_budget(session, user_id, ctx.now)
                if current.has_card and current.is_stale:
                    refresh_card(session, user_id, ctx.now)
                outcome = handle_low_balance(session, user_id, ctx.now)
        except Exception:  # noqa: BLE001 - nothing half-written; the user gets a polite answer
            log.exception("Balance check failed for %s", ctx.sender_id)
            responder.say("utter_balance_coupons_error")
            responder.send_json({"kind": "error", "quick_replies": QUICK_REPLIES})
            record_turn(ctx, responder)
            return []

        budget = outcome.budget
        lines = balance_lines(responder, budget, ctx.now)
        if budget.has_card and budget.is_low and outcome.alert:
            lines.append(responder.render("utter_balance_low", balance=won(budget.balance))[0])
        responder.say_text("\n".join(lines), buttons=QUICK_REPLIES)
        payload: dict[str, Any] = {
            "kind": "balance",
            "balance": balance_payload(budget, ctx.now),
            "low_balance_alert": bool(outcome.alert),
            "quick_replies": QUICK_REPLIES,
        }
        emergency = outcome.emergency
        if emergency:
            item = emergency.item
            responder.say("utter_emergency_coupon_issued", name=item.name, benefit=item.benefit,
                          hours=EMERGENCY_VALID_HOURS)
            payload["emergency_coupon"] = item.as_payload()
        responder.send_json(payload)
        record_turn(ctx, responder, user_strategy="URGENT" if budget.is_low else None)
        return []


class ActionBalanceChargeInfo(Action):
    def name(self) -> str:
        return "action_balance_charge_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, domain)
        lines = [responder.render("utter_balance_charge_info")[0]]
        card_limits: dict[str, Any] = {}
        try:
            from naviyam.adapters.db.models import FoodcardUser
            from sqlalchemy import select

            with unit_of_work() as session:
                user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
                card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user.id))
                if card is not None and card.daily_limit is not None and card.monthly_limit is not None:
                    card_limits = {"daily_limit": card.daily_limit, "monthly_limit": card.monthly_limit}
        except Exception:  # noqa: BLE001 - the explanation does not need the card
            log.exception("Could not read the card limits of %s", ctx.sender_id)
        if card_limits:
            lines.append(responder.render("utter_balance_charge_limits",
                                          daily_limit=won(card_limits["daily_limit"]),
                                          monthly_limit=won(card_limits["monthly_limit"]))[0])
        buttons = [QUICK_REPLIES[0], {"title": "잔액 확인", "payload": "/balance_check"}]
        responder.say_text("\n".join(lines), buttons=buttons)
        responder.send_json({"kind": "balance_charge", "payments": False, "card_limits": card_limits or None,
                             "quick_replies": buttons})
        record_turn(ctx, responder)
        return []
