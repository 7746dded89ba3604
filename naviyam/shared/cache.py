"""Cache, counter and lock layer: Redis when a Redis URL is configured, in-process otherwise.

This module never reads the environment: each environment's settings module passes the
URL in (``naviyam.adapters.cache.get_cache`` in the app, ``bot.settings`` in the Rasa server).

This module depends only on the standard library and (optionally) ``redis``, so both
Python environments can import it: the action server (redis-py 5+) and the Rasa
server's channels (redis-py 4, pinned by rasa).

Values are JSON-serialisable Python objects. Keys are namespaced with ``naviyam:``.
"""
from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

KEY_PREFIX = "naviyam:"

# Seed 003 §10 / seed 004 §6.3 (issue 4): one place for every TTL, in seconds.
TTL_EMBEDDING = 7 * 24 * 3600
TTL_RETRIEVAL = 3600
TTL_USER_PROFILE = 3600
TTL_USER_MONEY = 600        # card figures and wallet: dropped on every change; the TTL bounds a missed one
TTL_SESSION_CONTEXT = 30 * 60
TTL_NLU_RESULT = 3600


class LockNotAcquired(RuntimeError):
    """Raised when a lock could not be taken within its wait time."""


class Cache(Protocol):
    def get(self, key: str) -> Any | None: ...
    def set(self, key: str, value: Any, ttl: int | None = None) -> None: ...
    def delete(self, *keys: str) -> None: ...
    def delete_prefix(self, prefix: str) -> None: ...
    def incr_window(self, key: str, window_seconds: int) -> int: ...
    def set_if_absent(self, key: str, value: Any, ttl: int) -> bool: ...
    def lock(self, name: str, timeout: float = 10.0, wait: float = 5.0): ...
    def ping(self) -> bool: ...


class InProcessCache:
    """A thread-safe TTL cache for the embedded default (one process only)."""

    backend = "memory"

    def __init__(self) -> None:
        self._data: dict[str, tuple[float | None, str]] = {}
        self._lock = threading.RLock()
        self._locks: dict[str, threading.Lock] = {}

    def _alive(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        expires, raw = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return raw

    def get(self, key: str) -> Any | None:
        with self._lock:
            raw = self._alive(KEY_PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        expires = time.monotonic() + ttl if ttl else None
        with self._lock:
            self._data[KEY_PREFIX + key] = (expires, json.dumps(value, ensure_ascii=False, default=str))

    def set_if_absent(self, key: str, value: Any, ttl: int) -> bool:
        with self._lock:
            if self._alive(KEY_PREFIX + key) is not None:
                return False
            self.set(key, value, ttl)
            return True

    def delete(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._data.pop(KEY_PREFIX + key, None)

    def delete_prefix(self, prefix: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k.startswith(KEY_PREFIX + prefix)]:
                del self._data[key]

    def incr_window(self, key: str, window_seconds: int) -> int:
        """Increment a counter that lives for ``window_seconds`` from its first hit."""
        full = KEY_PREFIX + key
        with self._lock:
            raw = self._alive(full)
            count = (json.loads(raw) if raw else 0) + 1
            expires = self._data[full][0] if raw else time.monotonic() + window_seconds
            self._data[full] = (expires, json.dumps(count))
            return count

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0, wait: float = 5.0) -> Iterator[None]:
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        if not lock.acquire(timeout=wait):
            raise LockNotAcquired(name)
        try:
            yield
        finally:
            lock.release()

    def ping(self) -> bool:
        return True


class RedisCache:
    """Redis-backed cache; shared by every process of a deployment."""

    backend = "redis"

    def __init__(self, url: str, socket_timeout: float = 0.5) -> None:
        import redis  # optional dependency, present in both environments

        self._redis = redis.Redis.from_url(
            url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout,
            health_check_interval=30,
        )

    @property
    def client(self):
        return self._redis

    def get(self, key: str) -> Any | None:
        raw = self._redis.get(KEY_PREFIX + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._redis.set(
            KEY_PREFIX + key, json.dumps(value, ensure_ascii=False, default=str), ex=ttl or None
        )

    def set_if_absent(self, key: str, value: Any, ttl: int) -> bool:
        return bool(
            self._redis.set(
                KEY_PREFIX + key, json.dumps(value, ensure_ascii=False, default=str), ex=ttl, nx=True
            )
        )

    def delete(self, *keys: str) -> None:
        if keys:
            self._redis.delete(*(KEY_PREFIX + k for k in keys))

    def delete_prefix(self, prefix: str) -> None:
        batch = []
        for key in self._redis.scan_iter(match=KEY_PREFIX + prefix + "*", count=500):
            batch.append(key)
            if len(batch) >= 500:
                self._redis.delete(*batch)
                batch.clear()
        if batch:
            self._redis.delete(*batch)

    def incr_window(self, key: str, window_seconds: int) -> int:
        full = KEY_PREFIX + key
        pipe = self._redis.pipeline()
        pipe.incr(full)
        pipe.expire(full, window_seconds, nx=True)
        count, _ = pipe.execute()
        return int(count)

    @contextmanager
    def lock(self, name: str, timeout: float = 10.0, wait: float = 5.0) -> Iterator[None]:
        lock = self._redis.lock(KEY_PREFIX + "lock:" + name, timeout=timeout, blocking_timeout=wait)
        if not lock.acquire(token=uuid.uuid4().hex):
            raise LockNotAcquired(name)
        try:
            yield
        finally:
            try:
                lock.release()
            except Exception:  # expired meanwhile: nothing left to release
                pass

    def ping(self) -> bool:
        try:
            return bool(self._redis.ping())
        except Exception:
            return False


_CACHE: Cache | None = None
_CACHE_LOCK = threading.Lock()
_CONFIGURED = False
_REDIS_URL: str | None = None
log = logging.getLogger(__name__)


def make_cache(redis_url: str | None) -> Cache:
    return RedisCache(redis_url) if redis_url else InProcessCache()


def configure_cache(redis_url: str | None) -> None:
    """Choose the process-wide cache: Redis at ``redis_url``, or in-process when None/empty."""
    global _CACHE, _CONFIGURED, _REDIS_URL
    with _CACHE_LOCK:
        if _CONFIGURED and _REDIS_URL == (redis_url or None) and _CACHE is not None:
            return
        _CONFIGURED, _REDIS_URL, _CACHE = True, redis_url or None, None


def cache_configured() -> bool:
    return _CONFIGURED


def get_cache() -> Cache:
    """The process-wide cache chosen by :func:`configure_cache` (in-process if never configured)."""
    global _CACHE
    with _CACHE_LOCK:
        if _CACHE is None:
            if not _CONFIGURED:
                log.warning("Cache used before configure_cache(); using the in-process cache")
            _CACHE = make_cache(_REDIS_URL)
        return _CACHE


def set_cache(cache: Cache | None) -> None:
    """Replace the process-wide cache (tests, or after the environment changed)."""
    global _CACHE
    with _CACHE_LOCK:
        _CACHE = cache
