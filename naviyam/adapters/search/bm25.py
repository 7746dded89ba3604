"""BM25 over Kiwi morphemes (seed 000 §3.1 keyword half of the hybrid search).

Documents are menus (shop name, category, menu name, description, tags). Kiwi
(kiwipiepy) splits Korean into morphemes; nouns, verb/adjective stems, roots and
foreign words are kept (``참치김밥`` → 참치, 김밥), so "김밥" finds "참치김밥".
"""
from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

import numpy as np

from naviyam.domain.recommend.spatial import concat_ranges
from naviyam.shared.korean.vocab import strip_particles

TOKENIZER = "kiwi-no-multi-dict"   # recorded in each index's meta.json; another value: rebuild the index
KEEP_TAGS = ("NNG", "NNP", "VV", "VA", "XR", "SL", "SH", "NR", "MAG")
_KIWI = None
_KIWI_LOCK = threading.Lock()


def kiwi():
    global _KIWI
    with _KIWI_LOCK:
        if _KIWI is None:
            from kiwipiepy import Kiwi

            # No multi-word dictionary: 190 MB less per process and Kiwi 2.7x faster (index
            # builds); on the sample's 2,957 menu documents and the usual requests the terms
            # were the same (docs/PERFORMANCE.md "Memory at 100k menus"). Calling thread only.
            _KIWI = Kiwi(num_workers=-1, load_multi_dict=False)
        return _KIWI


def kiwi_ready() -> bool:
    return _KIWI is not None


def load_kiwi_in_background() -> None:
    if _KIWI is None and not _KIWI_LOCK.locked():
        threading.Thread(target=kiwi, name="naviyam-kiwi-load", daemon=True).start()


def quick_tokenize(text: str) -> list[str]:
    """Whitespace words without trailing particles: used until Kiwi has loaded."""
    return [strip_particles(w).lower() for w in text.split() if len(strip_particles(w)) >= 2]


def _terms(tokens) -> list[str]:
    terms = []
    for token in tokens:
        tag = str(token.tag).split("-")[0]
        if tag in KEEP_TAGS and token.form.strip():
            terms.append(token.form.lower())
    return terms


def tokenize(text: str) -> list[str]:
    if not text or not text.strip():
        return []
    return _terms(kiwi().tokenize(text[:2000]))


def tokenize_many(texts: list[str]) -> list[list[str]]:
    """``[tokenize(t) for t in texts]`` through Kiwi's batch call (about twice as fast: index builds)."""
    texts = list(texts)
    wanted = [i for i, t in enumerate(texts) if t and t.strip()]
    out: list[list[str]] = [[] for _ in texts]
    for i, tokens in zip(wanted, kiwi().tokenize(texts[i][:2000] for i in wanted)):
        out[i] = _terms(tokens)
    return out


