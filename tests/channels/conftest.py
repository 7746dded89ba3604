"""Contract-test fixtures: the real Rasa + action servers wired to fake Kakao and Telegram.

The fakes (tests/fakes) start first on free ports; the servers get their URLs through the
same environment variables an operator sets (TELEGRAM_API_BASE, KAKAO_CALLBACK_URL_PREFIXES),
so the channels run exactly their production code paths.

``KAKAO_CALLBACK_BUDGET_SECONDS=0`` makes every request that carries a callbackUrl take
the AI-chatbot callback path, which keeps that test deterministic; requests without a
callbackUrl are answered directly within ``KAKAO_RESPONSE_LIMIT_SECONDS`` as in production.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import fresh_redis_db
from tests.e2e.harness import BotServers, ensure_model, start_servers
from tests.fakes.kakao import TEST_BOT_ID, TEST_SKILL_SECRET, FakeKakaoCallback
from tests.fakes.telegram import TEST_SECRET, TEST_TOKEN, FakeTelegramAPI


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as server:
        yield server


@pytest.fixture(scope="session")
def fake_kakao() -> Iterator[FakeKakaoCallback]:
    with FakeKakaoCallback() as server:
        yield server


@pytest.fixture(scope="session")
def channel_env(fake_telegram, fake_kakao, redis_url) -> dict[str, str]:
    env = {
        "KAKAO_BOT_IDS": f"{TEST_BOT_ID},another-bot",
        "KAKAO_SKILL_SECRET": TEST_SKILL_SECRET,
        "KAKAO_CALLBACK_URL_PREFIXES": fake_kakao.url + "/callback/",
        "KAKAO_CALLBACK_BUDGET_SECONDS": "0",
        "TELEGRAM_BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TEST_SECRET,
        "TELEGRAM_API_BASE": fake_telegram.url,
    }
    if redis_url:  # fresh rate-limit counters and choice maps
        env["REDIS_URL"] = fresh_redis_db(redis_url, 12)
    return env


@pytest.fixture(scope="session")
def channel_servers(loaded_database_url: str, channel_env: dict[str, str],
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    servers = start_servers(ensure_model(), {"DATABASE_URL": loaded_database_url, **channel_env},
                            tmp_path_factory.mktemp("channel-servers"))
    try:
        yield servers
    finally:
        servers.stop()


def post(url: str, body: Any, headers: dict[str, str] | None = None,
         timeout: float = 60) -> tuple[int, Any]:
    """POST JSON; returns (status, decoded body) for 2xx and error statuses alike."""
    request = urllib.request.Request(
        url, data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        raw = error.read().decode("utf-8")
        try:
            return error.code, json.loads(raw)
        except ValueError:
            return error.code, raw


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read().decode("utf-8"))


def latest_user_event(servers: BotServers, sender_id: str) -> dict[str, Any]:
    quoted = urllib.request.quote(sender_id, safe=":")
    tracker = get_json(servers.api(f"/conversations/{quoted}/tracker"))
    users = [e for e in tracker.get("events", []) if e.get("event") == "user"]
    assert users, f"no user event for {sender_id}"
    return users[-1]
