"""Business hours: breaks, closed days, 24 hours, past midnight, next opening."""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from naviyam.domain.hours import (
    BREAK_TIME, CLOSED, OPEN, UNKNOWN, closes_at, describe_day, is_open_at,
    minute_of_week, next_opening, status_at, weekly_minute_intervals,
)

KST = ZoneInfo("Asia/Seoul")
# 2026-11-16 is a Monday.
MON = datetime(2026, 11, 16, tzinfo=KST)


def at(day_offset: int, hhmm: str) -> datetime:
    h, m = map(int, hhmm.split(":"))
    return MON + timedelta(days=day_offset, hours=h, minutes=m)


LUNCH_PLACE = {
    "monday": {"open": "09:00", "close": "22:00", "break_start": "15:00", "break_end": "17:00"},
    "tuesday": {"open": "09:00", "close": "22:00"},
    "wednesday": {"closed": True},
    "thursday": {"open": "09:00", "close": "22:00"},
    "friday": {"open": "09:00", "close": "23:00"},
    "saturday": {"open": "11:00", "close": "23:00"},
    # sunday missing: closed
}
PUB = {d: {"open": "17:00", "close": "02:00"} for d in
       ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")}
STORE_24H = {d: {"open": "00:00", "close": "24:00"} for d in
             ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


@pytest.mark.parametrize("when,expected", [
    (at(0, "08:59"), CLOSED), (at(0, "09:00"), OPEN), (at(0, "14:59"), OPEN),
    (at(0, "15:00"), BREAK_TIME), (at(0, "16:59"), BREAK_TIME), (at(0, "17:00"), OPEN),
    (at(0, "21:59"), OPEN), (at(0, "22:00"), CLOSED),
    (at(1, "15:30"), OPEN),           # no break on Tuesday
    (at(2, "12:00"), CLOSED),         # closed Wednesday
    (at(6, "12:00"), CLOSED),         # Sunday missing from the schedule
    (at(4, "22:30"), OPEN),           # Friday runs later
])
def test_breaks_and_closed_days(when, expected):
    assert status_at(LUNCH_PLACE, when) == expected
    assert is_open_at(LUNCH_PLACE, when) is (expected == OPEN)


def test_past_midnight_counts_for_previous_day():
    assert is_open_at(PUB, at(4, "23:30"))        # Friday night
    assert is_open_at(PUB, at(5, "01:30"))        # Saturday 01:30 is Friday's night
    assert not is_open_at(PUB, at(5, "02:00"))
    assert is_open_at(PUB, at(6, "01:00"))        # Sunday 01:00 is Saturday's night
    assert not is_open_at(PUB, at(6, "18:00"))    # closed Sunday
    assert not is_open_at(PUB, at(0, "01:00"))    # Monday 01:00: Sunday was closed
    assert not is_open_at(PUB, at(0, "12:00"))


def test_24_hours():
    for day in range(7):
        for hhmm in ("00:00", "03:17", "12:00", "23:59"):
            assert is_open_at(STORE_24H, at(day, hhmm))
    assert is_open_at({"monday": {"open": "00:00", "close": "00:00"}}, at(0, "05:00"))


def test_unknown_hours_are_never_open():
    for hours in (None, {}, {"foo": 1}):
        assert status_at(hours, at(0, "12:00")) == UNKNOWN
        assert not is_open_at(hours, at(0, "12:00"))
    assert next_opening(None, at(0, "12:00")) is None


def test_korean_and_short_day_keys():
    assert is_open_at({"월": {"open": "10:00", "close": "20:00"}}, at(0, "11:00"))
    assert is_open_at({"mon": {"open": "10:00", "close": "20:00"}}, at(0, "11:00"))


def test_next_opening_and_closing():
    assert next_opening(LUNCH_PLACE, at(0, "15:30")) == at(0, "17:00")   # after the break
    assert next_opening(LUNCH_PLACE, at(0, "07:00")) == at(0, "09:00")
    assert next_opening(LUNCH_PLACE, at(1, "23:00")) == at(3, "09:00")   # skips closed Wednesday
    assert next_opening(LUNCH_PLACE, at(0, "10:00")) is None             # open now
    assert next_opening(PUB, at(6, "10:00")) == at(7, "17:00")           # Sunday → Monday
    assert closes_at(PUB, at(5, "01:00")) == at(5, "02:00")
    assert closes_at(LUNCH_PLACE, at(0, "10:00")) == at(0, "15:00")


def test_break_after_midnight():
    hours = {"friday": {"open": "18:00", "close": "04:00", "break_start": "01:00", "break_end": "02:00"}}
    assert is_open_at(hours, at(4, "23:00"))
    assert is_open_at(hours, at(5, "00:30"))
    assert status_at(hours, at(5, "01:30")) == BREAK_TIME
    assert is_open_at(hours, at(5, "03:00"))
    assert not is_open_at(hours, at(5, "04:00"))


def test_describe_day():
    assert describe_day(LUNCH_PLACE, at(0, "10:00")) == "09:00~22:00 (브레이크 15:00~17:00)"
    assert describe_day(LUNCH_PLACE, at(2, "10:00")) == "오늘 휴무"


def test_weekly_intervals_agree_with_status_at():
    rng = random.Random(7)
    schedules = [LUNCH_PLACE, PUB, STORE_24H]
    for _ in range(60):
        hours = {}
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"):
            if rng.random() < 0.15:
                hours[day] = {"closed": True}
                continue
            o, c = rng.randrange(0, 24 * 4) * 15, rng.randrange(0, 24 * 4 + 1) * 15
            sched = {"open": f"{o // 60:02d}:{o % 60:02d}", "close": f"{c // 60:02d}:{c % 60:02d}"}
            if rng.random() < 0.4:
                b = rng.randrange(0, 24 * 4) * 15
                sched.update(break_start=f"{b // 60:02d}:{b % 60:02d}",
                             break_end=f"{(b + 60) % 1440 // 60:02d}:{b % 60:02d}")
            hours[day] = sched
        schedules.append(hours)
    for hours in schedules:
        intervals = weekly_minute_intervals(hours)
        for _ in range(200):
            when = MON + timedelta(minutes=rng.randrange(0, 7 * 1440))
            m = minute_of_week(when)
            fast = any(s <= m < e for s, e in intervals)
            assert fast == is_open_at(hours, when), (hours, when)
