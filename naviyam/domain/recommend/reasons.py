"""Why an item was picked, as stable codes plus kid-friendly Korean words.

Codes (issue 4): BUDGET_FIT, NEARBY, POPULAR, FOODCARD_OK, HIGH_QUALITY,
USER_PREFERENCE. The payload carries the codes; the reply text uses ``REASON_TEXT``
(both in naviyam/shared/reason_words.py, which the channels read too).
"""
from __future__ import annotations

from naviyam.shared.reason_words import (BUDGET_FIT, FOODCARD_OK, HIGH_QUALITY, NEARBY, POPULAR,  # noqa: F401
                                         REASON_TEXT, USER_PREFERENCE)

NEARBY_METERS = 400
POPULAR_SCORE = 0.7
QUALITY_SCORE = 0.8


def reasons_for(*, final_price: int, budget: int | None, distance_m: float | None,
                popularity: float, popular_menu: bool, quality: float, good_influence: bool,
                foodcard: str, category: str, preferred_categories: list[str],
                favorite: bool = False, affinity: float = 0.0) -> list[str]:
    reasons: list[str] = []
    if favorite or category in preferred_categories or affinity >= 0.5:
        reasons.append(USER_PREFERENCE)
    if budget is not None and final_price <= budget:
        reasons.append(BUDGET_FIT)
    if distance_m is not None and distance_m <= NEARBY_METERS:
        reasons.append(NEARBY)
    if popularity >= POPULAR_SCORE or popular_menu:
        reasons.append(POPULAR)
    if quality >= QUALITY_SCORE or good_influence:
        reasons.append(HIGH_QUALITY)
    if foodcard == "Y":
        reasons.append(FOODCARD_OK)
    return reasons


def reasons_text(codes: list[str], limit: int = 2) -> str:
    """``["BUDGET_FIT", "NEARBY"]`` → ``"예산 안이에요 · 가까워요"`` (급식카드 is shown apart)."""
    words = [REASON_TEXT[c] for c in codes if c in REASON_TEXT and c != FOODCARD_OK]
    return " · ".join(words[:limit])
