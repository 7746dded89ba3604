"""Group, urgency, portion and feedback through the real servers, with new users (issue 12).

One server pair for the module (the session's ``bot``); every conversation is a new sender.
Each request is compared with the plain request of another new user at the same time and
place, and must differ in the way the user asked for; feedback changes the next answer
and is stored once.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from naviyam.adapters.db.models import RecommendationFeedback, RecommendationLog, Shop, User
from naviyam.domain.hours import is_open_at
from tests.e2e.harness import agreed_user

pytestmark = pytest.mark.e2e

GEONDAE = {"lat": 37.5404, "lng": 127.0693}
LUNCH = {"now": "2026-11-23T12:30:00+09:00", "location": GEONDAE}      # a Monday
EVENING = {"now": "2026-11-23T20:40:00+09:00", "location": GEONDAE}    # many shops close at 21:00


def new_user(tag: str) -> str:
    return f"e2e_g12_{tag}_{uuid.uuid4().hex[:8]}"


def custom(messages: list[dict], kind: str | None = None) -> dict:
    found = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)
             and (kind is None or m["custom"].get("kind") == kind)]
    assert found, messages
    return found[0]


def texts(messages: list[dict]) -> str:
    return "\n".join(m.get("text", "") for m in messages if m.get("text"))


def items(messages: list[dict]) -> list[dict]:
    return custom(messages, "recommendations")["recommendations"]


def test_ten_people_thirty_thousand_is_asked_and_split(bot):
    plain = items(bot.send(new_user("plain"), "3만원으로 점심 추천해줘", LUNCH))
    sender = new_user("group")
    asked = bot.send(sender, "10명이서 3만원", LUNCH)
    assert custom(asked)["kind"] == "ask_budget_scope", texts(asked)
    assert "1인당" in texts(asked) and "전체" in texts(asked)
    answer = bot.send(sender, '/budget_scope{"budget_scope": "total"}', LUNCH)
    body = custom(answer, "recommendations")
    assert body["group_budget"] == {"party_size": 10, "scope": "total", "per_person": 3000, "total": 30000}
    assert all(r["menu"]["final_price"] <= 3000 for r in body["recommendations"])
    assert any(r["menu"]["final_price"] > 3000 for r in plain)          # not three 30,000원 single menus
    assert all(r["group"]["suits"] in ("yes", "unknown") for r in body["recommendations"])
    assert "1인당 3,000원" in texts(answer)


def test_typed_answer_per_person_and_group_seats_said(bot):
    sender = new_user("group_pp")
    custom(bot.send(sender, "10명이서 3만원", LUNCH), "ask_budget_scope")
    answer = bot.send(sender, "1인당이에요", LUNCH)
    body = custom(answer, "recommendations")
    assert body["group_budget"]["scope"] == "per_person" and body["group_budget"]["per_person"] == 30000
    assert "🪑" in texts(answer)                                       # seats, or "좌석 정보 없음"


def test_urgent_request_leaves_out_shops_about_to_close(bot, engine):
    plain = items(bot.send(new_user("plain_eve"), "만원으로 저녁 추천해줘", EVENING))
    answer = bot.send(new_user("urgent"), "급해! 만원으로 빨리 먹을 데 알려줘", EVENING)
    body = custom(answer, "recommendations")
    assert body.get("urgency") == "high", texts(answer)
    later = datetime.fromisoformat(EVENING["now"]) + timedelta(minutes=30)
    with engine.connect() as conn:
        hours = dict(conn.execute(select(Shop.id, Shop.business_hours)).all())
    now = datetime.fromisoformat(EVENING["now"])
    # the filter has something to leave out: shops open now that close within 30 minutes
    assert any(is_open_at(h, now) and not is_open_at(h, later) for h in hours.values())
    assert plain, "the plain request is answered"
    assert all(is_open_at(hours[r["shop_id"]], later) for r in body["recommendations"])
    assert "30분 이상" in texts(answer)


def test_hearty_portion_differs_from_plain(bot):
    plain = items(bot.send(new_user("plain_p"), "만원으로 점심 추천해줘", LUNCH))
    answer = bot.send(new_user("large"), "만원으로 든든하게 먹고 싶어", LUNCH)
    body = custom(answer, "recommendations")
    assert body.get("portion_size") == "large", texts(answer)
    assert all(r["portion"]["matches"] for r in body["recommendations"])
    assert [r["menu"]["menu_id"] for r in body["recommendations"]] != [r["menu"]["menu_id"] for r in plain]


def test_disliked_shop_is_stored_once_and_not_recommended_again(bot, engine):
    sender = agreed_user(engine, "e2e_g12_feedback")     # feedback is kept against an agreed user
    first = items(bot.send(sender, "만원으로 점심 추천해줘", LUNCH))
    bot.send(sender, '/choose_option{"option_number": 1}', LUNCH)
    chosen = first[0]["shop_id"]
    thanks = bot.send(sender, "별로였어", LUNCH)
    assert "한동안 추천하지 않을게요" in texts(thanks), texts(thanks)
    assert "꼭 참고할게요" not in texts(thanks)
    bot.send(sender, "별로였어", LUNCH)                                  # said again: one record
    again = items(bot.send(sender, "만원으로 점심 추천해줘", LUNCH))
    assert chosen not in [r["shop_id"] for r in again]
    with engine.connect() as conn:
        user_id = conn.execute(select(User.id).where(User.external_user_id == sender)).scalar_one()
        rows = conn.execute(select(RecommendationFeedback.recommendation_log_id, RecommendationFeedback.feedback_shop_id,
                                   RecommendationFeedback.explicit_rating)
                            .where(RecommendationFeedback.user_id == user_id)).all()
        assert len(rows) == 1 and rows[0][1:] == (chosen, 2)
        assert conn.execute(select(RecommendationLog.feedback_rating)
                            .where(RecommendationLog.id == rows[0][0])).scalar_one() == 2
        count = conn.execute(select(func.count()).select_from(RecommendationFeedback)
                             .where(RecommendationFeedback.user_id == user_id)).scalar_one()
    assert count == 1


def test_closure_report_is_thanked_truthfully(bot, engine):
    sender = agreed_user(engine, "e2e_g12_closed")       # a report is kept against an agreed user
    items(bot.send(sender, "만원으로 점심 추천해줘", LUNCH))
    bot.send(sender, '/choose_option{"option_number": 2}', LUNCH)
    answer = bot.send(sender, "거기 문 닫았던데", LUNCH)
    body = custom(answer, "feedback")
    assert body["feedback"]["feedback_kind"] == "closed" and body["feedback"]["closure_report_id"]
    assert "운영팀에 확인을 요청했어요" in texts(answer)
