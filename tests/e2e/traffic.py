"""REST traffic during a fault, for the fault tests (tests/e2e/test_fault_*.py).

``run_fault`` keeps two senders' worth of REST requests going, runs ``break_it`` (the
fault), then ``repair`` (may do nothing), and polls with a deadline until a normal answer
comes back; every answer is kept with the phase it ended in.
"""
from __future__ import annotations

import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.e2e.harness import BotServers

HANGUL = re.compile(r"[가-힣]")


def post(bot: BotServers, sender: str, message: str) -> tuple[int, str]:
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


def post_kakao(bot: BotServers, user: str, message: str) -> tuple[int, str]:
    """A Kakao skill request (answered directly, no callback), with the bot id and secret."""
    from tests.fakes.kakao import SKILL_SECRET_HEADER, TEST_SKILL_SECRET, skill_payload

    request = urllib.request.Request(
        f"{bot.rasa_url}/webhooks/kakao/webhook", data=json.dumps(skill_payload(message, user)).encode(),
        headers={"Content-Type": "application/json", SKILL_SECRET_HEADER: TEST_SKILL_SECRET})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")
    outputs = (answer.get("template") or {}).get("outputs") or []
    return response.status, "\n".join(o["simpleText"]["text"] for o in outputs if "simpleText" in o)


def normal(text: str) -> bool:
    return "나비얌" in text  # every greeting variation names the bot; the apology does not


@dataclass
class FaultRun:
    # phase, time, status, text, channel
    results: list[tuple[str, float, int, str, str]] = field(default_factory=list)
    repaired_at: float = 0.0

    def phase(self, name: str) -> list[tuple[str, float, int, str, str]]:
        return [r for r in self.results if r[0] == name]

    @property
    def recovery_s(self) -> float | None:
        times = [t for p, t, _, s, _ in self.results if p == "repaired" and normal(s)]
        return min(times) - self.repaired_at if times else None

    def problems(self) -> list[tuple[str, float, int, str, str]]:
        """Answers that are a 5xx, not 200, or not Korean text."""
        return [r for r in self.results if r[2] != 200 or not HANGUL.search(r[3])]


def run_fault(bot: BotServers, name: str, break_it: Callable[[], None], repair: Callable[[], None],
              *, before_s: float = 3.0, deadline_s: float = 30.0,
              messages: tuple[str, ...] = ("안녕",), kakao_messages: tuple[str, ...] = ()) -> FaultRun:
    """REST worker ``i`` sends ``messages[i % len(messages)]``, one more worker per Kakao
    message; recovery is a normal greeting."""
    run, state, stop = FaultRun(), {"phase": "before"}, threading.Event()

    def traffic(worker: int) -> None:
        turn = 0
        while not stop.is_set():
            turn += 1
            who = f"fault_{name}_{worker}_{turn % 3}"
            channel = "kakao" if worker >= 2 else "rest"
            if channel == "kakao":
                status, said = post_kakao(bot, who, kakao_messages[worker - 2])
            else:
                status, said = post(bot, who, messages[worker % len(messages)])
            run.results.append((state["phase"], time.monotonic(), status, said, channel))

    threads = [threading.Thread(target=traffic, args=(i,), daemon=True)
               for i in range(2 + len(kakao_messages))]
    for thread in threads:
        thread.start()
    try:
        # Traffic runs before the fault: until there are as many answers as workers (a busy machine's
        # first turns may be slow), then ``before_s`` more. Not a timing assertion.
        started = time.monotonic()
        while len(run.results) < len(threads) and time.monotonic() - started < deadline_s:
            time.sleep(0.1)
        time.sleep(before_s)
        state["phase"] = "down"
        break_it()
        state["phase"] = "repaired"
        repair()
        run.repaired_at = time.monotonic()
        deadline = run.repaired_at + deadline_s
        while time.monotonic() < deadline and run.recovery_s is None:
            time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    return run
