"""The semantic vector index: exact below a size threshold, approximate above it.

Below ``NAVIYAM_ANN_THRESHOLD`` distinct menu texts the index is ``IndexFlatIP`` (exact
inner product = cosine on the L2-normalised embeddings; a query costs a scan of every
vector). Above it, an inverted-file index with 8-bit scalar-quantised vectors
(``IndexIVFScalarQuantizer``, ``nlist`` = 4·√n coarse cells trained by k-means on a
sample): a query scans only the ``NAVIYAM_ANN_NPROBE`` nearest cells, so its cost grows
about with √n instead of n, and each vector takes a quarter of the memory. Why this kind
and these numbers (recall@256 against the exact index, build and query time, memory, at
10k-1M vectors): docs/PERFORMANCE.md "The engine at 1k-1M menus"; ``benchmarks/engine_scale.py
--ann-compare`` re-measures them.

``build_vector_index(vectors, threshold, kind=...)`` also builds the other kinds the
comparison measures (``ivf-flat``, ``hnsw``), never used by the product unless asked.
"""
from __future__ import annotations

import math

import numpy as np

EXACT = "flat"
DEFAULT_ANN = "ivf-sq8"
KINDS = (EXACT, "ivf-flat", "ivf-sq8", "hnsw")
TRAIN_POINTS_PER_CELL = 40       # faiss warns below 39 training points per cell
MAX_TRAIN_POINTS = 120_000


def nlist_for(n: int) -> int:
    """Coarse cells of an IVF index over ``n`` vectors: about 4·√n, at least 16."""
    return max(16, int(4 * math.sqrt(n)))


def build_vector_index(vectors: np.ndarray, threshold: int, kind: str = DEFAULT_ANN, seed: int = 1234):
    """A faiss index over ``vectors`` (float32, L2-normalised rows): exact when
    ``len(vectors) <= threshold``, otherwise ``kind``."""
    import faiss

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n <= threshold or kind == EXACT:
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        return index
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(vectors)
        return index
    nlist = min(nlist_for(n), max(1, n // TRAIN_POINTS_PER_CELL))
    quantizer = faiss.IndexFlatIP(dim)
    if kind == "ivf-flat":
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
    elif kind == "ivf-sq8":
        index = faiss.IndexIVFScalarQuantizer(quantizer, dim, nlist, faiss.ScalarQuantizer.QT_8bit,
                                              faiss.METRIC_INNER_PRODUCT)
    else:
        raise ValueError(f"unknown vector index kind {kind!r} (one of {', '.join(KINDS)})")
    sample = min(n, max(nlist * TRAIN_POINTS_PER_CELL, 1), MAX_TRAIN_POINTS)
    rows = np.random.default_rng(seed).choice(n, size=sample, replace=False) if sample < n else np.arange(n)
    index.cp.seed = seed
    index.train(vectors[np.sort(rows)])
    index.add(vectors)
    return index


def configure(index, nprobe: int, ef_search: int = 0) -> None:
    """Search-time knobs of an approximate index (no-op for the exact one)."""
    import faiss

    try:
        faiss.extract_index_ivf(index).nprobe = max(1, int(nprobe))
    except RuntimeError:  # not an IVF index
        pass
    if hasattr(index, "hnsw") and ef_search:
        index.hnsw.efSearch = int(ef_search)


def describe(index) -> dict:
    """Kind and size of ``index`` (for meta.json and the benchmarks)."""
    import faiss

    try:
        ivf = faiss.extract_index_ivf(index)
    except RuntimeError:
        ivf = None
    if ivf is not None:
        kind = "ivf-sq8" if "ScalarQuantizer" in type(index).__name__ else "ivf-flat"
        return {"kind": kind, "nlist": int(ivf.nlist), "nprobe": int(ivf.nprobe), "ntotal": int(index.ntotal)}
    if hasattr(index, "hnsw"):
        return {"kind": "hnsw", "ntotal": int(index.ntotal)}
    return {"kind": EXACT, "ntotal": int(index.ntotal)}
