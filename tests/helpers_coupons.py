"""Row builders for coupon and balance tests (real models, real database)."""
from __future__ import annotations

import itertools
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from naviyam.adapters.db.models import Coupon, FoodcardUser, Shop, User, UserCouponWallet, UserProfile

_seq = itertools.count(1)


def make_user(session: Session, *, interactions: int = 0, created_at: datetime | None = None,
              agreed: bool = True) -> User:
    """A stored user; ``agreed``: they agreed to the terms and the privacy notice (issue 10)."""
    user = User(external_user_id=f"test-{uuid.uuid4().hex[:12]}", platform="test")
    if agreed:
        user.terms_agreed_at = user.privacy_agreed_at = created_at or datetime.now(timezone.utc)
    if created_at is not None:
        user.created_at = created_at
    session.add(user)
    session.flush()
    session.add(UserProfile(user_id=user.id, interaction_count=interactions))
    session.flush()
    return user


def make_card(session: Session, user: User, **values: Any) -> FoodcardUser:
    data: dict[str, Any] = dict(card_number=f"9410-{uuid.uuid4().hex[:12]}", card_type="아동급식카드",
                                target_age_group="중학생", status="ACTIVE", balance=20000,
                                balance_alert_threshold=5000)
    data.update(values)
    for key, value in data.items():  # SQLite keeps wall time only: store instants in UTC
        if isinstance(value, datetime):
            data[key] = value.astimezone(timezone.utc)
    card = FoodcardUser(user_id=user.id, **data)
    session.add(card)
    session.flush()
    return card


def make_shop(session: Session, *, category: str = "한식", foodcard: str = "Y") -> Shop:
    n = next(_seq)
    shop = Shop(shop_name=f"테스트 식당 {uuid.uuid4().hex[:6]}", category=category,
                address_name=f"서울 관악구 테스트로 {n}", is_food_card_shop=foodcard,
                latitude=Decimal("37.4780"), longitude=Decimal("126.9520"))
    session.add(shop)
    session.flush()
    return shop


def make_coupon(session: Session, today: date, **values: Any) -> Coupon:
    data: dict[str, Any] = dict(
        id=f"T{uuid.uuid4().hex[:10].upper()}", coupon_name="테스트 쿠폰", description="테스트용",
        coupon_type="FIXED_AMOUNT", discount_amount=1000, usage_type="ALL",
        valid_from=today - timedelta(days=30), valid_until=today + timedelta(days=30),
        max_use_per_user=1, is_active=True,
    )
    data.update(values)
    if data.get("discount_rate") is not None:
        data.setdefault("coupon_type", "PERCENTAGE")
        data["discount_amount"] = values.get("discount_amount")
    coupon = Coupon(**data)
    session.add(coupon)
    session.flush()
    return coupon


def give(session: Session, user: User, coupon: Coupon, now: datetime, *, days: float = 7,
         status: str = "ACTIVE", source: str = "PROMOTION", issued_at: datetime | None = None,
         **values: Any) -> UserCouponWallet:
    issued = (issued_at or now - timedelta(hours=1)).astimezone(timezone.utc)
    row = UserCouponWallet(user_id=user.id, coupon_id=coupon.id, status=status, issued_at=issued,
                           acquisition_source=source,
                           expires_at=max(issued, (now + timedelta(days=days)).astimezone(timezone.utc)),
                           **values)
    session.add(row)
    session.flush()
    return row
