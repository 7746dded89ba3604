"""Attacks at the door, against scripts/serve.sh as production runs it (no dev mode).

The servers here run exactly the production script with production settings: no
NAVIYAM_DEV_MODE, a REST bearer token, Rasa's HTTP API behind RASA_AUTH_TOKEN, a Kakao bot
allow-list but no KAKAO_SKILL_SECRET. Each test is one thing an attacker would try.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from naviyam.adapters.crypto import DEV_KEYS_FILE
from naviyam.config import get_settings
from tests.channels.conftest import get_json, post
from tests.e2e.harness import PROJECT_ROOT, ensure_model, free_port
from tests.fakes.kakao import SKILL_SECRET_HEADER, TEST_BOT_ID, skill_payload

pytestmark = pytest.mark.e2e

REST_TOKEN = "rest-token-for-abuse-tests-7c1d"
API_TOKEN = "api-token-for-abuse-tests-93ab"
FORGED_NOW = "2031-01-01T12:30:00+09:00"
HANGUL = re.compile(r"[가-힣]")


class Production:
    def __init__(self, rasa_url: str, process: subprocess.Popen, log: Path) -> None:
        self.rasa_url, self.process, self.log = rasa_url, process, log

    def rest(self, body, token: str | None = REST_TOKEN):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return post(f"{self.rasa_url}/webhooks/rest/webhook", body, headers)


def _wait(url: str, process: subprocess.Popen, log: Path, deadline_s: float = 300) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve.sh exited; log:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if get_json_body(response).get("model_file"):
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, ValueError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not ready; log:\n{log.read_text()[-4000:]}")


def get_json_body(response) -> dict:
    return json.loads(response.read().decode("utf-8"))


@pytest.fixture(scope="module")
def production(loaded_database_url: str, tmp_path_factory) -> Iterator[Production]:
    rasa_port, action_port = free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("NAVIYAM_DEV_MODE", "KAKAO_", "TELEGRAM_", "RASA_AUTH", "RASA_JWT"))}
    env.update({"NAVIYAM_MODEL": str(ensure_model()), "DATABASE_URL": loaded_database_url,
                "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port),
                "NAVIYAM_REST_TOKEN": REST_TOKEN, "RASA_AUTH_TOKEN": API_TOKEN,
                "KAKAO_BOT_IDS": TEST_BOT_ID, "RASA_TELEMETRY_ENABLED": "false"})
    env.pop("REDIS_URL", None)
    # Production needs real keys: the ones dev mode generated for the test database.
    keys = json.loads((get_settings().var_dir / DEV_KEYS_FILE).read_text())
    env.update({"NAVIYAM_DATA_KEY": keys["data_key"], "NAVIYAM_PSEUDONYM_KEY": keys["pseudonym_key"]})
    log = tmp_path_factory.mktemp("production") / "serve.log"
    process = subprocess.Popen(["bash", str(PROJECT_ROOT / "scripts/serve.sh")], cwd=PROJECT_ROOT,
                               env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    servers = Production(f"http://127.0.0.1:{rasa_port}", process, log)
    try:
        _wait(f"{servers.rasa_url}/status?token={API_TOKEN}", process, log)
        yield servers
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def test_anonymous_tracker_read_is_refused(production):
    production.rest({"sender": "kid-abuse-1", "message": "안녕하세요"})
    for path in ("/conversations/rest:kid-abuse-1/tracker", "/conversations/rest:kid-abuse-1/story",
                 "/status", "/domain"):
        status, _ = _get(f"{production.rasa_url}{path}")
        assert status == 401, path
        status, _ = _get(f"{production.rasa_url}{path}?token=wrong")
        assert status == 401, path


def test_anonymous_model_replacement_is_refused(production):
    request = urllib.request.Request(f"{production.rasa_url}/model", method="PUT",
                                     data=b'{"model_file": "/tmp/evil.tar.gz"}',
                                     headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 401
    assert get_json(f"{production.rasa_url}/status?token={API_TOKEN}")["model_file"].endswith(".tar.gz")


@pytest.mark.parametrize("token", [None, "wrong-token", REST_TOKEN + "x"])
def test_rest_without_the_token_is_refused(production, token):
    status, body = production.rest({"sender": "kid-abuse-2", "message": "안녕하세요"}, token=token)
    assert status in (401, 403) and isinstance(body, dict) and "error" in body


@pytest.mark.parametrize("sender", ["kakao:kakao-user-1", "telegram:42", " KAKAO:kakao-user-1"])
def test_rest_cannot_speak_as_a_messenger_user(production, sender):
    status, body = production.rest({"sender": sender, "message": "내 잔액 알려줘"})
    assert status == 403 and "error" in body


def test_rest_senders_are_namespaced_and_a_forged_clock_and_platform_are_dropped(production):
    metadata = {"now": FORGED_NOW, "platform": "kakao", "location": {"lat": 37.5404, "lng": 127.0693}}
    status, messages = production.rest({"sender": "demo_kid_01", "message": "안녕하세요",
                                        "metadata": metadata})
    assert status == 200 and messages and all(m["recipient_id"] == "rest:demo_kid_01" for m in messages)
    tracker = get_json(f"{production.rasa_url}/conversations/rest:demo_kid_01/tracker?token={API_TOKEN}")
    [event] = [e for e in tracker["events"] if e["event"] == "user"]
    assert "now" not in event["metadata"] and "platform" not in event["metadata"]
    assert event["metadata"]["location"] == {"lat": 37.5404, "lng": 127.0693}
    status, untouched = _get(f"{production.rasa_url}/conversations/demo_kid_01/tracker?token={API_TOKEN}")
    assert status == 200 and not [e for e in untouched["events"] if e["event"] == "user"]


def test_kakao_allowed_bot_without_secret_is_refused(production):
    """KAKAO_SKILL_SECRET is unset here: even the allowed bot id with a header gets nothing."""
    for headers in ({}, {SKILL_SECRET_HEADER: "guess"}):
        status, body = post(f"{production.rasa_url}/webhooks/kakao/webhook",
                            skill_payload("안녕", bot_id=TEST_BOT_ID), headers)
        assert status == 403 and "template" not in body


def test_rasa_listens_on_loopback_only(production):
    out = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True).stdout
    port = production.rasa_url.rsplit(":", 1)[1]
    listeners = [line.split()[3] for line in out.splitlines() if line.split()[3].endswith(":" + port)]
    assert listeners and all(addr.startswith(("127.0.0.1:", "[::1]:")) for addr in listeners), listeners


def _get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, get_json_body(response)
    except urllib.error.HTTPError as error:
        return error.code, None


def test_the_action_server_refuses_to_start_without_keys_in_production(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if key not in ("NAVIYAM_DEV_MODE", "NAVIYAM_DATA_KEY", "NAVIYAM_PSEUDONYM_KEY")}
    done = subprocess.run([str(PROJECT_ROOT / ".venv-app/bin/python"), "-m", "actions.server",
                           "--actions", "actions", "--port", str(free_port())],
                          cwd=PROJECT_ROOT, env={**env, "NAVIYAM_VAR_DIR": str(tmp_path)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "NAVIYAM_DATA_KEY and NAVIYAM_PSEUDONYM_KEY not set" in done.stderr
    assert not (tmp_path / DEV_KEYS_FILE).exists()


def test_a_killed_action_server_is_restarted_and_users_hear_politely_meanwhile(production):
    """serve.sh supervises the action server: kill it, chat during the outage, chat after."""
    found = subprocess.run(["pgrep", "-f", "-P", ",".join(_descendants(production.process.pid)),
                            "actions.server"], capture_output=True, text=True).stdout.split()
    assert found, "no action server under serve.sh"
    killed_at = time.monotonic()
    for pid in found:  # the whole action server: its main process and its Sanic workers
        os.killpg(int(pid), signal.SIGKILL)
    # /balance_check runs a custom action: during the outage the user still hears politely
    status, messages = production.rest({"sender": "kid-fault-1", "message": "/balance_check"})
    assert status == 200 and messages and all(HANGUL.search(m["text"]) for m in messages if m.get("text"))
    assert not any("급식카드" in (m.get("text") or "") for m in messages), "answered without the action server?"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status, messages = production.rest({"sender": "kid-fault-1", "message": "/balance_check"})
        assert status == 200 and messages
        if any("급식카드" in (m.get("text") or "") for m in messages):  # the balance action again
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the action server did not come back; log:\n{production.log.read_text()[-3000:]}")
    print(f"action server back {time.monotonic() - killed_at:.1f} s after SIGKILL")
    assert "action server exited" in production.log.read_text()


def _descendants(pid: int) -> list[str]:
    """Process ids under ``pid`` (serve.sh and its supervisor subshell), ``pid`` included."""
    found, todo = [str(pid)], [str(pid)]
    while todo:
        children = subprocess.run(["pgrep", "-P", todo.pop()], capture_output=True, text=True).stdout.split()
        found += children
        todo += children
    return found
