"""Distances, walking time and the named places the bot knows.

Seed 001 §3.1 step 5.4: walking time = distance ÷ 80 m per minute (configurable).
The gazetteer maps the place names children use (역, 동, 대학교, 구) in the sample
neighbourhoods (docs/SAMPLE_DATA.md) to a centre point. Needs only numpy.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

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


@dataclass(frozen=True)
class Place:
    name: str           # canonical name shown to users
    lat: float
    lng: float
    area: str           # the sample neighbourhood it belongs to


# Canonical place → (lat, lng, area). Centres agree with the neighbourhood centres the
# sample data generator places shops around (devtools/sampledata/catalog/places.py, docs/SAMPLE_DATA.md).
_PLACES: dict[str, tuple[float, float, str]] = {
    "건대입구": (37.5404, 127.0693, "건대입구"),
    "건국대학교": (37.5430, 127.0760, "건대입구"),
    "화양동": (37.5445, 127.0710, "건대입구"),
    "자양동": (37.5350, 127.0780, "건대입구"),
    "광진구": (37.5404, 127.0693, "건대입구"),
    "신촌": (37.5559, 126.9368, "신촌"),
    "연세대학교": (37.5640, 126.9380, "신촌"),
    "창천동": (37.5570, 126.9340, "신촌"),
    "서대문구": (37.5559, 126.9368, "신촌"),
    "노량진": (37.5133, 126.9426, "노량진"),
    "노량진동": (37.5120, 126.9400, "노량진"),
    "동작구": (37.5133, 126.9426, "노량진"),
}

# Spoken forms → canonical place.
_ALIASES: dict[str, str] = {
    "건대": "건대입구", "건대입구역": "건대입구", "건대역": "건대입구", "건국대": "건대입구",
    "건국대학교": "건국대학교", "화양": "화양동", "자양": "자양동", "광진": "광진구",
    "신촌역": "신촌", "연대": "연세대학교", "연세대": "연세대학교", "창천": "창천동",
    "서대문": "서대문구", "이대": "신촌", "노량진역": "노량진", "노량진동": "노량진동",
    "동작": "동작구", "노량진수산시장": "노량진",
    "어린이대공원": "건대입구", "구의동": "건대입구", "군자동": "건대입구",
    "대현동": "신촌", "신촌동": "신촌", "연희동": "신촌", "이대역": "신촌", "이화여대": "신촌",
    "학원가": "노량진", "노량진학원가": "노량진", "대방": "노량진", "대방역": "노량진",
    "장승배기": "노량진", "본동": "노량진", "상도동": "노량진",
}

def _clean(name: str) -> str:
    text = re.sub(r"\s+", "", name or "")
    previous = None
    while previous != text:
        previous = text
        text = re.sub(r"(근처|주변|쪽|앞|부근|근방|에서|에|으로|로|이요|요)$", "", text)
    return text


def resolve_place(name: str | None) -> Place | None:
    """``"건대 근처"`` → Place(건대입구, 37.5404, 127.0693); unknown names → None."""
    if not name:
        return None
    text = _clean(str(name))
    if not text:
        return None
    key = text if text in _PLACES else _ALIASES.get(text)
    if key is None and text.endswith("역"):
        key = _ALIASES.get(text[:-1]) or (text[:-1] if text[:-1] in _PLACES else None)
    if key is None:
        # "건대입구역 2번 출구" and the like: the longest known name inside the text.
        for candidate in sorted(list(_PLACES) + list(_ALIASES), key=len, reverse=True):
            if len(candidate) >= 2 and candidate in text:
                key = candidate if candidate in _PLACES else _ALIASES[candidate]
                break
    if key is None:
        return None
    lat, lng, area = _PLACES[key]
    return Place(key, lat, lng, area)


def known_place_names() -> list[str]:
    return sorted(set(_PLACES) | set(_ALIASES))
