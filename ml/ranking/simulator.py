"""Interaction simulator: users with hidden tastes choosing among real sample menus.

No real interaction logs exist yet, so the ranker learns from simulated ones. Each
simulated user has hidden preferences the ranker never sees directly:
- two favourite shop categories (strong), mild random feelings about the others.
  With ``tastes="affordable"`` (the default) the favourites are drawn among the
  categories the user can actually eat from with the meal card: categories with at
  least one eligible shop near home within their usual budget at meal times, weighted
  by how many there are (a child's everyday favourites form from what is within
  reach; see docs/RECOMMENDATION.md). ``tastes="uniform"`` draws them uniformly over
  all meal categories, including ones with no affordable shop nearby;
- one or two liked search tags (매운맛, 국물, 튀김, ...);
- a price sensitivity and a usual budget; a home neighbourhood.
In each session the user is at home at some meal time with a budget; the engine's
own hard filters (open now, meal card, radius, budget, meal menus) give the menus
that could be shown, a slate of ``slate_size`` of them is shown (half popular, half
random, one per shop), and the user picks the one with the highest utility (with
Gumbel noise). What the ranker does see is what production sees: the profile built
from earlier choices (recent categories, visited shops, interaction count) and the
stated preferences from onboarding (one favourite, sometimes) and, as production
reads from recommendations_log, what was shown and what was picked from it.

Rows are (features of user x shown item, chosen or not); sessions are split in time
per user (first 80% train, last 20% test), so evaluation is on held-out interactions.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from naviyam.domain.vocabulary import SHOP_CATEGORIES
from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters
from naviyam.domain.recommend.features import (
    CATEGORY_INDEX, RequestContext, UserContext, build_features,
)
from naviyam.domain.recommend.request import meal_slot_for
from naviyam.domain.recommend.candidates import candidates_from

KST = ZoneInfo("Asia/Seoul")
CENTRES = ((37.5404, 127.0693), (37.5559, 126.9368), (37.5133, 126.9426))
TASTE_TAGS = ("매운맛", "국물", "튀김", "밥", "면", "달콤", "치즈", "고기", "든든")
MEAL_HOURS = (8, 12, 12, 13, 18, 18, 19, 21, 22)


@dataclass
class SimUser:
    uid: int
    home: tuple[float, float]
    favourites: tuple[str, str]
    category_weight: np.ndarray
    liked_tags: tuple[str, ...]
    price_sensitivity: float
    budget: int
    stated: list[str]
    history: list[dict] = field(default_factory=list)
    has_card: bool = True

    def context(self, has_card: bool = True) -> UserContext:
        window = self.history[-30:]
        recent = [h["category"] for h in window]
        return UserContext.from_history(
            self.stated, recent, user_id=self.uid,
            shown_categories=[c for h in window for c in h["shown_categories"]], picked_when_shown=recent,
            visited_shops={h["shop_id"] for h in self.history[-30:]},
            favorite_shops={s for s in {h["shop_id"] for h in self.history}
                            if sum(1 for h in self.history if h["shop_id"] == s) >= 2},
            average_budget=self.budget, interaction_count=len(self.history), has_card=has_card)


@dataclass
class Session:
    user: SimUser
    when: datetime
    budget: int
    shown: np.ndarray          # menu rows
    chosen: int                # position in shown
    dense: np.ndarray
    crosses: np.ndarray
    cands: object
    split: str                 # train | test


# What a session looks like besides the hidden tastes (issue 15: every serving feature varies):
CARD_HOLDER_SHARE = 0.85      # the rest use the bot without a meal card
LOW_BALANCE_SHARE = 0.1       # card sessions with less than the alert threshold left
LOW_BALANCE_THRESHOLD = 5000
UNKNOWN_LOCATION_SHARE = 0.1  # no position shared: distance unknown
QUERY_SHARE = 0.5             # the user names something (one of their liked tags)
TASTE_WORD_SHARE = 0.4        # the user states a taste word
FAVOURITE_CANDIDATES = SHOP_CATEGORIES[:12]   # 편의점 is nobody's favourite
BUDGETS = (5000, 6000, 7000, 8000, 10000, 12000)
TASTES = ("affordable", "uniform")


def affordable_supply(catalog: Catalog, home: tuple[float, float], budget: int,
                      day: datetime | None = None) -> np.ndarray:
    """Shops per category (FAVOURITE_CANDIDATES order) eligible near ``home`` within ``budget``
    at any meal hour of a reference weekday: what the user can eat from with the card."""
    day = day or datetime(2026, 9, 2, tzinfo=KST)   # a Wednesday
    meal = relevance.meal_mask(catalog)
    shops: set[int] = set()
    for hour in sorted(set(MEAL_HOURS)):
        outcome = apply_hard_filters(catalog, FilterContext(now=day.replace(hour=hour, minute=30), budget=budget,
                                                            location=home, radius_m=1000))
        shops.update(int(s) for s in catalog.menu_shop[np.flatnonzero(outcome.mask & meal)])
    counts = np.zeros(len(FAVOURITE_CANDIDATES))
    for s in shops:
        category = catalog.shop_categories[s]
        if category in FAVOURITE_CANDIDATES:
            counts[FAVOURITE_CANDIDATES.index(category)] += 1
    return counts


def _draw_favourites(rng: np.random.Generator, supply: np.ndarray | None) -> tuple[str, str]:
    if supply is None or np.count_nonzero(supply) < 2:
        return tuple(rng.choice(FAVOURITE_CANDIDATES, size=2, replace=False))
    return tuple(rng.choice(FAVOURITE_CANDIDATES, size=2, replace=False, p=(supply > 0) / np.count_nonzero(supply)))


def make_users(n: int, rng: np.random.Generator, catalog: Catalog | None = None,
               tastes: str = "affordable") -> list[SimUser]:
    """``n`` users with hidden tastes; ``catalog`` is needed for ``tastes="affordable"``."""
    if tastes not in TASTES:
        raise ValueError(f"tastes must be one of {TASTES}, not {tastes!r}")
    supply: dict[tuple[int, int], np.ndarray] = {}
    users = []
    for uid in range(n):
        home = CENTRES[uid % 3]
        budget = int(rng.choice(BUDGETS))
        counts = None
        if tastes == "affordable" and catalog is not None:
            key = (uid % 3, budget)
            if key not in supply:
                supply[key] = affordable_supply(catalog, home, budget)
            counts = supply[key]
        favs = _draw_favourites(rng, counts)
        weight = rng.normal(0, 0.3, len(SHOP_CATEGORIES)).astype(np.float32)
        for c in favs:
            weight[CATEGORY_INDEX[c]] = 2.5
        tags = tuple(rng.choice(TASTE_TAGS, size=int(rng.integers(1, 3)), replace=False))
        stated = [favs[0]] if rng.random() < 0.6 else []
        users.append(SimUser(uid=uid, home=home, favourites=favs, category_weight=weight,
                             liked_tags=tags, price_sensitivity=float(rng.uniform(0.3, 1.2)),
                             budget=budget, stated=stated, has_card=bool(rng.random() < CARD_HOLDER_SHARE)))
    return users


def utility(user: SimUser, catalog: Catalog, rows: np.ndarray, budget: int, rng: np.random.Generator) -> np.ndarray:
    shops = catalog.menu_shop[rows]
    cat = user.category_weight[catalog.shop_category_idx[shops]]
    tags = np.array([sum(t in catalog.menu_tags[r] for t in user.liked_tags) for r in rows], dtype=np.float32)
    price = catalog.menu_prices[rows] / max(budget, 1)
    return (cat + 0.8 * tags + 0.8 * catalog.shop_popularity[shops] + 0.4 * catalog.shop_quality[shops]
            - user.price_sensitivity * price + rng.gumbel(0, 0.6, len(rows)))


def _slate(catalog: Catalog, eligible: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    idx = np.flatnonzero(eligible)
    rng.shuffle(idx)
    one_per_shop: dict[int, int] = {}
    for r in idx:
        one_per_shop.setdefault(int(catalog.menu_shop[r]), int(r))
    rows = np.array(list(one_per_shop.values()), dtype=np.int64)
    if len(rows) <= size:
        return rows
    pop = catalog.shop_popularity[catalog.menu_shop[rows]]
    popular = rows[np.argsort(-pop)[: size // 2]]
    rest = np.setdiff1d(rows, popular)
    return np.concatenate([popular, rng.choice(rest, size=size - len(popular), replace=False)])


def simulate(catalog: Catalog, n_users: int = 300, sessions: tuple[int, int] = (8, 30), slate_size: int = 10,
             seed: int = 7, start: datetime | None = None, tastes: str = "affordable") -> list[Session]:
    """Simulate every user's sessions in time order; returns the sessions with features."""
    rng = np.random.default_rng(seed)
    users = make_users(n_users, rng, catalog, tastes)
    start = start or datetime(2026, 9, 1, tzinfo=KST)
    meal = relevance.meal_mask(catalog)
    shown_counts = np.zeros(len(catalog.menu_prices), dtype=np.int64)  # how often each menu was recommended
    out: list[Session] = []
    for user in users:
        n = int(rng.integers(sessions[0], sessions[1] + 1))
        n_train = int(round(n * 0.8))
        for k in range(n):
            when = start + timedelta(days=int(k * 2 + rng.integers(0, 2)), hours=int(rng.choice(MEAL_HOURS)),
                                     minutes=int(rng.integers(0, 60)))
            budget = max(3000, int(user.budget + rng.integers(-2, 3) * 1000))
            is_low = user.has_card and rng.random() < LOW_BALANCE_SHARE
            if is_low:
                budget = int(rng.choice((2000, 3000, 4000)))
            location = None if rng.random() < UNKNOWN_LOCATION_SHARE else (
                user.home[0] + rng.uniform(-0.004, 0.004), user.home[1] + rng.uniform(-0.005, 0.005))
            outcome = apply_hard_filters(catalog, FilterContext(now=when, budget=budget, location=location,
                                                                radius_m=1000))
            eligible = outcome.mask & meal
            shown = _slate(catalog, eligible, slate_size, rng)
            if len(shown) < 2:
                continue
            query = str(rng.choice(user.liked_tags)) if rng.random() < QUERY_SHARE else None
            match = np.array([float(query is not None and query in catalog.menu_tags[r]) for r in shown],
                             dtype=np.float32)
            retrieval = np.clip(rng.normal(0.3, 0.08, len(shown)) + 0.35 * match, 0, 1).astype(np.float32)
            cands = replace(candidates_from(catalog, shown, outcome.distances, match, retrieval),
                            frequency=shown_counts[shown].copy())
            taste = {str(rng.choice(user.liked_tags))} if rng.random() < TASTE_WORD_SHARE else set()
            context = user.context(user.has_card)
            context.is_low = is_low
            dense, crosses = build_features(context, cands, RequestContext(
                slot=meal_slot_for(when), budget=budget, radius_m=1000, taste_words=taste))
            shown_counts[shown] += 1
            chosen = int(np.argmax(utility(user, catalog, shown, budget, rng)))
            out.append(Session(user, when, budget, shown, chosen, dense, crosses, cands,
                               "train" if k < n_train else "test"))
            r = int(shown[chosen])
            s = int(catalog.menu_shop[r])
            user.history.append({"shop_id": int(catalog.shop_ids[s]), "category": catalog.shop_categories[s],
                                 "menu_row": r, "shown_categories": list(cands.category)})
    return out


def to_arrays(sessions: list[Session], split: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stack one split into (dense, crosses, labels, session index per row)."""
    chosen = [s for s in sessions if s.split == split]
    dense = np.concatenate([s.dense for s in chosen])
    crosses = np.concatenate([s.crosses for s in chosen])
    labels = np.concatenate([(np.arange(len(s.shown)) == s.chosen).astype(np.float32) for s in chosen])
    group = np.concatenate([np.full(len(s.shown), i) for i, s in enumerate(chosen)])
    return dense, crosses, labels, group


def constant_features(dense: np.ndarray) -> list[str]:
    """Feature columns that never vary in ``dense`` (a model cannot learn their weight)."""
    from naviyam.domain.recommend.features import FEATURE_NAMES

    return [name for i, name in enumerate(FEATURE_NAMES) if float(np.ptp(dense[:, i])) == 0.0]
