"""Coupon action: coupon_inquiry lists the wallet (active, used, expired) (issue 4).

Thin: read the turn, call ``naviyam.usecases.coupons.wallet.wallet_listing``, render Korean
text from domain/balance_coupons.yml plus one ``json_message``
``{"kind": "coupons", "coupons": [...], "counts": {...}}`` where each coupon carries
its ``status`` (ACTIVE, USED, EXPIRED).
"""
from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Responder, TurnContext, record_turn
from naviyam.config import get_settings
from naviyam.domain.coupon_rules import as_utc
from naviyam.usecases.coupons.wallet import WalletItem, WalletListing, wallet_listing
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import get_or_create_user

log = logging.getLogger(__name__)

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


def coupon_line(responder: Responder, n: int, item: WalletItem, now: datetime, tz: ZoneInfo) -> str:
    condition = f" · {item.min_order_amount:,}원 이상 주문 시" if item.min_order_amount else ""
    text, _ = responder.render("utter_coupons_item", n=n, name=item.name, benefit=item.benefit,
                               condition=condition, expires=expiry_text(item.expires_at, now, tz))
    return text


def render_listing(responder: Responder, listing: WalletListing, now: datetime) -> list[str]:
    tz = get_settings().timezone
    if listing.active:
        lines = [responder.render("utter_coupons_header", count=len(listing.active))[0]]
        lines += [coupon_line(responder, n, item, now, tz)
                  for n, item in enumerate(listing.active[:MAX_LISTED], start=1)]
        lines.append(responder.render("utter_coupons_hint")[0])
    else:
        lines = [responder.render("utter_coupons_none")[0]]
    if listing.used or listing.expired:
        lines.append(responder.render("utter_coupons_history", used=len(listing.used),
                                      expired=len(listing.expired))[0])
    return lines


class ActionShowCoupons(Action):
    def name(self) -> str:
        return "action_show_coupons"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, domain)
        try:
            with unit_of_work() as session:
                user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
                listing = wallet_listing(session, user.id, ctx.now)
        except Exception:  # noqa: BLE001 - read-only; the user gets a polite answer
            log.exception("Coupon listing failed for %s", ctx.sender_id)
            responder.say("utter_balance_coupons_error")
            responder.send_json({"kind": "error", "quick_replies": QUICK_REPLIES})
            record_turn(ctx, responder)
            return []
        responder.say_text("\n".join(render_listing(responder, listing, ctx.now)), buttons=QUICK_REPLIES)
        responder.send_json({
            "kind": "coupons",
            "coupons": [item.as_payload() for item in listing.all()],
            "counts": {"active": len(listing.active), "used": len(listing.used),
                       "expired": len(listing.expired)},
            "quick_replies": QUICK_REPLIES,
        })
        record_turn(ctx, responder)
        return []
