"""The cache layer behaves the same on Redis (CI) and in-process."""
from __future__ import annotations

import threading
import time

from naviyam.shared.cache import InProcessCache, LockNotAcquired


def test_values_round_trip_and_expire(cache):
    cache.set("t:profile:1", {"likes": ["떡볶이"], "budget": 5000}, ttl=1)
    assert cache.get("t:profile:1") == {"likes": ["떡볶이"], "budget": 5000}
    deadline = time.monotonic() + 5
    while cache.get("t:profile:1") is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cache.get("t:profile:1") is None


def test_delete_prefix_invalidates_a_family_of_keys(cache):
    for i in range(5):
        cache.set(f"t:retrieval:{i}", i, ttl=60)
    cache.set("t:other", 1, ttl=60)
    cache.delete_prefix("t:retrieval:")
    assert all(cache.get(f"t:retrieval:{i}") is None for i in range(5))
    assert cache.get("t:other") == 1


def test_window_counter_counts_every_hit_once_under_concurrency(cache):
    hits = 50
    threads = [threading.Thread(target=cache.incr_window, args=("t:rate:kid", 60)) for _ in range(hits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert cache.incr_window("t:rate:kid", 60) == hits + 1


def test_set_if_absent_lets_exactly_one_caller_win(cache):
    results: list[bool] = []
    lock = threading.Lock()

    def claim() -> None:
        won = cache.set_if_absent("t:alert:kid", "sent", ttl=60)
        with lock:
            results.append(won)

    threads = [threading.Thread(target=claim) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 1


def test_lock_is_exclusive(cache):
    inside = []
    with cache.lock("t:redeem:1", timeout=5, wait=1):
        def contender() -> None:
            try:
                with cache.lock("t:redeem:1", timeout=5, wait=0.2):
                    inside.append("second")
            except LockNotAcquired:
                inside.append("refused")

        thread = threading.Thread(target=contender)
        thread.start()
        thread.join()
    assert inside == ["refused"]


def test_ci_uses_redis(cache, redis_url):
    import os

    if os.environ.get("CI", "").lower() == "true":
        assert redis_url and getattr(cache, "backend", "") == "redis"
    else:
        assert getattr(cache, "backend", "") in {"redis", "memory"}


def test_in_process_cache_keeps_unicode():
    cache = InProcessCache()
    cache.set("t:k", "급식카드 잔액", ttl=None)
    assert cache.get("t:k") == "급식카드 잔액"
