"""``action_show_menu``: the whole menu of one shop ("메뉴 보기").

The shop comes from the card button (``shop_id`` entity), an option number ("2번 메뉴
보여줘") or a name in the message; the use case (``naviyam.usecases.shop_menu.show_menu``)
lists the available menus with the best coupon and marks what fits the user's budget now.
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.calls import call_use_case
from actions.common import Reply, TurnContext, money, positive_int, record_turn, won
from actions.recommend import QUICK_REPLIES
from naviyam.usecases.shop_menu import ShopMenu, show_menu


def menu_lines(menu: ShopMenu) -> list[str]:
    lines = []
    for line in menu.menus:
        mark = "✅" if line.fits_budget else "•" if line.fits_budget is None else "▫️"
        price = won(line.final_price) if line.final_price == line.price else \
            f"{won(line.final_price)} (쿠폰 적용, 원래 {won(line.price)})"
        lines.append(f"{mark} {line.name} {price}" + (" · 인기" if line.popular else ""))
    return lines


def menu_body(reply: Reply, menu: ShopMenu) -> str:
    """Everything under the shop's name: closed note, the menus, budget and card notes."""
    parts = []
    if not menu.open_now:
        parts.append(reply.line("utter_shop_menu_closed", hours=menu.business_hours_today or "오늘은 쉬는 날"))
    if menu.menus:
        parts.append("\n".join(menu_lines(menu)))
        if menu.more:
            parts.append(reply.line("utter_shop_menu_more", count=menu.more))
        budget = menu.budget.hard_budget
        if budget is not None:
            key = "utter_shop_menu_budget" if menu.fitting else "utter_shop_menu_over_budget"
            parts.append(reply.line(key, budget=won(budget)))
        if menu.foodcard == "P":
            parts.append(reply.line("utter_shop_menu_partial_card"))
    else:
        parts.append(reply.line("utter_shop_menu_empty"))
    return "\n\n".join(p for p in parts if p)


def render_menu(reply: Reply, menu: ShopMenu) -> None:
    reply.say("utter_shop_menu", buttons=QUICK_REPLIES, shop_name=menu.shop_name, body=menu_body(reply, menu))
    reply.send_json({**menu.to_payload(), "quick_replies": QUICK_REPLIES})


class ActionShowMenu(Action):
    def name(self) -> str:
        return "action_show_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        called = call_use_case(
            ctx, reply, lambda: show_menu(ctx.sender, text=ctx.text, now=ctx.now,
                                          shop_id=positive_int(ctx.entity("shop_id")),
                                          option_number=positive_int(ctx.entity("option_number")),
                                          recent=tracker.get_slot("last_recommendations") or [], near=ctx.location,
                                          stated_budget=money(tracker.get_slot("budget"))),
            failure="Showing a shop menu failed for %s", error="utter_recommend_error",
            error_events=[SlotSet("option_number", None)])
        if called.answered:
            return called.events
        menu = called.value
        if menu is None:
            reply.say("utter_shop_menu_which", buttons=QUICK_REPLIES[:1])
        else:
            render_menu(reply, menu)
        record_turn(ctx, reply)
        return [SlotSet("option_number", None)]
