"""Recommendation engine (seed 001 §3.1 steps 4-5, seed 003 §3-§7, issue 4).

Flow of :func:`naviyam.usecases.recommend.recommend`:
request → budget (card balance, limits, stated budget) → catalog snapshot → hard filters
(filters.py) → candidates (structured + BM25 + FAISS, fused by RRF; retrieval/) →
features and ranking (Wide&Deep or PopularityBaseline; ranking/) → MMR diversity
(mmr.py) → reasons (reasons.py) → result, logs. See docs/RECOMMENDATION.md.
"""