class BM25Index:
    """A compact inverted index: term → (doc ids, term frequencies)."""

    def __init__(self, vocab: dict[str, int], indptr: np.ndarray, docs: np.ndarray, tfs: np.ndarray,
                 doc_len: np.ndarray, k1: float = 1.2, b: float = 0.75) -> None:
        self.vocab, self.indptr, self.docs, self.tfs, self.doc_len = vocab, indptr, docs, tfs, doc_len
        self.k1, self.b = k1, b
        self.n_docs = len(doc_len)
        self.avgdl = float(doc_len.mean()) if self.n_docs else 1.0
        df = np.diff(indptr).astype(np.float64)
        self.idf = np.log(1 + (self.n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)

    @classmethod
    def build_from_parts(cls, text_terms: list[list[str]], parts: list[np.ndarray]) -> BM25Index:
        """The index of documents made of parts, each part one of a few distinct texts.

        ``text_terms[t]``: the terms of distinct text ``t``; ``parts[k][d]``: the text of part
        ``k`` of document ``d`` (a menu: its shop's name and category, then its own text).
        Equal to ``build`` over each document's concatenated terms, but the Python work is
        per distinct text; the postings of a million documents are numpy sorts.
        """
        vocab: dict[str, int] = {}
        ptr, ids, counts = [0], [], []
        for terms in text_terms:
            for term, tf in Counter(terms).items():
                ids.append(vocab.setdefault(term, len(vocab)))
                counts.append(tf)
            ptr.append(len(ids))
        text_ptr = np.asarray(ptr, dtype=np.int64)
        text_ids = np.asarray(ids, dtype=np.int64)
        text_tfs = np.asarray(counts, dtype=np.float32)
        text_len = np.asarray([len(t) for t in text_terms], dtype=np.float32)
        n_docs = len(parts[0]) if parts else 0
        doc_len = np.zeros(n_docs, dtype=np.float32)
        doc_parts, term_parts, tf_parts = [], [], []
        for part in parts:
            part = np.asarray(part, dtype=np.int64)
            doc_len += text_len[part]
            starts, ends = text_ptr[part], text_ptr[part + 1]
            at = concat_ranges(starts, ends)
            doc_parts.append(np.repeat(np.arange(n_docs, dtype=np.int64), ends - starts))
            term_parts.append(text_ids[at])
            tf_parts.append(text_tfs[at])
        if not n_docs or not vocab:
            return cls(vocab, np.zeros(len(vocab) + 1, dtype=np.int64), np.zeros(0, np.int32),
                       np.zeros(0, np.float32), doc_len)
        key = np.concatenate(term_parts) * n_docs + np.concatenate(doc_parts)
        tfs = np.concatenate(tf_parts)
        order = np.argsort(key, kind="stable")
        key, tfs = key[order], tfs[order]
        distinct_keys, first = np.unique(key, return_index=True)
        tfs = np.add.reduceat(tfs, first).astype(np.float32)      # a term in both parts: tf adds up
        terms = distinct_keys // n_docs
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(np.bincount(terms, minlength=len(vocab)))
        return cls(vocab, indptr, (distinct_keys % n_docs).astype(np.int32), tfs, doc_len)

    @classmethod
    def build(cls, token_lists: list[list[str]]) -> BM25Index:
        vocab: dict[str, int] = {}
        postings: list[list[tuple[int, int]]] = []
        doc_len = np.zeros(len(token_lists), dtype=np.float32)
        for d, tokens in enumerate(token_lists):
            doc_len[d] = len(tokens)
            for term, tf in Counter(tokens).items():
                t = vocab.setdefault(term, len(vocab))
                if t == len(postings):
                    postings.append([])
                postings[t].append((d, tf))
        indptr = np.zeros(len(postings) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum([len(p) for p in postings])
        docs = np.fromiter((d for p in postings for d, _ in p), dtype=np.int32, count=int(indptr[-1]))
        tfs = np.fromiter((tf for p in postings for _, tf in p), dtype=np.float32, count=int(indptr[-1]))
        return cls(vocab, indptr, docs, tfs, doc_len)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for term in set(query_terms):
            t = self.vocab.get(term)
            if t is None:
                continue
            lo, hi = self.indptr[t], self.indptr[t + 1]
            docs, tf = self.docs[lo:hi], self.tfs[lo:hi]
            norm = self.k1 * (1 - self.b + self.b * self.doc_len[docs] / self.avgdl)
            scores[docs] += self.idf[t] * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def search(self, query_terms: list[str], eligible: np.ndarray, k: int) -> np.ndarray:
        """Doc ids (best first) among ``eligible`` with a positive score."""
        scores = self.scores(query_terms)
        hits = np.flatnonzero(scores > 0)         # the query terms' postings only
        hits = hits[eligible[hits]]
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        return hits[np.argsort(-scores[hits], kind="stable")]

    def save(self, folder: Path) -> None:
        np.savez(folder / "bm25.npz", indptr=self.indptr, docs=self.docs, tfs=self.tfs, doc_len=self.doc_len)
        terms = sorted(self.vocab, key=self.vocab.get)
        (folder / "bm25_vocab.json").write_text(json.dumps(terms, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        terms = json.loads((folder / "bm25_vocab.json").read_text())
        with np.load(folder / "bm25.npz") as data:
            return cls({t: i for i, t in enumerate(terms)}, data["indptr"], data["docs"], data["tfs"],
                       data["doc_len"])
