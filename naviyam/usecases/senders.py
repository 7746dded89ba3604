"""Who is talking: a channel's sender, mapped to a ``users`` row inside a use case's transaction."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from naviyam.adapters.db.users import get_or_create_user, split_sender


@dataclass(frozen=True)
class Sender:
    """Rasa's sender id ("kakao:abc", "telegram:42", "demo_kid_01") and the platform the
    message metadata named, if any (REST clients may say "web")."""

    sender_id: str
    platform_hint: str | None = None


def user_id_of(session: Session, sender: Sender) -> int:
    """The sender's user id, the user (and an empty profile) created on first contact."""
    external_id, platform = split_sender(sender.sender_id, sender.platform_hint)
    return get_or_create_user(session, external_id, platform).id
