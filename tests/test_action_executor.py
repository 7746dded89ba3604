"""Actions run on the action threads, each thread keeping one event loop (actions/server.py)."""
from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from rasa_sdk import Action

from actions import server


class RecordLoop(Action):
    """Says which thread and event loop ran it; awaits once, as an action calling I/O would."""

    seen: list[tuple[int, asyncio.AbstractEventLoop]] = []

    def name(self) -> str:
        return "action_record_loop"

    async def run(self, dispatcher, tracker, domain):
        await asyncio.sleep(0)
        RecordLoop.seen.append((threading.get_ident(), asyncio.get_running_loop()))  # kept: ids stay distinct
        dispatcher.utter_message(text=f"turn {len(RecordLoop.seen)}")
        return []


def _call(sender: str) -> dict:
    return {"next_action": "action_record_loop", "sender_id": sender, "version": "3.6.0",
            "tracker": {"sender_id": sender, "slots": {}, "latest_message": {}, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {},
                        "latest_action_name": "action_listen"},
            "domain": {}}


def _run_on_pool(monkeypatch, threads: int, calls) -> list:
    """``calls(executor)`` (a coroutine function) on a fresh pool of ``threads`` action threads."""
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="naviyam-action-test")
    monkeypatch.setattr(server, "_POOL", pool)
    RecordLoop.seen.clear()
    executor = server.ThreadedActionExecutor()
    executor.register_action(RecordLoop)
    try:
        return asyncio.run(calls(executor))
    finally:
        pool.shutdown(wait=True)


def test_each_action_thread_reuses_its_loop_and_answers_every_call(monkeypatch):
    async def three_calls(executor) -> list:
        return [await executor.run(_call(f"kid-{i}")) for i in range(3)]

    answers = _run_on_pool(monkeypatch, 1, three_calls)
    texts = [a["responses"][0]["text"] if isinstance(a, dict) else a.responses[0]["text"] for a in answers]
    assert texts == ["turn 1", "turn 2", "turn 3"]
    threads = {thread for thread, _ in RecordLoop.seen}
    loops = {loop for _, loop in RecordLoop.seen}
    assert threads != {threading.get_ident()}      # not on the caller's (Sanic's) loop thread
    assert len(threads) == 1 and len(loops) == 1   # one pool thread, one loop kept for all three calls


def test_concurrent_calls_each_get_an_answer(monkeypatch):
    async def together(executor) -> list:
        return await asyncio.gather(*(executor.run(_call(f"kid-{i}")) for i in range(9)))

    answers = _run_on_pool(monkeypatch, 3, together)
    assert len(answers) == 9 and len(RecordLoop.seen) == 9
    # a thread's loop is never shared with another thread
    by_loop: dict[asyncio.AbstractEventLoop, set[int]] = {}
    for thread, loop in RecordLoop.seen:
        by_loop.setdefault(loop, set()).add(thread)
    assert all(len(threads) == 1 for threads in by_loop.values())
