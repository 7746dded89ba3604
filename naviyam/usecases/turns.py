"""Recording one answered turn: the ``conversations`` row, in its own transaction.

The action builds a ``Turn`` (what the user said, what the NLU understood, what the bot
sent) and calls ``record_turn`` after answering. The bot's answer is recorded as the
action knows it: the response names and values it sent for Rasa's NLG to render
(docs/NLU_DIALOGUE.md "Recorded answers").
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from naviyam.adapters.db.conversation_log import TurnRecord, log_turn
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_learning_settings
from naviyam.usecases.senders import Sender, consented_user_id

log = logging.getLogger(__name__)


@dataclass
class Turn:
    """One user turn and the bot's answer, as the conversations row keeps them."""

    sender: Sender
    input_text: str
    response_text: str = ""
    intent: str | None = None
    confidence: float | None = None
    entities: dict[str, Any] = field(default_factory=dict)
    previous_intent: str | None = None
    processing_time_ms: int | None = None
    user_strategy: str | None = None
    recommended_shop_ids: list[int] | None = None
    applied_coupon_ids: list[str] | None = None
    rag_time_ms: int | None = None

    def to_record(self, user_id: int | None) -> TurnRecord:
        return TurnRecord(
            session_key=self.sender.sender_id, input_text=self.input_text,
            response_text=self.response_text, user_id=user_id, rasa_intent=self.intent,
            intent_confidence=self.confidence, entities=dict(self.entities),
            previous_intent=self.previous_intent, user_strategy=self.user_strategy,
            recommended_shop_ids=self.recommended_shop_ids, applied_coupon_ids=self.applied_coupon_ids,
            processing_time_ms=self.processing_time_ms, rag_time_ms=self.rag_time_ms,
        )


def written_by_events() -> bool:
    learning = get_learning_settings()
    return learning.conversation_log == "events" and learning.event_broker != "off"


def record_turn(turn: Turn) -> bool:
    """Write the turn; never breaks the reply.

    A sender who has not agreed (docs/SECURITY.md "Consent") gets a row without a
    ``user_id``: only the session id derived from the sender ties it to the conversation.

    Returns False when it could not be written (logged; the transaction rolled back).
    With NAVIYAM_CONVERSATION_LOG=events the row is left to the event consumer (issue 15,
    docs/LEARNING_LOOP.md): nothing is written in the request path.
    """
    if written_by_events():
        return True
    try:
        with unit_of_work() as session:
            log_turn(session, turn.to_record(consented_user_id(session, turn.sender)))
        return True
    except Exception:  # noqa: BLE001 - logging must never cost the user an answer
        log.exception("Could not record the turn of %s", turn.sender.sender_id)
        return False
