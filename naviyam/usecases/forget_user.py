"""The right to be forgotten (seed 000 §6.2): erase one user from every store we own.

``forget_user`` removes, for one ``users.external_user_id`` (which is also the Rasa
sender id, see ``naviyam.adapters.db.users.split_sender``):

- database, in ONE transaction: the ``users`` row and every row about that user:
  ``user_profiles``, ``foodcard_users``, ``user_coupon_wallet``, ``conversations``,
  ``recommendations_log``, ``performance_logs``, ``conversation_contexts``, the feedback rows,
  and the learning loop's rows (``nlu_training_data``, ``training_data_queue``, reminders).
  Rasa's broker table ``events`` is not touched here: the daily ``event-retention`` job
  deletes consumed events older than a week (docs/DATA_LIFECYCLE.md). Log rows
  are deleted, not anonymised: their ``session_id`` is derived from the sender id
  (``naviyam.adapters.db.conversation_log.session_uuid``), so a row with ``user_id`` set to NULL
  would still point at the person. Rows are matched by ``user_id`` or by that
  session id, which also catches rows written before the user row existed.
- cache: the per-user keys of ``naviyam.adapters.db.invalidation`` (profile, preferences,
  budget, coupons, cached recommendations), the card-link attempt counters (any day) and the
  channels' per-sender keys (rate-limit and abuse counters, the Kakao choice map, the
  Telegram chat's last shared position).
- Rasa's tracker (the conversation's events, including every message text) when the
  Redis tracker store is configured (``REDIS_URL``; scripts/render_endpoints.py).

A sender who never agreed to the privacy notice has no ``users`` row, only an anonymous
turn log (docs/SECURITY.md "Consent"); with ``anonymous=True`` (the chat's "내 정보 삭제")
those log rows, the per-sender cache keys and the tracker are deleted for them too and
the report has ``user_id`` None; otherwise such a sender raises :class:`UnknownUser`.

Cache and tracker are deleted inside the database transaction, after the rows are
gone and before the commit: if Redis fails the database rolls back too and the
operator simply runs the command again. The cache keys are dropped once more after
the commit, in case a request re-cached the profile in between.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from naviyam.adapters.cache import get_cache
from naviyam.config import get_lifecycle_settings, get_settings
from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import (
    Conversation,
    ConversationContext,
    FoodcardUser,
    PerformanceLog,
    RecommendationFeedback,
    RecommendationLog,
    ShopClosureReport,
    User,
    UserCouponWallet,
    UserProfile,
)
from naviyam.adapters.db.models.learning import NluTrainingRow, ReminderOptOut, ReminderSent, TrainingDataQueue
from naviyam.adapters.db.session import unit_of_work
from naviyam.shared.cache_keys import card_link_attempts_prefix, rasa_tracker_key, sender_keys, user_keys

log = logging.getLogger(__name__)


class UnknownUser(LookupError):
    """No users row for that external id (on that platform)."""


@dataclass
class ForgetReport:
    external_user_id: str
    platform: str
    user_id: int | None                                  # None: an anonymous sender (no users row)
    rows: dict[str, int] = field(default_factory=dict)   # table -> rows deleted
    cache_keys: list[str] = field(default_factory=list)  # cache keys deleted (without "naviyam:")
    tracker: str = "not configured"                      # what happened to the Rasa tracker

    def __str__(self) -> str:
        lines = [f"forgot user {self.external_user_id} ({self.platform}, id {self.user_id})"]
        lines += [f"  {table}: {count} rows deleted" for table, count in self.rows.items()]
        lines.append(f"  cache: {len(self.cache_keys)} keys deleted (and cached recommendations)")
        lines.append(f"  rasa tracker: {self.tracker}")
        return "\n".join(lines)


def _cache_keys(user_id: int | None, external_user_id: str) -> list[str]:
    keys = dict.fromkeys([*(user_keys(user_id) if user_id is not None else []), *sender_keys(external_user_id)])
    return list(keys)


def _drop_cache(user_id: int | None, external_user_id: str) -> list[str]:
    cache = get_cache()
    keys = _cache_keys(user_id, external_user_id)
    cache.delete(*keys)
    if user_id is not None:   # one attempt counter a day; the one of any day goes
        prefix = card_link_attempts_prefix(user_id)
        cache.delete_prefix(prefix)
        keys.append(prefix + "*")
    return keys


def _drop_tracker(sender_id: str, redis_url: str | None, key_prefix: str | None) -> str:
    if not redis_url:
        return "not in Redis (REDIS_URL unset: Rasa keeps trackers in memory until it restarts)"
    import redis

    key = rasa_tracker_key(sender_id, key_prefix)
    client = redis.Redis.from_url(redis_url, socket_timeout=5, socket_connect_timeout=5)
    try:
        deleted = client.delete(key)
    finally:
        client.close()
    return f"deleted {key}" if deleted else f"no tracker stored under {key}"


def _delete_anonymous_rows(session: Session, external_user_id: str) -> dict[str, int]:
    """The turn log of a sender without a users row (matched by the sender's session id)."""
    sid = session_uuid(external_user_id)

    def run(model, condition) -> int:
        stmt = delete(model).where(condition).execution_options(synchronize_session=False)
        return session.execute(stmt).rowcount or 0

    return {
        "conversations": run(Conversation, Conversation.session_id == sid),
        "recommendations_log": run(RecommendationLog, RecommendationLog.session_id == sid),
        "performance_logs": run(PerformanceLog, PerformanceLog.session_id == sid),
        "conversation_contexts": run(ConversationContext, ConversationContext.session_key == external_user_id),
        **_delete_learning_rows(session, None, sid),
    }


def _delete_learning_rows(session: Session, uid: int | None, sid) -> dict[str, int]:
    """The learning loop's rows about the person (issue 15): their messages as NLU training
    rows, their examples queued for training, their reminders and opt-out."""
    def run(model, *conditions) -> int:
        stmt = delete(model).where(or_(*conditions)).execution_options(synchronize_session=False)
        return session.execute(stmt).rowcount or 0

    rows = {
        "nlu_training_data": run(NluTrainingRow, NluTrainingRow.session_id == sid),
        "training_data_queue": run(TrainingDataQueue, TrainingDataQueue.session_id == sid,
                                   *([TrainingDataQueue.user_id == uid] if uid is not None else [])),
    }
    if uid is not None:
        rows["reminders_sent"] = run(ReminderSent, ReminderSent.user_id == uid)
        rows["reminder_opt_outs"] = run(ReminderOptOut, ReminderOptOut.user_id == uid)
    return rows


def _delete_rows(session: Session, user: User) -> dict[str, int]:
    uid = user.id
    sid = session_uuid(user.external_user_id)

    def run(model, *conditions) -> int:
        stmt = delete(model).where(or_(*conditions)).execution_options(synchronize_session=False)
        return session.execute(stmt).rowcount or 0

    # closure reports stay in the operator's queue without the user (nothing personal remains)
    session.execute(update(ShopClosureReport).where(ShopClosureReport.user_id == uid)
                    .values(user_id=None, feedback_id=None).execution_options(synchronize_session=False))
    rows = {
        "recommendation_feedback": run(RecommendationFeedback, RecommendationFeedback.user_id == uid),
        "conversations": run(Conversation, Conversation.user_id == uid, Conversation.session_id == sid),
        "recommendations_log": run(RecommendationLog, RecommendationLog.user_id == uid,
                                   RecommendationLog.session_id == sid),
        "performance_logs": run(PerformanceLog, PerformanceLog.user_id == uid, PerformanceLog.session_id == sid),
        "conversation_contexts": run(ConversationContext, ConversationContext.user_id == uid,
                                     ConversationContext.session_key == user.external_user_id),
        "user_coupon_wallet": run(UserCouponWallet, UserCouponWallet.user_id == uid),
        "foodcard_users": run(FoodcardUser, FoodcardUser.user_id == uid),
        "user_profiles": run(UserProfile, UserProfile.user_id == uid),
        **_delete_learning_rows(session, uid, sid),
    }
    session.expunge(user)
    rows["users"] = run(User, User.id == uid)
    return rows


def find_user_to_forget(session: Session, external_user_id: str, platform: str | None = None) -> User:
    user = session.scalar(select(User).where(User.external_user_id == external_user_id))
    if user is None:
        raise UnknownUser(f"no user with external id {external_user_id!r}")
    if platform is not None and user.platform != platform:
        raise UnknownUser(f"user {external_user_id!r} is on platform {user.platform!r}, not {platform!r}")
    return user


def forget_user(external_user_id: str, platform: str | None = None, *, url: str | None = None,
                redis_url: str | None = None, tracker_key_prefix: str | None = None,
                anonymous: bool = False) -> ForgetReport:
    """Erase one user everywhere; raises :class:`UnknownUser` if there is no such user.

    ``redis_url`` is where Rasa keeps trackers (default: ``REDIS_URL``, as
    scripts/render_endpoints.py configures Rasa); ``tracker_key_prefix`` the tracker
    store's ``key_prefix`` (default: ``NAVIYAM_RASA_TRACKER_KEY_PREFIX``).
    """
    redis_url = redis_url if redis_url is not None else get_settings().redis_url
    if tracker_key_prefix is None:
        tracker_key_prefix = get_lifecycle_settings().rasa_tracker_key_prefix
    with unit_of_work(url) as session:
        try:
            user = find_user_to_forget(session, external_user_id, platform)
        except UnknownUser:
            if not anonymous or platform is not None:
                raise
            user = None
        if user is None:
            report = ForgetReport(external_user_id=external_user_id, platform="unknown", user_id=None)
            report.rows = _delete_anonymous_rows(session, external_user_id)
        else:
            report = ForgetReport(external_user_id=user.external_user_id, platform=user.platform, user_id=user.id)
            report.rows = _delete_rows(session, user)
        session.flush()
        report.cache_keys = _drop_cache(report.user_id, external_user_id)
        report.tracker = _drop_tracker(external_user_id, redis_url, tracker_key_prefix)
    try:  # a request may have re-cached the profile between our delete and the commit
        _drop_cache(report.user_id, external_user_id)
    except Exception:  # noqa: BLE001 - the first pass succeeded; keys also expire (TTL)
        log.warning("Second cache pass for forgotten user %s failed", report.user_id, exc_info=True)
    log.info("Forgot user %s: %s", report.user_id, report.rows)
    return report

