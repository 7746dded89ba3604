"""The event consumer: Rasa's conversation events → conversations, impressions, learning rows.

Reads Rasa's SQL broker table (``naviyam.adapters.rasa_events``) in id order from the position
stored in ``event_consumer_offsets``. One batch is one transaction: the position row is
locked first (two consumers never apply one batch twice), each event is applied in a
savepoint and recorded in ``processed_events`` under its key (a redelivered copy is
skipped), an event that fails goes to ``event_dead_letters`` with the reason and the batch
goes on, and the new position commits with the writes. A consumer that was down resumes
from the stored position: nothing is lost (RabbitMQ's durable queue holds what the relay
has not yet moved).
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from naviyam.adapters import rasa_events
from naviyam.adapters.db.models.learning import EventConsumerOffset, EventDeadLetter, ProcessedEvent
from naviyam.adapters.db.session import unit_of_work
from naviyam.shared.personal_data import mask_personal_data
from naviyam.usecases.learning.event_writes import apply_event

log = logging.getLogger(__name__)
CONSUMER = "conversation-events"


@dataclass
class ConsumeReport:
    read: int = 0
    applied: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    position: int = 0

    def __str__(self) -> str:
        return (f"read {self.read}, applied {self.applied}, duplicates {self.duplicates}, "
                f"dead-lettered {self.dead_lettered}, position {self.position}")


def event_key(raw: str) -> str:
    """The event's identity: a hash of its canonical JSON (a redelivered copy has the same key)."""
    try:
        canonical = json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        canonical = raw
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _locked_offset(session: Session) -> EventConsumerOffset:
    row = session.scalars(select(EventConsumerOffset).where(EventConsumerOffset.consumer == CONSUMER)
                          .with_for_update()).first()
    if row is None:
        row = EventConsumerOffset(consumer=CONSUMER, position=0)
        session.add(row)
        session.flush()
    return row


def _apply_one(session: Session, stored: rasa_events.StoredEvent, report: ConsumeReport) -> None:
    key = event_key(stored.raw)
    if session.get(ProcessedEvent, key) is not None:
        report.duplicates += 1
        return
    savepoint = session.begin_nested()
    try:
        apply_event(session, key, stored.decoded())
        session.add(ProcessedEvent(event_key=key))
        session.flush()
        savepoint.commit()
        report.applied += 1
    except Exception as exc:  # noqa: BLE001 - a poisoned event must never block the rest
        savepoint.rollback()
        reason = f"{type(exc).__name__}: {exc}"[:1000]
        log.warning("event %s at position %s dead-lettered: %s", key[:12], stored.position, reason)
        session.add(EventDeadLetter(source=CONSUMER, source_position=stored.position, event_key=key,
                                    payload=mask_personal_data(stored.raw[:20000]), reason=reason))
        session.flush()
        report.dead_lettered += 1


def consume_batch(limit: int = 500) -> ConsumeReport:
    """Apply the next ``limit`` events (one transaction); returns what happened."""
    report = ConsumeReport()
    rasa_events.ensure_table()
    with unit_of_work() as session:
        offset = _locked_offset(session)
        batch = rasa_events.read_after(offset.position, limit)
        for stored in batch:
            _apply_one(session, stored, report)
            offset.position = stored.position
        report.read, report.position = len(batch), offset.position
    return report


def consume_all(limit: int = 500) -> ConsumeReport:
    """Catch up: batches until the table has nothing new."""
    total = ConsumeReport()
    while True:
        report = consume_batch(limit)
        for field in ("read", "applied", "duplicates", "dead_lettered"):
            setattr(total, field, getattr(total, field) + getattr(report, field))
        total.position = report.position
        if report.read < limit:
            return total


def prune(now: datetime, keep_days: int = 7) -> int:
    """Retention: drop applied events from Rasa's table and event keys older than ``keep_days``
    (a redelivery arrives within minutes; a week is ample)."""
    with unit_of_work() as session:
        offset = session.get(EventConsumerOffset, CONSUMER)
        position = offset.position if offset else 0
        keys = session.execute(delete(ProcessedEvent).where(
            ProcessedEvent.processed_at < now - timedelta(days=keep_days))).rowcount or 0
    return keys + (rasa_events.delete_up_to(position) if position else 0)


def run_forever(stop: threading.Event, poll_s: float = 1.0) -> None:
    """The consumer process: catch up, then poll until ``stop`` is set (SIGTERM)."""
    while not stop.is_set():
        try:
            report = consume_all()
            if report.read:
                log.info("events: %s", report)
        except Exception:  # noqa: BLE001 - the database may be away for a moment; retry
            log.exception("event consumer: batch failed; retrying")
        stop.wait(poll_s)
