"""Reading Rasa's event broker table (``events``: id, sender_id, data; Rasa's SQLEventBroker).

Rasa's SQL event broker writes every conversation event there (embedded default); in
production Rasa publishes to RabbitMQ and ``bot/event_relay.py`` moves the durable queue's
messages into the same table. The consumer (``naviyam.usecases.learning.consumer``) reads
it in id order from a persisted position.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, select
from sqlalchemy.engine import make_url

from naviyam.adapters.db.session import get_engine
from naviyam.config import get_learning_settings, get_settings

_metadata = MetaData()
# The same shape as rasa.core.brokers.sql.SQLEventBroker.SQLBrokerEvent (Rasa creates it too).
EVENTS = Table("events", _metadata, Column("id", Integer, primary_key=True),
               Column("sender_id", String(255)), Column("data", Text))


def events_db_url() -> str:
    """Where Rasa's SQL broker keeps events: its own SQLite file beside the app's, or the app database."""
    configured = get_learning_settings().events_db_url
    if configured:
        return configured
    settings = get_settings()
    if settings.database_url.startswith("sqlite"):
        return f"sqlite:///{settings.var_dir / 'rasa_events.db'}"
    return settings.database_url


def rasa_broker_config(url: str) -> dict[str, Any]:
    """The ``event_broker`` section of Rasa's endpoints for its SQL broker on ``url``."""
    parsed = make_url(url)
    if parsed.drivername.startswith("sqlite"):
        return {"type": "SQL", "dialect": "sqlite", "db": parsed.database}
    config: dict[str, Any] = {"type": "SQL", "dialect": "postgresql", "url": parsed.host or "127.0.0.1",
                              "port": parsed.port or 5432, "db": parsed.database}
    if parsed.username:
        config["username"] = parsed.username
    if parsed.password:
        config["password"] = parsed.password
    return config


@dataclass(frozen=True)
class StoredEvent:
    position: int
    sender_id: str | None
    raw: str

    def decoded(self) -> dict[str, Any]:
        data = json.loads(self.raw)
        if not isinstance(data, dict) or not isinstance(data.get("event"), str):
            raise ValueError("not a Rasa event (no 'event' name)")
        return data


def ensure_table(url: str | None = None) -> None:
    """Create the table if Rasa has not yet (same columns as Rasa's)."""
    _metadata.create_all(get_engine(url or events_db_url()), tables=[EVENTS], checkfirst=True)


def read_after(position: int, limit: int, url: str | None = None) -> list[StoredEvent]:
    """Events with an id above ``position``, oldest first (no transaction is kept open)."""
    with get_engine(url or events_db_url()).connect() as conn:
        rows = conn.execute(select(EVENTS.c.id, EVENTS.c.sender_id, EVENTS.c.data)
                            .where(EVENTS.c.id > position).order_by(EVENTS.c.id).limit(limit)).all()
    return [StoredEvent(int(r.id), r.sender_id, r.data or "") for r in rows]


def delete_up_to(position: int, url: str | None = None) -> int:
    """Remove the events at or below ``position`` (already applied; retention)."""
    ensure_table(url)
    with get_engine(url or events_db_url()).begin() as conn:
        return conn.execute(EVENTS.delete().where(EVENTS.c.id <= position)).rowcount or 0


def append(events: list[dict[str, Any] | str], url: str | None = None) -> None:
    """Write events the way Rasa's SQL broker does (tests, the replay script); a str is stored as is."""
    rows = [{"sender_id": None, "data": e} if isinstance(e, str)
            else {"sender_id": e.get("sender_id"), "data": json.dumps(e, ensure_ascii=False)} for e in events]
    ensure_table(url)
    with get_engine(url or events_db_url()).begin() as conn:
        conn.execute(EVENTS.insert(), rows)
