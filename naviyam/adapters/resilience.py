"""A circuit breaker whose state lives in ``naviyam.shared.cache`` (shared by every process on Redis).

- closed: calls go through; each failed attempt increments a counter that lives for
  ``window_s`` from its first hit.
- open: once the counter reaches ``failures``, an ``open`` key is written with a TTL of
  ``reset_s``; while it exists calls fail fast with ``CircuitOpenError``.
- half-open: when the ``open`` key has expired, one caller (claimed with set-if-absent)
  makes a trial call; success clears the counter, failure re-opens at once because the
  counter is still at or above the threshold.

Cache errors never block calls: a breaker that cannot read its state stays closed.
"""
from __future__ import annotations

import logging
import time

from naviyam.shared.cache import Cache, get_cache

log = logging.getLogger(__name__)


class CircuitOpenError(RuntimeError):
    """The remote service failed too often recently; not calling it for now."""


class CircuitBreaker:
    def __init__(self, name: str, failures: int = 5, window_s: int = 60, reset_s: int = 30,
                 cache: Cache | None = None) -> None:
        if failures < 1 or window_s < 1 or reset_s < 1:
            raise ValueError("breaker failures, window_s and reset_s must be at least 1")
        self.name = name
        self.failures = failures
        self.window_s = window_s
        self.reset_s = reset_s
        self._cache = cache

    @property
    def cache(self) -> Cache:
        return self._cache or get_cache()

    def _key(self, part: str) -> str:
        return f"breaker:{self.name}:{part}"

    def is_open(self) -> bool:
        try:
            return self.cache.get(self._key("open")) is not None
        except Exception:  # noqa: BLE001
            log.warning("Breaker %s: cache unavailable, treating as closed", self.name)
            return False

    def state(self) -> str:
        if self.is_open():
            return "open"
        try:
            count = self.cache.get(self._key("failures")) or 0
        except Exception:  # noqa: BLE001
            return "closed"
        return "half-open" if count >= self.failures else "closed"

    def before_call(self) -> None:
        """Raise ``CircuitOpenError`` unless a call may go out now."""
        if self.is_open():
            raise CircuitOpenError(f"circuit {self.name} is open")
        if self.state() == "half-open":
            try:
                trial = self.cache.set_if_absent(self._key("trial"), time.time(), self.reset_s)
            except Exception:  # noqa: BLE001
                trial = True
            if not trial:
                raise CircuitOpenError(f"circuit {self.name} is half-open; a trial call is under way")

    def record_success(self) -> None:
        try:
            self.cache.delete(self._key("failures"), self._key("trial"), self._key("open"))
        except Exception:  # noqa: BLE001
            log.warning("Breaker %s: could not record success", self.name)

    def record_failure(self) -> None:
        try:
            count = self.cache.incr_window(self._key("failures"), self.window_s)
            if count >= self.failures:
                self.cache.set(self._key("open"), {"opened_at": time.time(), "failures": count},
                               ttl=self.reset_s)
                self.cache.delete(self._key("trial"))
                log.warning("Breaker %s opened after %d failures", self.name, count)
        except Exception:  # noqa: BLE001
            log.warning("Breaker %s: could not record failure", self.name)

    def reset(self) -> None:
        self.record_success()
