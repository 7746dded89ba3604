"""Conversation, recommendation and performance logs; per-session context (seed 004 §3.8-3.10)."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from naviyam.adapters.db.models.base import (
    AwareDateTime, Base, BigIdKey, DefaultNow, IntArray, JsonType, TextArray, TimestampMixin, UserIdOrNull, one_of,
)
from naviyam.domain.vocabulary import RECOMMENDATION_METHODS, SEED_INTENTS, USER_STRATEGIES


class Conversation(Base):
    """One user turn and the bot's answer (seed 004 §3.8)."""

    __tablename__ = "conversations"
    __table_args__ = (
        CheckConstraint(one_of("extracted_intent", SEED_INTENTS), name="conversations_intent_check"),
        CheckConstraint(one_of("user_strategy", USER_STRATEGIES), name="conversations_strategy_check"),
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

    id: Mapped[BigIdKey]
    user_id: Mapped[UserIdOrNull]
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4, index=True)
    conversation_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False, default=uuid.uuid4)
    input_text: Mapped[str] = mapped_column(Text, nullable=False)
    response_text: Mapped[str] = mapped_column(Text, nullable=False)
    timestamp: Mapped[DefaultNow]
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
            one_of("recommendation_method", RECOMMENDATION_METHODS), name="reco_log_method_check"
        ),
        CheckConstraint(
            "feedback_rating IS NULL OR (feedback_rating >= 1 AND feedback_rating <= 5)",
            name="reco_log_rating_check",
        ),
    )

    id: Mapped[BigIdKey]
    user_id: Mapped[UserIdOrNull]
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    timestamp: Mapped[DefaultNow]
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
    # The logging policy of this list (migration 0009): exploration rate, ranker and, per pool
    # menu, inclusion probability, shown flag and serving features (docs/LEARNING_LOOP.md).
    policy_log: Mapped[dict | None] = mapped_column(JsonType)


class PerformanceLog(Base):
    """Per-component timings of one request (issue 2, 4)."""

    __tablename__ = "performance_logs"

    id: Mapped[BigIdKey]
    timestamp: Mapped[DefaultNow] = mapped_column(index=True)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[UserIdOrNull]
    operation: Mapped[str] = mapped_column(String(80), nullable=False)
    total_ms: Mapped[float] = mapped_column(Numeric(10, 2), nullable=False)
    component_ms: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    details: Mapped[dict | None] = mapped_column(JsonType)


class ConversationContext(TimestampMixin, Base):
    """Durable copy of a session's context (seed 001 §3.1 step 1.3: Redis first)."""

    __tablename__ = "conversation_contexts"
    __table_args__ = (UniqueConstraint("session_key", name="conversation_contexts_session_unique"),)

    id: Mapped[BigIdKey]
    session_key: Mapped[str] = mapped_column(String(200), nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    context: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    turn_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
