"""The engine's view of money: the hard budget and coupons.

Balance and coupon rules belong to ``naviyam.balance`` and ``naviyam.coupons``; this
adapter calls their public functions (``spendable_budget``, ``best_coupon_for``)
and degrades to "stated budget only, no coupon" when they are unavailable, so the
engine keeps answering while those modules are deployed or repaired.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


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


def _spendable(session: Session, user_id: int, now: datetime):
    try:
        from naviyam.usecases.balance.budget import spendable_budget
    except ImportError:
        return None
    return spendable_budget(session, user_id, now)


def budget_for(session: Session, user_id: int | None, stated_budget: int | None,
               now: datetime) -> BudgetInfo:
    """Hard budget = min(what the card allows now, what the user said)."""
    stated = int(stated_budget) if stated_budget and int(stated_budget) > 0 else None
    spend = None
    if user_id is not None:
        try:
            spend = _spendable(session, user_id, now)
        except Exception:  # noqa: BLE001 - a balance outage must not stop answers
            log.exception("spendable_budget failed for user %s; using the stated budget", user_id)
    if spend is None:
        return BudgetInfo(hard_budget=stated, stated_budget=stated, spendable=None,
                          source="stated" if stated else "none")
    amount = getattr(spend, "amount", None)
    values = [v for v in (amount, stated) if v is not None]
    source = "card+stated" if amount is not None and stated else ("card" if amount is not None else
                                                                  ("stated" if stated else "none"))
    return BudgetInfo(
        hard_budget=min(values) if values else None, stated_budget=stated, spendable=amount,
        has_card=bool(getattr(spend, "has_card", False)), is_low=bool(getattr(spend, "is_low", False)),
        balance=getattr(spend, "balance", None), daily_remaining=getattr(spend, "daily_remaining", None),
        monthly_remaining=getattr(spend, "monthly_remaining", None),
        last_sync_at=getattr(spend, "last_sync_at", None), source=source,
    )


def best_coupon(session: Session, user_id: int | None, shop: Any, menu_price: int,
                now: datetime) -> CouponChoice | None:
    """The best coupon of the user's wallet for this shop and price (None: none applies)."""
    if user_id is None:
        return None
    try:
        from naviyam.usecases.coupons.wallet import best_coupon_for
    except ImportError:
        return None
    try:
        applied = best_coupon_for(session, user_id, shop, menu_price, now)
    except Exception:  # noqa: BLE001
        log.exception("best_coupon_for failed for user %s", user_id)
        return None
    if applied is None:
        return None
    discount = int(getattr(applied, "discount", 0) or 0)
    if discount <= 0:
        return None
    return CouponChoice(
        coupon_id=str(getattr(applied, "coupon_id")), name=str(getattr(applied, "name", "")),
        discount=discount,
        final_price=int(getattr(applied, "final_price", max(0, menu_price - discount))),
    )


def coupon_slack(session: Session, user_id: int | None, budget: int | None, now: datetime) -> int:
    """An upper bound of what any active wallet coupon could take off a price near ``budget``.

    Used only to widen the vectorised pre-filter; every shown item is judged exactly
    with :func:`best_coupon`.
    """
    if user_id is None or budget is None:
        return 0
    from naviyam.adapters.db.models import Coupon, UserCouponWallet

    rows = session.execute(
        select(Coupon.coupon_type, Coupon.discount_amount, Coupon.discount_rate, Coupon.max_discount_amount)
        .join(UserCouponWallet, UserCouponWallet.coupon_id == Coupon.id)
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status == "ACTIVE",
               Coupon.is_active.is_(True))
    ).all()
    slack = 0
    for coupon_type, amount, rate, cap in rows:
        if coupon_type == "FIXED_AMOUNT" and amount:
            slack = max(slack, int(amount))
        elif coupon_type == "PERCENTAGE" and rate:
            rate = float(rate)
            bound = int(budget * rate / max(1e-6, 1 - rate)) + 1 if rate < 1 else 10 ** 6
            slack = max(slack, min(bound, int(cap)) if cap else bound)
    return slack
