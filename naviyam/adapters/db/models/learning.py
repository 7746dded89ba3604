"""The learning loop's tables (seed 004 §9, issue 15; docs/LEARNING_LOOP.md).

Kept in the default schema (SQLite has no schemas) with the seed's names where they fit:
training data queue, training jobs, model versions, performance metrics, NLU training rows;
plus the event consumer's bookkeeping (processed events, read positions, dead letters) and
the scheduler's run history. ``recommendation_feedback`` is not here (issue 15 leaves it to
the feedback work; the jobs read ``recommendations_log.feedback_rating``).
"""
from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint, Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from naviyam.adapters.db.models.base import (
    AwareDateTime, Base, BigId, BigIdKey, DefaultNow, IntArray, JsonType, UserIdOrNull, one_of,
)

MODEL_TYPES = ("nlu", "llm_adapter", "rag", "recommendation")
QUEUE_STATUSES = ("pending", "processing", "ready", "training", "completed", "rejected", "error")
JOB_STATUSES = ("scheduled", "queued", "preparing", "training", "evaluating", "completed", "failed",
                "cancelled")
DEPLOYMENT_STATUSES = ("development", "testing", "canary", "production", "deprecated", "archived",
                       "rolled_back")
# confident: the NLU was sure and the user went on; clarified: the user picked a meaning
# after a clarification question; corrected: a designer fixed the label (nlu-review import).
LABEL_SOURCES = ("confident", "clarified", "corrected", "auto", "manual", "verified", "weak")
REVIEW_STATUSES = ("none", "pending", "exported", "reviewed")
RUN_STATUSES = ("running", "succeeded", "failed")


class TrainingDataQueue(Base):
    """One candidate training example waiting for a model (seed 004 §9.3)."""

    __tablename__ = "training_data_queue"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="data_queue_model_type_check"),
        CheckConstraint(one_of("status", QUEUE_STATUSES), name="data_queue_status_check"),
        UniqueConstraint("source_table", "source_key", name="data_queue_source_unique"),
    )

    id: Mapped[BigIdKey]
    model_type: Mapped[str] = mapped_column(String(50), nullable=False)
    raw_data: Mapped[dict] = mapped_column(JsonType, nullable=False)
    processed_data: Mapped[dict | None] = mapped_column(JsonType)
    quality_score: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="pending")
    error_message: Mapped[str | None] = mapped_column(Text)
    source_table: Mapped[str] = mapped_column(String(100), nullable=False)
    # the event or row the example came from (idempotency key of the consumer)
    source_key: Mapped[str] = mapped_column(String(120), nullable=False)
    user_id: Mapped[UserIdOrNull]
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    created_at: Mapped[DefaultNow] = mapped_column(index=True)
    trained_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class TrainingJob(Base):
    """One training run of a model (seed 004 §9.4)."""

    __tablename__ = "training_jobs"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="training_jobs_model_type_check"),
        CheckConstraint(one_of("status", JOB_STATUSES), name="training_jobs_status_check"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_name: Mapped[str] = mapped_column(String(200), nullable=False)
    model_type: Mapped[str] = mapped_column(String(50), nullable=False)
    training_config: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    data_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    # where the examples came from: {"logged": n, "simulated": m, "window": [from, to]}
    data_window: Mapped[dict | None] = mapped_column(JsonType)
    start_time: Mapped[datetime | None] = mapped_column(AwareDateTime())
    end_time: Mapped[datetime | None] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="scheduled")
    metrics: Mapped[dict | None] = mapped_column(JsonType)
    model_path: Mapped[str | None] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    triggered_by: Mapped[str] = mapped_column(String(50), nullable=False, default="manual")


