"""Dialogue and onboarding actions in the action server process (no Rasa), real database."""
from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker

from actions.dialogue import ActionClarify, ActionSessionStart, ActionSmallTalk, ActionUpdatePreferences
from actions.onboarding import ActionOnboardingSave, ValidateOnboardingForm
import helpers_actions
from helpers_actions import run, slots_of, texts
from naviyam.adapters.db.models import UserCouponWallet, UserProfile
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import find_user
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender

NOW = datetime(2026, 3, 2, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))


def sender() -> str:
    """A user who agreed to the terms and the privacy notice (issue 10 consent)."""
    who = f"kid-{uuid.uuid4().hex[:10]}"
    record_consent(Sender(who), NOW)
    return who


# a user message on a Monday lunchtime (tests/helpers_actions.py)
make_tracker = partial(helpers_actions.make_tracker, metadata={"now": NOW.isoformat()}, confidence=0.9, ranking=[])


def test_session_start_onboards_new_users_and_drops_request_slots(database_url, domain):
    who = sender()
    trk = make_tracker(who, slots={"budget": 5000.0, "food_type": "치킨",
                                   "shown_shop_ids": [1, 2], "conversation_style": "friendly"})
    events, _ = run(ActionSessionStart(), trk, domain)
    assert events[0]["event"] == "session_started"
    assert (events[-1]["event"], events[-1]["name"]) == ("action", "action_listen")
    slots = slots_of(events)
    assert slots["onboarding_pending"] is True
    assert "budget" not in slots and "food_type" not in slots and "shown_shop_ids" not in slots
    assert slots["conversation_style"] == "friendly"  # other slots are carried over
    for _ in range(2):
        run(ActionSessionStart(), make_tracker(who), domain)
    events, _ = run(ActionSessionStart(), make_tracker(who), domain)
    assert slots_of(events)["onboarding_pending"] is False  # fourth session: not new


def test_greeting_depends_on_onboarding(database_url, domain):
    _, new = run(ActionSmallTalk(), make_tracker(sender(), "안녕", "greet",
                                                 slots={"onboarding_pending": True}), domain)
    _, known = run(ActionSmallTalk(), make_tracker(sender(), "안녕", "greet"), domain)
    assert "몇 가지만 여쭤볼게요" in texts(new)
    assert "몇 가지만" not in texts(known) and "나비얌" in texts(known)


def test_negative_feedback_gets_an_apology_and_other_options(database_url, domain):
    _, messages = run(ActionSmallTalk(), make_tracker(sender(), "거기 별로였어", "feedback"), domain)
    [message] = [m for m in messages if m.get("text")]
    assert "아쉬웠군요" in message["text"]
    assert message["buttons"][0]["payload"] == "/request_more"


def test_clarify_offers_likely_requests_and_keeps_entities(database_url, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.7},
               {"name": "budget_inquiry", "confidence": 0.45},
               {"name": "general_chat", "confidence": 0.3},
               {"name": "food_request", "confidence": 0.2}]
    trk = make_tracker(sender(), "오천원 ㅇㅇ", "nlu_fallback", ranking=ranking,
                       entities=[{"entity": "budget", "value": 5000, "text": "오천원"}])
    _, messages = run(ActionClarify(), trk, domain)
    [message] = [m for m in messages if m.get("text")]
    payloads = [b["payload"] for b in message["buttons"]]
    assert payloads[0] == '/budget_inquiry{"budget": 5000}'
    assert payloads[1].startswith("/food_request")
    assert len(payloads) == 3
    custom = [m["custom"] for m in messages if m.get("custom")]
    assert custom == [{"kind": "clarify", "quick_replies": message["buttons"]}]


def form_tracker(text, intent, entities=None, requested="onboarding_foods"):
    return make_tracker(sender(), text, intent, entities,
                        slots={"requested_slot": requested, "onboarding_pending": True},
                        active_loop={"name": "onboarding_form"})


def food(value, text=None):
    return {"entity": "food_type", "value": value, "text": text or value}


