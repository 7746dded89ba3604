"""The learning loop through the real servers (issue 15): Rasa's SQL event broker (the embedded
default, rendered as scripts/render_endpoints.py does) carries a conversation; the consumer
writes the conversations row with the bot's real text, the NLU training row and the
impression; the action server wrote no conversations row in the request path."""
from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import Conversation
from naviyam.adapters.db.models.learning import NluTrainingRow, TrainingDataQueue
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.rasa_events import rasa_broker_config
from naviyam.usecases.learning.consumer import consume_all
from scripts.render_endpoints import yaml_section
from tests.e2e.harness import MASKING_TRACKER_STORE, BotServers, start_servers

pytestmark = pytest.mark.e2e
WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"
GEONDAE = {"lat": 37.5404, "lng": 127.0693}


@pytest.fixture(scope="module")
def events_bot(rasa_model, loaded_database_url: str,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    broker = "\n".join(yaml_section("event_broker", rasa_broker_config(loaded_database_url))) + "\n"
    env = {"DATABASE_URL": loaded_database_url, "NAVIYAM_CONVERSATION_LOG": "events"}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("learning"),
                            tracker_store=MASKING_TRACKER_STORE + broker)
    try:
        yield servers
    finally:
        servers.stop()


def test_a_conversation_reaches_the_learning_tables_through_rasas_broker(events_bot, loaded_database_url,
                                                                         monkeypatch):
    monkeypatch.setenv("NAVIYAM_EVENTS_DB_URL", loaded_database_url)
    monkeypatch.setenv("NAVIYAM_CONVERSATION_LOG", "events")
    sender = f"learn_{uuid.uuid4().hex[:8]}"
    answer = events_bot.send(sender, "5천원으로 점심 추천해줘", {"now": WEEKDAY_LUNCH, "location": GEONDAE})
    said = [m["text"] for m in answer if m.get("text")]
    assert said
    sid = session_uuid(sender)
    with unit_of_work() as session:  # nothing was written in the request path
        assert session.scalar(select(func.count()).select_from(Conversation)
                              .where(Conversation.session_id == sid)) == 0
    report = consume_all()
    assert report.applied >= 3 and report.dead_lettered == 0
    with unit_of_work() as session:
        row = session.scalars(select(Conversation).where(Conversation.session_id == sid)).one()
        assert row.input_text == "5천원으로 점심 추천해줘"
        assert said[0] in row.response_text  # the bot's rendered text, not "utter_x key=value"
        nlu = session.scalars(select(NluTrainingRow).where(NluTrainingRow.session_id == sid)).one()
        # the model's intent (an amount makes it budget_inquiry by the labelling convention)
        assert nlu.predicted_intent in ("food_request", "budget_inquiry")
        shown = session.scalars(select(TrainingDataQueue).where(TrainingDataQueue.session_id == sid)).all()
    custom = [m["custom"] for m in answer if m.get("custom")]
    if custom and custom[0].get("recommendations"):
        assert [q.raw_data["shown_shop_ids"] for q in shown] == [[r["shop_id"] for r in custom[0]["recommendations"]]]
    assert consume_all().applied == 0  # caught up: nothing twice