class ModelVersion(Base):
    """A trained ranker or NLU/LLM adapter and its serving share (seed 004 §9.5)."""

    __tablename__ = "model_versions"
    __table_args__ = (
        CheckConstraint(one_of("model_type", MODEL_TYPES), name="model_versions_model_type_check"),
        CheckConstraint(one_of("deployment_status", DEPLOYMENT_STATUSES), name="model_versions_status_check"),
        CheckConstraint("traffic_percentage >= 0 AND traffic_percentage <= 100",
                        name="model_versions_traffic_check"),
        UniqueConstraint("model_type", "version", name="model_versions_unique_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    model_type: Mapped[str] = mapped_column(String(50), nullable=False)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    training_job_id: Mapped[int | None] = mapped_column(ForeignKey("training_jobs.id", ondelete="SET NULL"))
    training_data_stats: Mapped[dict | None] = mapped_column(JsonType)
    performance_metrics: Mapped[dict] = mapped_column(JsonType, nullable=False, default=dict)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    deployment_status: Mapped[str] = mapped_column(String(20), nullable=False, default="development")
    model_path: Mapped[str] = mapped_column(Text, nullable=False)
    checksum: Mapped[str | None] = mapped_column(String(64))
    traffic_percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=Decimal("0"))
    created_at: Mapped[DefaultNow]
    deployed_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    retired_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    notes: Mapped[str | None] = mapped_column(Text)


class PerformanceMetric(Base):
    """A measured window of one model in service (seed 004 §9.6)."""

    __tablename__ = "performance_metrics"

    id: Mapped[BigIdKey]
    model_type: Mapped[str] = mapped_column(String(50), nullable=False)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id", ondelete="CASCADE"))
    measured_at: Mapped[DefaultNow]
    window_start: Mapped[datetime | None] = mapped_column(AwareDateTime())
    window_end: Mapped[datetime | None] = mapped_column(AwareDateTime())
    request_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    success_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    model_specific_metrics: Mapped[dict | None] = mapped_column(JsonType)


class NluTrainingRow(Base):
    """One user message with its label and where the label came from (seed 004 §9.7)."""

    __tablename__ = "nlu_training_data"
    __table_args__ = (
        CheckConstraint(one_of("label_source", LABEL_SOURCES), name="nlu_training_label_source_check"),
        CheckConstraint(one_of("review_status", REVIEW_STATUSES), name="nlu_training_review_check"),
        UniqueConstraint("event_key", name="nlu_training_event_unique"),
    )

    id: Mapped[BigIdKey]
    event_key: Mapped[str] = mapped_column(String(120), nullable=False)
    session_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    input_text: Mapped[str] = mapped_column(Text, nullable=False)  # personal data masked
    true_intent: Mapped[str | None] = mapped_column(String(80))  # Rasa intent name
    true_entities: Mapped[list | None] = mapped_column(JsonType)
    predicted_intent: Mapped[str | None] = mapped_column(String(80))
    prediction_confidence: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    # The LLM NLU component's top intent and the adapter version that gave it (canary judge)
    llm_intent: Mapped[str | None] = mapped_column(String(80))
    llm_model: Mapped[str | None] = mapped_column(String(80), index=True)
    label_source: Mapped[str] = mapped_column(String(50), nullable=False)
    labeler_id: Mapped[str | None] = mapped_column(String(100))
    review_status: Mapped[str] = mapped_column(String(20), nullable=False, default="none", index=True)
    is_used_for_training: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    training_job_ids: Mapped[list[int] | None] = mapped_column(IntArray)
    created_at: Mapped[DefaultNow]
    updated_at: Mapped[datetime | None] = mapped_column(AwareDateTime())


class ProcessedEvent(Base):
    """An event the consumer has applied (its key makes every write idempotent)."""

    __tablename__ = "processed_events"

    event_key: Mapped[str] = mapped_column(String(120), primary_key=True)
    processed_at: Mapped[DefaultNow] = mapped_column(index=True)


class EventConsumerOffset(Base):
    """How far a consumer has read an event source (Rasa's SQL broker table)."""

    __tablename__ = "event_consumer_offsets"

    consumer: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(BigId, nullable=False, default=0)
    updated_at: Mapped[DefaultNow]


class EventDeadLetter(Base):
    """An event the consumer could not apply, with the reason; the rest went on."""

    __tablename__ = "event_dead_letters"

    id: Mapped[BigIdKey]
    source: Mapped[str] = mapped_column(String(80), nullable=False)
    source_position: Mapped[int | None] = mapped_column(BigId)
    event_key: Mapped[str | None] = mapped_column(String(120))
    payload: Mapped[str] = mapped_column(Text, nullable=False)  # masked
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[DefaultNow]


class JobRun(Base):
    """One run of a scheduled job; (job, slot) is unique, so replicas run a slot once."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint(one_of("status", RUN_STATUSES), name="job_runs_status_check"),
        UniqueConstraint("job_name", "slot", name="job_runs_slot_unique"),
    )

    id: Mapped[BigIdKey]
    job_name: Mapped[str] = mapped_column(String(80), nullable=False)
    slot: Mapped[str] = mapped_column(String(40), nullable=False)  # the scheduled time, ISO, truncated
    started_at: Mapped[datetime] = mapped_column(AwareDateTime(), nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="running")
    rows: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    runner: Mapped[str | None] = mapped_column(String(120))


class ShopDailyStat(Base):
    """Daily aggregate of one shop: impressions, selections, feedback (the daily job)."""

    __tablename__ = "shop_daily_stats"
    __table_args__ = (UniqueConstraint("day", "shop_id", name="shop_daily_stats_unique"),)

    id: Mapped[BigIdKey]
    day: Mapped[date] = mapped_column(Date, nullable=False)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False)
    impressions: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    selections: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    feedback_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    avg_rating: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))


class ReminderSent(Base):
    """A reminder pushed to a user (low balance, coupon expiring); keyed so it goes once."""

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("user_id", "kind", "ref_key", name="reminders_sent_unique"),)

    id: Mapped[BigIdKey]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    ref_key: Mapped[str] = mapped_column(String(80), nullable=False)
    sent_at: Mapped[DefaultNow]


class ReminderOptOut(Base):
    """A user who asked for no reminders."""

    __tablename__ = "reminder_opt_outs"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[DefaultNow]
