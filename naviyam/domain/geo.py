"""Distances, walking time and the named places the bot knows.

Seed 001 §3.1 step 5.4: walking time = distance ÷ 80 m per minute (configurable).
Place names resolve through the gazetteer (``naviyam.shared.places``, data in
data/places/gazetteer.csv, docs/PLACES.md). Needs only numpy.
"""
from __future__ import annotations

import math

import numpy as np

from naviyam.shared.places import Gazetteer, Place

EARTH_RADIUS_M = 6_371_008.8
DEFAULT_WALK_SPEED_M_PER_MIN = 80


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def haversine_many(lat: float, lng: float, lats: np.ndarray, lngs: np.ndarray) -> np.ndarray:
    """Vectorised :func:`haversine_m` from one point to many (metres, float64)."""
    p1, p2 = np.radians(lat), np.radians(lats)
    dp, dl = p2 - p1, np.radians(lngs - lng)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))


def walk_minutes(distance_m: float | None, speed_m_per_min: int = DEFAULT_WALK_SPEED_M_PER_MIN) -> int | None:
    """Whole minutes on foot, rounded up, at least 1 (None when the distance is unknown)."""
    if distance_m is None:
        return None
    return max(1, math.ceil(distance_m / max(1, speed_m_per_min)))


def resolve_place(name: str | None, gazetteer: Gazetteer) -> Place | None:
    """``"건대 근처"`` → Place(건대입구, 37.5404, 127.0693); unknown names → None.

    The gazetteer is data (data/places/gazetteer.csv, loaded by
    ``naviyam.adapters.gazetteer.get_gazetteer``); see ``naviyam.shared.places``.
    """
    return gazetteer.resolve(str(name)) if name else None
