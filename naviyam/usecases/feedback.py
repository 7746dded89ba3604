"""Feedback that is kept (issue 12): ``give_feedback`` in one transaction, all or nothing.

"맛있었어", "별로였어", "별점 4점", "거기 문 닫았던데" about a recommended shop:
- one ``recommendation_feedback`` row per (user, recommendation, shop) (a repeat updates it);
- ``recommendations_log.feedback_rating`` of that recommendation (when the reading has a rating);
- disliked, rated 1-2 or reported closed: ``excluded_until`` = now + ``NAVIYAM_FEEDBACK_EXCLUDE_DAYS``,
  and the recommender leaves the shop out for this user until then (``excluded_shops``);
- a closure: one pending ``shop_closure_reports`` row for the operator (the shop service lists it).
The answer says what was done (``FeedbackOutcome``), so the bot's thanks is true.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from naviyam.adapters.db import feedback as repo
from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import RecommendationFeedback, RecommendationLog, Shop, ShopClosureReport
from naviyam.adapters.db.profile_queries import invalidate_profile, load_profile
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_recommend_settings
from naviyam.domain.feedback import CLOSED, CLOSURE_STATUSES, RATED, FeedbackReading, read_feedback
from naviyam.usecases.senders import Sender, require_consent


@dataclass(frozen=True)
class FeedbackTarget:
    """The shop the feedback is about, from the conversation (the chosen or a numbered option)."""

    shop_id: int
    recommendation_log_id: int | None
    chosen: bool                          # the user chose this shop (user_action 'selected')
    shown_at: datetime | None = None


@dataclass(frozen=True)
class FeedbackOutcome:
    feedback_id: int
    shop_id: int
    shop_name: str
    reading: FeedbackReading
    excluded_until: datetime | None       # the shop is not recommended to this user until then
    closure_report_id: int | None         # the operator's queue entry of a closure report
    updated: bool                         # an earlier feedback on the same shop was replaced


def give_feedback(sender: Sender, target: FeedbackTarget, text: str, now: datetime,
                  channel: str | None = None) -> FeedbackOutcome:
    """Store one feedback message about ``target`` (raises LookupError for an unknown shop,
    :class:`ConsentRequired` for a sender who has not agreed: feedback is kept against the user)."""
    reading = read_feedback(text)
    with unit_of_work() as session:
        user_id = require_consent(session, sender, now.date())
        outcome = _store(session, user_id, sender.sender_id, target, reading, now, channel)
    invalidate_profile(user_id)
    return outcome


def _store(session: Session, user_id: int, session_key: str, target: FeedbackTarget, reading: FeedbackReading,
           now: datetime, channel: str | None) -> FeedbackOutcome:
    shop = session.get(Shop, target.shop_id)
    if shop is None:
        raise LookupError(f"shop {target.shop_id} does not exist")
    log = session.get(RecommendationLog, target.recommendation_log_id) if target.recommendation_log_id else None
    if log is not None and log.user_id not in (None, user_id):
        log = None                                   # never write on another user's recommendation
    log_id = log.id if log is not None else None
    user_features = _user_features(session, user_id)          # before the new row (no autoflush half-row)
    days = get_recommend_settings().feedback_exclude_days
    excluded_until = now + timedelta(days=days) if reading.excludes_shop and days > 0 else None
    row = repo.find_feedback(session, user_id, log_id, target.shop_id)
    updated = row is not None
    if row is None:
        row = RecommendationFeedback(user_id=user_id, recommendation_log_id=log_id, feedback_shop_id=target.shop_id,
                                     session_id=log.session_id if log is not None else session_uuid(session_key))
        session.add(row)
    row.recommended_shops = _recommended_shops(log)
    row.user_action = "selected" if target.chosen else "viewed"
    row.selected_shop_id = target.shop_id if target.chosen else None
    row.feedback_kind = reading.kind
    row.explicit_rating = reading.rating
    row.implicit_satisfaction = _satisfaction(reading)
    row.action_timestamp = now
    row.time_to_action_ms = (max(0, int((now - target.shown_at).total_seconds() * 1000))
                             if target.shown_at else None)
    row.interaction_details = {"feedback_kind": reading.kind,
                               "rating_source": "said" if reading.kind == RATED else "kind" if reading.rating else None}
    row.context_features = _context(log, now)
    row.user_features = user_features
    row.excluded_until = excluded_until
    row.updated_at = now if updated else None
    row.device_type = channel
    session.flush()
    if log is not None and reading.rating is not None:
        session.execute(update(RecommendationLog).where(RecommendationLog.id == log.id)
                        .values(feedback_rating=reading.rating))
    report_id = _queue_closure(session, user_id, target.shop_id, row.id, now) if reading.kind == CLOSED else None
    return FeedbackOutcome(feedback_id=row.id, shop_id=shop.id, shop_name=shop.shop_name, reading=reading,
                           excluded_until=excluded_until, closure_report_id=report_id, updated=updated)


def _queue_closure(session: Session, user_id: int, shop_id: int, feedback_id: int, now: datetime) -> int:
    report = repo.pending_report(session, user_id, shop_id)
    if report is None:
        report = ShopClosureReport(shop_id=shop_id, user_id=user_id, feedback_id=feedback_id,
                                   reported_at=now, status="pending")
        session.add(report)
        session.flush()
    return report.id


def _recommended_shops(log: RecommendationLog | None) -> list[dict[str, Any]]:
    """Seed 004 §9.9's recommended_shops: shop, rank, score and reason codes as shown."""
    if log is None:
        return []
    return [{"shop_id": item.get("shop_id"), "rank": n, "score": item.get("score"),
             "reason_codes": item.get("reasons") or []}
            for n, item in enumerate(log.recommendations or [], start=1) if isinstance(item, dict)]


