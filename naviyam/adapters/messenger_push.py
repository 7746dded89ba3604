"""Pushing a message to a child outside a conversation turn (issue 13: "쿠폰이 사용됐어요").

One module owns both platforms' outbound APIs and their resilience policy
(``adapters/resilience.py``: retries with back-off for timeouts, 5xx and 429; a circuit
breaker ``messenger-push`` shared through Redis):
- Telegram: Bot API ``POST {TELEGRAM_API_BASE}/bot<token>/sendMessage`` {chat_id, text}.
- Kakao: i Open Builder Event API ``POST {KAKAO_EVENT_API_BASE}/v2/bots/{KAKAO_BOT_ID}/talk``
  with ``Authorization: KakaoAK <REST API key>``, the event name and the user's botUserKey;
  the event's block in Open Builder holds the wording, our ``text`` travels as a parameter.
A platform that is not configured is skipped (returns False), never an error.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pybreaker
import requests

from naviyam.adapters.resilience import TransientError, circuit_breaker, retrying
from naviyam.config import get_notify_settings, get_telegram_settings

log = logging.getLogger(__name__)


class PushRejected(RuntimeError):
    """The platform refused the message (4xx other than 429): retrying will not help."""


def push_breaker() -> pybreaker.CircuitBreaker:
    return circuit_breaker("messenger-push", fail_max=5, reset_s=30, exclude=[PushRejected])


class MessengerPush:
    def __init__(self, *, http: requests.Session | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = get_notify_settings()
        self.telegram = get_telegram_settings()
        self.http = http or requests.Session()
        self.sleep = sleep
        self.breaker = push_breaker()

    def _attempt(self, url: str, body: dict[str, Any], headers: dict[str, str]) -> None:
        try:
            response = self.http.post(url, json=body, headers=headers,
                                      timeout=(self.settings.timeout_s, self.settings.timeout_s))
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise TransientError(type(exc).__name__) from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise TransientError(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise PushRejected(f"HTTP {response.status_code} {response.text[:200]}")

    def _post(self, what: str, url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        policy = retrying(attempts=self.settings.retries + 1, base_s=0.2, max_s=2.0, what=what, sleep=self.sleep)
        for attempt in policy:
            with attempt:
                self.breaker.call(self._attempt, url, body, headers or {})

    def send(self, platform: str, external_user_id: str, text: str, params: dict[str, Any] | None = None) -> bool:
        """Send ``text`` to the user; False when the platform is not configured or not a messenger.

        Raises TransientError (after the retries), CircuitOpenError or PushRejected on failure.
        """
        user = external_user_id.split(":", 1)[1] if ":" in external_user_id else external_user_id
        if platform == "telegram":
            token = self.telegram.bot_token
            if token is None:
                return False
            url = self.telegram.api_url(f"bot{token.get_secret_value()}/sendMessage")
            self._post("Telegram sendMessage", url, {"chat_id": user, "text": text})
            return True
        if platform == "kakao":
            s = self.settings
            if not s.kakao_bot_id or s.kakao_rest_api_key is None:
                return False
            url = s.api_url(f"v2/bots/{s.kakao_bot_id}/talk")
            body = {"event": {"name": s.kakao_redeemed_event},
                    "user": [{"type": "botUserKey", "id": user}],
                    "params": {"text": text, **{k: str(v) for k, v in (params or {}).items()}}}
            self._post("Kakao Event API", url, body,
                       {"Authorization": f"KakaoAK {s.kakao_rest_api_key.get_secret_value()}"})
            return True
        return False
