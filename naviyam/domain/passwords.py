"""Shop staff passwords: scrypt (RFC 7914, in Python's standard library) with a random salt.

Stored as ``scrypt$n$r$p$salt$hash`` (base64), so the cost can rise later without breaking
old hashes. Verification compares in constant time. Why not a package: hashlib.scrypt is
a standard, memory-hard KDF already in the interpreter; argon2 would add a C dependency.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2 ** 14, 8, 1          # 16 MiB per hash; about 80 ms here (2-core CI machine)
DKLEN = 32
MIN_LENGTH = 10


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=DKLEN)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), dklen=len(expected), maxmem=128 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_problem(password: str) -> str | None:
    """Why a new password is refused (Korean, for the operator), or None."""
    if len(password) < MIN_LENGTH:
        return f"비밀번호는 {MIN_LENGTH}자 이상이어야 해요."
    if password.isdigit() or len(set(password)) < 4:
        return "너무 단순한 비밀번호예요. 글자와 숫자를 섞어 주세요."
    return None
