"""Fixtures for tests that run in the Rasa environment (no torch, no SQLAlchemy 2).

The real LLM path is exercised through subprocesses of the app environment: the tiny
dev model is built and LoRA fine-tuned with ``ml.llm`` and served by
``ml.llm.model_server`` on a free port. Third-party LLM servers (OpenAI-compatible)
and a slow server are local fakes (``llm_fakes.py``).

Run: ``.venv-rasa/bin/python -m pytest tests/rasa_env/llm_nlu`` (tests/rasa_env/pytest.ini
makes tests/rasa_env the rootdir, so the app env's tests/conftest.py is never loaded).
"""
from __future__ import annotations

import os
import subprocess
import time

import pytest

from llm_nlu.support import APP_PYTHON, FIXTURE_NLU, PROJECT_ROOT, SERVER_START_DEADLINE_S

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def _app_env() -> dict:
    env = dict(os.environ)
    env.update({"PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"})
    return env


def _run_app(*args: str) -> None:
    result = subprocess.run([APP_PYTHON, *args], cwd=PROJECT_ROOT, env=_app_env(),
                            capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed:\n{result.stderr[-3000:]}")


@pytest.fixture(scope="session")
def tiny_llm(tmp_path_factory) -> tuple[str, str]:
    """(base model dir, adapter dir): the tiny dev LM, briefly LoRA fine-tuned.

    ``NAVIYAM_TEST_LLM_BASE`` / ``NAVIYAM_TEST_LLM_ADAPTER`` reuse prebuilt ones.
    """
    base, adapter = os.environ.get("NAVIYAM_TEST_LLM_BASE"), os.environ.get("NAVIYAM_TEST_LLM_ADAPTER")
    if base and adapter:
        return base, adapter
    root = tmp_path_factory.mktemp("llm")
    base, adapter = str(root / "tiny-base"), str(root / "adapter")
    _run_app("-m", "ml.llm.build_tiny_model", "--nlu", str(FIXTURE_NLU), "--output", base,
             "--pretrain-steps", "60")
    _run_app("-m", "ml.llm.finetune_lora", "--base-model", base, "--output", adapter,
             "--nlu", str(FIXTURE_NLU), "--lr", "2e-3", "--batch-size", "8", "--grad-accum", "1",
             "--epochs", "6", "--eval-fraction", "0.2", "--select", "last", "--model-name", "tiny-test")
    return base, adapter


def wait_for_health(url: str, process: subprocess.Popen | None, deadline_s: float) -> None:
    import requests

    deadline = time.monotonic() + deadline_s
    last_error = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            if requests.get(url + "/health", timeout=1).status_code == 200:
                return
        except requests.RequestException as exc:
            last_error = exc
        time.sleep(0.1)  # polling interval while the server loads, bounded by the deadline
    raise AssertionError(f"{url} not healthy within {deadline_s} s: {last_error}")


@pytest.fixture(scope="session")
def model_server(tiny_llm) -> str:
    """Base URL of ml.llm.model_server serving the tiny model (app env subprocess)."""
    base, adapter = tiny_llm
    process = subprocess.Popen(
        [APP_PYTHON, "-m", "ml.llm.model_server", "--base-model", base, "--adapter", adapter,
         "--port", "0", "--threads", "1", "--log-level", "WARNING"],
        cwd=PROJECT_ROOT, env=_app_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = None
        deadline = time.monotonic() + SERVER_START_DEADLINE_S
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                raise AssertionError(f"model server exited: {process.stderr.read()[-3000:]}")
            if line.startswith("NAVIYAM_LLM_SERVER_LISTENING"):
                port = int(line.split()[1])
        assert port, "model server did not report its port"
        url = f"http://127.0.0.1:{port}"
        wait_for_health(url, process, SERVER_START_DEADLINE_S)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture()
def cache():
    """A fresh in-process naviyam cache (the component's default when REDIS_URL is unset).

    Configured first, so ``bot.settings.get_cache()`` keeps it instead of reading REDIS_URL.
    """
    from naviyam.shared import cache as cache_module

    cache_module.configure_cache(None)
    instance = cache_module.InProcessCache()
    cache_module.set_cache(instance)
    yield instance
    cache_module.set_cache(None)


@pytest.fixture(scope="session")
def fakes():
    from llm_nlu.llm_fakes import FakeServers

    servers = FakeServers()
    servers.start()
    yield servers
    servers.stop()
