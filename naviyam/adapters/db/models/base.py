"""SQLAlchemy 2.0 typed models for the core tables of seed 004 §3.

PostgreSQL is the target; the same models run on SQLite for the embedded default.
Portable types: JSONB on PostgreSQL / JSON elsewhere, ARRAY on PostgreSQL / JSON
list elsewhere. Alembic owns the schema (``naviyam/adapters/db/migrations``); departures from
the seed are listed in docs/DATA_MODEL.md.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, Text, func, text
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


# Columns many tables declare alike, as SQLAlchemy 2.0's Annotated column types
# (``id: Mapped[BigIdKey]``): each table keeps its columns in their declared order, so
# the DDL is the same as when every table spelled them out. ``mapped_column(...)`` on
# the right adds to them (``Mapped[DefaultNow] = mapped_column(index=True)``).
BigIdKey = Annotated[int, mapped_column(BigId, primary_key=True, autoincrement=True)]
"""A BIGSERIAL-style surrogate key (see ``BigId``)."""
DefaultNow = Annotated[datetime, mapped_column(DateTime(timezone=True), server_default=tz_now(), nullable=False)]
"""A timestamp the database sets to now when the row is written (created_at, logged at)."""
UserIdOrNull = Annotated[int | None, mapped_column(ForeignKey("users.id", ondelete="SET NULL"))]
"""The user a log row is about; NULL once the user is gone."""


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[DefaultNow]
    updated_at: Mapped[DefaultNow] = mapped_column(onupdate=func.now())
