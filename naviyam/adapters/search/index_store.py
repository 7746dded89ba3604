"""Persisted search indexes (BM25 + FAISS) for one catalog snapshot.

Layout: ``<index_dir>/<catalog fingerprint>-<backend>/`` with ``meta.json``,
``menu_ids.npy``, ``bm25.npz``/``bm25_vocab.json``, ``faiss.index`` and ``menu_doc.npy``
(menu row → unique semantic document). A data change gives a new fingerprint, so
the indexes are rebuilt (by ``python -m naviyam.usecases.build_index build`` or, when
``NAVIYAM_INDEX_AUTOBUILD`` is on, in a background thread on first use, while
answers use the structured candidates meanwhile). Old folders are pruned.

The FAISS index is exact up to ``NAVIYAM_ANN_THRESHOLD`` distinct texts and approximate
above (``ann.py``). Kiwi runs once per distinct text (shop part and menu part apart), and
the postings are built with numpy sorts from the distinct texts' terms
(``BM25Index.build_from_parts``), so building BM25 for a catalogue of copied chains costs
far less than one call (and one Python list of terms) per menu.
"""
from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naviyam.domain.recommend.catalog import Catalog
from naviyam.adapters.search import ann
from naviyam.adapters.search.bm25 import TOKENIZER, BM25Index, tokenize_many
from naviyam.adapters.search.embeddings import EmbeddingBackend, backend_name, get_backend

log = logging.getLogger(__name__)
KEEP_OLD = 2


@dataclass
class SearchIndex:
    fingerprint: str
    bm25: BM25Index
    faiss_index: object | None          # exact or approximate faiss index over unique documents (ann.py)
    menu_doc: np.ndarray | None         # (n_menus,) unique document of each menu row
    doc_menus: DocMenus | None          # unique document → menu rows
    backend: EmbeddingBackend | None
    meta: dict


class DocMenus:
    """Unique document → its menu rows, as one sorted array and bounds (``doc_menus[d]``).

    One array instead of a list of small ones: at 1M menus the list would cost
    hundreds of MB and seconds to build.
    """

    def __init__(self, menu_doc: np.ndarray, n_docs: int) -> None:
        self.order = np.argsort(menu_doc, kind="stable").astype(np.int64)
        self.bounds = np.searchsorted(menu_doc[self.order], np.arange(n_docs + 1))

    def __len__(self) -> int:
        return len(self.bounds) - 1

    def __getitem__(self, d: int) -> np.ndarray:
        return self.order[self.bounds[d]:self.bounds[d + 1]]


def bm25_parts(catalog: Catalog) -> tuple[list[list[str]], list[np.ndarray]]:
    """Terms of each distinct text (Kiwi once per text), and each menu document's two parts:
    its shop's name and category, then its name, menu category, description and tags
    (together ``Catalog.menu_document``)."""
    texts: dict[str, int] = {}
    shop_text = np.fromiter((texts.setdefault(" ".join(filter(None, [name, category])), len(texts))
                             for name, category in zip(catalog.shop_names, catalog.shop_categories)),
                            dtype=np.int64, count=catalog.n_shops)
    menu_text = np.fromiter((texts.setdefault(" ".join(filter(None, [name, category, description, " ".join(tags)])),
                                              len(texts))
                             for name, category, description, tags in zip(
                                 catalog.menu_names, catalog.menu_categories, catalog.menu_descriptions,
                                 catalog.menu_tags)), dtype=np.int64, count=catalog.n_menus)
    return tokenize_many(list(texts)), [shop_text[catalog.menu_shop], menu_text]


def folder_for(index_dir: Path, fingerprint: str, backend_name: str) -> Path:
    safe = backend_name.replace("/", "_").replace(":", "_")
    return Path(index_dir) / f"{fingerprint}-{safe}"


def build_index(catalog: Catalog, index_dir: Path, backend: EmbeddingBackend | None,
                batch: int = 256, ann_threshold: int | None = None) -> Path:
    """Build and persist both indexes for ``catalog``; returns the folder.

    ``ann_threshold``: distinct texts above which the vector index is approximate
    (default: ``NAVIYAM_ANN_THRESHOLD``).
    """
    import faiss

    from naviyam.config import get_recommend_settings

    if ann_threshold is None:
        ann_threshold = get_recommend_settings().ann_threshold
    started = time.perf_counter()
    name = backend.name if backend else "none"
    target = folder_for(index_dir, catalog.fingerprint, name)
    tmp = target.with_name(target.name + f".tmp{threading.get_ident()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir(parents=True)
    BM25Index.build_from_parts(*bm25_parts(catalog)).save(tmp)
    t_bm25 = time.perf_counter() - started
    meta = {"fingerprint": catalog.fingerprint, "backend": name, "n_menus": catalog.n_menus,
            "tokenizer": TOKENIZER, "bm25_seconds": round(t_bm25, 2)}
    np.save(tmp / "menu_ids.npy", catalog.menu_ids)
    if backend is not None:
        semantic = [catalog.semantic_document(i) for i in range(catalog.n_menus)]
        unique: dict[str, int] = {}
        menu_doc = np.fromiter((unique.setdefault(t, len(unique)) for t in semantic), dtype=np.int32,
                               count=len(semantic))
        texts = sorted(unique, key=unique.get)
        vectors = np.zeros((len(texts), backend.dim), dtype=np.float32)
        for lo in range(0, len(texts), batch):
            vectors[lo:lo + batch] = backend.encode(texts[lo:lo + batch])
        t_vectors = time.perf_counter()
        index = ann.build_vector_index(vectors, ann_threshold)
        meta.update(embed_seconds=round(t_vectors - started - t_bm25, 2),
                    vector_index_seconds=round(time.perf_counter() - t_vectors, 2),
                    vector_index=ann.describe(index))
        faiss.write_index(index, str(tmp / "faiss.index"))
        np.save(tmp / "menu_doc.npy", menu_doc)
        meta.update(unique_documents=len(texts), dim=backend.dim)
    meta["build_seconds"] = round(time.perf_counter() - started, 2)
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2))
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    _prune(Path(index_dir), keep=target)
    log.info("Search index %s built in %.1f s", target.name, meta["build_seconds"])
    return target


