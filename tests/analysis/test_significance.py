"""The table-wide verdict: Student-t prediction p-values against the null, Holm's correction."""

import numpy as np
import pytest
from scipy import stats

from pipeline.analysis.significance import holm_rejections, null_pvalues, table_passes


def test_the_pvalue_is_uniform_under_the_null_even_with_a_shared_component():
    # Log-scores as the verdict models them: a part common to all (the reference's own noise)
    # plus an independent part per ensemble; test and nulls drawn alike (H0 true).
    rng = np.random.default_rng(1)
    trials, k = 20000, 4
    common = rng.normal(0.0, 2.0, size=(trials, 1))
    nulls = np.exp(-3.0 + common + rng.normal(0.0, 0.5, size=(trials, k)))
    tests = np.exp(-3.0 + common[:, 0] + rng.normal(0.0, 0.5, size=trials))
    p = np.array([null_pvalues(t, n) for t, n in zip(tests, nulls)])
    assert stats.kstest(p, "uniform").pvalue > 1e-3
    assert abs((p <= 0.05).mean() - 0.05) < 0.006


def test_the_pvalue_is_students_t_prediction_interval_of_the_log_score():
    nulls = np.exp([1.0, 2.0, 3.0, 4.0])  # log-scores: mean 2.5, sd sqrt(5/3)
    spread = np.sqrt(5.0 / 3.0) * np.sqrt(1.25)
    assert null_pvalues(np.exp(2.5 + 2.0 * spread), nulls) == pytest.approx(stats.t.sf(2.0, 3))
    assert null_pvalues(np.exp(2.5), nulls) == pytest.approx(0.5)
    assert null_pvalues(np.inf, nulls) == 0.0  # a blown-up run
    assert null_pvalues(0.0, nulls) == 1.0  # the reference compared with itself


def test_too_few_nulls_are_refused_in_one_sentence():
    with pytest.raises(ValueError, match="at least three positive finite null scores"):
        null_pvalues(1.0, [0.5, 0.7])


def test_holm_agrees_with_statsmodels_on_random_families():
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(2)
    for size in (1, 2, 5, 14, 42):
        for _ in range(8):  # statsmodels takes ~70 ms a call
            p = rng.uniform(0, 0.2, size) ** rng.uniform(1, 3)
            expected = multitest.multipletests(p, alpha=0.05, method="holm")[0]
            assert np.array_equal(holm_rejections(p, 0.05), expected)


def test_holm_stops_at_the_first_p_above_its_limit():
    # Sorted: 0.005 <= 0.05/4, 0.01 <= 0.05/3, 0.03 > 0.05/2: two rejected, 0.04 kept too.
    assert holm_rejections([0.01, 0.04, 0.03, 0.005]).tolist() == [True, False, False, True]


def test_a_table_fails_what_is_far_outside_the_null_and_keeps_shapes():
    nulls = {"x": [1.0, 1.1, 0.9, 1.05, 0.95], "z": [2.0, 2.2, 1.8, 2.1, 1.9]}
    scores = {"x": np.array([1.0, 1.2, 9.0]), "z": np.array([2.0, np.inf, 2.1])}
    passes = table_passes(scores, nulls)
    assert passes["x"].tolist() == [True, True, False]
    assert passes["z"].tolist() == [True, False, True]


@pytest.mark.slow
def test_float64_ensembles_fail_the_table_no_more_often_than_alpha():
    """The stated rate on a real model: float64 Lorenz '63 ensembles differing only in their
    perturbations, judged as if they were 6 test formats against 4 nulls, for x, y and z."""
    from pipeline.analysis.verdicts import null_threshold
    from pipeline.analysis.wasserstein import wasserstein_1d
    from pipeline.models.lorenz63 import Lorenz63, Lorenz63Config
    from pipeline.models.run import run_block
    from pipeline.precision import NumberFormat

    nulls_count, tests_count, members, repetitions, alpha = 4, 6, 16, 120, 0.05
    config = Lorenz63Config(spinup=10.0, length=10.0)
    holm_failures = fixed_failures = 0
    for seed in range(repetitions):
        result = run_block(Lorenz63, config, NumberFormat.parse("float64"), seed=seed,
                           ensemble=0, block=0,
                           members=list(range((1 + nulls_count + tests_count) * members)))
        scores, nulls = {}, {}
        for variable in ("x", "y", "z"):
            groups = result.fields[variable].reshape(1 + nulls_count + tests_count, -1)
            distances = np.array([wasserstein_1d(group[:, None], groups[0][:, None])[0]
                                  for group in groups[1:]])
            nulls[variable], scores[variable] = distances[:nulls_count], distances[nulls_count:]
        holm_failures += not all(p.all() for p in table_passes(scores, nulls, alpha).values())
        fixed_failures += any((scores[v] > null_threshold(nulls[v])).any() for v in scores)
    # At most alpha, up to the binomial sampling error of 120 repetitions (99 % one-sided).
    limit = alpha + 2.33 * np.sqrt(alpha * (1 - alpha) / repetitions)
    assert holm_failures / repetitions <= limit
    # The uncorrected mean + 3 sd rule fails such tables far more often (39 % measured).
    assert fixed_failures / repetitions > 2 * limit
