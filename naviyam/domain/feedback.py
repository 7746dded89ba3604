"""What a user's feedback says, and what it does (issue 12 "Feedback that is kept").

``read_feedback(text)`` turns "맛있었어", "별로였어", "별점 4점", "거기 문 닫았던데" into a
``FeedbackReading``: its kind (liked | disliked | rated | closed) and the 1-5 rating stored in
``recommendations_log.feedback_rating`` (an explicit rating as said; liked = 5, disliked = 2,
a rating of 1-2 counts as disliked, a closure carries no rating). ``excludes_shop`` says
whether the shop is left out of this user's recommendations for a while (disliked, a low
rating, a reported closure). Pure: the use case stores it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

# seed 004 §9.9 user_action, plus nothing: feedback on the chosen shop is 'selected',
# on a shown but not chosen one 'viewed'.
USER_ACTIONS = ("viewed", "clicked", "selected", "ignored", "scrolled_past")
LIKED, DISLIKED, RATED, CLOSED, NOTED = "liked", "disliked", "rated", "closed", "noted"
FEEDBACK_KINDS = (LIKED, DISLIKED, RATED, CLOSED, NOTED)
CLOSURE_STATUSES = ("pending", "confirmed", "dismissed")

LIKED_RATING, DISLIKED_RATING = 5, 2
LOW_RATING = 2            # a rating at or below this excludes the shop like "별로였어"

_CLOSED_WORDS = ("문닫", "닫혀", "닫았", "닫혔", "폐업", "영업안", "장사안", "없어졌", "문잠", "잠겨",
                 "휴무", "망했", "안열", "안 열", "문을닫")
_NEGATIVE_WORDS = ("별로", "맛없", "최악", "실망", "싫", "다시는", "다신", "아쉬", "불친절", "짜증",
                   "비쌌", "비싸", "식어", "늦게", "이상했", "적었", "적더", "달랐", "안받", "안 받", "멀었", "멀더")
_POSITIVE_WORDS = ("맛있", "맛나", "좋았", "최고", "만족", "짱", "또 갈", "또갈", "다음에도", "친절",
                   "괜찮", "잘 먹", "잘먹", "든든했", "감사")
_NATIVE = {"한": 1, "하나": 1, "두": 2, "둘": 2, "세": 3, "셋": 3, "네": 4, "넷": 4, "다섯": 5}
_SINO = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5}
_RATING_RE = re.compile(r"([1-5])\s*점(?!\s*만점)")
_STARS_RE = re.compile(r"(?:별|별점)\s*(다섯|하나|한|두|둘|세|셋|네|넷|[1-5])\s*(?:개|점)?")
_SINO_POINTS_RE = re.compile(r"(?<![가-힣])(일|이|삼|사|오)\s*점")


@dataclass(frozen=True)
class FeedbackReading:
    kind: str                 # liked | disliked | rated | closed | noted (neither good nor bad)
    rating: int | None        # 1-5 for recommendations_log.feedback_rating (None for a closure)

    @property
    def excludes_shop(self) -> bool:
        """The shop is left out of this user's recommendations for a while."""
        return self.kind in (DISLIKED, CLOSED) or (self.kind == RATED and (self.rating or 5) <= LOW_RATING)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


def rating_in_text(text: str) -> int | None:
    """"별점 4점" → 4, "별 다섯 개" → 5, "삼 점" → 3, "5점 만점에 5점" → 5; None without a rating."""
    raw = text or ""
    stars = _STARS_RE.search(raw)
    if stars:
        word = stars.group(1)
        return int(word) if word.isdigit() else _NATIVE.get(word)
    found = _RATING_RE.findall(raw)
    if found:
        return int(found[-1])
    sino = _SINO_POINTS_RE.search(raw)
    return _SINO.get(sino.group(1)) if sino else None


def read_feedback(text: str) -> FeedbackReading:
    """The kind and rating of one feedback message (see the module docstring)."""
    compact = _compact(text)
    if any(_compact(w) in compact for w in _CLOSED_WORDS):
        return FeedbackReading(CLOSED, None)
    rating = rating_in_text(text)
    if rating is not None:
        return FeedbackReading(RATED, rating)
    negative = any(_compact(w) in compact for w in _NEGATIVE_WORDS)
    positive = any(_compact(w) in compact for w in _POSITIVE_WORDS)
    if negative and not (positive and "별로" not in compact and "맛없" not in compact):
        return FeedbackReading(DISLIKED, DISLIKED_RATING)
    if positive:
        return FeedbackReading(LIKED, LIKED_RATING)
    return FeedbackReading(DISLIKED, DISLIKED_RATING) if negative else FeedbackReading(NOTED, None)
