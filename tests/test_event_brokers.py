"""Events through Rasa's pika broker (RabbitMQ) and the relay land once in the learning tables,
and nothing is lost while the consumer is down (issue 15). The SQL broker path is
tests/test_event_consumer.py; the whole bot with both brokers: tests/e2e/test_learning_events.py."""
from __future__ import annotations

import json
import subprocess

import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models.learning import EventDeadLetter, NluTrainingRow
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.rasa_events import rasa_broker_config
from naviyam.usecases.learning.consumer import consume_all
from scripts.render_endpoints import render
from tests.test_event_consumer import user_event

ROOT = Path(__file__).resolve().parent.parent
RASA_PYTHON = ROOT / ".venv-rasa" / "bin" / "python"
HOST = "127.0.0.1"


def _rabbitmq_up() -> bool:
    import socket

    try:
        socket.create_connection((HOST, 5672), timeout=2).close()
        return True
    except OSError:
        return False


@pytest.fixture()
def queue(database_url, monkeypatch, tmp_path):
    if not _rabbitmq_up():
        if __import__("os").environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail("CI=true but RabbitMQ is not listening on 127.0.0.1:5672")
        pytest.skip("RabbitMQ not running")
    monkeypatch.setenv("NAVIYAM_EVENTS_DB_URL", database_url)
    name = f"naviyam_test_{uuid.uuid4().hex[:8]}"
    relay_target = rasa_broker_config(database_url)
    pika = {"type": "pika", "url": HOST, "port": 5672, "username": "guest", "password": "guest", "queues": [name]}
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(render(5055, None, event_broker=pika, event_relay=relay_target), encoding="utf-8")
    yield name, endpoints
    subprocess.run([str(RASA_PYTHON), "tests/pika_tool.py", "delete", HOST, name], cwd=ROOT, check=False)


def _rasa(*args: str, stdin: str = "") -> None:
    result = subprocess.run([str(RASA_PYTHON), *args], cwd=ROOT, input=stdin, text=True, capture_output=True,
                            timeout=300, env={**__import__("os").environ, "PYTHONPATH": str(ROOT),
                                              "RASA_TELEMETRY_ENABLED": "false"})
    assert result.returncode == 0, result.stderr[-3000:]


def test_pika_events_land_once_and_wait_for_a_stopped_consumer(queue):
    name, endpoints = queue
    sender = f"pika_{uuid.uuid4().hex[:8]}"
    events = [user_event(sender, "치킨 먹고 싶어", "food_request", 0.96, 5000.0),
              user_event(sender, "피자는?", "food_request", 0.91, 5001.0)]
    lines = "\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n"
    # Rasa's pika broker publishes while neither the relay nor the consumer runs: the durable
    # queue keeps the messages.
    _rasa("tests/pika_tool.py", "publish", HOST, name, stdin=lines)
    _rasa("-m", "bot.event_relay", "--endpoints", str(endpoints), "--once")
    # A redelivery after a crash between store and ack: the same events reach the table again.
    _rasa("tests/pika_tool.py", "publish", HOST, name, stdin=lines + "[1, 2]\n")
    _rasa("-m", "bot.event_relay", "--endpoints", str(endpoints), "--once")
    report = consume_all()
    assert report.applied >= 2 and report.duplicates >= 2 and report.dead_lettered >= 1
    with unit_of_work() as session:
        texts = session.scalars(select(NluTrainingRow.input_text)
                                .where(NluTrainingRow.session_id == session_uuid(sender))
                                .order_by(NluTrainingRow.id)).all()
        dead = session.scalar(select(func.count()).select_from(EventDeadLetter)
                              .where(EventDeadLetter.payload.contains("[1, 2]")))
    assert texts == ["치킨 먹고 싶어", "피자는?"]
    assert dead >= 1
