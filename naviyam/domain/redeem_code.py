"""Redeem codes a child shows at the counter: 6 characters, none that read alike.

Left out: 0/O/Q/D, 1/I/L/J/T, 2/Z, 5/S, 8/B, U/V and G (pairs staff mistake for each other
when read off a phone screen or typed). 18 characters
remain: 18**6 is about 34 million codes; a unique index plus a retry handles collisions.
"""
from __future__ import annotations

import re
import secrets

ALPHABET = "34679ACEFHKMNPRWXY"  # unambiguous on screens and in speech
LENGTH = 6
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    """A random code from the operating system's CSPRNG (codes are bearer tokens)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalise(text: str | None) -> str | None:
    """What staff typed → the stored form, or None when it cannot be a code."""
    if text is None:
        return None
    code = _SEPARATORS.sub("", str(text)).upper()
    if len(code) != LENGTH or any(ch not in ALPHABET for ch in code):
        return None
    return code


def spaced(code: str) -> str:
    """``ACE479`` → ``ACE 479`` (easier to read aloud)."""
    return f"{code[:3]} {code[3:]}"
