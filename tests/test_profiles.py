"""Profiles: new-user detection, onboarding answers, stated preferences (naviyam.adapters.db.profiles)."""
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from naviyam.adapters.db import profiles
from naviyam.adapters.db.models import UserProfile
from naviyam.adapters.db.users import get_or_create_user

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))


def _profile(db_session, user_id) -> UserProfile:
    return db_session.query(UserProfile).filter_by(user_id=user_id).one()


def test_a_user_is_new_for_three_sessions(db_session):
    seen = [profiles.start_session(db_session, "onboard-1").is_new for _ in range(4)]
    assert seen == [True, True, True, False]
    user = get_or_create_user(db_session, "onboard-1")
    assert _profile(db_session, user.id).interaction_count == 4


def test_saving_onboarding_fills_the_profile_and_ends_onboarding(db_session):
    user = get_or_create_user(db_session, "onboard-2")
    answers = profiles.OnboardingAnswers(foods=["치킨", "떡볶이"], budget=5000,
                                         restrictions=["no_nuts"])
    result = profiles.save_onboarding(db_session, user.id, answers, NOW)
    row = _profile(db_session, user.id)
    assert row.preferred_categories == ["치킨", "떡볶이"]
    assert row.average_budget == 5000
    assert row.dietary_restrictions == ["no_nuts"]
    assert row.onboarding_completed_at is not None
    assert row.data_completeness > Decimal("0")
    assert result.profile.onboarding_completed
    # a user who finished onboarding is no longer new, even in the first sessions
    assert profiles.start_session(db_session, "onboard-2").is_new is False


def test_skipped_onboarding_still_counts_as_done_and_writes_no_answers(db_session):
    user = get_or_create_user(db_session, "onboard-3")
    profiles.save_onboarding(db_session, user.id, profiles.OnboardingAnswers(), NOW)
    row = _profile(db_session, user.id)
    assert row.preferred_categories == [] and row.average_budget is None
    assert row.onboarding_completed_at is not None


def test_implausible_budget_is_not_saved(db_session):
    user = get_or_create_user(db_session, "onboard-4")
    profiles.save_onboarding(db_session, user.id,
                             profiles.OnboardingAnswers(budget=3), NOW)
    assert _profile(db_session, user.id).average_budget is None
    with pytest.raises(ValueError):
        profiles.update_preferences(db_session, user.id, budget=10_000_000)


def test_preferences_merge_without_duplicates(db_session):
    user = get_or_create_user(db_session, "onboard-5")
    profiles.update_preferences(db_session, user.id, foods=["피자"], restrictions=["no_pork"])
    view = profiles.update_preferences(db_session, user.id, foods=["피자", "짜장면"],
                                       budget=8000, restrictions=["no_pork", "no_nuts"])
    assert view.preferred_categories == ["피자", "짜장면"]
    assert view.dietary_restrictions == ["no_pork", "no_nuts"]
    assert view.average_budget == 8000


@pytest.mark.parametrize(("text", "entities", "expected"), [
    ("치킨이요", ["치킨"], True),
    ("떡볶이랑 피자!", ["떡볶이", "피자"], True),
    ("오천원 정도요", ["오천원"], True),
    ("치킨 먹고 싶어", ["치킨"], False),
    ("5천원으로 뭐 먹지", ["5천원"], False),
    ("피자 추천해줘", ["피자"], False),
    ("그럼 치킨은?", ["치킨"], False),
    ("피자는요?", ["피자"], False),
])
def test_bare_answers_are_told_apart_from_requests(text, entities, expected):
    assert profiles.is_bare_answer(text, entities) is expected


def test_valid_budget_range():
    assert profiles.valid_budget("5000") == 5000
    assert profiles.valid_budget(4500.0) == 4500
    assert profiles.valid_budget(100) is None
    assert profiles.valid_budget("abc") is None


def test_a_new_allergy_reaches_the_recommender_at_once(database_url, cache):
    """The recommender caches profiles for an hour; saving must not leave it stale."""
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.adapters.db.profile_queries import load_profile

    with unit_of_work() as session:
        user = get_or_create_user(session, "allergy-cache-kid", "rest")
        user_id = user.id
        assert load_profile(session, user_id)["dietary_restrictions"] == []
    with unit_of_work() as session:
        profiles.update_preferences(session, user_id, restrictions=["견과류"])
    with unit_of_work() as session:
        assert load_profile(session, user_id)["dietary_restrictions"] == ["견과류"]
