"""Ranking features (seed 001 §3.1 step 4.3; seed 003 §7 recommendation_features).

Three groups, all scaled to about [0, 1]:
- user: average budget, experience (interactions), card holder, low balance, meal slot;
- shop/menu: popularity, quality, price, popular menu, meal card Y, good-influence shop,
  distance, how often recommended, shop category (one-hot);
- cross: user-category affinity, pick rate per category (picks relative to times shown,
  so a category the user takes whenever it appears counts even if it is rarely shown),
  visited before, favourite shop, price-to-budget fit,
  taste match, query match, retrieval score, meal-time fit.

The wide part of Wide&Deep sees hashed crosses of categorical values (user's top
categories x shop category, meal slot x shop category, price bucket x budget bucket,
card holder x meal-card status). The same code builds features for training (the
simulator) and serving, so they cannot drift apart.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from naviyam.domain.vocabulary import SHOP_CATEGORIES

N_CATEGORIES = len(SHOP_CATEGORIES)
CATEGORY_INDEX = {c: i for i, c in enumerate(SHOP_CATEGORIES)}
MEAL_SLOTS = ("아침", "점심", "저녁", "야식")
HASH_BUCKETS = 4096
N_CROSSES = 5

USER_FEATURES = ["avg_budget_norm", "experience", "has_card", "low_balance",
                 "slot_아침", "slot_점심", "slot_저녁", "slot_야식"]
ITEM_FEATURES = ["popularity", "quality", "price_norm", "popular_menu", "foodcard_y",
                 "good_influence", "distance_norm", "distance_known", "recommended_often"] + [
    f"cat_{c}" for c in SHOP_CATEGORIES]
CROSS_FEATURES = ["category_affinity", "category_pick_rate", "visited_before", "favorite_shop", "budget_fit",
                  "taste_match", "query_match", "retrieval_score", "meal_time_fit"]
FEATURE_NAMES = USER_FEATURES + ITEM_FEATURES + CROSS_FEATURES
N_DENSE = len(FEATURE_NAMES)

# How well a shop category suits a meal slot (0..1), a prior the model can reweigh.
_MEAL_FIT = {
    "아침": {"카페/디저트": 0.8, "편의점": 0.9, "도시락/죽": 0.9, "분식": 0.6, "패스트푸드": 0.6, "한식": 0.6},
    "점심": {"한식": 0.9, "분식": 0.9, "중식": 0.8, "일식": 0.8, "양식": 0.7, "도시락/죽": 0.8,
             "패스트푸드": 0.8, "프랜차이즈": 0.7, "편의점": 0.6, "치킨": 0.4, "피자": 0.5, "카페/디저트": 0.4},
    "저녁": {"한식": 0.9, "중식": 0.8, "일식": 0.8, "양식": 0.8, "치킨": 0.8, "피자": 0.8, "분식": 0.7,
             "패스트푸드": 0.7, "프랜차이즈": 0.7, "도시락/죽": 0.6, "편의점": 0.5, "카페/디저트": 0.4},
    "야식": {"치킨": 0.9, "피자": 0.8, "편의점": 0.9, "분식": 0.7, "패스트푸드": 0.7, "중식": 0.5,
             "한식": 0.5, "카페/디저트": 0.4},
}


def meal_time_fit(slot: str, category: str) -> float:
    return _MEAL_FIT.get(slot, {}).get(category, 0.5)


def price_bucket(price: float) -> int:
    return int(min(6, max(0, price // 2500)))


def budget_bucket(budget: float | None) -> int:
    if not budget:
        return 7
    return int(min(6, max(0, budget // 2500)))


def _hash(*parts: Any) -> int:
    return zlib.crc32("|".join(map(str, parts)).encode()) % HASH_BUCKETS


def _counts(categories: list[str]) -> np.ndarray:
    idx = [CATEGORY_INDEX[c] for c in categories if c in CATEGORY_INDEX]
    return np.bincount(idx, minlength=N_CATEGORIES).astype(np.float32) if idx else np.zeros(N_CATEGORIES, np.float32)


def pick_rate(picked_categories: list[str], shown_categories: list[str], prior: float = 2.0) -> np.ndarray:
    """Per category, how much more often than usual the user takes it when it is shown.

    Both lists come from the same recent recommendations (every shown item's category,
    and the category of the item picked from each). rate_c = (picks_c + prior x base) /
    (shown_c + prior), with base the user's overall picks per shown item; the lift
    rate_c / base is squashed to lift / (1 + lift): 0.5 = as usual (or never shown),
    towards 1 = picked whenever shown, towards 0 = shown often and never picked. The
    lift is independent of how many items a page shows, so simulated slates and real
    pages give the same scale.
    """
    shown = _counts(shown_categories)
    picks = np.minimum(_counts(picked_categories), shown)
    if shown.sum() == 0 or picks.sum() == 0:
        return np.full(N_CATEGORIES, 0.5, np.float32)
    base = picks.sum() / shown.sum()
    lift = (picks + prior * base) / (shown + prior) / base
    return (lift / (1 + lift)).astype(np.float32)


@dataclass
class UserContext:
    """What ranking knows about the user (profile, history, card) plus the request."""

    user_id: int | None = None
    category_affinity: np.ndarray = field(default_factory=lambda: np.zeros(N_CATEGORIES, np.float32))
    category_pick_rate: np.ndarray = field(default_factory=lambda: np.full(N_CATEGORIES, 0.5, np.float32))
    favorite_shops: set[int] = field(default_factory=set)
    visited_shops: set[int] = field(default_factory=set)
    average_budget: int | None = None
    interaction_count: int = 0
    taste_words: set[str] = field(default_factory=set)
    has_card: bool = False
    is_low: bool = False
    preferred_categories: list[str] = field(default_factory=list)

    @property
    def top_categories(self) -> list[str]:
        order = np.argsort(-self.category_affinity)
        return [SHOP_CATEGORIES[i] for i in order[:2] if self.category_affinity[i] > 0]

    @classmethod
    def from_history(cls, preferred_categories: list[str], recent_categories: list[str],
                     shown_categories: list[str] | None = None, picked_when_shown: list[str] | None = None,
                     **kwargs: Any) -> UserContext:
        """Affinity = half stated preferences, half the share of recent choices.

        ``shown_categories`` (every item shown in the user's recent recommendations) and
        ``picked_when_shown`` (the category picked from each of them) give the pick rate
        (:func:`pick_rate`).
        """
        aff = np.zeros(N_CATEGORIES, np.float32)
        stated = [CATEGORY_INDEX[c] for c in preferred_categories if c in CATEGORY_INDEX]
        if stated:
            aff[stated] += 0.5 / len(stated) * min(len(stated), 2)
        recent = [CATEGORY_INDEX[c] for c in recent_categories if c in CATEGORY_INDEX]
        if recent:
            counts = np.bincount(recent, minlength=N_CATEGORIES).astype(np.float32)
            aff += 0.5 * counts / counts.max()
        aff = np.clip(aff, 0, 1)
        return cls(category_affinity=aff, category_pick_rate=pick_rate(picked_when_shown or [], shown_categories or []),
                   preferred_categories=list(preferred_categories), **kwargs)


@dataclass
class Candidates:
    """Candidate rows for ranking, as parallel arrays (one row per menu)."""

    menu_index: np.ndarray
    shop_id: np.ndarray
    category: list[str]
    price: np.ndarray
    popularity: np.ndarray
    quality: np.ndarray
    popular_menu: np.ndarray
    foodcard: np.ndarray
    good_influence: np.ndarray
    distance_m: np.ndarray            # NaN when unknown
    frequency: np.ndarray
    tags: list[list[str]]
    text: list[str]
    query_match: np.ndarray
    retrieval_score: np.ndarray

    def __len__(self) -> int:
        return len(self.menu_index)


@dataclass
class RequestContext:
    slot: str
    budget: int | None
    radius_m: int = 1000
    taste_words: set[str] = field(default_factory=set)


def build_features(user: UserContext, cands: Candidates, req: RequestContext) -> tuple[np.ndarray, np.ndarray]:
    """Dense matrix (n, N_DENSE) and wide cross ids (n, N_CROSSES) for the candidates."""
    n = len(cands)
    x = np.zeros((n, N_DENSE), dtype=np.float32)
    col = 0

    def put(values) -> None:
        nonlocal col
        x[:, col] = values
        col += 1

    # user
    put(min(1.0, (user.average_budget or req.budget or 8000) / 20000))
    put(min(1.0, math.log1p(user.interaction_count) / math.log(50)))
    put(float(user.has_card))
    put(float(user.is_low))
    for slot in MEAL_SLOTS:
        put(float(req.slot == slot))
    # item
    put(cands.popularity)
    put(cands.quality)
    put(np.minimum(1.0, cands.price / 20000))
    put(cands.popular_menu.astype(np.float32))
    put((cands.foodcard == "Y").astype(np.float32))
    put(cands.good_influence.astype(np.float32))
    known = ~np.isnan(cands.distance_m)
    put(np.where(known, np.minimum(1.0, np.nan_to_num(cands.distance_m) / max(1, req.radius_m)), 0.5))
    put(known.astype(np.float32))
    put(np.minimum(1.0, np.log1p(cands.frequency) / math.log(1000)))
    cat_idx = np.array([CATEGORY_INDEX.get(c, CATEGORY_INDEX["기타음식"]) for c in cands.category])
    x[np.arange(n), col + cat_idx] = 1.0
    col += N_CATEGORIES
    # cross
    put(user.category_affinity[cat_idx])
    put(user.category_pick_rate[cat_idx])
    put(np.array([float(int(s) in user.visited_shops) for s in cands.shop_id], dtype=np.float32))
    put(np.array([float(int(s) in user.favorite_shops) for s in cands.shop_id], dtype=np.float32))
    if req.budget:
        ratio = cands.price / req.budget
        put(np.clip(1 - np.abs(ratio - 0.8) / 0.8, 0, 1))
    else:
        put(0.5)
    words = user.taste_words | req.taste_words
    if words:
        put(np.array([min(1.0, sum(w in t for w in words) / 2) for t in cands.text], dtype=np.float32))
    else:
        put(0.0)
    put(cands.query_match.astype(np.float32))
    put(cands.retrieval_score)
    put(np.array([meal_time_fit(req.slot, c) for c in cands.category], dtype=np.float32))
    assert col == N_DENSE

    tops = user.top_categories + ["-", "-"]
    bb = budget_bucket(req.budget)
    crosses = np.zeros((n, N_CROSSES), dtype=np.int32)
    for i in range(n):
        c = cands.category[i]
        crosses[i] = (
            _hash("top1", tops[0], c), _hash("top2", tops[1], c), _hash("slot", req.slot, c),
            _hash("pb", price_bucket(float(cands.price[i])), bb),
            _hash("card", user.has_card, str(cands.foodcard[i])),
        )
    return x, crosses
