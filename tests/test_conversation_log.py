"""Turns and users are written the way operators and analysts expect."""
from __future__ import annotations

from sqlalchemy import select

from naviyam.adapters.db.conversation_log import TurnRecord, log_turn, seed_intent, session_uuid
from naviyam.adapters.db.models import Conversation, UserProfile
from naviyam.adapters.db.users import get_or_create_user, split_sender


def test_intents_map_onto_the_seed_list():
    assert seed_intent("food_request") == "FOOD_REQUEST"
    assert seed_intent("balance_check") == "BALANCE_CHECK"
    assert seed_intent("greet") == "GENERAL_CHAT"
    assert seed_intent("nlu_fallback") == "UNKNOWN"
    assert seed_intent(None) == "UNKNOWN"


def test_channel_senders_keep_their_platform():
    assert split_sender("kakao:abc123") == ("kakao:abc123", "kakao")
    assert split_sender("telegram:42") == ("telegram:42", "telegram")
    assert split_sender("demo_kid_01") == ("demo_kid_01", "rest")
    assert split_sender("demo_kid_01", "web") == ("demo_kid_01", "web")


def test_first_contact_creates_user_and_profile_once(db_session):
    first = get_or_create_user(db_session, "kakao:new-kid", "kakao")
    again = get_or_create_user(db_session, "kakao:new-kid", "kakao")
    assert first.id == again.id and first.platform == "kakao"
    profile = db_session.scalar(select(UserProfile).where(UserProfile.user_id == first.id))
    assert profile is not None and profile.interaction_count == 0


def test_turns_are_numbered_and_personal_data_masked(db_session):
    user = get_or_create_user(db_session, "log-kid", "rest")
    for text in ("안녕", "제 번호는 010-1234-5678 이에요"):
        log_turn(db_session, TurnRecord(session_key="log-kid", input_text=text,
                                        response_text="안녕하세요!", user_id=user.id,
                                        rasa_intent="greet", intent_confidence=0.93))
    rows = db_session.scalars(select(Conversation)
                              .where(Conversation.session_id == session_uuid("log-kid"))
                              .order_by(Conversation.conversation_turn)).all()
    assert [r.conversation_turn for r in rows] == [1, 2]
    assert "010-1234-5678" not in rows[1].input_text
    assert rows[0].extracted_intent == "GENERAL_CHAT" and rows[0].rasa_intent == "greet"


def test_a_turn_is_recorded_by_its_use_case_with_the_responses_sent(database_url):
    """``naviyam.usecases.turns.record_turn``: its own transaction, the row of a user who agreed
    (issue 10), the bot's answer as the response names and values the action sent (docs/NLU_DIALOGUE.md)."""
    from datetime import datetime, timezone

    from naviyam.adapters.db.session import unit_of_work
    from naviyam.usecases.consent import record_consent
    from naviyam.usecases.senders import Sender
    from naviyam.usecases.turns import Turn, record_turn

    sender = Sender("kakao:turn-kid", None)
    record_consent(sender, datetime.now(timezone.utc))
    answer = "utter_balance_summary balance=5,000원 details=(방금 전 기준이에요)"
    assert record_turn(Turn(sender=sender, input_text="잔액 알려줘", response_text=answer,
                            intent="balance_check", confidence=0.91, user_strategy="NORMAL"))
    with unit_of_work() as session:
        row = session.scalars(select(Conversation)
                              .where(Conversation.session_id == session_uuid("kakao:turn-kid"))).one()
        user = get_or_create_user(session, "kakao:turn-kid")
        assert row.user_id == user.id and user.platform == "kakao"
        assert row.response_text == answer and row.extracted_intent == "BALANCE_CHECK"
