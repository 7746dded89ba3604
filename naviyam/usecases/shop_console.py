"""What a shop (or an operator system) does in the shop service (issue 13), one transaction each.

- ``redeem_at_shop``: the redeem code the child shows → the atomic redemption
  (``coupons.redemption``, which re-checks shop, minimum order and limits); the child is
  notified after the commit (``notify_redeemed``).
- ``shop_menus`` / ``set_menu_available``: sold out / available again.
- ``set_day_hours``: one weekday's hours (or closed) in ``shops.business_hours``.
- ``today_activity``: today's redemptions and live reservations of one shop.

Shop and menu writes bump ``updated_at``, which changes the catalog fingerprint
(``adapters/db/catalog.py``): the recommender reloads within its refresh interval.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select, update

from naviyam.adapters.db.models import Menu, Shop, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_settings
from naviyam.domain import redeem_code
from naviyam.domain.coupon_rules import as_utc
from naviyam.domain.hours import WEEKDAYS, parse_hhmm
from naviyam.usecases.coupons import redemption
from naviyam.usecases.coupons.redemption import RedemptionResult

log = logging.getLogger(__name__)

# redemption reason → HTTP status of POST /api/v1/redemptions (and the console's message)
HTTP_STATUS = {
    redemption.NOT_FOUND: 404, redemption.ALREADY_USED: 409, redemption.RESERVATION_EXPIRED: 409,
    "EXPIRED": 409, "NOT_IN_WALLET": 409, redemption.OTHER_SHOP: 403, redemption.UNKNOWN_SHOP: 404,
    "MIN_ORDER": 422, "INVALID_PRICE": 422, redemption.BAD_REQUEST: 422, redemption.RESERVED: 409,
}
MESSAGES = {
    redemption.NOT_FOUND: "없는 코드예요. 코드를 다시 확인해 주세요.",
    redemption.ALREADY_USED: "이미 사용된 쿠폰이에요.",
    redemption.RESERVATION_EXPIRED: "예약 시간이 지났거나 취소된 코드예요. 아이에게 다시 골라 달라고 해 주세요.",
    "EXPIRED": "기간이 지난 쿠폰이에요.",
    redemption.OTHER_SHOP: "다른 가게에서 쓰도록 예약된 코드예요.",
    "MIN_ORDER": "최소 주문 금액보다 적어요.",
    "INVALID_PRICE": "주문 금액을 확인해 주세요.",
}


@dataclass(frozen=True)
class RedeemOutcome:
    result: RedemptionResult
    http_status: int
    message: str
    coupon_name: str | None = None
    min_order_amount: int | None = None

    def as_payload(self) -> dict[str, Any]:
        data = self.result.as_payload()
        data.update(message=self.message, coupon_name=self.coupon_name)
        if self.min_order_amount is not None:
            data["min_order_amount"] = self.min_order_amount
        return data


def redeem_at_shop(code: str, shop_id: int, order_amount: int, now: datetime,
                   idempotency_key: str | None = None) -> RedeemOutcome:
    """Redeem the code at ``shop_id``; a rejection changes nothing."""
    normal = redeem_code.normalise(code)
    if normal is None:
        result = redemption.RedemptionResult(redemption.REJECTED, redemption.NOT_FOUND)
        return RedeemOutcome(result, 404, MESSAGES[redemption.NOT_FOUND])
    key = idempotency_key or f"shop:{uuid.uuid4().hex}"
    result = redemption.redeem(shop_id=shop_id, order_amount=order_amount, idempotency_key=key, now=now,
                               reservation_code=normal)
    name, minimum = _coupon_terms(result.coupon_id)
    if result.ok:
        amount = f"{result.discount:,}원 할인, 받을 금액 {result.final_amount:,}원"
        return RedeemOutcome(result, 200, f"쿠폰을 사용했어요: {amount}", name, minimum)
    status = HTTP_STATUS.get(result.reason, 409)
    message = MESSAGES.get(result.reason, "이 쿠폰은 지금 쓸 수 없어요.")
    if result.reason == "MIN_ORDER" and minimum:
        message = f"최소 주문 금액({minimum:,}원)보다 적어요."
    return RedeemOutcome(result, status, message, name, minimum)


REDEEMED_TEXT = "🎟️ 쿠폰이 사용됐어요 ({discount} 할인), 맛있게 드세요! 😋"


def notify_redeemed(wallet_id: int | None, *, push: Any = None) -> bool:
    """Tell the child on their messenger that the shop used their coupon (after the commit).

    Never raises: the redemption stands whatever the messenger does; failures are logged.
    """
    if wallet_id is None:
        return False
    from naviyam.adapters.db.models import User
    from naviyam.adapters.messenger_push import MessengerPush

    with unit_of_work() as session:
        row = session.get(UserCouponWallet, wallet_id)
        user = session.get(User, row.user_id) if row is not None else None
        if user is None or row.status != "USED":
            return False
        platform, external_id, discount = user.platform, user.external_user_id, row.discount_applied or 0
    text = REDEEMED_TEXT.format(discount=f"{discount:,}원")
    try:
        return (push or MessengerPush()).send(platform, external_id, text, {"discount": discount})
    except Exception:  # noqa: BLE001 - the coupon is used either way; the operator sees the log
        log.warning("Could not tell user %s (%s) that coupon row %s was used", external_id, platform,
                    wallet_id, exc_info=True)
        return False


def _coupon_terms(coupon_id: str | None) -> tuple[str | None, int | None]:
    if coupon_id is None:
        return None, None
    from naviyam.adapters.db.models import Coupon

    with unit_of_work() as session:
        coupon = session.get(Coupon, coupon_id)
        return (coupon.coupon_name, coupon.min_order_amount) if coupon else (None, None)


@dataclass(frozen=True)
class MenuLine:
    menu_id: int
    name: str
    price: int
    available: bool


def shop_menus(shop_id: int) -> list[MenuLine]:
    with unit_of_work() as session:
        rows = session.scalars(select(Menu).where(Menu.shop_id == shop_id).order_by(Menu.id)).all()
        return [MenuLine(m.id, m.menu_name, m.price, bool(m.is_available)) for m in rows]


def set_menu_available(shop_id: int, menu_id: int, available: bool) -> bool:
    """Sold out (False) / available again (True); False when the menu is not this shop's."""
    with unit_of_work() as session:
        changed = session.execute(
            update(Menu).where(Menu.id == menu_id, Menu.shop_id == shop_id)
            .values(is_available=available, updated_at=func.now())
            .execution_options(synchronize_session=False)
        ).rowcount
    return changed == 1


