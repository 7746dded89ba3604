"""Rules that involve several columns of one row (the models' CHECK constraints).

``row_problems(sheet, row)`` yields ``(column, message)`` for a row whose cells each
converted fine; ``business_hours_problems`` checks the ``shops.business_hours`` format.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from naviyam.domain.hours import WEEKDAYS

HOURS_KEYS = WEEKDAYS + ("holiday",)
_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


def row_problems(sheet: str, row: dict[str, Any]) -> Iterable[tuple[str | None, str]]:
    """``(column, message)`` for each rule of ``sheet`` that ``row`` breaks."""
    if sheet == "shops" and row.get("business_hours"):
        for problem in business_hours_problems(row["business_hours"]):
            yield "business_hours", problem
    elif sheet == "coupons":
        amount, rate = row.get("discount_amount"), row.get("discount_rate")
        if (amount is None) == (rate is None):
            yield "discount_amount", "give exactly one of discount_amount (fixed) or discount_rate (percentage)"
        elif row["coupon_type"] == "PERCENTAGE" and rate is None:
            yield "discount_rate", "a PERCENTAGE coupon needs discount_rate"
        elif row["coupon_type"] == "FIXED_AMOUNT" and amount is None:
            yield "discount_amount", "a FIXED_AMOUNT coupon needs discount_amount"
        if row["valid_until"] < row["valid_from"]:
            yield "valid_until", "valid_until is before valid_from"
        if row["usage_type"] == "SHOP" and not row.get("applicable_shop_ids"):
            yield "applicable_shop_ids", "a SHOP coupon needs applicable_shop_ids"
        if row["usage_type"] == "CATEGORY" and not row.get("target_categories"):
            yield "target_categories", "a CATEGORY coupon needs target_categories"
    elif sheet == "user_coupon_wallet":
        if row["expires_at"] < row["issued_at"]:
            yield "expires_at", "expires_at is before issued_at"
        if row.get("status") == "USED" and row.get("used_at") is None:
            yield "used_at", "status USED needs used_at"
        if row.get("status") != "USED" and row.get("used_at") is not None:
            yield "used_at", "used_at is only allowed when status is USED"
    elif sheet == "foodcard_users":
        for col in ("daily_spent", "monthly_spent"):
            limit = row.get(col.replace("spent", "limit"))
            if limit is not None and row.get(col, 0) > limit:
                yield col, f"{col} is above {col.replace('spent', 'limit')}"


def _minutes(text: Any) -> int | None:
    if not isinstance(text, str) or not _TIME_RE.match(text):
        return None
    hours, minutes = int(text[:2]), int(text[3:])
    if hours == 24 and minutes != 0:
        return None
    return hours * 60 + minutes


def business_hours_problems(hours: dict) -> list[str]:
    """What is wrong with a business_hours object (empty list: fine).

    Format (seed 004 §3.1): ``{"monday": {"open": "09:00", "close": "22:00",
    "break_start": "15:00", "break_end": "17:00"}, ..., "sunday": {"closed": true}}``.
    ``close`` "24:00" is midnight; a ``close`` earlier than ``open`` means the next day
    (``{"open": "17:00", "close": "02:00"}``); 24 hours is ``{"open": "00:00", "close": "24:00"}``.
    """
    problems = []
    for key, day in hours.items():
        if key not in HOURS_KEYS:
            problems.append(f"unknown day {key!r} (use {', '.join(HOURS_KEYS)})")
            continue
        if not isinstance(day, dict):
            problems.append(f"{key}: expected an object")
            continue
        if day.get("closed") is True:
            continue
        opening, closing = _minutes(day.get("open")), _minutes(day.get("close"))
        if opening is None or closing is None:
            problems.append(f"{key}: open and close must be HH:MM (00:00-24:00)")
            continue
        if opening == closing or opening == 24 * 60:
            problems.append(f"{key}: open and close must differ (24 hours is 00:00-24:00)")
            continue
        has_start, has_end = "break_start" in day, "break_end" in day
        if has_start != has_end:
            problems.append(f"{key}: break_start and break_end go together")
            continue
        if has_start:
            start, end = _minutes(day["break_start"]), _minutes(day["break_end"])
            if start is None or end is None or start >= end:
                problems.append(f"{key}: break must be HH:MM with break_start before break_end")
                continue
            closing_same_day = closing if closing > opening else 24 * 60
            if not (opening <= start and end <= closing_same_day):
                problems.append(f"{key}: the break must lie within opening hours")
    return problems
