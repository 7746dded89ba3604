"""The trial web chat (issue 13): demo users to pick from, and one message to the Rasa server."""
from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from naviyam.adapters import rasa_rest
from naviyam.adapters.db.models import User
from naviyam.adapters.db.session import unit_of_work

SENDER = re.compile(r"^(demo|web)_[a-z0-9_]{1,40}$")
RasaUnavailable = rasa_rest.RasaUnavailable


def demo_users(limit: int = 50) -> list[str]:
    """Sender ids of the sample data's demo users (demo_kid_01, demo_teen_01, ...)."""
    with unit_of_work() as session:
        return list(session.scalars(select(User.external_user_id)
                                    .where(User.external_user_id.like("demo\\_%", escape="\\"))
                                    .order_by(User.external_user_id).limit(limit)))


def send(sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Only demo/web senders: the page must never speak for a messenger user."""
    if not SENDER.match(sender):
        raise ValueError("sender must be a demo_... or web_... id")
    return rasa_rest.send_message(sender, text, metadata)
