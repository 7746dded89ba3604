"""Consent before storing a profile or linking a card (issue 10): which notice to show.

Korean law (개인정보 보호법 §22-2) requires a legal guardian's consent to process the
personal data of a child under 14. The bot shows the guardian notice when the user is
known to be under 14, the plain notice when known to be 14 or older, and a notice that
covers both when the age is unknown. The age comes from ``users.birth_date`` when known,
else from the meal card's ``target_age_group``.
"""
from __future__ import annotations

from datetime import date

CHILD_AGE_LIMIT = 14

NOTICE_CHILD = "child"      # under 14: a guardian must agree
NOTICE_OLDER = "older"      # 14 or older: the user agrees
NOTICE_BOTH = "both"        # age unknown: the notice says both

# Card age groups (naviyam.domain.vocabulary.AGE_GROUPS) whose members are all under 14,
# and those whose members are all 14 or older; 중학생 (13-15) and 기타 decide nothing.
_CHILD_GROUPS = frozenset({"초등학생"})
_OLDER_GROUPS = frozenset({"고등학생", "대학생", "청년"})


def age_on(birth_date: date, today: date) -> int:
    """Full years of age on ``today`` (만 나이)."""
    before_birthday = (today.month, today.day) < (birth_date.month, birth_date.day)
    return today.year - birth_date.year - (1 if before_birthday else 0)


def consent_notice(birth_date: date | None, card_age_group: str | None, today: date) -> str:
    """``NOTICE_CHILD``, ``NOTICE_OLDER`` or ``NOTICE_BOTH`` for what is known of the user."""
    if birth_date is not None and birth_date <= today:
        return NOTICE_CHILD if age_on(birth_date, today) < CHILD_AGE_LIMIT else NOTICE_OLDER
    if card_age_group in _CHILD_GROUPS:
        return NOTICE_CHILD
    if card_age_group in _OLDER_GROUPS:
        return NOTICE_OLDER
    return NOTICE_BOTH
