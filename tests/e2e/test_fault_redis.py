"""Fault test (issue 10): Redis stopped and restarted while REST and Kakao traffic runs.

Production keeps Rasa's trackers and conversation locks and the app's cache in Redis
(scripts/render_endpoints.py), so this test does too, against a private redis-server on a
free port (never the machine's shared one). While Redis is down every request must still
get a polite Korean answer and no 5xx; after Redis is back, normal answers return within
the deadline (the measured time is printed, not asserted beyond the deadline).
"""
from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from scripts.render_endpoints import render
from tests.e2e.harness import BotServers, free_port, start_servers
from tests.e2e.traffic import normal, run_fault
from tests.fakes.kakao import TEST_BOT_ID, TEST_SKILL_SECRET

pytestmark = pytest.mark.e2e

RECOVERY_DEADLINE_S = 10.0


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
    env = {"DATABASE_URL": loaded_database_url, "REDIS_URL": private.url, "KAKAO_BOT_IDS": TEST_BOT_ID,
           "KAKAO_SKILL_SECRET": TEST_SKILL_SECRET}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("redis_fault"), tracker_store=stores)
    try:
        yield servers, private
    finally:
        servers.stop()
        private.stop()


def test_redis_stopped_and_restarted_under_traffic(redis_fault_bot):
    bot, private = redis_fault_bot

    def outage() -> None:
        private.stop()
        time.sleep(4)   # the outage lasts 4 s while traffic runs

    run = run_fault(bot, "redis", outage, private.start, kakao_messages=("안녕",))

    print({name: len(run.phase(name)) for name in ("before", "down", "repaired")},
          f"recovered {run.recovery_s} s after Redis restarted;",
          f"during the fault: {sorted({r[3][:60] for r in run.phase('down')})[:3]}")
    assert all(run.phase(name) for name in ("before", "down", "repaired")), "every phase saw traffic"
    assert [r for r in run.results if r[2] >= 500] == []
    assert run.problems() == []
    assert any(normal(r[3]) for r in run.phase("before"))
    for name in ("before", "down", "repaired"):  # the Kakao webhook was served in every phase too
        assert [r for r in run.phase(name) if r[4] == "kakao"], name
    assert run.recovery_s is not None, "no normal answer after Redis came back"
    assert run.recovery_s <= RECOVERY_DEADLINE_S
