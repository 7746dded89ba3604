"""The card's state on a recommendation request (issue 12), through the action with the
real database and cache: the zero-balance answer and the low-balance alert."""
from __future__ import annotations

import pytest

from actions.recommend import ActionRecommend
from helpers_actions import make_tracker, run

MONDAY_LUNCH = {"now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def _ask(sender: str, domain: dict, metadata: dict, text: str = "배고파 뭐 먹지") -> list[dict]:
    return run(ActionRecommend(), make_tracker(sender, text, "food_request", metadata=metadata), domain)[1]


def _custom(messages: list[dict]) -> dict:
    return [m["custom"] for m in messages if m.get("custom")][0]


def test_zero_balance_gets_its_own_honest_answer(loaded_database_url, domain):
    messages = _ask("demo_zero_01", domain, MONDAY_LUNCH)
    custom = _custom(messages)
    text = "\n".join(m["text"] for m in messages if m.get("text"))
    assert custom["kind"] == "zero_balance" and custom["recommendations"] == []
    assert custom["balance"] == 0 and custom["next_usable"]["kind"] == "after_charge"
    assert "다시 물어봐" not in text and "예산" not in text
    assert "0원" in text and "충전" in text
    names = [s["shop_name"] for s in custom["free_meal_shops"]]
    assert "24시 콩나물국밥" in names and "24시 콩나물국밥" in text
    assert all(s["walk_minutes"] is not None for s in custom["free_meal_shops"])
    assert {"title": "충전 방법", "payload": "/balance_charge"} in custom["quick_replies"]


def test_low_balance_alert_on_a_recommendation_once_a_day(loaded_database_url, domain):
    meta = {"now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5133, "lng": 126.9426}}
    first = _ask("demo_lowbal_01", domain, meta)
    custom = _custom(first)
    assert custom["kind"] in ("recommendations", "no_results") and custom["low_balance_alert"] is True
    assert any("잔액이 3,200원 남았어요" in (m.get("text") or "") for m in first)
    second = _custom(_ask("demo_lowbal_01", domain, {**meta, "now": "2026-11-23T18:30:00+09:00"}))
    assert second["low_balance_alert"] is False
