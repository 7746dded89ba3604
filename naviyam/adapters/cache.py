"""The app environment's cache: ``naviyam.shared.cache`` configured from the settings.

``REDIS_URL`` (``get_settings().redis_url``) chooses Redis, shared by every process of a
deployment; unset, the in-process cache (embedded default). App code imports
``get_cache`` from here, never from the shared module, so the choice follows the
settings: after ``reset_settings_cache()`` with another ``REDIS_URL`` the next call
switches caches. An instance installed with ``naviyam.shared.cache.set_cache`` (tests)
is kept as long as the configured URL does not change; ``set_cache(None)`` drops it and
the next call builds the configured cache again.

Keys live in ``naviyam.shared.cache_keys``; the TTLs are re-exported here.
"""
from __future__ import annotations

from naviyam.config import get_settings
from naviyam.shared import cache as _shared
from naviyam.shared.cache import (
    TTL_EMBEDDING,
    TTL_NLU_RESULT,
    TTL_RETRIEVAL,
    TTL_SESSION_CONTEXT,
    TTL_USER_MONEY,
    TTL_USER_PROFILE,
    Cache,
    LockNotAcquired,
)

__all__ = [
    "Cache", "LockNotAcquired", "get_cache", "TTL_EMBEDDING", "TTL_NLU_RESULT", "TTL_RETRIEVAL",
    "TTL_SESSION_CONTEXT", "TTL_USER_MONEY", "TTL_USER_PROFILE",
]


def get_cache() -> Cache:
    """The process-wide cache for the configured ``REDIS_URL`` (in-process when unset)."""
    _shared.configure_cache(get_settings().redis_url)  # no-op while the URL is unchanged
    return _shared.get_cache()
