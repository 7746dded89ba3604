"""Masking personal data (seed 001 §9.4) in logs and stored text. Standard library only.

Importable from both environments (the Rasa server's channels and the action server).
"""
from __future__ import annotations

import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Card numbers: 13-19 digits, optionally grouped by spaces or dashes.
    (re.compile(r"\b(?:\d[ -]?){12,18}\d\b"), "[카드번호]"),
    # Korean phone numbers: 010-1234-5678, 01012345678, 02-123-4567.
    (re.compile(r"\b0\d{1,2}[ -]?\d{3,4}[ -]?\d{4}\b"), "[전화번호]"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "[이메일]"),
    # Resident registration numbers.
    (re.compile(r"\b\d{6}[ -]?[1-4]\d{6}\b"), "[주민번호]"),
)


def mask_personal_data(text: str) -> str:
    """Replace phone, card, e-mail and resident numbers with neutral placeholders."""
    if not text:
        return text
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text
