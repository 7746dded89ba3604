"""One transaction per recommendation turn (issue 11): the answer's log rows and the turn's
conversations row are written together, or not at all."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import Conversation, RecommendationLog, User
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.consent import record_consent
from naviyam.usecases.recommend_turn import recommend_turn
from naviyam.usecases.senders import Sender
from naviyam.usecases.turns import Turn

KST = ZoneInfo("Asia/Seoul")
MONDAY_LUNCH = datetime(2026, 11, 23, 12, 30, tzinfo=KST)


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def _rows(engine, sender: str) -> tuple[int, int]:
    with engine.connect() as conn:
        user = select(User.id).where(User.external_user_id == sender).scalar_subquery()
        logs = conn.execute(select(func.count()).select_from(RecommendationLog)
                            .where(RecommendationLog.user_id == user)).scalar_one()
        turns = conn.execute(select(func.count()).select_from(Conversation)
                             .where(Conversation.user_id == user)).scalar_one()
    return logs, turns


def _request() -> RecommendationRequest:
    return RecommendationRequest(now=MONDAY_LUNCH, text="6천원으로 점심 추천해줘", intent="food_request",
                                 stated_budget=6000, location=(37.5404, 127.0693), location_source="metadata")


def test_the_turn_row_joins_the_recommendations_transaction(loaded_database_url, engine):
    sender = Sender("turn_tx_ok")
    record_consent(sender, MONDAY_LUNCH)     # an agreed user: the rows carry the user id
    result = recommend_turn(sender, _request(),
                            lambda t: Turn(sender=sender, input_text="6천원으로 점심 추천해줘",
                                           response_text="utter_recommend_list", intent="food_request",
                                           recommended_shop_ids=[i.shop_id for i in t.result.items] or None)
                            ).result
    assert result.log_id is not None
    assert _rows(engine, sender.sender_id) == (1, 1)
    with engine.connect() as conn:
        turn = conn.execute(select(Conversation.conversation_turn, Conversation.recommended_shop_ids)
                            .join(User, User.id == Conversation.user_id)
                            .where(User.external_user_id == sender.sender_id)).one()
    assert turn.conversation_turn == 1 and turn.recommended_shop_ids == ([i.shop_id for i in result.items] or None)


def test_a_failing_render_writes_nothing(loaded_database_url, engine):
    sender = Sender("turn_tx_fails")
    record_consent(sender, MONDAY_LUNCH)

    def broken(_turn):
        raise RuntimeError("rendering failed")

    with pytest.raises(RuntimeError):
        recommend_turn(sender, _request(), broken)
    assert _rows(engine, sender.sender_id) == (0, 0)


def _as_written(session, model, row_id: int) -> dict:
    row = session.get(model, row_id)
    return {c.key: getattr(row, c.key) for c in model.__table__.columns if c.key not in ("id", "timestamp")}


@pytest.mark.parametrize("details", [{"method": "HYBRID", "items": 3}, None])
def test_the_log_rows_written_in_one_statement_are_the_orms_rows(db_session, details):
    """``insert_returning_id`` (one statement on PostgreSQL) writes what the ORM writes."""
    from naviyam.adapters.db.conversation_log import insert_returning_id, performance_row
    from naviyam.adapters.db.models import PerformanceLog

    def rows(key: str):
        log = RecommendationLog(session_id=session_uuid(key), request_intent="FOOD_REQUEST",
                                request_entities={"stated_budget": 6000, "food_type": None},
                                recommendations=[{"shop_id": 1, "menu": "김밥"}], recommendation_count=1,
                                recommendation_method="HYBRID", filtering_steps={"timings_ms": {"filters": 1.5}},
                                total_candidates=7, policy_log=None)
        return log, performance_row("recommend", 12.345, {"filters": 1.5}, session_key=key, details=details)

    orm_log, orm_perf = rows("one-statement-orm")
    db_session.add_all([orm_log, orm_perf])
    db_session.flush()
    log_id = insert_returning_id(db_session, *rows("one-statement-cte"))
    db_session.expire_all()
    perf_id = db_session.scalar(select(PerformanceLog.id).where(
        PerformanceLog.session_id == session_uuid("one-statement-cte")))
    assert log_id is not None and perf_id is not None
    written, expected = _as_written(db_session, RecommendationLog, log_id), \
        _as_written(db_session, RecommendationLog, orm_log.id)
    assert written.pop("session_id") != expected.pop("session_id") and written == expected
    written, expected = _as_written(db_session, PerformanceLog, perf_id), \
        _as_written(db_session, PerformanceLog, orm_perf.id)
    assert written.pop("session_id") != expected.pop("session_id") and written == expected
    stored_null = db_session.execute(select(PerformanceLog.id).where(
        PerformanceLog.id.in_([perf_id, orm_perf.id]), PerformanceLog.details.is_(None))).all()
    assert len(stored_null) in (0, 2)   # JSON null or SQL NULL, the same way for both
