"""The last confirmed place of a user (users.last_place_*, migration 0006)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import User


@dataclass(frozen=True)
class RememberedPlace:
    name: str
    lat: float
    lng: float
    at: datetime


def remembered_place(session: Session, user_id: int | None) -> RememberedPlace | None:
    if user_id is None:
        return None
    row = session.execute(select(User.last_place_name, User.last_place_lat, User.last_place_lng,
                                 User.last_place_at).where(User.id == user_id)).first()
    if row is None or not row[0] or row[1] is None or row[2] is None or row[3] is None:
        return None
    return RememberedPlace(str(row[0]), float(row[1]), float(row[2]), row[3])


def remember_place(session: Session, user_id: int | None, name: str, lat: float, lng: float,
                   at: datetime) -> None:
    if user_id is None:
        return
    session.execute(update(User).where(User.id == user_id).values(
        last_place_name=name[:100], last_place_lat=lat, last_place_lng=lng, last_place_at=at))


def forget_place(session: Session, user_id: int) -> None:
    session.execute(update(User).where(User.id == user_id).values(
        last_place_name=None, last_place_lat=None, last_place_lng=None, last_place_at=None))
