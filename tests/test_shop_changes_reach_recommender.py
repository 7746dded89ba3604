"""A shop's change reaches the recommender within seconds (issue 13): marking the top menu sold
out through the shop service removes it from the next recommendation, with the catalog's
fingerprint check (adapters/db/catalog.py) at a 1-second refresh; available again brings it back."""
from __future__ import annotations

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from naviyam.adapters.db.models import Menu
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import reset_settings_cache
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.shop_service.app import create_app
from naviyam.usecases.recommend_turn import recommend_turn
from naviyam.usecases.senders import Sender

KST = ZoneInfo("Asia/Seoul")
TUESDAY_LUNCH = datetime(2026, 11, 17, 12, 30, tzinfo=KST)
TOKEN = "operator-token-for-the-catalog-test"
DEADLINE_S = 20


@pytest.fixture()
def env(loaded_database_url, recommender_env):
    recommender_env.setenv("NAVIYAM_CATALOG_REFRESH_S", "1")
    recommender_env.setenv("NAVIYAM_OPERATOR_TOKEN", TOKEN)
    reset_settings_cache()
    yield
    reset_settings_cache()


def _menu_ids() -> set[int]:
    result = recommend_turn(Sender("demo_kid_01"), RecommendationRequest(
        now=TUESDAY_LUNCH, text="5천원으로 점심 추천해줘", stated_budget=5000, session_key="sold-out-test")).result
    return {item.menu_id for item in result.items}


def _poll(condition) -> bool:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_sold_out_menu_leaves_the_next_recommendation(env):
    first = _menu_ids()
    assert first
    menu_id = min(first)
    with unit_of_work() as s:
        shop_id = s.get(Menu, menu_id).shop_id
    client = TestClient(create_app())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = f"/api/v1/shops/{shop_id}/menus/{menu_id}"
    try:
        assert client.put(url, json={"available": False}, headers=auth).status_code == 200
        started = time.monotonic()
        assert _poll(lambda: menu_id not in _menu_ids()), "the sold-out menu is still recommended"
        print(f"sold-out visible to the recommender after {time.monotonic() - started:.2f} s")
    finally:
        assert client.put(url, json={"available": True}, headers=auth).status_code == 200
    assert _poll(lambda: menu_id in _menu_ids()), "the menu did not come back"


def _shop_ids() -> set[int]:
    result = recommend_turn(Sender("demo_kid_01"), RecommendationRequest(
        now=TUESDAY_LUNCH, text="5천원으로 점심 추천해줘", stated_budget=5000, session_key="hours-test")).result
    return {item.shop_id for item in result.items}


def test_closed_today_leaves_the_next_recommendation(env):
    shop_id = min(_shop_ids())
    client = TestClient(create_app())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    before = client.get(f"/api/v1/shops/{shop_id}/hours", headers=auth).json()["business_hours"]["tuesday"]
    url = f"/api/v1/shops/{shop_id}/hours/tuesday"
    try:
        assert client.put(url, json={"closed": True}, headers=auth).status_code == 200
        assert _poll(lambda: shop_id not in _shop_ids()), "a shop closed today is still recommended"
    finally:
        restore = {"closed": True} if before.get("closed") else {
            key: before[key] for key in ("open", "close", "break_start", "break_end") if before.get(key)}
        answer = client.put(url, json=restore, headers=auth)
        assert answer.status_code == 200 and answer.json()["business_hours"]["tuesday"] == before
    assert _poll(lambda: shop_id in _shop_ids()), "the shop did not come back"
