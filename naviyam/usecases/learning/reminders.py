"""Reminders pushed outside a conversation: low meal-card balance, a coupon expiring within 24 hours.

Never during quiet hours (NAVIYAM_QUIET_HOURS, default 21:00-08:00 local), never to a user
in ``reminder_opt_outs``, at most once per (user, reason): a ``reminders_sent`` row is
claimed before the push (so two replicas never both send) and removed again when the push
did not go out, so the next run retries. Pushes go through ``adapters.messenger_push``
(Kakao Event API, Telegram) outside any database transaction.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from naviyam.adapters.db.models import Coupon, FoodcardUser, User, UserCouponWallet
from naviyam.adapters.db.models.learning import ReminderOptOut, ReminderSent
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.messenger_push import MessengerPush
from naviyam.config import get_learning_settings, get_settings

log = logging.getLogger(__name__)
MESSENGERS = ("kakao", "telegram")
LOW_BALANCE_TEXT = "💳 급식카드 잔액이 {balance:,}원 남았어요. 필요하면 '잔액'이라고 물어봐 주세요!"
COUPON_TEXT = "🎟️ '{name}' 쿠폰이 내일 이맘때 끝나요. 오늘 써 보는 건 어때요?"


def in_quiet_hours(now: datetime) -> bool:
    start, end = get_learning_settings().quiet_hours
    hour = now.astimezone(get_settings().timezone).hour
    return hour >= start or hour < end if start > end else start <= hour < end


def _candidates(now: datetime) -> list[tuple[int, str, str, str, str, str]]:
    """(user id, platform, external id, kind, ref key, text) of every reminder due now."""
    local_day = now.astimezone(get_settings().timezone).date().isoformat()
    out = []
    with unit_of_work() as session:
        opted_out = select(ReminderOptOut.user_id)
        low = session.execute(
            select(User.id, User.platform, User.external_user_id, FoodcardUser.balance)
            .join(FoodcardUser, FoodcardUser.user_id == User.id)
            .where(FoodcardUser.status == "ACTIVE", FoodcardUser.balance < FoodcardUser.balance_alert_threshold,
                   User.platform.in_(MESSENGERS), User.id.not_in(opted_out)))
        for user_id, platform, external, balance in low:
            out.append((user_id, platform, external, "low_balance", f"day:{local_day}",
                        LOW_BALANCE_TEXT.format(balance=int(balance))))
        expiring = session.execute(
            select(User.id, User.platform, User.external_user_id, UserCouponWallet.id, UserCouponWallet.coupon_id)
            .join(UserCouponWallet, UserCouponWallet.user_id == User.id)
            .where(UserCouponWallet.status == "ACTIVE", UserCouponWallet.expires_at > now,
                   UserCouponWallet.expires_at <= now + timedelta(hours=24),
                   User.platform.in_(MESSENGERS), User.id.not_in(opted_out)))
        for user_id, platform, external, wallet_id, coupon_id in expiring:
            name = session.scalar(select(Coupon.coupon_name).where(Coupon.id == coupon_id)) or "쿠폰"
            out.append((user_id, platform, external, "coupon_expiring", f"wallet:{wallet_id}",
                        COUPON_TEXT.format(name=name)))
    return out


def _claim(user_id: int, kind: str, ref: str) -> bool:
    try:
        with unit_of_work() as session:
            session.add(ReminderSent(user_id=user_id, kind=kind, ref_key=ref))
        return True
    except IntegrityError:
        return False


def send_reminders(now: datetime, push: MessengerPush | None = None) -> int:
    """Push every due reminder once; returns how many went out."""
    now = now.astimezone(timezone.utc)
    if in_quiet_hours(now):
        return 0
    push = push or MessengerPush()
    sent = 0
    for user_id, platform, external, kind, ref, text in _candidates(now):
        if not _claim(user_id, kind, ref):
            continue
        try:
            delivered = push.send(platform, external, text)
        except Exception as exc:  # noqa: BLE001 - retried next run
            log.warning("reminder %s to user %s failed: %s", kind, user_id, exc)
            delivered = False
        if delivered:
            sent += 1
        else:
            with unit_of_work() as session:
                session.execute(delete(ReminderSent).where(ReminderSent.user_id == user_id,
                                                           ReminderSent.kind == kind, ReminderSent.ref_key == ref))
    return sent
