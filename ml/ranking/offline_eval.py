"""Offline evaluation on held-out simulated users, scored through the real ``recommend()`` (issue 15).

SIMULATOR FIGURES: they measure how well a ranker serves the simulator's users, not real children.

Users are split by hash (``naviyam.domain.learning.heldout_user`` on ``sim-<uid>``): the ranker
never trains on the held-out ones. Each held-out user becomes a real user row (profile built from
their simulated history, a meal card when they hold one) inside a transaction that is rolled back
at the end, and asks for a recommendation at home at a meal hour with their budget. The full
engine answers (``recommend(..., write_log=False, ranker=..., explore=False)``: hard filters,
retrieval, features, the ranker under test, exact verification, MMR). The simulator's choice
model then decides, with terms the ranker cannot observe (hidden category weights, liked tags
never stated, Gumbel noise; the same noise for every ranker on the same request):
- choice rate: the best shown menu is worth taking: its utility is at least the user's outside
  option (the ``OUTSIDE_QUANTILE`` of the utilities of every menu they could eat here and now);
- hit@k: the shop of the user's single best eligible menu is among the k shown.
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import numpy as np

from ml.ranking.simulator import KST, SimUser, utility
from naviyam.adapters.db.models import FoodcardUser, User, UserProfile
from naviyam.adapters.db.profile_queries import invalidate_profile
from naviyam.adapters.db.session import session_factory
from naviyam.domain.learning import heldout_user
from naviyam.domain.recommend import relevance
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend

OUTSIDE_QUANTILE = 0.95
EVAL_HOURS = (12, 12, 13, 18, 19)
NOTE = "simulator figure: held-out simulated users through recommend(); not real children's choices"


def heldout_users(users: list[SimUser], percent: float) -> list[SimUser]:
    return [u for u in users if heldout_user(f"sim-{u.uid}", percent)]


def _add_user(session, user: SimUser, catalog: Catalog) -> int:
    row = User(external_user_id=f"offline-eval-{uuid.uuid4().hex[:12]}", platform="test")
    session.add(row)
    session.flush()
    shop_of = {int(sid): i for i, sid in enumerate(catalog.shop_ids)}
    recent = [{"shop_id": h["shop_id"], "category": h["category"]} for h in user.history[-30:]]
    favourites = sorted({h["shop_id"] for h in user.history
                         if sum(1 for g in user.history if g["shop_id"] == h["shop_id"]) >= 2 and h["shop_id"] in shop_of})
    session.add(UserProfile(user_id=row.id, preferred_categories=list(user.stated), average_budget=user.budget,
                            favorite_shops=favourites, interaction_count=len(user.history), recent_orders=recent))
    if user.has_card:
        session.add(FoodcardUser(user_id=row.id, card_type="아동급식카드", balance=100_000, daily_limit=30_000,
                                 target_age_group="초등학생"))
    session.flush()
    return row.id


def evaluate(catalog: Catalog, rankers: dict[str, object], users: list[SimUser], *, requests_per_user: int = 2,
             k: int = 5, seed: int = 11) -> dict:
    """Choice rate and hit@k per ranker for ``users`` (already held out), through ``recommend()``."""
    rng = np.random.default_rng(seed)
    menu_row = {int(m): i for i, m in enumerate(catalog.menu_ids)}
    meal = relevance.meal_mask(catalog)
    counts = {name: {"requests": 0, "answered": 0, "chosen": 0, "hits": 0} for name in rankers}
    session = session_factory()()
    created: list[int] = []
    try:
        day = datetime(2026, 11, 23, tzinfo=KST)           # a Monday
        for user in users:
            uid = _add_user(session, user, catalog)
            created.append(uid)
            for r in range(requests_per_user):
                now = (day + timedelta(days=int(rng.integers(0, 5)))).replace(
                    hour=int(rng.choice(EVAL_HOURS)), minute=int(rng.integers(0, 50)))
                eligible = np.flatnonzero(apply_hard_filters(catalog, FilterContext(
                    now=now, budget=user.budget, location=user.home, radius_m=1000)).mask & meal)
                if len(eligible) < k:
                    continue
                shown_by = {}
                for name, ranker in rankers.items():
                    request = RecommendationRequest(now=now, user_id=uid, session_key=f"offline-{uid}-{r}",
                                                    text="추천해줘", stated_budget=user.budget,
                                                    location=user.home, location_source="metadata", limit=k)
                    result = recommend(session, request, write_log=False, ranker=ranker, explore=False)
                    shown_by[name] = [menu_row[i.menu_id] for i in result.items if i.menu_id in menu_row]
                rows = np.array(sorted(set(eligible.tolist()) | {m for s in shown_by.values() for m in s}))
                u = dict(zip(rows.tolist(), utility(user, catalog, rows, user.budget, rng).tolist()))
                outside = float(np.quantile([u[m] for m in eligible], OUTSIDE_QUANTILE))
                best_shop = int(catalog.menu_shop[max(eligible, key=lambda m: u[int(m)])])
                for name, shown in shown_by.items():
                    c = counts[name]
                    c["requests"] += 1
                    if not shown:
                        continue
                    c["answered"] += 1
                    c["chosen"] += max(u[m] for m in shown) >= outside
                    c["hits"] += best_shop in {int(catalog.menu_shop[m]) for m in shown}
    finally:
        session.rollback()
        session.close()
        for uid in created:
            invalidate_profile(uid)
    report = {"note": NOTE, "users": len(users), "k": k, "outside_quantile": OUTSIDE_QUANTILE}
    for name, c in counts.items():
        n = max(1, c["requests"])
        report[name] = {**c, "choice_rate": round(c["chosen"] / n, 4), f"hit@{k}": round(c["hits"] / n, 4)}
    return report


def print_report(report: dict) -> None:
    k = report["k"]
    print(f"offline evaluation through recommend(), {report['users']} held-out users "
          f"(SIMULATOR FIGURE, not a product measurement):")
    print(f"  {'ranker':<22}{'requests':>9}{'choice rate':>13}{f'hit@{k}':>8}")
    for name, m in report.items():
        if isinstance(m, dict) and "choice_rate" in m:
            print(f"  {name:<22}{m['requests']:>9}{m['choice_rate']:>13.1%}{m[f'hit@{k}']:>8.1%}")
