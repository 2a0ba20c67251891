"""Does a number format pass, and what is the fewest significand bits that does?

The test follows Paxton et al. (2022, J. Climate 35, 1215, section 2): the climate of a model
at a test format is the sample distribution of a variable over all members and output times
after spin-up; its distance to double precision is W1 against the float64 reference ensemble.
Rounding error is negligible when that distance is no larger than the distance that
ensembles differing only in their initial perturbations already show.

Exact criterion. For a variable with grid points g (depth levels, or one point for a scalar):

    score(F)  = mean_g W1(samples_F[g], samples_ref[g])        for the test format F,
    null_k    = mean_g W1(samples_k[g], samples_ref[g])        for float64 ensembles k = 1..K,
    threshold = mean_k null_k + 3 * sd_k null_k                 (sample sd, K >= 2),
    F passes  <=> score(F) <= threshold.

A blown-up run (any non-finite sample) has an infinite score and fails. The minimal passing
significand bits of a rounding mode is the smallest M such that every tested format of that
mode with at least M significand bits passes; none if the widest tested format fails. This
monotone reading keeps a lucky pass at very few bits from being reported.
"""

from __future__ import annotations

import numpy as np

NULL_SPREAD_FACTOR = 3.0


def null_threshold(null_scores) -> float:
    """mean + 3 sd of the null scores (the null's spread; needs at least two)."""
    scores = np.asarray(null_scores, dtype=np.float64)
    if scores.size < 2:
        raise ValueError("The null needs at least two float64 ensembles (null_ensembles >= 2).")
    return float(scores.mean() + NULL_SPREAD_FACTOR * scores.std(ddof=1))


def minimal_bits(significand_bits, passes) -> int | None:
    """Smallest M with every tested format of at least M bits passing, else None."""
    pairs = sorted(zip(significand_bits, passes), key=lambda pair: -pair[0])
    best = None
    for bits, passed in pairs:
        if not passed:
            break
        best = bits
    return best
