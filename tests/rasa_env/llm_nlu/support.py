"""Paths shared by the LLM component tests (Rasa environment)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[3]
APP_PYTHON = os.environ.get("NAVIYAM_APP_PYTHON", str(PROJECT_ROOT / ".venv-app" / "bin" / "python"))
FIXTURE_NLU = PROJECT_ROOT / "tests" / "fixtures" / "llm" / "nlu_small.yml"
SERVER_START_DEADLINE_S = 120
