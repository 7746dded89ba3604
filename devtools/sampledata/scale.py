"""Synthetic catalogues of any size for scale runs (benchmarks/engine_scale.py, memory_100k.py).

``scaled_catalogue(n_menus)`` starts from the sample dataset's shops and menus (the same
rows as ``data/sample_data.xlsx``, ids unchanged, so the sample users' wallets and orders
still point at real rows) and adds copies of it as further "towns" on a grid over Korea
until ``n_menus`` menus exist. Each town keeps the sample's density (a 1 km radius holds
about as many shops as in the sample), which is how a real catalogue grows: more menus
means more places, not more shops per street. Copies get jittered coordinates and
popularity, branch names, and a share of menus get a variant name and description
(``왕김밥``, ``김밥 세트``, with the branch in the description), so the number of distinct
menu texts (what the semantic index holds) grows with the catalogue, at about
``variant_share`` of it, as local menus do in real data.

``load_into_database(url, shops, menus)`` appends the rows beyond the sample's to a database
that already holds the sample (bulk inserts, one transaction).
"""
from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from devtools.sampledata.generate import DEFAULT_SEED, DEFAULT_SHOPS
from devtools.sampledata.shops import build_shops_and_menus

PREFIXES = ("왕", "미니", "매콤", "치즈", "옛날", "수제", "특", "반반", "더블", "순한", "눈꽃", "통", "꼬마", "황금",
            "불향")
SUFFIXES = ("세트", "곱빼기", "정식", "도시락", "한판", "콤보", "스페셜", "플러스", "라이트", "컵", "반찬구성",
            "2인분", "덮밥", "하프", "점보")
VARIANT_SHARE = 0.35           # menus of a copied town that get a variant text
TOWN_COLUMNS = 20
TOWN_STEP_LAT, TOWN_STEP_LNG = 0.16, 0.17   # degrees between towns (about 17 km x 15 km)


def base_rows(seed: int = DEFAULT_SEED, n_shops: int = DEFAULT_SHOPS) -> tuple[list[dict], list[dict]]:
    """The sample dataset's shops and menus (what the workbook holds)."""
    return build_shops_and_menus(seed, n_shops)


