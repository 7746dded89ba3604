"""Consent (issue 10): which notice a user sees, and recording the agreement (real database)."""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from naviyam.adapters.db.models import FoodcardUser, User
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import find_user, get_or_create_user
from naviyam.domain.consent import NOTICE_BOTH, NOTICE_CHILD, NOTICE_OLDER, age_on, consent_notice
from naviyam.usecases.consent import consent_state, record_consent
from naviyam.usecases.senders import Sender

TODAY = date(2026, 11, 29)
NOW = datetime(2026, 11, 29, 3, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("birth", "group", "notice"), [
    (date(2013, 11, 30), None, NOTICE_CHILD),     # 13 until tomorrow
    (date(2012, 11, 29), None, NOTICE_OLDER),     # 14 today
    (date(2012, 11, 29), "초등학생", NOTICE_OLDER),  # the birth date wins over the card
    (None, "초등학생", NOTICE_CHILD),
    (None, "고등학생", NOTICE_OLDER),
    (None, "청년", NOTICE_OLDER),
    (None, "중학생", NOTICE_BOTH),                # 13 to 15: could be either
    (None, "기타", NOTICE_BOTH),
    (None, None, NOTICE_BOTH),
    (date(2030, 1, 1), None, NOTICE_BOTH),        # a birth date in the future decides nothing
])
def test_the_notice_follows_what_is_known_of_the_age(birth, group, notice):
    assert consent_notice(birth, group, TODAY) == notice


def test_age_is_counted_in_full_years():
    assert age_on(date(2012, 2, 29), date(2026, 2, 28)) == 13
    assert age_on(date(2012, 2, 29), date(2026, 3, 1)) == 14


def _users(external_id: str) -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(User)
                              .where(User.external_user_id == external_id)) or 0


def test_asking_creates_nothing_and_agreeing_records_both_times_once(database_url):
    who = f"consent-{uuid.uuid4().hex[:10]}"
    state = consent_state(Sender(who), TODAY)
    assert (state.agreed, state.notice) == (False, NOTICE_BOTH)
    assert _users(who) == 0  # a user who has not agreed leaves no row behind

    record_consent(Sender(who), NOW)
    record_consent(Sender(who), NOW + timedelta(days=3))  # asked once: the first time is kept
    with unit_of_work() as session:
        user = find_user(session, who)
        assert user.terms_agreed_at == NOW and user.privacy_agreed_at == NOW
    assert consent_state(Sender(who), TODAY).agreed is True


def test_a_child_with_a_primary_school_card_gets_the_guardian_notice(database_url):
    who = f"kakao:consent-{uuid.uuid4().hex[:10]}"
    with unit_of_work() as session:
        user = get_or_create_user(session, who, "kakao")
        session.add(FoodcardUser(user_id=user.id, card_type="아동급식카드", balance=10000,
                                 target_age_group="초등학생"))
    state = consent_state(Sender(who), TODAY)
    assert (state.agreed, state.notice) == (False, NOTICE_CHILD)
