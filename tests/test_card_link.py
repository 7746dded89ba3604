"""Linking a meal card (issue 12): the pure rules, then the use case against the real database
and cache with the operator simulator (the card operator is the only fake)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text

from devtools.operator_simulator import OperatorSimulator, SimulatorThread
from naviyam.adapters.card_operator import CardOperatorClient, OperatorError
from naviyam.adapters.crypto import lookup_hash
from naviyam.adapters.db.models import FoodcardUser, User
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.resilience import circuit_breaker
from naviyam.domain import card_link as rules
from naviyam.domain.card_link import Verification, link_refusal, mask_card_number, parse_card_number
from naviyam.domain.zero_balance import AFTER_CHARGE, NEXT_MONTH, TOMORROW, is_zero_balance, next_usable
from naviyam.usecases.card_link import card_link_start, link_card, unlink_card
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender

SEOUL = ZoneInfo("Asia/Seoul")
NOW = datetime(2026, 11, 23, 12, 30, tzinfo=SEOUL)
GOOD = "9410123456781111"
SUSPENDED = "9410123456782222"
OTHERS = "9410123456783333"


# ----------------------------------------------------------------------------- pure rules

@pytest.mark.parametrize("typed", ["9410-1234-5678-1111", "9410 1234 5678 1111", "9410123456781111",
                                   "카드번호는 9410-1234-5678-1111 이에요", "９４１０－１２３４－５６７８－１１１１"])
def test_card_numbers_are_read_as_people_type_them(typed):
    assert parse_card_number(typed).digits == GOOD


@pytest.mark.parametrize("typed, problem, count", [
    ("9410-1234-5678", rules.WRONG_LENGTH, 12), ("1234", rules.WRONG_LENGTH, 4),
    ("9410-1234-5678-11112", rules.WRONG_LENGTH, 17), ("잘 모르겠어", rules.NO_DIGITS, 0)])
def test_wrong_numbers_are_named(typed, problem, count):
    parsed = parse_card_number(typed)
    assert (parsed.digits, parsed.problem, parsed.digit_count) == (None, problem, count)


def test_masking_shows_only_the_last_four():
    assert mask_card_number(GOOD) == "****-****-****-1111"
    assert "1234" not in mask_card_number("9410-1234-5678-1111")


def test_link_refusals_never_take_over_a_card():
    active = Verification("ACTIVE", "아동급식카드", "초등학생", 10000, 9000, 100000)
    lost = Verification("LOST", "아동급식카드", "초등학생", 10000, 9000, 100000)
    assert link_refusal(active, known_to_operator=True, owner_user_id=None, user_id=1) is None
    assert link_refusal(None, known_to_operator=False, owner_user_id=None, user_id=1) == rules.UNKNOWN_CARD
    assert link_refusal(active, known_to_operator=True, owner_user_id=2, user_id=1) == rules.LINKED_ELSEWHERE
    assert link_refusal(active, known_to_operator=True, owner_user_id=1, user_id=1) == rules.ALREADY_LINKED
    assert link_refusal(lost, known_to_operator=True, owner_user_id=None, user_id=1) == rules.CARD_NOT_ACTIVE


def test_when_the_card_is_usable_again():
    today = date(2026, 11, 23)
    tomorrow = next_usable("daily", today, balance=20000, daily_limit=9000, monthly_limit=100000,
                           monthly_remaining=50000)
    assert (tomorrow.kind, tomorrow.on, tomorrow.amount) == (TOMORROW, date(2026, 11, 24), 9000)
    month = next_usable("monthly", today, balance=20000, daily_limit=9000, monthly_limit=100000,
                        monthly_remaining=0)
    assert (month.kind, month.on, month.amount) == (NEXT_MONTH, date(2026, 12, 1), 9000)
    empty = next_usable("balance", today, balance=0, daily_limit=9000, monthly_limit=100000,
                        monthly_remaining=50000)
    assert (empty.kind, empty.on, empty.amount) == (AFTER_CHARGE, None, None)
    assert is_zero_balance(True, 0, 1000) and is_zero_balance(True, 900, 1000)
    assert not is_zero_balance(True, 1000, 1000) and not is_zero_balance(False, None, 1000)


# ----------------------------------------------------------------------------- the use case

@pytest.fixture()
def operator():
    sim = OperatorSimulator(seed=1)
    sim.put_card(GOOD, balance=23000, daily_limit=9000, monthly_limit=150000, card_type="청소년급식카드",
                 target_age_group="중학생")
    sim.put_card(SUSPENDED, status="SUSPENDED", balance=5000, daily_limit=9000)
    sim.put_card(OTHERS, balance=8000, daily_limit=9000)
    server = SimulatorThread(sim)
    url = server.start()
    breaker = circuit_breaker("card_operator_test_link", fail_max=5, reset_s=30, exclude=[OperatorError])
    try:
        yield sim, CardOperatorClient(url, timeout_s=2, retries=0, breaker=breaker)
    finally:
        server.stop()


def _new_sender(name: str, agreed: bool = True) -> Sender:
    sender = Sender(f"cardlink_{name}_{datetime.now().timestamp():.0f}")
    if agreed:
        record_consent(sender, NOW)
    return sender


def _card_of(sender: Sender) -> FoodcardUser | None:
    with unit_of_work() as session:
        user = session.scalar(select(User).where(User.external_user_id == sender.sender_id))
        if user is None:
            return None
        card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user.id))
        if card is not None:
            session.expunge(card)
        return card


def _cards() -> int:
    with unit_of_work() as session:
        return session.scalar(select(func.count(FoodcardUser.id)))


def test_link_stores_the_card_encrypted_and_caps_the_budget(database_url, cache, operator):
    _, client = operator
    sender = _new_sender("link")
    assert card_link_start(sender, NOW).attempts_left == 5
    outcome = link_card(sender, "9410-1234-5678-1111", NOW, client=client)
    assert outcome.linked and outcome.masked == "****-****-****-1111"
    assert outcome.verification.card_type == "청소년급식카드"
    assert outcome.budget.amount == 9000 and outcome.budget.balance == 23000 and not outcome.budget.is_stale
    card = _card_of(sender)
    assert card.card_number == GOOD and card.card_number_hash == lookup_hash(GOOD)
    assert card.target_age_group == "중학생" and card.last_sync_at is not None
    with unit_of_work() as session:
        stored = session.execute(text("SELECT card_number FROM foodcard_users WHERE id = :id"),
                                 {"id": card.id}).scalar_one()
    assert stored.startswith("enc:v1:") and GOOD not in stored
    assert link_card(sender, GOOD, NOW, client=client).refusal == rules.ALREADY_LINKED


@pytest.mark.parametrize("typed, refusal", [
    ("9410-1234-5678", rules.WRONG_LENGTH), ("9999-0000-1111-2222", rules.UNKNOWN_CARD),
    (SUSPENDED, rules.CARD_NOT_ACTIVE)])
def test_bad_numbers_change_nothing(database_url, cache, operator, typed, refusal):
    _, client = operator
    sender = _new_sender("bad")
    before = _cards()
    outcome = link_card(sender, typed, NOW, client=client)
    assert outcome.refusal == refusal and not outcome.linked
    assert _card_of(sender) is None and _cards() == before


def test_no_agreement_no_link(database_url, cache, operator):
    _, client = operator
    sender = _new_sender("noconsent", agreed=False)
    assert not card_link_start(sender, NOW).agreed
    assert link_card(sender, GOOD, NOW, client=client).refusal == rules.NO_CONSENT
    assert _card_of(sender) is None


def test_a_card_of_another_user_is_never_taken_over(database_url, cache, operator):
    _, client = operator
    owner, other = _new_sender("owner"), _new_sender("other")
    assert link_card(owner, OTHERS, NOW, client=client).linked
    outcome = link_card(other, OTHERS, NOW, client=client)
    assert outcome.refusal == rules.LINKED_ELSEWHERE
    assert _card_of(other) is None and _card_of(owner).card_number == OTHERS


def test_too_many_attempts_per_day(database_url, cache, operator):
    sim, client = operator
    sender = _new_sender("many")
    for n in range(5):
        assert link_card(sender, f"1111-2222-3333-{n:04d}", NOW, client=client).refusal == rules.UNKNOWN_CARD
    requests_before = sim.requests
    assert link_card(sender, GOOD, NOW, client=client).refusal == rules.TOO_MANY_ATTEMPTS
    assert sim.requests == requests_before           # the operator is not even asked
    assert card_link_start(sender, NOW).attempts_left == 0
    assert _card_of(sender) is None


def test_replace_and_unlink(database_url, cache, operator):
    sim, client = operator
    sender = _new_sender("replace")
    old = "9410123456784444"
    sim.put_card(old, balance=30000, daily_limit=12000)
    assert link_card(sender, old, NOW, client=client).linked
    assert card_link_start(sender, NOW).current_card == "****-****-****-4444"
    sim.put_card(old, status="LOST")
    new = "9410123456785555"
    sim.put_card(new, balance=4000, daily_limit=9000)
    outcome = link_card(sender, new, NOW, client=client)
    assert outcome.linked and outcome.replaced == "****-****-****-4444"
    assert outcome.budget.amount == 4000 and outcome.budget.is_low
    card = _card_of(sender)
    assert card.card_number == new and card.card_number_hash == lookup_hash(new) and card.balance == 4000
    assert unlink_card(sender, NOW) == "****-****-****-5555"
    assert _card_of(sender) is None and unlink_card(sender, NOW) is None


# ----------------------------------------------------------------------------- the form's validation

def test_the_form_reads_the_number_and_puts_back_what_the_nlu_misread(domain):
    import asyncio

    from rasa_sdk import Tracker
    from rasa_sdk.executor import CollectingDispatcher

    from actions.card_link import ValidateCardLinkForm
    from helpers_nlg import said

    def tracker(text: str, intent: str) -> Tracker:
        message = {"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": []}
        events = [{"event": "slot", "name": "budget", "value": 5000},
                  {"event": "user", "text": text, "parse_data": message},
                  {"event": "slot", "name": "budget", "value": 9410}]
        slots = {"budget": 9410, "requested_slot": "card_number", "card_number": None}
        return Tracker("s", slots, message, events, False, None,
                       {"name": "card_link_form", "validate": True}, "action_listen")

    form = ValidateCardLinkForm()
    d = CollectingDispatcher()
    events = asyncio.run(form.run(d, tracker("9410-1234-5678-1111", "budget_inquiry"), domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["card_number"] == GOOD and slots["budget"] == 5000 and not d.messages

    d = CollectingDispatcher()
    events = asyncio.run(form.run(d, tracker("9410-1234", "budget_inquiry"), domain))
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    assert slots["card_number"] is None and "숫자가 8자리예요" in said(d, domain)[0]["text"]

    d = CollectingDispatcher()
    events = asyncio.run(form.run(d, tracker("아니요", "deny"), domain))
    assert not [e for e in events if e.get("event") == "slot" and e.get("name") == "card_number"]
