"""A verdict with a stated false-failure rate for the whole minimal-bits table.

The fixed rule of `pipeline.analysis.verdicts` (pass while score <= null mean + 3 sd) has a
per-format false-failure rate, not a per-table one: a table of 14 formats and many variables
fails some format by chance more often than not. Here each (format, variable) comparison is a
test of

    H0: the format's climate is as close to the float64 reference as a float64 ensemble
        that differs only in its initial perturbations,

and the table's tests are corrected together (Holm 1979), so that when every format is in
truth as good as float64 the table reports any failure with probability at most ``alpha``.

The p-value. A test score Y and the K null scores X_1..X_K are W1 distances to the same
reference ensemble, so under H0 they are exchangeable. W1 distances are positive and skewed
to the right, their logarithms close to normal, and a common part (the reference's own
sampling noise) scales all of them alike. For equicorrelated normal log-scores the
studentised prediction error

    T = (log Y - mean(log X)) / (sd(log X) sqrt(1 + 1/K))

has Student's t distribution with K - 1 degrees of freedom whatever the correlation (the
common part cancels in the difference and in the sd), so p = P(t_{K-1} >= T) is the one-sided
p-value of a score that is too large. A blown-up run (infinite score) has p = 0; a score of 0
(the reference itself) has p = 1. Few nulls make the t tails heavy: with K = 4 a format
fails only when it is far outside the null's spread; more null ensembles buy power, not a
different error rate.

Why logarithms: on float64 Lorenz '63 runs that differ only in seed (200 repetitions of 4
nulls and 6 tests of x, y and z; 16 members, 20 time units), the p-values of raw scores fell
below 0.05 in 9.1 % of the 3,600 tests and below 0.001 in 0.67 %, and Holm's table failed in
10 % of the repetitions at alpha = 0.05; on log-scores 4.97 % and 0.17 %, and the table failed
in 3 % (the fixed mean + 3 sd rule: 39 %).

Holm's step-down: sort the m p-values, p_(1) <= ... <= p_(m); reject H0 for (1), (2), ...
while p_(i) <= alpha / (m - i + 1), and stop at the first that is not. It controls the
family-wise error rate at alpha under any dependence between the tests (it needs no
independence between formats or variables, which share the reference and the nulls).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

DEFAULT_ALPHA = 0.05


def null_pvalues(scores, null_scores) -> np.ndarray:
    """One-sided p-value of each score against the null scores (Student's t prediction of
    the log-score).

    ``scores``: any shape; ``null_scores``: K >= 3 positive finite values (two give a t with
    one degree of freedom, whose tails are too heavy to ever reject). Non-finite scores
    (blown-up runs) get p = 0, zero scores p = 1; a score below the nulls' geometric mean
    gets p > 1/2.
    """
    nulls = np.asarray(null_scores, dtype=np.float64).ravel()
    if nulls.size < 3 or not np.all(np.isfinite(nulls) & (nulls > 0)):
        raise ValueError("The significance verdict needs at least three positive finite null "
                         "scores (null_ensembles >= 3).")
    values = np.asarray(scores, dtype=np.float64)
    logs, null_logs = np.log(np.where(values > 0, values, 1.0)), np.log(nulls)
    spread = null_logs.std(ddof=1) * np.sqrt(1.0 + 1.0 / nulls.size)
    if spread == 0.0:  # identical nulls: any larger score is infinitely unlikely
        statistic = np.where(logs > null_logs.mean(), np.inf, -np.inf)
    else:
        statistic = (logs - null_logs.mean()) / spread
    p = stats.t.sf(statistic, df=nulls.size - 1)
    return np.where(np.isfinite(values), np.where(values > 0, p, 1.0), 0.0)


def holm_rejections(pvalues, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """Which hypotheses Holm's step-down rejects at family-wise level ``alpha`` (same shape)."""
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, not {alpha}.")
    p = np.asarray(pvalues, dtype=np.float64)
    flat = p.ravel()
    order = np.argsort(flat, kind="stable")
    limits = alpha / (flat.size - np.arange(flat.size))
    below = flat[order] <= limits
    # Reject the first run of successes: everything before the first p_(i) above its limit.
    count = flat.size if below.all() else int(np.argmin(below))
    rejected = np.zeros(flat.size, dtype=bool)
    rejected[order[:count]] = True
    return rejected.reshape(p.shape)


def table_passes(scores: dict, null_scores: dict, alpha: float = DEFAULT_ALPHA) -> dict:
    """Pass flags for a whole table, corrected together.

    ``scores[variable]`` holds one score per format, ``null_scores[variable]`` that variable's
    K null scores. Every (format, variable) test joins one Holm family; a format passes for a
    variable unless its hypothesis is rejected. Returns ``{variable: bool array}``.
    """
    names = list(scores)
    pvalues = [null_pvalues(scores[name], null_scores[name]) for name in names]
    sizes = [p.size for p in pvalues]
    rejected = holm_rejections(np.concatenate([p.ravel() for p in pvalues]), alpha)
    parts = np.split(rejected, np.cumsum(sizes)[:-1])
    return {name: ~part.reshape(np.shape(scores[name])) for name, part in zip(names, parts)}
