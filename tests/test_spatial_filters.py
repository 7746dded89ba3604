"""The grid prefilter of the hard filters finds exactly what a scan of the whole catalogue finds,
and the food focus over the menus it examined equals the focus over the whole catalogue.

``full_scan`` below is the hard filters as they were before the grid (every menu and shop,
numpy over the whole catalogue); ``apply_hard_filters`` must give the same candidates and
the same masks for alternatives and missing foods, on the sample data and on synthetic
catalogues, with edge radii (a shop exactly on the circle, zero, huge) and no location.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from devtools.sampledata.scale import base_rows, scaled_catalogue
from naviyam.domain.geo import haversine_many
from naviyam.domain.recommend.catalog import Catalog, build_catalog
from naviyam.domain.recommend.filters import (
    FilterContext, FilterOutcome, apply_hard_filters, mask_dietary, shop_mask_foodcard, shop_mask_open,
)
from naviyam.domain.recommend.focus import plan
from naviyam.domain.recommend.spatial import ShopGrid, ShopMenus

KST = ZoneInfo("Asia/Seoul")
MONDAY = datetime(2026, 11, 16, tzinfo=KST)


def full_scan(catalog: Catalog, ctx: FilterContext) -> dict:
    """The reference: every filter over every menu (the pre-grid implementation)."""
    steps = {"total": catalog.n_menus}
    mask = catalog.menu_available.copy()
    steps["available"] = int(mask.sum())
    foodcard = shop_mask_foodcard(catalog)
    mask &= foodcard[catalog.menu_shop]
    steps["foodcard"] = int(mask.sum())
    excluded = None
    if ctx.exclude_menu_ids or ctx.exclude_shop_ids:
        excluded = np.isin(catalog.menu_ids, list(ctx.exclude_menu_ids)) | np.isin(
            catalog.shop_ids[catalog.menu_shop], list(ctx.exclude_shop_ids))
    everywhere = mask & mask_dietary(catalog, ctx.dietary)
    if excluded is not None:
        everywhere &= ~excluded
    distances = None
    if ctx.location is not None:
        distances = haversine_many(ctx.location[0], ctx.location[1], catalog.shop_lat, catalog.shop_lng)
        mask &= (distances <= ctx.radius_m)[catalog.menu_shop]
        steps["radius"] = int(mask.sum())
    mask &= mask_dietary(catalog, ctx.dietary)
    steps["dietary"] = int(mask.sum())
    if excluded is not None:
        mask &= ~excluded
        steps["not_shown_before"] = int(mask.sum())
    before = mask.copy()
    open_shops = shop_mask_open(catalog, ctx.now)
    if ctx.open_for_min:
        open_shops &= shop_mask_open(catalog, ctx.now + timedelta(minutes=ctx.open_for_min))
    open_now = open_shops[catalog.menu_shop]
    if ctx.budget is None:
        within = loose = np.ones(catalog.n_menus, dtype=bool)
    else:
        within = catalog.menu_prices <= ctx.budget
        loose = catalog.menu_prices <= ctx.budget + max(0, ctx.coupon_slack)
    mask &= open_now
    steps["open"] = int(mask.sum())
    mask &= loose
    steps["budget"] = int(mask.sum())
    return {"mask": mask, "steps": steps, "nearby": before, "everywhere": everywhere,
            "open_but_over_budget": before & open_now & ~loose,
            "closed_but_in_budget": before & ~open_now & within,
            "open_now": open_now, "within": within, "distances": distances}


FOODS = [(None, None), ("치킨", "치킨 먹고 싶어"), ("떡볶이", None), ("국물", None), ("아메리카노", None),
         ("카페", None), ("피자", None), ("없는음식", None)]


def assert_same_focus(catalog: Catalog, want: dict, got: FilterOutcome, food: str | None, text: str | None) -> None:
    """The food focus over the examined menus equals the focus over the whole catalogue."""
    scan = FilterOutcome(mask=want["mask"], within_budget=want["within"], distances=want["distances"],
                         steps=want["steps"], open_but_over_budget=want["open_but_over_budget"],
                         closed_but_in_budget=want["closed_but_in_budget"], nearby=want["nearby"],
                         open_now=want["open_now"], everywhere=want["everywhere"])
    reference, focus = plan(catalog, scan, food, text), plan(catalog, got, food, text)
    assert np.array_equal(focus.eligible, reference.eligible)
    assert (focus.snack, focus.kind, focus.steps) == (reference.snack, reference.kind, reference.steps)
    near = want["nearby"]
    assert np.array_equal(focus.tiers[near], reference.tiers[near])
    assert focus.missing_reason(got) == reference.missing_reason(scan)
    if reference.wanted is not None:
        assert np.array_equal(focus.wanted, reference.wanted)


def assert_same(catalog: Catalog, ctx: FilterContext, food: tuple = (None, None)) -> int:
    want = full_scan(catalog, ctx)
    got = apply_hard_filters(catalog, ctx)
    assert_same_focus(catalog, want, got, *food)
    assert got.steps == want["steps"]
    for name in ("mask", "nearby", "open_but_over_budget", "closed_but_in_budget", "everywhere"):
        assert np.array_equal(getattr(got, name), want[name]), name
    near = want["nearby"]
    assert np.array_equal(got.open_now[near], want["open_now"][near])
    if ctx.location is None:
        assert got.distances is None and np.array_equal(got.open_now, want["open_now"])
    else:
        inside = want["distances"] <= ctx.radius_m
        assert np.array_equal(got.distances <= ctx.radius_m, inside)
        assert np.array_equal(got.distances[inside], want["distances"][inside])
    return int(want["mask"].sum())


def contexts(catalog: Catalog, rng: random.Random, n: int):
    """Random requests around the catalogue's shops, with edge radii and no location."""
    for case in range(n):
        s = rng.randrange(catalog.n_shops)
        lat = float(catalog.shop_lat[s]) + rng.uniform(-0.01, 0.01)
        lng = float(catalog.shop_lng[s]) + rng.uniform(-0.01, 0.01)
        radius = rng.choice([0, 1, 300, 1000, 1000, 1500, 3000, 25_000])
        if case % 5 == 1:   # a shop exactly on the circle
            other = rng.randrange(catalog.n_shops)
            radius = float(haversine_many(lat, lng, catalog.shop_lat[other:other + 1],
                                          catalog.shop_lng[other:other + 1])[0])
        excluded_menus = set(rng.sample(catalog.menu_ids.tolist(), 3)) if case % 4 == 0 else set()
        excluded_shops = set(rng.sample(catalog.shop_ids.tolist(), 2)) if case % 3 == 0 else set()
        yield FilterContext(
            now=MONDAY + timedelta(minutes=rng.randrange(7 * 24 * 60)),
            budget=rng.choice([None, 3000, 5000, 8000, 15000]),
            location=None if case % 7 == 0 else (lat, lng), radius_m=radius,
            dietary=rng.choice([(), (), ("견과류",), ("채식",), ("돼지고기", "매운음식")]),
            coupon_slack=rng.choice([0, 0, 1000, 3000]), exclude_menu_ids=excluded_menus,
            exclude_shop_ids=excluded_shops, open_for_min=rng.choice([0, 0, 30]))


