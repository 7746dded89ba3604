"""Data lifecycle use case: coupon expiry and the retention policy (docs/DATA_LIFECYCLE.md).

``run_maintenance`` runs these steps, each in its own transaction (a failed step
writes nothing and the next step still runs):

  expire_coupons                wallet rows past ``expires_at`` → EXPIRED
  delete_conversations          conversations older than 365 days (seed 003)
  blank_conversation_text       input/response text older than 7 days → '' (seed 001
                                "raw conversations"); intents, entities, selections stay
  delete_recommendations_log    older than 365 days (seed 003)
  delete_performance_logs       older than 90 days (seed 003)
  delete_conversation_contexts  not touched for 7 days (seed 003)

Large tables are worked through in statements of ``batch_size`` rows (default 5,000)
so no single statement scans, locks or logs the whole backlog at once; the step's
transaction still commits or rolls back whole. Days come from
``naviyam.config.get_lifecycle_settings`` (-1 keeps a table forever).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from naviyam.config import LifecycleSettings, get_lifecycle_settings, get_settings
from naviyam.usecases.coupons.wallet import expire_overdue
from naviyam.adapters.db.models import Conversation, ConversationContext, PerformanceLog, RecommendationLog
from naviyam.adapters.db.session import unit_of_work

log = logging.getLogger(__name__)

# What a blanked conversation keeps in its NOT NULL text columns. Empty (not a marker
# such as "[삭제됨]") so that nothing reading the text, e.g. the LLM training-set
# export (ml/llm/dataset.py), mistakes it for something a user typed.
BLANK_TEXT = ""


@dataclass(frozen=True)
class StepResult:
    name: str
    rows: int = 0
    cutoff: datetime | None = None   # rows older than this were affected (UTC)
    skipped: bool = False            # retention -1: kept forever
    error: str | None = None         # the step rolled back whole

    def __str__(self) -> str:
        if self.error:
            return f"{self.name}: FAILED, nothing written ({self.error})"
        if self.skipped:
            return f"{self.name}: skipped (kept forever)"
        before = f" (before {self.cutoff:%Y-%m-%d %H:%M} UTC)" if self.cutoff else ""
        return f"{self.name}: {self.rows} rows{before}"


@dataclass
class MaintenanceReport:
    now: datetime
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.error is None for step in self.steps)

    def counts(self) -> dict[str, int]:
        return {step.name: step.rows for step in self.steps}

    def __str__(self) -> str:
        return "\n".join([f"maintenance at {self.now.isoformat()}"] + [f"  {s}" for s in self.steps])


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=get_settings().timezone)
    return now.astimezone(timezone.utc)


def _cutoff(now: datetime, days: int) -> datetime | None:
    return None if days < 0 else _utc(now) - timedelta(days=days)


# --------------------------------------------------------------------------- batches


def _delete_batch(session: Session, model: type, where, limit: int) -> int:
    """Delete the first ``limit`` rows matching ``where`` (ids from a LIMITed subquery)."""
    ids = select(model.id).where(where).order_by(model.id).limit(limit)
    stmt = delete(model).where(model.id.in_(ids.scalar_subquery())).execution_options(
        synchronize_session=False)
    return session.execute(stmt).rowcount or 0


def _update_batch(session: Session, model: type, where, values: dict, limit: int, after: int) -> tuple[int, int]:
    """Update the first ``limit`` rows with ``id > after`` matching ``where``.

    Returns (rows updated, last id seen); the next batch starts after that id, so rows
    skipped by ``where`` are scanned once per run, not once per batch.
    """
    ids = session.scalars(select(model.id).where(where, model.id > after).order_by(model.id).limit(limit)).all()
    if not ids:
        return 0, after
    stmt = update(model).where(model.id.in_(ids)).values(**values).execution_options(synchronize_session=False)
    session.execute(stmt)
    return len(ids), ids[-1]


def _until_done(batch: Callable[[], int], batch_size: int) -> int:
    total = 0
    while True:
        rows = batch()
        total += rows
        if rows < batch_size:
            return total


def delete_older_than(session: Session, model: type, column: InstrumentedAttribute,
                      cutoff: datetime, batch_size: int) -> int:
    """Delete every ``model`` row with ``column < cutoff``, ``batch_size`` rows a statement."""
    return _until_done(lambda: _delete_batch(session, model, column < cutoff, batch_size), batch_size)


def blank_conversation_text(session: Session, cutoff: datetime, batch_size: int) -> int:
    """Empty ``input_text``/``response_text`` of conversations older than ``cutoff``.

    Rows already blank are not counted again, so a second run reports 0.
    """
    where = (Conversation.timestamp < cutoff) & or_(Conversation.input_text != BLANK_TEXT,
                                                    Conversation.response_text != BLANK_TEXT)
    values = {"input_text": BLANK_TEXT, "response_text": BLANK_TEXT}
    total, last_id = 0, 0
    while True:
        rows, last_id = _update_batch(session, Conversation, where, values, batch_size, last_id)
        total += rows
        if rows < batch_size:
            return total


# --------------------------------------------------------------------------- steps


def _steps(now: datetime, settings: LifecycleSettings) -> list[tuple[str, int | None, Callable]]:
    """(name, retention days or None, work(session, cutoff) -> rows) in the order they run.

    Old conversations are deleted before the rest are blanked, so rows about to go are
    not rewritten first.
    """
    size = settings.batch_size
    return [
        ("expire_coupons", None, lambda s, _c: expire_overdue(s, now)),
        ("delete_conversations", settings.conversations_days,
         lambda s, c: delete_older_than(s, Conversation, Conversation.timestamp, c, size)),
        ("blank_conversation_text", settings.raw_text_days,
         lambda s, c: blank_conversation_text(s, c, size)),
        ("delete_recommendations_log", settings.recommendations_log_days,
         lambda s, c: delete_older_than(s, RecommendationLog, RecommendationLog.timestamp, c, size)),
        ("delete_performance_logs", settings.performance_logs_days,
         lambda s, c: delete_older_than(s, PerformanceLog, PerformanceLog.timestamp, c, size)),
        ("delete_conversation_contexts", settings.conversation_contexts_days,
         lambda s, c: delete_older_than(s, ConversationContext, ConversationContext.updated_at, c, size)),
    ]


def run_maintenance(url: str | None = None, now: datetime | None = None, *,
                    settings: LifecycleSettings | None = None) -> MaintenanceReport:
    """Expire coupons and apply the retention policy on ``url`` (default: DATABASE_URL).

    Each step is one transaction; a failing step is rolled back whole, recorded in the
    report (``report.ok`` is False) and the remaining steps still run.
    """
    settings = settings or get_lifecycle_settings()
    now = now or datetime.now(timezone.utc)
    report = MaintenanceReport(now=now)
    for name, days, work in _steps(now, settings):
        if days is not None and days < 0:
            report.steps.append(StepResult(name, skipped=True))
            continue
        cutoff = _cutoff(now, days) if days is not None else None
        try:
            with unit_of_work(url) as session:
                rows = work(session, cutoff)
        except Exception as exc:  # noqa: BLE001 - reported; the other steps still run
            log.error("Maintenance step %s failed and was rolled back: %s: %s",
                      name, type(exc).__name__, exc)
            log.debug("Maintenance step %s traceback", name, exc_info=True)
            report.steps.append(StepResult(name, cutoff=cutoff, error=f"{type(exc).__name__}: {exc}"))
            continue
        log.info("Maintenance step %s: %d rows", name, rows)
        report.steps.append(StepResult(name, rows=rows, cutoff=cutoff))
    return report
