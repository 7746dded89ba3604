"""SQLAlchemy 2.0 typed models for the core tables of seed 004 §3.

PostgreSQL is the target; the same models run on SQLite for the embedded default.
Portable types: JSONB on PostgreSQL / JSON elsewhere, ARRAY on PostgreSQL / JSON
list elsewhere. Alembic owns the schema (``naviyam/adapters/db/migrations``); departures from
the seed are listed in docs/DATA_MODEL.md.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
TextArray = JSON().with_variant(ARRAY(Text()), "postgresql")
IntArray = JSON().with_variant(ARRAY(Integer()), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so BIGSERIAL ids are BIGINT on
# PostgreSQL and INTEGER on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")



def one_of(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    return f"{column} IN ({quoted})"


def tz_now() -> Any:
    """Server default that both PostgreSQL and SQLite understand."""
    return text("CURRENT_TIMESTAMP")


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=tz_now(), nullable=False
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=tz_now(), onupdate=func.now(), nullable=False
    )
