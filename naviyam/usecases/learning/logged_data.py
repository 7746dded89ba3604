"""Logged recommendations as the ranker's training rows and off-policy evaluation data (issue 15).

Each ``recommendations_log`` row written with a policy log (migration 0009) keeps, for the
pool menus that could have been shown, the serving features the ranker saw (the dense row
and wide crosses of ``naviyam.domain.recommend.features``, exactly as served), the inclusion
probability of the logging policy and whether the menu was shown. The child's choice
(``user_final_selection``) and feedback (``recommendation_feedback``: liked/selected → chosen,
disliked/closed → not chosen) label the shown menus. Rows written before 0009 have no policy
log and are not used (their features cannot be rebuilt as served).

Users are split by hash (``naviyam.domain.learning.heldout_user``, NAVIYAM_HELDOUT_PERCENT):
the held-out users' lists never train a ranker; SNIPS scores a candidate on them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import RecommendationLog
from naviyam.adapters.db.models.feedback import RecommendationFeedback
from naviyam.domain.learning import SlateEstimate, heldout_user, snips_slates
from naviyam.domain.recommend.exploration import target_probabilities
from naviyam.domain.recommend.features import N_CROSSES, N_DENSE

POSITIVE_FEEDBACK = ("liked",)
NEGATIVE_FEEDBACK = ("disliked", "closed")


@dataclass
class LoggedList:
    """One logged list: its pool menus' features, the logging policy's propensities, the labels."""

    log_id: int
    user_key: str
    dense: np.ndarray          # (pool, N_DENSE) as served
    crosses: np.ndarray        # (pool, N_CROSSES)
    bonus: np.ndarray          # meal-card bonus per menu (added after the model)
    propensity: np.ndarray     # P(shown) under the logging policy
    shown: np.ndarray          # bool
    chosen: np.ndarray         # bool (only shown menus can be chosen)
    epsilon: float
    ranker: str

    @property
    def k(self) -> int:
        return int(self.shown.sum())


def _label(log_row: RecommendationLog, feedback: dict[int, dict[int, str]], shop_ids: list[int]) -> np.ndarray:
    kinds = feedback.get(log_row.id, {})
    chosen = np.array([shop == log_row.user_final_selection for shop in shop_ids], dtype=bool)
    for n, shop in enumerate(shop_ids):
        if kinds.get(shop) in POSITIVE_FEEDBACK:
            chosen[n] = True
        elif kinds.get(shop) in NEGATIVE_FEEDBACK:
            chosen[n] = False
    return chosen


def _parse(row: RecommendationLog, feedback: dict[int, dict[int, str]]) -> LoggedList | None:
    policy = row.policy_log
    pool = policy.get("pool") if isinstance(policy, dict) else None
    if not pool:
        return None
    dense = np.array([e["dense"] for e in pool], dtype=np.float32)
    crosses = np.array([e["crosses"] for e in pool], dtype=np.int32)
    if dense.shape[1:] != (N_DENSE,) or crosses.shape[1:] != (N_CROSSES,):
        return None                       # logged with other features: not comparable
    shown = np.array([e.get("shown") is not None for e in pool], dtype=bool)
    chosen = _label(row, feedback, [int(e["shop_id"]) for e in pool]) & shown
    return LoggedList(log_id=row.id, user_key=str(row.user_id) if row.user_id is not None else str(row.session_id),
                      dense=dense, crosses=crosses, bonus=np.array([float(e.get("bonus", 0)) for e in pool]),
                      propensity=np.array([float(e["p"]) for e in pool]), shown=shown, chosen=chosen,
                      epsilon=float(policy.get("epsilon") or 0.0), ranker=str(policy.get("ranker") or ""))


def load_logged_lists(session: Session, since: datetime | None = None) -> list[LoggedList]:
    """Every logged list with a policy log and at least one shown menu, oldest first."""
    query = select(RecommendationLog).where(RecommendationLog.policy_log.is_not(None))
    if since is not None:
        query = query.where(RecommendationLog.timestamp >= since)
    rows = session.scalars(query.order_by(RecommendationLog.id)).all()
    feedback: dict[int, dict[int, str]] = {}
    if rows:
        for log_id, shop, kind in session.execute(
                select(RecommendationFeedback.recommendation_log_id, RecommendationFeedback.feedback_shop_id,
                       RecommendationFeedback.feedback_kind)
                .where(RecommendationFeedback.recommendation_log_id.is_not(None))):
            feedback.setdefault(int(log_id), {})[int(shop)] = kind
    lists = [parsed for row in rows if (parsed := _parse(row, feedback)) is not None]
    return [item for item in lists if item.k > 0]


def split_by_user(lists: list[LoggedList], heldout_percent: float) -> tuple[list[LoggedList], list[LoggedList]]:
    """(training lists, held-out lists) by the hashed user split."""
    train = [item for item in lists if not heldout_user(item.user_key, heldout_percent)]
    held = [item for item in lists if heldout_user(item.user_key, heldout_percent)]
    return train, held


def training_rows(lists: list[LoggedList]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(dense, crosses, labels, list index per row) of the SHOWN menus (impressions and choices)."""
    if not lists:
        return (np.zeros((0, N_DENSE), np.float32), np.zeros((0, N_CROSSES), np.int32),
                np.zeros(0, np.float32), np.zeros(0, np.int64))
    dense = np.concatenate([item.dense[item.shown] for item in lists])
    crosses = np.concatenate([item.crosses[item.shown] for item in lists])
    labels = np.concatenate([item.chosen[item.shown].astype(np.float32) for item in lists])
    group = np.concatenate([np.full(item.k, n) for n, item in enumerate(lists)])
    return dense, crosses, labels, group


def snips_of(scorer, lists: list[LoggedList], clip: float) -> SlateEstimate:
    """SNIPS estimate of ``scorer`` (anything with ``predict(dense, crosses)``) on logged lists:
    the candidate's policy is the same exploration around its own top-k of each logged pool."""
    slates = []
    for item in lists:
        scores = np.asarray(scorer.predict(item.dense, item.crosses), dtype=np.float64) + item.bonus
        target = np.array(target_probabilities(list(scores), item.k, item.epsilon))
        shown = item.shown
        slates.append((item.chosen[shown].astype(float).tolist(), target[shown].tolist(),
                       item.propensity[shown].tolist()))
    return snips_slates(slates, clip)
