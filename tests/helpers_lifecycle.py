"""A private, empty, migrated database for data-lifecycle tests, and row builders.

Maintenance and forget-user commit real transactions (that is what they are about),
so they run on their own database instead of the session's shared one, and every
table is emptied after each test.
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import (
    Base,
    Conversation,
    ConversationContext,
    PerformanceLog,
    RecommendationLog,
)
from naviyam.adapters.db.session import unit_of_work
from tests.conftest import migrated_database

UTC = timezone.utc


@pytest.fixture(scope="module")
def lifecycle_db(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database(backend, tmp_path_factory.mktemp("lifecycle"), prefix="naviyam_life") as url:
        yield url


@pytest.fixture()
def url(lifecycle_db: str) -> Iterator[str]:
    """The lifecycle database, emptied after the test."""
    yield lifecycle_db
    with unit_of_work(lifecycle_db) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(delete(table))


def count(url: str, model, *where) -> int:
    with unit_of_work(url) as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def conversation(session: Session, at: datetime, *, user_id: int | None = None, sender: str = "kid",
                 text: str = "떡볶이 먹고 싶어요", **values) -> Conversation:
    row = Conversation(user_id=user_id, session_id=session_uuid(sender), conversation_id=session_uuid(sender),
                       input_text=text, response_text="근처 분식집을 찾아봤어요!", timestamp=at.astimezone(UTC),
                       extracted_intent="FOOD_REQUEST", rasa_intent="food_request",
                       intent_confidence=Decimal("0.950"), extracted_entities={"food_type": "떡볶이"},
                       **values)
    session.add(row)
    session.flush()
    return row


def recommendation(session: Session, at: datetime, *, user_id: int | None = None,
                   sender: str = "kid") -> RecommendationLog:
    row = RecommendationLog(user_id=user_id, session_id=session_uuid(sender), timestamp=at.astimezone(UTC),
                            request_intent="FOOD_REQUEST", request_entities={"food_type": "떡볶이"},
                            user_latitude=Decimal("37.54040000"), user_longitude=Decimal("127.06930000"),
                            recommendations=[], recommendation_count=0, recommendation_method="HYBRID")
    session.add(row)
    session.flush()
    return row


def performance(session: Session, at: datetime, *, user_id: int | None = None,
                sender: str | None = None) -> PerformanceLog:
    row = PerformanceLog(timestamp=at.astimezone(UTC), user_id=user_id, operation="recommend",
                         session_id=session_uuid(sender) if sender else None,
                         total_ms=Decimal("12.50"), component_ms={"rank": 3.0})
    session.add(row)
    session.flush()
    return row


def context(session: Session, touched: datetime, *, user_id: int | None = None,
            session_key: str | None = None) -> ConversationContext:
    at = touched.astimezone(UTC)
    row = ConversationContext(session_key=session_key or f"ctx-{uuid.uuid4().hex[:8]}", user_id=user_id,
                              context={"last_intent": "food_request"}, turn_count=1,
                              created_at=at, updated_at=at)
    session.add(row)
    session.flush()
    return row
