"""One shop's menu for "메뉴 보기": what the user can buy there now, and for how much.

A recommendation card shows one menu per shop; the card's "메뉴 보기" button asks for
the rest. Every available menu is listed with the best coupon of the user's wallet
applied, marked by whether it fits what the user can spend now (the same budget as
recommendations: card balance, daily and monthly limits, a stated budget), and whether
the shop is open now. Menus that fit come first (popular ones first, then cheapest),
then the others by price. ``show_menu`` is the use case (one transaction).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import Menu, Shop
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.domain.geo import haversine_m, resolve_place
from naviyam.domain.hours import describe_day, is_open_at
from naviyam.domain.recommend.money import BudgetInfo
from naviyam.usecases.budget import best_coupon, budget_for
from naviyam.usecases.senders import Sender, consented_user_id

MAX_MENUS = 8


@dataclass
class MenuLine:
    menu_id: int
    name: str
    price: int
    final_price: int
    popular: bool
    fits_budget: bool | None          # None: no budget known
    coupon: dict[str, Any] | None = None

    def to_payload(self) -> dict[str, Any]:
        data = {"menu_id": self.menu_id, "name": self.name, "price": self.price,
                "final_price": self.final_price, "popular": self.popular, "fits_budget": self.fits_budget}
        if self.coupon:
            data["coupon"] = self.coupon
        return data


@dataclass
class ShopMenu:
    shop_id: int
    shop_name: str
    category: str
    foodcard: str
    open_now: bool
    business_hours_today: str | None
    phone: str | None
    budget: BudgetInfo
    menus: list[MenuLine] = field(default_factory=list)
    more: int = 0                      # available menus not listed (over MAX_MENUS)

    @property
    def fitting(self) -> list[MenuLine]:
        return [m for m in self.menus if m.fits_budget]

    def to_payload(self) -> dict[str, Any]:
        return {"kind": "shop_menu", "shop_id": self.shop_id, "shop_name": self.shop_name,
                "category": self.category, "foodcard": self.foodcard, "open_now": self.open_now,
                "business_hours_today": self.business_hours_today, "phone": self.phone,
                "budget": self.budget.hard_budget, "menus": [m.to_payload() for m in self.menus],
                "more": self.more}


def _order(line: MenuLine) -> tuple:
    return (not line.fits_budget, not line.popular if line.fits_budget else False, line.final_price, line.menu_id)


def show_menu(sender: Sender, *, text: str, now: datetime, shop_id: int | None = None,
              option_number: int | None = None, recent: list[dict[str, Any]] | None = None,
              near: tuple[float, float] | None = None, stated_budget: int | None = None) -> ShopMenu | None:
    """The menu of the shop the sender means (a button's ``shop_id``, else :func:`find_shop_id`).

    None when no shop is named or it does not exist. Read only, in one transaction.
    """
    with unit_of_work() as session:
        user_id = consented_user_id(session, sender)
        shop_id = shop_id or find_shop_id(session, text, recent, option_number, near=near)
        if shop_id is None:
            return None
        return shop_menu(session, shop_id, user_id=user_id, now=now, stated_budget=stated_budget)


def shop_menu(session: Session, shop_id: int, *, user_id: int | None, now: datetime,
              stated_budget: int | None = None, limit: int = MAX_MENUS) -> ShopMenu | None:
    """The shop's available menus for this user now; None when the shop does not exist."""
    shop = session.get(Shop, shop_id)
    if shop is None:
        return None
    budget = budget_for(session, user_id, stated_budget, now)
    shop_info = {"shop_id": shop.id, "category": shop.category, "foodcard": shop.is_food_card_shop}
    lines = []
    for menu in session.scalars(select(Menu).where(Menu.shop_id == shop.id, Menu.is_available)):
        choice = best_coupon(session, user_id, shop_info, int(menu.price), now)
        final = choice.final_price if choice else int(menu.price)
        lines.append(MenuLine(
            menu_id=menu.id, name=menu.menu_name, price=int(menu.price), final_price=final,
            popular=bool(menu.is_popular),
            fits_budget=None if budget.hard_budget is None else final <= budget.hard_budget,
            coupon=choice.to_payload() if choice else None))
    lines.sort(key=_order)
    return ShopMenu(
        shop_id=shop.id, shop_name=shop.shop_name, category=shop.category, foodcard=shop.is_food_card_shop,
        open_now=is_open_at(shop.business_hours, now), business_hours_today=describe_day(shop.business_hours, now),
        phone=shop.phone, budget=budget, menus=lines[:limit], more=max(0, len(lines) - limit))


def _compact(text: str) -> str:
    return "".join(text.split())


def brand_of(shop_name: str) -> str | None:
    """The brand a shop name starts with ("김밥천국 건대점" → 김밥천국); None when its first
    word is a place ("신촌 분식") or a generic word like "24시"."""
    words = shop_name.split()
    word = words[0] if words else ""
    if len(word) < 2 or any(ch.isdigit() for ch in word[:2]) or resolve_place(word, get_gazetteer()) is not None:
        return None
    return word


def find_shop_id(session: Session, text: str, recent: list[dict[str, Any]] | None = None,
                 number: int | None = None, near: tuple[float, float] | None = None) -> int | None:
    """The shop a typed request means, or None.

    In order: an option number ("2번 메뉴"); a shop among the recent recommendations whose
    full name or brand (:func:`brand_of`: "김밥천국 메뉴") is in the text; the longest full
    shop name in the database contained in the text; a brand named in the text (a first
    word that is not a place: "신촌에 있는 가게" names no brand), its branch nearest to
    ``near`` (the user's location) or, without one, the first.
    """
    recent = [r for r in recent or [] if isinstance(r, dict) and r.get("shop_id") is not None]
    if number is not None and 1 <= number <= len(recent):
        return int(recent[number - 1]["shop_id"])
    compact = _compact(text)
    if not compact:
        return None
    for item in recent:
        name = str(item.get("shop_name") or "")
        brand = brand_of(name)
        if name and (_compact(name) in compact or (brand is not None and brand in compact)):
            return int(item["shop_id"])
    shops = session.execute(select(Shop.id, Shop.shop_name, Shop.latitude, Shop.longitude)).all()
    full = [(len(_compact(s.shop_name)), s.id) for s in shops if s.shop_name and _compact(s.shop_name) in compact]
    if full:
        return max(full)[1]
    branches = [s for s in shops if (brand := brand_of(s.shop_name or "")) is not None and brand in compact]
    if not branches:
        return None
    if near is None:
        return min(s.id for s in branches)
    return min(branches, key=lambda s: haversine_m(near[0], near[1], float(s.latitude), float(s.longitude))).id
