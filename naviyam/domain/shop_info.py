"""Answers about one shop already shown: which shop "거기" / "2번" means, what was asked, the facts.

Pure. ``referenced_shop`` picks the shop (an option number → that option; "거기" or no
reference → the last shop chosen, else the first shown); ``asked_topics`` orders the
answer's lines so the asked one comes first; ``hours_facts`` reads the business hours.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping

from naviyam.domain.hours import BREAK_TIME, OPEN, closes_at, describe_day, next_opening, status_at

TOPICS = ("hours", "address", "phone", "card", "walk")
_TOPIC_WORDS = {
    "hours": ("몇 시", "몇시", "닫", "열어", "여는", "영업", "브레이크", "쉬는", "휴무", "오픈", "마감", "언제까지", "라스트"),
    "address": ("어디", "주소", "위치", "어떻게 가", "가는 길", "찾아가"),
    "phone": ("전화", "번호", "연락"),
    "card": ("카드", "급식", "결제"),
    "walk": ("얼마나 걸", "몇 분", "몇분", "멀어", "멀", "가까"),
}


def asked_topics(text: str) -> list[str]:
    """The topics named in the question first, then the others (all are answered)."""
    asked = [t for t in TOPICS if any(word in (text or "") for word in _TOPIC_WORDS[t])]
    if "phone" in asked and "번호" in (text or "") and "전화" not in text and "연락" not in text:
        if any(w in text for w in ("카드 번호", "카드번호")):
            asked.remove("phone")
    return asked + [t for t in TOPICS if t not in asked]


def referenced_shop(recent: list[dict[str, Any]], number: int | None, selected_shop_id: int | None) -> int | None:
    """"2번" → the 2nd shown; otherwise the last shop chosen, else the first shown."""
    shown = [r for r in recent or [] if isinstance(r, dict) and r.get("shop_id") is not None]
    if number is not None and 1 <= number <= len(shown):
        return int(shown[number - 1]["shop_id"])
    if selected_shop_id is not None:
        return int(selected_shop_id)
    return int(shown[0]["shop_id"]) if shown else None


@dataclass(frozen=True)
class HoursFacts:
    status: str                      # OPEN, CLOSED, BREAK_TIME, UNKNOWN
    today: str | None                # "09:00~22:00 (브레이크 15:00~17:00)", "휴무", None (unknown)
    tomorrow: str | None
    closes_at: datetime | None
    opens_at: datetime | None


def _day(hours: Mapping[str, Any] | None, when: datetime) -> str | None:
    text = describe_day(hours, when)
    return "휴무" if text == "오늘 휴무" else text


def hours_facts(hours: Mapping[str, Any] | None, now: datetime) -> HoursFacts:
    status = status_at(hours, now)
    return HoursFacts(status=status, today=_day(hours, now), tomorrow=_day(hours, now + timedelta(days=1)),
                      closes_at=closes_at(hours, now) if status == OPEN else None,
                      opens_at=next_opening(hours, now) if status in (BREAK_TIME, "CLOSED") else None)
