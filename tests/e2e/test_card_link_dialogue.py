"""A new child links a meal card, and the card's state shapes every answer (issue 12), through
the real Rasa server and action server (one module-scoped pair) with the card operator
simulated (the only fake): link → recommend within the card's budget; each bad number →
a kind answer and no row changed; replace and unlink; 0원 → the honest zero_balance answer
with a free-meal shop; a low balance → the alert on a recommendation request. The number
never reaches the stored tracker or the logs unmasked.
"""
from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from devtools.operator_simulator import OperatorSimulator, SimulatorThread
from tests.conftest import fresh_redis_db
from tests.e2e.harness import BotServers, agreed_user, start_servers

pytestmark = pytest.mark.e2e

LUNCH = {"now": "2026-11-23T12:30:00+09:00", "location": {"lat": 37.5404, "lng": 127.0693}}  # 건대입구
CARD_6000 = "9410-7001-0000-6000"
CARD_3000 = "9410-7001-0000-3000"
CARD_ZERO = "9410-7001-0000-0000"
SUSPENDED = "9410-7001-0000-9999"
ASK_NUMBER = "카드 번호 16자리"


@pytest.fixture(scope="module")
def operator() -> Iterator[tuple[OperatorSimulator, str]]:
    sim = OperatorSimulator(seed=12)
    for number, balance in ((CARD_6000, 6000), (CARD_3000, 3000), (CARD_ZERO, 0)):
        sim.put_card(number.replace("-", ""), balance=balance, daily_limit=9000, monthly_limit=150000,
                     card_type="아동급식카드", target_age_group="초등학생")
    sim.put_card(SUSPENDED.replace("-", ""), status="SUSPENDED", balance=20000, daily_limit=9000)
    server = SimulatorThread(sim)
    url = server.start()
    try:
        yield sim, url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def card_bot(rasa_model, loaded_database_url: str, redis_url: str | None, operator,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    env = {"DATABASE_URL": loaded_database_url, "NAVIYAM_CARD_OPERATOR_URL": operator[1],
           "NAVIYAM_CARD_OPERATOR_BREAKER_FAILURES": "50"}
    if redis_url:  # today's attempt counters of an earlier run's same user ids start empty
        env["REDIS_URL"] = fresh_redis_db(redis_url, 9)
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("card_link"))
    try:
        yield servers
    finally:
        servers.stop()


def _new_child(engine, agreed: bool = True) -> str:
    return agreed_user(engine, "e2e_card", agreed=agreed)


def _say(bot: BotServers, sender: str, message: str, meta: dict | None = None) -> tuple[str, list[dict]]:
    answer = bot.send(sender, message, meta or LUNCH)
    said = "\n".join(m["text"] for m in answer if m.get("text"))
    assert said, f"no answer to {message!r}"
    return said, [m["custom"] for m in answer if isinstance(m.get("custom"), dict)]


def _card(engine, sender: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT c.card_number, c.card_number_hash, c.balance, c.status FROM foodcard_users c "
                                "JOIN users u ON u.id = c.user_id WHERE u.external_user_id = :s"),
                           {"s": sender}).mappings().first()
    return dict(row) if row else None


def _cards(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT id, user_id, card_number_hash, balance, status FROM foodcard_users "
                                 "ORDER BY id")).all()


def _link(bot: BotServers, sender: str, number: str, start: str = "급식카드 등록할래") -> tuple[str, list[dict]]:
    said, _ = _say(bot, sender, start)
    assert ASK_NUMBER in said, said
    return _say(bot, sender, number)


def test_link_then_recommend_within_the_card(card_bot, engine):
    sender = _new_child(engine)
    said, custom = _link(card_bot, sender, CARD_6000)
    assert "연결했어요" in said and "****-****-****-6000" in said and "6,000원" in said
    assert custom[-1]["kind"] == "card_link" and custom[-1]["linked"] is True
    stored = _card(engine, sender)
    assert stored["balance"] == 6000 and stored["card_number"].startswith("enc:v1:")

    said, custom = _say(card_bot, sender, "만원으로 점심 추천해줘")
    recommendations = custom[-1]["recommendations"]
    assert recommendations and all(r["menu"]["final_price"] <= 6000 for r in recommendations)
    assert custom[-1]["budget"] == 6000

    # the number is nowhere unmasked: not in the stored tracker, not in either server's log
    with urllib.request.urlopen(card_bot.api(f"/conversations/{sender}/tracker"), timeout=30) as response:
        tracker = response.read().decode("utf-8")
    digits = CARD_6000.replace("-", "")
    assert CARD_6000 not in tracker and digits not in tracker
    for log in card_bot.logs:
        content = log.read_text(encoding="utf-8", errors="replace")
        assert CARD_6000 not in content and digits not in content


