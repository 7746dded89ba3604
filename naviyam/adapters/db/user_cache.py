"""Read-through caching of one user's money facts (card row, wallet), and the coupon-definitions version.

A recommendation turn reads the card row, the wallet with its coupons and the facts the
coupon rules need (8 statements). They change only when the balance, the wallet or the
profile changes, and every such change drops the user's keys (``user_keys`` in
``naviyam.shared.cache_keys``, ``invalidation.py``); so the turn reads them from the cache.

Coupon *definitions* (discount, validity, shops, ``is_active``) are shared by every wallet
that holds the coupon, so a change cannot drop "every user's" keys. Instead a cached
wallet remembers the coupon-definitions version it was read under, and any change to
the ``coupons`` table through a ``Session`` gives the version a new random value (listeners
below: ORM flushes of ``Coupon`` rows, and ``insert``/``update``/``delete`` statements on
the table, except an update of only the issue/use counters). A cached wallet of another
version is read again from the database. Statements written as raw SQL text are not seen:
change coupons through the ORM or a table statement (as the shop console, the operator
API and the importer do), or wait for the TTL.

A session that has already invalidated this user (a redemption, a reservation, a card
sync in the same transaction) reads the database and does not write the cache: its own
writes are not committed yet.
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from naviyam.adapters.cache import get_cache
from naviyam.shared.cache_keys import COUPON_DEFINITIONS_KEY

log = logging.getLogger(__name__)
T = TypeVar("T")
COUNTER_COLUMNS = frozenset({"total_issued", "total_used"})   # not part of any wallet's terms
_CHANGED = "naviyam_coupon_definitions_changed"
_PENDING_USERS = "naviyam_invalidate_users"                   # set by invalidation.invalidate_after_commit


def coupon_definitions_version() -> str:
    """The current version ("0" before any change was seen; "" when the cache is down)."""
    try:
        return str(get_cache().get(COUPON_DEFINITIONS_KEY) or "0")
    except Exception:  # noqa: BLE001 - no cache: read the database
        log.warning("Cache unavailable for the coupon-definitions version", exc_info=True)
        return ""


def bump_coupon_definitions() -> None:
    """A new version: every cached wallet is read again on its next use."""
    try:
        get_cache().set(COUPON_DEFINITIONS_KEY, uuid.uuid4().hex)
    except Exception:  # noqa: BLE001 - logged; the TTL of the wallets bounds the staleness
        log.exception("Could not bump the coupon-definitions version")


def read_through(session: Session, user_id: int, key: str, load: Callable[[], T], *,
                 encode: Callable[[T], Any], decode: Callable[[Any], T], ttl: int,
                 version: str | None = None) -> T:
    """``decode(cache[key])`` when present (and of ``version``), else ``load()``, cached."""
    if int(user_id) in session.info.get(_PENDING_USERS, ()):
        return load()
    cache = get_cache()
    if version != "":
        try:
            raw = cache.get(key)
            if isinstance(raw, dict) and raw.get("version") == version and "data" in raw:
                return decode(raw["data"])
        except Exception:  # noqa: BLE001 - the database is the source of truth
            log.warning("User cache unavailable (%s)", key, exc_info=True)
    value = load()
    if version != "":
        try:
            cache.set(key, {"version": version, "data": encode(value)}, ttl)
        except Exception:  # noqa: BLE001
            log.warning("Could not cache %s", key, exc_info=True)
    return value


# ---- noticing coupon-definition changes --------------------------------------------------

def _mark(session: Session) -> None:
    if not session.info.get(_CHANGED):
        session.info[_CHANGED] = True
    bump_coupon_definitions()   # now, and once more after the commit (as user invalidation does)


def _dml_columns(statement: Any) -> set[str] | None:
    """Columns an UPDATE sets (None: unknown, or not an UPDATE)."""
    values = getattr(statement, "_values", None)
    ordered = getattr(statement, "_ordered_values", None)
    keys = list(values or ()) + [k for k, _v in ordered or ()]
    names = {str(getattr(k, "key", k)) for k in keys}
    return names or None


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    table = getattr(statement, "table", None)
    if getattr(table, "name", None) != "coupons" or not (state.is_update or state.is_delete or state.is_insert):
        return
    if state.is_update:
        columns = _dml_columns(statement)
        if columns is not None and columns <= COUNTER_COLUMNS:
            return
    _mark(state.session)


@event.listens_for(Session, "after_flush")
def _on_flush(session: Session, _context: Any) -> None:
    from sqlalchemy import inspect

    from naviyam.adapters.db.models import Coupon

    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, Coupon):
            _mark(session)
            return
    for obj in session.dirty:
        if isinstance(obj, Coupon):
            attrs = inspect(obj).attrs
            if any(a.history.has_changes() for a in attrs if a.key not in COUNTER_COLUMNS):
                _mark(session)
                return


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        bump_coupon_definitions()


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)
