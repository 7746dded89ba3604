"""SQLAlchemy 2.0 typed models for the core tables of seed 004 §3.

PostgreSQL is the target; the same models run on SQLite for the embedded default.
Portable types: JSONB on PostgreSQL / JSON elsewhere, ARRAY on PostgreSQL / JSON
list elsewhere. Alembic owns the schema (``naviyam/adapters/db/migrations``); departures from
the seed are listed in docs/DATA_MODEL.md.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

JsonType = JSON().with_variant(JSONB(), "postgresql")
TextArray = JSON().with_variant(ARRAY(Text()), "postgresql")
IntArray = JSON().with_variant(ARRAY(Integer()), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so BIGSERIAL ids are BIGINT on
# PostgreSQL and INTEGER on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

from naviyam.domain.vocabulary import (  # noqa: E402 - the CHECK constraints use them
    SHOP_CATEGORIES,
    MENU_CATEGORIES,
    FOODCARD_STATUSES,
    SHOP_STATUSES,
    PLATFORMS,
    USER_STATUSES,
    CARD_TYPES,
    AGE_GROUPS,
    CARD_STATUSES,
    CONVERSATION_STYLES,
    COUPON_TYPES,
    COUPON_USAGE_TYPES,
    WALLET_STATUSES,
    ACQUISITION_SOURCES,
    SEED_INTENTS,
    USER_STRATEGIES,
    RECOMMENDATION_METHODS,
)


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def _tz_now() -> Any:
    """Server default that both PostgreSQL and SQLite understand."""
    return text("CURRENT_TIMESTAMP")


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), onupdate=func.now(), nullable=False
    )


class Shop(TimestampMixin, Base):
    __tablename__ = "shops"
    __table_args__ = (
        CheckConstraint(_in("category", SHOP_CATEGORIES), name="shops_category_check"),
        CheckConstraint(_in("is_food_card_shop", FOODCARD_STATUSES), name="shops_food_card_check"),
        CheckConstraint(_in("current_status", SHOP_STATUSES), name="shops_status_check"),
        CheckConstraint(
            "latitude >= -90 AND latitude <= 90 AND longitude >= -180 AND longitude <= 180",
            name="shops_location_check",
        ),
        CheckConstraint("popularity_score >= 0 AND popularity_score <= 1", name="shops_popularity_check"),
        CheckConstraint("quality_score >= 0 AND quality_score <= 1", name="shops_quality_check"),
        CheckConstraint("recommendation_count >= 0", name="shops_reco_count_check"),
        UniqueConstraint("shop_name", "address_name", name="shops_name_address_unique"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shop_name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(100), nullable=False, index=True)
    address_name: Mapped[str] = mapped_column(Text, nullable=False)
    road_address_name: Mapped[str | None] = mapped_column(Text)
    neighbourhood: Mapped[str | None] = mapped_column(String(100))
    is_good_influence_shop: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_food_card_shop: Mapped[str] = mapped_column(String(1), nullable=False, default="U")
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

    menus: Mapped[list[Menu]] = relationship(back_populates="shop", cascade="all, delete-orphan")


class Menu(TimestampMixin, Base):
    __tablename__ = "menus"
    __table_args__ = (
        CheckConstraint("price >= 0 AND price <= 1000000", name="menus_price_check"),
        CheckConstraint(_in("category", MENU_CATEGORIES), name="menus_category_check"),
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


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("platform", PLATFORMS), name="users_platform_check"),
        CheckConstraint(_in("status", USER_STATUSES), name="users_status_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    external_user_id: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    platform: Mapped[str] = mapped_column(String(50), nullable=False, default="web")
    name: Mapped[str | None] = mapped_column(String(100))
    nickname: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone_number: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[date | None] = mapped_column(Date)
    current_address: Mapped[str | None] = mapped_column(Text)
    preferred_location: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="ACTIVE")
    terms_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    privacy_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    marketing_agreed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    foodcard: Mapped[FoodcardUser | None] = relationship(back_populates="user", uselist=False)
    profile: Mapped[UserProfile | None] = relationship(back_populates="user", uselist=False)


class FoodcardUser(TimestampMixin, Base):
    """A meal card. Balance and spending are read-only mirrors of the card operator."""

    __tablename__ = "foodcard_users"
    __table_args__ = (
        CheckConstraint(_in("card_type", CARD_TYPES), name="foodcard_card_type_check"),
        CheckConstraint(_in("target_age_group", AGE_GROUPS), name="foodcard_age_group_check"),
        CheckConstraint(_in("status", CARD_STATUSES), name="foodcard_status_check"),
        CheckConstraint("balance >= 0", name="foodcard_balance_check"),
        CheckConstraint("daily_limit IS NULL OR daily_limit >= 0", name="foodcard_daily_limit_check"),
        CheckConstraint("monthly_limit IS NULL OR monthly_limit >= 0", name="foodcard_monthly_limit_check"),
        CheckConstraint("daily_spent >= 0 AND monthly_spent >= 0", name="foodcard_spent_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, unique=True
    )
    card_number: Mapped[str | None] = mapped_column(String(50), unique=True)
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
    last_balance_alert_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sync_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="foodcard")


class UserProfile(TimestampMixin, Base):
    __tablename__ = "user_profiles"
    __table_args__ = (
        CheckConstraint(_in("conversation_style", CONVERSATION_STYLES), name="profiles_style_check"),
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
    onboarding_completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_updated: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )

    user: Mapped[User] = relationship(back_populates="profile")


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint(_in("coupon_type", COUPON_TYPES), name="coupons_type_check"),
        CheckConstraint(_in("usage_type", COUPON_USAGE_TYPES), name="coupons_usage_type_check"),
        CheckConstraint("discount_amount IS NULL OR discount_amount > 0", name="coupons_amount_check"),
        CheckConstraint(
            "discount_rate IS NULL OR (discount_rate > 0 AND discount_rate <= 1)",
            name="coupons_rate_check",
        ),
        CheckConstraint(
            "(discount_amount IS NOT NULL AND discount_rate IS NULL) OR "
            "(discount_amount IS NULL AND discount_rate IS NOT NULL)",
            name="coupons_discount_check",
        ),
        CheckConstraint("valid_until >= valid_from", name="coupons_valid_period"),
        CheckConstraint("priority_score >= 0 AND priority_score <= 1", name="coupons_priority_check"),
        CheckConstraint("min_order_amount >= 0", name="coupons_min_order_check"),
    )

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    coupon_name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    coupon_type: Mapped[str] = mapped_column(String(30), nullable=False)
    discount_amount: Mapped[int | None] = mapped_column(Integer)
    discount_rate: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    max_discount_amount: Mapped[int | None] = mapped_column(Integer)
    min_order_amount: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    usage_type: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    target_categories: Mapped[list[str] | None] = mapped_column(TextArray)
    applicable_shop_ids: Mapped[list[int] | None] = mapped_column(IntArray)
    target_user_types: Mapped[list[str] | None] = mapped_column(TextArray)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    max_issue_count: Mapped[int | None] = mapped_column(Integer)
    max_use_per_user: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    total_issued: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    priority_score: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False, default=Decimal("0.50"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )
    created_by: Mapped[str | None] = mapped_column(String(100))


class UserCouponWallet(Base):
    __tablename__ = "user_coupon_wallet"
    __table_args__ = (
        CheckConstraint(_in("status", WALLET_STATUSES), name="wallet_status_check"),
        CheckConstraint(_in("acquisition_source", ACQUISITION_SOURCES), name="wallet_source_check"),
        CheckConstraint(
            "(status = 'USED' AND used_at IS NOT NULL) OR (status != 'USED' AND used_at IS NULL)",
            name="user_coupon_status_check",
        ),
        CheckConstraint("usage_probability >= 0 AND usage_probability <= 1", name="wallet_prob_check"),
        CheckConstraint("expires_at >= issued_at", name="wallet_expiry_check"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="ACTIVE")
    issued_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )
    issued_by: Mapped[str] = mapped_column(String(100), nullable=False, default="SYSTEM")
    acquisition_source: Mapped[str] = mapped_column(String(50), nullable=False)
    acquisition_context: Mapped[dict | None] = mapped_column(JsonType)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    used_order_amount: Mapped[int | None] = mapped_column(Integer)
    discount_applied: Mapped[int | None] = mapped_column(Integer)
    # Idempotency key of the redemption that used this coupon (issue 4).
    redemption_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expiry_notified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    usage_probability: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=Decimal("0.5"))
    recommended_usage_date: Mapped[date | None] = mapped_column(Date)

    coupon: Mapped[Coupon] = relationship()


class Conversation(Base):
    """One user turn and the bot's answer (seed 004 §3.8)."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(_in("extracted_intent", SEED_INTENTS), name="conversations_intent_check"),
        CheckConstraint(_in("user_strategy", USER_STRATEGIES), name="conversations_strategy_check"),
        CheckConstraint(
            "intent_confidence IS NULL OR (intent_confidence >= 0 AND intent_confidence <= 1)",
            name="conversations_confidence_check",
        ),
        CheckConstraint(
            "(processing_time_ms IS NULL OR processing_time_ms >= 0) AND "
            "(nlu_time_ms IS NULL OR nlu_time_ms >= 0) AND "
            "(rag_time_ms IS NULL OR rag_time_ms >= 0) AND "
            "(response_time_ms IS NULL OR response_time_ms >= 0)",
            name="conversations_metrics_check",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4, index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    input_text: Mapped[str] = mapped_column(Text, nullable=False)
    response_text: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )
    extracted_intent: Mapped[str | None] = mapped_column(String(50))
    # The Rasa intent name as predicted (greet, choose_option...); extracted_intent maps
    # it onto the seed's closed list.
    rasa_intent: Mapped[str | None] = mapped_column(String(80))
    intent_confidence: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    extracted_entities: Mapped[dict | None] = mapped_column(JsonType)
    conversation_turn: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    previous_intent: Mapped[str | None] = mapped_column(String(50))
    user_strategy: Mapped[str | None] = mapped_column(String(30))
    processing_time_ms: Mapped[int | None] = mapped_column(Integer)
    nlu_time_ms: Mapped[int | None] = mapped_column(Integer)
    rag_time_ms: Mapped[int | None] = mapped_column(Integer)
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    response_quality_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    user_satisfaction_inferred: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    conversation_coherence: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    recommended_shop_ids: Mapped[list[int] | None] = mapped_column(IntArray)
    selected_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    applied_coupon_ids: Mapped[list[str] | None] = mapped_column(TextArray)


