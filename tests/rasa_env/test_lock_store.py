"""bot.lock_store.AtomicRedisLockStore: one ticket per turn, even when processes race.

Runs in the Rasa environment against Redis at TEST_REDIS_URL (default
redis://127.0.0.1:6379/11). Several store instances (each with its own connection, as two
Rasa processes have) take tickets for one conversation from several threads at once.
"""
from __future__ import annotations

import asyncio
import os
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

import pytest
import yaml
from rasa.core.lock_store import LockStore
from rasa.core.utils import number_of_sanic_workers
from rasa.utils.endpoints import EndpointConfig

from bot.lock_store import AtomicRedisLockStore
from scripts.render_endpoints import render

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/11")


def _config(prefix: str) -> EndpointConfig:
    parsed = urlparse(REDIS_URL)
    return EndpointConfig.from_dict({
        "type": "bot.lock_store.AtomicRedisLockStore", "url": parsed.hostname, "port": parsed.port or 6379,
        "db": int((parsed.path or "/0").lstrip("/") or 0), "key_prefix": prefix, "wait_time_in_seconds": 0.01,
    })


@pytest.fixture()
def stores():
    prefix = f"locktest{secrets.token_hex(4)}"
    made = [LockStore.create(_config(prefix)) for _ in range(4)]
    yield made
    for key in made[0].red.keys(made[0].key_prefix + "*"):
        made[0].red.delete(key)


def test_endpoints_name_the_atomic_store_and_rasa_allows_workers_with_it(monkeypatch):
    endpoints = yaml.safe_load(render(5055, "redis://127.0.0.1:6379/3"))
    assert endpoints["lock_store"]["type"] == "bot.lock_store.AtomicRedisLockStore"
    store = LockStore.create(EndpointConfig.from_dict(endpoints["lock_store"]))
    assert isinstance(store, AtomicRedisLockStore) and store.key_prefix == "naviyam:lock:"
    monkeypatch.setenv("SANIC_WORKERS", "3")
    assert number_of_sanic_workers(store) == 3


def test_racing_processes_never_get_the_same_ticket(stores):
    def take(i: int) -> list[int]:
        return [stores[i % len(stores)].issue_ticket("one-sender") for _ in range(25)]

    with ThreadPoolExecutor(max_workers=8) as pool:
        tickets = [t for batch in pool.map(take, range(8)) for t in batch]
    assert len(tickets) == len(set(tickets)) == 200
    assert len(stores[0].get_lock("one-sender").tickets) == 200, "no ticket was overwritten"


def test_turns_of_one_sender_hold_the_lock_one_at_a_time(stores):
    inside, overlaps, order, counting = 0, [], [], threading.Lock()

    async def turn(store: AtomicRedisLockStore, n: int) -> None:
        nonlocal inside
        async with store.lock("one-sender"):
            with counting:
                inside += 1
                overlaps.append(inside)
            await asyncio.sleep(0.005)
            with counting:
                order.append(n)
                inside -= 1

    async def turns_of(i: int) -> None:
        await asyncio.gather(*(turn(stores[i], i * 10 + k) for k in range(3)))

    def process(i: int) -> None:  # each "process": its own store and event loop
        asyncio.run(asyncio.wait_for(turns_of(i), 60))

    with ThreadPoolExecutor(max_workers=len(stores)) as pool:
        list(pool.map(process, range(len(stores))))
    assert sorted(order) == sorted(i * 10 + k for i in range(len(stores)) for k in range(3))
    assert max(overlaps) == 1, "two turns of one sender held the lock at once"
    assert stores[0].get_lock("one-sender") is None, "the last turn deleted the lock"


def test_a_finished_turn_leaves_the_waiting_ones_in_the_queue(stores):
    first, second = stores[0].issue_ticket("s"), stores[1].issue_ticket("s")
    stores[0].cleanup("s", first)
    lock = stores[1].get_lock("s")
    assert [t.number for t in lock.tickets] == [second] and not lock.is_locked(second)
    stores[1].cleanup("s", second)
    assert stores[1].get_lock("s") is None
