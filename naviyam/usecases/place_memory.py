"""Where to search: the remembered place (with its expiry) and the choices when asking.

The last confirmed place (a named place, or the gazetteer area of a shared position) is
written in the recommendation's own transaction and used again for
``NAVIYAM_PLACE_MEMORY_DAYS`` days ("지난번처럼 건대입구 근처에서 찾았어요"). When nothing is
known the recommendation asks instead of searching everywhere; ``place_choices`` are the
quick replies of that question (the last place even when expired, then the home area).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from naviyam.adapters.db.places import RememberedPlace, remember_place
from naviyam.domain.recommend.context import confirmed_place
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.shared.places import Gazetteer


def fresh_memory(memory: RememberedPlace | None, request: RecommendationRequest,
                 days: float) -> tuple[str, float, float] | None:
    """The remembered place while it has not expired (``days`` 0: never)."""
    if memory is None or days <= 0:
        return None
    if request.now - memory.at > timedelta(days=days):
        return None
    return memory.name, memory.lat, memory.lng


def place_choices(memory: RememberedPlace | None, profile: dict[str, Any], gazetteer: Gazetteer) -> list[str]:
    """Known places to offer as quick replies: the last place used, then the home area."""
    choices: list[str] = []
    if memory is not None:
        choices.append(memory.name)
    for name in (profile.get("preferred_location"), (profile.get("location_preferences") or [None])[0]):
        place = gazetteer.resolve(name) if name else None
        if place is not None and place.name not in choices:
            choices.append(place.name)
    return choices[:2]


def remember_confirmed(session: Session, request: RecommendationRequest, gazetteer: Gazetteer,
                       days: float) -> None:
    """Remember the place this request searched around (its area and centre only)."""
    if days <= 0 or request.user_id is None:
        return
    place = confirmed_place(request, gazetteer)
    if place is not None:
        remember_place(session, request.user_id, place.name, place.lat, place.lng, request.now)
