"""Rendering of the card's state on a recommendation request (issue 12).

``render_zero_balance``: the honest answer at 0원 (what is spendable, when money comes back,
how to charge, shops whose benefit needs no balance, menus a coupon pays in full) with
``{"kind": "zero_balance"}``; never "change the budget and ask again". ``low_balance_notes``:
the once-per-24-hours low-balance alert and the emergency coupon, said before the list.
"""
from __future__ import annotations

from typing import Any

from actions.common import Reply, won
from naviyam.domain.zero_balance import NEXT_MONTH, TOMORROW
from naviyam.usecases.coupons.issuance import EMERGENCY_VALID_HOURS
from naviyam.usecases.low_balance import LowBalanceOutcome
from naviyam.usecases.zero_balance import ZeroBalanceOffer

ZERO_QUICK_REPLIES = [
    {"title": "충전 방법", "payload": "/balance_charge"},
    {"title": "잔액 확인", "payload": "/balance_check"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
]


def _day(value) -> str:
    return f"{value.month}월 {value.day}일"


def _walk(minutes: int | None) -> str:
    return f" · 도보 {minutes}분" if minutes is not None else ""


def render_zero_balance(reply: Reply, offer: ZeroBalanceOffer, low: LowBalanceOutcome) -> dict[str, Any]:
    """One bubble with everything true and useful, then the machine-readable message."""
    budget = offer.budget
    lines = [reply.line("utter_zero_balance_header", amount=won(budget.amount or 0), balance=won(budget.balance or 0))]
    upcoming = offer.next
    if upcoming.kind == TOMORROW:
        lines.append(reply.line("utter_zero_balance_next_tomorrow", date=_day(upcoming.on), amount=won(upcoming.amount)))
    elif upcoming.kind == NEXT_MONTH:
        lines.append(reply.line("utter_zero_balance_next_month", date=_day(upcoming.on), amount=won(upcoming.amount)))
    else:
        lines.append(reply.line("utter_zero_balance_after_charge"))
    if offer.free_meals:
        lines.append("")
        lines.append(reply.line("utter_zero_balance_free_header"))
        lines += [reply.line("utter_zero_balance_free_item", n=n, shop_name=s.shop_name, offer=s.offer,
                             walk=_walk(s.walk_minutes), closed="" if s.open_now else " · 지금은 문을 닫았어요")
                  for n, s in enumerate(offer.free_meals, start=1)]
    if offer.covered:
        lines.append("")
        lines.append(reply.line("utter_zero_balance_covered_header"))
        lines += [reply.line("utter_zero_balance_covered_item", n=n, shop_name=m.shop_name, menu_name=m.menu_name,
                             price=won(m.price), coupon_name=m.coupon_name, walk=_walk(m.walk_minutes))
                  for n, m in enumerate(offer.covered, start=1)]
    if not offer.free_meals and not offer.covered:
        lines.append(reply.line("utter_zero_balance_nothing_near"))
    reply.say("utter_zero_balance", buttons=ZERO_QUICK_REPLIES, header=lines[0], items="\n".join(lines[1:]))
    payload = {**offer.payload(), "low_balance_alert": bool(low.alert), "quick_replies": ZERO_QUICK_REPLIES}
    emergency_note(reply, low, payload)
    return payload


def emergency_note(reply: Reply, low: LowBalanceOutcome, payload: dict[str, Any]) -> None:
    if low.emergency:
        item = low.emergency.item
        reply.say("utter_emergency_coupon_issued", name=item.name, benefit=item.benefit, hours=EMERGENCY_VALID_HOURS)
        payload["emergency_coupon"] = item.as_payload()


def low_balance_notes(reply: Reply, low: LowBalanceOutcome) -> dict[str, Any]:
    """The alert (at most once a day) before the list; what the json_message adds."""
    extra: dict[str, Any] = {"low_balance_alert": bool(low.alert)}
    if low.alert and low.budget.balance is not None:
        reply.say("utter_recommend_low_balance_alert", balance=won(low.budget.balance))
    return extra
