"""The vector index kinds side by side (``python benchmarks/engine_scale.py --ann-compare``).

Exact, IVF-Flat, IVF-SQ8 and HNSW over the real embeddings of each size's distinct texts:
build time, query p50/p95 and recall@256 against the exact index, and size (docs/PERFORMANCE.md
"Choosing the approximate index").
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from engine_scale import K, QUERIES, embedding_backend, percentiles


def ann_compare(sizes: list[int], kind: str) -> None:
    """Candidate vector indexes on the real embeddings of each size's distinct texts."""
    import faiss

    from devtools.sampledata.scale import scaled_catalogue
    from naviyam.adapters.search import ann
    from naviyam.domain.recommend.catalog import build_catalog

    backend = embedding_backend(kind)
    print(f"{'menus':>8} {'vectors':>8} {'index':>9} {'param':>9} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'recall@256':>10} {'MB':>6}")
    for size in sizes:
        shops, menus, _towns = scaled_catalogue(size)
        catalog = build_catalog(shops, menus, f"cmp{size}")
        texts = sorted({catalog.semantic_document(i) for i in range(catalog.n_menus)})
        cache = Path(tempfile.gettempdir()) / f"naviyam-usem3-{kind}-{size}-{len(texts)}.npy"
        if cache.exists():
            vectors = np.load(cache)
        else:
            vectors = np.concatenate([backend.encode(texts[lo:lo + 256]) for lo in range(0, len(texts), 256)])
            np.save(cache, vectors)
        rng = np.random.default_rng(11)
        queries = np.concatenate([vectors[rng.choice(len(vectors), 150, replace=False)],
                                  backend.encode([q[2] for q in QUERIES])]).astype(np.float32)
        variants = [("flat", [0]), ("ivf-flat", [8, 16, 32]), ("ivf-sq8", [8, 16, 24, 32, 64]), ("hnsw", [256, 512])]
        exact_ids = None
        for kind, params in variants:
            t0 = time.perf_counter()
            index = ann.build_vector_index(vectors, threshold=0, kind=kind)
            build = time.perf_counter() - t0
            megabytes = len(faiss.serialize_index(index)) / 2**20
            for param in params:
                ann.configure(index, nprobe=param, ef_search=param)
                times = []
                for q in queries:
                    t0 = time.perf_counter()
                    _s, ids = index.search(q[None, :], K)
                    times.append((time.perf_counter() - t0) * 1000)
                _s, ids = index.search(queries, K)
                if exact_ids is None:
                    exact_ids = ids
                recall = np.mean([len(set(a) & set(b)) / K for a, b in zip(exact_ids, ids)])
                p50, p95 = percentiles(times)
                label = "" if kind == "flat" else (f"ef={param}" if kind == "hnsw" else f"nprobe={param}")
                print(f"{size:>8} {len(vectors):>8} {kind:>9} {label:>9} {build:>8.1f} {p50:>7.2f} {p95:>7.2f} "
                      f"{recall:>10.3f} {megabytes:>6.0f}", flush=True)
