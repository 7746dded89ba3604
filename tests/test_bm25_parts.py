"""BM25 built from distinct texts (``build_from_parts``) equals BM25 built document by document."""
from __future__ import annotations

import numpy as np

from devtools.sampledata.scale import scaled_catalogue
from naviyam.adapters.search.bm25 import BM25Index, tokenize
from naviyam.adapters.search.index_store import bm25_parts
from naviyam.domain.recommend.catalog import build_catalog


def test_parts_build_equals_the_per_document_build():
    shops, menus, _towns = scaled_catalogue(4000)
    catalog = build_catalog(shops, menus, "bm25-parts")
    reference = BM25Index.build([tokenize(" ".join(filter(None, [catalog.shop_names[catalog.menu_shop[i]],
                                                                 catalog.shop_categories[catalog.menu_shop[i]]])))
                                 + tokenize(" ".join(filter(None, [
                                     catalog.menu_names[i], catalog.menu_categories[i],
                                     catalog.menu_descriptions[i], " ".join(catalog.menu_tags[i])])))
                                 for i in range(catalog.n_menus)])
    built = BM25Index.build_from_parts(*bm25_parts(catalog))
    assert set(built.vocab) == set(reference.vocab)
    assert np.array_equal(built.doc_len, reference.doc_len) and built.avgdl == reference.avgdl
    for term in reference.vocab:
        a, b = reference.vocab[term], built.vocab[term]
        assert np.array_equal(reference.docs[reference.indptr[a]:reference.indptr[a + 1]],
                              built.docs[built.indptr[b]:built.indptr[b + 1]]), term
        assert np.array_equal(reference.tfs[reference.indptr[a]:reference.indptr[a + 1]],
                              built.tfs[built.indptr[b]:built.indptr[b + 1]]), term
    everything = np.ones(catalog.n_menus, dtype=bool)
    for query in (["김밥"], ["치킨", "세트"], ["떡볶이", "분식"], ["국물", "라면", "왕"], ["없는말"]):
        assert np.array_equal(built.scores(query), reference.scores(query))
        assert np.array_equal(built.search(query, everything, 50), reference.search(query, everything, 50))


def test_empty_catalogue():
    index = BM25Index.build_from_parts([], [np.zeros(0, np.int64)])
    assert index.n_docs == 0 and len(index.search(["김밥"], np.zeros(0, bool), 5)) == 0
