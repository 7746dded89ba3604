"""Recommendation actions: recommend, show more ("다른 거"), choose an option ("1번").

Thin: read the turn (entities of the latest message first, then slots), call
``naviyam.usecases.recommend``, render Korean text from domain/recommend.yml plus one
``json_message`` (ARCHITECTURE.md "Message contract"), log the turn, set slots.
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import Responder, TurnContext, record_turn
from naviyam.adapters.db.conversation_log import TurnRecord
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.profile_queries import invalidate_profile
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.recommend.wording import food_values
from naviyam.usecases.recommend import (
    RecommendationResult, RecommendedItem, recommend, select_option, start_warm_up,
)
from naviyam.adapters.db.users import get_or_create_user

log = logging.getLogger(__name__)
start_warm_up()  # catalog, Kiwi, encoder and index load while the server starts

QUICK_REPLIES = [
    {"title": "다른 추천", "payload": "/request_more"},
    {"title": "쿠폰 보기", "payload": "/coupon_inquiry"},
    {"title": "잔액 확인", "payload": "/balance_check"},
]


DOMAIN_FILE = Path(__file__).resolve().parent.parent / "domain" / "recommend.yml"


@lru_cache(maxsize=1)
def _own_responses() -> dict[str, Any]:
    try:
        return (yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8")) or {}).get("responses") or {}
    except (OSError, yaml.YAMLError):
        log.exception("Could not read %s", DOMAIN_FILE)
        return {}


def with_own_responses(domain: dict[str, Any] | None) -> dict[str, Any]:
    """The domain Rasa sent, plus this module's responses it lacks.

    The wording ships with the action code; a Rasa model trained before a new
    response was added (e.g. utter_food_type_*) still gets a Korean answer, never
    the "missing response" apology.
    """
    domain = dict(domain or {})
    responses = dict(domain.get("responses") or {})
    for key, variants in _own_responses().items():
        responses.setdefault(key, variants)
    domain["responses"] = responses
    return domain


# ----------------------------------------------------------------------------- reading the turn

def _value(ctx: TurnContext, tracker: Tracker, name: str) -> Any:
    value = ctx.entity(name)
    return value if value not in (None, "", []) else tracker.get_slot(name)


def _money(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        amount = int(float(value))
    except (TypeError, ValueError):
        try:
            from naviyam.shared.korean.numbers import parse_money
            amount = parse_money(str(value)) or 0
        except ImportError:
            amount = 0
    return amount if 0 < amount <= 1_000_000 else None


def _int(value: Any) -> int | None:
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v not in (None, "")]
    return [str(value)]


def build_request(ctx: TurnContext, tracker: Tracker, user_id: int | None) -> RecommendationRequest:
    dietary = _list(ctx.entities.get("dietary_restrictions")) or _list(tracker.get_slot("dietary_restrictions"))
    said_food = ctx.entity("food_type")
    food_type = said_food if said_food not in (None, "", []) else tracker.get_slot("food_type")
    return RecommendationRequest(
        now=ctx.now, user_id=user_id, session_key=ctx.sender_id, text=ctx.text[:500], intent=ctx.intent,
        stated_budget=_money(_value(ctx, tracker, "budget")),
        food_type=food_type or None,
        food_type_source=("entity" if said_food not in (None, "", []) else "slot" if food_type else None),
        time_preference=_value(ctx, tracker, "time_preference"),
        party_size=_int(_value(ctx, tracker, "party_size")),
        location=ctx.location, location_source="metadata" if ctx.location else None,
        place_name=_value(ctx, tracker, "location"),
        taste_preference=_value(ctx, tracker, "taste_preference"),
        companions=_value(ctx, tracker, "companions"), urgency=_value(ctx, tracker, "urgency"),
        dietary_restrictions=dietary, portion_size=_value(ctx, tracker, "portion_size"),
    )


# ----------------------------------------------------------------------------- rendering

def won(amount: int | None) -> str:
    return f"{amount:,}원" if amount is not None else ""


def _item_line(responder: Responder, n: int, item: RecommendedItem) -> str:
    from naviyam.domain.recommend.reasons import reasons_text

    price = won(item.final_price)
    if item.final_price < item.price:
        price = f"{won(item.price)} → {won(item.final_price)} (쿠폰 적용)"
    walk = f" · 도보 {item.walk_minutes}분" if item.walk_minutes is not None else ""
    card = "급식카드 OK" if item.foodcard == "Y" else "급식카드 일부 가능"
    reasons = reasons_text(item.reasons)
    text, _ = responder.render("utter_recommend_item", n=n, shop_name=item.shop_name, menu_name=item.menu_name,
                               price=price, walk=walk, foodcard=card,
                               reasons=f"\n   👉 {reasons}" if reasons else "")
    return text


def _alternative_line(responder: Responder, n: int, item: RecommendedItem, budget: int | None = None) -> str:
    walk = f" · 도보 {item.walk_minutes}분" if item.walk_minutes is not None else ""
    notes = []
    over = budget is not None and item.final_price > budget
    if item.alternative_reason == "opening_soon" and item.opens_at:
        notes.append(responder.render("utter_alternative_opening_soon", time=item.opens_at.strftime("%H:%M"))[0])
    if item.alternative_reason == "over_budget" or over:
        key = ("utter_alternative_over_budget" if budget is None or item.final_price <= budget * 1.5
               else "utter_alternative_over_budget_much")
        notes.append(responder.render(key, price=won(item.final_price))[0])
    text, _ = responder.render("utter_alternative_item", n=n, shop_name=item.shop_name,
                               menu_name=item.menu_name, price=won(item.final_price), walk=walk,
                               note=" · ".join(notes))
    return text


def _option_buttons(items: list[RecommendedItem]) -> list[dict[str, str]]:
    buttons = [{"title": f"{n}번 선택", "payload": f'/choose_option{{"option_number": {n}}}'}
               for n in range(1, len(items) + 1)]
    buttons.append({"title": "다른 추천", "payload": "/request_more"})
    return buttons


# reason the named food is not shown → the honest first line (domain/recommend.yml)
FOOD_MISSING_RESPONSES = {
    "budget": "utter_food_type_over_budget", "closed": "utter_food_type_closed",
    "far": "utter_food_type_far", "none": "utter_food_type_none", "no_more": "utter_food_type_no_more",
}
FOOD_INSTEAD_RESPONSES = {"partial": "utter_food_type_instead_partial",
                          "related": "utter_food_type_instead_related", "none": "utter_food_type_instead_other"}
FOOD_ALTERNATIVES_RESPONSES = {"budget": "utter_food_type_alternatives_over_budget",
                               "closed": "utter_food_type_alternatives_closed"}


def _food_type_intro(responder: Responder, result: RecommendationResult) -> str | None:
    """"치킨은 지금 예산(5,000원)으로는 찾기 어려워요 😢 대신 치킨이 들어간 메뉴를 골라 봤어요!" or None."""
    food = result.food_type
    if food is None or food.shown_level == "exact":
        return None
    values = {**food_values(food.word), "budget": won(result.budget.hard_budget)}
    missing = FOOD_MISSING_RESPONSES.get(food.missing_reason or "none", "utter_food_type_none")
    if missing == "utter_food_type_over_budget" and result.budget.hard_budget is None:
        missing = "utter_food_type_none"
    first = responder.render(missing, **values)[0]
    if not result.items:
        return first
    instead = responder.render(FOOD_INSTEAD_RESPONSES.get(food.shown_level, "utter_food_type_instead_other"),
                               **values)[0]
    return f"{first} {instead}"


def render_result(responder: Responder, result: RecommendationResult, *, more: bool = False) -> None:
    budget = result.budget.hard_budget
    intro = _food_type_intro(responder, result)
    shown = result.items + result.alternatives
    if result.items:
        header = "utter_recommend_more_header" if more else (
            "utter_recommend_header_budget" if budget else "utter_recommend_header")
        lines = [intro or responder.render(header, budget=won(budget))[0]]
        if result.budget.is_low:
            lines.append(responder.render("utter_recommend_low_balance")[0])
        lines += [_item_line(responder, n, item) for n, item in enumerate(result.items, start=1)]
        if result.alternatives and result.food_type is not None:
            key = FOOD_ALTERNATIVES_RESPONSES.get(result.food_type.missing_reason or "",
                                                  "utter_food_type_alternatives_over_budget")
            lines.append(responder.render(key, **food_values(result.food_type.word))[0])
            lines += [_alternative_line(responder, n, item, budget)
                      for n, item in enumerate(result.alternatives, start=len(result.items) + 1)]
        lines.append(responder.render("utter_recommend_footer")[0])
        responder.say_text("\n".join(lines), _option_buttons(shown))
    elif result.alternatives:
        key = "utter_no_more_options" if more else "utter_recommend_none_alternatives"
        lines = ([intro] if intro else []) + [responder.render(key, budget=won(budget))[0]]
        lines += [_alternative_line(responder, n, item, budget) for n, item in enumerate(result.alternatives, start=1)]
        responder.say_text("\n".join(lines), _option_buttons(result.alternatives)[:-1] + [
            {"title": "조건 바꾸기", "payload": "/food_request"}])
    else:
        if intro:
            responder.say_text(intro)
        responder.say("utter_no_more_options_final" if more else "utter_recommend_none")
    payload = result.payload()
    payload["quick_replies"] = QUICK_REPLIES
    responder.send_json(payload)


def _events(result: RecommendationResult, shown_before: list[int]) -> list[dict[str, Any]]:
    shown = result.items + result.alternatives
    return [
        SlotSet("shown_shop_ids", sorted(set(shown_before) | {i.shop_id for i in result.items})),
        SlotSet("last_recommendations", [i.to_state() for i in shown]),
        SlotSet("last_recommendation_request", result.request.to_state()),
        SlotSet("recommendation_log_id", result.log_id),
        SlotSet("recommendation_shown_at", result.request.now.isoformat()),
    ]


def _run(ctx: TurnContext, tracker: Tracker, responder: Responder, *, more: bool) -> list[dict[str, Any]]:
    shown_before = [int(s) for s in tracker.get_slot("shown_shop_ids") or []] if more else []
    try:
        with unit_of_work() as session:
            user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
            state = tracker.get_slot("last_recommendation_request") if more else None
            if more and isinstance(state, dict):
                request = RecommendationRequest.from_state(
                    state, now=ctx.now, user_id=user.id, session_key=ctx.sender_id, intent=ctx.intent,
                    location=ctx.location or (tuple(state["location"]) if state.get("location") else None))
            else:
                request = build_request(ctx, tracker, user.id)
            request.exclude_shop_ids = set(shown_before)
            result = recommend(session, request)
    except Exception:  # noqa: BLE001 - the child always gets a polite answer
        log.exception("Recommendation failed for %s", ctx.sender_id)
        responder.say("utter_recommend_error")
        responder.send_json({"kind": "error", "recommendations": [], "quick_replies": QUICK_REPLIES})
        record_turn(ctx, responder)
        return []
    render_result(responder, result, more=more)
    coupons = sorted({i.coupon["coupon_id"] for i in result.items if i.coupon})
    record_turn(ctx, responder, recommended_shop_ids=[i.shop_id for i in result.items] or None,
                applied_coupon_ids=coupons or None,
                rag_time_ms=int(result.timings_ms.get("retrieval", 0)))
    return _events(result, shown_before)


class ActionRecommend(Action):
    def name(self) -> str:
        return "action_recommend"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        return _run(ctx, tracker, Responder(dispatcher, with_own_responses(domain)), more=False)


class ActionMoreOptions(Action):
    def name(self) -> str:
        return "action_more_options"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        return _run(ctx, tracker, Responder(dispatcher, with_own_responses(domain)), more=True)


class ActionChooseOption(Action):
    def name(self) -> str:
        return "action_choose_option"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> list[dict]:
        ctx = TurnContext.from_tracker(tracker)
        responder = Responder(dispatcher, with_own_responses(domain))
        options = tracker.get_slot("last_recommendations") or []
        number = _int(ctx.entity("option_number") or tracker.get_slot("option_number"))
        if not options:
            responder.say("utter_choose_nothing_shown")
            record_turn(ctx, responder)
            return [SlotSet("option_number", None)]
        if number is None or not 1 <= number <= len(options):
            responder.say("utter_choose_invalid", count=len(options),
                          buttons=_option_buttons([_Shown(o) for o in options])[:-1])
            record_turn(ctx, responder)
            return [SlotSet("option_number", None)]
        option = options[number - 1]
        text, _ = responder.render("utter_choose_confirm", shop_name=option.get("shop_name"),
                                   menu_name=option.get("menu_name"), price=won(option.get("final_price")))
        shown_at = _parse(tracker.get_slot("recommendation_shown_at"))
        try:
            with unit_of_work() as session:
                user = get_or_create_user(session, ctx.external_user_id, ctx.platform)
                turn = TurnRecord(session_key=ctx.sender_id, input_text=ctx.text, response_text=text,
                                  user_id=user.id, rasa_intent=ctx.intent, intent_confidence=ctx.confidence,
                                  entities={k: v[0] if len(v) == 1 else v for k, v in ctx.entities.items()},
                                  previous_intent=ctx.previous_intent, processing_time_ms=ctx.elapsed_ms())
                selection = select_option(session, user_id=user.id, option=option,
                                          recommendation_log_id=_int(tracker.get_slot("recommendation_log_id")),
                                          now=ctx.now, turn=turn, shown_at=shown_at)
                user_id = user.id
        except Exception:  # noqa: BLE001
            log.exception("Recording the choice of %s failed", ctx.sender_id)
            responder.say("utter_recommend_error")
            record_turn(ctx, responder)
            return [SlotSet("option_number", None)]
        invalidate_profile(user_id)
        details = []
        if selection.address:
            details.append(f"📍 {selection.address}")
        if selection.phone:
            details.append(f"📞 {selection.phone}")
        responder.say_text("\n".join([text] + details), QUICK_REPLIES)
        responder.send_json({"kind": "selection", "selection": {
            "shop_id": selection.shop_id, "shop_name": selection.shop_name, "menu_name": selection.menu_name,
            "final_price": selection.final_price, "address": selection.address, "phone": selection.phone},
            "quick_replies": QUICK_REPLIES})
        return [SlotSet("option_number", None), SlotSet("selected_shop_id", selection.shop_id)]


class _Shown:
    """Adapter so stored options can reuse the button builder."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.shop_id = data.get("shop_id")


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
