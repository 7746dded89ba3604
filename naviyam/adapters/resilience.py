"""One resilience policy for every outbound client: a circuit breaker (pybreaker) and retries (tenacity).

- Breaker: ``fail_max`` consecutive failures open it for ``reset_s`` seconds; while open, calls
  fail fast with :class:`CircuitOpenError`; after ``reset_s`` one trial call decides (half-open).
  Errors listed in ``exclude`` (our own bad request, an unknown card) say nothing about the
  remote side's health and count as successes. The state lives in Redis when the cache is Redis
  (``pybreaker.CircuitRedisStorage`` under ``naviyam.shared.cache_keys.breaker_key``), so every
  process of a deployment sees the same breaker; in the embedded default it lives in the process.
- Retries: only :class:`TransientError` (timeouts, connection errors, 5xx, 429) is retried, with
  exponential back-off and jitter, and never while the breaker is open.

A cache outage never blocks calls: pybreaker's Redis storage falls back to "closed". Redis keeps
the opening time in whole seconds, so an open breaker may try again up to 1 s early.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta, timezone

import pybreaker
import tenacity

from naviyam.adapters.cache import get_cache
from naviyam.shared.cache_keys import breaker_key

log = logging.getLogger(__name__)

CircuitOpenError = pybreaker.CircuitBreakerError
_STORAGES: dict[tuple[str, int], pybreaker.CircuitBreakerStorage] = {}
_LOCK = threading.Lock()


class TransientError(RuntimeError):
    """A failure worth retrying: the remote side may answer next time."""


def _storage(name: str, cache) -> pybreaker.CircuitBreakerStorage:
    """The breaker state of ``name`` for this cache: in Redis when the cache is Redis, else in the process."""
    key = (name, id(cache))
    with _LOCK:
        storage = _STORAGES.get(key)
        if storage is None:
            redis_client = getattr(cache, "client", None) if getattr(cache, "backend", "") == "redis" else None
            storage = _STORAGES[key] = (
                pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, redis_client, namespace=breaker_key(name))
                if redis_client is not None else pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED))
        return storage


def circuit_breaker(name: str, *, fail_max: int, reset_s: float,
                    exclude: Iterable[type[BaseException]] = ()) -> pybreaker.CircuitBreaker:
    """The breaker called ``name``: every breaker of one name shares its state (through Redis when
    Redis is the cache, so across processes too); ``fail_max``/``reset_s`` apply to this caller."""
    if fail_max < 1 or reset_s <= 0:
        raise ValueError("breaker fail_max must be at least 1 and reset_s positive")
    return pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_s, exclude=list(exclude),
                                    state_storage=_storage(name, get_cache()), name=name)


def is_open(breaker: pybreaker.CircuitBreaker, now: datetime | None = None) -> bool:
    """Would a call fail fast right now (open, and the reset timeout not yet over)?"""
    try:
        if breaker.current_state != pybreaker.STATE_OPEN:
            return False
        opened_at = breaker._state_storage.opened_at  # pybreaker keeps it in the storage
    except Exception:  # noqa: BLE001 - an unreadable state counts as closed (calls go through)
        log.warning("Breaker %s state unreadable; treating it as closed", breaker.name, exc_info=True)
        return False
    if opened_at is None:
        return True
    now = now or datetime.now(timezone.utc)
    return now < opened_at + timedelta(seconds=breaker.reset_timeout)


def retrying(*, attempts: int, base_s: float, max_s: float, what: str,
             sleep: Callable[[float], None] = time.sleep) -> tenacity.Retrying:
    """Retry :class:`TransientError` up to ``attempts`` tries in all, with exponential back-off and jitter."""
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(max(1, attempts)),
        wait=tenacity.wait_exponential_jitter(initial=base_s, max=max_s, jitter=base_s / 2),
        retry=tenacity.retry_if_exception_type(TransientError),
        sleep=sleep,
        reraise=True,
        before_sleep=lambda state: log.info("%s failed (%s); retry %d in %.2fs", what,
                                            state.outcome.exception(), state.attempt_number,
                                            state.next_action.sleep if state.next_action else 0.0),
    )
