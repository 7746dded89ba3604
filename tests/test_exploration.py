"""The logged exploration and the SNIPS estimate (issue 15; docs/LEARNING_LOOP.md): propensities
are probabilities that add up to the list's length, the policy is deterministic with exploration
off, and SNIPS recovers known choice rates on fixed logged lists."""
from __future__ import annotations

import random

import pytest

from naviyam.domain.learning import heldout_user, snips_slates
from naviyam.domain.recommend.exploration import explore, inclusion_probabilities, target_probabilities


@pytest.mark.parametrize("epsilon", [0.0, 0.05, 0.3, 1.0])
@pytest.mark.parametrize("n_pool,greedy", [(15, [0, 1, 2]), (15, [0, 3, 7, 1, 2]), (3, [0, 1, 2]), (20, [14, 2, 5])])
def test_propensities_are_probabilities_that_sum_to_the_list_length(epsilon, n_pool, greedy):
    result = explore(n_pool, greedy, epsilon, pool_cap=12, rng=random.Random(1))
    assert set(greedy) <= set(result.logged)                  # every greedy pick is logged, even past the cap
    assert all(0.0 <= p <= 1.0 for p in result.propensity.values())
    assert sum(result.propensity.values()) == pytest.approx(len(greedy))
    assert len(result.picked) == len(greedy) and len(set(result.picked)) == len(greedy)
    assert all(result.propensity[p] > 0 for p in result.picked)    # what was shown could be shown
    assert result.picked[:-1] == greedy[:-1]                       # only the last slot ever moves


def test_exploration_off_is_the_deterministic_policy():
    for seed in range(50):
        result = explore(15, [4, 0, 9], 0.0, 12, random.Random(seed))
        assert result.picked == [4, 0, 9] and not result.swapped
        assert [result.propensity[p] for p in result.picked] == [1.0, 1.0, 1.0]
        assert sum(result.propensity[p] for p in result.logged if p not in (4, 0, 9)) == 0


def test_the_swap_happens_at_the_configured_rate_and_draws_uniformly():
    rng = random.Random(7)
    runs = [explore(15, [0, 1, 2], 0.2, 12, rng) for _ in range(5000)]
    swapped = [r for r in runs if r.swapped]
    assert 0.17 < len(swapped) / len(runs) < 0.23
    drawn = {r.picked[-1] for r in swapped}
    assert drawn <= set(range(3, 12)) and len(drawn) == 9          # only the capped pool, each of it
    p = inclusion_probabilities([0, 1, 2], list(range(12)), 0.2)
    assert p[2] == pytest.approx(0.8) and p[5] == pytest.approx(0.2 / 9) and p[0] == 1.0


def test_target_policy_is_the_same_exploration_around_the_candidates_top_k():
    probs = target_probabilities([0.1, 0.9, 0.5, 0.3], 2, 0.5)
    assert probs == pytest.approx([0.25, 1.0, 0.5, 0.25])
    assert sum(probs) == pytest.approx(2)


def test_snips_equals_the_observed_rate_when_the_candidate_is_the_logging_policy():
    # three lists of two; the logging policy's propensities are also the candidate's
    lists = [([1.0, 0.0], [1.0, 0.5], [1.0, 0.5]), ([0.0, 0.0], [1.0, 0.9], [1.0, 0.9]),
             ([0.0, 1.0], [1.0, 0.1], [1.0, 0.1])]
    result = snips_slates(lists, clip=10)
    assert result.estimate == pytest.approx(2 / 3) and result.logged_rate == pytest.approx(2 / 3)
    assert result.lists == 3 and result.decisions == 6 and result.clipped == 0
    assert result.effective_sample_size == pytest.approx(6.0)


def test_snips_weighs_what_the_candidate_would_show_and_clips_large_weights():
    # the logging policy rarely showed the item that was chosen; a candidate that always shows it
    lists = [([0.0, 1.0], [1.0, 1.0], [1.0, 0.05]), ([0.0, 0.0], [1.0, 0.0], [1.0, 0.95])]
    result = snips_slates(lists, clip=10)
    assert result.clipped == 1                                      # 1 / 0.05 = 20 > 10
    # weights: list 1: 1 and 10 (chosen), list 2: 1 and 0 -> 10 / ((11 + 1) / 2) choices per list
    assert result.estimate == pytest.approx(10 / 6)
    assert result.effective_sample_size < result.decisions
    with pytest.raises(ValueError):
        snips_slates([([1.0], [1.0], [0.0])])


def test_the_held_out_split_is_stable_and_near_its_share():
    users = [str(i) for i in range(4000)]
    held = [heldout_user(u, 20.0) for u in users]
    assert held == [heldout_user(u, 20.0) for u in users]
    assert 0.17 < sum(held) / len(users) < 0.23
