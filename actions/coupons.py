"""Coupon action: coupon_inquiry lists the wallet (active, used, expired) (issue 4).

Thin: read the turn, call ``naviyam.usecases.coupon_listing.list_coupons``, answer with
domain/balance_coupons.yml's responses by name plus one ``json_message``
``{"kind": "coupons", "coupons": [...], "counts": {...}}`` where each coupon carries
its ``status`` (ACTIVE, RESERVED with its ``reservation_code``, USED, EXPIRED).
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, record_turn
from naviyam.config import get_settings
from naviyam.domain.coupon_rules import as_utc
from naviyam.domain.redeem_code import spaced
from naviyam.usecases.coupon_listing import WalletItem, WalletListing, list_coupons

MAX_LISTED = 5
QUICK_REPLIES = [
    {"title": "쿠폰 쓸 수 있는 곳 추천", "payload": "/food_request"},
    {"title": "잔액 확인", "payload": "/balance_check"},
]


def expiry_text(expires_at: datetime, now: datetime, tz: ZoneInfo) -> str:
    """'오늘 21:00', '내일 12:00', '3월 14일' in the service's time zone."""
    local = as_utc(expires_at).astimezone(tz)
    today = now.astimezone(tz).date()
    if local.date() == today:
        return f"오늘 {local:%H:%M}"
    if (local.date() - today).days == 1:
        return f"내일 {local:%H:%M}"
    return f"{local.month}월 {local.day}일"


def coupon_line(reply: Reply, n: int, item: WalletItem, now: datetime, tz: ZoneInfo) -> str:
    condition = f" · {item.min_order_amount:,}원 이상 주문 시" if item.min_order_amount else ""
    line = reply.line("utter_coupons_item", n=n, name=item.name, benefit=item.benefit,
                      condition=condition, expires=expiry_text(item.expires_at, now, tz))
    if item.status == "RESERVED" and item.reservation_code and item.reservation_expires_at:
        line += "\n" + reply.line("utter_coupons_reserved_item", code=spaced(item.reservation_code),
                                  expires=expiry_text(item.reservation_expires_at, now, tz))
    return line


def render_listing(reply: Reply, listing: WalletListing, now: datetime) -> None:
    """One bubble: the active coupons (or none), then how many were used or expired."""
    tz = get_settings().timezone
    history = (reply.line("utter_coupons_history", used=len(listing.used), expired=len(listing.expired))
               if listing.used or listing.expired else "")
    if listing.active:
        items = [coupon_line(reply, n, item, now, tz) for n, item in enumerate(listing.active[:MAX_LISTED], start=1)]
        footer = "\n".join(line for line in (reply.line("utter_coupons_hint"), history) if line)
        reply.say("utter_coupons_list", buttons=QUICK_REPLIES, count=len(listing.active),
                  items="\n".join(items), footer=footer)
    else:
        reply.say("utter_coupons_none", buttons=QUICK_REPLIES, history=f"\n{history}" if history else "")


class ActionShowCoupons(Action):
    def name(self) -> str:
        return "action_show_coupons"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(ctx, reply, lambda: list_coupons(ctx.sender, ctx.now),
                               failure="Coupon listing failed for %s", error="utter_balance_coupons_error",
                               error_json={"kind": "error", "quick_replies": QUICK_REPLIES},
                               asks_consent=True, consent_for="coupon_inquiry")   # a wallet is stored data
        if called.answered:
            return called.events
        listing = called.value
        render_listing(reply, listing, ctx.now)
        reply.send_json({
            "kind": "coupons",
            "coupons": [item.as_payload() for item in listing.all()],
            "counts": {"active": len(listing.active), "used": len(listing.used),
                       "expired": len(listing.expired)},
            "quick_replies": QUICK_REPLIES,
        })
        record_turn(ctx, reply)
        return []
