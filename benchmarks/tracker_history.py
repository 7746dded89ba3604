"""Reading a child's conversation as history grows: our tracker store's ``retrieve`` beside Rasa's (issue 11).

    .venv-rasa/bin/python benchmarks/tracker_history.py [--sessions 1,10,50,200] [--repeat 30]

A conversation of N sessions (one per school day: session start, three recommendation turns with
their slots and answers, about 40 events a day) is written to Redis (``REDIS_URL``, default
redis://127.0.0.1:6379/3, keys under ``benchhistory``, removed afterwards) with the project's
domain. Then ``MaskingTrackerStore.retrieve`` (bot/tracker_store.py: cuts the stored events at the
last session start, replays one session) and Rasa 3.6's ``RedisTrackerStore.retrieve`` (replays
everything, splits by session, replays each again) read it alternately; it prints p50/p95 of each
and their ratio. Then it saves one more turn (six events) the same way, alternately: ours appends
the masked new events to the stored JSON (still re-reading and re-writing the whole text), Rasa's
deserialises the stored conversation and merges it with the tracker. Both return the same tracker (tests/rasa_env/test_masking_tracker_store.py). It
prints figures only and asserts nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered  # noqa: E402

from bot.tracker_store import MaskingTrackerStore  # noqa: E402

PREFIX = "benchhistory"


def day_events(day: int) -> list:
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")]
    for turn in range(3):
        text = f"{day}일 {turn}번째: 배고픈데 5천원밖에 없어"
        events += [
            UserUttered(text, intent={"name": "food_request", "confidence": 0.97}, parse_data={
                "text": text, "intent": {"name": "food_request", "confidence": 0.97},
                "entities": [{"entity": "budget", "value": 5000, "start": 12, "end": 15}]}),
            SlotSet("budget", 5000), ActionExecuted("action_recommend"),
            SlotSet("last_recommendation", ["shop-1", "shop-2", "shop-3"]),
            BotUttered("근처에서 지금 문을 연 가게 세 곳이에요. 1) 김밥천국 ...", data={"buttons": []}),
            ActionExecuted("action_listen"),
        ]
    return events


async def build(store: MaskingTrackerStore, sender: str, sessions: int) -> int:
    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
    for day in range(sessions):
        tracker.update_with_events(day_events(day), store.domain)
    await store.inner.save(tracker)   # one write of the whole history
    return len(tracker.events)


def timed(call, sender: str) -> float:
    start = time.perf_counter()
    asyncio.run(call(sender))
    return (time.perf_counter() - start) * 1000


def one_turn_save(save, retrieve, sender: str, domain: Domain) -> float:
    async def turn() -> float:
        tracker = await retrieve(sender)
        tracker.update_with_events(day_events(0)[3:9], domain)
        start = time.perf_counter()
        await save(tracker)
        return (time.perf_counter() - start) * 1000
    return asyncio.run(turn())


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,10,50,200")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    url = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/3"))
    db = int((url.path or "/0").lstrip("/") or 0)
    store = MaskingTrackerStore(domain=Domain.load(str(ROOT / "domain")), host=url.hostname,
                                inner_store="redis", port=url.port or 6379, db=db, key_prefix=PREFIX)
    print(f"load average {os.getloadavg()[0]:.2f}; Redis {url.hostname}:{url.port or 6379}/{db}; "
          f"{args.repeat} reads each, alternating")
    print("retrieve (ms), then saving one turn (ms)")
    print(f"{'sessions':>8} {'events':>7} {'ours p50':>9} {'ours p95':>9} {'Rasa p50':>9} {'Rasa p95':>9} "
          f"{'ratio p50':>9} {'save ours':>9} {'save Rasa':>9}")
    try:
        for sessions in (int(s) for s in args.sessions.split(",") if s):
            sender = f"bench:{sessions}"
            count = asyncio.run(build(store, sender, sessions))
            ours, rasas = [], []
            for _ in range(args.repeat):
                ours.append(timed(store.retrieve, sender))
                rasas.append(timed(store.inner.retrieve, sender))
            saves: dict[str, list[float]] = {"ours": [], "rasa": []}
            for _ in range(max(3, args.repeat // 3)):
                saves["ours"].append(one_turn_save(store.save, store.retrieve, sender, store.domain))
                saves["rasa"].append(one_turn_save(store.inner.save, store.inner.retrieve, sender, store.domain))
            o50, r50 = statistics.median(ours), statistics.median(rasas)
            print(f"{sessions:>8} {count:>7} {o50:>9.1f} {p95(ours):>9.1f} {r50:>9.1f} {p95(rasas):>9.1f} "
                  f"{r50 / o50:>8.1f}x {statistics.median(saves['ours']):>9.1f} "
                  f"{statistics.median(saves['rasa']):>9.1f}")
    finally:
        for key in store.inner.red.scan_iter(f"{store.inner.key_prefix}*"):
            store.inner.red.delete(key)
    return 0


if __name__ == "__main__":
    sys.exit(main())