@pytest.mark.parametrize("typed, expected", [
    ("1234-5678", "숫자가 8자리예요"),
    ("9410-0000-0000-0001", "카드사에서 찾지 못했어요"),
    (SUSPENDED, "지금 쓸 수 없는 상태(정지)"),
])
def test_bad_numbers_get_a_kind_answer_and_change_nothing(card_bot, engine, typed, expected):
    sender = _new_child(engine)
    before = _cards(engine)
    said, _ = _link(card_bot, sender, typed)
    assert expected in said, said
    assert _cards(engine) == before and _card(engine, sender) is None
    if "자리예요" in said:                       # the number is asked again; "아니요" leaves
        assert ASK_NUMBER in said
        said, _ = _say(card_bot, sender, "아니요")
        assert "아무것도 바뀌지 않았어요" in said
    assert _cards(engine) == before


def test_no_takeover_and_no_link_without_agreement(card_bot, engine):
    owner, other = _new_child(engine), _new_child(engine)
    assert "연결했어요" in _link(card_bot, owner, CARD_3000)[0]
    before = _cards(engine)
    said, _ = _link(card_bot, other, CARD_3000)
    assert "이미 다른 계정에 연결되어 있어서" in said
    assert _cards(engine) == before and _card(engine, other) is None

    stranger = _new_child(engine, agreed=False)
    said, custom = _say(card_bot, stranger, "급식카드 등록할래")
    assert "동의해 주셔야 해요" in said and ASK_NUMBER not in said
    assert custom[-1]["refusal"] == "no_consent"
    assert _cards(engine) == before


def test_replace_caps_at_once_then_unlink(card_bot, engine, operator):
    sim, _ = operator
    sender = _new_child(engine)
    own_old, own_new = "9410-7002-0000-8000", "9410-7002-0000-2500"
    sim.put_card(own_old.replace("-", ""), balance=8000, daily_limit=9000)
    sim.put_card(own_new.replace("-", ""), balance=2500, daily_limit=9000)
    assert "연결했어요" in _link(card_bot, sender, own_old)[0]
    said, custom = _say(card_bot, sender, "7천원으로 점심 추천해줘")
    assert custom[-1]["budget"] == 7000

    said, _ = _say(card_bot, sender, "카드 잃어버렸어 어떡해")
    assert "****-****-****-8000" in said and ASK_NUMBER in said
    said, custom = _say(card_bot, sender, own_new)
    assert "새 카드(****-****-****-2500)로 바꿨어요" in said and custom[-1]["replaced"] == "****-****-****-8000"
    said, custom = _say(card_bot, sender, "7천원으로 점심 추천해줘")
    assert custom[-1]["budget"] == 2500          # capped by the new card at once
    assert custom[-1]["low_balance_alert"] is True and "잔액이 2,500원 남았어요" in said

    said, _ = _say(card_bot, sender, "카드 연결 해제해줘")
    assert "나비얌에서 뺄까요" in said
    said, custom = _say(card_bot, sender, "네")
    assert "연결을 해제했어요" in said and _card(engine, sender) is None


def test_zero_balance_gets_the_honest_answer(card_bot, engine):
    sender = _new_child(engine)
    assert "연결했어요" in _link(card_bot, sender, CARD_ZERO)[0]
    said, custom = _say(card_bot, sender, "배고파 뭐 먹지")
    zero = custom[-1]
    assert zero["kind"] == "zero_balance" and zero["balance"] == 0
    assert "다시 물어봐" not in said and "바꿔서" not in said
    assert "충전" in said and "24시 콩나물국밥" in said
    assert any(s["shop_name"] == "24시 콩나물국밥" for s in zero["free_meal_shops"])
    assert json.dumps(zero, ensure_ascii=False)
