"""Writing answered turns to ``conversations`` (seed 004 §3.8) and timings to performance_logs."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, inspect, select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import Conversation, PerformanceLog
from naviyam.domain.vocabulary import SEED_INTENTS
from naviyam.shared.personal_data import mask_in_context, mask_personal_data, mask_values

log = logging.getLogger(__name__)

SESSION_NAMESPACE = uuid.UUID("6f9a1c5e-3b7d-4d2a-9c3e-2a6b8e4f1d70")

# Rasa intents that are not in the seed's closed list map onto it here.
_INTENT_ALIASES = {
    "nlu_fallback": "UNKNOWN",
    "out_of_scope": "UNKNOWN",
}


def seed_intent(rasa_intent: str | None) -> str:
    """Map a Rasa intent name onto the seed's ``extracted_intent`` list."""
    if not rasa_intent:
        return "UNKNOWN"
    if rasa_intent in _INTENT_ALIASES:
        return _INTENT_ALIASES[rasa_intent]
    upper = rasa_intent.upper()
    return upper if upper in SEED_INTENTS else "GENERAL_CHAT"


def session_uuid(session_key: str) -> uuid.UUID:
    """A stable UUID for a Rasa conversation/session key."""
    return uuid.uuid5(SESSION_NAMESPACE, session_key)


@dataclass
class TurnRecord:
    session_key: str
    input_text: str
    response_text: str
    user_id: int | None = None
    rasa_intent: str | None = None
    intent_confidence: float | None = None
    entities: dict[str, Any] = field(default_factory=dict)
    previous_intent: str | None = None
    user_strategy: str | None = None
    recommended_shop_ids: list[int] | None = None
    selected_shop_id: int | None = None
    applied_coupon_ids: list[str] | None = None
    processing_time_ms: int | None = None
    rag_time_ms: int | None = None
    timestamp: datetime | None = None


def log_turn(session: Session, record: TurnRecord) -> Conversation:
    """Add one conversations row (personal data masked) inside the caller's transaction."""
    sid = session_uuid(record.session_key)
    # The turn number is counted by the INSERT itself (a subquery): one round trip, not two.
    turn_number = (select(func.count() + 1).select_from(Conversation)
                   .where(Conversation.session_id == sid).scalar_subquery())
    confidence = None
    if record.intent_confidence is not None:
        confidence = Decimal(str(round(min(max(record.intent_confidence, 0.0), 1.0), 3)))
    row = Conversation(
        user_id=record.user_id,
        session_id=sid,
        conversation_id=sid,
        input_text=mask_personal_data(record.input_text or "")[:2000] or "(빈 메시지)",
        response_text=mask_personal_data(record.response_text or ""),
        extracted_intent=seed_intent(record.rasa_intent),
        rasa_intent=record.rasa_intent,
        intent_confidence=confidence,
        extracted_entities=mask_in_context(record.entities or {}, record.input_text),
        conversation_turn=turn_number,
        previous_intent=seed_intent(record.previous_intent) if record.previous_intent else None,
        user_strategy=record.user_strategy,
        processing_time_ms=record.processing_time_ms,
        rag_time_ms=record.rag_time_ms,
        recommended_shop_ids=record.recommended_shop_ids,
        selected_shop_id=record.selected_shop_id,
        applied_coupon_ids=record.applied_coupon_ids,
    )
    if record.timestamp is not None:
        row.timestamp = record.timestamp
    session.add(row)
    session.flush()
    return row


def performance_row(operation: str, total_ms: float, component_ms: dict[str, float], *,
                    session_key: str | None = None, user_id: int | None = None,
                    details: dict | None = None) -> PerformanceLog:
    """One performance_logs row (personal data masked in ``details``), not yet added."""
    return PerformanceLog(
        operation=operation,
        total_ms=Decimal(str(round(total_ms, 2))),
        component_ms={k: round(v, 2) for k, v in component_ms.items()},
        session_id=session_uuid(session_key) if session_key else None,
        user_id=user_id,
        details=mask_values(details) if details else details,
    )


def log_performance(session: Session, operation: str, total_ms: float,
                    component_ms: dict[str, float], *, session_key: str | None = None,
                    user_id: int | None = None, details: dict | None = None) -> None:
    session.add(performance_row(operation, total_ms, component_ms, session_key=session_key,
                                user_id=user_id, details=details))


def _set_columns(row: Any) -> dict[str, Any]:
    """The column values set on a new ORM object (what the ORM's INSERT would send)."""
    state = inspect(row)
    values = {}
    for key, value in state.dict.items():
        prop = state.mapper.attrs.get(key)
        columns = getattr(prop, "columns", None)
        if columns:
            values[columns[0].key] = value
    return values


def insert_returning_id(session: Session, row: Any, *riders: Any) -> int:
    """INSERT ``row`` and the ``riders`` (new ORM objects of other tables) in the caller's
    transaction; returns ``row``'s id.

    On PostgreSQL in one statement, one round trip: the riders are data-modifying CTEs
    (``WITH r0 AS (INSERT INTO ...) INSERT INTO ... RETURNING id``), which PostgreSQL runs
    exactly once each, whether referenced or not. The values are the ones the ORM would send
    (the attributes set; the columns' Python defaults apply to the rest, server defaults in
    the database). Elsewhere (SQLite, the embedded default) the ORM's statements.
    """
    if session.get_bind().dialect.name != "postgresql":
        session.add_all([row, *riders])
        session.flush()
        return row.id
    table = row.__table__
    statement = insert(table).values(**_set_columns(row)).returning(table.c.id)
    for n, rider in enumerate(riders):
        statement = statement.add_cte(insert(rider.__table__).values(**_set_columns(rider)).cte(f"rider_{n}"))
    return session.execute(statement).scalar_one()
