"""Business hours: is a shop open at a given moment, and when does it open next?

``shops.business_hours`` (seed 004 §3.1/§7) maps a weekday to that day's schedule::

    {"monday": {"open": "09:00", "close": "22:00", "break_start": "15:00", "break_end": "17:00"},
     "sunday": {"closed": true}, ...}

Rules this module implements (and tests/test_hours.py proves):
- A day that is missing, ``{"closed": true}`` or has no open/close is closed that day.
- ``"00:00"``-``"24:00"`` (or open == close) is open all day.
- A close at or before the open time runs past midnight: open 17:00 close 02:00 on
  Friday means open Friday 17:00 to Saturday 02:00; Saturday 01:00 is judged by
  Friday's schedule.
- A break (``break_start``-``break_end``) is closed time inside the day's span; a break
  before the open time belongs to the after-midnight part of that span.
- No hours at all (None or empty) is UNKNOWN: callers must not claim such a shop is open.

Pure standard library; times are compared in the timezone of ``when``.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

OPEN, CLOSED, BREAK_TIME, UNKNOWN = "OPEN", "CLOSED", "BREAK_TIME", "UNKNOWN"
DAY_MINUTES = 24 * 60
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_ALIASES = {
    **{d: i for i, d in enumerate(WEEKDAYS)},
    **{d[:3]: i for i, d in enumerate(WEEKDAYS)},
    **{k: i for i, k in enumerate("월화수목금토일")},
    **{k + "요일": i for i, k in enumerate("월화수목금토일")},
}
KOREAN_WEEKDAYS = ("월", "화", "수", "목", "금", "토", "일")


def parse_hhmm(value: Any) -> int | None:
    """``"09:30"`` → 570 minutes; ``"24:00"`` → 1440; anything else → None."""
    if isinstance(value, time):
        return value.hour * 60 + value.minute
    if not isinstance(value, str):
        return None
    parts = value.strip().split(":")
    if len(parts) < 2:
        return None
    try:
        hours, minutes = int(parts[0]), int(parts[1])
    except ValueError:
        return None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        return None
    return hours * 60 + minutes


def _normalise(business_hours: Mapping[str, Any] | None) -> dict[int, Mapping[str, Any]] | None:
    """Weekday index → that day's schedule, or None when there is no usable information."""
    if not business_hours or not isinstance(business_hours, Mapping):
        return None
    days: dict[int, Mapping[str, Any]] = {}
    for key, schedule in business_hours.items():
        index = _DAY_ALIASES.get(str(key).strip().lower())
        if index is not None and isinstance(schedule, Mapping):
            days[index] = schedule
    return days or None


def day_spans(schedule: Mapping[str, Any] | None) -> tuple[tuple[int, int], list[tuple[int, int]]] | None:
    """One day's ``(open, close)`` span in minutes from that day's midnight plus its breaks.

    ``close`` may exceed 1440 (past midnight). Returns None for a closed day.
    """
    if not schedule or schedule.get("closed") is True:
        return None
    start, end = parse_hhmm(schedule.get("open")), parse_hhmm(schedule.get("close"))
    if start is None or end is None:
        return None
    if end <= start:  # past midnight, or open == close meaning all day
        end += DAY_MINUTES
    if start == DAY_MINUTES:
        return None
    breaks: list[tuple[int, int]] = []
    b_start, b_end = parse_hhmm(schedule.get("break_start")), parse_hhmm(schedule.get("break_end"))
    if b_start is not None and b_end is not None and b_start != b_end:
        if b_start < start:
            b_start += DAY_MINUTES
        if b_end <= b_start:
            b_end += DAY_MINUTES
        b_start, b_end = max(b_start, start), min(b_end, end)
        if b_start < b_end:
            breaks.append((b_start, b_end))
    return (start, end), breaks


def open_intervals(business_hours: Mapping[str, Any] | None, first_day: date,
                   days: int, tzinfo=None) -> list[tuple[datetime, datetime]]:
    """Open intervals ``[start, end)`` of the schedules of ``days`` days from ``first_day``."""
    normalised = _normalise(business_hours)
    if normalised is None:
        return []
    result: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        spans = day_spans(normalised.get(day.weekday()))
        if spans is None:
            continue
        (start, end), breaks = spans
        midnight = datetime.combine(day, time(0), tzinfo)
        cursor = start
        for b_start, b_end in breaks:
            if cursor < b_start:
                result.append((midnight + timedelta(minutes=cursor), midnight + timedelta(minutes=b_start)))
            cursor = max(cursor, b_end)
        if cursor < end:
            result.append((midnight + timedelta(minutes=cursor), midnight + timedelta(minutes=end)))
    result.sort()
    return result


