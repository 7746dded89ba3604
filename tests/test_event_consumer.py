"""The event consumer: Rasa's SQL broker table → learning rows, once each, surviving restarts,
a poisoned event dead-lettered without blocking the rest (issue 15)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from naviyam.adapters import rasa_events
from naviyam.adapters.db.models import Conversation
from naviyam.adapters.db.models.learning import EventDeadLetter, NluTrainingRow, TrainingDataQueue
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.learning.consumer import consume_all


@pytest.fixture()
def events_env(database_url, monkeypatch):
    monkeypatch.setenv("NAVIYAM_EVENTS_DB_URL", database_url)
    return database_url


def user_event(sender: str, text: str, intent: str, confidence: float, ts: float) -> dict:
    return {"sender_id": sender, "event": "user", "timestamp": ts, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": confidence}, "entities": [],
                           "text": text}, "message_id": uuid.uuid4().hex}


def bot_event(sender: str, text: str, ts: float, shops: list[int] | None = None) -> dict:
    data = {"custom": {"kind": "recommendations", "recommendation_id": None, "method": "hybrid",
                       "recommendations": [{"shop_id": s, "score": 0.5} for s in shops]}} if shops else {}
    return {"sender_id": sender, "event": "bot", "timestamp": ts, "text": text, "data": data}


def rows_for(model, column, value) -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model).where(column == value))


def test_events_land_once_even_when_delivered_twice(events_env):
    sender = f"consumer_{uuid.uuid4().hex[:8]}"
    events = [user_event(sender, "떡볶이 먹고 싶어", "food_request", 0.97, 1000.0),
              bot_event(sender, "이런 곳 어때요?", 1000.5, shops=[1, 2])]
    rasa_events.append(events)
    rasa_events.append(events)  # the relay redelivered both (a crash before the ack)
    report = consume_all()
    assert report.applied >= 2 and report.duplicates >= 2
    from naviyam.adapters.db.conversation_log import session_uuid
    sid = session_uuid(sender)
    assert rows_for(NluTrainingRow, NluTrainingRow.session_id, sid) == 1
    assert rows_for(TrainingDataQueue, TrainingDataQueue.session_id, sid) == 1
    with unit_of_work() as session:
        row = session.scalars(select(NluTrainingRow).where(NluTrainingRow.session_id == sid)).one()
        assert (row.label_source, row.true_intent, row.review_status) == ("confident", "food_request", "none")


def test_consumer_restart_catches_up_and_a_bad_event_is_dead_lettered(events_env):
    sender = f"restart_{uuid.uuid4().hex[:8]}"
    from naviyam.adapters.db.conversation_log import session_uuid
    sid = session_uuid(sender)
    rasa_events.append([user_event(sender, "음 그거", "nlu_fallback", 0.41, 2000.0)])
    consume_all()  # the consumer stops here; events keep arriving while it is down
    rasa_events.append(["{not json", {"sender_id": sender, "event": "user", "timestamp": 2001.0},
                        user_event(sender, "/budget_inquiry", "budget_inquiry", 1.0, 2002.0),
                        user_event(sender, "김밥집 알려줘", "food_request", 0.93, 2003.0)])
    report = consume_all()  # restarted: resumes from the stored position
    assert report.dead_lettered == 2 and report.applied == 2
    with unit_of_work() as session:
        rows = session.scalars(select(NluTrainingRow).where(NluTrainingRow.session_id == sid)
                               .order_by(NluTrainingRow.id)).all()
        assert [(r.predicted_intent, r.true_intent, r.label_source) for r in rows] == [
            ("nlu_fallback", "budget_inquiry", "clarified"), ("food_request", "food_request", "confident")]
        reasons = session.scalars(select(EventDeadLetter.reason).order_by(EventDeadLetter.id.desc()).limit(2)).all()
    assert any("JSONDecodeError" in r for r in reasons) and any("without text" in r for r in reasons)
    assert consume_all().read == 0


def test_events_mode_writes_the_conversation_row(events_env, monkeypatch):
    monkeypatch.setenv("NAVIYAM_CONVERSATION_LOG", "events")
    sender = f"convo_{uuid.uuid4().hex[:8]}"
    rasa_events.append([user_event(sender, "5천원으로 뭐 먹지", "food_request", 0.95, 3000.0),
                        bot_event(sender, "분식집을 찾았어요.", 3000.4, shops=[3]),
                        bot_event(sender, "쿠폰도 있어요.", 3000.5)])
    consume_all()
    from naviyam.adapters.db.conversation_log import session_uuid
    with unit_of_work() as session:
        row = session.scalars(select(Conversation).where(Conversation.session_id == session_uuid(sender))).one()
        assert row.input_text == "5천원으로 뭐 먹지"
        assert row.response_text == "분식집을 찾았어요.\n쿠폰도 있어요."
        assert list(row.recommended_shop_ids) == [3]


def test_events_mode_keeps_the_conversations_row_out_of_the_request_path(database_url, monkeypatch):
    from naviyam.usecases.senders import Sender
    from naviyam.usecases.turns import Turn, record_turn

    monkeypatch.setenv("NAVIYAM_CONVERSATION_LOG", "events")
    sender = f"inline_{uuid.uuid4().hex[:8]}"
    assert record_turn(Turn(sender=Sender(sender), input_text="안녕", response_text="utter_greet"))
    from naviyam.adapters.db.conversation_log import session_uuid
    assert rows_for(Conversation, Conversation.session_id, session_uuid(sender)) == 0
    monkeypatch.setenv("NAVIYAM_CONVERSATION_LOG", "inline")
    assert record_turn(Turn(sender=Sender(sender), input_text="안녕", response_text="utter_greet"))
    assert rows_for(Conversation, Conversation.session_id, session_uuid(sender)) == 1


def test_retention_drops_applied_events(events_env):
    from datetime import datetime, timedelta, timezone

    from naviyam.usecases.learning.consumer import prune

    rasa_events.append([user_event("prune_me", "안녕", "greet", 0.99, 9000.0)])
    consume_all()
    assert prune(datetime.now(timezone.utc) + timedelta(days=8)) >= 1
    assert rasa_events.read_after(0, 10) == []
