"""One neutral rendering → Kakao SkillResponse 2.0 and Telegram sendMessage calls."""
from __future__ import annotations

import json

from bot.channels import rendering
from bot.channels.rendering import collect, to_kakao, to_telegram
from tests.fakes.telegram import html_error, visible_text


def _item(n: int, **extra):
    return {"shop_id": n, "shop_name": f"가게{n}", "category": "분식",
            "menu": {"menu_id": n, "name": f"메뉴{n}", "price": 5000, "final_price": 4500},
            "foodcard": "Y", "distance_m": 100 * n, "walk_minutes": n, "reasons": [], "score": 0.5,
            **extra}


def test_recommendations_become_a_kakao_carousel_with_buttons(recommendation_answer):
    body, choices = to_kakao(collect(recommendation_answer))
    assert body["version"] == "2.0"
    outputs = body["template"]["outputs"]
    assert outputs[0] == {"simpleText": {"text": "5천원으로 드실 수 있는 곳을 찾았어요!"}}
    carousel = outputs[1]["carousel"]
    assert carousel["type"] == "textCard"  # no thumbnail configured
    first = carousel["items"][0]
    assert first["title"] == "1. 김밥천국 건대점"
    assert first["description"].splitlines() == [
        "🍽 참치김밥 · 4,000원 (원래 4,500원)", "🚶 걸어서 4분", "💳 급식카드 사용 가능",
        "✨ 예산 안이에요, 가까워요"]
    assert first["buttons"] == [
        {"label": "이걸로 할게요", "action": "message", "messageText": "1번 김밥천국 건대점 선택할게요"},
        {"label": "메뉴 보기", "action": "message", "messageText": "김밥천국 건대점 메뉴 보여주세요"},
        {"label": "전화하기", "action": "phone", "phoneNumber": "02-555-1234"},
    ]
    second = carousel["items"][1]
    assert "💳 급식카드 일부 메뉴만 가능" in second["description"]
    assert len(second["buttons"]) == 2  # no phone, no call button
    assert body["template"]["quickReplies"][0] == {
        "label": "다른 추천", "action": "message", "messageText": "다른 추천"}
    assert choices["1번 김밥천국 건대점 선택할게요"] == '/choose_option{"option_number": 1}'
    assert choices["김밥천국 건대점 메뉴 보여주세요"] == '/shop_menu{"shop_id": 11}'
    assert choices["다른 추천"] == "/request_more"


def test_thumbnail_makes_basic_cards():
    body, _ = to_kakao(collect([{"custom": {"recommendations": [_item(1)]}}]),
                       thumbnail_url="https://cdn.example.com/naviyam.png")
    carousel = body["template"]["outputs"][0]["carousel"]
    assert carousel["type"] == "basicCard"
    assert carousel["items"][0]["thumbnail"] == {"imageUrl": "https://cdn.example.com/naviyam.png"}


def test_kakao_limits_are_respected():
    many = [_item(n, shop_name="아주아주아주긴이름의가게" * 8) for n in range(1, 16)]
    options = [{"title": f"아주 긴 빠른 답장 제목 {n}", "payload": f"/x{n}"} for n in range(12)]
    long_text = "\n\n".join("가" * 700 for _ in range(6))
    body, _ = to_kakao(collect([{"text": long_text},
                                {"custom": {"recommendations": many, "alternatives": many,
                                            "quick_replies": options}}]))
    template = body["template"]
    assert len(template["outputs"]) <= 3
    for output in template["outputs"]:
        if "simpleText" in output:
            assert len(output["simpleText"]["text"]) <= 1000
        else:
            items = output["carousel"]["items"]
            assert len(items) <= 10
            for item in items:
                assert len(item["title"]) <= 50 and len(item["description"]) <= 230
                assert len(item["buttons"]) <= 3
                assert all(len(b["label"]) <= 14 for b in item["buttons"])
    assert len(template["quickReplies"]) == 10
    assert all(len(q["label"]) <= 14 for q in template["quickReplies"])


def test_long_text_without_cards_is_split_into_at_most_three_bubbles():
    text = "\n".join(f"{n}번째 줄입니다. " * 5 for n in range(200))
    body, _ = to_kakao(collect([{"text": text}]))
    outputs = body["template"]["outputs"]
    assert len(outputs) == 3
    assert all(len(o["simpleText"]["text"]) <= 1000 for o in outputs)
    assert outputs[-1]["simpleText"]["text"].endswith("…")


def test_empty_answer_still_says_something_polite():
    body, _ = to_kakao(collect([]))
    assert body["template"]["outputs"] == [{"simpleText": {"text": rendering.EMPTY_REPLY}}]


def test_text_buttons_become_quick_replies_without_duplicates():
    reply = collect([{"text": "더 볼까요?", "buttons": [{"title": "네", "payload": "/affirm"}]},
                     {"custom": {"quick_replies": [{"title": "네", "payload": "/affirm"},
                                                   {"title": "아니요", "payload": "/deny"}]}}])
    assert [o.payload for o in reply.options] == ["/affirm", "/deny"]


def test_telegram_messages_escape_html_and_carry_inline_keyboards(recommendation_answer):
    messages, tokens = to_telegram(collect(recommendation_answer), 4242)
    assert tokens == {}
    assert [m["chat_id"] for m in messages] == [4242] * 4
    for m in messages:
        assert m["parse_mode"] == "HTML"
        assert html_error(m["text"]) is None, m["text"]
    card = messages[2]
    assert card["text"].startswith("<b>2. &lt;떡볶이&gt; &amp; 튀김</b>")
    assert visible_text(card["text"]).startswith("2. <떡볶이> & 튀김")
    assert card["reply_markup"] == {"inline_keyboard": [[
        {"text": "이걸로 할게요", "callback_data": '/choose_option{"option_number": 2}'},
        {"text": "메뉴 보기", "callback_data": '/shop_menu{"shop_id": 12}'}]]}
    first_card = visible_text(messages[1]["text"])
    assert "📞 02-555-1234" in first_card
    keyboard = messages[-1]["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in keyboard] == [["다른 추천", "쿠폰 보기"], ["잔액 확인"]]


def test_telegram_long_text_is_split_under_4096_after_escaping():
    text = ("<&> " * 800 + "\n") * 3
    messages, _ = to_telegram(collect([{"text": text}]), 1)
    assert len(messages) > 1
    assert all(len(m["text"]) <= 4096 and html_error(m["text"]) is None for m in messages)
    assert "".join(visible_text(m["text"]).replace("\n", "").replace(" ", "") for m in messages) == \
        text.replace("\n", "").replace(" ", "")


def test_telegram_long_payloads_use_callback_tokens():
    payload = "/choose_option" + json.dumps({"option_number": 1, "shop_id": 12345, "note": "가" * 30})
    messages, tokens = to_telegram(collect([{"text": "고르세요", "buttons": [
        {"title": "이거", "payload": payload}]}]), 1)
    data = messages[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    assert len(data.encode()) <= 64 and tokens[data] == payload


def test_menu_button_without_a_shop_id_sends_plain_text():
    from bot.channels.rendering import menu_payload

    assert menu_payload(None, "분식집") == "분식집 메뉴 보여주세요"
    assert menu_payload("7", "분식집") == '/shop_menu{"shop_id": 7}'
