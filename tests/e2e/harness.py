"""Start the real action server and the real Rasa server for end-to-end tests.

Both run as subprocesses from the project's two environments on free ports; readiness
is polled with a deadline (no fixed sleeps); logs go to files the failure message names.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RASA_ENV = PROJECT_ROOT / ".venv-rasa"
APP_ENV = PROJECT_ROOT / ".venv-app"
DEFAULT_MODEL = PROJECT_ROOT / "models" / "naviyam.tar.gz"
# How long a server may take to load (seconds); a busy shared machine may need more.
START_DEADLINE_S = float(os.environ.get("NAVIYAM_E2E_START_DEADLINE_S", "300"))
TRAINING_INPUTS = ("domain", "data/nlu", "data/rules", "data/stories", "config.yml", "bot")


def last_custom(messages: list[dict]) -> dict:
    """The last machine-readable (json_message) payload of a REST answer."""
    payloads = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    assert payloads, f"no machine-readable message in {messages}"
    return payloads[-1]


def texts_of(messages: list[dict]) -> str:
    """The text bubbles of a REST answer, one per line."""
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


def redis_stores(redis_url: str, key_prefix: str) -> str:
    """The tracker and lock stores that scripts/render_endpoints.py writes for ``redis_url``
    (production's endpoints), without its action endpoint."""
    spec = importlib.util.spec_from_file_location("render_endpoints", PROJECT_ROOT / "scripts" / "render_endpoints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render(1, redis_url, key_prefix)
    return rendered[rendered.index("tracker_store:"):]


@dataclass
class TrackerRedis:
    """The Redis where a test's Rasa server keeps trackers and locks, under the test's key prefix."""

    url: str
    key_prefix: str
    client: Any                     # redis.Redis

    @property
    def stores(self) -> str:
        """The endpoints' tracker and lock stores (``redis_stores``)."""
        return redis_stores(self.url, self.key_prefix)

    def clear(self) -> None:
        for key in self.client.scan_iter(f"{self.key_prefix}*"):
            self.client.delete(key)


def tracker_redis(redis_url: str | None, key_prefix: str) -> TrackerRedis:
    """The run's Redis (``redis_url``; database 11 of the local server without one)."""
    import redis

    url = urlparse(redis_url or "redis://127.0.0.1:6379/11")
    host, port, db = url.hostname or "127.0.0.1", url.port or 6379, int((url.path or "/0").lstrip("/") or 0)
    return TrackerRedis(f"redis://{host}:{port}/{db}", key_prefix, redis.Redis(host=host, port=port, db=db))


def agreed_user(engine, prefix: str, *, agreed: bool = True) -> str:
    """A new user (not a demo user) past onboarding who agreed to the terms, as the consent
    flow records it (issue 10); ``agreed=False``: one who did not."""
    from datetime import datetime, timezone

    from sqlalchemy.orm import Session

    from naviyam.adapters.db.models import User, UserProfile

    sender = f"{prefix}_{secrets.token_hex(5)}"
    at = datetime.now(timezone.utc) if agreed else None
    with Session(engine) as session, session.begin():
        user = User(external_user_id=sender, platform="rest", terms_agreed_at=at, privacy_agreed_at=at)
        session.add(user)
        session.flush()
        session.add(UserProfile(user_id=user.id, interaction_count=5))   # past onboarding
    return sender


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def model_is_stale(model: Path) -> bool:
    if not model.exists():
        return True
    built = model.stat().st_mtime
    for name in TRAINING_INPUTS:
        path = PROJECT_ROOT / name
        files = [path] if path.is_file() else path.rglob("*") if path.exists() else []
        if any(f.is_file() and f.stat().st_mtime > built for f in files):
            return True
    return False


def ensure_model() -> Path:
    """The trained model (NAVIYAM_MODEL or models/naviyam.tar.gz), training it if stale."""
    configured = os.environ.get("NAVIYAM_MODEL")
    if configured:
        return Path(configured)
    if model_is_stale(DEFAULT_MODEL):
        subprocess.run(["bash", str(PROJECT_ROOT / "scripts/train.sh")], cwd=PROJECT_ROOT,
                       check=True, stdout=subprocess.DEVNULL)
    return DEFAULT_MODEL


def wait_for(url: str, deadline_s: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} process exited early; log:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    raise RuntimeError(f"{url} not ready after {deadline_s}s; log:\n{log.read_text()[-4000:]}")


@dataclass
class BotServers:
    rasa_url: str
    action_url: str
    api_token: str | None = None  # Rasa's --auth-token (None: the HTTP API is not served)
    processes: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def send(self, sender: str, text: str, metadata: dict | None = None,
             channel: str = "rest") -> list[dict]:
        body = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        request = urllib.request.Request(
            f"{self.rasa_url}/webhooks/{channel}/webhook",
            data=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read().decode("utf-8"))

    def api(self, path: str) -> str:
        """URL of a Rasa HTTP API route, with this run's token."""
        if not self.api_token:
            raise RuntimeError("these servers run without Rasa's HTTP API")
        separator = "&" if "?" in path else "?"
        return f"{self.rasa_url}{path}{separator}token={self.api_token}"

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


# As in production (endpoints.yml, scripts/render_endpoints.py): Rasa's store behind the
# wrapper that masks personal data.
MASKING_TRACKER_STORE = "tracker_store:\n  type: bot.tracker_store.MaskingTrackerStore\n  inner_store: in_memory\n"


def start_servers(model: Path, env_overrides: dict[str, str], log_dir: Path,
                  credentials: Path | None = None, tracker_store: str = MASKING_TRACKER_STORE,
                  rasa_args: tuple[str, ...] = (), action_args: tuple[str, ...] = (),
                  api: bool = True) -> BotServers:
    """Start actions + Rasa with ``env_overrides`` (DATABASE_URL, REDIS_URL, KAKAO_BOT_IDS...).

    ``tracker_store`` is the endpoints.yml section (e.g. plus a lock store); ``rasa_args`` /
    ``action_args`` extra command-line options (e.g. ``--debug`` / ``-vv``). With ``api`` Rasa
    serves its HTTP API behind a random ``--auth-token`` (``servers.api()``), as scripts/serve.sh
    does with RASA_AUTH_TOKEN; without it the API is not served at all.
    """
    # Tests and benchmarks are local trials: dev mode unless the caller says otherwise.
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONPATH": str(PROJECT_ROOT),
           "NAVIYAM_DEV_MODE": os.environ.get("NAVIYAM_DEV_MODE", "1"),
           # the logged exploration swaps a list's last slot at random: off unless asked (the replay turns it on)
           "NAVIYAM_EXPLORATION_RATE": os.environ.get("NAVIYAM_EXPLORATION_RATE", "0"), **env_overrides}
    action_port, rasa_port = free_port(), free_port()
    log_dir.mkdir(parents=True, exist_ok=True)
    endpoints = log_dir / "endpoints.yml"
    endpoints.write_text(f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
                         + tracker_store)
    action_log, rasa_log = log_dir / "actions.log", log_dir / "rasa.log"
    servers = BotServers(rasa_url=f"http://127.0.0.1:{rasa_port}",
                         action_url=f"http://127.0.0.1:{action_port}", logs=[action_log, rasa_log],
                         api_token=secrets.token_hex(24) if api else None)  # hex: never starts with "-"
    try:
        actions = subprocess.Popen(
            [str(APP_ENV / "bin/python"), "-m", "actions.server", "--actions", "actions",
             "--port", str(action_port), *action_args],
            cwd=PROJECT_ROOT, env=env, stdout=action_log.open("w"), stderr=subprocess.STDOUT,
        )
        servers.processes.append(actions)
        rasa_cmd = [str(RASA_ENV / "bin/python"), "-m", "bot.server", "run", "--interface", "127.0.0.1",
                    "--port", str(rasa_port), "--model", str(model), "--endpoints", str(endpoints), *rasa_args]
        if servers.api_token:
            rasa_cmd += ["--enable-api", "--auth-token", servers.api_token]
        creds = credentials or PROJECT_ROOT / "credentials.yml"
        if creds.exists():
            rasa_cmd += ["--credentials", str(creds)]
        rasa = subprocess.Popen(rasa_cmd, cwd=PROJECT_ROOT, env=env, stdout=rasa_log.open("w"),
                                stderr=subprocess.STDOUT)
        servers.processes.append(rasa)
        wait_for(f"{servers.action_url}/health", 120, actions, action_log)
        wait_for(f"{servers.rasa_url}/webhooks/rest/", START_DEADLINE_S, rasa, rasa_log)
        if servers.api_token:  # /status answers before the model is loaded
            _wait_model_loaded(servers, rasa, rasa_log)
        return servers
    except Exception:
        servers.stop()
        raise


def _wait_model_loaded(servers: BotServers, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_DEADLINE_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Rasa exited; log:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(servers.api("/status"), timeout=5) as response:
                status = json.loads(response.read())
            if status.get("model_file"):
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"Rasa model not loaded in time; log:\n{log.read_text()[-4000:]}")