def status_at(business_hours: Mapping[str, Any] | None, when: datetime) -> str:
    """OPEN, CLOSED, BREAK_TIME or UNKNOWN (no hours information) at ``when``."""
    normalised = _normalise(business_hours)
    if normalised is None:
        return UNKNOWN
    minute = when.hour * 60 + when.minute
    today = when.weekday()
    # Today's schedule at `minute`, then yesterday's schedule at `minute + 1440`.
    in_break = False
    for weekday, offset in ((today, minute), ((today - 1) % 7, minute + DAY_MINUTES)):
        spans = day_spans(normalised.get(weekday))
        if spans is None:
            continue
        (start, end), breaks = spans
        if start <= offset < end:
            if any(b_start <= offset < b_end for b_start, b_end in breaks):
                in_break = True
                continue
            return OPEN
    return BREAK_TIME if in_break else CLOSED


def is_open_at(business_hours: Mapping[str, Any] | None, when: datetime) -> bool:
    """True only when the shop is known to be open at ``when`` (UNKNOWN counts as not open)."""
    return status_at(business_hours, when) == OPEN


def next_opening(business_hours: Mapping[str, Any] | None, when: datetime,
                 horizon_days: int = 7) -> datetime | None:
    """The next moment after ``when`` at which the shop opens (None if open now or never)."""
    if status_at(business_hours, when) in (OPEN, UNKNOWN):
        return None
    for start, _end in open_intervals(business_hours, when.date() - timedelta(days=1),
                                      horizon_days + 2, when.tzinfo):
        if start > when:
            return start
    return None


def closes_at(business_hours: Mapping[str, Any] | None, when: datetime) -> datetime | None:
    """When the current open interval ends (None when not open at ``when``)."""
    for start, end in open_intervals(business_hours, when.date() - timedelta(days=1), 2, when.tzinfo):
        if start <= when < end:
            return end
    return None


def weekly_minute_intervals(business_hours: Mapping[str, Any] | None) -> list[tuple[int, int]] | None:
    """Open intervals as minutes from Monday 00:00 over one week, wrapped at the week's end.

    The catalog uses this to judge thousands of shops at once with numpy; it agrees with
    :func:`status_at` (the property tests check both). None means UNKNOWN.
    """
    normalised = _normalise(business_hours)
    if normalised is None:
        return None
    week = 7 * DAY_MINUTES
    intervals: list[tuple[int, int]] = []
    for weekday in range(7):
        spans = day_spans(normalised.get(weekday))
        if spans is None:
            continue
        (start, end), breaks = spans
        pieces, cursor = [], start
        for b_start, b_end in breaks:
            if cursor < b_start:
                pieces.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            pieces.append((cursor, end))
        base = weekday * DAY_MINUTES
        for s, e in pieces:
            s, e = base + s, base + e
            if e <= week:
                intervals.append((s, e))
            elif s >= week:
                intervals.append((s - week, e - week))
            else:  # Sunday night past midnight wraps to Monday morning
                intervals.append((s, week))
                intervals.append((0, e - week))
    return sorted(intervals)


def minute_of_week(when: datetime) -> int:
    return when.weekday() * DAY_MINUTES + when.hour * 60 + when.minute


def describe_day(business_hours: Mapping[str, Any] | None, when: datetime) -> str | None:
    """Today's hours in Korean for a reply, e.g. ``"09:00~22:00 (브레이크 15:00~17:00)"``."""
    normalised = _normalise(business_hours)
    if normalised is None:
        return None
    schedule = normalised.get(when.weekday())
    spans = day_spans(schedule)
    if spans is None:
        return "오늘 휴무"
    text = f"{schedule.get('open')}~{schedule.get('close')}"
    if spans[1]:
        text += f" (브레이크 {schedule.get('break_start')}~{schedule.get('break_end')})"
    return text
