"""The action server's warm-up (naviyam/usecases/warm_up.py): loads the engine and runs one
request, so that a child's first recommendation after a start is as fast as the rest, and
writes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from naviyam.adapters.db.models import Conversation, PerformanceLog, RecommendationLog
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.warm_up import warm_up


def _counts() -> tuple[int, int, int]:
    with unit_of_work() as session:
        return tuple(session.scalar(select(func.count()).select_from(model))
                     for model in (RecommendationLog, PerformanceLog, Conversation))


def test_warm_up_runs_a_request_and_writes_nothing(loaded_database_url, recommender_env):
    before = _counts()
    assert warm_up() is True
    assert _counts() == before
