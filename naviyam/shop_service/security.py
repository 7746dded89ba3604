"""Who is calling: a shop's staff (session cookie + CSRF token) or an operator (bearer token)."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from naviyam.config import get_settings
from naviyam.usecases.shop_accounts import StaffSession, session_of

SESSION_COOKIE = "naviyam_shop"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="NAVIYAM_OPERATOR_TOKEN (operator systems)")


@dataclass(frozen=True)
class Caller:
    staff: StaffSession | None = None
    operator: bool = False

    def may_act_for(self, shop_id: int) -> bool:
        return self.operator or (self.staff is not None and self.staff.shop_id == shop_id)


def now() -> datetime:
    return datetime.now(get_settings().timezone)


def is_operator(credentials: HTTPAuthorizationCredentials | None) -> bool:
    token = get_settings().operator_token
    if credentials is None or token is None or not token.get_secret_value():
        return False
    return hmac.compare_digest(credentials.credentials.encode(), token.get_secret_value().encode())


def staff_of(request: Request) -> StaffSession | None:
    return session_of(request.cookies.get(SESSION_COOKIE), now())


def csrf_ok(staff: StaffSession, supplied: str | None) -> bool:
    return bool(supplied) and hmac.compare_digest(staff.csrf_token.encode(), str(supplied).encode())


def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    """Staff (cookie; state-changing calls also need the X-CSRF-Token header) or operator."""
    if credentials is not None:
        if is_operator(credentials):
            return Caller(operator=True)
        raise HTTPException(401, "잘못된 운영자 토큰이에요.", headers={"WWW-Authenticate": "Bearer"})
    staff = staff_of(request)
    if staff is None:
        raise HTTPException(401, "로그인이 필요해요.", headers={"WWW-Authenticate": "Bearer"})
    if request.method not in SAFE_METHODS and not csrf_ok(staff, request.headers.get(CSRF_HEADER)):
        raise HTTPException(403, "보안 토큰(CSRF)이 맞지 않아요. 페이지를 새로 고쳐 주세요.")
    return Caller(staff=staff)


def operator(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
    if not is_operator(credentials):
        raise HTTPException(401, "운영자 토큰이 필요해요.", headers={"WWW-Authenticate": "Bearer"})
    return Caller(operator=True)


def for_shop(who: Caller, shop_id: int) -> None:
    if not who.may_act_for(shop_id):
        raise HTTPException(403, "이 가게의 계정이 아니에요.")
