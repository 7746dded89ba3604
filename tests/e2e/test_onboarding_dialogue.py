"""Onboarding through the real servers: requests come first, passed-over questions stop.

A new user's onboarding starts with the consent question (issue 10; tests/e2e/test_consent_dialogue.py).
"""
from __future__ import annotations

import pytest

from tests.e2e.harness import texts_of
from sqlalchemy import select

from naviyam.adapters.db.models import User

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"  # a Monday
GEONDAE = {"lat": 37.5404, "lng": 127.0693}
CONSENT_QUESTION = "기억하려면 동의가 필요해요"    # the first onboarding question of a new user
DEFERRED = "질문은 여기까지만 할게요"


def _recommended(messages: list[dict]) -> bool:
    return any(isinstance(m.get("custom"), dict) and "recommendations" in m["custom"] for m in messages)


def test_a_new_user_who_keeps_asking_is_asked_twice_then_left_alone(bot, engine):
    sender = "e2e_hungry_newcomer"
    meta = {"now": WEEKDAY_LUNCH, "location": GEONDAE}
    replies = [bot.send(sender, text, meta) for text in
               ("5천원으로 점심 추천해줘", "만원으로 점심 뭐 먹지", "떡볶이 먹고 싶어")]
    for messages in replies:
        assert _recommended(messages), texts_of(messages)     # every request is served first
    first, second, third = (texts_of(m) for m in replies)
    assert CONSENT_QUESTION in first and CONSENT_QUESTION in second
    assert CONSENT_QUESTION not in third and DEFERRED in third
    assert "가입 축하 쿠폰" not in third

    fourth = texts_of(bot.send(sender, "6천원으로 저녁 추천해줘", meta))
    assert CONSENT_QUESTION not in fourth and DEFERRED not in fourth
    with engine.connect() as conn:
        user_id = conn.execute(select(User.id).where(User.external_user_id == sender)).scalar_one_or_none()
    assert user_id is None      # nothing was answered or agreed to, nothing was saved


def test_a_short_none_to_the_allergy_question_ends_the_onboarding(bot, engine):
    """The benchmark's returning children answer "없어": below the NLU's 0.7 it used to get the
    clarifying question and leave the onboarding open; the form now reads the words."""
    sender = "e2e_short_answers"
    meta = {"now": WEEKDAY_LUNCH, "location": GEONDAE}
    answers = [texts_of(bot.send(sender, text, meta)) for text in
               ("건대입구역에서 5천원으로 점심 추천해줘", "동의해요", "떡볶이 좋아해", "5천원", "없어")]
    assert "못 먹는 음식이나 알레르기가 있어요?" in answers[3], answers[3]
    last = answers[4]
    assert "알려 줘서 고마워요" in last and "잘 이해했는지" not in last, last
    with engine.connect() as conn:
        user_id = conn.execute(select(User.id).where(User.external_user_id == sender)).scalar_one()
    assert user_id is not None
