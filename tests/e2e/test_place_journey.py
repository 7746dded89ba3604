"""Where, which shop, and when, through the real servers with new users (issue 12).

- No location → asked "어디 근처에서 찾을까요?" (kind ask_location) → a place answers and the
  waiting request is served → the place is remembered and used in the next session, saying so.
- Questions about what was shown are answered from the shop row (kind shop_info), never
  with new recommendations.
- Another time ("점심에" at 3 a.m.) moves the open filter to that time and says so.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from tests.e2e.harness import last_custom, texts_of, agreed_user
from sqlalchemy import select

from naviyam.adapters.db.models import Shop, User
from naviyam.domain.hours import closes_at, is_open_at

pytestmark = pytest.mark.e2e

MONDAY_LUNCH = "2026-11-23T12:30:00+09:00"
TUESDAY_LUNCH = "2026-11-24T12:10:00+09:00"
MONDAY_3AM = "2026-11-23T03:00:00+09:00"
GEONDAE = {"lat": 37.5404, "lng": 127.0693}


def _new_user(tag: str) -> str:
    return f"e2e_place_{tag}_{uuid.uuid4().hex[:8]}"


def test_no_place_is_asked_answered_and_remembered_next_session(bot, engine):
    sender = agreed_user(engine, "e2e_place_ask")      # only an agreed user's place is remembered
    asked = bot.send(sender, "떡볶이 먹고 싶어", {"now": MONDAY_LUNCH})
    payload = last_custom(asked)
    assert payload["kind"] == "ask_location" and payload["recommendations"] == []
    assert "어디 근처에서 찾을까요?" in texts_of(asked)

    answered = bot.send(sender, "건대", {"now": MONDAY_LUNCH})
    payload = last_custom(answered)
    assert payload["kind"] in ("recommendations", "no_results"), texts_of(answered)
    assert payload["place"] == {"name": "건대입구", "source": "place"}
    assert payload.get("food_type", {}).get("requested") == "떡볶이"      # the waiting request was served
    with engine.connect() as conn:
        remembered = conn.execute(select(User.last_place_name).where(User.external_user_id == sender)).scalar_one()
    assert remembered == "건대입구"

    bot.send(sender, "/session_start", {"now": TUESDAY_LUNCH})
    again = bot.send(sender, "점심 추천해줘", {"now": TUESDAY_LUNCH})
    payload = last_custom(again)
    assert payload["kind"] == "recommendations", texts_of(again)
    assert payload["place"] == {"name": "건대입구", "source": "remembered"}
    assert "지난번처럼 건대입구 근처에서 찾았어요" in texts_of(again)
    assert all(item["distance_m"] is not None for item in payload["recommendations"])


def test_a_shared_position_is_named_by_its_area(bot):
    sender = _new_user("shared")
    payload = last_custom(bot.send(sender, "점심 추천해줘", {"now": MONDAY_LUNCH, "location": GEONDAE}))
    assert payload["place"] == {"name": "건대입구", "source": "metadata"}


def test_questions_about_what_was_shown_come_from_the_shop_row(bot, engine):
    sender = agreed_user(engine, "e2e_place_info")      # past onboarding: no consent question between
    meta = {"now": MONDAY_LUNCH, "location": GEONDAE}
    shown = last_custom(bot.send(sender, "만원으로 점심 추천해줘", meta))["recommendations"]
    assert len(shown) >= 2
    first, second = shown[0]["shop_id"], shown[1]["shop_id"]
    now = datetime.fromisoformat(MONDAY_LUNCH)
    with engine.connect() as conn:
        shops = {s.id: s for s in conn.execute(select(Shop).where(Shop.id.in_([first, second])))}

    hours = bot.send(sender, "거기 몇 시에 닫아?", meta)
    info = last_custom(hours)
    assert info["kind"] == "shop_info" and info["shop_id"] == first and "recommendations" not in info
    closing = closes_at(shops[first].business_hours, now)
    assert closing is not None and closing.strftime("%H:%M") in texts_of(hours)

    where = bot.send(sender, "2번 가게 어디야?", meta)
    info = last_custom(where)
    assert info["kind"] == "shop_info" and info["shop_id"] == second
    address = shops[second].road_address_name or shops[second].address_name
    assert address in texts_of(where) and info["walk_minutes"] is not None

    phone = last_custom(bot.send(sender, "전화번호 알려줘", meta))
    assert phone["kind"] == "shop_info" and phone["shop_id"] == first and phone["phone"] == shops[first].phone

    chosen = last_custom(bot.send(sender, "2번", meta))
    assert chosen["kind"] == "selection"
    card = bot.send(sender, "거기 카드 돼?", meta)
    info = last_custom(card)
    assert info["kind"] == "shop_info" and info["shop_id"] == second          # "거기" = the chosen shop
    assert info["foodcard"] == shops[second].is_food_card_shop and "급식카드" in texts_of(card)


def test_another_time_moves_the_open_filter_and_says_so(bot, engine):
    meta = {"now": MONDAY_3AM, "location": GEONDAE}
    later = bot.send(_new_user("later"), "점심에 먹을 거 추천해줘", meta)
    payload = last_custom(later)
    assert payload["kind"] == "recommendations", texts_of(later)
    assert payload["open_at"]["label"] == "오늘 점심(12:00)"
    assert "오늘 점심(12:00)에 문을 여는 곳으로 골랐어요" in texts_of(later)
    noon, three = datetime.fromisoformat("2026-11-23T12:00:00+09:00"), datetime.fromisoformat(MONDAY_3AM)
    ids = [i["shop_id"] for i in payload["recommendations"]]
    with engine.connect() as conn:
        hours = dict(conn.execute(select(Shop.id, Shop.business_hours).where(Shop.id.in_(ids))).all())
    assert all(is_open_at(hours[i], noon) for i in ids)
    assert not all(is_open_at(hours[i], three) for i in ids)     # the 3 a.m. filter would not have allowed them

    now_payload = last_custom(bot.send(_new_user("now"), "지금 먹을 거 추천해줘", meta))
    assert "open_at" not in now_payload
    now_ids = [i["shop_id"] for i in now_payload["recommendations"]]
    assert set(now_ids) != set(ids)