@pytest.mark.parametrize(("text", "intent", "entities", "expected"), [
    ("치킨이랑 피자 좋아해요", "inform", [food("치킨"), food("피자")], ["치킨", "피자"]),
    ("떡볶이요", "food_request", [food("떡볶이")], ["떡볶이"]),
    ("건너뛰기", "skip", [], "skip"),
    ("딱히 없어요", "deny", [], []),
    ("치킨 먹고 싶어", "food_request", [food("치킨")], None),  # a request: recommend first
    ("그럼 치킨은?", "food_request", [food("치킨")], None),   # follow-up on the last request
    ("5천원으로 뭐 먹지", "budget_inquiry",
     [{"entity": "budget", "value": 5000, "text": "5천원"}], None),
])
def test_onboarding_food_answers_are_told_apart_from_requests(database_url, domain, text,
                                                               intent, entities, expected):
    events, _ = run(ValidateOnboardingForm(), form_tracker(text, intent, entities), domain)
    slots = slots_of(events)
    if expected is None:
        assert "onboarding_foods" not in slots
    else:
        assert slots["onboarding_foods"] == expected


def test_onboarding_budget_is_checked(database_url, domain):
    ok, _ = run(ValidateOnboardingForm(), form_tracker(
        "보통 오천원 정도요", "inform", [{"entity": "budget", "value": 5000, "text": "오천원"}],
        requested="onboarding_budget"), domain)
    assert slots_of(ok)["onboarding_budget"] == 5000
    unsure, _ = run(ValidateOnboardingForm(), form_tracker(
        "오천원 정도요", "nlu_fallback", [{"entity": "budget", "value": 5000, "text": "오천원"}],
        requested="onboarding_budget"), domain)
    assert slots_of(unsure)["onboarding_budget"] == 5000
    bad, messages = run(ValidateOnboardingForm(), form_tracker(
        "3원", "inform", [{"entity": "budget", "value": 3, "text": "3원"}],
        requested="onboarding_budget"), domain)
    assert slots_of(bad)["onboarding_budget"] is None
    assert "금액을 잘 못 알아들었어요" in texts(messages)


def test_onboarding_restrictions_none_and_codes(database_url, domain):
    none, _ = run(ValidateOnboardingForm(), form_tracker(
        "알레르기는 없어요", "inform", requested="onboarding_restrictions"), domain)
    assert slots_of(none)["onboarding_restrictions"] == []
    some, _ = run(ValidateOnboardingForm(), form_tracker(
        "땅콩 알레르기 있어요", "inform",
        [{"entity": "dietary_restrictions", "value": "no_nuts", "text": "땅콩"}],
        requested="onboarding_restrictions"), domain)
    assert slots_of(some)["onboarding_restrictions"] == ["no_nuts"]


@pytest.mark.parametrize(("text", "expected"), [
    ("없어", []), ("딱히 없는데", []), ("새우 못 먹어", ["no_shellfish"]), ("몰라", None)])
def test_an_unsure_short_answer_to_the_allergy_question_is_read_from_its_words(database_url, domain,
                                                                                 text, expected):
    """"없어" can fall below the NLU's 0.7 (nlu_fallback); the words still answer the question."""
    events, _ = run(ValidateOnboardingForm(), form_tracker(text, "nlu_fallback", requested="onboarding_restrictions"),
                    domain)
    assert slots_of(events).get("onboarding_restrictions") == expected


@pytest.mark.parametrize(("text", "requested", "entities", "asks_back"), [
    ("없어", "onboarding_restrictions", [], False),          # the form takes it as "none"
    ("오천원", "onboarding_budget", [], False),
    ("치킨이요", "onboarding_foods", [food("치킨", "치킨")], False),
    ("몰라", "onboarding_restrictions", [], True),           # no answer in the words: ask back
    ("음 글쎄", "onboarding_budget", [], True),
])
def test_clarify_stays_silent_when_the_pending_question_is_answered(database_url, domain, text, requested,
                                                                     entities, asks_back):
    ranking = [{"name": "nlu_fallback", "confidence": 0.7}, {"name": "deny", "confidence": 0.5}]
    trk = make_tracker(sender(), text, "nlu_fallback", entities, ranking=ranking,
                       slots={"requested_slot": requested, "onboarding_pending": True},
                       active_loop={"name": "onboarding_form"})
    events, messages = run(ActionClarify(), trk, domain)
    assert events == []
    assert bool([m for m in messages if m.get("text")]) is asks_back