@pytest.fixture(scope="module")
def sample_catalog() -> Catalog:
    shops, menus = base_rows()
    return build_catalog(shops, menus, "sample")


def test_sample_catalogue_same_as_full_scan(sample_catalog):
    rng = random.Random(11)
    passed = [assert_same(sample_catalog, ctx, rng.choice(FOODS)) for ctx in contexts(sample_catalog, rng, 300)]
    assert sum(passed) > 0     # the comparison is not between two empty answers


def test_scaled_catalogue_same_as_full_scan():
    shops, menus, _towns = scaled_catalogue(12_000)
    catalog = build_catalog(shops, menus, "scaled")
    rng = random.Random(12)
    passed = [assert_same(catalog, ctx, rng.choice(FOODS)) for ctx in contexts(catalog, rng, 200)]
    assert sum(passed) > 0


def test_random_points_across_cell_edges():
    """Shops scattered over cell corners, both hemispheres of longitude sign, any radius."""
    rng = np.random.default_rng(3)
    n = 4000
    lat = np.concatenate([rng.uniform(37.49, 37.51, n // 2), rng.uniform(-33.51, -33.49, n // 2)])
    lng = np.concatenate([rng.uniform(126.99, 127.01, n // 2), rng.uniform(-70.01, -69.99, n // 2)])
    grid = ShopGrid.build(lat, lng)
    for _ in range(300):
        k = int(rng.integers(n))
        here = (float(lat[k] + rng.uniform(-0.003, 0.003)), float(lng[k] + rng.uniform(-0.003, 0.003)))
        dist = haversine_many(here[0], here[1], lat, lng)
        radius = float(rng.choice([0.0, 50.0, 400.0, 1111.0, float(dist[int(rng.integers(n))])]))
        found = grid.candidates(here[0], here[1], radius)
        found = np.arange(n) if found is None else found
        assert len(set(found.tolist())) == len(found)    # each shop once
        assert set(np.flatnonzero(dist <= radius)) <= set(found.tolist())


def test_menus_of_shops():
    menu_shop = np.array([2, 0, 2, 1, 0, 2], dtype=np.int32)
    menus = ShopMenus.build(menu_shop, 4)
    assert menus.menus_of(np.array([2, 3])).tolist() == [0, 2, 5]
    assert menus.menus_of(np.array([0, 1])).tolist() == [1, 3, 4]
    assert menus.menus_of(np.array([], dtype=np.int64)).tolist() == []
