"""Plausible weekly opening hours for a shop, by category (docs/SAMPLE_DATA.md conventions).

Minutes since 00:00 are written as ``"HH:MM"``; ``"24:00"`` is midnight and a closing
time past midnight is written as the next day's time (earlier than the opening).
"""
from __future__ import annotations

import random
from typing import Any

from naviyam.domain.hours import WEEKDAYS


def _hhmm(minutes: int) -> str:
    """Minutes since 00:00 → "HH:MM"; 1440 is "24:00"; later means the next day."""
    if minutes > 24 * 60:
        minutes -= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(opening: int, closing: int, brk: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"open": _hhmm(opening), "close": _hhmm(closing)}
    if brk:
        entry["break_start"], entry["break_end"] = _hhmm(brk[0]), _hhmm(brk[1])
    return entry


def _week(opening: int, closing: int, *, brk: tuple[int, int] | None = None,
          closed: tuple[str, ...] = (), weekend_late_open: int = 0, fri_sat_extra: int = 0,
          weekend_break: bool = False, holiday_closed: bool = False) -> dict[str, Any]:
    hours: dict[str, Any] = {}
    for name in WEEKDAYS:
        if name in closed:
            hours[name] = {"closed": True}
            continue
        o, c = opening, closing
        if name in ("saturday", "sunday"):
            o += weekend_late_open
        if name in ("friday", "saturday") and c < 24 * 60 and fri_sat_extra:
            c = min(c + fri_sat_extra, 24 * 60)
        elif name in ("friday", "saturday") and c > 24 * 60 and fri_sat_extra:
            c = c + fri_sat_extra
        use_break = brk if (brk and (weekend_break or name not in ("saturday", "sunday"))) else None
        if use_break and not (o <= use_break[0] and use_break[1] <= min(c, 24 * 60)):
            use_break = None
        hours[name] = _day(o, c, use_break)
    if holiday_closed:
        hours["holiday"] = {"closed": True}
    return hours


H = 60
ALL_DAY = (0, 24 * H)


def hours_for(rng: random.Random, category: str, name: str, brand: str | None) -> dict[str, Any]:
    """Plausible opening hours for a shop of ``category`` (see docs for conventions)."""
    r = rng.random()
    one_closed = (rng.choice(("sunday", "monday", "tuesday")),)
    if "24시" in name:
        return _week(*ALL_DAY)
    if category == "편의점":
        return _week(*ALL_DAY) if r < 0.85 else _week(7 * H, 24 * H, weekend_late_open=H)
    if category == "한식":
        if r < 0.4:
            return _week(10 * H, 21 * H + 30, brk=(15 * H, 16 * H + 30),
                         closed=("sunday",) if rng.random() < 0.5 else (), holiday_closed=True)
        if r < 0.7:
            return _week(11 * H, 22 * H, closed=one_closed if rng.random() < 0.4 else (), fri_sat_extra=H)
        if r < 0.85:
            return _week(7 * H, 21 * H, brk=(15 * H, 17 * H))
        return _week(17 * H, 26 * H, closed=("sunday",), fri_sat_extra=H)  # late opener, past midnight
    if category == "중식":
        return _week(11 * H, 21 * H + (30 if r < 0.5 else 0),
                     brk=(15 * H, 16 * H + 30) if rng.random() < 0.5 else None,
                     closed=(rng.choice(("monday", "sunday")),) if rng.random() < 0.5 else ())
    if category == "일식":
        return _week(11 * H + 30, 21 * H, brk=(15 * H, 17 * H) if r < 0.7 else None,
                     closed=one_closed if rng.random() < 0.4 else (), holiday_closed=rng.random() < 0.3)
    if category == "양식":
        return _week(11 * H + 30, 22 * H, brk=(15 * H + 30, 17 * H) if r < 0.6 else None,
                     closed=("monday",) if rng.random() < 0.4 else (), weekend_late_open=30)
    if category == "치킨":
        if r < 0.5:
            return _week(16 * H, 26 * H, fri_sat_extra=H, closed=("tuesday",) if rng.random() < 0.15 else ())
        if r < 0.8:
            return _week(15 * H, 24 * H)
        return _week(12 * H, 25 * H)
    if category == "피자":
        return _week(11 * H, 23 * H if r < 0.7 else 24 * H)
    if category == "패스트푸드":
        if brand in ("맥도날드", "버거킹") and r < 0.6:
            return _week(*ALL_DAY)
        if brand == "서브웨이":
            return _week(8 * H, 22 * H, weekend_late_open=H)
        return _week(10 * H, 22 * H + (30 if r < 0.5 else 0), fri_sat_extra=H if r < 0.3 else 0)
    if category == "분식":
        if name.startswith("심야"):
            return _week(18 * H, 28 * H, closed=("monday",))
        if brand == "김밥천국" and r < 0.6:
            return _week(*ALL_DAY)
        if r < 0.5:
            return _week(9 * H, 21 * H, closed=("sunday",) if rng.random() < 0.3 else ())
        if r < 0.8:
            return _week(10 * H, 22 * H, brk=(15 * H, 16 * H) if rng.random() < 0.3 else None)
        return _week(11 * H, 25 * H, fri_sat_extra=H)
    if category == "카페/디저트":
        if "24시" in name:
            return _week(*ALL_DAY)
        if brand == "설빙":
            return _week(11 * H, 23 * H)
        if name.startswith("붕어빵"):
            return _week(12 * H, 20 * H, closed=("monday",))
        return _week(8 * H if r < 0.6 else 10 * H, 22 * H, weekend_late_open=H if r < 0.6 else 0)
    if category == "도시락/죽":
        if brand == "본죽":
            return _week(9 * H, 21 * H, closed=("sunday",) if r < 0.3 else ())
        if "컵밥" in name:
            return _week(7 * H, 22 * H, closed=("sunday",) if r < 0.2 else ())
        return _week(8 * H + 30, 21 * H + 30, weekend_late_open=30)
    if category == "프랜차이즈":
        if brand == "이삭토스트":
            return _week(7 * H, 20 * H, closed=("sunday",) if r < 0.3 else ())
        if brand == "청년다방":
            return _week(11 * H, 22 * H, fri_sat_extra=H)
        return _week(8 * H if r < 0.5 else 9 * H, 21 * H + 30)
    if category == "기타음식":
        if brand in ("라화쿵부",) or "마라" in name:
            return _week(11 * H, 23 * H)
        return _week(11 * H, 21 * H + 30, brk=(15 * H, 17 * H) if r < 0.5 else None,
                     closed=("monday",) if rng.random() < 0.2 else ())
    return _week(10 * H, 21 * H)


def open_minutes(day_entry: dict[str, Any]) -> list[tuple[int, int]]:
    """Open intervals of one day entry within that calendar day (minutes from 00:00).

    Simpler than ``naviyam.domain.hours``: the part after midnight is left out, which is
    all the generator needs to date a meal on that day.
    """
    if not day_entry or day_entry.get("closed"):
        return []

    def mins(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])

    o, c = mins(day_entry["open"]), mins(day_entry["close"])
    if c <= o:
        c = 24 * 60
    if "break_start" in day_entry:
        bs, be = mins(day_entry["break_start"]), mins(day_entry["break_end"])
        return [(o, bs), (be, c)]
    return [(o, c)]
