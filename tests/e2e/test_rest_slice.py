"""The first end-to-end slice through the real servers over the REST channel (issue 2)."""
from __future__ import annotations

import pytest

from tests.e2e.harness import last_custom, texts_of
from sqlalchemy import func, select

from naviyam.adapters.db.models import Conversation, Menu, RecommendationLog, Shop

pytestmark = pytest.mark.e2e

WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"  # a Monday
GEONDAE = {"lat": 37.5404, "lng": 127.0693}


def test_greeting_gets_a_korean_answer(bot):
    messages = bot.send("e2e_greeter", "안녕하세요", {"now": WEEKDAY_LUNCH})
    text = texts_of(messages)
    assert text and any("\uac00" <= ch <= "\ud7a3" for ch in text)


@pytest.mark.parametrize("utterance,budget", [("5천원으로 점심 추천해줘", 5000),
                                              ("만원으로 저녁 뭐 먹지", 10000)])
def test_budget_request_returns_filtered_recommendations(bot, engine, utterance, budget):
    sender = f"e2e_budget_{budget}"
    messages = bot.send(sender, utterance, {"now": WEEKDAY_LUNCH, "location": GEONDAE})
    assert texts_of(messages), "the bot must always say something"
    payload = last_custom(messages)
    items = payload["recommendations"]
    assert 1 <= len(items) <= 3
    with engine.connect() as conn:
        for item in items:
            assert item["foodcard"] in {"Y", "P"}
            assert item["menu"]["final_price"] <= budget
            assert isinstance(item["shop_id"], int) and isinstance(item["score"], float)
            row = conn.execute(select(Menu.price, Shop.is_food_card_shop)
                               .join(Shop, Shop.id == Menu.shop_id)
                               .where(Menu.id == item["menu"]["menu_id"])).one()
            assert row.price == item["menu"]["price"]
            assert row.is_food_card_shop == item["foodcard"]
        logged = conn.execute(select(func.count()).select_from(RecommendationLog)).scalar_one()
        turns = conn.execute(select(func.count()).select_from(Conversation)).scalar_one()
    assert logged >= 1 and turns >= 1


def test_impossible_budget_offers_marked_alternatives(bot):
    messages = bot.send("e2e_tiny_budget", "500원으로 먹을 거 추천해줘",
                        {"now": WEEKDAY_LUNCH, "location": GEONDAE})
    assert texts_of(messages)
    payload = last_custom(messages)
    assert payload["recommendations"] == []
    assert payload.get("alternatives"), "an empty answer must offer alternatives"


def test_over_long_message_gets_a_polite_answer(bot):
    messages = bot.send("e2e_long", "떡볶이 " * 200, {"now": WEEKDAY_LUNCH})
    text = texts_of(messages)
    assert text and "Traceback" not in text
