"""Shop staff accounts: creation (operator command), login with lock-out, sessions (issue 13).

- One account per shop; the password is hashed with scrypt (``naviyam.domain.passwords``).
- ``MAX_FAILURES`` wrong passwords in a row lock the account for ``LOCK_MINUTES``; a locked
  account refuses even the right password until then, and the answer never says whether
  the username exists.
- A session is a random 32-byte token (the cookie); only its SHA-256 is stored, with a
  per-session CSRF token that every state-changing form and request must echo.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from naviyam.adapters.db.models import Shop, ShopAccount, ShopSession
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain import passwords
from naviyam.domain.coupon_rules import as_utc

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 12

OK, BAD_CREDENTIALS, LOCKED = "OK", "BAD_CREDENTIALS", "LOCKED"


class AccountError(ValueError):
    """An account cannot be created (the message is for the operator)."""


@dataclass(frozen=True)
class StaffSession:
    account_id: int
    shop_id: int
    shop_name: str
    username: str
    csrf_token: str


@dataclass(frozen=True)
class LoginResult:
    outcome: str                      # OK, BAD_CREDENTIALS, LOCKED
    token: str | None = None          # the session cookie's value when OK
    session: StaffSession | None = None
    locked_until: datetime | None = None


def _utc(now: datetime) -> datetime:
    return now.astimezone(timezone.utc)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_account(shop_id: int, username: str, password: str, *, replace: bool = False) -> int:
    """Create (or with ``replace`` reset) the staff account of a shop; returns its id."""
    username = username.strip().lower()
    if not 3 <= len(username) <= 64 or not username.replace("_", "").replace("-", "").isalnum():
        raise AccountError("아이디는 3~64자의 영문, 숫자, -, _ 로 정해 주세요.")
    problem = passwords.password_problem(password)
    if problem:
        raise AccountError(problem)
    with unit_of_work() as session:
        if session.get(Shop, shop_id) is None:
            raise AccountError(f"가게 {shop_id}번이 없어요.")
        taken = session.scalar(select(ShopAccount).where(ShopAccount.username == username))
        existing = session.scalar(select(ShopAccount).where(ShopAccount.shop_id == shop_id))
        if taken is not None and taken is not existing:
            raise AccountError(f"아이디 '{username}'는 이미 다른 가게가 쓰고 있어요.")
        if existing is not None and not replace:
            raise AccountError(f"가게 {shop_id}번에는 이미 계정이 있어요 (--replace 로 다시 만들 수 있어요).")
        if existing is None:
            existing = ShopAccount(shop_id=shop_id, username=username, password_hash="")
            session.add(existing)
        existing.username = username
        existing.password_hash = passwords.hash_password(password)
        existing.failed_attempts, existing.locked_until = 0, None
        session.flush()
        session.execute(delete(ShopSession).where(ShopSession.account_id == existing.id))
        return existing.id


def login(username: str, password: str, now: datetime) -> LoginResult:
    """Check a password; count failures, lock after ``MAX_FAILURES``; open a session when right."""
    now_utc = _utc(now)
    with unit_of_work() as session:
        account = session.scalar(select(ShopAccount).where(ShopAccount.username == username.strip().lower())
                                 .with_for_update())
        if account is None:
            passwords.verify_password(password, _DUMMY_HASH)  # same time as a real check
            return LoginResult(BAD_CREDENTIALS)
        if account.locked_until is not None and as_utc(account.locked_until) > now_utc:
            return LoginResult(LOCKED, locked_until=as_utc(account.locked_until))
        if not passwords.verify_password(password, account.password_hash):
            account.failed_attempts += 1
            if account.failed_attempts >= MAX_FAILURES:
                account.failed_attempts = 0
                account.locked_until = now_utc + timedelta(minutes=LOCK_MINUTES)
                return LoginResult(LOCKED, locked_until=account.locked_until)
            return LoginResult(BAD_CREDENTIALS)
        account.failed_attempts, account.locked_until, account.last_login_at = 0, None, now_utc
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session.add(ShopSession(token_hash=_digest(token), account_id=account.id, csrf_token=csrf,
                                expires_at=now_utc + timedelta(hours=SESSION_HOURS)))
        session.execute(delete(ShopSession).where(ShopSession.account_id == account.id,
                                                  ShopSession.expires_at <= now_utc))
        shop = session.get(Shop, account.shop_id)
        staff = StaffSession(account.id, account.shop_id, shop.shop_name if shop else "", account.username, csrf)
        return LoginResult(OK, token=token, session=staff)


def session_of(token: str | None, now: datetime) -> StaffSession | None:
    """The live staff session of a cookie value, or None."""
    if not token or len(token) > 200:
        return None
    with unit_of_work() as session:
        row = session.get(ShopSession, _digest(token))
        if row is None or as_utc(row.expires_at) <= _utc(now):
            return None
        account = session.get(ShopAccount, row.account_id)
        shop = session.get(Shop, account.shop_id)
        return StaffSession(account.id, account.shop_id, shop.shop_name if shop else "", account.username,
                            row.csrf_token)


def logout(token: str | None) -> None:
    if token:
        with unit_of_work() as session:
            session.execute(delete(ShopSession).where(ShopSession.token_hash == _digest(token)))


_DUMMY_HASH = passwords.hash_password(secrets.token_hex(8))
