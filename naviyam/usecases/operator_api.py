"""Seed 004 §6.1's endpoints for operator systems (issue 13), one transaction each.

``GET users/{id}/coupons``, ``POST coupons/apply``, ``GET users/{id}/profile``,
``PUT users/{id}/preferences``. A missing user raises ``LookupError`` (the service answers 404).
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from naviyam.adapters.db import profiles
from naviyam.adapters.db.models import User
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.coupons import redemption
from naviyam.usecases.coupons.wallet import wallet_listing


def _require_user(session, user_id: int) -> None:
    if session.get(User, user_id) is None:
        raise LookupError(f"user {user_id} does not exist")


def user_coupons(user_id: int, now: datetime) -> dict[str, Any]:
    with unit_of_work() as session:
        _require_user(session, user_id)
        listing = wallet_listing(session, user_id, now)
        return {"user_id": user_id, "coupons": [item.as_payload() for item in listing.all()],
                "counts": {"active": len(listing.active), "used": len(listing.used),
                           "expired": len(listing.expired)}}


def apply_coupon(*, user_id: int, coupon_id: str | None, wallet_id: int | None, shop_id: int,
                 order_amount: int, idempotency_key: str, now: datetime) -> redemption.RedemptionResult:
    return redemption.redeem(user_id=user_id, coupon_id=coupon_id, wallet_id=wallet_id, shop_id=shop_id,
                             order_amount=order_amount, idempotency_key=idempotency_key, now=now)


def user_profile(user_id: int) -> dict[str, Any]:
    with unit_of_work() as session:
        _require_user(session, user_id)
        return asdict(profiles.get_profile(session, user_id))


def update_preferences(user_id: int, *, foods: list[str], budget: int | None,
                       restrictions: list[str]) -> dict[str, Any]:
    """Raises ValueError on an implausible budget (nothing is written)."""
    with unit_of_work() as session:
        _require_user(session, user_id)
        return asdict(profiles.update_preferences(session, user_id, foods=foods, budget=budget,
                                                  restrictions=restrictions))
