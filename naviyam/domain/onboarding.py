"""Onboarding answers (seed 001 §3.3.1) as plain rules: what counts as an answer, a budget, a skip."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from naviyam.shared.korean.vocab import normalize_dietary

SKIPPED = "skip"
MIN_BUDGET = 500
MAX_BUDGET = 100_000


@dataclass
class OnboardingAnswers:
    """Answers to the three onboarding questions; None means skipped."""

    foods: list[str] | None = None
    budget: int | None = None
    restrictions: list[str] | None = None

    @property
    def answered(self) -> int:
        return sum(x is not None for x in (self.foods, self.budget, self.restrictions))


def valid_budget(value: Any) -> int | None:
    """A usual meal budget in won, or None if it is not a plausible amount."""
    try:
        won = int(round(float(value)))
    except (TypeError, ValueError):
        return None
    return won if MIN_BUDGET <= won <= MAX_BUDGET else None


def restrictions_said(text: str) -> list[str] | None:
    """The answer to "못 먹는 음식이나 알레르기가 있어요?" read from its words: the restriction
    codes it names, [] for an answer that means none ("없어", "알레르기는 없어요"), None when the
    words say neither."""
    codes = normalize_dietary(text or "")
    if codes:
        return codes
    return [] if "없" in (text or "") else None


_REQUEST_WORDS = re.compile(
    r"먹고|먹을|싶|추천|배고|뭐|알려|찾아|어디|있어|있나|가자|갈래|주문|시켜|땡겨|당기|ㄱㄱ"
    r"|\?|그럼|그러면|어때|없어|말고|빼고|은요|는요"  # "그럼 치킨은?" is a follow-up request
)
_FILLER = re.compile(r"[\s.,!?~^ㅎㅋㅠㅜ😊🙂]+|요$|이요$|입니다$|이에요$|예요$|요\b")


def is_bare_answer(text: str, entity_texts: list[str]) -> bool:
    """True for answers such as "치킨이요", "떡볶이랑 피자!" (no request words around).

    Used during onboarding: a bare food name answers "어떤 음식을 좋아해요?", while
    "치킨 먹고 싶어" is a request that gets recommendations first.
    """
    if _REQUEST_WORDS.search(text or ""):
        return False
    rest = text or ""
    for entity_text in entity_texts:
        rest = rest.replace(entity_text, " ")
    rest = _FILLER.sub("", rest)
    rest = re.sub(r"(이랑|랑|하고|그리고|와|과|도|이나|나|,|이|가|은|는|을|를|정도|쯤|요)", "", rest)
    return len(rest.strip()) <= 2
