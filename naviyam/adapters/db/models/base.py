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
