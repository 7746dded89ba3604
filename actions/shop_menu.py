"""``action_show_menu``: the whole menu of one shop ("메뉴 보기").

The shop comes from the card button (``shop_id`` entity), an option number ("2번 메뉴
보여줘") or a name in the message; the service (``naviyam.usecases.shop_menu``) lists
the available menus with the best coupon and marks what fits the user's budget now.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Responder, TurnContext, record_turn
from actions.recommend import QUICK_REPLIES, _int, _money, with_own_responses, won
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.shop_menu import ShopMenu, find_shop_id, shop_menu
from naviyam.adapters.db.users import get_or_create_user

log = logging.getLogger(__name__)


def menu_lines(menu: ShopMenu) -> list[str]:
    lines = []
    for line in menu.menus:
        mark = "✅" if line.fits_budget else "•" if line.fits_budget is None else "▫️"
        price = won(line.final_price) if line.final_price == line.price else \
            f"{won(line.final_price)} (쿠폰 적용, 원래 {won(line.price)})"
        lines.append(f"{mark} {line.name} {price}" + (" · 인기" if line.popular else ""))
    return lines


def render_menu(responder: Responder, menu: ShopMenu) -> None:
    parts = [responder.render("utter_shop_menu_header", shop_name=menu.shop_name)[0]]
    if not menu.open_now:
        parts.append(responder.render("utter_shop_menu_closed",
                                      hours=menu.business_hours_today or "오늘은 쉬는 날")[0])
    if menu.menus:
        parts.append("\n".join(menu_lines(menu)))
        if menu.more:
            parts.append(responder.render("utter_shop_menu_more", count=menu.more)[0])
        budget = menu.budget.hard_budget
        if budget is not None:
            key = "utter_shop_menu_budget" if menu.fitting else "utter_shop_menu_over_budget"
            parts.append(responder.render(key, budget=won(budget))[0])
        if menu.foodcard == "P":
            parts.append(responder.render("utter_shop_menu_partial_card")[0])
    else:
        parts.append(responder.render("utter_shop_menu_empty")[0])
    responder.say_text("\n\n".join(p for p in parts if p), QUICK_REPLIES)
    responder.send_json({**menu.to_payload(), "quick_replies": QUICK_REPLIES})


class ActionShowMenu(Action):
    def name(self) -> str:
        return "action_show_menu"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict[str, Any]]:
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, with_own_responses(domain))
        recent = tracker.get_slot("last_recommendations") or []
        try:
            with unit_of_work() as session:
                user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
                shop_id = _int(ctx.entity("shop_id")) or find_shop_id(
                    session, ctx.text, recent, _int(ctx.entity("option_number")), near=ctx.location)
                menu = None if shop_id is None else shop_menu(
                    session, shop_id, user_id=user.id, now=ctx.now,
                    stated_budget=_money(tracker.get_slot("budget")))
        except Exception:  # noqa: BLE001 - a polite answer; nothing is written by this action
            log.exception("Showing a shop menu failed for %s", ctx.sender_id)
            responder.say("utter_recommend_error")
            record_turn(ctx, responder)
            return [SlotSet("option_number", None)]
        if menu is None:
            responder.say("utter_shop_menu_which", buttons=QUICK_REPLIES[:1])
        else:
            render_menu(responder, menu)
        record_turn(ctx, responder)
        return [SlotSet("option_number", None)]
