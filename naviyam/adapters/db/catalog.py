"""Loading the catalog snapshot from the database, one per process, re-validated by fingerprint.

The snapshot itself (``Catalog``, ``build_catalog``) is pure domain data in
``naviyam.domain.recommend.catalog``; this adapter owns the SQL and the cache.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import Menu, Shop
from naviyam.domain.recommend import filters, relevance
from naviyam.domain.recommend.catalog import Catalog, build_catalog

log = logging.getLogger(__name__)


def catalog_fingerprint(session: Session) -> str:
    """Changes whenever a shop or menu row is added, removed or updated."""
    shops = session.execute(select(func.count(Shop.id), func.max(Shop.updated_at), func.sum(Shop.id))).one()
    menus = session.execute(select(func.count(Menu.id), func.max(Menu.updated_at), func.sum(Menu.id))).one()
    raw = f"{shops[0]}|{shops[1]}|{shops[2]}|{menus[0]}|{menus[1]}|{menus[2]}"
    return hashlib.sha1(raw.encode()).hexdigest()[:16]


_SHOP_COLUMNS = ("id", "shop_name", "category", "is_food_card_shop", "is_good_influence_shop",
                 "latitude", "longitude", "popularity_score", "quality_score", "business_hours",
                 "phone", "address_name", "road_address_name", "owner_message", "neighbourhood",
                 "seats", "group_friendly")
_MENU_COLUMNS = ("id", "shop_id", "menu_name", "price", "category", "description", "is_available",
                 "is_popular", "recommendation_frequency", "dietary_info", "tags", "options")


def load_catalog(session: Session, fingerprint: str | None = None) -> Catalog:
    fingerprint = fingerprint or catalog_fingerprint(session)
    shops = [dict(r._mapping) for r in session.execute(
        select(*(getattr(Shop, c) for c in _SHOP_COLUMNS)).order_by(Shop.id))]
    menus = [dict(r._mapping) for r in session.execute(
        select(*(getattr(Menu, c) for c in _MENU_COLUMNS)).order_by(Menu.id))]
    return build_catalog(shops, menus, fingerprint)


def prepare(catalog: Catalog) -> Catalog:
    """The snapshot's per-snapshot structures (shop grid, shop → menus, dietary and food texts,
    menu kinds), built with the snapshot instead of on the first requests that need them."""
    filters.prepare(catalog)
    relevance.prepare(catalog)
    return catalog


class CatalogCache:
    """One catalog per database URL, re-validated by fingerprint every ``refresh_s`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._catalogs: dict[str, tuple[Catalog, float]] = {}

    def get(self, session: Session, refresh_s: float = 5.0) -> Catalog:
        key = str(session.get_bind().engine.url)
        now = time.monotonic()
        with self._lock:
            entry = self._catalogs.get(key)
            if entry and now - entry[1] < refresh_s:
                return entry[0]
            fingerprint = catalog_fingerprint(session)
            if entry and entry[0].fingerprint == fingerprint:
                self._catalogs[key] = (entry[0], now)
                return entry[0]
            started = time.perf_counter()
            catalog = prepare(load_catalog(session, fingerprint))
            log.info("Catalog %s loaded: %d shops, %d menus in %.0f ms", fingerprint,
                     catalog.n_shops, catalog.n_menus, (time.perf_counter() - started) * 1000)
            self._catalogs[key] = (catalog, now)
            return catalog

    def put(self, session: Session, catalog: Catalog) -> None:
        prepare(catalog)
        with self._lock:
            self._catalogs[str(session.get_bind().engine.url)] = (catalog, time.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._catalogs.clear()


CATALOGS = CatalogCache()
