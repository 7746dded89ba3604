"""What counts as an answer to the pending onboarding question (seed 001 §3.3.1).

Shared by the form's validator (actions/onboarding.py) and the clarifying question
(actions/dialogue.py): when the NLU is unsure of a short answer such as "없어" or "오천원"
(nlu_fallback) while a question is pending, the words themselves can still answer it, and then
the form takes the answer instead of the child getting "제가 잘 이해했는지 모르겠어요".
"""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker

from actions.common import TurnContext
from naviyam.domain.onboarding import is_bare_answer, restrictions_said
from naviyam.shared.korean.numbers import parse_money

FORM_NAME = "onboarding_form"
# Intents under which a bare value ("치킨이요", "오천원 정도요") still answers the question.
ANSWER_INTENTS = {"inform", "food_request", "menu_option", "budget_inquiry", "nlu_fallback"}
# Intents under which the words alone are read as the answer (the NLU said "an answer" or was unsure).
WORD_ANSWER_INTENTS = {"inform", "nlu_fallback"}


def entity_texts(tracker: Tracker, name: str | None = None) -> list[str]:
    out = []
    for entity in (tracker.latest_message or {}).get("entities") or []:
        if name is None or entity.get("entity") == name:
            out.append(str(entity.get("text") or entity.get("value") or ""))
    return out


def is_answer(ctx: TurnContext, tracker: Tracker, entity: str) -> bool:
    """An inform, or a bare value ("치킨이요", "오천원") under another intent."""
    if not ctx.entities.get(entity):
        return False
    if ctx.intent == "inform":
        return True
    return ctx.intent in ANSWER_INTENTS and is_bare_answer(ctx.text, entity_texts(tracker))


def answer_from_words(slot: str | None, text: str) -> dict[str, Any]:
    """The pending question's answer read from the words alone: a budget ("오천원"), the
    restrictions named, or none of them ("없어", "알레르기는 없어요"). Empty when the words
    do not answer the question."""
    if slot == "onboarding_budget":
        amount = parse_money(text or "")
        return {slot: amount} if amount is not None else {}
    if slot == "onboarding_restrictions":
        said = restrictions_said(text or "")
        return {slot: said} if said is not None else {}
    return {}


def form_takes_it(tracker: Tracker) -> bool:
    """The onboarding form is asking, and this message (which the NLU was unsure of) answers the
    question: the rule runs the form right after the clarifying action, and the form takes it."""
    if (tracker.active_loop or {}).get("name") != FORM_NAME:
        return False
    slot = tracker.get_slot("requested_slot")
    ctx = TurnContext.from_tracker(tracker)
    if slot == "onboarding_foods":
        return is_answer(ctx, tracker, "food_type")
    return bool(answer_from_words(slot, ctx.text))
