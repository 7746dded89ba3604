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


def _model_server(args: list[str], env: dict):
    """Run ml.llm.model_server (app env) on a free port; yield its base URL, stop it afterwards."""
    process = subprocess.Popen(
        [APP_PYTHON, "-m", "ml.llm.model_server", *args, "--port", "0", "--threads", "1", "--log-level", "WARNING"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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


@pytest.fixture(scope="session")
def model_server(tiny_llm) -> str:
    """Base URL of ml.llm.model_server serving the tiny model (app env subprocess)."""
    base, adapter = tiny_llm
    yield from _model_server(["--base-model", base, "--adapter", adapter], _app_env())


REGISTERED = ("prod-1", "canary-1")  # versions of the tiny adapter in the registry server's registry


@pytest.fixture(scope="session")
def registry_model_server(tiny_llm, tmp_path_factory) -> str:
    """The model server in registry mode: the tiny adapter registered twice in an SQLite
    registry (``naviyam.manage register-adapter``), production and a 50 % canary."""
    base, adapter = tiny_llm
    database = tmp_path_factory.mktemp("registry") / "registry.db"
    env = {**_app_env(), "DATABASE_URL": f"sqlite:///{database}", "NAVIYAM_CANARY_PERCENT": "50",
           "NAVIYAM_LLM_REGISTRY": "on"}
    env.pop("REDIS_URL", None)
    env.pop("NAVIYAM_LLM_ADAPTER", None)
    env["PYTHONPATH"] = str(PROJECT_ROOT)
    for args in (["migrate"], *(["register-adapter", adapter, "--version", v] for v in REGISTERED)):
        result = subprocess.run([APP_PYTHON, "-m", "naviyam.manage", *args], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise AssertionError(f"naviyam.manage {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    yield from _model_server(["--base-model", base], env)


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


@pytest.fixture()
def make_component(tmp_path, monkeypatch):
    """Builds the component as Rasa does (create, train on the fixture data, load) with ``config``."""
    from rasa.engine.graph import ExecutionContext
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.loading import load_data

    from bot.nlu.llm_intent_classifier import LLMIntentClassifier

    monkeypatch.delenv("NAVIYAM_LLM_URL", raising=False)
    storage = LocalModelStorage(tmp_path)
    counter = iter(range(1000))

    def make(trained: bool = True, **config) -> LLMIntentClassifier:
        resource = Resource(f"llm_{next(counter)}")
        context = ExecutionContext(graph_schema=None, model_id="test")
        component = LLMIntentClassifier.create(
            {**LLMIntentClassifier.get_default_config(), **config}, storage, resource, context)
        if trained:
            component.train(load_data(str(FIXTURE_NLU)))
            component = LLMIntentClassifier.load(
                {**LLMIntentClassifier.get_default_config(), **config}, storage, resource, context)
        return component

    return make
