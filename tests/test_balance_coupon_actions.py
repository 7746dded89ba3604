"""Balance and coupon actions inside the action server process (no Rasa), real database."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker

from actions.balance import ActionBalanceChargeInfo, ActionCheckBalance, freshness_text
from actions.coupons import ActionShowCoupons
import helpers_actions
from helpers_actions import make_tracker, texts
from helpers_coupons import give, make_card, make_coupon, make_user
from naviyam.adapters.card_operator import operator_breaker
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender

SEOUL = ZoneInfo("Asia/Seoul")


def tracker(sender: str, intent: str, now: datetime) -> Tracker:
    return make_tracker(sender, "잔액", intent, metadata={"now": now.isoformat()}, confidence=0.9)


def run(action, trk, domain) -> tuple[str, dict]:
    """The answer's text and its one json_message."""
    _, messages = helpers_actions.run(action, trk, domain)
    custom = [m["custom"] for m in messages if m.get("custom")]
    assert len(custom) == 1
    return texts(messages), custom[0]


def _user_with_card(url: str, now: datetime, **card) -> str:
    sender = f"kid-{uuid.uuid4().hex[:8]}"
    with unit_of_work(url) as session:
        user = make_user(session)
        user.external_user_id = sender
        make_card(session, user, **card)
    return sender


def test_check_balance_low_alerts_once_and_gives_emergency_coupon(database_url, cache, domain):
    now = datetime.now(SEOUL).replace(microsecond=0)
    sender = _user_with_card(database_url, now, balance=3000, daily_limit=9000, monthly_limit=120000,
                             daily_spent=2000, monthly_spent=40000, spent_as_of=now.date(),
                             last_sync_at=now - timedelta(minutes=3))
    text, custom = run(ActionCheckBalance(), tracker(sender, "balance_check", now), domain)
    assert "3,000원" in text and "7,000원" in text and "80,000원" in text
    assert "3분 전 기준" in text
    assert "예산 안에서" in text                       # low-balance note
    assert "든든 지원 쿠폰" in text and "24시간" in text
    assert custom["kind"] == "balance" and custom["low_balance_alert"] is True
    assert custom["balance"]["amount"] == 3000 and custom["balance"]["is_low"]
    assert custom["emergency_coupon"]["status"] == "ACTIVE"

    later = now + timedelta(minutes=10)
    text2, custom2 = run(ActionCheckBalance(), tracker(sender, "balance_check", later), domain)
    assert custom2["low_balance_alert"] is False and "emergency_coupon" not in custom2
    assert "든든 지원 쿠폰" not in text2

    coupons_text, coupons = run(ActionShowCoupons(), tracker(sender, "coupon_inquiry", later), domain)
    assert coupons["kind"] == "coupons" and coupons["counts"]["active"] == 1
    assert coupons["coupons"][0]["coupon_id"] == "EMERGENCY_ASSIST"
    assert "든든 지원 쿠폰 · 2,000원 할인" in coupons_text and "내일" in coupons_text


def test_operator_down_answers_with_stale_note(database_url, cache, domain):
    now = datetime.now(SEOUL).replace(microsecond=0)
    sender = _user_with_card(database_url, now, balance=15000, last_sync_at=now - timedelta(minutes=1))
    operator_breaker().open()
    text, custom = run(ActionCheckBalance(), tracker(sender, "balance_check", now), domain)
    assert "15,000원" in text and "카드사 연결이 잠시 어려워서" in text and "다를 수 있어요" in text
    assert custom["balance"]["is_stale"] is True and custom["balance"]["operator_down"] is True


def test_no_card_and_charge_info(database_url, cache, domain):
    now = datetime.now(SEOUL)
    no_card = f"new-{uuid.uuid4().hex[:6]}"
    record_consent(Sender(no_card), now)     # agreed (issue 10), no card linked
    text, custom = run(ActionCheckBalance(), tracker(no_card, "balance_check", now), domain)
    assert "연결된 급식카드가 없어요" in text and custom["balance"]["has_card"] is False

    sender = _user_with_card(database_url, now, daily_limit=9000, monthly_limit=150000)
    text, custom = run(ActionBalanceChargeInfo(), tracker(sender, "balance_charge", now), domain)
    assert "충전은 나비얌에서 할 수 없어요" in text and "9,000원" in text and "150,000원" in text
    assert custom == {"kind": "balance_charge", "payments": False,
                      "card_limits": {"daily_limit": 9000, "monthly_limit": 150000},
                      "quick_replies": custom["quick_replies"]}


def test_show_coupons_lists_active_used_expired(database_url, cache, domain):
    now = datetime.now(SEOUL).replace(microsecond=0)
    sender = f"kid-{uuid.uuid4().hex[:8]}"
    with unit_of_work(database_url) as session:
        user = make_user(session)
        user.external_user_id = sender
        today = now.date()
        give(session, user, make_coupon(session, today, coupon_name="분식 10% 쿠폰", discount_amount=None,
                                        discount_rate=0.1, max_discount_amount=1000, min_order_amount=5000),
             now, days=3)
        give(session, user, make_coupon(session, today, coupon_name="쓴 쿠폰"), now, status="USED",
             used_at=now - timedelta(days=1))
        give(session, user, make_coupon(session, today, coupon_name="지난 쿠폰"), now, days=-1,
             issued_at=now - timedelta(days=5))
    text, custom = run(ActionShowCoupons(), tracker(sender, "coupon_inquiry", now), domain)
    assert "1장 있어요" in text and "분식 10% 쿠폰 · 10% 할인 (최대 1,000원) · 5,000원 이상 주문 시" in text
    assert "쓴 쿠폰 1장" in text and "지난 쿠폰 1장" in text
    assert [c["status"] for c in custom["coupons"]] == ["ACTIVE", "USED", "EXPIRED"]

    no_coupons = f"x-{uuid.uuid4().hex[:6]}"
    record_consent(Sender(no_coupons), now)  # agreed (issue 10), nothing in the wallet
    empty_text, empty = run(ActionShowCoupons(), tracker(no_coupons, "coupon_inquiry", now), domain)
    assert "쓸 수 있는 쿠폰은 없어요" in empty_text and empty["coupons"] == []


@pytest.mark.parametrize("minutes,text", [(0, "방금 전"), (3, "3분 전"), (125, "2시간 전"), (60 * 50, "2일 전")])
def test_freshness_text(minutes, text):
    now = datetime(2025, 3, 10, 12, 0, tzinfo=SEOUL)
    assert freshness_text(now - timedelta(minutes=minutes), now) == text
    assert freshness_text(None, now) is None
