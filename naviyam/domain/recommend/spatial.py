"""A grid of shops by position, so a request looks only at the shops (and menus) near it.

Built once per catalogue snapshot (lazily, kept in ``Catalog.memo``; the action server's
warm-up builds it). Shops are bucketed into cells of ``CELL_DEG`` degrees of latitude and
longitude (about 1.1 km x 0.9 km in Korea); a request asks for the cells that can hold a
point within its radius, and the exact haversine distance then decides, so the shops
found are exactly those the full scan finds (``shops_within``). A menu's shop is what
the radius applies to: ``menus_of`` turns shops into their menu rows through one sorted
array and bounds (no per-shop Python lists).

Bounding the cells: the great-circle distance between two points is at least the
meridian distance of their latitudes, so ``|Δlat| <= r/R``; and by the haversine formula
``hav(d/R) >= cos φ1 cos φ2 hav(Δλ)``, so a point within ``r`` has
``hav(Δλ) <= hav(r/R) / (cos φ1 cos φmax)`` with φmax the largest latitude the circle
reaches. Both bounds get a relative margin against rounding. Near the poles or across
the antimeridian the box is not bounded this way and the grid answers "every shop".
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from naviyam.domain.geo import EARTH_RADIUS_M, haversine_many

CELL_DEG = 0.01
MAX_CELLS = 20_000          # above this many cells a query is a plain scan of every shop
_MARGIN = 1.0 + 1e-6
_ROW = 1 << 32              # key = row * _ROW + column (cells of a planet fit in 32 bits each)


@dataclass(frozen=True)
class ShopGrid:
    cell_deg: float
    keys: np.ndarray            # sorted distinct cell keys
    starts: np.ndarray          # per key: first position in ``order``
    ends: np.ndarray
    order: np.ndarray           # shop rows sorted by cell key
    n_shops: int

    @classmethod
    def build(cls, lat: np.ndarray, lng: np.ndarray, cell_deg: float = CELL_DEG) -> ShopGrid:
        keys = _keys(np.floor(lat / cell_deg).astype(np.int64), np.floor(lng / cell_deg).astype(np.int64))
        order = np.argsort(keys, kind="stable")
        distinct, starts, counts = np.unique(keys[order], return_index=True, return_counts=True)
        return cls(cell_deg, distinct, starts.astype(np.int64), (starts + counts).astype(np.int64),
                   order.astype(np.int32), len(lat))

    def candidates(self, lat: float, lng: float, radius_m: float) -> np.ndarray | None:
        """Shop rows in every cell a point within ``radius_m`` can lie in (None: all shops)."""
        if not len(self.keys):
            return np.zeros(0, dtype=np.int32)
        angle = max(0.0, float(radius_m)) / EARTH_RADIUS_M * _MARGIN
        if angle >= math.pi / 4:
            return None
        dlat = math.degrees(angle)
        top = max(abs(lat - dlat), abs(lat + dlat))
        if top >= 89.0:
            return None
        hav_r = math.sin(angle / 2) ** 2
        ratio = hav_r / (math.cos(math.radians(lat)) * math.cos(math.radians(top)))
        if ratio >= 1.0:
            return None
        dlng = math.degrees(2 * math.asin(math.sqrt(ratio))) * _MARGIN
        if lng - dlng < -180 or lng + dlng > 180:
            return None
        c = self.cell_deg
        rows = np.arange(math.floor((lat - dlat) / c), math.floor((lat + dlat) / c) + 1, dtype=np.int64)
        cols = np.arange(math.floor((lng - dlng) / c), math.floor((lng + dlng) / c) + 1, dtype=np.int64)
        if len(rows) * len(cols) > MAX_CELLS:
            return None
        wanted = _keys(np.repeat(rows, len(cols)), np.tile(cols, len(rows)))
        at = np.minimum(np.searchsorted(self.keys, wanted), len(self.keys) - 1)
        at = at[self.keys[at] == wanted]
        return self.order[concat_ranges(self.starts[at], self.ends[at])]


@dataclass(frozen=True)
class ShopMenus:
    """Shop row → its menu rows, as one array sorted by shop and bounds."""

    order: np.ndarray
    bounds: np.ndarray

    @classmethod
    def build(cls, menu_shop: np.ndarray, n_shops: int) -> ShopMenus:
        order = np.argsort(menu_shop, kind="stable").astype(np.int32)
        bounds = np.searchsorted(menu_shop[order], np.arange(n_shops + 1)).astype(np.int64)
        return cls(order, bounds)

    def menus_of(self, shops: np.ndarray) -> np.ndarray:
        """Menu rows of ``shops``, ascending."""
        shops = np.asarray(shops, dtype=np.int64)
        return np.sort(self.order[concat_ranges(self.bounds[shops], self.bounds[shops + 1])])


def _keys(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    return rows * _ROW + (cols + (_ROW >> 1))


def concat_ranges(starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, e) for s, e in zip(starts, ends)])`` without the loop."""
    lengths = ends - starts
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
    return offsets + np.arange(total, dtype=np.int64)


def shops_within(grid: ShopGrid, shop_lat: np.ndarray, shop_lng: np.ndarray,
                 location: tuple[float, float], radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(shop rows within ``radius_m`` of ``location`` ascending, their distances in metres).

    The same haversine and the same ``<=`` as a scan of every shop, over the grid's
    candidates only.
    """
    found = grid.candidates(location[0], location[1], radius_m)
    shops = np.arange(grid.n_shops) if found is None else np.sort(found)
    dist = haversine_many(location[0], location[1], shop_lat[shops], shop_lng[shops])
    near = dist <= radius_m
    return shops[near], dist[near]