def test_clarify_asks_back_outside_the_onboarding_form(database_url, domain):
    ranking = [{"name": "nlu_fallback", "confidence": 0.7}, {"name": "deny", "confidence": 0.5}]
    _, messages = run(ActionClarify(), make_tracker(sender(), "없어", "nlu_fallback", ranking=ranking), domain)
    assert [m for m in messages if m.get("text")]


def test_onboarding_save_writes_the_profile_and_gives_the_welcome_coupon(database_url, domain):
    who = sender()
    trk = make_tracker(who, "없어요", "deny", slots={
        "onboarding_foods": ["치킨", "떡볶이"], "onboarding_budget": 6000,
        "onboarding_restrictions": ["no_nuts"], "onboarding_pending": True})
    events, messages = run(ActionOnboardingSave(), trk, domain)
    answer = texts(messages)
    assert "치킨, 떡볶이" in answer and "6,000원" in answer and "견과류" in answer
    assert "가입 축하 쿠폰" in answer
    assert slots_of(events)["onboarding_pending"] is False
    with unit_of_work(database_url) as session:
        user = find_user(session, who)
        profile = session.query(UserProfile).filter_by(user_id=user.id).one()
        assert profile.preferred_categories == ["치킨", "떡볶이"]
        assert profile.average_budget == 6000
        assert profile.dietary_restrictions == ["no_nuts"]
        assert profile.onboarding_completed_at is not None
        wallet = session.query(UserCouponWallet).filter_by(user_id=user.id).all()
        assert len(wallet) == 1
    # saving again (a second onboarding) gives no second coupon
    _, again = run(ActionOnboardingSave(), trk, domain)
    assert "가입 축하 쿠폰" not in texts(again)


def test_all_skipped_onboarding_is_polite_and_done(database_url, domain):
    trk = make_tracker(sender(), "건너뛰기", "skip", slots={
        "onboarding_foods": "skip", "onboarding_budget": "skip",
        "onboarding_restrictions": "skip"})
    events, messages = run(ActionOnboardingSave(), trk, domain)
    assert "나중에 언제든" in texts(messages)
    assert slots_of(events)["onboarding_pending"] is False


def test_stated_preferences_are_saved(database_url, domain):
    who = sender()
    _, messages = run(ActionUpdatePreferences(), make_tracker(
        who, "나 짜장면 좋아해", "inform", [food("짜장면")]), domain)
    assert "기억해 둘게요" in texts(messages)
    with unit_of_work(database_url) as session:
        user = find_user(session, who)
        assert session.query(UserProfile).filter_by(user_id=user.id).one() \
            .preferred_categories == ["짜장면"]


def test_an_onboarding_answer_is_logged_with_the_next_question(database_url, domain, engine):
    from sqlalchemy import select

    from naviyam.adapters.db.conversation_log import session_uuid
    from naviyam.adapters.db.models import Conversation

    trk = form_tracker("치킨이랑 피자 좋아해요", "inform", [food("치킨"), food("피자")])
    run(ValidateOnboardingForm(), trk, domain)
    with engine.connect() as conn:
        rows = conn.execute(select(Conversation.input_text, Conversation.response_text,
                                   Conversation.user_strategy)
                            .where(Conversation.session_id == session_uuid(trk.sender_id))).all()
    assert len(rows) == 1
    assert rows[0].input_text == "치킨이랑 피자 좋아해요" and rows[0].user_strategy == "ONBOARDING"
    assert rows[0].response_text == "utter_ask_onboarding_budget"     # the question Rasa asks next


