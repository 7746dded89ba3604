"""Coupon reservations in the chat: the redeem code with its QR image after a choice, and
"취소할래" (issue 13).

Thin: ``naviyam.usecases.coupons.reservation`` holds and releases; this module renders the
code (domain/balance_coupons.yml's responses by name), a QR image and the REST payload.
The QR image is made with segno (pure Python, maintained, no image library needed): a PNG
data URI in the REST ``custom`` payload, and for messengers an image URL of the shop
service when ``NAVIYAM_SHOP_PUBLIC_URL`` is set (they cannot show data URIs).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

import segno
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, record_turn, won
from actions.coupons import expiry_text
from naviyam.config import get_settings
from naviyam.domain.redeem_code import spaced
from naviyam.usecases.coupons.reservation import Reservation, cancel_reservations
from naviyam.usecases.selection import SelectionResult

QUICK_REPLIES = [
    {"title": "다른 추천", "payload": "/food_request"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
]


def qr_data_uri(code: str) -> str:
    """A PNG data URI of the code's QR (error correction M, 6 px modules)."""
    return segno.make(code, error="m", micro=False).png_data_uri(scale=6, border=2)


def qr_image_url(code: str) -> str | None:
    base = get_settings().shop_public_url
    return f"{base.rstrip('/')}/qr/{code}.png" if base else None


def reservation_payload(reservation: Reservation) -> dict[str, Any]:
    payload = reservation.to_payload()
    payload["qr_image"] = qr_image_url(reservation.code) or qr_data_uri(reservation.code)
    return payload


def render_reservation(reply: Reply, selection: SelectionResult, option: dict[str, Any],
                       now: datetime) -> None:
    """The code, how to use it and the honest price; or why the coupon no longer applies."""
    reservation = selection.reservation
    if reservation is None:
        if option.get("coupon_id"):
            reply.say("utter_reservation_coupon_gone", price=won(selection.price))
        return
    expires = expiry_text(reservation.expires_at, now, get_settings().timezone)
    reply.say("utter_reservation_code", code=spaced(reservation.code), coupon_name=reservation.coupon_name,
              final_price=won(selection.final_price), expires=expires)
    url = qr_image_url(reservation.code)
    if url:
        reply.dispatcher.utter_message(image=url)


class ActionCancelReservation(Action):
    def name(self) -> str:
        return "action_cancel_reservation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(ctx, reply, lambda: cancel_reservations(ctx.sender, ctx.now),
                               failure="Cancelling the reservation of %s failed", error="utter_balance_coupons_error")
        if called.answered:
            return called.events
        released = called.value
        if released:
            reply.say("utter_reservation_cancelled", buttons=QUICK_REPLIES,
                      coupon_name=", ".join(r.coupon_name for r in released))
        else:
            reply.say("utter_reservation_none", buttons=QUICK_REPLIES)
        reply.send_json({"kind": "reservation_cancelled",
                         "released": [r.to_payload() for r in released], "quick_replies": QUICK_REPLIES})
        record_turn(ctx, reply)
        return []
