"""Reserving a coupon for a chosen option, the first step of the reserve → redeem saga (issue 13).

States of a wallet row: ACTIVE --reserve--> RESERVED --redeem (shop, code)--> USED, and the
compensations RESERVED --release (cancel, another choice, expiry job)--> ACTIVE.

- ``reserve_in_session``: inside the choice's transaction, release the user's other
  reservations and hold the chosen coupon (its earliest-expiring usable ACTIVE row) for the
  chosen shop with a fresh redeem code, for ``NAVIYAM_COUPON_RESERVATION_MINUTES``.
- ``cancel_reservations``: "취소할래" (its own transaction).
- ``release_expired``: the job (``python -m naviyam.manage release-reservations``).

Every write locks the user's row first (as redemption does), so a reservation and a redemption
of one user never interleave: a coupon cannot be reserved for one choice and redeemed for another.
The code stays on the row after release or use: a late scan then answers "expired/used".
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.adapters.db.models import Shop, User, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_balance_settings
from naviyam.domain import coupon_rules as rules
from naviyam.domain import redeem_code
from naviyam.domain.coupon_rules import ShopFacts, WalletEntry, as_utc
from naviyam.usecases.coupons.wallet import forget_wallet_context, load_user_facts, local_date, to_utc
from naviyam.usecases.senders import Sender, consented_user_id

log = logging.getLogger(__name__)

CODE_ATTEMPTS = 8


@dataclass(frozen=True)
class Reservation:
    wallet_id: int
    code: str
    expires_at: datetime
    coupon_id: str
    coupon_name: str
    shop_id: int
    discount: int | None = None

    def to_payload(self) -> dict[str, Any]:
        """The REST ``custom`` message's ``reservation`` (ARCHITECTURE.md message contract)."""
        return {"code": self.code, "expires_at": as_utc(self.expires_at).isoformat(),
                "coupon_id": self.coupon_id, "shop_id": self.shop_id}


def _lock_user(session: Session, user_id: int) -> bool:
    return session.scalar(select(User.id).where(User.id == user_id).with_for_update()) is not None


def _release(session: Session, *conditions: Any) -> int:
    count = session.execute(
        update(UserCouponWallet)
        .where(UserCouponWallet.status == "RESERVED", *conditions)
        .values(status="ACTIVE")
        .execution_options(synchronize_session=False)
    ).rowcount or 0
    if count:
        forget_wallet_context(session)
    return count


def _unused_code(session: Session) -> str:
    for _ in range(CODE_ATTEMPTS):
        code = redeem_code.new_code()
        taken = session.scalar(select(UserCouponWallet.id).where(UserCouponWallet.reservation_code == code))
        if taken is None:
            return code
    raise RuntimeError("no free redeem code after several attempts")  # 34M codes: practically never


def _usable_row(session: Session, user_id: int, coupon_id: str, shop: Shop, price: int | None,
                now: datetime) -> tuple[UserCouponWallet, int] | None:
    """The earliest-expiring ACTIVE row of ``coupon_id`` that applies at ``shop`` now."""
    rows = session.scalars(
        select(UserCouponWallet).options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.coupon_id == coupon_id,
               UserCouponWallet.status == "ACTIVE", UserCouponWallet.expires_at > to_utc(now))
        .order_by(UserCouponWallet.expires_at, UserCouponWallet.id)
        .execution_options(populate_existing=True)  # after this transaction's bulk updates
    ).all()
    facts = load_user_facts(session, user_id, now)
    for row in rows:
        if price is None:
            return row, 0
        verdict = rules.evaluate(WalletEntry.from_model(row), ShopFacts.of(shop), int(price), facts,
                                 now, local_date(now))
        if verdict.applicable:
            return row, verdict.discount
    return None


def reserve_in_session(session: Session, *, user_id: int, coupon_id: str | None, shop_id: int,
                       menu_id: int | None, price: int | None, now: datetime) -> Reservation | None:
    """Move the user's reservation to this choice. Never commits (the choice's transaction does).

    Releases whatever the user had reserved, then reserves ``coupon_id`` at ``shop_id`` when it
    still applies to ``price`` there; returns None when there is nothing to reserve.
    """
    if not _lock_user(session, user_id):
        return None
    _release(session, UserCouponWallet.user_id == user_id)
    invalidate_after_commit(session, [user_id])
    shop = session.get(Shop, shop_id)
    if not coupon_id or shop is None:
        return None
    found = _usable_row(session, user_id, coupon_id, shop, price, now)
    if found is None:
        log.info("Coupon %s no longer applies for user %s at shop %s", coupon_id, user_id, shop_id)
        return None
    row, discount = found
    hold = timedelta(minutes=get_balance_settings().reservation_minutes)
    expires = min(to_utc(now) + hold, as_utc(row.expires_at))
    code = _unused_code(session)
    session.execute(
        update(UserCouponWallet)
        .where(UserCouponWallet.id == row.id, UserCouponWallet.status == "ACTIVE")
        .values(status="RESERVED", reservation_code=code, reserved_at=to_utc(now),
                reservation_expires_at=expires, reserved_shop_id=shop_id,
                reserved_menu_id=int(menu_id) if menu_id is not None else None)
        .execution_options(synchronize_session=False)
    )
    forget_wallet_context(session)
    return Reservation(wallet_id=row.id, code=code, expires_at=expires, coupon_id=row.coupon_id,
                       coupon_name=row.coupon.coupon_name, shop_id=shop_id, discount=discount or None)


def cancel_reservations(sender: Sender, now: datetime) -> list[Reservation]:
    """"취소할래": release every reservation of the sender; returns what was released."""
    with unit_of_work() as session:
        user_id = consented_user_id(session, sender)   # no consent: no wallet, nothing held
        if user_id is None or not _lock_user(session, user_id):
            return []
        held = current_reservations(session, user_id, now, include_expired=True)
        _release(session, UserCouponWallet.user_id == user_id)
        invalidate_after_commit(session, [user_id])
    return held


def current_reservations(session: Session, user_id: int, now: datetime, *,
                         include_expired: bool = False) -> list[Reservation]:
    query = (select(UserCouponWallet).options(selectinload(UserCouponWallet.coupon))
             .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status == "RESERVED")
             .order_by(UserCouponWallet.reservation_expires_at)
             .execution_options(populate_existing=True))
    if not include_expired:
        query = query.where(UserCouponWallet.reservation_expires_at > to_utc(now))
    return [_reservation(row) for row in session.scalars(query).all()]


def _reservation(row: UserCouponWallet) -> Reservation:
    return Reservation(wallet_id=row.id, code=row.reservation_code or "", coupon_id=row.coupon_id,
                       expires_at=as_utc(row.reservation_expires_at), coupon_name=row.coupon.coupon_name,
                       shop_id=int(row.reserved_shop_id or 0))


def release_expired(now: datetime, url: str | None = None) -> int:
    """The job: reservations past their hold go back to ACTIVE (the compensation step)."""
    with unit_of_work(url) as session:
        users = session.scalars(
            select(UserCouponWallet.user_id).where(UserCouponWallet.status == "RESERVED",
                                                   UserCouponWallet.reservation_expires_at <= to_utc(now))
        ).all()
        count = _release(session, UserCouponWallet.reservation_expires_at <= to_utc(now))
        invalidate_after_commit(session, set(users))
    if count:
        log.info("Released %d expired coupon reservations", count)
    return count


def as_active(entry: WalletEntry) -> WalletEntry:
    """A reserved row still belongs to its owner's choices (choosing again moves it)."""
    return replace(entry, status="ACTIVE") if entry.status == "RESERVED" else entry
