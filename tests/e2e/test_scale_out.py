"""Scale-out on Rasa's own route (issue 11): two Rasa servers and two action servers, one Redis, one database.

Each Rasa server has its own action server; both keep trackers and conversation locks in the same
Redis (the tracker and lock stores that scripts/render_endpoints.py writes for REDIS_URL) and
share the PostgreSQL database. One conversation's turns alternate between the two servers and
its state carries over. Functional only: nothing here is timed.

Open (issue 11): a test of concurrent turns of one new sender sent to both servers at once found
one of eight user turns missing from the shared tracker in one of two full runs (every turn was
answered). It is kept on branch ``issue-11-scale-out-race`` until the race is understood.
"""
from __future__ import annotations

import importlib.util
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.harness import BotServers, start_servers

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WEEKDAY_LUNCH = "2026-11-23T12:30:00+09:00"  # a Monday
GEONDAE = {"lat": 37.5404, "lng": 127.0693}


def _stores(redis_url: str) -> str:
    """The tracker and lock stores of scripts/render_endpoints.py, without its action endpoint."""
    spec = importlib.util.spec_from_file_location("render_endpoints", ROOT / "scripts" / "render_endpoints.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rendered = module.render(1, redis_url, "scaleout")
    return rendered[rendered.index("tracker_store:"):]


@pytest.fixture(scope="module")
def pair(rasa_model, loaded_database_url, redis_url, tmp_path_factory):
    if redis_url is None:
        pytest.skip("scale-out needs Redis (the CI run provides it and fails if it is down)")
    shared_redis = redis_url.rsplit("/", 1)[0] + "/9"
    import redis

    redis.Redis.from_url(shared_redis).flushdb()
    env = {"DATABASE_URL": loaded_database_url, "REDIS_URL": shared_redis}
    servers: list[BotServers] = []
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:  # both pairs load their models at once
            futures = [pool.submit(start_servers, rasa_model, env, tmp_path_factory.mktemp(f"scale{i}"),
                                   tracker_store=_stores(shared_redis))
                       for i in range(2)]
            servers = [f.result() for f in futures]
        yield servers
    finally:
        for server in servers:
            server.stop()


def _custom(messages: list[dict]) -> dict:
    payloads = [m["custom"] for m in messages if isinstance(m.get("custom"), dict)]
    assert payloads, f"no machine-readable message in {messages}"
    return payloads[-1]


def test_one_conversation_alternating_between_two_servers_keeps_its_state(pair):
    first, second = pair
    # A demo user of the sample workbook: a profile exists, so no onboarding question interleaves.
    sender, meta = "demo_kid_01", {"now": WEEKDAY_LUNCH, "location": GEONDAE}
    shown = _custom(first.send(sender, "6천원으로 점심 추천해줘", meta))["recommendations"]
    assert shown, "the sample data has lunch options near 건대입구 for 6,000원"
    more = _custom(second.send(sender, "다른 거 보여줘", meta))
    again = {item["shop_id"] for item in more.get("recommendations", [])}
    assert not again & {item["shop_id"] for item in shown}, "the second server knew what the first showed"
    options = more.get("recommendations") or shown
    chosen = _custom(first.send(sender, "1번", meta))
    assert chosen["kind"] == "selection" and chosen["selection"]["shop_id"] == options[0]["shop_id"]