def _prune(index_dir: Path, keep: Path) -> None:
    for stale in index_dir.glob("*.tmp*"):
        if stale.is_dir() and time.time() - stale.stat().st_mtime > 3600:
            shutil.rmtree(stale, ignore_errors=True)
    folders = sorted((p for p in index_dir.iterdir() if p.is_dir() and ".tmp" not in p.name and p != keep),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for old in folders[KEEP_OLD:]:
        shutil.rmtree(old, ignore_errors=True)


def index_is_current(folder: Path) -> bool:
    """An index is in ``folder`` and was built with this code's tokenizer."""
    meta = Path(folder) / "meta.json"
    return meta.is_file() and json.loads(meta.read_text()).get("tokenizer") == TOKENIZER


def load_index(folder: Path, catalog: Catalog, backend: EmbeddingBackend | None) -> SearchIndex | None:
    if not (folder / "meta.json").is_file():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("tokenizer") != TOKENIZER:
        log.warning("Search index %s was built with another tokenizer (%s); rebuild it (manage build-index)",
                    folder.name, meta.get("tokenizer"))
        return None
    menu_ids = np.load(folder / "menu_ids.npy")
    if len(menu_ids) != catalog.n_menus or not np.array_equal(menu_ids, catalog.menu_ids):
        return None
    bm25 = BM25Index.load(folder)
    faiss_index = menu_doc = doc_menus = None
    if backend is not None and (folder / "faiss.index").is_file():
        import faiss

        from naviyam.config import get_recommend_settings

        faiss_index = faiss.read_index(str(folder / "faiss.index"))
        ann.configure(faiss_index, get_recommend_settings().ann_nprobe)
        menu_doc = np.load(folder / "menu_doc.npy")
        doc_menus = DocMenus(menu_doc, faiss_index.ntotal)
    return SearchIndex(catalog.fingerprint, bm25, faiss_index, menu_doc, doc_menus, backend, meta)


class IndexManager:
    """Loads the index of the current catalog once; builds a missing one in the background."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loaded: dict[str, SearchIndex] = {}
        self._building: set[str] = set()

    def get(self, catalog: Catalog, index_dir: Path, backend_kind: str, model: str | None,
            autobuild: bool) -> SearchIndex | None:
        key = f"{index_dir}|{catalog.fingerprint}|{backend_kind}|{model}"
        with self._lock:
            if key in self._loaded:
                return self._loaded[key]
            if key in self._building:
                return None
        name = backend_name(backend_kind, model)
        folder = folder_for(index_dir, catalog.fingerprint, name or "none")
        if not folder.exists() and not autobuild:
            return None
        try:
            backend = get_backend(backend_kind, model)
        except Exception:  # noqa: BLE001 - lexical search still works
            log.exception("Embedding backend %s unavailable; lexical search only", backend_kind)
            backend = None
            folder = folder_for(index_dir, catalog.fingerprint, "none")
        loaded = load_index(folder, catalog, backend) if folder.exists() else None
        if loaded is not None:
            with self._lock:
                self._loaded = {k: v for k, v in self._loaded.items() if not k.startswith(f"{index_dir}|")}
                self._loaded[key] = loaded
            return loaded
        if autobuild:
            with self._lock:
                if key in self._building:
                    return None
                self._building.add(key)
            threading.Thread(target=self._build, args=(key, catalog, index_dir, backend),
                             name="naviyam-index-build", daemon=True).start()
        return None

    def _build(self, key: str, catalog: Catalog, index_dir: Path, backend) -> None:
        try:
            folder = build_index(catalog, index_dir, backend)
            loaded = load_index(folder, catalog, backend)
            if loaded is not None:
                with self._lock:
                    self._loaded[key] = loaded
        except Exception:  # noqa: BLE001
            log.exception("Building the search index failed")
        finally:
            with self._lock:
                self._building.discard(key)

    def wait(self, timeout: float = 120.0) -> None:
        """Block until background builds finish (tests, warm-up)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._building:
                    return
            time.sleep(0.05)

    def clear(self) -> None:
        with self._lock:
            self._loaded.clear()


INDEXES = IndexManager()