class RecommendationLog(Base):
    __tablename__ = "recommendations_log"
    __table_args__ = (
        CheckConstraint(
            _in("recommendation_method", RECOMMENDATION_METHODS), name="reco_log_method_check"
        ),
        CheckConstraint(
            "feedback_rating IS NULL OR (feedback_rating >= 1 AND feedback_rating <= 5)",
            name="reco_log_rating_check",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    timestamp: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False
    )
    request_intent: Mapped[str] = mapped_column(String(50), nullable=False)
    request_entities: Mapped[dict] = mapped_column(JsonType, nullable=False)
    # Seed: GEOGRAPHY(POINT). PostGIS is not assumed; plain coordinates (see docs).
    user_latitude: Mapped[Decimal | None] = mapped_column(Numeric(10, 8))
    user_longitude: Mapped[Decimal | None] = mapped_column(Numeric(11, 8))
    recommendations: Mapped[list[dict]] = mapped_column(JsonType, nullable=False)
    recommendation_count: Mapped[int] = mapped_column(Integer, nullable=False)
    recommendation_method: Mapped[str] = mapped_column(String(50), nullable=False)
    confidence_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    total_candidates: Mapped[int | None] = mapped_column(Integer)
    filtering_steps: Mapped[dict | None] = mapped_column(JsonType)
    user_viewed_details: Mapped[list[int] | None] = mapped_column(IntArray)
    user_final_selection: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    time_to_decision_ms: Mapped[int | None] = mapped_column(Integer)
    feedback_rating: Mapped[int | None] = mapped_column(Integer)
    diversity_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    personalization_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    relevance_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    novelty_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))


class PerformanceLog(Base):
    """Per-component timings of one request (issue 2, 4)."""

    __tablename__ = "performance_logs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    timestamp: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=_tz_now(), nullable=False, index=True
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    operation: Mapped[str] = mapped_column(String(80), nullable=False)
    total_ms: Mapped[float] = mapped_column(Numeric(10, 2), nullable=False)
    component_ms: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    details: Mapped[dict | None] = mapped_column(JsonType)


class ConversationContext(TimestampMixin, Base):
    """Durable copy of a session's context (seed 001 §3.1 step 1.3: Redis first)."""

    __tablename__ = "conversation_contexts"
    __table_args__ = (UniqueConstraint("session_key", name="conversation_contexts_session_unique"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_key: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    context: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    turn_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
