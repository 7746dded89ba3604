"""Settings of the Rasa server environment: the only module under ``bot/`` that reads the environment.

Typed with pydantic 1's ``BaseSettings`` (rasa 3.6 pins pydantic<1.10.10; the app
environment has its own settings in ``naviyam.config``). Secrets never live in files.
Every class reads its variables when it is instantiated, so a process (or a test) that
changes the environment gets the new values from the next instance. A variable that is
unset, empty or only whitespace takes the default; values are stripped.

``credentials.yml`` may override the non-secret channel options (same names in lower case
without the prefix, e.g. ``callback_budget_seconds`` under the kakao entry); the
environment wins over it. Tokens, secrets and the bot allow-list come from the
environment only.

| variable | default | meaning |
|---|---|---|
| NAVIYAM_DEV_MODE | 0 | 1: local trials and tests only (REST without a token, client `metadata.now`/`platform`) |
| NAVIYAM_REST_TOKEN | (unset: REST refuses all unless dev mode) | bearer token REST clients must send |
| NAVIYAM_PSEUDONYM_KEY | (unset: random per process) | HMAC key of pseudonyms (shared with the app) |
| NAVIYAM_RATE_LIMIT_ADDRESS | 120 | REST messages per minute from one client address, whatever the sender |
| KAKAO_BOT_IDS | (unset: refuse all) | comma-separated Open Builder bot ids allowed to call the skill |
| KAKAO_SKILL_SECRET | (unset: refuse all) | value of the `X-Naviyam-Skill-Secret` header the skill must send |
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
| NAVIYAM_LLM_BACKEND | naviyam | LLM NLU backend: `naviyam` (ml/llm/model_server.py) or `openai` |
| NAVIYAM_LLM_URL | (unset: LLM NLU off) | base URL of the LLM server |
| NAVIYAM_LLM_MODEL | (unset) | model name sent to OpenAI-compatible servers |
| NAVIYAM_LLM_TIMEOUT_MS | 800 | latency budget of the LLM per message |
| NAVIYAM_LLM_API_KEY | (unset) | bearer token for OpenAI-compatible servers |
| RASA_PORT | 5005 | port of the Rasa server (the Telegram poller forwards to it) |
| REDIS_URL | (unset: in-process cache) | Redis for rate limits, channel state and the LLM cache |
| NAVIYAM_ACTION_KEEPALIVE_SECONDS | 15 | an idle connection to the action server is kept this long for the next action call (below the action server's keep-alive timeout) |
"""
from __future__ import annotations

import secrets
import threading
from typing import Any, Mapping

from pydantic import BaseSettings, Field, validator

from naviyam.shared import cache as shared_cache
from naviyam.shared.text_safety import MAX_MESSAGE_CHARS


