"""Writing one recommendation to recommendations_log and performance_logs (caller's transaction).

Both rows go in one INSERT statement on PostgreSQL (``insert_returning_id``: one round trip
of a turn's three writes fewer, issue 11); the recommendations_log row exists, with its id in
the answer, before the transaction commits and the child can choose from it.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session

from naviyam.adapters.db.conversation_log import insert_returning_id, performance_row, session_uuid
from naviyam.adapters.db.models import RecommendationLog
from naviyam.domain.recommend.result import RecommendationResult
from naviyam.shared.personal_data import mask_in_context

# The request fields recommendations_log.request_entities keeps.
LOGGED_REQUEST_FIELDS = ("stated_budget", "food_type", "food_type_source", "time_preference", "party_size",
                         "place_name", "taste_preference", "dietary_restrictions",
                         "location_source", "now", "exclude_shop_ids")


def write_recommendation_log(session: Session, result: RecommendationResult) -> None:
    """Add the log rows and set ``result.log_id`` (a later choice is recorded on that row)."""
    request = result.request
    top = [i.score for i in result.items]
    row = RecommendationLog(
        user_id=request.user_id,
        session_id=session_uuid(request.session_key or f"anon-{id(request)}"),
        request_intent=(request.intent or "FOOD_REQUEST").upper()[:50],
        request_entities=mask_in_context({k: v for k, v in request.to_log().items() if k in LOGGED_REQUEST_FIELDS},
                                         request.text, frozenset({"now"})),
        user_latitude=Decimal(f"{request.location[0]:.8f}") if request.location else None,
        user_longitude=Decimal(f"{request.location[1]:.8f}") if request.location else None,
        recommendations=[i.to_payload() for i in result.shown],
        recommendation_count=len(result.items),
        recommendation_method=result.method,
        confidence_score=Decimal(f"{min(1.0, max(top)):.3f}") if top else None,
        total_candidates=result.total_candidates,
        filtering_steps={**result.filtering_steps, "budget": result.budget.to_log(),
                         "ranker": result.ranker, "timings_ms": result.timings_ms},
        diversity_score=Decimal(f"{result.diversity:.3f}"),
        policy_log=result.policy_log,
    )
    timings = performance_row("recommend", result.timings_ms.get("total", 0.0),
                              {k: v for k, v in result.timings_ms.items() if k != "total"},
                              session_key=request.session_key, user_id=request.user_id,
                              details={"method": result.method, "candidates": result.total_candidates,
                                       "items": len(result.items)})
    result.log_id = insert_returning_id(session, row, timings)
