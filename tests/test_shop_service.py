"""The shop service over HTTP (FastAPI's TestClient, real database): staff login with lock-out
and CSRF, redemption by code with every answer the API promises, menus, hours, today's
activity, the operator endpoints and QR images (issue 13)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from helpers_coupons import give, make_coupon, make_shop, make_user
from naviyam.adapters.db.models import Menu, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import reset_settings_cache
from naviyam.shop_service.app import create_app
from naviyam.usecases.coupons.reservation import reserve_in_session
from naviyam.usecases import shop_console
from naviyam.usecases.shop_accounts import create_account

SEOUL = ZoneInfo("Asia/Seoul")
PASSWORD = "bunsik-2026-safe"
TOKEN = "operator-test-token-" + uuid.uuid4().hex


@pytest.fixture()
def shop_env(loaded_database_url, cache, monkeypatch):
    monkeypatch.setenv("NAVIYAM_OPERATOR_TOKEN", TOKEN)
    reset_settings_cache()
    now = datetime.now(SEOUL).replace(microsecond=0)
    with unit_of_work() as s:
        shop, other = make_shop(s), make_shop(s)
        s.add(Menu(shop_id=shop.id, menu_name="떡볶이", price=4500))
        user = make_user(s)
        coupon = make_coupon(s, now.date(), discount_amount=500, min_order_amount=3000)
        row = give(s, user, coupon, now)
        ids = dict(shop=shop.id, other=other.id, user=user.id, coupon=coupon.id, wallet=row.id)
    with unit_of_work() as s:
        ids["code"] = reserve_in_session(s, user_id=ids["user"], coupon_id=ids["coupon"], shop_id=ids["shop"],
                                         menu_id=None, price=4500, now=now).code
    ids["username"] = f"shop{ids['shop']}-{uuid.uuid4().hex[:6]}"
    create_account(ids["shop"], ids["username"], PASSWORD)
    yield ids
    reset_settings_cache()


def _login(client: TestClient, username: str, password: str):
    page = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf},
                       follow_redirects=False)


def _csrf(client: TestClient) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get("/console").text).group(1)


def test_staff_login_redeems_by_code_with_csrf(shop_env):
    client = TestClient(create_app())
    assert client.get("/console", follow_redirects=False).headers["location"] == "/login"
    assert _login(client, shop_env["username"], "wrong-password-1").status_code == 401
    answer = _login(client, shop_env["username"], PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    body = {"code": shop_env["code"].lower(), "shop_id": shop_env["shop"], "order_amount": 5000}
    assert client.post("/api/v1/redemptions", json=body).status_code == 403          # no CSRF header
    headers = {"X-CSRF-Token": _csrf(client)}
    other = client.post("/api/v1/redemptions", json={**body, "shop_id": shop_env["other"]}, headers=headers)
    assert other.status_code == 403
    low = client.post("/api/v1/redemptions", json={**body, "order_amount": 2000}, headers=headers)
    assert low.status_code == 422 and "3,000원" in low.json()["detail"]
    ok = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert ok.status_code == 200, ok.text
    assert (ok.json()["discount"], ok.json()["final_amount"]) == (500, 4500)
    again = client.post("/api/v1/redemptions", json=body, headers=headers)
    assert again.status_code == 409 and again.json()["reason"] == "ALREADY_USED"
    unknown = client.post("/api/v1/redemptions", json={**body, "code": "CCCCCC"}, headers=headers)
    assert unknown.status_code == 404
    today = client.get(f"/api/v1/shops/{shop_env['shop']}/today").json()
    assert [r["code"] for r in today["redemptions"]] == [shop_env["code"]]
    console = client.get("/console").text
    assert "사용된 쿠폰 1장" in console and shop_env["code"] in console


def test_operator_token_and_other_shop_code(shop_env):
    client = TestClient(create_app())
    body = {"code": shop_env["code"], "shop_id": shop_env["other"], "order_amount": 5000}
    assert client.post("/api/v1/redemptions", json=body).status_code == 401
    bad = {"Authorization": "Bearer nope"}
    assert client.post("/api/v1/redemptions", json=body, headers=bad).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = client.post("/api/v1/redemptions", json=body, headers=auth)
    assert answer.status_code == 403 and answer.json()["reason"] == "OTHER_SHOP"
    with unit_of_work() as s:
        assert s.get(UserCouponWallet, shop_env["wallet"]).status == "RESERVED"
    coupons = client.get(f"/api/v1/users/{shop_env['user']}/coupons", headers=auth).json()
    assert coupons["coupons"][0]["status"] == "RESERVED"
    assert client.get(f"/api/v1/users/{shop_env['user']}/coupons").status_code == 401
    assert client.get("/api/v1/users/999999999/coupons", headers=auth).status_code == 404
    prefs = client.put(f"/api/v1/users/{shop_env['user']}/preferences", headers=auth,
                       json={"foods": ["분식"], "budget": 6000, "restrictions": []})
    assert prefs.status_code == 200 and prefs.json()["average_budget"] == 6000
    profile = client.get(f"/api/v1/users/{shop_env['user']}/profile", headers=auth).json()
    assert "분식" in profile["preferred_categories"]
    apply = client.post("/api/v1/coupons/apply", headers=auth, json={
        "user_id": shop_env["user"], "wallet_id": shop_env["wallet"], "shop_id": shop_env["shop"],
        "order_amount": 5000, "idempotency_key": "op-1"})
    assert apply.status_code == 409 and apply.json()["reason"] == "RESERVED"   # held by its code


def test_lock_out_after_repeated_failures(shop_env):
    client = TestClient(create_app())
    answers = [_login(client, shop_env["username"], f"wrong-{i}-password").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 429]
    assert _login(client, shop_env["username"], PASSWORD).status_code == 429      # even the right one
    assert _login(client, "nobody-here", PASSWORD).status_code == 401
    stale = client.post("/login", data={"username": shop_env["username"], "password": PASSWORD, "csrf": "x"})
    assert stale.status_code == 403


def test_menus_hours_and_qr(shop_env):
    client = TestClient(create_app())
    _login(client, shop_env["username"], PASSWORD)
    headers = {"X-CSRF-Token": _csrf(client)}
    menus = client.get(f"/api/v1/shops/{shop_env['shop']}/menus").json()
    menu_id = menus[0]["menu_id"]
    assert client.put(f"/api/v1/shops/{shop_env['shop']}/menus/{menu_id}", json={"available": False},
                      headers=headers).status_code == 200
    with unit_of_work() as s:
        assert s.get(Menu, menu_id).is_available is False
    assert client.put(f"/api/v1/shops/{shop_env['other']}/menus/{menu_id}", json={"available": True},
                      headers=headers).status_code == 403
    hours = client.put(f"/api/v1/shops/{shop_env['shop']}/hours/monday", json={"open": "10:00", "close": "20:00"},
                       headers=headers)
    assert hours.status_code == 200 and hours.json()["business_hours"]["monday"] == {"open": "10:00", "close": "20:00"}
    assert client.put(f"/api/v1/shops/{shop_env['shop']}/hours/monday", json={"open": "25:00", "close": "20:00"},
                      headers=headers).status_code == 422
    png = client.get(f"/qr/{shop_env['code']}.png")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert client.get("/qr/not-a-code.png").status_code == 404
    assert "/api/v1/redemptions" in client.get("/openapi.json").json()["paths"]


def test_console_form_redeem_and_menu(shop_env):
    client = TestClient(create_app())
    _login(client, shop_env["username"], PASSWORD)
    csrf = _csrf(client)
    refused = client.post("/console/redeem", data={"code": shop_env["code"], "order_amount": "5000", "csrf": "bad"})
    assert refused.status_code == 403
    page = client.post("/console/redeem", data={"code": shop_env["code"], "order_amount": "5,000", "csrf": csrf})
    assert page.status_code == 200 and "쿠폰을 사용했어요: 500원 할인, 받을 금액 4,500원" in page.text
    with unit_of_work() as s:
        menu_id = s.scalar(select(Menu.id).where(Menu.shop_id == shop_env["shop"]))
    client.post(f"/console/menus/{menu_id}", data={"available": "0", "csrf": csrf})
    assert 'class="soldout">떡볶이' in client.get("/console").text


def test_web_chat_is_off_by_default_and_guards_senders(loaded_database_url, monkeypatch):
    client = TestClient(create_app())
    monkeypatch.delenv("NAVIYAM_WEB_CHAT", raising=False)
    reset_settings_cache()
    assert client.get("/chat").status_code == 404
    monkeypatch.setenv("NAVIYAM_WEB_CHAT", "1")
    monkeypatch.setenv("NAVIYAM_RASA_URL", "http://127.0.0.1:9")   # nothing listens there
    reset_settings_cache()
    try:
        assert "demo_kid_01" in client.get("/chat/users").json()
        assert client.post("/chat/send", json={"sender": "telegram:42", "message": "안녕"}).status_code == 422
        down = client.post("/chat/send", json={"sender": "demo_kid_01", "message": "안녕"})
        assert down.status_code == 503 and "챗봇 서버" in down.json()["detail"]
    finally:
        reset_settings_cache()


def test_console_hours_form_keeps_the_break(shop_env):
    client = TestClient(create_app())
    _login(client, shop_env["username"], PASSWORD)
    csrf = _csrf(client)
    weekday = shop_console.today_weekday(datetime.now(SEOUL))
    shop_console.set_day_hours(shop_env["shop"], weekday, open_at="09:00", close_at="21:00",
                               break_start="15:00", break_end="16:00")
    client.post("/console/hours", data={"open": "10:00", "close": "20:00", "csrf": csrf})
    assert shop_console.shop_hours(shop_env["shop"])[weekday] == {
        "open": "10:00", "close": "20:00", "break_start": "15:00", "break_end": "16:00"}
    client.post("/console/hours", data={"closed": "1", "csrf": csrf})
    assert shop_console.shop_hours(shop_env["shop"])[weekday] == {"closed": True}
    assert "오늘은 쉬는 날" in client.get("/console").text