def _split(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    parts = raw.split(",") if isinstance(raw, str) else list(raw)
    return tuple(str(part).strip() for part in parts if str(part).strip())


class _EnvSettings(BaseSettings):
    """Exact variable names; blank means unset; values stripped; immutable."""

    class Config:
        case_sensitive = True
        anystr_strip_whitespace = True
        frozen = True

        @classmethod
        def parse_env_var(cls, field_name: str, raw_val: str) -> Any:
            # Lists are comma-separated in the environment, not JSON.
            return raw_val

        @classmethod
        def customise_sources(cls, init_settings, env_settings, file_secret_settings):
            def set_env(settings: BaseSettings) -> dict[str, Any]:
                return {key: value for key, value in env_settings(settings).items()
                        if not (isinstance(value, str) and not value.strip())}

            return init_settings, set_env, file_secret_settings

    @validator("*", pre=True)
    def _blank_is_unset(cls, value: Any, field: Any) -> Any:  # noqa: N805 - pydantic validator
        if isinstance(value, str) and not value.strip():
            return field.default
        return value

    @classmethod
    def with_credentials(cls, credentials: Mapping[str, Any] | None, keys: tuple[str, ...]):
        """Environment first, then the non-secret ``keys`` from credentials.yml, then defaults."""
        env_only = cls()
        overrides = {
            key: credentials[key] for key in keys
            if credentials and credentials.get(key) not in (None, "") and key not in env_only.__fields_set__
        }
        return cls(**overrides) if overrides else env_only


_PROCESS_PSEUDONYM_KEY = secrets.token_bytes(32)


def pseudonym_key() -> bytes:
    """``NAVIYAM_PSEUDONYM_KEY``, or a random key of this process: never a bare hash."""
    configured = SecuritySettings().pseudonym_key
    return configured.encode("utf-8") if configured else _PROCESS_PSEUDONYM_KEY


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


class SecuritySettings(_EnvSettings):
    """What only local trials and tests may do, and the REST channel's credential."""

    # 1: dev mode (REST without a token, client metadata.now/platform honoured); never in production
    dev_mode: bool = Field(False, env="NAVIYAM_DEV_MODE")
    # Bearer token of the REST channel; None (and no dev mode): every REST request is refused
    rest_token: str | None = Field(None, env="NAVIYAM_REST_TOKEN")
    # HMAC key of pseudonyms (anonymous Kakao senders); None: a random key per process
    pseudonym_key: str | None = Field(None, env="NAVIYAM_PSEUDONYM_KEY")

    @validator("dev_mode", pre=True)
    def _dev_flag(cls, value: Any) -> bool:  # noqa: N805 - pydantic validator
        return _flag(value)


class DoorSettings(_EnvSettings):
    """Checks at the door of every channel (bot/channels/door.py)."""

    # Messages per window for a user the platform identifies
    rate_limit_known: int = Field(60, env="NAVIYAM_RATE_LIMIT_KNOWN")
    # Messages per window without a platform user id (keyed by IP)
    rate_limit_anonymous: int = Field(10, env="NAVIYAM_RATE_LIMIT_ANONYMOUS")
    # Longest user message read, in characters
    max_message_chars: int = Field(MAX_MESSAGE_CHARS, env="NAVIYAM_MAX_MESSAGE_CHARS")
    # REST messages per window from one client address, whatever sender it names
    rate_limit_address: int = Field(120, env="NAVIYAM_RATE_LIMIT_ADDRESS")
    # Rate-limit window in seconds (not read from the environment: limits are per minute)
    window_seconds: int = Field(60, env=())


class KakaoSettings(_EnvSettings):
    """The KakaoTalk skill channel (bot/channels/kakao.py)."""

    # Open Builder bot ids allowed to call the skill (comma-separated; empty refuses all)
    bot_ids: frozenset[str] = Field(frozenset(), env="KAKAO_BOT_IDS")
    # Shared secret the skill sends in X-Naviyam-Skill-Secret; None refuses all
    skill_secret: str | None = Field(None, env="KAKAO_SKILL_SECRET")
    # Seconds to wait before answering useCallback when a callbackUrl is given
    callback_budget_seconds: float = Field(3.5, env="KAKAO_CALLBACK_BUDGET_SECONDS")
    # Without a callbackUrl, answer with what is ready after this many seconds
    response_limit_seconds: float = Field(4.5, env="KAKAO_RESPONSE_LIMIT_SECONDS")
    # URL prefixes a callbackUrl must start with (comma-separated; empty: https://*.kakao.com)
    callback_url_prefixes: tuple[str, ...] = Field((), env="KAKAO_CALLBACK_URL_PREFIXES")
    # Image for recommendation cards; None: cards are textCards
    card_thumbnail_url: str | None = Field(None, env="KAKAO_CARD_THUMBNAIL_URL")

    @validator("bot_ids", pre=True)
    def _bot_id_set(cls, value: Any) -> frozenset[str]:  # noqa: N805 - pydantic validator
        return frozenset(part.rstrip("!") for part in _split(value))

    def bot_allowed(self, bot_id: str) -> bool:
        """Kakao sends some bot ids with a trailing ``!``: compare without it."""
        return bool(bot_id) and bot_id.strip().rstrip("!") in self.bot_ids

    @validator("callback_url_prefixes", pre=True)
    def _prefix_list(cls, value: Any) -> tuple[str, ...]:  # noqa: N805 - pydantic validator
        return _split(value)

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None = None) -> KakaoSettings:
        return cls.with_credentials(
            credentials, ("callback_budget_seconds", "response_limit_seconds", "card_thumbnail_url"))


