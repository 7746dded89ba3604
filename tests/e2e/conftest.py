"""Fixtures that run the real Rasa server and action server against the test database."""
from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import fresh_redis_db
from tests.e2e.harness import BotServers, ensure_model, start_servers


@pytest.fixture(scope="session")
def rasa_model():
    return ensure_model()


@pytest.fixture(scope="session")
def bot(rasa_model, loaded_database_url: str, redis_url: str | None,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotServers]:
    """Both servers, sharing the session's migrated database with the sample data loaded."""
    env = {"DATABASE_URL": loaded_database_url, "KAKAO_BOT_IDS": "naviyam-test-bot"}
    if redis_url:
        env["REDIS_URL"] = fresh_redis_db(redis_url, 14)
    servers = start_servers(rasa_model, env, tmp_path_factory.mktemp("servers"))
    try:
        yield servers
    finally:
        servers.stop()
