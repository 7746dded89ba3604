"""``shop_info``: the facts of one shop already shown ("거기 몇 시에 닫아?", "2번 가게 어디야?").

Read only, one transaction: the shop the question means (a name in the message wins, then
an option number, then the last chosen / first shown shop), and its row: today's and
tomorrow's hours with the break, whether it is open now and until when, address, phone,
walking time from the user's position, meal-card status.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from naviyam.adapters.db.models import Shop
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_settings
from naviyam.domain.geo import haversine_m, walk_minutes
from naviyam.domain.shop_info import HoursFacts, asked_topics, hours_facts, referenced_shop
from naviyam.usecases.shop_menu import find_shop_id


@dataclass
class ShopInfo:
    shop_id: int
    shop_name: str
    address: str | None
    phone: str | None
    foodcard: str                    # Y, P, N, U
    hours: HoursFacts
    distance_m: int | None
    walk_minutes: int | None
    topics: list[str]                # asked first

    def to_payload(self) -> dict[str, Any]:
        hours = asdict(self.hours)
        for key in ("closes_at", "opens_at"):
            hours[key] = hours[key].isoformat() if hours[key] else None
        return {"kind": "shop_info", "shop_id": self.shop_id, "shop_name": self.shop_name,
                "address": self.address, "phone": self.phone, "foodcard": self.foodcard,
                "hours": hours, "distance_m": self.distance_m, "walk_minutes": self.walk_minutes,
                "asked": self.topics[0] if self.topics else None}


def shop_info(*, text: str, now: datetime, recent: list[dict[str, Any]] | None, number: int | None,
              selected_shop_id: int | None, near: tuple[float, float] | None) -> ShopInfo | None:
    """The facts of the shop the question means; None when no shop is meant or it is gone."""
    recent = [r for r in recent or [] if isinstance(r, dict)]
    with unit_of_work() as session:
        named = find_shop_id(session, text, recent, None, near=near) if text else None
        shop_id = named or referenced_shop(recent, number, selected_shop_id)
        shop = session.get(Shop, shop_id) if shop_id is not None else None
        if shop is None:
            return None
        distance = (haversine_m(near[0], near[1], float(shop.latitude), float(shop.longitude))
                    if near is not None else None)
        return ShopInfo(
            shop_id=shop.id, shop_name=shop.shop_name,
            address=shop.road_address_name or shop.address_name or None, phone=shop.phone,
            foodcard=shop.is_food_card_shop, hours=hours_facts(shop.business_hours, now),
            distance_m=int(round(distance)) if distance is not None else None,
            walk_minutes=walk_minutes(distance, get_settings().walk_speed_m_per_min) if distance is not None else None,
            topics=asked_topics(text))
