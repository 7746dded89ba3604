"""One transaction per recommendation turn (issue 11): the answer's log rows and the turn's
conversations row are written together, or not at all."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

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