def _satisfaction(reading: FeedbackReading) -> Decimal | None:
    if reading.rating is None:
        return Decimal("0.000") if reading.kind == CLOSED else None
    return Decimal(f"{(reading.rating - 1) / 4:.3f}")


def _context(log: RecommendationLog | None, now: datetime) -> dict[str, Any]:
    entities = dict(log.request_entities or {}) if log is not None else {}
    return {"time_of_day": now.strftime("%H:%M"), "day_of_week": now.strftime("%A").lower(),
            "budget": entities.get("stated_budget"), "companions": entities.get("party_size"),
            "food_type": entities.get("food_type"), "intent": log.request_intent if log is not None else None}


def _user_features(session: Session, user_id: int) -> dict[str, Any]:
    profile = load_profile(session, user_id)
    return {"preferred_categories": list(profile.get("preferred_categories") or []),
            "avg_budget": profile.get("average_budget"),
            "total_orders": int(profile.get("interaction_count") or 0)}


def excluded_shops(session: Session, user_id: int | None, now: datetime) -> set[int]:
    """Shops the recommender leaves out for this user now (caller's transaction)."""
    return repo.excluded_shop_ids(session, user_id, now)


def closure_queue(status: str | None = "pending", limit: int = 100) -> list[dict[str, Any]]:
    """The operator's queue of closure reports (shop service)."""
    if status is not None and status not in CLOSURE_STATUSES:
        raise ValueError(f"status must be one of {CLOSURE_STATUSES}")
    with unit_of_work() as session:
        return repo.closure_reports(session, status, limit)


def resolve_closure(report_id: int, status: str, note: str | None, now: datetime) -> dict[str, Any]:
    """The operator confirms or dismisses a report (then edits the shop in the console if needed)."""
    if status not in ("confirmed", "dismissed"):
        raise ValueError("status must be confirmed or dismissed")
    with unit_of_work() as session:
        report = session.get(ShopClosureReport, report_id)
        if report is None:
            raise LookupError(f"closure report {report_id} does not exist")
        report.status, report.resolved_at, report.operator_note = status, now, (note or None)
        session.flush()
        return {"id": report.id, "shop_id": report.shop_id, "status": report.status,
                "resolved_at": now.isoformat(), "operator_note": report.operator_note}
