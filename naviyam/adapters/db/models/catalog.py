"""Shops and their menus (seed 004 §3.1-3.2)."""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naviyam.adapters.db.models.base import Base, JsonType, TextArray, TimestampMixin, one_of
from naviyam.domain.vocabulary import FOODCARD_STATUSES, MENU_CATEGORIES, SHOP_CATEGORIES, SHOP_STATUSES


class Shop(TimestampMixin, Base):
    __tablename__ = "shops"
    __table_args__ = (
        CheckConstraint(one_of("category", SHOP_CATEGORIES), name="shops_category_check"),
        CheckConstraint(one_of("is_food_card_shop", FOODCARD_STATUSES), name="shops_food_card_check"),
        CheckConstraint(one_of("current_status", SHOP_STATUSES), name="shops_status_check"),
        CheckConstraint(
            "latitude >= -90 AND latitude <= 90 AND longitude >= -180 AND longitude <= 180",
            name="shops_location_check",
        ),
        CheckConstraint("popularity_score >= 0 AND popularity_score <= 1", name="shops_popularity_check"),
        CheckConstraint("quality_score >= 0 AND quality_score <= 1", name="shops_quality_check"),
        CheckConstraint("recommendation_count >= 0", name="shops_reco_count_check"),
        UniqueConstraint("shop_name", "address_name", name="shops_name_address_unique"),
        CheckConstraint("seats IS NULL OR (seats >= 0 AND seats <= 10000)", name="shops_seats_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    address_name: Mapped[str] = mapped_column(Text, nullable=False)
    road_address_name: Mapped[str | None] = mapped_column(Text)
    neighbourhood: Mapped[str | None] = mapped_column(String(100))
    is_good_influence_shop: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_food_card_shop: Mapped[str] = mapped_column(String(1), nullable=False, default="U")
    # A benefit that needs no card balance (착한가게 free meal, sponsored menu); issue 12
    free_meal_offer: Mapped[str | None] = mapped_column(Text)
    business_hours: Mapped[dict | None] = mapped_column(JsonType)
    phone: Mapped[str | None] = mapped_column(String(20))
    owner_message: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[Decimal] = mapped_column(Numeric(10, 8), nullable=False)
    longitude: Mapped[Decimal] = mapped_column(Numeric(11, 8), nullable=False)
    current_status: Mapped[str] = mapped_column(String(20), nullable=False, default="UNKNOWN")
    popularity_score: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=Decimal("0"))
    quality_score: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=Decimal("0"))
    recommendation_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    data_source: Mapped[str] = mapped_column(String(50), nullable=False, default="manual")
    # Group dining (issue 12): number of seats and whether the shop takes groups; NULL = unknown.
    seats: Mapped[int | None] = mapped_column(Integer)
    group_friendly: Mapped[bool | None] = mapped_column(Boolean)

    menus: Mapped[list[Menu]] = relationship(back_populates="shop", cascade="all, delete-orphan")


class Menu(TimestampMixin, Base):
    __tablename__ = "menus"
    __table_args__ = (
        CheckConstraint("price >= 0 AND price <= 1000000", name="menus_price_check"),
        CheckConstraint(one_of("category", MENU_CATEGORIES), name="menus_category_check"),
        CheckConstraint("recommendation_frequency >= 0", name="menus_reco_freq_check"),
        UniqueConstraint("shop_id", "menu_name", name="menus_shop_name_unique"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_id: Mapped[int] = mapped_column(
        ForeignKey("shops.id", ondelete="CASCADE"), nullable=False, index=True
    )
    menu_name: Mapped[str] = mapped_column(String(200), nullable=False)
    price: Mapped[int] = mapped_column(Integer, nullable=False, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(100))
    is_available: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    is_popular: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    options: Mapped[dict | None] = mapped_column(JsonType)
    recommendation_frequency: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    dietary_info: Mapped[str | None] = mapped_column(String(200))
    # Search tags (맵기, 국물, 튀김, 밥, 면, 채식...): an addition to the seed, see docs.
    tags: Mapped[list[str]] = mapped_column(TextArray, nullable=False, default=list)

    shop: Mapped[Shop] = relationship(back_populates="menus")
