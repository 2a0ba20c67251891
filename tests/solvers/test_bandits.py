"""The learners: Tsallis-INF's normalisation and regret bound, contextual learners recovering
a known context-to-arm map, golden-section search, reproducible choices from a stream."""

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from pipeline.precision import stream_generator
from pipeline.solvers.bandits import (ChebCB, TsallisINF, TsallisINFCB,
                                      tsallis_probabilities)
from pipeline.solvers.baselines import golden_section_minimum


@pytest.mark.parametrize("eta", [2.0, 0.3, 0.01])
def test_tsallis_normalisation_is_the_root_a_bracketing_solver_finds(eta):
    losses = np.random.default_rng(1).uniform(0, 50, 20)
    p = tsallis_probabilities(losses, eta)

    def excess(x):
        return (4.0 / (eta * (losses - x)) ** 2).sum() - 1.0

    x = brentq(excess, losses.min() - 2 * math.sqrt(20) / eta - 1, losses.min() - 2 / eta)
    np.testing.assert_allclose(p, 4.0 / (eta * (losses - x)) ** 2, rtol=1e-9)
    assert p.sum() == pytest.approx(1.0, abs=1e-12) and p.argmax() == losses.argmin()


def run_stochastic_bandit(learner, means, rounds, environment):
    regret = 0.0
    for _ in range(rounds):
        arm = learner.choose()
        learner.update(float(environment.random() < means[arm]))
        regret += means[arm] - means.min()
    return regret


def test_tsallis_inf_regret_stays_below_zimmert_and_seldins_bound():
    arms, rounds = 20, 3000
    means = np.full(arms, 0.7)
    means[7] = 0.2
    bound = 4 * math.sqrt(arms * rounds) + 1  # Theorem 1, losses in [0, 1]
    uniform = rounds * (means.mean() - means.min())
    assert uniform > bound  # an algorithm that learns nothing would fail
    regrets = [run_stochastic_bandit(TsallisINF(np.arange(arms), stream_generator(seed, "tinf"),
                                                scale_losses=False),
                                     means, rounds, np.random.default_rng(100 + seed))
               for seed in range(4)]
    assert max(regrets) < bound and np.mean(regrets) < 0.5 * bound


def test_tsallis_inf_with_running_mean_scaling_finds_the_best_arm_of_unbounded_losses():
    means = 100.0 + 40.0 * np.abs(np.arange(20) - 13)  # iterations, say; arm 13 best
    learner, environment = TsallisINF(np.arange(20), stream_generator(3, "scaled")), \
        np.random.default_rng(3)
    chosen = []
    for _ in range(3000):
        arm = learner.choose()
        learner.update(means[arm] * (1 + 0.05 * environment.standard_normal()))
        chosen.append(arm)
    assert np.mean(np.array(chosen[-500:]) == 13) > 0.8


def test_tsallis_inf_cb_recovers_a_binned_context_to_arm_map():
    arm_of_bin = np.array([2, 0, 3, 1])
    learner = TsallisINFCB(np.arange(4), stream_generator(5, "cb"), context_range=(-1, 3),
                           bins=4)
    plain = TsallisINF(np.arange(4), stream_generator(5, "plain"))
    environment = np.random.default_rng(5)
    hits, plain_hits, rounds = 0, 0, 4000
    for t in range(rounds):
        context = environment.uniform(-1, 3)
        best = arm_of_bin[min(int(context + 1), 3)]
        for bandit in (learner, plain):
            arm = bandit.choose(context)
            bandit.update((0.2 if arm == best else 0.8) + 0.05 * environment.standard_normal())
            if t >= 3 * rounds // 4:
                if bandit is learner:
                    hits += arm == best
                else:
                    plain_hits += arm == best
    assert hits / (rounds / 4) > 0.9 and plain_hits / (rounds / 4) < 0.5


def test_chebcb_recovers_a_smooth_context_to_arm_map():
    positions = np.linspace(0.0, 1.0, 10)
    learner = ChebCB(np.arange(10), stream_generator(6, "cheb"), context_range=(0, 1))
    environment = np.random.default_rng(6)
    hits, excess, tail = 0, 0.0, 1000
    for t in range(4000):
        context = environment.random()
        expected = 1.0 + 4.0 * (positions - context) ** 2  # best arm: the nearest position
        arm = learner.choose(context)
        learner.update(expected[arm] + 0.01 * environment.standard_normal())
        if t >= 4000 - tail:
            hits += arm == expected.argmin()
            excess += expected[arm] - expected.min()
    fixed_excess = np.mean([(1 + 4 * (positions[5] - c) ** 2) - (1 + 4 * ((positions - c) ** 2).min())
                            for c in np.linspace(0, 1, 1001)])
    assert hits / tail > 0.9 and excess / tail < 0.05 * fixed_excess


def test_choices_depend_only_on_the_stream():
    def choices(seed):
        learner = ChebCB(np.arange(5), stream_generator(seed, "r"), context_range=(0, 1))
        out = []
        for t in range(50):
            out.append(learner.choose(t / 50))
            learner.update(1.0 + out[-1] * t / 50)
        return out

    assert choices(1) == choices(1) and choices(1) != choices(2)


def test_golden_section_refines_a_grid_minimum():
    target = 1.437

    def iterations(omega):
        return round(2e5 * (omega - target) ** 2) + 20

    grid = np.linspace(1.0, 1.95, 20)
    omega, value, seen = golden_section_minimum(iterations, grid, [iterations(w) for w in grid])
    assert abs(omega - target) < 0.004 and value == 20
    assert len(seen) == 20 + 8
