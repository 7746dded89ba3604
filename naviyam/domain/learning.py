"""The learning loop's arithmetic: popularity EMA, quality scores, the canary split (seed 001 §3.1.2, §9).

Pure functions: the scheduled jobs (``naviyam.usecases.learning.jobs``) gather the counts
and write the results; unit tests call these directly on fixed data.
"""
from __future__ import annotations

from dataclasses import dataclass

# The split rule lives in naviyam.shared.canary (the Rasa environment applies it too); re-exported here.
from naviyam.shared.canary import canary_bucket, in_canary, serves_canary  # noqa: F401

# Seed 001 §3.1.2: views 40 %, selection rate 40 %, average rating 20 %; EMA 0.7 old + 0.3 new.
VIEW_WEIGHT, SELECT_WEIGHT, RATING_WEIGHT = 0.4, 0.4, 0.2
EMA_OLD, EMA_NEW = 0.7, 0.3
# Quality: a Bayesian average of 1-5 ratings whose prior is the current score, worth this many ratings.
QUALITY_PRIOR_WEIGHT = 5.0


@dataclass(frozen=True)
class ShopWindow:
    """What one shop got in one window: times shown, times chosen, ratings received."""

    impressions: int
    selections: int
    rating_sum: float = 0.0
    rating_count: int = 0


def window_score(window: ShopWindow, max_impressions: int) -> float:
    """The window's score in [0, 1]: views (relative to the most-shown shop), selection rate,
    average rating (1-5 mapped to 0-1). Without ratings the other two share the weight."""
    views = window.impressions / max_impressions if max_impressions > 0 else 0.0
    rate = window.selections / window.impressions if window.impressions > 0 else 0.0
    rate = min(1.0, rate)
    if window.rating_count > 0:
        rating = (window.rating_sum / window.rating_count - 1.0) / 4.0
        score = VIEW_WEIGHT * views + SELECT_WEIGHT * rate + RATING_WEIGHT * rating
    else:
        score = (VIEW_WEIGHT * views + SELECT_WEIGHT * rate) / (VIEW_WEIGHT + SELECT_WEIGHT)
    return min(1.0, max(0.0, score))


def ema(old: float, new: float) -> float:
    """``0.7·old + 0.3·new``, rounded to the column's three decimals."""
    return round(min(1.0, max(0.0, EMA_OLD * old + EMA_NEW * new)), 3)


def popularity_update(old: dict[int, float], windows: dict[int, ShopWindow]) -> dict[int, float]:
    """New popularity of every shop that was shown in the window; shops not shown keep theirs."""
    max_impressions = max((w.impressions for w in windows.values()), default=0)
    return {shop: ema(old.get(shop, 0.0), window_score(w, max_impressions))
            for shop, w in windows.items() if w.impressions > 0 and shop in old}


def quality_score(old: float, rating_sum: float, rating_count: int) -> float:
    """Bayesian average of the ratings with the current score as prior (no ratings: unchanged)."""
    if rating_count <= 0:
        return round(old, 3)
    prior_rating = 1.0 + 4.0 * old
    mean = (QUALITY_PRIOR_WEIGHT * prior_rating + rating_sum) / (QUALITY_PRIOR_WEIGHT + rating_count)
    return round(min(1.0, max(0.0, (mean - 1.0) / 4.0)), 3)


def canary_verdict(control_rate: float, candidate_rate: float, candidate_samples: int,
                   min_samples: int, tolerance: float = 0.0) -> str:
    """"promote" when the candidate's choice rate is not worse after ``min_samples``,
    "rollback" when it is worse, "wait" before that."""
    if candidate_samples < min_samples:
        return "wait"
    return "promote" if candidate_rate + tolerance >= control_rate else "rollback"


def snips(rewards: list[float], target_probability: list[float], logging_probability: list[float]) -> float:
    """Self-normalised inverse propensity estimate of a candidate policy's reward on logged data:
    ``Σ w·r / Σ w`` with ``w = π_candidate(action) / π_logging(action)`` per logged decision.
    Needs the logging policy's probability of what it showed (0 < p <= 1); NaN without weight."""
    total_w = total = 0.0
    for reward, target, logged in zip(rewards, target_probability, logging_probability, strict=True):
        if not 0 < logged <= 1:
            raise ValueError(f"logging probability must be in (0, 1], got {logged}")
        weight = target / logged
        total_w += weight
        total += weight * reward
    return total / total_w if total_w > 0 else float("nan")


@dataclass(frozen=True)
class SlateEstimate:
    """SNIPS estimate of a candidate ranker's choice rate per list on logged lists."""

    estimate: float          # expected lists with a choice, per list, under the candidate
    logged_rate: float       # the observed choice rate of the logging policy on the same lists
    lists: int
    decisions: int           # shown items weighed
    effective_sample_size: float
    clipped: int             # weights cut at the clip
    clip: float

    def to_dict(self) -> dict[str, float | int]:
        return {"estimate": round(self.estimate, 4) if self.estimate == self.estimate else None,
                "logged_choice_rate": round(self.logged_rate, 4), "lists": self.lists,
                "decisions": self.decisions, "effective_sample_size": round(self.effective_sample_size, 1),
                "clipped_weights": self.clipped, "clip": self.clip}


def snips_slates(lists: list[tuple[list[float], list[float], list[float]]], clip: float = 10.0) -> SlateEstimate:
    """Item-level SNIPS over logged lists: each list gives, for each SHOWN item, (reward 0/1,
    candidate's inclusion probability, logging propensity). Weights ``min(π/μ, clip)``.

    Under the item-position model (an item's chance of being chosen does not depend on its
    neighbours) the expected sum of a list's weights is its length ``k``, so
    ``Σ w·r / (Σ w / k)`` estimates the candidate's choices per list. Effective sample size
    ``(Σw)² / Σw²`` says how many logged decisions the estimate really rests on.
    """
    total_wr = total_w_per_k = total_w = total_w2 = 0.0
    decisions = clipped = chosen_lists = 0
    for rewards, target, logged in lists:
        k = len(rewards)
        if not k:
            continue
        chosen_lists += any(r > 0 for r in rewards)
        for reward, pi, mu in zip(rewards, target, logged, strict=True):
            if not 0 < mu <= 1:
                raise ValueError(f"logging probability must be in (0, 1], got {mu}")
            w = pi / mu
            if w > clip:
                w, clipped = clip, clipped + 1
            total_wr += w * reward
            total_w_per_k += w / k
            total_w += w
            total_w2 += w * w
            decisions += 1
    n = sum(1 for r, _t, _l in lists if r)
    return SlateEstimate(
        estimate=total_wr / total_w_per_k if total_w_per_k > 0 else float("nan"),
        logged_rate=chosen_lists / n if n else 0.0, lists=n, decisions=decisions,
        effective_sample_size=(total_w * total_w / total_w2) if total_w2 > 0 else 0.0,
        clipped=clipped, clip=clip)


def heldout_user(user_key: str, percent: float) -> bool:
    """Whether a user belongs to the hashed evaluation share (never trained on)."""
    return canary_bucket(user_key, "heldout") < percent
