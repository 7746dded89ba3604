"""After a shop redeems, the child hears it on their messenger (issue 13): Telegram sendMessage and
the Kakao Event API, each behind a fake server, with retries on 5xx and no error when they fail."""
from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web

from helpers_coupons import give, make_coupon, make_shop
from naviyam.adapters.db.models import User, UserProfile
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.messenger_push import MessengerPush
from naviyam.config import reset_settings_cache
from naviyam.usecases import shop_console
from naviyam.usecases.coupons.reservation import reserve_in_session
from tests.fakes.server import FakeServer
from tests.fakes.telegram import TEST_TOKEN, FakeTelegramAPI

SEOUL = ZoneInfo("Asia/Seoul")


class FakeKakaoEventAPI(FakeServer):
    """Kakao i Open Builder's Event API: answers 503 to the first ``failures`` calls."""

    def __init__(self, failures: int = 0) -> None:
        super().__init__()
        self.failures = failures

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v2/bots/{bot_id}/talk", self._talk)

    async def _talk(self, request: web.Request) -> web.Response:
        body = await request.json()
        status = 503 if len(self.calls) < self.failures else 200
        self.record(bot_id=request.match_info["bot_id"], body=body, status=status,
                    authorization=request.headers.get("Authorization"))
        return web.json_response({"taskId": uuid.uuid4().hex, "status": "SUCCESS" if status == 200 else "FAIL"},
                                 status=status)


def _redeemed_row(platform: str) -> int:
    now = datetime.now(SEOUL).replace(microsecond=0)
    external = f"{platform}:{uuid.uuid4().int % 10**9}"
    with unit_of_work() as s:
        user = User(external_user_id=external, platform=platform)
        s.add(user)
        s.flush()
        s.add(UserProfile(user_id=user.id))
        shop = make_shop(s)
        coupon = make_coupon(s, now.date(), discount_amount=700)
        give(s, user, coupon, now)
        ids = (user.id, coupon.id, shop.id)
    with unit_of_work() as s:
        code = reserve_in_session(s, user_id=ids[0], coupon_id=ids[1], shop_id=ids[2], menu_id=None,
                                  price=5000, now=now).code
    outcome = shop_console.redeem_at_shop(code, ids[2], 5000, now)
    assert outcome.http_status == 200
    return outcome.result.wallet_id


@pytest.fixture()
def env(loaded_database_url, cache, monkeypatch):
    yield monkeypatch
    reset_settings_cache()


def test_telegram_child_hears_the_coupon_was_used(env):
    with FakeTelegramAPI() as api:
        env.setenv("TELEGRAM_BOT_TOKEN", TEST_TOKEN)
        env.setenv("TELEGRAM_API_BASE", api.url)
        wallet_id = _redeemed_row("telegram")
        assert shop_console.notify_redeemed(wallet_id, push=MessengerPush(sleep=lambda s: None))
        [sent] = api.sent("sendMessage")
        assert "쿠폰이 사용됐어요 (700원 할인), 맛있게 드세요" in sent["text"]
        assert str(sent["chat_id"]).isdigit()


def test_kakao_event_api_is_retried_after_a_503(env):
    with FakeKakaoEventAPI(failures=1) as api:
        env.setenv("KAKAO_BOT_ID", "bot-123")
        env.setenv("KAKAO_REST_API_KEY", "kakao-rest-key")
        env.setenv("KAKAO_EVENT_API_BASE", api.url)
        wallet_id = _redeemed_row("kakao")
        assert shop_console.notify_redeemed(wallet_id, push=MessengerPush(sleep=lambda s: None))
        calls = api.wait_for(lambda c: len(c) >= 2)
        assert [c["status"] for c in calls] == [503, 200]
        body = calls[-1]["body"]
        assert calls[-1]["authorization"] == "KakaoAK kakao-rest-key" and calls[-1]["bot_id"] == "bot-123"
        assert body["event"]["name"] == "coupon_redeemed" and body["user"][0]["type"] == "botUserKey"
        assert "쿠폰이 사용됐어요" in body["params"]["text"]


def test_a_failing_messenger_never_undoes_or_raises(env):
    with FakeKakaoEventAPI(failures=100) as api:
        env.setenv("KAKAO_BOT_ID", "bot-123")
        env.setenv("KAKAO_REST_API_KEY", "kakao-rest-key")
        env.setenv("KAKAO_EVENT_API_BASE", api.url)
        env.setenv("NAVIYAM_NOTIFY_RETRIES", "1")
        wallet_id = _redeemed_row("kakao")
        assert shop_console.notify_redeemed(wallet_id, push=MessengerPush(sleep=lambda s: None)) is False
        assert len(api.calls) == 2
    # No messenger configured for REST users: nothing is sent, nothing fails.
    env.delenv("KAKAO_BOT_ID")
    assert shop_console.notify_redeemed(wallet_id, push=MessengerPush()) is False
