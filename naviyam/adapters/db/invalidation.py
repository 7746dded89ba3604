"""Per-user cache keys that depend on the card balance, wallet or profile, and their invalidation.

Every module that caches something about one user uses these names, so a balance
change (card sync), a redemption or a newly issued coupon drops all of them at once
(seed 004 §6.3 "CACHE_INVALIDATION_RULES"). TTLs live in ``naviyam.shared.cache``.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from naviyam.shared.cache import get_cache

log = logging.getLogger(__name__)


def profile_key(user_id: int) -> str:
    return f"user:{user_id}:profile"


def preferences_key(user_id: int) -> str:
    return f"user:{user_id}:preferences"


def budget_key(user_id: int) -> str:
    return f"user:{user_id}:budget"


def coupons_key(user_id: int) -> str:
    return f"user:{user_id}:coupons"


def recommendations_prefix(user_id: int) -> str:
    """Prefix of cached recommendation pages/results of one user."""
    return f"recommendations:{user_id}:"


def user_keys(user_id: int) -> list[str]:
    return [profile_key(user_id), preferences_key(user_id), budget_key(user_id), coupons_key(user_id)]


def invalidate_users(user_ids: Iterable[int]) -> None:
    """Drop every budget/profile/coupon-dependent cache entry of these users now.

    A cache outage must not break a balance update: failures are logged, not raised.
    """
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return
    cache = get_cache()
    try:
        keys = [key for uid in ids for key in user_keys(uid)]
        cache.delete(*keys)
        for uid in ids:
            cache.delete_prefix(recommendations_prefix(uid))
    except Exception:  # noqa: BLE001 - the database stays the source of truth
        log.exception("Could not invalidate cache entries of users %s", ids)


def invalidate_after_commit(session: Session, user_ids: Iterable[int]) -> None:
    """Invalidate now and once more when ``session`` commits.

    The second pass closes the window where a reader re-caches the old values between
    our delete and our commit.
    """
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return
    invalidate_users(ids)
    pending: set[int] = session.info.setdefault("naviyam_invalidate_users", set())
    if not pending:
        def _after_commit(sess: Session) -> None:
            users = sess.info.pop("naviyam_invalidate_users", set())
            invalidate_users(users)

        event.listen(session, "after_commit", _after_commit, once=True)
    pending.update(ids)
