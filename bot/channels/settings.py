"""Channel settings, read from environment variables (secrets never live in files).

``credentials.yml`` may override the non-secret options per channel (same names in
lower case without the prefix, e.g. ``callback_budget_seconds`` under the kakao entry);
tokens, secrets and the bot allow-list come from the environment only.

| variable | default | meaning |
|---|---|---|
| KAKAO_BOT_IDS | (unset: refuse all) | comma-separated Open Builder bot ids allowed to call the skill |
| KAKAO_CALLBACK_BUDGET_SECONDS | 3.5 | wait this long before answering `useCallback` when a callbackUrl is given (0: always use the callback) |
| KAKAO_RESPONSE_LIMIT_SECONDS | 4.5 | without a callbackUrl, answer with what is ready after this long (Kakao waits 5 s) |
| KAKAO_CALLBACK_URL_PREFIXES | (unset: https://*.kakao.com only) | comma-separated URL prefixes a callbackUrl must start with |
| KAKAO_CARD_THUMBNAIL_URL | (unset) | image for recommendation cards; without it cards are Kakao `textCard`s |
| TELEGRAM_BOT_TOKEN | (unset: channel answers 503) | BotFather token |
| TELEGRAM_WEBHOOK_SECRET | (unset: refuse all) | secret_token registered with setWebhook |
| TELEGRAM_API_BASE | https://api.telegram.org | Bot API base URL (tests point it at a fake) |
| NAVIYAM_RATE_LIMIT_KNOWN | 60 | messages per minute for a user the platform identifies |
| NAVIYAM_RATE_LIMIT_ANONYMOUS | 10 | messages per minute without a platform user id (keyed by IP) |
| NAVIYAM_MAX_MESSAGE_CHARS | 500 | longest user message read |
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from naviyam.shared.text_safety import MAX_MESSAGE_CHARS


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value.strip() if value and value.strip() else None


def _option(name: str, credentials: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    """Environment first, then credentials.yml, then the default."""
    raw = _env(name)
    if raw is None and credentials and credentials.get(key) not in (None, ""):
        raw = str(credentials[key])
    if raw is None:
        return default
    try:
        return type(default)(raw)
    except ValueError as exc:
        raise ValueError(f"Setting {name} must be a {type(default).__name__}, got {raw!r}") from exc


def _split(raw: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (raw or "").split(",") if part.strip())


@dataclass(frozen=True)
class DoorSettings:
    rate_limit_known: int = 60
    rate_limit_anonymous: int = 10
    max_message_chars: int = MAX_MESSAGE_CHARS
    window_seconds: int = 60

    @classmethod
    def from_env(cls) -> DoorSettings:
        return cls(
            rate_limit_known=_option("NAVIYAM_RATE_LIMIT_KNOWN", None, "", 60),
            rate_limit_anonymous=_option("NAVIYAM_RATE_LIMIT_ANONYMOUS", None, "", 10),
            max_message_chars=_option("NAVIYAM_MAX_MESSAGE_CHARS", None, "", MAX_MESSAGE_CHARS),
        )


@dataclass(frozen=True)
class KakaoSettings:
    bot_ids: frozenset[str]
    callback_budget_seconds: float = 3.5
    response_limit_seconds: float = 4.5
    callback_url_prefixes: tuple[str, ...] = ()
    card_thumbnail_url: str | None = None

    @classmethod
    def from_env(cls, credentials: Mapping[str, Any] | None = None) -> KakaoSettings:
        return cls(
            bot_ids=frozenset(_split(_env("KAKAO_BOT_IDS"))),
            callback_budget_seconds=_option(
                "KAKAO_CALLBACK_BUDGET_SECONDS", credentials, "callback_budget_seconds", 3.5
            ),
            response_limit_seconds=_option(
                "KAKAO_RESPONSE_LIMIT_SECONDS", credentials, "response_limit_seconds", 4.5
            ),
            callback_url_prefixes=_split(_env("KAKAO_CALLBACK_URL_PREFIXES")),
            card_thumbnail_url=_option(
                "KAKAO_CARD_THUMBNAIL_URL", credentials, "card_thumbnail_url", ""
            ) or None,
        )


@dataclass(frozen=True)
class TelegramSettings:
    bot_token: str | None
    webhook_secret: str | None
    api_base: str = "https://api.telegram.org"

    @classmethod
    def from_env(cls, credentials: Mapping[str, Any] | None = None) -> TelegramSettings:
        return cls(
            bot_token=_env("TELEGRAM_BOT_TOKEN"),
            webhook_secret=_env("TELEGRAM_WEBHOOK_SECRET"),
            api_base=_option(
                "TELEGRAM_API_BASE", credentials, "api_base", "https://api.telegram.org"
            ).rstrip("/"),
        )

    def method_url(self, method: str) -> str:
        return f"{self.api_base}/bot{self.bot_token}/{method}"
