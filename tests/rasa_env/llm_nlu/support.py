"""Paths shared by the LLM component tests (Rasa environment)."""
from __future__ import annotations

import os
from pathlib import Path

from rasa.shared.nlu.training_data.message import Message

PROJECT_ROOT = Path(__file__).resolve().parents[3]
APP_PYTHON = os.environ.get("NAVIYAM_APP_PYTHON", str(PROJECT_ROOT / ".venv-app" / "bin" / "python"))
FIXTURE_NLU = PROJECT_ROOT / "tests" / "fixtures" / "llm" / "nlu_small.yml"
SERVER_START_DEADLINE_S = 120


def diet_message(text: str, intent: str = "greet", confidence: float = 0.4, entities=None) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": intent, "confidence": confidence}, add_to_output=True)
    message.set("intent_ranking", [{"name": intent, "confidence": confidence},
                                   {"name": "goodbye", "confidence": 1 - confidence}], add_to_output=True)
    message.set("entities", list(entities or []), add_to_output=True)
    return message
