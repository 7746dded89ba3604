"""Distances, walking time and the place-name gazetteer."""
from __future__ import annotations

import numpy as np
import pytest

from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.domain.geo import haversine_m, haversine_many, resolve_place as _resolve, walk_minutes


def resolve_place(name):
    return _resolve(name, get_gazetteer())


def test_haversine_known_distance():
    # 건대입구 → 신촌 is about 12 km as the crow flies.
    d = haversine_m(37.5404, 127.0693, 37.5559, 126.9368)
    assert 11_500 < d < 12_000
    assert haversine_m(37.5, 127.0, 37.5, 127.0) == 0


def test_vectorised_matches_scalar():
    lats = np.array([37.5404, 37.5559, 37.5133])
    lngs = np.array([127.0693, 126.9368, 126.9426])
    many = haversine_many(37.55, 127.0, lats, lngs)
    for i in range(3):
        assert many[i] == pytest.approx(haversine_m(37.55, 127.0, lats[i], lngs[i]), rel=1e-9)


def test_walk_minutes_at_80_m_per_minute():
    assert walk_minutes(400) == 5
    assert walk_minutes(401) == 6
    assert walk_minutes(10) == 1
    assert walk_minutes(None) is None
    assert walk_minutes(1000, speed_m_per_min=100) == 10


@pytest.mark.parametrize("text,name", [
    ("건대", "건대입구"), ("건대입구역", "건대입구"), ("건대 근처", "건대입구"),
    ("신촌역 앞", "신촌"), ("연대", "연세대학교"), ("노량진역", "노량진"),
    ("노량진", "노량진"), ("화양동", "화양동"), ("광진구", "광진구"),
    ("건대입구역 2번 출구", "건대입구"),
])
def test_gazetteer(text, name):
    place = resolve_place(text)
    assert place is not None and place.name == name


def test_gazetteer_unknown():
    assert resolve_place("아틀란티스") is None
    assert resolve_place("예산") is None          # a common word, not 예산군
    assert resolve_place("") is None
    assert resolve_place(None) is None


def test_gazetteer_areas_are_near_their_centres():
    centre = resolve_place("건대입구")
    for text in ("화양동", "건국대", "자양동"):
        p = resolve_place(text)
        assert p.area == "광진구"
        assert haversine_m(centre.lat, centre.lng, p.lat, p.lng) < 1500
