"""Feedback that is kept and the group question (issue 12), through the actions in-process.

The real action code, use cases and database (no Rasa): recommend → choose → "별로였어" stores
one feedback row and the rating, the next answer leaves the shop out; a closure report
reaches the operator's queue; "10명이서 3만원" is asked back and answered.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timezone

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from actions.feedback import ActionFeedback
from actions.recommend import ActionChooseOption, ActionRecommend
import helpers_actions
from helpers_actions import custom, texts
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender
from naviyam.adapters.db.models import RecommendationFeedback, RecommendationLog, ShopClosureReport
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import reset_settings_cache
from naviyam.domain.feedback import read_feedback

META = {"now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}
TOKEN = "operator-feedback-token-" + uuid.uuid4().hex


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


@pytest.mark.parametrize("text, kind, rating, excludes", [
    ("맛있었어", "liked", 5, False), ("별로였어", "disliked", 2, True), ("별점 4점", "rated", 4, False),
    ("별 다섯 개 줄게", "rated", 5, False), ("1점이요", "rated", 1, True), ("거기 문 닫았던데", "closed", None, True),
    ("가 보니까 폐업했더라", "closed", None, True), ("다시는 안 갈래", "disliked", 2, True),
    ("그냥 그랬어", "noted", None, False),
])
def test_reading_feedback(text, kind, rating, excludes):
    reading = read_feedback(text)
    assert (reading.kind, reading.rating, reading.excludes_shop) == (kind, rating, excludes)


class Chat(helpers_actions.Chat):
    """A conversation at Monday lunch near 건대입구, of a user who agreed unless told otherwise."""

    def __init__(self, domain: dict, sender: str, *, agreed: bool = True) -> None:
        super().__init__(domain, sender, metadata=META)
        if agreed:       # feedback is kept against the user: only one who agreed (issue 10)
            record_consent(Sender(sender), datetime.now(timezone.utc))


def test_disliked_shop_is_stored_once_and_left_out(loaded_database_url, domain):
    chat = Chat(domain, "fb-" + uuid.uuid4().hex[:8])
    first = custom(chat.turn(ActionRecommend(), "만원으로 점심 추천해줘", "budget_inquiry",
                             [{"entity": "budget", "value": 10000}]))
    log_id = first["recommendation_id"]
    chat.turn(ActionChooseOption(), "1번", "choose_option", [{"entity": "option_number", "value": 1}])
    chosen = chat.slots["selected_shop_id"]
    answer = chat.turn(ActionFeedback(), "별로였어", "feedback")
    assert "한동안 추천하지 않을게요" in texts(answer) and "꼭 참고할게요" not in texts(answer)
    assert custom(answer)["feedback"]["excluded_until"]
    chat.turn(ActionFeedback(), "진짜 별로였어", "feedback")              # said twice: still one row
    with unit_of_work() as s:
        rows = s.scalars(select(RecommendationFeedback).where(
            RecommendationFeedback.recommendation_log_id == log_id)).all()
        assert len(rows) == 1
        assert (rows[0].feedback_shop_id, rows[0].user_action, rows[0].explicit_rating) == (chosen, "selected", 2)
        assert rows[0].recommended_shops[0]["shop_id"] == first["recommendations"][0]["shop_id"]
        assert s.get(RecommendationLog, log_id).feedback_rating == 2
    again = custom(chat.turn(ActionRecommend(), "만원으로 점심 추천해줘", "budget_inquiry",
                             [{"entity": "budget", "value": 10000}]))
    assert chosen not in [r["shop_id"] for r in again["recommendations"]]


def test_liked_is_thanked_without_promises(loaded_database_url, domain):
    chat = Chat(domain, "fb-" + uuid.uuid4().hex[:8])
    chat.turn(ActionRecommend(), "만원으로 점심 추천해줘", "budget_inquiry", [{"entity": "budget", "value": 10000}])
    chat.turn(ActionChooseOption(), "2번", "choose_option", [{"entity": "option_number", "value": 2}])
    answer = chat.turn(ActionFeedback(), "맛있었어 5점", "feedback")
    assert "추천하지 않을게요" not in texts(answer) and "5점" in texts(answer)
    assert custom(answer)["feedback"]["excluded_until"] is None


def test_feedback_before_any_recommendation_promises_nothing(loaded_database_url, domain):
    answer = Chat(domain, "fb-" + uuid.uuid4().hex[:8]).turn(ActionFeedback(), "별로였어", "feedback")
    assert custom(answer)["stored"] is False and "기록하지는 못했어요" in texts(answer)


def test_closure_report_reaches_the_operator(loaded_database_url, domain, monkeypatch):
    from naviyam.shop_service.app import create_app

    monkeypatch.setenv("NAVIYAM_OPERATOR_TOKEN", TOKEN)
    reset_settings_cache()
    chat = Chat(domain, "fb-" + uuid.uuid4().hex[:8])
    chat.turn(ActionRecommend(), "만원으로 점심 추천해줘", "budget_inquiry", [{"entity": "budget", "value": 10000}])
    chat.turn(ActionChooseOption(), "1번", "choose_option", [{"entity": "option_number", "value": 1}])
    shop = chat.slots["selected_shop_id"]
    answer = chat.turn(ActionFeedback(), "거기 문 닫았던데", "feedback")
    assert "운영팀에 확인을 요청했어요" in texts(answer)
    report_id = custom(answer)["feedback"]["closure_report_id"]
    client = TestClient(create_app())
    assert client.get("/api/v1/operator/closure-reports").status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    queue = client.get("/api/v1/operator/closure-reports", headers=auth).json()
    assert any(r["id"] == report_id and r["shop_id"] == shop for r in queue["reports"])
    done = client.post(f"/api/v1/operator/closure-reports/{report_id}", headers=auth,
                       json={"status": "confirmed", "note": "폐업 확인"})
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(ShopClosureReport)
                        .where(ShopClosureReport.id == report_id, ShopClosureReport.status == "confirmed")) == 1
    reset_settings_cache()


def test_ten_people_thirty_thousand_is_asked_then_answered(loaded_database_url, domain):
    chat = Chat(domain, "fb-" + uuid.uuid4().hex[:8])
    asked = chat.turn(ActionRecommend(), "10명이서 3만원", "group_dining",
                      [{"entity": "party_size", "value": 10}, {"entity": "budget", "value": 30000}])
    assert custom(asked)["kind"] == "ask_budget_scope" and "1인당" in texts(asked)
    assert [b["title"] for m in asked for b in m.get("buttons") or []] == ["1인당이에요", "전체예요"]
    answer = custom(chat.turn(ActionRecommend(), "/budget_scope", "budget_scope",
                              [{"entity": "budget_scope", "value": "total"}]))
    assert answer["group_budget"] == {"party_size": 10, "scope": "total", "per_person": 3000, "total": 30000}
    assert answer["recommendations"] and all(r["menu"]["final_price"] <= 3000 for r in answer["recommendations"])
    assert all("group" in r for r in answer["recommendations"])
    # said in one message: no question
    direct = custom(chat.turn(ActionRecommend(), "10명이서 1인당 5천원", "group_dining",
                              [{"entity": "party_size", "value": 10}, {"entity": "budget", "value": 5000}]))
    assert direct["group_budget"]["per_person"] == 5000
