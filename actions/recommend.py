"""Recommendation actions: recommend, show more ("다른 거"), choose an option ("1번").

Thin: read the turn (entities of the latest message first, then slots), call one use
case (``naviyam.usecases.recommend_turn.recommend_turn``: the low-balance rules, then the zero-balance
answer or the engine; ``naviyam.usecases.selection.choose_option``),
answer with domain/recommend.yml's responses by name plus one ``json_message``
(ARCHITECTURE.md "Message contract"), log the turn, set slots.
"""
from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.place import PENDING_SLOT, context_lines, pending_request, render_ask_location
from actions import recommend_group as group_dialogue
from actions.reservation import render_reservation, reservation_payload
from actions.zero_balance import emergency_note, low_balance_notes, render_zero_balance
from actions.calls import call_use_case
from actions.common import (
    Reply, TurnContext, as_list, money, parse_datetime, positive_int, record_turn, sent_entry, won,
)
from naviyam.domain.recommend.reasons import FOODCARD_OK, REASON_TEXT, reasons_text
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.recommend.result import RecommendationResult, RecommendedItem
from naviyam.domain.recommend.wording import food_values
from naviyam.shared.reason_words import FOODCARD_PARTLY_TEXT
from naviyam.usecases.recommend_turn import RecommendTurn, recommend_turn
from naviyam.usecases.selection import choose_option
from naviyam.usecases.turns import Turn

log = logging.getLogger(__name__)

