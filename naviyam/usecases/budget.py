"""The engine's view of money: the hard budget and coupons, read inside the caller's transaction.

Balance and coupon rules belong to ``naviyam.usecases.balance`` and
``naviyam.usecases.coupons``; this module calls their public functions
(``cached_spendable_budget``, ``best_coupon_for``, both read through the per-user cache of
``naviyam.adapters.db.user_cache``) and turns the answers into the plain values
of ``naviyam.domain.recommend.money``. A bug in those rules degrades to "stated budget
only" / "no coupon" (logged) so the engine keeps answering; a database error is not
caught here: the caller's transaction is broken then, and the use case fails whole.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.money import BudgetInfo, CouponChoice
from naviyam.usecases.balance.budget import SpendableBudget, cached_spendable_budget
from naviyam.usecases.coupons.wallet import best_coupon_for
from naviyam.usecases.coupons.wallet_cache import active_coupon_terms

log = logging.getLogger(__name__)

__all__ = ["BudgetInfo", "CouponChoice", "best_coupon", "budget_for", "coupon_slack", "menu_coupon"]


def budget_for(session: Session, user_id: int | None, stated_budget: int | None,
               now: datetime) -> BudgetInfo:
    """Hard budget = min(what the card allows now, what the user said)."""
    stated = int(stated_budget) if stated_budget and int(stated_budget) > 0 else None
    spend: SpendableBudget | None = None
    if user_id is not None:
        try:
            spend = cached_spendable_budget(session, user_id, now)
        except SQLAlchemyError:
            raise
        except Exception:  # noqa: BLE001 - a balance-rule bug must not stop answers
            log.exception("cached_spendable_budget failed for user %s; using the stated budget", user_id)
    if spend is None:
        return BudgetInfo(hard_budget=stated, stated_budget=stated, spendable=None,
                          source="stated" if stated else "none")
    amount = spend.amount
    values = [v for v in (amount, stated) if v is not None]
    source = "card+stated" if amount is not None and stated else ("card" if amount is not None else
                                                                  ("stated" if stated else "none"))
    return BudgetInfo(
        hard_budget=min(values) if values else None, stated_budget=stated, spendable=amount,
        has_card=bool(spend.has_card), is_low=bool(spend.is_low), balance=spend.balance,
        daily_remaining=spend.daily_remaining, monthly_remaining=spend.monthly_remaining,
        last_sync_at=spend.last_sync_at, source=source,
    )


def best_coupon(session: Session, user_id: int | None, shop: Any, menu_price: int,
                now: datetime) -> CouponChoice | None:
    """The best coupon of the user's wallet for this shop and price (None: none applies)."""
    if user_id is None:
        return None
    try:
        applied = best_coupon_for(session, user_id, shop, menu_price, now)
    except SQLAlchemyError:
        raise
    except Exception:  # noqa: BLE001 - a coupon-rule bug shows the menu without a coupon
        log.exception("best_coupon_for failed for user %s", user_id)
        return None
    if applied is None or int(applied.discount or 0) <= 0:
        return None
    return CouponChoice(coupon_id=str(applied.coupon_id), name=str(applied.name),
                        discount=int(applied.discount), final_price=int(applied.final_price))


def menu_coupon(session: Session, user_id: int | None, catalog: Catalog, i: int,
                now: datetime) -> tuple[int, dict | None]:
    """(final price, coupon payload or None) of catalog menu ``i`` for this user now."""
    s = int(catalog.menu_shop[i])
    price = int(catalog.menu_prices[i])
    choice = best_coupon(session, user_id, {"shop_id": int(catalog.shop_ids[s]),
                                            "category": catalog.shop_categories[s],
                                            "foodcard": str(catalog.shop_foodcard[s])}, price, now)
    if choice is None:
        return price, None
    return choice.final_price, choice.to_payload()


def coupon_slack(session: Session, user_id: int | None, budget: int | None, now: datetime) -> int:
    """An upper bound of what any active wallet coupon could take off a price near ``budget``.

    From the cached wallet (``wallet_cache``: ACTIVE rows whose coupon is active). Used only
    to widen the vectorised pre-filter; every shown item is judged exactly with
    :func:`best_coupon`.
    """
    if user_id is None or budget is None:
        return 0
    slack = 0
    for terms in active_coupon_terms(session, user_id, now):
        coupon_type, amount, rate, cap = (terms.coupon_type, terms.discount_amount, terms.discount_rate,
                                          terms.max_discount_amount)
        if coupon_type == "FIXED_AMOUNT" and amount:
            slack = max(slack, int(amount))
        elif coupon_type == "PERCENTAGE" and rate:
            rate = float(rate)
            bound = int(budget * rate / max(1e-6, 1 - rate)) + 1 if rate < 1 else 10 ** 6
            slack = max(slack, min(bound, int(cap)) if cap else bound)
    return slack
