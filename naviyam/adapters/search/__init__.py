"""Candidate retrieval: structured, lexical (BM25 over Kiwi morphemes) and semantic
(FAISS over sentence embeddings), fused by reciprocal rank fusion (seed 000 §3.1)."""
