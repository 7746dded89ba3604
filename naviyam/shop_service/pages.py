"""The staff console pages: login, redeem, today's activity, hours and menus (server-rendered).

Every form posts a CSRF token: the session's for a logged-in page, and for the login form
a double-submit token (a cookie and a hidden field that must match). Cookies are
HttpOnly and SameSite=Strict; Secure when NAVIYAM_SHOP_SECURE_COOKIES is set.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from naviyam.config import get_settings
from naviyam.domain.coupon_rules import as_utc
from naviyam.domain.hours import KOREAN_WEEKDAYS, WEEKDAYS
from naviyam.shop_service.security import SESSION_COOKIE, csrf_ok, now, staff_of
from naviyam.usecases import shop_accounts, shop_console

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
LOGIN_CSRF_COOKIE = "naviyam_login_csrf"


def _cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="strict",
                        secure=get_settings().shop_secure_cookies, path="/")


def _login_page(request: Request, message: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(request, "login.html", {"csrf": token, "message": message},
                                          status_code=status)
    _cookie(response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Response:
    return RedirectResponse("/console" if staff_of(request) else "/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, username: str = Form("", max_length=64), password: str = Form("", max_length=200),
          csrf: str = Form("", max_length=100)) -> Response:
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    if not csrf or not secrets.compare_digest(cookie.encode(), csrf.encode()):
        return _login_page(request, "보안 확인이 만료됐어요. 다시 로그인해 주세요.", 403)
    result = shop_accounts.login(username, password, now())
    if result.outcome == shop_accounts.LOCKED:
        until = as_utc(result.locked_until).astimezone(get_settings().timezone)
        return _login_page(request, f"로그인에 여러 번 실패해서 {until:%H:%M}까지 잠겼어요.", 429)
    if result.outcome != shop_accounts.OK:
        return _login_page(request, "아이디 또는 비밀번호가 맞지 않아요.", 401)
    response = RedirectResponse("/console", status_code=303)
    _cookie(response, SESSION_COOKIE, result.token, max_age=shop_accounts.SESSION_HOURS * 3600)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf: str = Form("", max_length=100)) -> Response:
    staff = staff_of(request)
    if staff is not None and csrf_ok(staff, csrf):
        shop_accounts.logout(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _console(request: Request, staff: shop_accounts.StaffSession, result: Any = None,
             status: int = 200) -> Response:
    moment = now()
    tz = get_settings().timezone
    today = shop_console.today_activity(staff.shop_id, moment)
    for item in today.reservations:
        item["expires_local"] = f"{as_utc(datetime.fromisoformat(item['expires_at'])).astimezone(tz):%H:%M}"
    weekday = shop_console.today_weekday(moment)
    hours = (shop_console.shop_hours(staff.shop_id) or {}).get(weekday) or {}
    if hours.get("closed"):
        hours_text = "오늘은 쉬는 날"
    elif hours.get("open"):
        hours_text = f"{hours['open']} ~ {hours['close']}"
    else:
        hours_text = "정해지지 않음"
    context = {"staff": staff, "result": result, "today": today, "menus": shop_console.shop_menus(staff.shop_id),
               "today_hours": hours, "hours_text": hours_text,
               "weekday_ko": KOREAN_WEEKDAYS[WEEKDAYS.index(weekday)] + "요일"}
    return templates.TemplateResponse(request, "console.html", context, status_code=status)


def _staff_or_login(request: Request, csrf: str | None = None):
    staff = staff_of(request)
    if staff is None:
        return None, RedirectResponse("/login", status_code=303)
    if csrf is not None and not csrf_ok(staff, csrf):
        return None, HTMLResponse("보안 토큰(CSRF)이 맞지 않아요. 페이지를 새로 고쳐 주세요.", status_code=403)
    return staff, None


@router.get("/console", response_class=HTMLResponse)
def console(request: Request) -> Response:
    staff, refusal = _staff_or_login(request)
    return refusal or _console(request, staff)


@router.post("/console/redeem", response_class=HTMLResponse)
def console_redeem(request: Request, tasks: BackgroundTasks, code: str = Form("", max_length=32), order_amount: str = Form("", max_length=12),
                   csrf: str = Form("", max_length=100)) -> Response:
    staff, refusal = _staff_or_login(request, csrf)
    if refusal:
        return refusal
    try:
        amount = int(order_amount.replace(",", "").strip())
    except ValueError:
        amount = -1
    if not 0 <= amount <= 10_000_000:
        return _console(request, staff, {"ok": False, "message": "주문 금액을 숫자로 적어 주세요."}, 422)
    outcome = shop_console.redeem_at_shop(code, staff.shop_id, amount, now())
    if outcome.result.status == "REDEEMED":
        tasks.add_task(shop_console.notify_redeemed, outcome.result.wallet_id)
    return _console(request, staff, {"ok": outcome.result.ok, "message": outcome.message}, outcome.http_status)


@router.post("/console/menus/{menu_id}", response_class=HTMLResponse)
def console_menu(request: Request, menu_id: int = PathParam(ge=1, le=2**31 - 1), available: str = Form("0", max_length=1),
                 csrf: str = Form("", max_length=100)) -> Response:
    staff, refusal = _staff_or_login(request, csrf)
    if refusal:
        return refusal
    if not shop_console.set_menu_available(staff.shop_id, menu_id, available == "1"):
        return _console(request, staff, {"ok": False, "message": "이 가게의 메뉴가 아니에요."}, 404)
    return RedirectResponse("/console", status_code=303)


@router.post("/console/hours", response_class=HTMLResponse)
def console_hours(request: Request, open: str = Form("", max_length=5), close: str = Form("", max_length=5),
                  closed: str = Form("", max_length=1), csrf: str = Form("", max_length=100)) -> Response:
    staff, refusal = _staff_or_login(request, csrf)
    if refusal:
        return refusal
    weekday = shop_console.today_weekday(now())
    current = (shop_console.shop_hours(staff.shop_id) or {}).get(weekday) or {}
    try:  # the form edits open/close; a break the day already has is kept
        shop_console.set_day_hours(staff.shop_id, weekday, open_at=open or None, close_at=close or None,
                                   closed=closed == "1", break_start=current.get("break_start"),
                                   break_end=current.get("break_end"))
    except ValueError:
        return _console(request, staff, {"ok": False, "message": "여는 시간과 닫는 시간을 모두 적어 주세요."}, 422)
    return RedirectResponse("/console", status_code=303)
