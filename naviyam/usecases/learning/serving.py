"""Which ranker serves a request: the model registry, read through a short-lived snapshot.

``ranker_for(user_key)``: production serves everyone except the hashed canary share, which
gets the candidate (``naviyam.shared.canary.served_version``: the split that ``version_for``
and the NLU adapter router apply too).
The registry is not queried on every turn: its serving rows are cached as a small snapshot
(``registry:recommendation``, NAVIYAM_REGISTRY_REFRESH_S, 30 s) in the cache layer (Redis
when configured, so every process sees the same snapshot; ``register`` and ``judge_canary``
drop it). The action server keeps the (at most two) registered versions loaded
(``naviyam.adapters.ranking_model.get_registered_ranker``) and forgets the ones the registry
stopped serving. With an empty registry, or ``NAVIYAM_RANKER_VERSION`` pinned, today's
behaviour stays: the pinned or latest ranker on disk, or the popularity baseline.
"""
from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.orm import Session

from naviyam.adapters.cache import get_cache
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.ranking_model import get_ranker, get_registered_ranker, keep_registered
from naviyam.config import get_learning_settings, get_recommend_settings
from naviyam.shared.canary import served_version
from naviyam.shared.cache_keys import registry_key

log = logging.getLogger(__name__)

KIND = "recommendation"


def _read(session: Session, kind: str) -> dict[str, Any]:
    from naviyam.usecases.learning.registry import serving_rows

    production, canary = serving_rows(session, kind)
    return {"production": {"version": production.version, "path": production.model_path} if production else None,
            "canary": {"version": canary.version, "path": canary.model_path,
                       "percent": float(canary.traffic_percentage)} if canary else None}


def snapshot(session: Session, kind: str = KIND) -> dict[str, Any]:
    """The registry's serving versions of ``kind``, from the cache when fresh."""
    ttl = get_learning_settings().registry_refresh_s
    key = registry_key(kind)
    cache = None
    if ttl > 0:
        try:
            cache = get_cache()
            cached = cache.get(key)
            if isinstance(cached, dict) and "production" in cached:
                return cached
        except Exception:  # noqa: BLE001 - the database is the source of truth
            log.warning("Registry snapshot cache unavailable", exc_info=True)
            cache = None
    state = _read(session, kind)
    if cache is not None:
        try:
            cache.set(key, state, max(1, int(round(ttl))))
        except Exception:  # noqa: BLE001
            log.warning("Could not cache the registry snapshot", exc_info=True)
    return state


def read_snapshot(kind: str) -> dict[str, Any]:
    """``snapshot`` for a process outside a request (the LLM model server's refresh)."""
    with unit_of_work() as session:
        return snapshot(session, kind)


def forget_snapshot(kind: str = KIND) -> None:
    """Drop the cached snapshot (after the registry changed)."""
    try:
        get_cache().delete(registry_key(kind))
    except Exception:  # noqa: BLE001 - the TTL expires it anyway
        log.warning("Could not drop the registry snapshot", exc_info=True)


def ranker_for(session: Session, user_key: str | None):
    """The ranker for this user: the registry's production or canary version (see module doc)."""
    rsettings = get_recommend_settings()
    if rsettings.ranker_version:          # an operator's pin wins over the registry
        return get_ranker(rsettings.ranker_dir, rsettings.ranker_version)
    state = snapshot(session)
    entries = [e for e in (state.get("production"), state.get("canary")) if e]
    if not entries:
        return get_ranker(rsettings.ranker_dir, None)
    keep_registered({(str(e["path"]), str(e["version"])) for e in entries})
    chosen = served_version(state, user_key or "anonymous", KIND)
    for entry in ([chosen] if chosen else []) + [state.get("production")]:
        if entry:
            scorer = get_registered_ranker(entry["path"], entry["version"])
            if scorer is not None:
                return scorer
    return get_ranker(rsettings.ranker_dir, None)
