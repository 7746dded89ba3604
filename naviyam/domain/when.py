"""Another time: "저녁에", "내일 점심", "일요일에도 하는 곳", "밤 11시" → the moment shops must be open.

Pure. ``shifted_time(text, time_preference, now)`` returns None when the request is about
now (no time word, "지금", or the meal already under way today), else a ``TimeShift``
whose ``at`` replaces the open-now moment of the hard filters and whose ``label`` the
answer repeats ("내일 점심(12:00)에 여는 곳으로 찾았어요"). Meal times: 아침 08:00,
점심 12:00, 저녁 18:00, 야식 22:00 (the meal slots of ``request.meal_slot_for``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from naviyam.domain.recommend.request import meal_slot_for

MEAL_TIMES = {"아침": (8, 0), "점심": (12, 0), "저녁": (18, 0), "야식": (22, 0)}
_MEAL_WORDS = (("아침", "아침"), ("브런치", "아침"), ("점심", "점심"), ("낮", "점심"), ("저녁", "저녁"),
               ("야식", "야식"), ("밤", "야식"), ("새벽", "야식"))
_WEEKDAYS = "월화수목금토일"
_DAY_WORDS = (("내일모레", 2), ("모레", 2), ("내일", 1), ("낼", 1), ("오늘", 0))
_CLOCK = re.compile(r"(오전|오후|아침|저녁|밤|새벽|낮)?\s*(?<!\d)(\d{1,2})\s*시(?!간)\s*(반|(\d{1,2})\s*분)?")
_WEEKDAY = re.compile(r"([월화수목금토일])요일")
_NOW = re.compile(r"지금|당장|바로|현재")


@dataclass(frozen=True)
class TimeShift:
    at: datetime
    label: str            # "내일 점심(12:00)", "일요일 12:30", "오늘 저녁(18:00)"

    def to_state(self) -> dict[str, str]:
        return {"at": self.at.isoformat(), "label": self.label}


def _day_offset(text: str, now: datetime) -> tuple[int, str] | None:
    for word, offset in _DAY_WORDS:
        if word in text:
            return offset, word if word != "낼" else "내일"
    match = _WEEKDAY.search(text)
    if match:
        wanted = _WEEKDAYS.index(match.group(1))
        return (wanted - now.weekday()) % 7, f"{match.group(1)}요일"
    if "주말" in text:
        return (5 - now.weekday()) % 7 if now.weekday() != 6 else 0, "주말"
    return None


def _clock(text: str) -> tuple[int, int] | None:
    match = _CLOCK.search(text)
    if not match:
        return None
    hour = int(match.group(2))
    if hour == 24 and not match.group(1):
        return None                           # "24시 식당" is a shop open around the clock
    minute = 30 if match.group(3) == "반" else int(match.group(4) or 0)
    if not (0 <= hour <= 24 and 0 <= minute < 60):
        return None
    part = match.group(1)
    if part in ("오후", "저녁", "밤") and hour < 12:
        hour += 12
    if part == "새벽" and hour == 12:
        hour = 0
    return hour % 24, minute


def _meal(text: str, time_preference: str | None) -> str | None:
    if time_preference in MEAL_TIMES:
        return time_preference
    for word, meal in _MEAL_WORDS:
        if word in text:
            return meal
    return None


def shifted_time(text: str | None, time_preference: str | None, now: datetime) -> TimeShift | None:
    """The moment the user means when it is not now, with the words to say it back."""
    text = text or ""
    if _NOW.search(text) or time_preference == "지금":
        return None
    day = _day_offset(text, now)
    clock = _clock(text)
    meal = _meal(text, time_preference)
    if day is None and clock is None and meal is None:
        return None
    if clock is not None:
        hour, minute = clock
        label_time = f"{hour:02d}:{minute:02d}"
    elif meal is not None:
        hour, minute = MEAL_TIMES[meal]
        label_time = f"{meal}({hour:02d}:{minute:02d})"
    else:
        hour, minute = now.hour, now.minute
        label_time = f"{hour:02d}:{minute:02d}"
    offset, day_word = day if day is not None else (0, "오늘")
    at = (now + timedelta(days=offset)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    if day is None:
        if clock is None and meal is not None and meal_slot_for(now) == meal:
            return None                       # "점심 추천" at lunchtime: now
        if at < now - timedelta(minutes=30):  # that time has passed today: the next one
            at += timedelta(days=1)
            day_word = "내일"
    if day is not None and offset == 0 and clock is None and meal is None:
        return None                           # "오늘" alone is now
    if abs((at - now).total_seconds()) < 30 * 60:
        return None
    return TimeShift(at=at, label=f"{day_word} {label_time}")
