"""The engine's view of money as plain values: the hard budget and a chosen coupon.

Filled by ``naviyam.usecases.budget`` from the card (``naviyam.usecases.balance``) and
the wallet (``naviyam.usecases.coupons``); read by filters, ranking and the result.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass
class BudgetInfo:
    hard_budget: int | None       # min(spendable amount, stated budget); None = no limit known
    stated_budget: int | None
    spendable: int | None         # what the card allows now (None: no card / unknown)
    has_card: bool = False
    is_low: bool = False
    balance: int | None = None
    daily_remaining: int | None = None
    monthly_remaining: int | None = None
    last_sync_at: datetime | None = None
    source: str = "stated"        # stated | card | card+stated | none

    def to_log(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.__dict__.items()}


@dataclass
class CouponChoice:
    coupon_id: str
    name: str
    discount: int
    final_price: int

    def to_payload(self) -> dict[str, Any]:
        """What a shown item carries about its coupon."""
        return {"coupon_id": self.coupon_id, "name": self.name, "discount": self.discount}
