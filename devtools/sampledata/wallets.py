"""Coupon wallets: what a user of each kind would hold, and which coupons they used.

A used coupon is tied to one of the user's orders (its ``coupon_id`` and ``final_price``
are set), with a ``redemption_key`` ``sample-<user>-<order>``.
"""
from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from devtools.sampledata.catalog.people import Persona
from devtools.sampledata.dates import at
from naviyam.adapters.workbook.cells import SEOUL

_TRIGGERS = {"WELCOME_BONUS": "first_login", "LOYALTY_REWARD": "visit_count", "EMERGENCY_ASSIST": "low_balance"}


def fill_wallet(rng: random.Random, wallets: list[dict[str, Any]], coupon_by_id: dict[str, dict],
                uid: int, joined: date, p: Persona, my_orders: list[dict[str, Any]]) -> None:
    """Append user ``uid``'s wallet rows to ``wallets`` (ids continue)."""

    def grant(coupon_id: str, source: str, status: str = "ACTIVE", order: dict | None = None,
              issued: date | None = None) -> None:
        coupon = coupon_by_id[coupon_id]
        issued_on = issued or max(joined, coupon["valid_from"])
        row = {
            "id": len(wallets) + 1, "user_id": uid, "coupon_id": coupon_id, "status": status,
            "issued_at": at(issued_on, 9, 0), "issued_by": "SYSTEM", "acquisition_source": source,
            "acquisition_context": {"campaign_id": f"2026_{source}",
                                    "trigger_event": _TRIGGERS.get(source, "promotion")},
            "used_at": None, "used_shop_id": None, "used_order_amount": None, "discount_applied": None,
            "redemption_key": None,
            "expires_at": datetime.combine(coupon["valid_until"], time(23, 59, 59), tzinfo=SEOUL),
            "expiry_notified": status == "EXPIRED",
            "usage_probability": Decimal(str(round(rng.uniform(0.2, 0.9), 3))),
            "recommended_usage_date": None,
        }
        if status == "USED" and order is not None:
            amount = coupon["discount_amount"] or min(
                int(order["price"] * coupon["discount_rate"]), coupon["max_discount_amount"] or 10**9)
            row.update(used_at=order["ordered_at"], used_shop_id=order["shop_id"],
                       used_order_amount=order["price"], discount_applied=amount,
                       redemption_key=f"sample-{uid}-{order['id']}")
            order["coupon_id"] = coupon_id
            order["final_price"] = order["price"] - amount
        wallets.append(row)

    if p.interactions == 0:
        grant("WELCOME1000", "WELCOME_BONUS", issued=joined)
    if p.card:
        grant("FOODCARD500", "PROMOTION")
        if rng.random() < 0.5:
            grant("BUNSIK500", "PROMOTION")
        usable = [o for o in my_orders if o["price"] >= 3000 and o["ordered_at"].date() >= date(2026, 1, 1)]
        if usable and rng.random() < 0.7:
            grant("FOODCARD500", "PROMOTION", "USED", usable.pop(rng.randrange(len(usable))))
        if p.balance < 5000 and usable:
            grant("EMERGENCY_ASSIST", "EMERGENCY_ASSIST", "USED", usable[-1])
    if p.interactions >= 20:
        grant("LOYALTY1500", "LOYALTY_REWARD")
    if p.interactions and joined <= date(2026, 7, 1) and rng.random() < 0.4:
        grant("SUMMER2026", "PROMOTION", "EXPIRED", issued=date(2026, 7, 1))
    if p.interactions >= 10 and rng.random() < 0.3:
        grant("ALL1000", "ADMIN_GRANT", "CANCELLED")
    if p.card is None and p.interactions:
        grant("ALL5P", "PROMOTION")


def count_issued(coupons: list[dict], wallets: list[dict[str, Any]]) -> None:
    """Set each coupon's ``total_issued`` and ``total_used`` from the wallets."""
    issued = Counter(w["coupon_id"] for w in wallets)
    used = Counter(w["coupon_id"] for w in wallets if w["status"] == "USED")
    for coupon in coupons:
        coupon["total_issued"], coupon["total_used"] = issued[coupon["id"]], used[coupon["id"]]
