"""Who is talking: a channel's sender, mapped to a ``users`` row inside a use case's transaction.

Consent (issue 10, docs/SECURITY.md "Consent"): a user row is created only when the
sender agrees (``naviyam.usecases.consent.record_consent`` through :func:`user_id_of`).
Every other use case asks :func:`consented_user_id` (None for a sender who has not
agreed: anonymous, nothing stored beyond the turn log) or :func:`require_consent`
(raises :class:`ConsentRequired` carrying the notice to show).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from naviyam.adapters.db.models import User
from naviyam.adapters.db.users import find_user, get_or_create_user, split_sender
from naviyam.domain.consent import consent_notice


@dataclass(frozen=True)
class Sender:
    """Rasa's sender id ("kakao:abc", "telegram:42", "demo_kid_01") and the platform the
    message metadata named, if any (REST clients may say "web")."""

    sender_id: str
    platform_hint: str | None = None


class ConsentRequired(Exception):
    """The use case would store or read personal data of a sender who has not agreed."""

    def __init__(self, notice: str) -> None:
        super().__init__(f"consent required (notice {notice})")
        self.notice = notice          # naviyam.domain.consent NOTICE_*


def has_agreed(user: User | None) -> bool:
    return user is not None and user.terms_agreed_at is not None and user.privacy_agreed_at is not None


def notice_for(user: User | None, today: date) -> str:
    """Which consent notice this (possibly unknown) user sees."""
    if user is None:
        return consent_notice(None, None, today)
    card = user.foodcard
    return consent_notice(user.birth_date, card.target_age_group if card else None, today)


def user_id_of(session: Session, sender: Sender) -> int:
    """The sender's user id, the user (and an empty profile) created if missing.

    Only for the agreement itself and for code that already checked consent.
    """
    external_id, platform = split_sender(sender.sender_id, sender.platform_hint)
    return get_or_create_user(session, external_id, platform).id


def consented_user_id(session: Session, sender: Sender) -> int | None:
    """The user id of a sender who agreed to the terms and the privacy notice, else None.

    Creates nothing: a sender who has not agreed is served anonymously.
    """
    external_id, _ = split_sender(sender.sender_id, sender.platform_hint)
    user = find_user(session, external_id)
    return user.id if has_agreed(user) else None


def require_consent(session: Session, sender: Sender, today: date) -> int:
    """The consented user's id; raises :class:`ConsentRequired` (creating nothing) otherwise."""
    external_id, _ = split_sender(sender.sender_id, sender.platform_hint)
    user = find_user(session, external_id)
    if not has_agreed(user):
        raise ConsentRequired(notice_for(user, today))
    return user.id
