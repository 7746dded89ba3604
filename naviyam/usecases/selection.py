"""Choosing a shown option ("1번 선택"): ``choose_option`` in one transaction, all or nothing."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from naviyam.adapters.db.conversation_log import TurnRecord, log_turn
from naviyam.adapters.db.models import Menu, RecommendationLog, Shop, UserProfile
from naviyam.adapters.db.profile_queries import invalidate_profile
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.coupons.reservation import Reservation, reserve_in_session
from naviyam.usecases.senders import Sender, consented_user_id
from naviyam.usecases.turns import Turn

RECENT_ORDERS = 30
FAVORITE_SHOPS = 20
PREFERRED_CATEGORIES = 5


@dataclass
class SelectionResult:
    shop_id: int
    shop_name: str
    menu_name: str | None
    final_price: int | None
    phone: str | None
    address: str | None
    price: int | None = None                  # without the coupon (what the shop charges today)
    reservation: Reservation | None = None    # the coupon held for this choice, if any

    def to_payload(self) -> dict[str, Any]:
        """The ``selection`` of the REST ``custom`` message."""
        return {"shop_id": self.shop_id, "shop_name": self.shop_name, "menu_name": self.menu_name,
                "final_price": self.final_price, "address": self.address, "phone": self.phone}


def choose_option(sender: Sender, option: dict[str, Any], *, recommendation_log_id: int | None,
                  now: datetime, turn: Turn, shown_at: datetime | None = None) -> SelectionResult:
    """Record the sender's choice of a shown ``option`` with this turn's conversations row.

    One transaction (see :func:`select_option`); the cached profile is dropped after the
    commit. Raises ``LookupError`` when the shop no longer exists (nothing is written).
    A sender who has not agreed to the privacy notice chooses anonymously: no profile
    learns from it and no coupon is held (they have no wallet).
    """
    with unit_of_work() as session:
        user_id = consented_user_id(session, sender)
        selection = select_option(session, user_id=user_id, option=option,
                                  recommendation_log_id=recommendation_log_id, now=now,
                                  turn=turn.to_record(user_id), shown_at=shown_at)
    if user_id is not None:
        invalidate_profile(user_id)
    return selection


def select_option(session: Session, *, user_id: int | None, option: dict[str, Any],
                  recommendation_log_id: int | None, now: datetime,
                  turn: TurnRecord | None = None, shown_at: datetime | None = None) -> SelectionResult:
    """Record a choice (seed 001 §4.3.1) in the caller's transaction, all or nothing.

    recommendations_log.user_final_selection (+ time to decision), the conversation
    turn with selected_shop_id, shops.recommendation_count, menus.recommendation_frequency,
    user_profiles (interaction_count, recent_orders, favorite_shops, preferred_categories),
    and the coupon reservation (moved to this choice, or released when it carries none).
    Cache invalidation happens after the caller commits.
    """
    shop_id = int(option["shop_id"])
    menu_id = option.get("menu_id")
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise LookupError(f"shop {shop_id} does not exist")
    if recommendation_log_id is not None:
        values: dict[str, Any] = {"user_final_selection": shop_id}
        if shown_at is not None:
            values["time_to_decision_ms"] = max(0, int((now - shown_at).total_seconds() * 1000))
        session.execute(update(RecommendationLog)
                        .where(RecommendationLog.id == int(recommendation_log_id))
                        .values(**values))
    session.execute(update(Shop).where(Shop.id == shop_id)
                    .values(recommendation_count=Shop.recommendation_count + 1))
    menu = None
    if menu_id is not None:
        menu = session.get(Menu, int(menu_id))
        if menu is not None:
            session.execute(update(Menu).where(Menu.id == menu.id)
                            .values(recommendation_frequency=Menu.recommendation_frequency + 1))
    reservation = None
    if user_id is not None:
        _remember_choice(session, user_id, shop, menu, option, now)
        price = option.get("price") or (menu.price if menu else None)
        reservation = reserve_in_session(session, user_id=user_id, coupon_id=option.get("coupon_id"),
                                         shop_id=shop_id, menu_id=menu.id if menu else None,
                                         price=price, now=now)
    if turn is not None:
        turn.selected_shop_id = shop_id
        turn.user_id = turn.user_id or user_id
        log_turn(session, turn)
    session.flush()
    if user_id is not None:
        invalidate_profile(user_id)  # the caller invalidates once more after commit
    price = option.get("price") or (menu.price if menu else None)
    final_price = option.get("final_price") or price
    if reservation is None:
        final_price = price if option.get("coupon_id") else final_price  # the coupon no longer applies
    elif reservation.discount and price is not None:
        final_price = max(0, int(price) - reservation.discount)
    return SelectionResult(shop_id=shop_id, shop_name=shop.shop_name,
                           menu_name=menu.menu_name if menu else option.get("menu_name"),
                           final_price=final_price, price=price, reservation=reservation,
                           phone=shop.phone, address=shop.road_address_name or shop.address_name)


def _remember_choice(session: Session, user_id: int, shop: Shop, menu: Menu | None,
                     option: dict[str, Any], now: datetime) -> None:
    """The profile learns from the choice: recent orders, interactions, favourites, categories."""
    profile = session.scalar(select(UserProfile).where(UserProfile.user_id == user_id)
                             .with_for_update())
    if profile is None:
        profile = UserProfile(user_id=user_id)
        session.add(profile)
    orders = list(profile.recent_orders or [])
    orders.append({"shop_id": shop.id, "menu_id": menu.id if menu else None,
                   "category": shop.category, "price": option.get("final_price") or (menu.price if menu else None),
                   "ordered_at": now.isoformat()})
    orders = orders[-RECENT_ORDERS:]
    profile.recent_orders = orders
    profile.interaction_count = int(profile.interaction_count or 0) + 1
    visits = sum(1 for o in orders if o.get("shop_id") == shop.id)
    favorites = [int(s) for s in profile.favorite_shops or []]
    if visits >= 2 and shop.id not in favorites:
        profile.favorite_shops = (favorites + [shop.id])[-FAVORITE_SHOPS:]
    preferred = list(profile.preferred_categories or [])
    same_category = sum(1 for o in orders if o.get("category") == shop.category)
    if same_category >= 2 and shop.category not in preferred:
        profile.preferred_categories = (preferred + [shop.category])[-PREFERRED_CATEGORIES:]
    profile.last_updated = now
