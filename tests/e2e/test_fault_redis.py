"""Fault test (issue 10): Redis stopped and restarted while REST traffic runs.

Production keeps Rasa's trackers and conversation locks and the app's cache in Redis
(scripts/render_endpoints.py), so this test does too, against a private redis-server on a
free port (never the machine's shared one). While Redis is down every request must still
get a polite Korean answer and no 5xx; after Redis is back, normal answers return within
the deadline (the measured time is printed, not asserted beyond the deadline).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from scripts.render_endpoints import render
from tests.e2e.harness import BotServers, free_port, start_servers

pytestmark = pytest.mark.e2e

RECOVERY_DEADLINE_S = 10.0
HANGUL = re.compile(r"[가-힣]")


class PrivateRedis:
    """A redis-server of our own (nothing persisted), stoppable and restartable on one port."""

    def __init__(self, workdir: Path) -> None:
        self.port, self.workdir, self.process = free_port(), workdir, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (scripts/lib.sh SYSTEM_PACKAGES)")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client, deadline = redis.Redis.from_url(self.url), time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def redis_fault_bot(rasa_model, loaded_database_url: str,
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServers, PrivateRedis]]:
    private = PrivateRedis(tmp_path_factory.mktemp("redis"))
    private.start()
    stores = render(0, private.url)
    stores = stores[stores.index("tracker_store:"):]
    env = {"DATABASE_URL": loaded_database_url, "REDIS_URL": private.url, "KAKAO_BOT_IDS": "naviyam-test-bot"}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("redis_fault"), tracker_store=stores)
    try:
        yield servers, private
    finally:
        servers.stop()
        private.stop()


def _post(bot: BotServers, sender: str, message: str) -> tuple[int, str]:
    body = json.dumps({"sender": sender, "message": message, "metadata": {
        "now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}}).encode()
    request = urllib.request.Request(f"{bot.rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read().decode("utf-8"))
            return response.status, "\n".join(m.get("text") or "" for m in answer)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def _normal(text: str) -> bool:
    return "나비얌" in text  # every greeting variation names the bot; the apology does not


def test_redis_stopped_and_restarted_under_traffic(redis_fault_bot):
    bot, private = redis_fault_bot
    results: list[tuple[str, float, int, str]] = []   # phase, time, status, text
    phase = {"name": "before"}
    stop = threading.Event()

    def traffic(worker: int) -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            status, said = _post(bot, f"fault_redis_{worker}_{turn % 3}", "안녕")
            results.append((phase["name"], time.monotonic(), status, said))

    threads = [threading.Thread(target=traffic, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(3)   # traffic runs; phases are timed, results are not asserted on timing
        phase["name"] = "down"
        private.stop()
        time.sleep(4)
        phase["name"] = "restarted"
        private.start()
        restarted = time.monotonic()
        deadline = restarted + RECOVERY_DEADLINE_S + 20
        while time.monotonic() < deadline and not any(
                p == "restarted" and t > restarted and _normal(s) for p, t, _, s in list(results)):
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    by_phase = {name: [r for r in results if r[0] == name] for name in ("before", "down", "restarted")}
    print({name: len(rows) for name, rows in by_phase.items()})
    assert all(by_phase.values()), "every phase saw traffic"
    assert [r for r in results if r[2] >= 500] == []
    assert all(r[2] == 200 and HANGUL.search(r[3]) for r in results), \
        [r for r in results if r[2] != 200 or not HANGUL.search(r[3])][:5]
    assert any(_normal(r[3]) for r in by_phase["before"])
    recovered = [t for p, t, _, s in results if p == "restarted" and _normal(s)]
    assert recovered, "no normal answer after Redis came back"
    recovery = min(recovered) - restarted
    print(f"recovered {recovery:.1f} s after Redis restarted; during the fault: "
          f"{sorted({s for _, _, _, s in by_phase['down']})[:3]}")
    assert recovery <= RECOVERY_DEADLINE_S