def town_offset(town: int) -> tuple[float, float]:
    """(dlat, dlng) of copy ``town`` (0: the sample itself, in Seoul), southwards on a grid."""
    if town == 0:
        return 0.0, 0.0
    row, col = divmod(town, TOWN_COLUMNS)
    return -TOWN_STEP_LAT * (row + 1) + 0.0, TOWN_STEP_LNG * (col - TOWN_COLUMNS // 2)


def town_centres(shops: list[dict], towns: int) -> list[tuple[float, float]]:
    """A point in the middle of each town (where benchmark requests stand)."""
    lat = sum(float(s["latitude"]) for s in shops) / len(shops)
    lng = sum(float(s["longitude"]) for s in shops) / len(shops)
    return [(lat + dlat, lng + dlng) for dlat, dlng in (town_offset(t) for t in range(towns))]


def _variant(menu: dict[str, Any], rng: random.Random, town: int) -> dict[str, Any]:
    """A local take on a menu: a prefix or suffix word, and a description naming the town's shop."""
    if rng.random() < 0.5:
        word = rng.choice(PREFIXES)
        name = f"{word}{menu['menu_name']}"
    else:
        word = rng.choice(SUFFIXES)
        name = f"{menu['menu_name']} {word}"
    description = f"{town + 1}호점 {word} {menu.get('description') or ''}".strip()
    return dict(menu, menu_name=name[:200], description=description)


def scaled_catalogue(n_menus: int, seed: int = DEFAULT_SEED,
                     variant_share: float = VARIANT_SHARE) -> tuple[list[dict], list[dict], int]:
    """(shops, menus, towns): the sample plus copies until ``n_menus`` menus (ids 1..n)."""
    shops, menus = base_rows(seed)
    by_shop: dict[int, list[dict]] = {}
    for m in menus:
        by_shop.setdefault(int(m["shop_id"]), []).append(m)
    rng = random.Random(f"{seed}:scale")
    out_shops: list[dict] = []
    out_menus: list[dict] = []
    town = 0
    while len(out_menus) < n_menus:
        dlat, dlng = town_offset(town)
        for shop in shops:
            if len(out_menus) >= n_menus:
                break
            sid = len(out_shops) + 1
            if town == 0:
                new = dict(shop)
            else:
                new = dict(shop, id=sid, shop_name=f"{shop['shop_name']} {town + 1}호점"[:200],
                           latitude=Decimal(str(round(float(shop["latitude"]) + dlat + rng.uniform(-0.003, 0.003), 7))),
                           longitude=Decimal(str(round(float(shop["longitude"]) + dlng
                                                       + rng.uniform(-0.003, 0.003), 7))),
                           popularity_score=Decimal(str(round(min(0.99, max(0.0, float(shop["popularity_score"])
                                                                           + rng.uniform(-0.1, 0.1))), 3))),
                           neighbourhood=f"{shop.get('neighbourhood') or ''} {town + 1}".strip())
            out_shops.append(new)
            names = {m["menu_name"] for m in by_shop.get(int(shop["id"]), [])}
            for m in by_shop.get(int(shop["id"]), []):
                if len(out_menus) >= n_menus:
                    break
                row = m if town == 0 else (_variant(m, rng, town) if rng.random() < variant_share else m)
                if row is not m:
                    if row["menu_name"] in names:   # (shop, menu name) is unique: keep the original
                        row = m
                    names.add(row["menu_name"])
                out_menus.append(dict(row, id=len(out_menus) + 1, shop_id=sid))
        town += 1
    return out_shops, out_menus, town


def load_into_database(url: str, shops: list[dict], menus: list[dict], batch: int = 5000) -> int:
    """Insert the shops and menus whose ids the database does not hold yet; returns menus added."""
    from sqlalchemy import func, insert, select

    from naviyam.adapters.db.models import Menu, Shop
    from naviyam.adapters.db.session import get_engine

    engine = get_engine(url)
    shop_cols = {c.key for c in Shop.__table__.columns} - {"created_at", "updated_at"}
    menu_cols = {c.key for c in Menu.__table__.columns} - {"created_at", "updated_at"}
    with engine.begin() as conn:
        max_shop = conn.execute(select(func.coalesce(func.max(Shop.id), 0))).scalar_one()
        max_menu = conn.execute(select(func.coalesce(func.max(Menu.id), 0))).scalar_one()
        new_shops = [{k: v for k, v in s.items() if k in shop_cols} for s in shops if int(s["id"]) > max_shop]
        new_menus = [{k: v for k, v in m.items() if k in menu_cols} for m in menus if int(m["id"]) > max_menu]
        for lo in range(0, len(new_shops), batch):
            conn.execute(insert(Shop), new_shops[lo:lo + batch])
        for lo in range(0, len(new_menus), batch):
            conn.execute(insert(Menu), new_menus[lo:lo + batch])
        if engine.dialect.name == "postgresql":
            for table in ("shops", "menus"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
    return len(new_menus)


def ensure_database(name: str, n_menus: int | None = None,
                    admin_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres") -> str:
    """A PostgreSQL database ``name`` (created if missing) migrated to head, holding the sample
    dataset and, with ``n_menus``, scaled-catalogue rows up to that many menus; returns its URL."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, func, select, text

    from naviyam.adapters.db.models import Menu
    from naviyam.adapters.db.session import get_engine
    from naviyam.adapters.workbook.importer import import_workbook
    from naviyam.config import PROJECT_ROOT

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "naviyam/adapters/db/migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")
    with get_engine(url).connect() as conn:
        menus = conn.execute(select(func.count(Menu.id))).scalar_one()
    if menus == 0:
        import_workbook(PROJECT_ROOT / "data" / "sample_data.xlsx", url=url)
    if n_menus:
        shops, rows, _towns = scaled_catalogue(n_menus)
        load_into_database(url, shops, rows)
    return url
