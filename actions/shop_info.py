"""``action_shop_info``: questions about a shop already shown, answered from its row.

"거기 몇 시에 닫아?", "2번 가게 어디야?", "전화번호 알려줘", "거기 카드 돼?" or a shop's
name: the use case (``naviyam.usecases.shop_info.shop_info``) finds the shop ("거기" = the
last chosen, else the first shown; "2번" = the 2nd shown) and its facts; the answer lists
them with the asked one first, plus ``json_message`` kind ``shop_info`` with the ``shop_id``.
Never new recommendations.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, positive_int, record_turn
from actions.recommend import QUICK_REPLIES
from naviyam.usecases.shop_info import ShopInfo, shop_info

CARD_LINES = {"Y": "utter_shop_info_card_yes", "P": "utter_shop_info_card_partial",
              "N": "utter_shop_info_card_no"}


def _hours_lines(reply: Reply, info: ShopInfo) -> list[str]:
    hours = info.hours
    if hours.today is None and hours.tomorrow is None:
        return [reply.line("utter_shop_info_hours_unknown")]
    lines = []
    if hours.status == "OPEN" and hours.closes_at is not None:
        lines.append(reply.line("utter_shop_info_open_until", time=hours.closes_at.strftime("%H:%M")))
    elif hours.status in ("CLOSED", "BREAK_TIME"):
        key = "utter_shop_info_break_now" if hours.status == "BREAK_TIME" else "utter_shop_info_closed_now"
        lines.append(reply.line(key))
        if hours.opens_at is not None:
            lines.append(reply.line("utter_shop_info_opens_at", time=hours.opens_at.strftime("%m/%d %H:%M")))
    lines.append(reply.line("utter_shop_info_hours_today", hours=hours.today or "확인 안 됨"))
    lines.append(reply.line("utter_shop_info_hours_tomorrow", hours=hours.tomorrow or "확인 안 됨"))
    return lines


def detail_lines(reply: Reply, info: ShopInfo) -> list[str]:
    """Every fact of the shop, the asked topic first."""
    parts: dict[str, list[str]] = {
        "hours": _hours_lines(reply, info),
        "address": [reply.line("utter_shop_info_address", address=info.address)] if info.address else [],
        "phone": [reply.line("utter_shop_info_phone", phone=info.phone) if info.phone
                  else reply.line("utter_shop_info_no_phone")],
        "card": [reply.line(CARD_LINES.get(info.foodcard, "utter_shop_info_card_unknown"))],
        "walk": ([reply.line("utter_shop_info_walk", minutes=info.walk_minutes, distance=info.distance_m)]
                 if info.walk_minutes is not None else []),
    }
    return [line for topic in info.topics for line in parts.get(topic, [])]


def _near(ctx: TurnContext, tracker: Tracker) -> tuple[float, float] | None:
    if ctx.location:
        return ctx.location
    state = tracker.get_slot("last_recommendation_request")
    location = state.get("location") if isinstance(state, dict) else None
    return (float(location[0]), float(location[1])) if location else None


class ActionShopInfo(Action):
    def name(self) -> str:
        return "action_shop_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        done = [SlotSet("option_number", None)]
        called = call_use_case(
            ctx, reply, lambda: shop_info(text=ctx.text, now=ctx.now,
                                          recent=tracker.get_slot("last_recommendations") or [],
                                          number=positive_int(ctx.entity("option_number")),
                                          selected_shop_id=positive_int(tracker.get_slot("selected_shop_id")),
                                          near=_near(ctx, tracker)),
            failure="Shop info failed for %s", error="utter_recommend_error", error_events=done)
        if called.answered:
            return called.events
        info = called.value
        if info is None:
            reply.say("utter_shop_info_nothing_shown", buttons=QUICK_REPLIES[:1])
            reply.send_json({"kind": "shop_info", "shop_id": None, "quick_replies": QUICK_REPLIES[:1]})
        else:
            reply.say("utter_shop_info", buttons=QUICK_REPLIES, shop_name=info.shop_name,
                      details="".join(f"\n{line}" for line in detail_lines(reply, info)))
            reply.send_json({**info.to_payload(), "quick_replies": QUICK_REPLIES})
        record_turn(ctx, reply)
        return done
