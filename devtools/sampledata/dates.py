"""The sample's fixed calendar: nothing the generator writes depends on the clock.

Order histories and balances are "as of" ``AS_OF``; coupons are valid
``VALID_FROM``..``VALID_UNTIL`` (plus a few expired or inactive ones).
"""
from __future__ import annotations

from datetime import date, datetime, time

from naviyam.adapters.workbook.cells import SEOUL

AS_OF = date(2026, 11, 20)  # the day the sample's histories and balances refer to
VALID_FROM = date(2026, 1, 1)
VALID_UNTIL = date(2027, 12, 31)


def at(day: date, hh: int = 12, mm: int = 0) -> datetime:
    """``day`` at ``hh:mm`` in Seoul."""
    return datetime.combine(day, time(hh, mm), tzinfo=SEOUL)
