"""What one Rasa event writes (inside the consumer's transaction; keyed by the event).

- ``user``: an NLU training row (confident above NAVIYAM_NLU_CONFIDENT, else queued for
  review; a button click after a clarifying question labels the unclear message "clarified");
  with NAVIYAM_CONVERSATION_LOG=events also the conversations row.
- ``bot``: a shown recommendation list becomes a training-data-queue row (the impression);
  with NAVIYAM_CONVERSATION_LOG=events the text is added to the turn's conversations row.
Other events are only marked as processed.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.conversation_log import TurnRecord, log_turn, session_uuid
from naviyam.adapters.db.models import Conversation, User
from naviyam.adapters.db.models.learning import NluTrainingRow, TrainingDataQueue
from naviyam.adapters.db.users import split_sender
from naviyam.config import get_learning_settings
from naviyam.shared import llm_prompts as prompts
from naviyam.shared.personal_data import mask_personal_data, mask_values

_PAYLOAD = re.compile(r"^/(?P<intent>[A-Za-z_][\w-]*)")
FALLBACK_INTENT = "nlu_fallback"


def _when(event: dict[str, Any]) -> datetime | None:
    stamp = event.get("timestamp")
    return datetime.fromtimestamp(float(stamp), tz=timezone.utc) if stamp is not None else None


def _known_user(session: Session, sender_id: str) -> int | None:
    external_id, _platform = split_sender(sender_id, None)
    return session.scalar(select(User.id).where(User.external_user_id == external_id).limit(1))


def apply_event(session: Session, key: str, event: dict[str, Any]) -> None:
    kind = event["event"]
    sender = event.get("sender_id")
    if kind == "user":
        if not sender:
            raise ValueError("user event without sender_id")
        _user(session, key, sender, event)
    elif kind == "bot" and sender:
        _bot(session, key, sender, event)


def _user(session: Session, key: str, sender: str, event: dict[str, Any]) -> None:
    text = event.get("text")
    if not isinstance(text, str):
        raise ValueError("user event without text")
    parse = event.get("parse_data") or {}
    intent = (parse.get("intent") or {}).get("name")
    confidence = (parse.get("intent") or {}).get("confidence")
    entities = [{"entity": e.get("entity"), "value": e.get("value")}
                for e in parse.get("entities") or [] if isinstance(e, dict)]
    sid = session_uuid(sender)
    clicked = _PAYLOAD.match(text.strip())
    if clicked:
        _resolve_clarification(session, sid, clicked.group("intent"))
    else:
        confident = (confidence is not None and float(confidence) >= get_learning_settings().nlu_confident
                     and intent != FALLBACK_INTENT)
        llm_intent, llm_model = _llm_answer(parse)
        session.add(NluTrainingRow(
            event_key=key, session_id=sid, input_text=mask_personal_data(text)[:2000],
            true_intent=intent if confident else None, true_entities=mask_values(entities),
            predicted_intent=intent,
            prediction_confidence=(Decimal(str(round(min(max(float(confidence), 0.0), 1.0), 3)))
                                   if confidence is not None else None),
            label_source="confident" if confident else "weak",
            labeler_id="nlu" if confident else None,
            review_status="none" if confident else "pending", llm_intent=llm_intent, llm_model=llm_model))
    if get_learning_settings().conversation_log == "events":
        log_turn(session, TurnRecord(
            session_key=sender, input_text=text, response_text="", user_id=_known_user(session, sender),
            rasa_intent=intent, intent_confidence=float(confidence) if confidence is not None else None,
            entities={e["entity"]: e["value"] for e in entities if e["entity"]}, timestamp=_when(event)))


def _llm_answer(parse: dict[str, Any]) -> tuple[str | None, str | None]:
    """The LLM NLU component's top intent and the adapter that answered (shadow or merged),
    from the parse data's ``llm_nlu`` (bot/nlu/llm_merge.py); (None, None) when it did not answer."""
    answer = parse.get(prompts.PARSE_DATA_KEY)
    if not isinstance(answer, dict) or answer.get("error"):
        return None, None
    top = answer.get("intent") if isinstance(answer.get("intent"), dict) else {}
    name, model = top.get("name"), answer.get("model")
    return (str(name)[:80] if name else None), (str(model)[:80] if model else None)


def _resolve_clarification(session: Session, sid, chosen_intent: str) -> None:
    """The user clicked an option of the clarifying question: the unclear message meant that."""
    row = session.scalars(select(NluTrainingRow).where(
        NluTrainingRow.session_id == sid, NluTrainingRow.review_status == "pending",
        NluTrainingRow.predicted_intent == FALLBACK_INTENT).order_by(NluTrainingRow.id.desc()).limit(1)).first()
    if row is not None:
        row.true_intent, row.label_source, row.labeler_id = chosen_intent, "clarified", "user"
        row.review_status, row.updated_at = "none", datetime.now(timezone.utc)


def _bot(session: Session, key: str, sender: str, event: dict[str, Any]) -> None:
    data = event.get("data") or {}
    custom = data.get("custom") if isinstance(data, dict) else None
    shown = custom.get("recommendations") if isinstance(custom, dict) else None
    sid = session_uuid(sender)
    if shown:
        shop_ids = [int(item["shop_id"]) for item in shown if isinstance(item, dict) and "shop_id" in item]
        session.add(TrainingDataQueue(
            model_type="recommendation", source_table="events", source_key=key,
            raw_data={"shown_shop_ids": shop_ids, "recommendation_id": custom.get("recommendation_id"),
                      "method": custom.get("method"), "scores": [item.get("score") for item in shown]},
            status="pending", user_id=_known_user(session, sender), session_id=sid))
    if get_learning_settings().conversation_log == "events":
        row = session.scalars(select(Conversation).where(Conversation.session_id == sid)
                              .order_by(Conversation.id.desc()).limit(1)).first()
        if row is not None:
            text = mask_personal_data(event.get("text") or "")
            row.response_text = "\n".join(part for part in (row.response_text, text) if part)
            if shown and not row.recommended_shop_ids:
                row.recommended_shop_ids = [int(i["shop_id"]) for i in shown if "shop_id" in i]
