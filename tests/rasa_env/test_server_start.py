"""bot/server.py: Rasa's CLI with a compiled action-response check and a warm start (issue 11).

The two replaced Rasa functions must keep Rasa's behaviour: the same answers accepted, the same
errors raised with the same message; the warm-up stores nothing. If a Rasa upgrade moves either
place, these tests fail instead of the change silently not applying.
"""
from __future__ import annotations

import asyncio
import inspect
import os
from pathlib import Path

import pytest
import rasa.core.run
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.tracker_store import InMemoryTrackerStore

from bot import server

ORIGINAL_VALIDATE = RemoteAction._validate_action_result
PROJECT_ROOT = Path(__file__).resolve().parents[2]

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "budget", "value": 5000, "timestamp": None}],
     "responses": [{"response": "utter_greet", "buttons": [], "custom": {"kind": "list", "items": [1, 2]}}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "action_listen"}],
     "responses": [{"text": "안녕하세요", "buttons": [{"title": "동의해요", "payload": "/consent_agree"}]}]},
]
INVALID = [
    {"events": "not a list", "responses": []},
    {"events": [{"name": "budget"}], "responses": []},  # an event without its type
    {"events": [{"event": "slot", "name": "budget", "timestamp": "yesterday"}], "responses": []},
]


def _error(validate, result) -> str | None:
    try:
        validate(RemoteAction("action_x", None), result)
        return None
    except ValidationError as exc:
        return exc.message


@pytest.mark.parametrize("result", VALID)
def test_compiled_check_accepts_what_rasa_accepts(result):
    assert _error(ORIGINAL_VALIDATE, result) is None
    assert server.validate_action_result(RemoteAction("action_x", None), result) is True


@pytest.mark.parametrize("result", INVALID)
def test_compiled_check_refuses_what_rasa_refuses_with_the_same_message(result):
    expected = _error(ORIGINAL_VALIDATE, result)
    assert expected is not None and "Failed to validate Action server response" in expected
    assert _error(server.validate_action_result, result) == expected


def test_install_replaces_the_places_rasa_looks_up():
    # Rasa registers the loader by its module-level name when it builds the app.
    assert "partial(load_agent_on_start" in inspect.getsource(rasa.core.run.configure_app) or \
        "partial(load_agent_on_start" in inspect.getsource(rasa.core.run.serve_application)
    assert "self._validate_action_result(" in inspect.getsource(RemoteAction.run)
    before = (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start,
              rasa.core.run.close_resources)
    try:
        server.install()
        server.install()  # idempotent
        assert RemoteAction._validate_action_result is server.validate_action_result
        assert rasa.core.run.load_agent_on_start is server.load_and_warm_agent_on_start
    finally:
        (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start,
         rasa.core.run.close_resources) = before


def test_warm_up_parses_and_predicts_and_stores_nothing():
    model = Path(os.environ.get("NAVIYAM_MODEL", PROJECT_ROOT / "models" / "naviyam.tar.gz"))
    if not model.exists():
        pytest.fail(f"no trained model at {model}: scripts/test.sh trains it before these tests")
    store = InMemoryTrackerStore(None)
    agent = Agent.load(str(model), tracker_store=store)
    asyncio.run(server.warm_up(agent))
    assert store.store == {}
    assert list(asyncio.run(agent.tracker_store.keys())) == []
