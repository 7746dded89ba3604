"""Onboarding through the real servers: requests come first, passed-over questions stop."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from naviyam.adapters.db.models import User, UserProfile

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"  # a Monday
GEONDAE = {"lat": 37.5404, "lng": 127.0693}
FOODS_QUESTION = "평소에 어떤 음식을 좋아해요?"
DEFERRED = "질문은 여기까지만 할게요"


def _texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


def _recommended(messages: list[dict]) -> bool:
    return any(isinstance(m.get("custom"), dict) and "recommendations" in m["custom"] for m in messages)


def test_a_new_user_who_keeps_asking_is_asked_twice_then_left_alone(bot, engine):
    sender = "e2e_hungry_newcomer"
    meta = {"now": WEEKDAY_LUNCH, "location": GEONDAE}
    replies = [bot.send(sender, text, meta) for text in
               ("5천원으로 점심 추천해줘", "만원으로 점심 뭐 먹지", "떡볶이 먹고 싶어")]
    for messages in replies:
        assert _recommended(messages), _texts(messages)     # every request is served first
    first, second, third = (_texts(m) for m in replies)
    assert FOODS_QUESTION in first and FOODS_QUESTION in second
    assert FOODS_QUESTION not in third and DEFERRED in third
    assert "가입 축하 쿠폰" not in third

    fourth = _texts(bot.send(sender, "6천원으로 저녁 추천해줘", meta))
    assert FOODS_QUESTION not in fourth and DEFERRED not in fourth
    with engine.connect() as conn:
        user_id = conn.execute(select(User.id).where(User.external_user_id == sender)).scalar_one()
        preferred = conn.execute(select(UserProfile.preferred_categories)
                                 .where(UserProfile.user_id == user_id)).scalar_one_or_none()
    assert not preferred        # nothing was answered, nothing was saved