class TelegramSettings(_EnvSettings):
    """The Telegram Bot API channel and its development poller (bot/channels/telegram*.py)."""

    # BotFather token; None: the channel answers 503
    bot_token: str | None = Field(None, env="TELEGRAM_BOT_TOKEN")
    # secret_token registered with setWebhook; None: every update is refused
    webhook_secret: str | None = Field(None, env="TELEGRAM_WEBHOOK_SECRET")
    # Bot API base URL (tests point it at a fake), without a trailing slash
    api_base: str = Field("https://api.telegram.org", env="TELEGRAM_API_BASE")

    @validator("api_base")
    def _no_trailing_slash(cls, value: str) -> str:  # noqa: N805 - pydantic validator
        return value.rstrip("/")

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any] | None = None) -> TelegramSettings:
        return cls.with_credentials(credentials, ("api_base",))

    def method_url(self, method: str) -> str:
        return f"{self.api_base}/bot{self.bot_token}/{method}"


class LLMSettings(_EnvSettings):
    """Environment fallbacks of the LLM NLU component (its config.yml options win)."""

    # "naviyam" (ml/llm/model_server.py) or "openai" (any OpenAI-compatible server)
    backend: str = Field("naviyam", env="NAVIYAM_LLM_BACKEND")
    # LLM server base URL; empty: the component is off and DIET's result stands
    url: str = Field("", env="NAVIYAM_LLM_URL")
    # Model name sent to OpenAI-compatible servers
    model: str = Field("", env="NAVIYAM_LLM_MODEL")
    # Latency budget per message in milliseconds, covering every HTTP call
    timeout_ms: float = Field(800, env="NAVIYAM_LLM_TIMEOUT_MS")
    # Bearer token for OpenAI-compatible servers (usually unset)
    api_key: str | None = Field(None, env="NAVIYAM_LLM_API_KEY")


class ServerSettings(_EnvSettings):
    """The Rasa server process and the services it shares with the action server."""

    # Port of the Rasa server (the Telegram poller forwards updates to it)
    rasa_port: int = Field(5005, env="RASA_PORT")
    # Redis for rate limits, channel state and the LLM cache; None: in-process cache
    redis_url: str | None = Field(None, env="REDIS_URL")
    # Seconds an idle connection to the action server stays open for the next action call
    # (bot/action_endpoint.py); keep it below the action server's KEEP_ALIVE_TIMEOUT
    action_keepalive_seconds: float = Field(15.0, env="NAVIYAM_ACTION_KEEPALIVE_SECONDS", gt=0)


_CACHE_LOCK = threading.Lock()


def get_cache() -> shared_cache.Cache:
    """The process-wide cache, configured from ``REDIS_URL`` on first use (once per process).

    A process that configured ``naviyam.shared.cache`` itself (a test) keeps its choice.
    """
    with _CACHE_LOCK:
        if not shared_cache.cache_configured():
            shared_cache.configure_cache(ServerSettings().redis_url)
    return shared_cache.get_cache()


def cache_at(redis_url: str | None) -> shared_cache.Cache:
    """A separate cache at ``redis_url`` (None or empty: in-process), for a component's own option."""
    return shared_cache.make_cache(redis_url or None)


class SchedulerSettings(_EnvSettings):
    """bot/scheduler.py (issue 15): where APScheduler keeps its next run times."""

    # SQLAlchemy URL of the job store (scripts/serve.sh sets it: the app's PostgreSQL, or var/scheduler.db)
    jobstore_url: str = Field("sqlite:///var/scheduler.db", env="NAVIYAM_SCHEDULER_JOBSTORE")
    # this replica's name: its own job-store table (default: the host name)
    replica: str | None = Field(None, env="NAVIYAM_SCHEDULER_ID")
    timezone: str = Field("Asia/Seoul", env="NAVIYAM_TIMEZONE")
