"""Hybrid candidate retrieval: structured + BM25 + FAISS, fused by RRF (k = 60).

Every list is drawn only from menus that pass the hard filters (``eligible``), so
fusion can only reorder what may be shown. With no meaningful query words (a plain
"5천원으로 점심"), only the structured list is used. Fused results are cached for an
hour per (catalog, filters, query) (seed 003 §10: retrieval results 1 hour).
"""
from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field

import numpy as np

from naviyam.adapters.cache import TTL_RETRIEVAL, get_cache
from naviyam.shared.cache_keys import retrieval_key
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.adapters.search.bm25 import kiwi_ready, load_kiwi_in_background, quick_tokenize, tokenize
from naviyam.adapters.search.embeddings import embed_query
from naviyam.adapters.search.fusion import reciprocal_rank_fusion
from naviyam.adapters.search.index_store import INDEXES
from naviyam.adapters.search.structured import structured_candidates

log = logging.getLogger(__name__)

# Words of a request that say nothing about what to eat.
STOPWORDS = {
    "추천", "추천하", "먹", "먹다", "뭐", "무엇", "메뉴", "음식", "곳", "가게", "식당", "원", "천원", "만원",
    "예산", "점심", "저녁", "아침", "야식", "지금", "오늘", "내일", "주", "하", "있", "없", "좋", "싶",
    "되", "알리", "찾", "가", "오", "배고프", "배", "고프", "근처", "주변", "명", "사람", "친구", "혼자",
    "같이", "거", "것", "좀", "쯤", "정도", "이하", "까지", "으로", "로", "해주", "줘", "요", "싸", "저렴",
    "다른", "또", "더", "그냥", "아무", "아무거나", "간단", "빨리", "급하", "나", "우리", "제", "저",
}


@dataclass
class Retrieved:
    indices: np.ndarray                   # menu rows, best fused first
    scores: np.ndarray                    # fused score scaled to [0, 1]
    semantic: bool = False                # did query words take part?
    sources: dict[str, int] = field(default_factory=dict)


def query_terms(request: RecommendationRequest) -> list[str]:
    text = request.query_text
    if not text:
        return []
    text = re.sub(r"[0-9,]+\s*(원|천|만)?", " ", text)
    if kiwi_ready():
        terms = tokenize(text)
    else:  # never make a user wait for the analyser to load
        load_kiwi_in_background()
        terms = quick_tokenize(text)
    return [t for t in terms if t not in STOPWORDS and len(t) >= 1 and not t.isdigit()]


def _cache_key(catalog: Catalog, eligible: np.ndarray, terms: list[str], request: RecommendationRequest) -> str:
    digest = hashlib.sha1(np.packbits(eligible).tobytes())
    digest.update(("|".join(terms) + f"|{request.location}").encode())
    return retrieval_key(catalog.fingerprint, digest.hexdigest())


def retrieve(catalog: Catalog, eligible: np.ndarray, request: RecommendationRequest,
             distances: np.ndarray | None, settings) -> Retrieved:
    pool = settings.candidate_pool
    structured = structured_candidates(catalog, eligible, pool, distances, request.radius_m or 1000)
    terms = query_terms(request)
    if not terms or not eligible.any():
        n = len(structured)
        return Retrieved(structured, np.linspace(1.0, 0.5, n, dtype=np.float32) if n else np.zeros(0, np.float32),
                         semantic=False, sources={"structured": n})
    cache = get_cache()
    key = _cache_key(catalog, eligible, terms, request)
    try:
        cached = cache.get(key)
    except Exception:  # noqa: BLE001
        cached = None
    if cached:
        return Retrieved(np.asarray(cached["i"], dtype=np.int64), np.asarray(cached["s"], dtype=np.float32),
                         semantic=True, sources=cached["src"])
    index = INDEXES.get(catalog, settings.index_dir, settings.embedding_backend, settings.embedding_model,
                        settings.build_index_in_background)
    lists = [structured.tolist()]
    sources = {"structured": len(structured)}
    if index is not None:
        lexical = index.bm25.search(terms, eligible, pool)
        lists.append(lexical.tolist())
        sources["bm25"] = len(lexical)
        if index.faiss_index is not None and index.backend is not None:
            vector = embed_query(index.backend, " ".join(filter(None, [request.food_type, request.taste_preference]))
                                 or " ".join(terms))
            k = min(index.faiss_index.ntotal, max(pool, 256))
            _sims, docs = index.faiss_index.search(vector[None, :].astype(np.float32), k)
            semantic: list[int] = []
            for d in docs[0]:
                if d < 0:
                    continue
                rows = index.doc_menus[d]
                semantic.extend(int(r) for r in rows[eligible[rows]])
                if len(semantic) >= pool:
                    break
            lists.append(semantic[:pool])
            sources["vector"] = len(semantic[:pool])
    fused = reciprocal_rank_fusion(lists, k=settings.rrf_k)[:pool]
    indices = np.array([i for i, _ in fused], dtype=np.int64)
    scores = np.array([s for _, s in fused], dtype=np.float32)
    scores = scores / scores.max() if len(scores) and scores.max() > 0 else scores
    sources["fused"] = len(indices)
    sources["index_ready"] = int(index is not None)
    if index is not None:
        try:
            cache.set(key, {"i": indices.tolist(), "s": [round(float(s), 4) for s in scores], "src": sources},
                      TTL_RETRIEVAL)
        except Exception:  # noqa: BLE001
            pass
    return Retrieved(indices, scores, semantic=True, sources=sources)
