"""Fault test (issue 10): an LLM server that accepts connections but never answers.

The LLM intent component (bot/nlu/llm_intent_classifier.py) is pointed at a socket that
accepts and then stays silent. Every message must still get its normal answer (DIET's
intents stand once the per-message budget is spent and, after a few failures, the breaker
opens), with no 5xx. Latency figures are printed, not asserted.
"""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e.harness import BotServers, start_servers
from tests.e2e.traffic import normal, run_fault

pytestmark = pytest.mark.e2e

# The channels' and the domain's failure answers (bot/channels/*.py REPLY_FAILURE, utter_internal_error).
APOLOGIES = ("문제가 생겼어요", "답을 드리기 어려워요")


class SilentServer:
    """Accepts TCP connections and keeps them open without reading or writing a byte."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture(scope="module")
def silent_llm_bot(rasa_model, loaded_database_url: str,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServers, SilentServer]]:
    silent = SilentServer()
    env = {"DATABASE_URL": loaded_database_url, "KAKAO_BOT_IDS": "naviyam-test-bot",
           "NAVIYAM_LLM_URL": f"http://127.0.0.1:{silent.port}"}
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("silent_llm"))
    try:
        yield servers, silent
    finally:
        servers.stop()
        silent.close()


def test_a_silent_llm_server_changes_no_answer(silent_llm_bot):
    bot, silent = silent_llm_bot
    run = run_fault(bot, "llm", lambda: time.sleep(4), lambda: None,
                    messages=("안녕", "5천원으로 떡볶이 먹고 싶어"))
    print(f"{len(run.results)} answers in {run.results[-1][1] - run.results[0][1]:.1f} s,",
          f"{len(silent.accepted)} connections to the LLM server left unanswered")
    assert silent.accepted, "the component never called the LLM server (is NAVIYAM_LLM_URL read?)"
    assert [r for r in run.results if r[2] >= 500] == []
    assert run.problems() == []
    apologies = [r for r in run.results if any(a in r[3] for a in APOLOGIES)]
    assert apologies == [], apologies[:3]
    assert any(normal(r[3]) for r in run.results)                    # greetings answered
    assert any("원" in r[3] and "1." in r[3] for r in run.results)  # recommendations still listed