def test_a_request_during_onboarding_is_not_logged_twice(database_url, domain, engine):
    from sqlalchemy import select

    from naviyam.adapters.db.conversation_log import session_uuid
    from naviyam.adapters.db.models import Conversation

    trk = form_tracker("치킨 먹고 싶어", "food_request", [food("치킨")])
    run(ValidateOnboardingForm(), trk, domain)  # action_recommend logs this turn itself
    with engine.connect() as conn:
        rows = conn.execute(select(Conversation.id)
                            .where(Conversation.session_id == session_uuid(trk.sender_id))).all()
    assert rows == []


def test_a_request_during_onboarding_adds_no_events(database_url, domain):
    """Rasa rejects the form's turn only when validation sets nothing; then the rules
    serve the request first. Any event here would swallow the request."""
    trk = form_tracker("배고파", "food_request", [])
    events, _ = run(ValidateOnboardingForm(), trk, domain)
    assert [e for e in events if e.get("event") == "slot" and e.get("name") != "requested_slot"] == []


def returning_form_tracker(text: str, intent: str, passed_over: int = 0, slots: dict | None = None) -> Tracker:
    """The form coming back after ``action_recommend`` served the user's request, as
    Rasa builds its temporary tracker (the form's own execution event last)."""
    trk = form_tracker(text, intent)
    trk.slots.update({"onboarding_passed_over": passed_over, **(slots or {})})
    trk.events.extend([{"event": "action", "name": "action_recommend"},
                       {"event": "bot", "text": "추천이에요"},
                       {"event": "slot", "name": "requested_slot", "value": "onboarding_foods"},
                       {"event": "action", "name": "onboarding_form"}])
    return trk


def test_a_passed_over_question_is_counted_when_the_form_comes_back(database_url, domain):
    events, _ = run(ValidateOnboardingForm(), returning_form_tracker("배고파", "food_request"), domain)
    slots = slots_of(events)
    assert slots["onboarding_passed_over"] == 1
    assert "requested_slot" not in slots or slots["requested_slot"] is not None   # asked again


def test_the_second_passed_over_question_ends_the_form(database_url, domain):
    events, _ = run(ValidateOnboardingForm(), returning_form_tracker("배고파", "food_request", 1), domain)
    slots = slots_of(events)
    assert slots["onboarding_passed_over"] == 2 and slots["requested_slot"] is None


def test_passed_over_onboarding_is_deferred_and_writes_nothing(database_url, domain):
    who = sender()
    trk = make_tracker(who, "배고파", "food_request", slots={"onboarding_passed_over": 2,
                                                           "onboarding_pending": True})
    events, messages = run(ActionOnboardingSave(), trk, domain)
    assert "나중에 편할 때" in texts(messages) and "가입 축하 쿠폰" not in texts(messages)
    slots = slots_of(events)
    assert slots["onboarding_pending"] is False and slots["onboarding_passed_over"] == 0
    with unit_of_work(database_url) as session:
        user = find_user(session, who)
        assert user is None or session.query(UserCouponWallet).filter_by(user_id=user.id).count() == 0


def test_passed_over_after_some_answers_saves_them(database_url, domain):
    who = sender()
    trk = make_tracker(who, "배고파", "food_request", slots={
        "onboarding_passed_over": 2, "onboarding_foods": ["떡볶이"]})
    _, messages = run(ActionOnboardingSave(), trk, domain)
    assert "떡볶이" in texts(messages)
    with unit_of_work(database_url) as session:
        user = find_user(session, who)
        assert session.query(UserProfile).filter_by(user_id=user.id).one().preferred_categories == ["떡볶이"]


def test_a_request_that_starts_the_form_is_not_a_passed_over_question(database_url, domain):
    """Rasa shows the loop as active while activating it; no question was pending yet."""
    trk = returning_form_tracker("배고파", "food_request")
    trk.slots["requested_slot"] = None
    events, _ = run(ValidateOnboardingForm(), trk, domain)
    assert "onboarding_passed_over" not in slots_of(events)


def test_every_response_an_action_names_is_in_the_domain(domain):
    """Rasa renders responses by name: a name the domain lacks would send nothing."""
    import ast
    from pathlib import Path

    named = set()
    for path in (Path(__file__).resolve().parent.parent / "actions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("utter_") and not node.value.endswith("_"):
                named.add(node.value)
    assert named and not named - set(domain["responses"])
