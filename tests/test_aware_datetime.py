"""Timestamps read back timezone-aware on both backends (the embedded default is SQLite).

Found by chatting with the embedded default: SQLite dropped the offset of a remembered
place's time, the next recommendation compared it with the aware "now" and failed
("can't subtract offset-naive and offset-aware datetimes").
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import User
from naviyam.adapters.db.places import remember_place, remembered_place
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.place_memory import fresh_memory
from tests.conftest import migrated_database

KST = timezone(timedelta(hours=9))


@pytest.fixture(params=["sqlite", "session-backend"])
def engine(request, backend: str, tmp_path):
    chosen = "sqlite" if request.param == "sqlite" else backend
    with migrated_database(chosen, tmp_path, prefix="naviyam_tz") as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def test_a_remembered_place_is_used_again_on_every_backend(engine):
    lunch = datetime(2026, 11, 30, 12, 30, tzinfo=KST)
    with Session(engine) as session, session.begin():
        user = User(external_user_id="tz-test", platform="rest")
        session.add(user)
        session.flush()
        remember_place(session, user.id, "건대입구", 37.5404, 127.0693, lunch)
        user_id = user.id
    with Session(engine) as session:
        memory = remembered_place(session, user_id)
        created = session.scalar(select(User.created_at).where(User.id == user_id))
    assert memory is not None and memory.at == lunch and memory.at.tzinfo is not None
    assert created.tzinfo is not None        # the database's CURRENT_TIMESTAMP, read as UTC
    assert abs(created - datetime.now(timezone.utc)) < timedelta(hours=1)

    next_day = RecommendationRequest(now=lunch + timedelta(days=1), text="떡볶이")
    assert fresh_memory(memory, next_day, days=14) == ("건대입구", 37.5404, 127.0693)
    assert fresh_memory(memory, RecommendationRequest(now=lunch + timedelta(days=15), text="떡볶이"), 14) is None


def test_times_compare_as_instants_on_every_backend(engine):
    """A KST time and a UTC time of the same instant are one instant in a query, too."""
    lunch = datetime(2026, 11, 30, 12, 30, tzinfo=KST)
    with Session(engine) as session, session.begin():
        session.add(User(external_user_id="tz-order", platform="rest", terms_agreed_at=lunch))
    with Session(engine) as session:
        before = session.scalar(select(User.id).where(User.terms_agreed_at < lunch.astimezone(timezone.utc)
                                                      + timedelta(minutes=1)))
        after = session.scalar(select(User.id).where(User.terms_agreed_at > lunch.astimezone(timezone.utc)
                                                     + timedelta(minutes=1)))
    assert before is not None and after is None
