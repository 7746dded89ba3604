"""Popularity EMA, quality scores and daily shop aggregates from the logged recommendations.

Each job reads ``recommendations_log`` (shown lists = impressions, ``user_final_selection``
= choices, ``feedback_rating`` = feedback; ``recommendation_feedback`` belongs to the
feedback work), computes everything first and writes in one transaction: a failure leaves
the old scores in place. The arithmetic is ``naviyam.domain.learning``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import RecommendationLog, Shop
from naviyam.adapters.db.models.learning import ShopDailyStat
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain.learning import ShopWindow, popularity_update, quality_score

POPULARITY_WINDOW = timedelta(minutes=5)
QUALITY_WINDOW = timedelta(days=30)


def shop_windows(session: Session, start: datetime, end: datetime) -> dict[int, ShopWindow]:
    """Impressions, choices and ratings per shop among the lists logged in [start, end)."""
    counts: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0])
    rows = session.execute(select(RecommendationLog.recommendations, RecommendationLog.user_final_selection,
                                  RecommendationLog.feedback_rating)
                           .where(RecommendationLog.timestamp >= start, RecommendationLog.timestamp < end))
    for shown, chosen, rating in rows:
        for item in shown or []:
            shop = item.get("shop_id") if isinstance(item, dict) else None
            if shop is not None:
                counts[int(shop)][0] += 1
        if chosen is not None:
            counts[int(chosen)][1] += 1
            if rating is not None:
                counts[int(chosen)][2] += float(rating)
                counts[int(chosen)][3] += 1
    return {shop: ShopWindow(int(c[0]), int(c[1]), c[2], int(c[3])) for shop, c in counts.items()}


def update_popularity(slot: datetime) -> int:
    """``popularity = 0.7·old + 0.3·window score`` for the shops shown in the 5 minutes before ``slot``."""
    with unit_of_work() as session:
        windows = shop_windows(session, slot - POPULARITY_WINDOW, slot)
        if not windows:
            return 0
        shops = session.scalars(select(Shop).where(Shop.id.in_(list(windows)))).all()
        new = popularity_update({s.id: float(s.popularity_score) for s in shops}, windows)
        for shop in shops:
            if shop.id in new:
                shop.popularity_score = Decimal(f"{new[shop.id]:.3f}")
        return len(new)


def update_quality(slot: datetime) -> int:
    """Quality of every rated shop: a Bayesian average of the last 30 days' ratings, prior = current score."""
    with unit_of_work() as session:
        windows = {shop: w for shop, w in shop_windows(session, slot - QUALITY_WINDOW, slot).items()
                   if w.rating_count > 0}
        if not windows:
            return 0
        shops = session.scalars(select(Shop).where(Shop.id.in_(list(windows)))).all()
        for shop in shops:
            w = windows[shop.id]
            shop.quality_score = Decimal(f"{quality_score(float(shop.quality_score), w.rating_sum, w.rating_count):.3f}")
        return len(shops)


def aggregate_day(day: date, tz) -> int:
    """``shop_daily_stats`` of ``day`` (local), replaced whole: running it twice gives the same rows."""
    start = datetime.combine(day, time(0), tzinfo=tz)
    with unit_of_work() as session:
        windows = shop_windows(session, start, start + timedelta(days=1))
        known = set(session.scalars(select(Shop.id).where(Shop.id.in_(list(windows))))) if windows else set()
        session.query(ShopDailyStat).filter(ShopDailyStat.day == day).delete()
        for shop, w in windows.items():
            if shop in known:
                session.add(ShopDailyStat(
                    day=day, shop_id=shop, impressions=w.impressions, selections=w.selections,
                    feedback_count=w.rating_count,
                    avg_rating=Decimal(f"{w.rating_sum / w.rating_count:.3f}") if w.rating_count else None))
        return len(known)
