"""Consent (issue 10): whether a user agreed to the terms and the privacy notice, and recording it.

``consent_state`` only reads (it creates no user row: a user who never agreed must leave
nothing behind but the turn log); ``record_consent`` sets ``users.terms_agreed_at`` and
``users.privacy_agreed_at`` in one transaction, creating the user on the agreement itself.
Which notice to show is the pure rule ``naviyam.domain.consent.consent_notice``.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from naviyam.adapters.db.models import User
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import find_user, split_sender
from naviyam.usecases.senders import Sender, has_agreed, notice_for, user_id_of


@dataclass(frozen=True)
class ConsentState:
    agreed: bool            # both the terms and the privacy notice were agreed to
    notice: str             # naviyam.domain.consent NOTICE_CHILD / NOTICE_OLDER / NOTICE_BOTH


def consent_state(sender: Sender, today: date) -> ConsentState:
    external_id, _ = split_sender(sender.sender_id, sender.platform_hint)
    with unit_of_work() as session:
        user = find_user(session, external_id)
        return ConsentState(agreed=has_agreed(user), notice=notice_for(user, today))


def record_consent(sender: Sender, now: datetime) -> None:
    """Record agreement to both; an earlier agreement keeps its first time."""
    with unit_of_work() as session:
        user = session.get(User, user_id_of(session, sender))
        user.terms_agreed_at = user.terms_agreed_at or now
        user.privacy_agreed_at = user.privacy_agreed_at or now
