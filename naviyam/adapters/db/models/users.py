"""Users, their meal cards and their profiles (seed 004 §3.3-3.5)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, Float, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naviyam.adapters.db.models.encrypted import EncryptedString, card_number_hash_default
from naviyam.adapters.db.models.base import (
    AwareDateTime, Base, DefaultNow, IntArray, JsonType, TextArray, TimestampMixin, one_of,
)
from naviyam.domain.vocabulary import AGE_GROUPS, CARD_STATUSES, CARD_TYPES, CONVERSATION_STYLES, PLATFORMS, USER_STATUSES


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(one_of("platform", PLATFORMS), name="users_platform_check"),
        CheckConstraint(one_of("status", USER_STATUSES), name="users_status_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_user_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    platform: Mapped[str] = mapped_column(String(50), nullable=False, default="web")
    name: Mapped[str | None] = mapped_column(String(100))
    nickname: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Encrypted at rest (naviyam/adapters/crypto.py)
    phone_number: Mapped[str | None] = mapped_column(EncryptedString("users.phone_number"))
    birth_date: Mapped[date | None] = mapped_column(Date)
    current_address: Mapped[str | None] = mapped_column(Text)
    preferred_location: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="ACTIVE")
    terms_agreed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    privacy_agreed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    marketing_agreed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    # The last confirmed place (a gazetteer area and its centre, never a shared position; migration 0006)
    last_place_name: Mapped[str | None] = mapped_column(String(100))
    last_place_lat: Mapped[float | None] = mapped_column(Float)
    last_place_lng: Mapped[float | None] = mapped_column(Float)
    last_place_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    foodcard: Mapped[FoodcardUser | None] = relationship(back_populates="user", uselist=False)
    profile: Mapped[UserProfile | None] = relationship(back_populates="user", uselist=False)


class FoodcardUser(TimestampMixin, Base):
    """A meal card. Balance and spending are read-only mirrors of the card operator."""

    __tablename__ = "foodcard_users"
    __table_args__ = (
        CheckConstraint(one_of("card_type", CARD_TYPES), name="foodcard_card_type_check"),
        CheckConstraint(one_of("target_age_group", AGE_GROUPS), name="foodcard_age_group_check"),
        CheckConstraint(one_of("status", CARD_STATUSES), name="foodcard_status_check"),
        CheckConstraint("balance >= 0", name="foodcard_balance_check"),
        CheckConstraint("daily_limit IS NULL OR daily_limit >= 0", name="foodcard_daily_limit_check"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit >= 0", name="foodcard_monthly_limit_check"),
        CheckConstraint("daily_spent >= 0 AND monthly_spent >= 0", name="foodcard_spent_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    # Encrypted at rest; equality look-ups use the keyed hash (naviyam/adapters/crypto.py)
    card_number: Mapped[str | None] = mapped_column(EncryptedString("foodcard_users.card_number"),
                                                    unique=True)
    card_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True, index=True,
                                                         default=card_number_hash_default)
    card_type: Mapped[str] = mapped_column(String(30), nullable=False)
    balance: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # Seed 001 §3.2 reads daily_limit/monthly_limit; 004's DDL lacks them (see docs).
    daily_limit: Mapped[int | None] = mapped_column(Integer)
    monthly_limit: Mapped[int | None] = mapped_column(Integer)
    daily_spent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    monthly_spent: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    spent_as_of: Mapped[date | None] = mapped_column(Date)
    target_age_group: Mapped[str] = mapped_column(String(20), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="ACTIVE")
    balance_alert_threshold: Mapped[int] = mapped_column(Integer, nullable=False, default=5000)
    balance_alert_sent: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    last_balance_alert_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_sync_at: Mapped[datetime | None] = mapped_column(AwareDateTime())

    user: Mapped[User] = relationship(back_populates="foodcard")


class UserProfile(TimestampMixin, Base):
    __tablename__ = "user_profiles"
    __table_args__ = (
        CheckConstraint(one_of("conversation_style", CONVERSATION_STYLES), name="profiles_style_check"),
        CheckConstraint(
            "good_influence_preference >= 0 AND good_influence_preference <= 1",
            name="profiles_good_influence_check",
        ),
        CheckConstraint(
            "data_completeness >= 0 AND data_completeness <= 1", name="profiles_completeness_check"
        ),
        CheckConstraint("interaction_count >= 0", name="profiles_interactions_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    preferred_categories: Mapped[list[str]] = mapped_column(TextArray, nullable=False, default=list)
    average_budget: Mapped[int | None] = mapped_column(Integer)
    favorite_shops: Mapped[list[int]] = mapped_column(IntArray, nullable=False, default=list)
    conversation_style: Mapped[str] = mapped_column(String(20), nullable=False, default="friendly")
    taste_preferences: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    companion_patterns: Mapped[list[str]] = mapped_column(TextArray, nullable=False, default=list)
    location_preferences: Mapped[list[str]] = mapped_column(TextArray, nullable=False, default=list)
    # Seed 001 §3.3.1 collects allergies/restrictions; 004's DDL has no column for them.
    dietary_restrictions: Mapped[list[str]] = mapped_column(TextArray, nullable=False, default=list)
    good_influence_preference: Mapped[Decimal] = mapped_column(
        Numeric(3, 2), nullable=False, default=Decimal("0.50")
    )
    interaction_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    data_completeness: Mapped[Decimal] = mapped_column(
        Numeric(3, 2), nullable=False, default=Decimal("0.00")
    )
    recent_orders: Mapped[list[dict]] = mapped_column(JsonType, nullable=False, default=list)
    onboarding_completed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_updated: Mapped[DefaultNow]

    user: Mapped[User] = relationship(back_populates="profile")