def set_day_hours(shop_id: int, weekday: str, *, open_at: str | None, close_at: str | None,
                  closed: bool = False, break_start: str | None = None,
                  break_end: str | None = None) -> dict[str, Any]:
    """Replace one weekday's hours; raises ValueError on a bad time, LookupError on no shop."""
    if weekday not in WEEKDAYS:
        raise ValueError(f"unknown weekday {weekday!r}")
    if closed:
        day: dict[str, Any] = {"closed": True}
    else:
        if parse_hhmm(open_at) is None or parse_hhmm(close_at) is None:
            raise ValueError("open and close must be HH:MM (00:00-24:00)")
        day = {"open": open_at, "close": close_at}
        if break_start or break_end:
            if parse_hhmm(break_start) is None or parse_hhmm(break_end) is None:
                raise ValueError("a break needs break_start and break_end as HH:MM")
            day.update(break_start=break_start, break_end=break_end)
    with unit_of_work() as session:
        shop = session.get(Shop, shop_id, with_for_update=True)
        if shop is None:
            raise LookupError(f"shop {shop_id} does not exist")
        hours = dict(shop.business_hours or {})
        hours[weekday] = day
        shop.business_hours = hours
        shop.updated_at = func.now()
        return hours


def today_weekday(now: datetime) -> str:
    return WEEKDAYS[now.astimezone(get_settings().timezone).weekday()]


def shop_hours(shop_id: int) -> dict[str, Any] | None:
    with unit_of_work() as session:
        shop = session.get(Shop, shop_id)
        return None if shop is None else dict(shop.business_hours or {})


@dataclass
class TodayActivity:
    redemptions: list[dict[str, Any]] = field(default_factory=list)
    reservations: list[dict[str, Any]] = field(default_factory=list)


def today_activity(shop_id: int, now: datetime) -> TodayActivity:
    tz = get_settings().timezone
    local = now.astimezone(tz)
    start = datetime.combine(local.date(), time(0), tz)
    end = start + timedelta(days=1)
    activity = TodayActivity()
    with unit_of_work() as session:
        used = session.scalars(
            select(UserCouponWallet).where(UserCouponWallet.used_shop_id == shop_id,
                                           UserCouponWallet.status == "USED",
                                           UserCouponWallet.used_at >= start, UserCouponWallet.used_at < end)
            .order_by(UserCouponWallet.used_at.desc())).all()
        for row in used:
            activity.redemptions.append({
                "code": row.reservation_code, "coupon_id": row.coupon_id,
                "used_at": as_utc(row.used_at).isoformat(), "order_amount": row.used_order_amount,
                "discount": row.discount_applied})
        held = session.scalars(
            select(UserCouponWallet).where(UserCouponWallet.reserved_shop_id == shop_id,
                                           UserCouponWallet.status == "RESERVED",
                                           UserCouponWallet.reservation_expires_at > now)
            .order_by(UserCouponWallet.reservation_expires_at)).all()
        for row in held:
            activity.reservations.append({
                "code": row.reservation_code, "coupon_id": row.coupon_id,
                "expires_at": as_utc(row.reservation_expires_at).isoformat()})
    return activity
