"""NLU adapters in the model registry (issue 15): judged on how often their intent agrees with
the message's label, the consumer recording which adapter answered, registration checks."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from naviyam.adapters import rasa_events
from naviyam.adapters.db.models.learning import NluTrainingRow, PerformanceMetric
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.learning import registry
from naviyam.usecases.learning.consumer import consume_all


def _answers(model: str, agreed: int, total: int, source: str = "confident") -> None:
    """``total`` labelled messages answered by adapter ``model``, ``agreed`` of them with the label."""
    with unit_of_work() as session:
        for i in range(total):
            session.add(NluTrainingRow(
                event_key=f"test-{uuid.uuid4().hex}", input_text="떡볶이 먹고 싶어", true_intent="food_request",
                predicted_intent="food_request", label_source=source, review_status="none",
                llm_model=model, llm_intent="food_request" if i < agreed else "general_chat",
                created_at=datetime.now(timezone.utc) + timedelta(seconds=5)))


def test_adapter_canary_is_judged_on_label_agreement(loaded_database_url):
    kind = "nlu"  # judged like llm_adapter (MEASURES); no other test registers it
    tag = uuid.uuid4().hex[:6]
    v1, v2, v3 = (f"{tag}-{n}" for n in (1, 2, 3))
    registry.register(kind, v1, f"models/{v1}", {"intent_accuracy": 0.9})
    assert registry.register(kind, v2, f"models/{v2}", {"intent_accuracy": 0.91}).deployment_status == "canary"
    _answers(v1, 80, 100)
    _answers(v2, 10, 20)
    assert registry.judge_canary(kind, min_samples=50) == "wait"
    _answers(v2, 0, 40, source="corrected")  # designers corrected what the canary got wrong
    assert registry.judge_canary(kind, min_samples=50) == "rollback"
    assert registry.serving(kind).canary is None
    registry.register(kind, v3, f"models/{v3}", {"intent_accuracy": 0.95})
    _answers(v3, 55, 60, source="clarified")
    assert registry.judge_canary(kind, min_samples=50) == "promote"
    assert (registry.serving(kind).production, registry.serving(kind).canary) == (v3, None)
    with unit_of_work() as session:
        judged = session.scalars(select(PerformanceMetric).where(PerformanceMetric.model_type == kind)
                                 .order_by(PerformanceMetric.id)).all()
        verdicts = [(m.model_specific_metrics["verdict"], m.model_specific_metrics["measure"]) for m in judged]
        assert verdicts == [("wait", "adapter_agreement"), ("rollback", "adapter_agreement"),
                            ("promote", "adapter_agreement")]
        assert (judged[-1].request_count, judged[-1].success_count) == (60, 55)


def test_unlabelled_and_weak_rows_do_not_count(loaded_database_url):
    model = f"weak-{uuid.uuid4().hex[:6]}"
    _answers(model, 3, 4)
    with unit_of_work() as session:
        session.add(NluTrainingRow(event_key=f"test-{uuid.uuid4().hex}", input_text="음", label_source="weak",
                                   review_status="pending", llm_model=model, llm_intent="greet"))
    with unit_of_work() as session:
        assert registry.adapter_agreement(session, model, None) == (0.75, 4)


def test_consumer_records_which_adapter_answered(database_url, monkeypatch):
    monkeypatch.setenv("NAVIYAM_EVENTS_DB_URL", database_url)
    sender = f"adapter_{uuid.uuid4().hex[:8]}"

    def event(text: str, llm: dict) -> dict:
        return {"sender_id": sender, "event": "user", "timestamp": 1000.0, "text": text,
                "message_id": uuid.uuid4().hex,
                "parse_data": {"intent": {"name": "food_request", "confidence": 0.97}, "entities": [],
                               "text": text, "llm_nlu": llm}}

    rasa_events.append([event("치킨 먹고 싶어", {"intent": {"name": "food_request", "confidence": 0.8},
                                                 "model": "20261130T1", "cached": False}),
                        event("피자 먹고 싶어", {"error": "no answer within 800 ms"})])
    consume_all()
    from naviyam.adapters.db.conversation_log import session_uuid
    with unit_of_work() as session:
        rows = session.execute(select(NluTrainingRow.input_text, NluTrainingRow.llm_intent, NluTrainingRow.llm_model)
                               .where(NluTrainingRow.session_id == session_uuid(sender))
                               .order_by(NluTrainingRow.id)).all()
    assert [tuple(r) for r in rows] == [("치킨 먹고 싶어", "food_request", "20261130T1"),
                                        ("피자 먹고 싶어", None, None)]


def test_registering_something_that_is_not_an_adapter_is_refused(tmp_path, loaded_database_url):
    (tmp_path / "naviyam_adapter.json").write_text(json.dumps({"intents": ["greet"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="not a fine-tuned adapter"):
        registry.record_trained_adapter(tmp_path, "not-an-adapter")
    assert all(r.version != "not-an-adapter" for r in registry.registry_rows())
