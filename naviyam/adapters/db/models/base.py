"""SQLAlchemy 2.0 typed models for the core tables of seed 004 §3.

PostgreSQL is the target; the same models run on SQLite for the embedded default.
Portable types: JSONB on PostgreSQL / JSON elsewhere, ARRAY on PostgreSQL / JSON
list elsewhere. Alembic owns the schema (``naviyam/adapters/db/migrations``); departures from
the seed are listed in docs/DATA_MODEL.md.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, Text, func, text
from sqlalchemy.types import TypeDecorator
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

JsonType = JSON().with_variant(JSONB(), "postgresql")
TextArray = JSON().with_variant(ARRAY(Text()), "postgresql")
IntArray = JSON().with_variant(ARRAY(Integer()), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY, so BIGSERIAL ids are BIGINT on
# PostgreSQL and INTEGER on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AwareDateTime(TypeDecorator):
    """``DateTime(timezone=True)`` that reads back timezone-aware on every backend.

    PostgreSQL keeps the instant (``timestamptz``). SQLite has no time zone type: SQLAlchemy
    writes the wall time and drops the offset, and reads a naive value back, so a time
    written in KST and ``CURRENT_TIMESTAMP`` (UTC) were mixed in one column and comparing a
    stored time with an aware "now" raised ``TypeError``. On SQLite this type writes UTC and
    reads UTC back as aware (SQLAlchemy's documented ``TypeDecorator`` recipe); the DDL is
    unchanged, so no migration.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None and dialect.name == "sqlite":
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


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
DefaultNow = Annotated[datetime, mapped_column(AwareDateTime(), server_default=tz_now(), nullable=False)]
"""A timestamp the database sets to now when the row is written (created_at, logged at)."""
UserIdOrNull = Annotated[int | None, mapped_column(ForeignKey("users.id", ondelete="SET NULL"))]
"""The user a log row is about; NULL once the user is gone."""


class Base(DeclarativeBase):
    pass


class TimestampMixin:
    created_at: Mapped[DefaultNow]
    updated_at: Mapped[DefaultNow] = mapped_column(onupdate=func.now())
