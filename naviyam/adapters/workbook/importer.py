"""Import a sample-data workbook into the database: validate everything, then upsert.

- Validation first (``naviyam.adapters.workbook.validate``): any bad row → nothing is written,
  ``ImportValidationError`` lists every problem as (sheet, Excel row, column, message).
- One transaction (``unit_of_work``): inserts rows whose id is new, updates rows whose
  values differ, leaves equal rows alone. Re-importing the same file changes nothing.
- Only the columns present in a sheet's header are compared and updated; rows in the
  database that are not in the workbook are kept.
- On PostgreSQL the id sequences are moved past the largest id afterwards.
- Timestamps are written in UTC (SQLite stores them as naive UTC).

    python -m naviyam.adapters.workbook.importer [PATH] [--database-url URL] [--insert-only] [--check]

Exit codes: 0 imported, 2 the workbook has bad rows (listed), 1 any other problem.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time as _time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Table, insert, null, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session

from naviyam.adapters.crypto import lookup_hash
from naviyam.config import get_settings
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.workbook.cells import SERVER_DEFAULT, Column
from naviyam.adapters.workbook.schema import SHEETS, Sheet
from naviyam.adapters.workbook.validate import (
    ExistingState,
    ImportFileError,
    ImportValidationError,
    Issue,
    ParsedSheet,
    check_cross_rows,
    read_workbook,
)

_log = logging.getLogger(__name__)

__all__ = ["ImportReport", "ImportValidationError", "ImportFileError", "Issue", "import_workbook",
           "check_workbook"]

_CHUNK = 500


@dataclass
class SheetCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class ImportReport:
    path: Path
    database: str
    counts: dict[str, SheetCounts] = field(default_factory=dict)
    validated_only: dict[str, int] = field(default_factory=dict)  # sheets that are not tables
    seconds: float = 0.0

    @property
    def inserted(self) -> int:
        return sum(c.inserted for c in self.counts.values())

    @property
    def updated(self) -> int:
        return sum(c.updated for c in self.counts.values())

    def __str__(self) -> str:
        lines = [f"Imported {self.path} into {self.database} in {self.seconds:.1f} s",
                 f"{'sheet':<20} {'inserted':>9} {'updated':>8} {'unchanged':>10}"]
        for name, c in self.counts.items():
            lines.append(f"{name:<20} {c.inserted:>9} {c.updated:>8} {c.unchanged:>10}")
        for name, n in self.validated_only.items():
            lines.append(f"{name:<20} {n} rows validated (not a table; read by tools)")
        return "\n".join(lines)


def _safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):  # not a URL SQLAlchemy can parse
        return url.split("@")[-1]


# ---------------------------------------------------------------- reading the database

def _table(spec: Sheet) -> Table:
    return spec.model.__table__  # type: ignore[union-attr]


def load_existing(session: Session) -> ExistingState:
    state = ExistingState()
    for spec in SHEETS:
        if spec.model is None:
            continue
        table = _table(spec)
        state.ids[spec.name] = set(session.scalars(select(table.c.id)))
        for key in spec.unique:
            result = session.execute(select(table.c.id, *[table.c[c] for c in key]))
            state.keys[(spec.name, key)] = {
                tuple(row[1:]): row[0] for row in result if all(v is not None for v in row[1:])
            }
    return state


# ---------------------------------------------------------------- comparing values

def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:  # SQLite gives back the naive UTC we wrote
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _same(column: Column, in_db: Any, new: Any) -> bool:
    if new is SERVER_DEFAULT:
        return True
    if in_db is None or new is None:
        return in_db is None and new is None
    if column.kind == "datetime":
        return _as_utc(in_db) == _as_utc(new)
    if column.kind == "decimal":
        return Decimal(str(in_db)) == new
    if column.kind == "int_list":
        return [int(v) for v in in_db] == new
    return in_db == new


def _db_value(column: Column, value: Any) -> Any:
    if column.kind == "datetime" and isinstance(value, datetime):
        return value.astimezone(timezone.utc)
    return value


def _is_json_column(table: Table, name: str, dialect: str) -> bool:
    sa_type = table.c[name].type
    impl = sa_type._variant_mapping.get(dialect, sa_type) if hasattr(sa_type, "_variant_mapping") else sa_type
    return isinstance(impl, JSON)


# ---------------------------------------------------------------- writing

def _upsert_sheet(session: Session, sheet: ParsedSheet, update_existing: bool) -> SheetCounts:
    spec = sheet.spec
    table = _table(spec)
    dialect = session.get_bind().dialect.name
    counts = SheetCounts()
    columns = [spec.by_name[name] for name in sheet.present]
    ids = [row["id"] for row in sheet.rows]
    current: dict[Any, Any] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        for db_row in session.execute(select(*[table.c[c.name] for c in columns]).where(table.c.id.in_(chunk))):
            current[db_row.id] = db_row._mapping

    inserts: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    null_updates: list[tuple[Any, dict[str, Any]]] = []
    for row in sheet.rows:
        existing = current.get(row["id"])
        if existing is None:
            # Leave out NULLs (a JSON column would otherwise store JSON 'null') and
            # server defaults; omitted columns take their default or NULL.
            inserts.append({c.name: _db_value(c, row[c.name]) for c in spec.columns
                            if row.get(c.name) is not None and row.get(c.name) is not SERVER_DEFAULT})
            continue
        changed = {c.name: _db_value(c, row[c.name]) for c in columns
                   if c.name != "id" and not _same(c, existing[c.name], row[c.name])}
        if not changed:
            counts.unchanged += 1
            continue
        if not update_existing:
            counts.unchanged += 1
            continue
        counts.updated += 1
        to_null = {k: null() for k, v in changed.items() if v is None and _is_json_column(table, k, dialect)}
        if to_null:
            null_updates.append((row["id"], to_null))
            changed = {k: v for k, v in changed.items() if k not in to_null}
        if changed:
            if "card_number" in changed:  # encrypted at rest: keep its look-up hash in step
                changed["card_number_hash"] = lookup_hash(changed["card_number"])
            updates.setdefault(tuple(sorted(changed)), []).append({"id": row["id"], **changed})

    if inserts:
        for start in range(0, len(inserts), _CHUNK):
            session.execute(insert(spec.model), inserts[start:start + _CHUNK])
        counts.inserted = len(inserts)
    for batch in updates.values():
        session.execute(update(spec.model), batch)  # ORM bulk UPDATE by primary key
    for row_id, values in null_updates:
        session.execute(update(table).where(table.c.id == row_id).values(values))
    return counts


def _reset_sequences(session: Session, tables: list[str]) -> None:
    for name in tables:
        session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {name}"
        ))


# ---------------------------------------------------------------- entry points

def check_workbook(path: Path | str, url: str | None = None) -> list[Issue]:
    """Validate ``path`` against the database at ``url`` without writing anything."""
    url = url or get_settings().database_url
    parsed, issues = read_workbook(path)  # before opening a transaction: the slow part
    with unit_of_work(url) as session:
        existing = load_existing(session)
        session.rollback()  # read only
    issues.extend(check_cross_rows(parsed, existing))
    return sorted(set(issues))


def import_workbook(path: Path | str | None = None, url: str | None = None, *,
                    update_existing: bool = True) -> ImportReport:
    """Validate and import ``path`` (default: the configured sample data file) into ``url``.

    Raises ``ImportValidationError`` (nothing written) when any row is bad and
    ``ImportFileError`` when the file cannot be read. ``update_existing=False`` only
    inserts rows whose id is new (keeps what the running bot changed).
    """
    settings = get_settings()
    url = url or settings.database_url
    path = Path(path) if path is not None else settings.sample_data_path
    started = _time.perf_counter()
    parsed, issues = read_workbook(path)  # before opening a transaction: the slow part
    report = ImportReport(path=path, database=_safe_url(url))
    with unit_of_work(url) as session:
        existing = load_existing(session)
        issues.extend(check_cross_rows(parsed, existing))
        if issues:
            raise ImportValidationError(sorted(set(issues)))
        written = []
        for spec in SHEETS:
            sheet = parsed.get(spec.name)
            if sheet is None:
                continue
            if spec.model is None:
                report.validated_only[spec.name] = len(sheet.rows)
                continue
            report.counts[spec.name] = _upsert_sheet(session, sheet, update_existing)
            if spec.id_kind == "int":
                written.append(_table(spec).name)
        if session.get_bind().dialect.name == "postgresql":
            _reset_sequences(session, written)
    if report.inserted or report.updated:
        _drop_user_caches()
    report.seconds = _time.perf_counter() - started
    return report


def _drop_user_caches() -> None:
    """Rows of any user may have changed (cards, wallets, profiles): drop every per-user key.
    (Coupon definitions bump their own version through the session's listeners.)"""
    from naviyam.adapters.cache import get_cache

    try:
        get_cache().delete_prefix("user:")
    except Exception:  # noqa: BLE001 - the TTL bounds what is left
        _log.warning("Could not drop the per-user cache entries after the import", exc_info=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m naviyam.adapters.workbook.importer",
        description="Validate a sample-data workbook and import it (one transaction, idempotent).")
    parser.add_argument("path", nargs="?", type=Path, default=None,
                        help="the .xlsx to import (default: NAVIYAM_SAMPLE_DATA or data/sample_data.xlsx)")
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL (or the embedded SQLite file)")
    parser.add_argument("--insert-only", action="store_true",
                        help="only add rows whose id is new; never change existing rows")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    args = parser.parse_args(argv)
    settings = get_settings()
    url = args.database_url or settings.database_url
    path = args.path or settings.sample_data_path
    try:
        if args.check:
            issues = check_workbook(path, url)
            if issues:
                raise ImportValidationError(issues)
            print(f"{path}: no problems found")
            return 0
        report = import_workbook(path, url, update_existing=not args.insert_only)
    except ImportValidationError as exc:
        print(f"{path}: {len(exc.issues)} problem(s); nothing was imported.", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    except ImportFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - an operator needs the reason, not a traceback
        print(f"error: import into {_safe_url(url)} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("Is the database reachable and migrated (alembic upgrade head)?", file=sys.stderr)
        return 1
    print(report)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
