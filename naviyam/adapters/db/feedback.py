"""Feedback rows and the closure-report queue (caller's transaction; issue 12)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import RecommendationFeedback, Shop, ShopClosureReport


def excluded_shop_ids(session: Session, user_id: int | None, now: datetime) -> set[int]:
    """Shops this user disliked or reported closed, still inside their exclusion period."""
    if user_id is None:
        return set()
    rows = session.scalars(select(RecommendationFeedback.feedback_shop_id).where(
        RecommendationFeedback.user_id == user_id, RecommendationFeedback.excluded_until.is_not(None),
        RecommendationFeedback.excluded_until > now))
    return {int(r) for r in rows}


def find_feedback(session: Session, user_id: int, recommendation_log_id: int | None,
                  shop_id: int) -> RecommendationFeedback | None:
    """The one row per (user, recommendation, shop) a repeated message updates."""
    log_match = (RecommendationFeedback.recommendation_log_id.is_(None) if recommendation_log_id is None
                 else RecommendationFeedback.recommendation_log_id == recommendation_log_id)
    return session.scalar(select(RecommendationFeedback).where(
        RecommendationFeedback.user_id == user_id, log_match,
        RecommendationFeedback.feedback_shop_id == shop_id).with_for_update())


def pending_report(session: Session, user_id: int, shop_id: int) -> ShopClosureReport | None:
    return session.scalar(select(ShopClosureReport).where(
        ShopClosureReport.user_id == user_id, ShopClosureReport.shop_id == shop_id,
        ShopClosureReport.status == "pending"))


def closure_reports(session: Session, status: str | None, limit: int) -> list[dict[str, Any]]:
    """The operator's queue, newest first, with the shop's name and address."""
    stmt = (select(ShopClosureReport, Shop.shop_name, Shop.road_address_name, Shop.address_name)
            .join(Shop, Shop.id == ShopClosureReport.shop_id)
            .order_by(ShopClosureReport.reported_at.desc(), ShopClosureReport.id.desc()).limit(limit))
    if status:
        stmt = stmt.where(ShopClosureReport.status == status)
    return [{"id": r.id, "shop_id": r.shop_id, "shop_name": name, "address": road or address,
             "reported_at": r.reported_at.isoformat(), "status": r.status,
             "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
             "operator_note": r.operator_note}
            for r, name, road, address in session.execute(stmt)]
