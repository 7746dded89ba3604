"""Consent through the real servers (issue 10): a new user is asked before anything is stored.

Declining still gets recommendations and leaves no users/user_profiles row (only the
anonymous turn log); agreeing records both agreement times and the onboarding stores the
profile; a child under 14 (by birth date or by card group) sees the guardian notice.
Shares the session's server pair (tests/e2e/conftest.py ``bot``).
"""
from __future__ import annotations

import uuid
from datetime import date

import pytest

from tests.e2e.harness import texts_of
from sqlalchemy import select

from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import Conversation, FoodcardUser, User, UserCouponWallet, UserProfile
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import get_or_create_user

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"  # a Monday
GEONDAE = {"lat": 37.5404, "lng": 127.0693}
META = {"now": WEEKDAY_LUNCH, "location": GEONDAE}
NOTICE = "기억하려면 동의가 필요해요"
GUARDIAN_CHILD = "만 14세 미만 친구는 꼭 보호자"
GUARDIAN_EITHER = "만 14세 미만이라면 보호자"
DECLINED = "아무것도 기억하지 않고"
FOODS_QUESTION = "평소에 어떤 음식을 좋아해요?"


def _recommended(messages: list[dict]) -> bool:
    return any(isinstance(m.get("custom"), dict) and "recommendations" in m["custom"] for m in messages)


def _quick_replies(messages: list[dict]) -> list[str]:
    return [b["title"] for m in messages for b in (m.get("buttons") or [])]


def _new_sender() -> str:
    return f"e2e_consent_{uuid.uuid4().hex[:8]}"


def test_a_new_user_who_declines_gets_recommendations_and_nothing_is_stored(bot, engine):
    sender = _new_sender()
    first = bot.send(sender, "5천원으로 점심 추천해줘", META)
    assert _recommended(first), texts_of(first)                   # food first, anonymously
    assert NOTICE in texts_of(first) and GUARDIAN_EITHER in texts_of(first)  # age unknown: both
    assert {"동의해요", "동의하지 않아요"} <= set(_quick_replies(first))

    declined = texts_of(bot.send(sender, "동의하지 않아요", META))
    assert DECLINED in declined

    later = bot.send(sender, "떡볶이 먹고 싶어", META)
    assert _recommended(later), texts_of(later)
    assert NOTICE not in texts_of(later)                            # not asked again in this conversation

    with engine.connect() as conn:
        assert conn.execute(select(User.id).where(User.external_user_id == sender)).first() is None
        turns = conn.execute(select(Conversation.user_id)
                             .where(Conversation.session_id == session_uuid(sender))).all()
    assert len(turns) >= 3 and all(row.user_id is None for row in turns)   # the turn log, anonymous

    coupons = bot.send(sender, "내 쿠폰 보여줘", META)              # a flow that needs storage asks again
    assert NOTICE in texts_of(coupons)
    with engine.connect() as conn:
        assert conn.execute(select(User.id).where(User.external_user_id == sender)).first() is None


def test_a_new_user_who_agrees_has_the_times_recorded_and_the_profile_stored(bot, engine):
    sender = _new_sender()
    hello = bot.send(sender, "안녕하세요", META)
    assert NOTICE in texts_of(hello)                                # the onboarding starts with consent
    assert FOODS_QUESTION not in texts_of(hello)

    agreed = texts_of(bot.send(sender, "동의해요", META))
    assert "고마워요" in agreed and FOODS_QUESTION in agreed
    for answer in ("치킨이요", "건너뛰기", "없어요"):
        last = texts_of(bot.send(sender, answer, META))
    assert "치킨" in last and "가입 축하 쿠폰" in last, last

    with engine.connect() as conn:
        user = conn.execute(select(User.id, User.terms_agreed_at, User.privacy_agreed_at)
                            .where(User.external_user_id == sender)).one()
        preferred = conn.execute(select(UserProfile.preferred_categories)
                                 .where(UserProfile.user_id == user.id)).scalar_one()
        coupons = conn.execute(select(UserCouponWallet.id).where(UserCouponWallet.user_id == user.id)).all()
    assert user.terms_agreed_at is not None and user.privacy_agreed_at is not None
    assert "치킨" in preferred and len(coupons) == 1


@pytest.mark.parametrize("known", ["birth_date", "card_group"])
def test_a_child_under_14_sees_the_guardian_notice(bot, loaded_database_url, known):
    sender = _new_sender()
    with unit_of_work(loaded_database_url) as session:   # known to the operator, not agreed yet
        user = get_or_create_user(session, sender, "rest")
        if known == "birth_date":
            user.birth_date = date(2016, 5, 5)
        else:
            session.add(FoodcardUser(user_id=user.id, card_type="아동급식카드", balance=10000,
                                     target_age_group="초등학생"))
    said = texts_of(bot.send(sender, "안녕", META))
    assert GUARDIAN_CHILD in said, said