QUICK_REPLIES = [
    {"title": "다른 추천", "payload": "/request_more"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
    {"title": "잔액 확인", "payload": "/balance_check"},
]
CHANGE_CONDITIONS = {"title": "조건 바꾸기", "payload": "/food_request"}

# reason the named food is not shown → the honest first line (domain/recommend.yml)
FOOD_MISSING_RESPONSES = {
    "budget": "utter_food_type_over_budget", "closed": "utter_food_type_closed",
    "far": "utter_food_type_far", "none": "utter_food_type_none", "no_more": "utter_food_type_no_more",
}
FOOD_INSTEAD_RESPONSES = {"partial": "utter_food_type_instead_partial",
                          "related": "utter_food_type_instead_related", "none": "utter_food_type_instead_other"}
FOOD_ALTERNATIVES_RESPONSES = {"budget": "utter_food_type_alternatives_over_budget",
                               "closed": "utter_food_type_alternatives_closed"}


# ----------------------------------------------------------------------------- reading the turn

def _value(ctx: TurnContext, tracker: Tracker, name: str) -> Any:
    value = ctx.entity(name)
    return value if value not in (None, "", []) else tracker.get_slot(name)


def build_request(ctx: TurnContext, tracker: Tracker) -> RecommendationRequest:
    """A new request from this message's entities, then the slots (the use case sets the user)."""
    dietary = as_list(ctx.entities.get("dietary_restrictions")) or as_list(tracker.get_slot("dietary_restrictions"))
    said_food = ctx.entity("food_type")
    food_type = said_food if said_food not in (None, "", []) else tracker.get_slot("food_type")
    return RecommendationRequest(
        now=ctx.now, session_key=ctx.sender_id, text=ctx.text[:500], intent=ctx.intent,
        stated_budget=money(_value(ctx, tracker, "budget")),
        food_type=food_type or None,
        food_type_source=("entity" if said_food not in (None, "", []) else "slot" if food_type else None),
        time_preference=_value(ctx, tracker, "time_preference"),
        party_size=group_dialogue.party_size(ctx, tracker),
        location=ctx.location, location_source="metadata" if ctx.location else None,
        place_name=_value(ctx, tracker, "location"), place_said=ctx.entity("location") not in (None, "", []),
        taste_preference=_value(ctx, tracker, "taste_preference"),
        companions=_value(ctx, tracker, "companions"), urgency=_value(ctx, tracker, "urgency"),
        dietary_restrictions=dietary, portion_size=group_dialogue.portion_size(ctx, tracker),
        budget_scope=group_dialogue.budget_scope(ctx, tracker),
    )


def request_for(ctx: TurnContext, tracker: Tracker, *, more: bool) -> RecommendationRequest:
    """This turn's request: "다른 거" repeats the last one without the shops shown already;
    the answer to "어디 근처?" resumes the request that waited for it."""
    pending = None if more else group_dialogue.pending_request(ctx, tracker)
    if pending is not None:           # the answer to "1인당이에요, 전체예요?"
        return pending
    state = tracker.get_slot("last_recommendation_request") if more else None
    waiting = None if more else pending_request(ctx, tracker, ctx.entity("location"))
    if waiting is not None:
        request = waiting
    elif isinstance(state, dict):
        request = RecommendationRequest.from_state(
            state, now=ctx.now, session_key=ctx.sender_id, intent=ctx.intent,
            location=ctx.location or (tuple(state["location"]) if state.get("location") else None))
    else:
        request = build_request(ctx, tracker)
    if more:
        request.exclude_shop_ids = {int(s) for s in tracker.get_slot("shown_shop_ids") or []}
    return request


# ----------------------------------------------------------------------------- rendering

def option_buttons(count: int) -> list[dict[str, str]]:
    buttons = [{"title": f"{n}번 선택", "payload": f'/choose_option{{"option_number": {n}}}'}
               for n in range(1, count + 1)]
    buttons.append({"title": "다른 추천", "payload": "/request_more"})
    return buttons


def item_line(reply: Reply, n: int, item: RecommendedItem) -> str:
    price = won(item.final_price)
    if item.final_price < item.price:
        price = f"{won(item.price)} (쿠폰을 쓰면 {won(item.final_price)})"
    walk = f" · 도보 {item.walk_minutes}분" if item.walk_minutes is not None else ""
    card = REASON_TEXT[FOODCARD_OK] if item.foodcard == "Y" else FOODCARD_PARTLY_TEXT
    reasons = reasons_text(item.reasons)
    return reply.line("utter_recommend_item", n=n, shop_name=item.shop_name, menu_name=item.menu_name,
                      price=price, walk=walk, foodcard=card,
                      reasons=(f"\n   👉 {reasons}" if reasons else "") + group_dialogue.item_note(reply, item))


def alternative_line(reply: Reply, n: int, item: RecommendedItem, budget: int | None = None) -> str:
    walk = f" · 도보 {item.walk_minutes}분" if item.walk_minutes is not None else ""
    notes = []
    over = budget is not None and item.final_price > budget
    if item.alternative_reason == "opening_soon" and item.opens_at:
        notes.append(reply.line("utter_alternative_opening_soon", time=item.opens_at.strftime("%H:%M")))
    if item.alternative_reason == "over_budget" or over:
        key = ("utter_alternative_over_budget" if budget is None or item.final_price <= budget * 1.5
               else "utter_alternative_over_budget_much")
        notes.append(reply.line(key, price=won(item.final_price)))
    return reply.line("utter_alternative_item", n=n, shop_name=item.shop_name, menu_name=item.menu_name,
                      price=won(item.final_price), walk=walk, note=" · ".join(notes))


def _food_missing(result: RecommendationResult) -> tuple[str, dict[str, str]] | None:
    """The response saying why the named food is not shown ("치킨은 지금 예산(5,000원)으로는 ..."), or None."""
    food = result.food_type
    if food is None or food.shown_level == "exact":
        return None
    values = {**food_values(food.word), "budget": won(result.budget.hard_budget),
              "category": (food.category or "").replace("/", "·")}
    missing = FOOD_MISSING_RESPONSES.get(food.missing_reason or "none", "utter_food_type_none")
    if food.missing_reason == "none" and food.category:
        missing = "utter_food_type_far"     # a known dish no usable shop sells: "근처에는 … 없어요"
    if missing == "utter_food_type_over_budget" and result.budget.hard_budget is None:
        missing = "utter_food_type_none"
    return missing, values


def _list_header(reply: Reply, result: RecommendationResult, more: bool) -> str:
    """The first line(s) of a list: why the named food is missing and what instead, or a header."""
    budget = result.budget.hard_budget
    missing = _food_missing(result)
    if missing is not None:
        key, values = missing
        instead = FOOD_INSTEAD_RESPONSES.get(result.food_type.shown_level, "utter_food_type_instead_other")
        if result.food_type.shown_level == "related" and result.food_type.category:
            instead = "utter_food_type_instead_category"   # the dish's own kind of shop, said by name
        lines = [f"{reply.line(key, **values)} {reply.line(instead, **values)}"]
    else:
        header = "utter_recommend_more_header" if more else (
            "utter_recommend_header_budget" if budget else
            "utter_recommend_header_later" if result.request.open_at else "utter_recommend_header")
        lines = [reply.line(header, budget=won(budget))]
    lines = context_lines(reply, result) + lines
    lines += group_dialogue.header_notes(reply, result)
    if result.budget.is_low:
        lines.append(reply.line("utter_recommend_low_balance"))
    return "\n".join(lines)


def _list_items(reply: Reply, result: RecommendationResult) -> str:
    budget = result.budget.hard_budget
    lines = [item_line(reply, n, item) for n, item in enumerate(result.items, start=1)]
    if result.alternatives and result.food_type is not None:
        key = FOOD_ALTERNATIVES_RESPONSES.get(result.food_type.missing_reason or "",
                                              "utter_food_type_alternatives_over_budget")
        lines.append(reply.line(key, **food_values(result.food_type.word)))
        lines += [alternative_line(reply, n, item, budget)
                  for n, item in enumerate(result.alternatives, start=len(result.items) + 1)]
    return "\n".join(lines)


def render_result(reply: Reply, result: RecommendationResult, *, more: bool = False,
                  extra: dict[str, Any] | None = None) -> None:
    """One bubble (the list, or the nearest misses, or why nothing), then the json_message."""
    budget = result.budget.hard_budget
    missing = _food_missing(result)
    if result.items:
        reply.say("utter_recommend_list", buttons=option_buttons(len(result.shown)),
                  header=_list_header(reply, result, more), items=_list_items(reply, result),
                  footer=reply.line("utter_recommend_footer"))
    elif result.alternatives:
        key = "utter_no_more_options" if more else "utter_recommend_none_alternatives"
        header = ([reply.line(missing[0], **missing[1])] if missing else []) + [reply.line(key, budget=won(budget))]
        items = [alternative_line(reply, n, item, budget) for n, item in enumerate(result.alternatives, start=1)]
        reply.say("utter_recommend_alternatives",
                  buttons=option_buttons(len(result.alternatives))[:-1] + [CHANGE_CONDITIONS],
                  header="\n".join(header), items="\n".join(items))
    elif not more and result.place_name and result.no_usable_shop_near:
        reply.say("utter_recommend_none_here", place=result.place_name)   # no meal-card shop there at all
    else:
        if missing:
            reply.say(missing[0], **missing[1])
        reply.say("utter_no_more_options_final" if more else "utter_recommend_none")
    reply.send_json({**result.payload(), **(extra or {}), "quick_replies": QUICK_REPLIES})


def _events(result: RecommendationResult, shown_before: set[int]) -> list[dict[str, Any]]:
    return [
        SlotSet("shown_shop_ids", sorted(shown_before | {i.shop_id for i in result.items})),
        SlotSet("last_recommendations", [i.to_state() for i in result.shown]),
        SlotSet("last_recommendation_request", result.request.to_state()),
        SlotSet("recommendation_log_id", result.log_id),
        SlotSet("recommendation_shown_at", result.request.now.isoformat()),
        SlotSet(PENDING_SLOT, None),
    ]


def _run(ctx: TurnContext, tracker: Tracker, reply: Reply, *, more: bool) -> list[dict[str, Any]]:
    request = request_for(ctx, tracker, more=more)
    if not more and group_dialogue.should_ask(request):
        events = group_dialogue.ask_scope(reply, request)
        record_turn(ctx, reply)
        return events
    shown_before = set(request.exclude_shop_ids)
    asked: list[dict[str, Any]] = []      # the slot events of a "어디 근처?" answer

    def describe(turn: RecommendTurn) -> Turn:
        """The answer, rendered inside the use case's transaction so the turn's row joins it."""
        if turn.zero is not None:     # 0원 on the card: its own honest answer (issue 12)
            reply.send_json(render_zero_balance(reply, turn.zero, turn.low))
            return ctx.turn(reply.transcript, user_strategy="URGENT")
        result = turn.result
        if result.needs_location:     # no place known: ask where instead of searching everywhere
            asked.extend(render_ask_location(reply, result))
            return ctx.turn(reply.transcript)
        extra = low_balance_notes(reply, turn.low)      # the daily alert and the emergency coupon first
        emergency_note(reply, turn.low, extra)
        render_result(reply, result, more=more, extra=extra)
        coupons = sorted({i.coupon["coupon_id"] for i in result.items if i.coupon})
        return ctx.turn(reply.transcript, recommended_shop_ids=[i.shop_id for i in result.items] or None,
                        applied_coupon_ids=coupons or None, rag_time_ms=int(result.timings_ms.get("retrieval", 0)))

    try:
        turn = recommend_turn(ctx.sender, request, describe)
    except Exception:  # noqa: BLE001 - the child always gets a polite answer; nothing was written
        log.exception("Recommendation failed for %s", ctx.sender_id)
        reply.dispatcher.messages.clear()  # a half-rendered answer is not sent
        reply.sent.clear()
        reply.say("utter_recommend_error")
        reply.send_json({"kind": "error", "recommendations": [], "quick_replies": QUICK_REPLIES})
        record_turn(ctx, reply)
        return []
    if turn.zero is not None:
        return []
    result = turn.result
    if result.needs_location:
        return asked
    return _events(result, shown_before) + group_dialogue.done_events(ctx)


class ActionRecommend(Action):
    def name(self) -> str:
        return "action_recommend"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        return _run(TurnContext.from_tracker(tracker), tracker, Reply(dispatcher, domain), more=False)


class ActionMoreOptions(Action):
    def name(self) -> str:
        return "action_more_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        return _run(TurnContext.from_tracker(tracker), tracker, Reply(dispatcher, domain), more=True)


class ActionChooseOption(Action):
    def name(self) -> str:
        return "action_choose_option"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        reply = Reply(dispatcher, domain)
        options = tracker.get_slot("last_recommendations") or []
        number = positive_int(ctx.entity("option_number") or tracker.get_slot("option_number"))
        done = [SlotSet("option_number", None)]
        if not options:
            reply.say("utter_choose_nothing_shown")
            record_turn(ctx, reply)
            return done
        if number is None or not 1 <= number <= len(options):
            reply.say("utter_choose_invalid", count=len(options), buttons=option_buttons(len(options))[:-1])
            record_turn(ctx, reply)
            return done
        option = options[number - 1]
        values = {"shop_name": option.get("shop_name"), "menu_name": option.get("menu_name"),
                  "price": won(option.get("price") or option.get("final_price"))}
        called = call_use_case(
            ctx, reply, lambda: choose_option(
                ctx.sender, option, recommendation_log_id=positive_int(tracker.get_slot("recommendation_log_id")),
                now=ctx.now, shown_at=parse_datetime(tracker.get_slot("recommendation_shown_at")),
                turn=ctx.turn(sent_entry("utter_choose_confirm", values))),
            failure="Recording the choice of %s failed", error="utter_recommend_error", error_events=done)
        if called.answered:
            return called.events
        selection = called.value
        details = []
        if selection.address:
            details.append(reply.line("utter_choose_address", address=selection.address))
        if selection.phone:
            details.append(reply.line("utter_choose_phone", phone=selection.phone))
        reply.say("utter_choose_confirm", buttons=QUICK_REPLIES, **values,
                  details="".join(f"\n{line}" for line in details))
        render_reservation(reply, selection, option, ctx.now)
        message: dict[str, Any] = {"kind": "selection", "selection": selection.to_payload(),
                                   "quick_replies": QUICK_REPLIES}
        if selection.reservation is not None:
            message["reservation"] = reservation_payload(selection.reservation)
        reply.send_json(message)
        return done + [SlotSet("selected_shop_id", selection.shop_id)]
