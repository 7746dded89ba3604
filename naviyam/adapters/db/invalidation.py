"""Invalidation of the per-user cache keys that depend on the card balance, wallet or profile.

The keys are named in ``naviyam.shared.cache_keys``; every module that caches something about
one user uses those names, so a balance
change (card sync), a redemption or a newly issued coupon drops all of them at once
(seed 004 §6.3 "CACHE_INVALIDATION_RULES"). TTLs live in ``naviyam.shared.cache``.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import event
from sqlalchemy.orm import Session

from naviyam.adapters.cache import get_cache
from naviyam.shared.cache_keys import user_keys

log = logging.getLogger(__name__)


def invalidate_users(user_ids: Iterable[int]) -> None:
    """Drop every budget/profile/coupon-dependent cache entry of these users now.

    A cache outage must not break a balance update: failures are logged, not raised.
    """
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return
    cache = get_cache()
    try:
        cache.delete(*[key for uid in ids for key in user_keys(uid)])
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
