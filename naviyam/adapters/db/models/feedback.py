"""Feedback that is kept (issue 12): a user's word about a recommended shop, and closure reports.

``recommendation_feedback`` follows seed 004 §9.9 ``ml_training.recommendation_feedback``
in the project's conventions (one schema, portable JSON, BIGINT ids); additions are
``feedback_shop_id`` (the shop the feedback is about, also when it was not the chosen
one), ``feedback_kind`` (liked | disliked | rated | closed) and ``excluded_until`` (the
profile effect: the shop is left out of this user's recommendations until then).
``shop_closure_reports`` is the operator's queue of "거기 문 닫았던데" reports.
docs/DATA_MODEL.md lists the departures.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from naviyam.adapters.db.models.base import AwareDateTime, Base, BigIdKey, DefaultNow, JsonType, UserIdOrNull, one_of
from naviyam.domain.feedback import CLOSURE_STATUSES, FEEDBACK_KINDS, USER_ACTIONS


class RecommendationFeedback(Base):
    """One user's feedback on one shop of one recommendation (seed 004 §9.9)."""

    __tablename__ = "recommendation_feedback"
    __table_args__ = (
        CheckConstraint(one_of("user_action", USER_ACTIONS), name="reco_feedback_action_check"),
        CheckConstraint(one_of("feedback_kind", FEEDBACK_KINDS), name="reco_feedback_kind_check"),
        CheckConstraint("explicit_rating IS NULL OR (explicit_rating >= 1 AND explicit_rating <= 5)",
                        name="reco_feedback_rating_check"),
        CheckConstraint("(user_action = 'selected' AND selected_shop_id IS NOT NULL) OR "
                        "(user_action <> 'selected' AND selected_shop_id IS NULL)",
                        name="recommendation_feedback_action_consistency"),
        UniqueConstraint("user_id", "recommendation_log_id", "feedback_shop_id",
                         name="reco_feedback_once_per_shop"),
        Index("ix_reco_feedback_user_created", "user_id", "created_at"),
        Index("ix_reco_feedback_action", "user_action", "selected_shop_id"),
    )

    id: Mapped[BigIdKey]
    recommendation_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendations_log.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    session_id: Mapped[uuid.UUID] = mapped_column(Uuid, nullable=False)
    recommended_shops: Mapped[list[dict]] = mapped_column(JsonType, nullable=False)
    user_action: Mapped[str] = mapped_column(String(50), nullable=False)
    selected_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    feedback_shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    feedback_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    action_timestamp: Mapped[datetime] = mapped_column(AwareDateTime(), nullable=False)
    time_to_action_ms: Mapped[int | None] = mapped_column(Integer)
    interaction_details: Mapped[dict | None] = mapped_column(JsonType)
    context_features: Mapped[dict] = mapped_column(JsonType, nullable=False)
    user_features: Mapped[dict] = mapped_column(JsonType, nullable=False)
    explicit_rating: Mapped[int | None] = mapped_column(Integer)
    implicit_satisfaction: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    learning_value: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    is_outlier: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    excluded_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[DefaultNow]
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    device_type: Mapped[str | None] = mapped_column(String(50))
    app_version: Mapped[str | None] = mapped_column(String(20))


class ShopClosureReport(Base):
    """A user's report that a recommended shop was closed, queued for the operator."""

    __tablename__ = "shop_closure_reports"
    __table_args__ = (
        CheckConstraint(one_of("status", CLOSURE_STATUSES), name="closure_reports_status_check"),
        Index("ix_closure_reports_status", "status", "reported_at"),
    )

    id: Mapped[BigIdKey]
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False, index=True)
    user_id: Mapped[UserIdOrNull]
    feedback_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation_feedback.id", ondelete="SET NULL"))
    reported_at: Mapped[datetime] = mapped_column(AwareDateTime(), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    resolved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    operator_note: Mapped[str | None] = mapped_column(Text)
