"""A small, logged exploration of the served ranking (issue 15; docs/LEARNING_LOOP.md).

Off-policy evaluation (SNIPS) needs a stochastic logging policy whose probabilities are known.
The policy here is an epsilon-greedy swap of one slot: the ranker and MMR pick the ``k``
shown menus as always; with probability ``epsilon`` the LAST slot is replaced by a menu drawn
uniformly from the other ``m`` menus of the first ``pool_cap`` entries of the verified pool
(every one of them passed every hard filter, so exploring never shows anything unsafe).

The probability that the list includes each pool entry (its propensity) is then exact:
the first ``k - 1`` picks 1, the last pick ``1 - epsilon``, each of the ``m`` others
``epsilon / m``; everything else 0. They sum to ``k`` (the list's length). With ``epsilon``
0, or nothing to swap in, the policy is the deterministic one and every shown menu has 1.

Pure: the random draw comes from the caller's ``random.Random``.
"""
from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

POLICY_NAME = "epsilon_last_slot"


@dataclass(frozen=True)
class Explored:
    """The shown pool entries (in order) and every logged entry's inclusion probability."""

    picked: list[int]                 # pool positions shown, in display order
    logged: list[int]                 # pool positions the log keeps (the first pool_cap + the shown)
    propensity: dict[int, float]      # pool position -> probability the list includes it
    swapped: bool


def inclusion_probabilities(picked: Sequence[int], logged: Sequence[int], epsilon: float) -> dict[int, float]:
    """P(shown) of every logged pool position when ``picked`` is the greedy list (see module doc)."""
    picked = list(picked)
    others = [p for p in logged if p not in picked]
    probs = {p: 0.0 for p in logged}
    if not picked:
        return probs
    for p in picked[:-1]:
        probs[p] = 1.0
    if epsilon <= 0 or not others:
        probs[picked[-1]] = 1.0
        return probs
    probs[picked[-1]] = 1.0 - epsilon
    for p in others:
        probs[p] = epsilon / len(others)
    return probs


def explore(n_pool: int, greedy: Sequence[int], epsilon: float, pool_cap: int,
            rng: random.Random | None = None) -> Explored:
    """Apply the exploration to the greedy pick ``greedy`` (positions into a pool of ``n_pool``)."""
    greedy = list(greedy)
    logged = sorted(set(range(min(n_pool, pool_cap))) | set(greedy))
    probs = inclusion_probabilities(greedy, logged, epsilon)
    others = [p for p in logged if p not in greedy]
    swapped = False
    picked = greedy
    if greedy and epsilon > 0 and others and (rng or random).random() < epsilon:
        picked = greedy[:-1] + [(rng or random).choice(others)]
        swapped = True
    return Explored(picked=picked, logged=logged, propensity=probs, swapped=swapped)


def target_probabilities(scores: Sequence[float], k: int, epsilon: float) -> list[float]:
    """The same policy run on another ranker's ``scores`` over the logged pool entries: its top
    ``k`` by score is the greedy list (no MMR: off-policy evaluation scores the ranker alone)."""
    order = sorted(range(len(scores)), key=lambda i: -float(scores[i]))
    probs = inclusion_probabilities(order[:k], list(range(len(scores))), epsilon)
    return [probs[i] for i in range(len(scores))]
