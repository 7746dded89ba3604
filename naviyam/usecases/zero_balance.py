"""What a child with 0원 on the card can still have (issue 12), inside the caller's transaction.

``zero_balance_offer`` gathers the honest answer's facts: the balance, when the card is
usable again (``naviyam.domain.zero_balance.next_usable``), shops whose benefit needs no
balance (``shops.free_meal_offer``: a 착한가게 free meal or a sponsored menu; open ones
first, nearest first when the place is known) and menus that a coupon in the wallet pays
in full (final price 0원).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import FoodcardUser, Menu, Shop
from naviyam.config import get_settings
from naviyam.domain.geo import haversine_m, walk_minutes
from naviyam.domain.hours import is_open_at
from naviyam.domain.zero_balance import NextUsable, next_usable
from naviyam.usecases.balance.budget import SpendableBudget
from naviyam.usecases.coupons.wallet import best_coupon_for, load_active_entries

MAX_SHOWN = 3
COVERED_PRICE_CAP = 6000      # a coupon never pays more than this in the sample or seeds
COVERED_SCAN = 400            # cheapest menus looked at for a fully covered coupon


@dataclass(frozen=True)
class FreeMealShop:
    shop_id: int
    shop_name: str
    offer: str
    open_now: bool
    walk_minutes: int | None
    address: str | None


@dataclass(frozen=True)
class CoveredMenu:
    shop_id: int
    shop_name: str
    menu_name: str
    price: int
    coupon_name: str
    walk_minutes: int | None


@dataclass(frozen=True)
class ZeroBalanceOffer:
    budget: SpendableBudget
    next: NextUsable
    free_meals: list[FreeMealShop] = field(default_factory=list)
    covered: list[CoveredMenu] = field(default_factory=list)
    located: bool = False

    def payload(self) -> dict[str, Any]:
        return {
            "kind": "zero_balance",
            "recommendations": [],
            "balance": self.budget.balance,
            "spendable": self.budget.amount,
            "limited_by": self.budget.limited_by,
            "next_usable": {"kind": self.next.kind, "on": self.next.on.isoformat() if self.next.on else None,
                            "amount": self.next.amount},
            "free_meal_shops": [asdict(s) for s in self.free_meals],
            "covered_menus": [asdict(m) for m in self.covered],
        }


def _walk(location: tuple[float, float] | None, shop: Shop) -> tuple[float | None, int | None]:
    if location is None:
        return None, None
    distance = haversine_m(location[0], location[1], float(shop.latitude), float(shop.longitude))
    return distance, walk_minutes(distance, get_settings().walk_speed_m_per_min)


def _near(location: tuple[float, float] | None, shop: Shop, radius_m: int) -> bool:
    distance, _ = _walk(location, shop)
    return distance is None or distance <= radius_m


def free_meal_shops(session: Session, location: tuple[float, float] | None, now: datetime,
                    radius_m: int) -> list[FreeMealShop]:
    shops = session.scalars(select(Shop).where(Shop.free_meal_offer.is_not(None),
                                               Shop.current_status != "CLOSED").order_by(Shop.id)).all()
    ranked = []
    for shop in shops:
        distance, minutes = _walk(location, shop)
        if distance is not None and distance > radius_m:
            continue
        is_open = is_open_at(shop.business_hours, now)
        ranked.append(((not is_open, distance if distance is not None else 0.0, shop.id),
                       FreeMealShop(shop.id, shop.shop_name, shop.free_meal_offer, is_open, minutes,
                                    shop.road_address_name or shop.address_name)))
    return [item for _, item in sorted(ranked, key=lambda pair: pair[0])[:MAX_SHOWN]]


def covered_menus(session: Session, user_id: int, location: tuple[float, float] | None, now: datetime,
                  radius_m: int) -> list[CoveredMenu]:
    """Open meal-card shops' menus that a wallet coupon pays in full."""
    if not load_active_entries(session, user_id, now):
        return []
    rows = session.execute(
        select(Menu, Shop).join(Shop, Menu.shop_id == Shop.id)
        .where(Menu.is_available.is_(True), Menu.price <= COVERED_PRICE_CAP,
               Shop.is_food_card_shop.in_(("Y", "P")))
        .order_by(Menu.price, Menu.id).limit(COVERED_SCAN)).all()
    found: list[CoveredMenu] = []
    for menu, shop in rows:
        if any(item.shop_id == shop.id for item in found) or not _near(location, shop, radius_m):
            continue
        if not is_open_at(shop.business_hours, now):
            continue
        applied = best_coupon_for(session, user_id, shop, int(menu.price), now)
        if applied is not None and applied.final_price == 0:
            found.append(CoveredMenu(shop.id, shop.shop_name, menu.menu_name, int(menu.price),
                                     applied.name, _walk(location, shop)[1]))
            if len(found) >= MAX_SHOWN:
                break
    return found


def zero_balance_offer(session: Session, user_id: int, budget: SpendableBudget, now: datetime,
                       location: tuple[float, float] | None, radius_m: int) -> ZeroBalanceOffer:
    """The facts of the zero-balance answer for this user now."""
    local_today = now.astimezone(get_settings().timezone).date() if now.tzinfo else now.date()
    card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id))
    upcoming = next_usable(budget.limited_by, local_today, balance=budget.balance,
                           daily_limit=card.daily_limit if card else None,
                           monthly_limit=card.monthly_limit if card else None,
                           monthly_remaining=budget.monthly_remaining)
    return ZeroBalanceOffer(
        budget=budget, next=upcoming, located=location is not None,
        free_meals=free_meal_shops(session, location, now, radius_m),
        covered=covered_menus(session, user_id, location, now, radius_m),
    )
