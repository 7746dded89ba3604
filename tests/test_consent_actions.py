"""Consent in the actions (issue 10), inside the action server process (no Rasa), real database.

A sender who has not agreed is served anonymously and leaves no ``users`` /
``user_profiles`` row; requests that need stored data ask first; the onboarding form's
first slot is the consent question.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from sqlalchemy import func, select

from actions.balance import ActionCheckBalance
from actions.consent import ActionAskConsent, ActionConsentAgree, ActionConsentDecline
from actions.coupons import ActionShowCoupons
from actions.dialogue import ActionSessionStart, ActionUpdatePreferences
from actions.onboarding import ActionOnboardingSave, ValidateOnboardingForm
from actions.recommend import ActionRecommend
import helpers_actions
from helpers_actions import run, slots_of, texts
from naviyam.adapters.db.conversation_log import session_uuid
from naviyam.adapters.db.models import (
    Conversation, FoodcardUser, RecommendationLog, User, UserCouponWallet, UserProfile,
)
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import find_user, get_or_create_user

NOW = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))
GUARDIAN = "보호자"


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def stranger() -> str:
    return f"kakao:consent-{uuid.uuid4().hex[:10]}"


# a user message at Monday lunch (tests/helpers_actions.py)
make_tracker = partial(helpers_actions.make_tracker, metadata={"now": NOW.isoformat()})


def stored(sender_id: str) -> tuple[int, int]:
    """(users rows, user_profiles rows) of this sender."""
    with unit_of_work() as session:
        users = session.scalars(select(User.id).where(User.external_user_id == sender_id)).all()
        profiles = session.scalar(select(func.count()).select_from(UserProfile)
                                  .where(UserProfile.user_id.in_(users))) if users else 0
    return len(users), profiles or 0


def consent_buttons(messages) -> list[str]:
    return [b["payload"] for m in messages for b in (m.get("buttons") or [])]


def test_a_stranger_starts_a_session_without_leaving_a_row(database_url, domain):
    who = stranger()
    events, _ = run(ActionSessionStart(), make_tracker(who), domain)
    slots = slots_of(events)
    assert slots["onboarding_pending"] is True and slots["consent"] is None
    assert stored(who) == (0, 0)


def test_a_demo_user_from_the_workbook_has_agreed(loaded_database_url, domain):
    events, _ = run(ActionSessionStart(), make_tracker("demo_kid_01"), domain)
    assert slots_of(events)["consent"] == "agreed"


def test_the_consent_question_shows_the_notice_with_two_quick_replies(database_url, domain):
    _, messages = run(ActionAskConsent(), make_tracker(stranger(), "안녕", "greet"), domain)
    assert GUARDIAN in texts(messages)               # age unknown: the notice covers both
    assert consent_buttons(messages) == ["/consent_agree", "/consent_decline"]
    assert not [m for m in messages if m.get("custom")]   # the turn's payload is the other action's


def form_run(who: str, text: str, intent: str, slots: dict | None = None) -> Tracker:
    trk = make_tracker(who, text, intent, slots={"requested_slot": "consent", "onboarding_pending": True,
                                                 **(slots or {})},
                       active_loop={"name": "onboarding_form"})
    return trk


def test_agreeing_in_the_onboarding_records_both_times_then_asks_the_first_question(database_url, domain):
    who = stranger()
    events, messages = run(ValidateOnboardingForm(), form_run(who, "동의해요", "consent_agree"), domain)
    slots = slots_of(events)
    assert slots["consent"] == "agreed"
    assert slots.get("requested_slot", "onboarding_foods") == "onboarding_foods"   # Rasa asks the next one
    assert "고마워요" in texts(messages)
    with unit_of_work() as session:
        user = find_user(session, who)
        assert user.terms_agreed_at is not None and user.privacy_agreed_at is not None


def test_an_earlier_agreement_is_not_thanked_for_again_when_the_form_starts(database_url, domain):
    """동의해요 outside the form, then a request that starts the onboarding form: Rasa validates
    the prefilled consent slot (requested_slot not yet set); found by chatting, the thanks
    was said a second time under the recommendation."""
    who = stranger()
    run(ActionConsentAgree(), make_tracker(who, "동의해요", "consent_agree"), domain)
    trk = make_tracker(who, "감자탕 먹고 싶어", "food_request", slots={"consent": "agreed", "onboarding_pending": True},
                       active_loop={"name": "onboarding_form"})
    trk.events.append({"event": "slot", "name": "consent", "value": "agreed"})   # Rasa's prefill check
    events, messages = run(ValidateOnboardingForm(), trk, domain)
    assert slots_of(events).get("consent", "agreed") == "agreed"
    assert "고마워요" not in texts(messages)


@pytest.mark.parametrize(("text", "intent"), [("동의하지 않아요", "consent_decline"), ("아니요", "deny")])
def test_declining_in_the_onboarding_ends_it_and_stores_nothing(database_url, domain, text, intent):
    who = stranger()
    events, _ = run(ValidateOnboardingForm(), form_run(who, text, intent), domain)
    slots = slots_of(events)
    assert slots["consent"] == "declined" and slots["requested_slot"] is None
    save_events, messages = run(ActionOnboardingSave(), make_tracker(who, text, intent, slots={
        "consent": "declined", "onboarding_pending": True}), domain)
    assert "기억하지 않고" in texts(messages) and "추천" in texts(messages)
    assert slots_of(save_events)["onboarding_pending"] is False
    assert stored(who) == (0, 0)


def test_a_stranger_still_gets_recommendations_and_only_the_turn_log(loaded_database_url, domain):
    who = stranger()
    _, messages = run(ActionRecommend(), make_tracker(who, "건대입구에서 5천원으로 점심 추천해줘", "budget_inquiry",
                                                      entities=[{"entity": "budget", "value": 5000},
                                                                {"entity": "location", "value": "건대입구"}]), domain)
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert custom["kind"] == "recommendations" and custom["recommendations"]
    assert stored(who) == (0, 0)
    with unit_of_work() as session:
        sid = session_uuid(who)
        turns = session.scalars(select(Conversation).where(Conversation.session_id == sid)).all()
        logs = session.scalars(select(RecommendationLog).where(RecommendationLog.session_id == sid)).all()
    assert len(turns) == 1 and turns[0].user_id is None      # the turn log, anonymous
    assert len(logs) == 1 and logs[0].user_id is None


@pytest.mark.parametrize(("action", "text", "intent"), [
    (ActionShowCoupons, "쿠폰 보여줘", "coupon_inquiry"),
    (ActionCheckBalance, "잔액 알려줘", "balance_check"),
])
def test_wallet_and_card_ask_for_consent_first_and_agreeing_offers_them_again(
        database_url, domain, action, text, intent):
    who = stranger()
    events, messages = run(action(), make_tracker(who, text, intent), domain)
    assert "동의" in texts(messages) and consent_buttons(messages) == ["/consent_agree", "/consent_decline"]
    assert slots_of(events) == {"consent_for": intent}
    custom = [m["custom"] for m in messages if m.get("custom")]
    assert custom == [{"kind": "consent", "notice": "both", "for": intent,
                       "quick_replies": [{"title": "동의해요", "payload": "/consent_agree"},
                                         {"title": "동의하지 않아요", "payload": "/consent_decline"}]}]
    assert stored(who) == (0, 0)

    events, messages = run(ActionConsentAgree(), make_tracker(who, "동의해요", "consent_agree",
                                                              slots={"consent_for": intent}), domain)
    assert slots_of(events) == {"consent": "agreed", "consent_for": None}
    assert consent_buttons(messages) == [f"/{intent}"]
    assert stored(who) == (1, 1)


def test_declining_a_request_is_kind_and_stores_nothing(database_url, domain):
    who = stranger()
    events, messages = run(ActionConsentDecline(), make_tracker(who, "동의 안 해요", "consent_decline",
                                                                slots={"consent_for": "coupon_inquiry"}), domain)
    assert "기억하지 않고" in texts(messages)
    assert slots_of(events) == {"consent": "declined", "consent_for": None, "onboarding_pending": False}
    assert stored(who) == (0, 0)


def test_a_stated_preference_of_a_stranger_is_not_stored(database_url, domain):
    who = stranger()
    _, messages = run(ActionUpdatePreferences(), make_tracker(
        who, "나 떡볶이 좋아해", "inform", entities=[{"entity": "food_type", "value": "떡볶이"}]), domain)
    assert consent_buttons(messages) == ["/consent_agree", "/consent_decline"]
    assert stored(who) == (0, 0)


def test_a_child_card_without_consent_gets_the_guardian_notice_and_no_emergency_coupon(database_url, domain):
    who = stranger()
    with unit_of_work() as session:      # a row from before consent existed (no agreement times)
        user = get_or_create_user(session, who, "kakao")
        session.add(FoodcardUser(user_id=user.id, card_type="아동급식카드", balance=1000,
                                 target_age_group="초등학생"))
    _, messages = run(ActionCheckBalance(), make_tracker(who, "잔액 알려줘", "balance_check"), domain)
    assert "만 14세 미만 친구는 꼭 보호자" in texts(messages)
    with unit_of_work() as session:
        user = find_user(session, who)
        assert session.scalar(select(func.count()).select_from(UserCouponWallet)
                              .where(UserCouponWallet.user_id == user.id)) == 0


def test_erasure_in_chat_also_deletes_the_anonymous_turn_log(loaded_database_url, domain):
    from actions.privacy import ActionForgetUser

    who = stranger()
    run(ActionRecommend(), make_tracker(who, "떡볶이 먹고 싶어", "food_request",
                                        entities=[{"entity": "food_type", "value": "떡볶이"}]), domain)
    _, messages = run(ActionForgetUser(), make_tracker(who, "네", "affirm"), domain)
    assert "저장된 정보가 없었어요" in texts(messages)
    with unit_of_work() as session:
        sid = session_uuid(who)
        assert session.scalar(select(func.count()).select_from(Conversation)
                              .where(Conversation.session_id == sid)) == 0
        assert session.scalar(select(func.count()).select_from(RecommendationLog)
                              .where(RecommendationLog.session_id == sid)) == 0
