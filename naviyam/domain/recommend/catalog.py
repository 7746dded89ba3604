"""An in-memory, column-oriented snapshot of shops and menus for fast filtering.

Every request needs the hard filters over all menus (seed 003 §4 step 11 does it in
SQL). Doing it per request in SQL with opening hours, dietary text rules and radius
costs far more than the 150 ms budget at 100k menus, so the catalog loads both tables
once per process into numpy arrays (the loader and its per-process cache are
``naviyam.adapters.db.catalog``) and re-checks a cheap fingerprint (row counts and
max(updated_at)) at most every ``refresh_s`` seconds; any change reloads it. The same
fingerprint names the persisted search indexes (retrieval/index_store.py).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from naviyam.domain.vocabulary import SHOP_CATEGORIES
from naviyam.domain.hours import weekly_minute_intervals

log = logging.getLogger(__name__)

CATEGORY_INDEX = {c: i for i, c in enumerate(SHOP_CATEGORIES)}


@dataclass
class Catalog:
    fingerprint: str
    # shops (index = row position)
    shop_ids: np.ndarray
    shop_names: list[str]
    shop_categories: list[str]
    shop_category_idx: np.ndarray
    shop_foodcard: np.ndarray            # '<U1' Y/N/P/U
    shop_good_influence: np.ndarray      # bool
    shop_lat: np.ndarray
    shop_lng: np.ndarray
    shop_popularity: np.ndarray
    shop_quality: np.ndarray
    shop_hours: list[dict | None]
    shop_phone: list[str | None]
    shop_address: list[str]
    shop_owner_message: list[str | None]
    shop_neighbourhood: list[str | None]
    shop_interval_start: np.ndarray      # (n_shops, k) minutes of week
    shop_interval_end: np.ndarray
    shop_hours_known: np.ndarray         # bool
    # menus
    menu_ids: np.ndarray
    menu_shop: np.ndarray                # index into the shop arrays
    menu_names: list[str]
    menu_prices: np.ndarray
    menu_categories: list[str | None]
    menu_descriptions: list[str]
    menu_available: np.ndarray
    menu_popular: np.ndarray
    menu_frequency: np.ndarray
    menu_dietary: list[str]
    menu_tags: list[tuple[str, ...]]     # one tuple object per distinct tag list
    menu_text: list[str]                 # lower-cased name + description + tags + dietary info
    # group dining and portions (issue 12; docs/RECOMMENDATION.md "Group, urgency, portion")
    shop_seats: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))           # -1 = unknown
    shop_group_friendly: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))   # 1/0, -1 = unknown
    menu_options: list[dict | None] = field(default_factory=list)
    shop_pos: dict[int, int] = field(default_factory=dict)
    menu_pos: dict[int, int] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)   # per-snapshot masks (dietary, food type)
    loaded_at: float = field(default_factory=time.monotonic)

    @property
    def n_menus(self) -> int:
        return len(self.menu_ids)

    @property
    def n_shops(self) -> int:
        return len(self.shop_ids)

    def menu_document(self, i: int) -> str:
        """Text a search matches for menu row ``i`` (shop, category, menu, description, tags)."""
        s = self.menu_shop[i]
        return " ".join(filter(None, [
            self.shop_names[s], self.shop_categories[s], self.menu_names[i],
            self.menu_categories[i], self.menu_descriptions[i], " ".join(self.menu_tags[i]),
        ]))

    def semantic_document(self, i: int) -> str:
        """The shop-independent text embedded for menu row ``i`` (deduplicates well)."""
        s = self.menu_shop[i]
        return " ".join(filter(None, [
            self.shop_categories[s], self.menu_names[i], self.menu_descriptions[i],
            " ".join(self.menu_tags[i]),
        ]))


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.replace(";", ",").split(",") if v.strip()]
    return [str(v) for v in value]


def build_catalog(shops: list[dict[str, Any]], menus: list[dict[str, Any]], fingerprint: str) -> Catalog:
    """Build a catalog from plain rows (the loader and the benchmarks use this)."""
    shop_pos = {int(s["id"]): i for i, s in enumerate(shops)}
    intervals = [weekly_minute_intervals(s.get("business_hours")) for s in shops]
    width = max([len(iv) for iv in intervals if iv] + [1])
    starts = np.zeros((len(shops), width), dtype=np.int32)
    ends = np.zeros((len(shops), width), dtype=np.int32)
    for i, iv in enumerate(intervals):
        for j, (a, b) in enumerate(iv or []):
            starts[i, j], ends[i, j] = a, b
    menus = [m for m in menus if int(m["shop_id"]) in shop_pos]
    # Chains and copied menus repeat their texts: keep one object per distinct value.
    pool: dict = {}
    share = pool.setdefault
    tags = [share(t, t) for t in (tuple(_as_list(m.get("tags"))) for m in menus)]
    dietary = [share(d, d) for d in (str(m.get("dietary_info") or "") for m in menus)]
    texts = [share(x, x) for x in (
        " ".join([str(m.get("menu_name") or ""), str(m.get("description") or ""), " ".join(t), d]).lower()
        for m, t, d in zip(menus, tags, dietary))]
    catalog = Catalog(
        fingerprint=fingerprint,
        shop_ids=np.array([int(s["id"]) for s in shops], dtype=np.int64),
        shop_names=[str(s["shop_name"]) for s in shops],
        shop_categories=[str(s["category"]) for s in shops],
        shop_category_idx=np.array([CATEGORY_INDEX.get(str(s["category"]), len(CATEGORY_INDEX) - 2)
                                    for s in shops], dtype=np.int32),
        shop_foodcard=np.array([str(s.get("is_food_card_shop") or "U") for s in shops], dtype="<U1"),
        shop_good_influence=np.array([bool(s.get("is_good_influence_shop")) for s in shops], dtype=bool),
        shop_lat=np.array([float(s["latitude"]) for s in shops], dtype=np.float64),
        shop_lng=np.array([float(s["longitude"]) for s in shops], dtype=np.float64),
        shop_popularity=np.array([float(s.get("popularity_score") or 0) for s in shops], dtype=np.float32),
        shop_quality=np.array([float(s.get("quality_score") or 0) for s in shops], dtype=np.float32),
        shop_hours=[s.get("business_hours") for s in shops],
        shop_phone=[s.get("phone") for s in shops],
        shop_address=[str(s.get("road_address_name") or s.get("address_name") or "") for s in shops],
        shop_owner_message=[s.get("owner_message") for s in shops],
        shop_neighbourhood=[s.get("neighbourhood") for s in shops],
        shop_interval_start=starts,
        shop_interval_end=ends,
        shop_hours_known=np.array([iv is not None for iv in intervals], dtype=bool),
        menu_ids=np.array([int(m["id"]) for m in menus], dtype=np.int64),
        menu_shop=np.array([shop_pos[int(m["shop_id"])] for m in menus], dtype=np.int32),
        menu_names=[share(x, x) for x in (str(m["menu_name"]) for m in menus)],
        menu_prices=np.array([int(m["price"]) for m in menus], dtype=np.int64),
        menu_categories=[m.get("category") and share(m["category"], m["category"]) for m in menus],
        menu_descriptions=[share(x, x) for x in (str(m.get("description") or "") for m in menus)],
        menu_available=np.array([bool(m.get("is_available", True)) for m in menus], dtype=bool),
        menu_popular=np.array([bool(m.get("is_popular")) for m in menus], dtype=bool),
        menu_frequency=np.array([int(m.get("recommendation_frequency") or 0) for m in menus], dtype=np.int64),
        menu_dietary=dietary,
        menu_tags=tags,
        menu_text=texts,
        shop_seats=np.array([-1 if s.get("seats") is None else int(s["seats"]) for s in shops], dtype=np.int32),
        shop_group_friendly=np.array([-1 if s.get("group_friendly") is None else int(bool(s["group_friendly"]))
                                      for s in shops], dtype=np.int8),
        menu_options=[m.get("options") if isinstance(m.get("options"), dict) else None for m in menus],
        shop_pos=shop_pos,
    )
    catalog.menu_pos = {int(mid): i for i, mid in enumerate(catalog.menu_ids)}
    return catalog
