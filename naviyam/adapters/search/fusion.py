"""Reciprocal rank fusion (seed 000 §3.1): score(d) = sum over lists of 1 / (k + rank(d))."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def reciprocal_rank_fusion(ranked_lists: Sequence[Sequence[int]], k: int = 60,
                           weights: Sequence[float] | None = None) -> list[tuple[int, float]]:
    """Fuse ranked id lists (best first, rank 1 = first) into ``[(id, score)]`` best first."""
    scores: dict[int, float] = {}
    for n, ranked in enumerate(ranked_lists):
        w = 1.0 if weights is None else float(weights[n])
        for rank, item in enumerate(ranked, start=1):
            scores[int(item)] = scores.get(int(item), 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def normalise(scores: Sequence[float]) -> np.ndarray:
    values = np.asarray(scores, dtype=np.float32)
    if len(values) == 0:
        return values
    top = values.max()
    return values / top if top > 0 else np.zeros_like(values)
