"""Mapping channel senders to ``users`` rows."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import User, UserProfile
from naviyam.domain.vocabulary import PLATFORMS
from naviyam.shared.cache_keys import PLATFORM_PREFIXES


def split_sender(sender_id: str, platform_hint: str | None = None) -> tuple[str, str]:
    """``("kakao:abc", None)`` → ``("kakao:abc", "kakao")``; REST senders keep their id.

    Channels prefix their sender ids with the platform so that the same number on two
    platforms never maps to one user. REST senders are used as given (demo users from
    the sample data are addressed by their ``external_user_id``).
    """
    for prefix in PLATFORM_PREFIXES:
        if sender_id.startswith(prefix):
            return sender_id, prefix[:-1]
    platform = platform_hint if platform_hint in PLATFORMS else "rest"
    return sender_id, platform


def find_user(session: Session, external_user_id: str) -> User | None:
    return session.scalar(select(User).where(User.external_user_id == external_user_id))


def get_or_create_user(session: Session, external_user_id: str, platform: str = "rest") -> User:
    """The user for ``external_user_id``, created (with an empty profile) on first contact.

    Safe under concurrency: a racing insert falls back to reading the winner's row.
    """
    user = find_user(session, external_user_id)
    if user is not None:
        return user
    try:
        with session.begin_nested():
            user = User(external_user_id=external_user_id,
                        platform=platform if platform in PLATFORMS else "rest")
            session.add(user)
            session.flush()
            session.add(UserProfile(user_id=user.id))
            session.flush()
        return user
    except IntegrityError:
        user = find_user(session, external_user_id)
        if user is None:
            raise
        return user
