"""Rasa's Redis lock store with atomic ticket changes, safe for several Rasa processes.

Rasa serialises the turns of one conversation with a ticket lock (``rasa.core.lock``):
each message takes the next ticket and waits until it is the first in the queue. Rasa
3.6's ``RedisLockStore`` keeps that queue in one Redis key but changes it by
read-modify-write (``get_lock`` ... ``save_lock``) with nothing in between to stop another
process. Two Rasa processes (Sanic workers, or servers behind a load balancer) that take a
ticket for the same sender at the same moment both read the same queue, both append the
same ticket number and both save: two turns then run at once, both read the same tracker
and the second save drops the first turn's events (seen in tests/e2e/test_scale_out.py:
one of eight concurrent user messages missing). Rasa Pro's ConcurrentRedisLockStore fixes
this; Rasa Open Source does not have it.

``AtomicRedisLockStore`` is that lock store with every change of the queue (issue a
ticket, drop expired tickets, finish a ticket and delete the empty lock) done in one
optimistic Redis transaction (``WATCH`` the key, compute, ``MULTI``/``EXEC``; redis-py
retries when another process changed the key meanwhile). Reads, the key layout and the
ticket algorithm stay Rasa's. It is registered through endpoints.yml, Rasa's extension
point for custom lock stores (scripts/render_endpoints.py writes it with REDIS_URL):

    lock_store:
      type: bot.lock_store.AtomicRedisLockStore
      url: 127.0.0.1
      port: 6379
      db: 0
      key_prefix: naviyam
      wait_time_in_seconds: 0.05   # how often a waiting turn looks again (Rasa: 1 s)

Rasa lets ``SANIC_WORKERS`` above 1 only with a lock store other than the in-memory
one, which this is (a subclass of ``RedisLockStore``).
"""
from __future__ import annotations

import json
import logging
from typing import Any, Callable, Optional, Text, Tuple, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

logger = logging.getLogger(__name__)

T = TypeVar("T")
DEFAULT_WAIT_TIME_S = 0.05


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose ticket queue changes are atomic across processes."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None,
                 wait_time_in_seconds: float = DEFAULT_WAIT_TIME_S, **kwargs: Any) -> None:
        options = dict(endpoint_config.kwargs) if endpoint_config is not None else {}
        options.update(kwargs)
        self.wait_time_in_seconds = float(options.pop("wait_time_in_seconds", wait_time_in_seconds))
        host = options.pop("host", None) or (endpoint_config.url if endpoint_config is not None else None)
        super().__init__(host=host or "localhost", **options)

    # ------------------------------------------------------------------ one atomic change

    def _change(self, conversation_id: Text,
                change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], bool, T]]) -> T:
        """Apply ``change`` to the stored lock in one transaction.

        ``change(lock or None)`` returns ``(lock, keep, result)``: the lock is saved when
        ``keep``, the key deleted otherwise (a ``None`` lock with ``keep`` leaves it as it is).
        """
        key = self.key_prefix + conversation_id
        outcome: dict[str, Any] = {}

        def attempt(pipe: Any) -> None:
            raw = pipe.get(key)
            current = TicketLock.from_dict(json.loads(raw)) if raw else None
            updated, keep, outcome["result"] = change(current)
            pipe.multi()
            if not keep:
                pipe.delete(key)
            elif updated is not None:
                pipe.set(key, updated.dumps())

        self.red.transaction(attempt, key)
        return outcome["result"]

    # ------------------------------------------------------------------ Rasa's operations

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def take(lock: Optional[TicketLock]) -> Tuple[TicketLock, bool, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, True, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, take)
        except Exception as error:  # as Rasa's: the channel answers with its error
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, True, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, True, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        """Finish the ticket and delete the lock if no one waits, in one step (Rasa: three)."""
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], bool, None]:
            if lock is None:
                return None, True, None
            lock.remove_ticket_for(ticket_number)
            return lock, lock.is_someone_waiting(), None

        self._change(conversation_id, finish)

    def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
             wait_time_in_seconds: Optional[float] = None) -> Any:
        """Rasa's ticket lock; a waiting turn looks again every ``wait_time_in_seconds``."""
        if wait_time_in_seconds is None:
            wait_time_in_seconds = self.wait_time_in_seconds
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)
