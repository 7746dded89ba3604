"""Atomic, idempotent coupon redemption (issue 4, seed 004 §6.1 ``POST /coupons/apply``).

One redemption is one transaction:

1. If the idempotency key was already used, return that redemption's result (REPLAYED).
2. Lock the user's row (``SELECT ... FOR UPDATE`` on PostgreSQL) so per-user use limits
   hold even when two different wallet rows of one coupon are redeemed at once.
3. Re-check every coupon rule against the shop and the order amount.
4. ``UPDATE user_coupon_wallet SET status='USED', ... WHERE id=? AND status='ACTIVE'
   AND expires_at > now``: only one transaction can move a row out of ACTIVE; a loser
   sees zero rows and gets ALREADY_USED.
5. ``UPDATE coupons SET total_used = total_used + 1`` in the same transaction.

Reservations (issue 13, ``reservation.py``): a RESERVED row is redeemed only with its
``reservation_code`` at its reserved shop before the hold ends (step 4 then matches
``status='RESERVED' AND reservation_code=?``); any other path answers RESERVED, so a coupon
held for one choice is never redeemed for another.

Any error rolls the whole transaction back, so ``used_*`` fields and
``coupons.total_used`` never disagree. A unique-key collision on ``redemption_key``
(the same key raced on two wallet rows) is retried once and then answers as a replay.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.config import get_settings
from naviyam.domain import coupon_rules as rules
from naviyam.domain.coupon_rules import ShopFacts, WalletEntry
from naviyam.usecases.coupons.wallet import forget_wallet_context, load_user_facts, local_date
from naviyam.adapters.db.models import Coupon, Shop, User, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work

log = logging.getLogger(__name__)

REDEEMED = "REDEEMED"
REPLAYED = "REPLAYED"
REJECTED = "REJECTED"

# Rejection reasons beyond the rule codes in rules.py
ALREADY_USED = "ALREADY_USED"
NOT_FOUND = "NOT_FOUND"
NOT_OWNER = "NOT_OWNER"
UNKNOWN_SHOP = "UNKNOWN_SHOP"
BAD_REQUEST = "BAD_REQUEST"
KEY_CONFLICT = "IDEMPOTENCY_KEY_CONFLICT"  # key already used for another wallet row
RESERVED = "RESERVED"                    # held for a chosen option: only its code redeems it
OTHER_SHOP = "OTHER_SHOP"                # the code was reserved at another shop
RESERVATION_EXPIRED = "RESERVATION_EXPIRED"  # the code's hold ran out or was released

MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class RedemptionResult:
    status: str                     # REDEEMED, REPLAYED or REJECTED
    reason: str                     # rules.OK when redeemed/replayed, else a code
    wallet_id: int | None = None
    coupon_id: str | None = None
    discount: int = 0
    order_amount: int | None = None
    final_amount: int | None = None
    used_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status in (REDEEMED, REPLAYED)

    def as_payload(self) -> dict[str, Any]:
        data = asdict(self)
        if self.used_at is not None:
            data["used_at"] = rules.as_utc(self.used_at).isoformat()
        return data


def _rejected(reason: str, wallet_id: int | None = None, coupon_id: str | None = None) -> RedemptionResult:
    return RedemptionResult(REJECTED, reason, wallet_id=wallet_id, coupon_id=coupon_id)


def _replay(row: UserCouponWallet) -> RedemptionResult:
    return RedemptionResult(
        REPLAYED, rules.OK, wallet_id=row.id, coupon_id=row.coupon_id,
        discount=row.discount_applied or 0, order_amount=row.used_order_amount,
        final_amount=rules.final_price(row.used_order_amount or 0, row.discount_applied or 0),
        used_at=row.used_at,
    )


def _find_by_key(session: Session, key: str) -> UserCouponWallet | None:
    return session.scalar(select(UserCouponWallet).where(UserCouponWallet.redemption_key == key))


def _lost_race(session: Session, key: str, row: UserCouponWallet,
               reason: str = ALREADY_USED) -> RedemptionResult:
    """Not redeemable now: a replay if a caller with our own key won, else ``reason``."""
    session.expire_all()
    winner = _find_by_key(session, key)
    if winner is not None and winner.id == row.id:
        return _replay(winner)
    session.refresh(row)
    if row.status == "USED":
        reason = ALREADY_USED  # the most useful answer: this very coupon was just used
    return _rejected(reason, row.id, row.coupon_id)


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None:
        now = now.replace(tzinfo=get_settings().timezone)
    return now.astimezone(timezone.utc)


def redeem_in_session(
    session: Session,
    *,
    shop_id: int,
    order_amount: int,
    idempotency_key: str,
    now: datetime,
    wallet_id: int | None = None,
    user_id: int | None = None,
    coupon_id: str | None = None,
    reservation_code: str | None = None,
) -> RedemptionResult:
    """Redeem inside the caller's transaction (e.g. an order use case). Never commits.

    Or identify it by the ``reservation_code`` a child shows at the shop.

    Identify the coupon by ``wallet_id`` (optionally checked against ``user_id``), or by
    ``(user_id, coupon_id)``: then the user's ACTIVE row of that coupon that expires first.
    """
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        return _rejected(BAD_REQUEST)
    if order_amount is None or int(order_amount) < 0:
        return _rejected(rules.INVALID_PRICE)
    if reservation_code is not None and wallet_id is None:
        wallet_id = session.scalar(select(UserCouponWallet.id)
                                   .where(UserCouponWallet.reservation_code == reservation_code))
        if wallet_id is None:
            return _rejected(NOT_FOUND)
    if wallet_id is None and (user_id is None or coupon_id is None):
        return _rejected(BAD_REQUEST)
    order_amount = int(order_amount)
    now_utc = _utc(now)

    previous = _find_by_key(session, idempotency_key)
    if previous is not None:
        if (wallet_id is not None and previous.id != wallet_id) or \
                (wallet_id is None and (previous.user_id != user_id or previous.coupon_id != coupon_id)):
            return _rejected(KEY_CONFLICT, previous.id, previous.coupon_id)
        return _replay(previous)

    # Find the wallet row's owner, then lock the owner before reading anything else.
    if wallet_id is not None:
        owner = session.scalar(select(UserCouponWallet.user_id).where(UserCouponWallet.id == wallet_id))
        if owner is None:
            return _rejected(NOT_FOUND, wallet_id, coupon_id)
        if user_id is not None and owner != user_id:
            return _rejected(NOT_OWNER, wallet_id, coupon_id)
        user_id = owner
    if session.scalar(select(User.id).where(User.id == user_id).with_for_update()) is None:
        return _rejected(NOT_FOUND, wallet_id, coupon_id)

    # After the lock: another transaction may have finished this key meanwhile.
    previous = _find_by_key(session, idempotency_key)
    if previous is not None:
        return _replay(previous) if previous.user_id == user_id else _rejected(KEY_CONFLICT)

    query = select(UserCouponWallet).options(selectinload(UserCouponWallet.coupon))
    if wallet_id is not None:
        row = session.scalar(query.where(UserCouponWallet.id == wallet_id))
    else:
        row = session.scalar(
            query.where(UserCouponWallet.user_id == user_id, UserCouponWallet.coupon_id == coupon_id,
                        UserCouponWallet.status == "ACTIVE", UserCouponWallet.expires_at > now_utc)
            .order_by(UserCouponWallet.expires_at, UserCouponWallet.id).limit(1)
        )
        if row is None:
            return _rejected(NOT_FOUND, None, coupon_id)
    session.refresh(row)  # the lock may have waited for another redemption of this row
    if row.status == "USED":
        return _lost_race(session, idempotency_key, row)
    refusal = _reservation_refusal(row, reservation_code, shop_id, now_utc)
    if refusal is not None:
        return _rejected(refusal, row.id, row.coupon_id)

    shop = session.get(Shop, shop_id)
    if shop is None:
        return _rejected(UNKNOWN_SHOP, row.id, row.coupon_id)
    verdict = rules.evaluate(
        replace(WalletEntry.from_model(row), status="ACTIVE" if row.status == "RESERVED" else row.status),
        ShopFacts.of(shop), order_amount,
        load_user_facts(session, user_id, now), now, local_date(now),
    )
    if not verdict.applicable:
        # Without row locks (SQLite) a same-key caller may have won meanwhile.
        return _lost_race(session, idempotency_key, row, verdict.reason)

    changed = session.execute(
        update(UserCouponWallet)
        .where(UserCouponWallet.id == row.id, UserCouponWallet.status == row.status,
               true() if row.status == "ACTIVE" else UserCouponWallet.reservation_code == reservation_code,
               UserCouponWallet.expires_at > now_utc)
        .values(status="USED", used_at=now_utc, used_shop_id=shop.id,
                used_order_amount=order_amount, discount_applied=verdict.discount,
                redemption_key=idempotency_key)
        .execution_options(synchronize_session=False)
    ).rowcount
    if changed != 1:
        return _lost_race(session, idempotency_key, row)
    session.execute(
        update(Coupon).where(Coupon.id == row.coupon_id)
        .values(total_used=Coupon.total_used + 1)
        .execution_options(synchronize_session=False)
    )
    forget_wallet_context(session)
    invalidate_after_commit(session, [user_id])
    return RedemptionResult(
        REDEEMED, rules.OK, wallet_id=row.id, coupon_id=row.coupon_id,
        discount=verdict.discount, order_amount=order_amount,
        final_amount=rules.final_price(order_amount, verdict.discount), used_at=now_utc,
    )


def _reservation_refusal(row: UserCouponWallet, code: str | None, shop_id: int,
                         now_utc: datetime) -> str | None:
    """Why a reserved row (or a code) may not be redeemed here, or None."""
    if code is None:
        return RESERVED if row.status == "RESERVED" else None
    if row.status != "RESERVED" or row.reservation_code != code:
        return rules.EXPIRED if row.status == "EXPIRED" else RESERVATION_EXPIRED
    if rules.as_utc(row.reservation_expires_at) <= now_utc:
        return RESERVATION_EXPIRED
    if row.reserved_shop_id != shop_id:
        return OTHER_SHOP
    return None


def redeem(
    url: str | None = None,
    *,
    shop_id: int,
    order_amount: int,
    idempotency_key: str,
    now: datetime,
    wallet_id: int | None = None,
    user_id: int | None = None,
    coupon_id: str | None = None,
    reservation_code: str | None = None,
) -> RedemptionResult:
    """Redeem one coupon in its own transaction; safe to call concurrently and to repeat.

    ``url`` selects the database (default: the configured one). The same
    ``idempotency_key`` always returns the first call's result.
    """
    kwargs = dict(shop_id=shop_id, order_amount=order_amount, idempotency_key=idempotency_key,
                  now=now, wallet_id=wallet_id, user_id=user_id, coupon_id=coupon_id,
                  reservation_code=reservation_code)
    for attempt in (1, 2):
        try:
            with unit_of_work(url) as session:
                result = redeem_in_session(session, **kwargs)
                if result.status == REJECTED:
                    session.rollback()  # nothing to keep; release the user lock early
                return result
        except IntegrityError:
            # Only the unique redemption_key can collide here: the same key won elsewhere.
            if attempt == 2:
                raise
            log.info("Redemption key %s raced; answering from the winner", idempotency_key)
    raise AssertionError("unreachable")
