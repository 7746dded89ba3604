"""Coupons and each user's wallet (seed 004 §3.6-3.7)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from naviyam.adapters.db.models.base import (
    AwareDateTime, Base, BigIdKey, DefaultNow, IntArray, JsonType, TextArray, one_of,
)
from naviyam.domain.vocabulary import ACQUISITION_SOURCES, COUPON_TYPES, COUPON_USAGE_TYPES, WALLET_STATUSES


class Coupon(Base):
    __tablename__ = "coupons"
    __table_args__ = (
        CheckConstraint(one_of("coupon_type", COUPON_TYPES), name="coupons_type_check"),
        CheckConstraint(one_of("usage_type", COUPON_USAGE_TYPES), name="coupons_usage_type_check"),
        CheckConstraint("discount_amount IS NULL OR discount_amount > 0", name="coupons_amount_check"),
        CheckConstraint(
            "discount_rate IS NULL OR (discount_rate > 0 AND discount_rate <= 1)",
            name="coupons_rate_check",
        ),
        CheckConstraint(
            "(discount_amount IS NOT NULL AND discount_rate IS NULL) OR "
            "(discount_amount IS NULL AND discount_rate IS NOT NULL)",
            name="coupons_discount_check",
        ),
        CheckConstraint("valid_until >= valid_from", name="coupons_valid_period"),
        CheckConstraint("priority_score >= 0 AND priority_score <= 1", name="coupons_priority_check"),
        CheckConstraint("min_order_amount >= 0", name="coupons_min_order_check"),
    )

    id: Mapped[str] = mapped_column(String(50), primary_key=True)
    coupon_name: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    coupon_type: Mapped[str] = mapped_column(String(30), nullable=False)
    discount_amount: Mapped[int | None] = mapped_column(Integer)
    discount_rate: Mapped[Decimal | None] = mapped_column(Numeric(3, 2))
    max_discount_amount: Mapped[int | None] = mapped_column(Integer)
    min_order_amount: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    usage_type: Mapped[str] = mapped_column(String(30), nullable=False, index=True)
    target_categories: Mapped[list[str] | None] = mapped_column(TextArray)
    applicable_shop_ids: Mapped[list[int] | None] = mapped_column(IntArray)
    target_user_types: Mapped[list[str] | None] = mapped_column(TextArray)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_until: Mapped[date] = mapped_column(Date, nullable=False)
    max_issue_count: Mapped[int | None] = mapped_column(Integer)
    max_use_per_user: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    total_issued: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    total_used: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    priority_score: Mapped[Decimal] = mapped_column(Numeric(3, 2), nullable=False, default=Decimal("0.50"))
    created_at: Mapped[DefaultNow]
    created_by: Mapped[str | None] = mapped_column(String(100))


class UserCouponWallet(Base):
    __tablename__ = "user_coupon_wallet"
    __table_args__ = (
        CheckConstraint(one_of("status", WALLET_STATUSES), name="wallet_status_check"),
        CheckConstraint(one_of("acquisition_source", ACQUISITION_SOURCES), name="wallet_source_check"),
        CheckConstraint(
            "(status = 'USED' AND used_at IS NOT NULL) OR (status != 'USED' AND used_at IS NULL)",
            name="user_coupon_status_check",
        ),
        CheckConstraint("usage_probability >= 0 AND usage_probability <= 1", name="wallet_prob_check"),
        CheckConstraint("expires_at >= issued_at", name="wallet_expiry_check"),
        CheckConstraint(
            "status != 'RESERVED' OR (reservation_code IS NOT NULL AND reserved_shop_id IS NOT NULL "
            "AND reservation_expires_at IS NOT NULL)",
            name="wallet_reservation_check",
        ),
    )

    id: Mapped[BigIdKey]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    coupon_id: Mapped[str] = mapped_column(ForeignKey("coupons.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False, default="ACTIVE")
    issued_at: Mapped[DefaultNow]
    issued_by: Mapped[str] = mapped_column(String(100), nullable=False, default="SYSTEM")
    acquisition_source: Mapped[str] = mapped_column(String(50), nullable=False)
    acquisition_context: Mapped[dict | None] = mapped_column(JsonType)
    used_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    used_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    used_order_amount: Mapped[int | None] = mapped_column(Integer)
    discount_applied: Mapped[int | None] = mapped_column(Integer)
    # Idempotency key of the redemption that used this coupon (issue 4).
    redemption_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime(), nullable=False)
    expiry_notified: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    usage_probability: Mapped[Decimal] = mapped_column(Numeric(4, 3), nullable=False, default=Decimal("0.5"))
    recommended_usage_date: Mapped[date | None] = mapped_column(Date)
    # The reservation made when the child chose an option (issue 13). The code stays after a
    # release or a redemption so a late scan answers "already used/expired", not "unknown".
    reservation_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    reserved_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    reservation_expires_at: Mapped[datetime | None] = mapped_column(AwareDateTime(), index=True)
    reserved_shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id"))
    reserved_menu_id: Mapped[int | None] = mapped_column(Integer)

    coupon: Mapped[Coupon] = relationship()
