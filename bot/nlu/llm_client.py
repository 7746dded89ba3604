"""The LLM behind a latency budget, a circuit breaker and an answer cache (LLM NLU component).

- Budget: every backend call runs in a worker thread and is awaited for at most
  ``timeout`` seconds (the socket timeout is a little longer and only frees the worker).
- Circuit breaker: ``pybreaker`` opens after ``failure_threshold`` consecutive failures
  and lets one trial call through after ``failure_cooldown_s``, so a dead server does not
  add its timeout to every message.
- Cache: answers keyed by backend, server, model, prompt version, candidate intents and
  the normalised text (NFC, whitespace collapsed, lowercased), in the process-wide cache
  of ``bot.settings`` (Redis when ``REDIS_URL`` is set) or at the component's own
  ``redis_url``. Fallbacks are counted under ``nlu:llm:fallbacks``. A cache outage only
  turns the cache off.

:meth:`LLMClient.answer` returns ``(answer, cached)`` or raises :class:`LLMUnavailable`
(with :class:`CircuitOpen` while the breaker is open); DIET's result then stands.
"""
from __future__ import annotations

import hashlib
import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Callable, Dict, Optional, Sequence, Text, Tuple

import pybreaker
import requests

from naviyam.shared import llm_prompts as prompts
from naviyam.shared.cache_keys import LLM_NLU_FALLBACKS_KEY, llm_nlu_key

from bot import settings
from bot.nlu.llm_backends import LLMUnavailable
from bot.nlu.llm_merge import EXTRACTOR_NAME, normalise_ranking

logger = logging.getLogger(__name__)

FALLBACKS_KEY = LLM_NLU_FALLBACKS_KEY
FALLBACKS_WINDOW_S = 24 * 3600


class CircuitOpen(LLMUnavailable):
    """The breaker is open: the LLM is skipped until the cooldown has passed."""


def cache_key(key_parts: Sequence[Text], text: Text, intents: Sequence[Text], entities: bool,
              context: Optional[Dict]) -> Text:
    """Cache key of one question: the server and model, the prompt, the candidates and the text."""
    parts = [*key_parts, str(prompts.PROMPT_VERSION), ",".join(sorted(intents)), str(bool(entities)),
             json.dumps(context or {}, sort_keys=True, ensure_ascii=False), prompts.cache_key_text(text)]
    return llm_nlu_key(hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40])


class LLMClient:
    """Asks one backend (built lazily by ``make_backend``) under a budget, a breaker and a cache."""

    def __init__(self, make_backend: Callable[[requests.Session], Any], key_parts: Sequence[Text], *,
                 timeout: float, entities: bool, cache_ttl: int, redis_url: Optional[Text],
                 failure_threshold: int, failure_cooldown_s: float) -> None:
        self._make_backend = make_backend
        self.key_parts = tuple(key_parts)
        self.timeout = timeout
        self.entities = entities
        self.cache_ttl = cache_ttl
        self.redis_url = redis_url
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=failure_threshold, reset_timeout=failure_cooldown_s,
            throw_new_error_on_trip=False, name=EXTRACTOR_NAME,
        )
        self.calls = 0
        self.fallbacks = 0
        self._lock = threading.Lock()
        self.backend = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self._cache = None
        self._cache_broken = False

    def answer(self, text: Text, intents: Sequence[Text], context: Optional[Dict],
               adapter: Optional[Text] = None) -> Tuple[Dict[Text, Any], bool]:
        """``(answer, cached)`` with the ranking normalised over ``intents``; ``adapter``: the
        registry version to ask for (the naviyam model server; part of the cache key)."""
        key = cache_key((*self.key_parts, adapter or ""), text, intents, self.entities, context)
        cached = self._cache_call("get", key)
        if cached is not None:
            return cached, True
        try:
            with self.breaker.calling():
                with self._lock:
                    self.calls += 1
                answer = self._ask(text, intents, context, adapter)
                answer["intents"] = normalise_ranking(answer.get("intents") or [], intents)
        except pybreaker.CircuitBreakerError as exc:
            with self._lock:
                self.fallbacks += 1
            raise CircuitOpen("circuit open") from exc
        except LLMUnavailable as exc:
            self._record_failure(str(exc))
            raise
        except Exception as exc:  # noqa: BLE001 - never let the LLM break a parse
            logger.exception("%s: unexpected error", EXTRACTOR_NAME)
            self._record_failure(f"{type(exc).__name__}: {exc}")
            raise LLMUnavailable(type(exc).__name__) from exc
        self._cache_call("set", key, answer, self.cache_ttl)
        return answer, False

    def _ask(self, text: Text, intents: Sequence[Text], context: Optional[Dict],
             adapter: Optional[Text] = None) -> Dict[Text, Any]:
        if self.backend is None:
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm-nlu")
            self.backend = self._make_backend(requests.Session())
        extra = {"adapter": adapter} if adapter else {}
        future = self._executor.submit(self.backend.parse, text, intents, context, self.entities, self.timeout,
                                       **extra)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            future.cancel()
            raise LLMUnavailable(f"no answer within {self.timeout * 1000:.0f} ms") from exc

    def _record_failure(self, reason: Text) -> None:
        with self._lock:
            self.fallbacks += 1
        logger.warning("%s: LLM unavailable (%s); DIET's result stands (fallbacks so far: %d)",
                       EXTRACTOR_NAME, reason, self.fallbacks)
        self._cache_call("incr_window", FALLBACKS_KEY, FALLBACKS_WINDOW_S)

    def _get_cache(self):
        if self._cache is None and not self._cache_broken and self.cache_ttl > 0:
            url = self.redis_url
            self._cache = settings.get_cache() if url is None else settings.cache_at(url)
        return self._cache

    def _cache_call(self, method: Text, *args):
        cache = self._get_cache()
        if cache is None:
            return None
        try:
            return getattr(cache, method)(*args)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not break NLU
            logger.warning("%s: cache unavailable (%s); continuing without it", EXTRACTOR_NAME, exc)
            self._cache_broken = True
            self._cache = None
            return None
