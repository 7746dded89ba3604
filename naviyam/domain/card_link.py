"""Linking a meal card (issue 12): reading the number a child types, and the rules of linking.

Pure: no database or HTTP. ``parse_card_number`` reads the digits of a message the way people
type them (dashes, spaces, dots between groups; full-width and other Unicode digits) and says what is wrong when it is no card number; ``mask_card_number`` is the only form a
number is ever shown or logged in; ``link_refusal`` turns the operator's verification and
our own records into the one reason a link is refused (or None: link it).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import re
import unicodedata

# Korean meal cards carry 16 digits, printed 4-4-4-4 (seed 004 "9410-****-****-0001").
CARD_NUMBER_DIGITS = 16

# Why a number cannot be linked; each has its own kind answer (domain/card_link.yml).
NO_DIGITS = "no_digits"
WRONG_LENGTH = "wrong_length"
UNKNOWN_CARD = "unknown_card"
CARD_NOT_ACTIVE = "card_not_active"        # suspended, lost, expired, inactive
LINKED_ELSEWHERE = "linked_elsewhere"      # another user already linked this card
ALREADY_LINKED = "already_linked"          # this very card is already this user's card
TOO_MANY_ATTEMPTS = "too_many_attempts"
OPERATOR_UNAVAILABLE = "operator_unavailable"
NO_CONSENT = "no_consent"


# Digits (any script) with up to three dashes, dots or spaces between groups.
_DIGIT_GROUPS = re.compile(r"\d(?:[\s\-\u2010-\u2015\u2212\u3161.\u00b7]{0,3}\d)*")


@dataclass(frozen=True)
class ParsedNumber:
    digits: str | None          # the 16 digits, or None when the text holds no card number
    problem: str | None         # NO_DIGITS / WRONG_LENGTH, or None
    digit_count: int = 0


def parse_card_number(text: str) -> ParsedNumber:
    """The card number in ``text`` ("1234-5678-9012-3456", "1234 5678 9012 3456", "카드번호 1234567890123456")."""
    folded = unicodedata.normalize("NFKC", text or "")
    runs = ["".join(str(unicodedata.digit(c)) for c in match.group(0) if c.isdigit())
            for match in _DIGIT_GROUPS.finditer(folded)]
    if not runs:
        return ParsedNumber(None, NO_DIGITS)
    longest = max(runs, key=len)
    if len(longest) != CARD_NUMBER_DIGITS:
        return ParsedNumber(None, WRONG_LENGTH, len(longest))
    return ParsedNumber(longest, None, CARD_NUMBER_DIGITS)


def mask_card_number(digits: str | None) -> str:
    """"****-****-****-3456": the last four digits only, everywhere a number is shown or logged."""
    if not digits:
        return "****"
    plain = "".join(c for c in digits if c.isdigit())
    return "****-****-****-" + (plain[-4:] if len(plain) >= 4 else "****")


@dataclass(frozen=True)
class Verification:
    """What the card operator says about a card (adapters.card_operator.verify_card)."""

    status: str
    card_type: str
    target_age_group: str
    balance: int
    daily_limit: int | None
    monthly_limit: int | None


def link_refusal(verification: Verification | None, *, known_to_operator: bool,
                 owner_user_id: int | None, user_id: int) -> str | None:
    """Why this card cannot be linked to ``user_id`` (None: link it). Never a silent takeover."""
    if not known_to_operator or verification is None:
        return UNKNOWN_CARD
    if owner_user_id is not None and owner_user_id != user_id:
        return LINKED_ELSEWHERE
    if owner_user_id == user_id:
        return ALREADY_LINKED
    if verification.status != "ACTIVE":
        return CARD_NOT_ACTIVE
    return None


def seconds_until_tomorrow(now: datetime) -> int:
    """Seconds from ``now`` to the next local midnight (the attempt counter's lifetime)."""
    tomorrow = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)
    return max(60, int((tomorrow - now).total_seconds()))
