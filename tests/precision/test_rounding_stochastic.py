"""Stochastic rounding: only the two neighbours, unbiased, exact values fixed, reproducible."""

import math
from fractions import Fraction

import numpy as np
import pytest

from pipeline.precision import NumberFormat, round, stream_generator
from tests.precision.reference import neighbours

KERNELS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]

# (format, value, lower neighbour, upper neighbour): normal, subnormal, below the smallest
# subnormal, negative, and a value far below the subnormal quantum (more than 64 dropped bits).
CASES = [
    ("e5m10-sr", 1 + 0.3 * 2.0**-10, 1.0, 1 + 2.0**-10),
    ("e5m10-sr", -3 - 0.55 * 2.0**-9, -3 - 2.0**-9, -3.0),  # spacing 2^-9 in [2, 4)
    ("e5m10-sr", 2.0**-20 * (1 + 0.37 * 2.0**-6), 2.0**-20, 2.0**-20 + 2.0**-24),
    ("e5m10-sr", 0.7 * 2.0**-24, 0.0, 2.0**-24),
    ("e5m10-sr", 2.0**-24 * 2.0**-30, 0.0, 2.0**-24),
    ("bfloat16-sr", 100 * (1 + 0.123), 112.0, 112.5),
    ("e11m10-sr", 1e-5, None, None),
]
DRAWS = 200_000
# Hoeffding: P(|mean - p| >= t) <= 2 exp(-2 N t^2) for N Bernoulli(p) draws. With the
# per-case failure probability below 1e-6 / len(CASES), the whole test fails falsely with
# probability below 1e-6.
DELTA = 1e-6 / len(CASES)
HOEFFDING_T = math.sqrt(math.log(2 / DELTA) / (2 * DRAWS))


def case_neighbours(name, value, lower, upper):
    if lower is None:
        fmt = NumberFormat.parse(name)
        low, up = neighbours(value, fmt.exponent_bits, fmt.significand_bits)
        return float(low), float(up)
    return lower, upper


@pytest.mark.parametrize("name,value,lower,upper", CASES)
@pytest.mark.parametrize("use_numba", KERNELS)
def test_sr_gives_only_the_two_neighbours_with_an_unbiased_mean(name, value, lower, upper,
                                                                use_numba):
    lower, upper = case_neighbours(name, value, lower, upper)
    assert lower < value < upper
    rng = stream_generator(11, "unbiased", name, value)
    result = round(np.full(DRAWS, value), name, rng, use_numba=use_numba)
    assert set(np.unique(result)) <= {lower, upper}
    gap = upper - lower
    probability = (value - lower) / gap
    up_fraction = np.mean(result == upper)
    assert abs(up_fraction - probability) < HOEFFDING_T
    assert abs(np.mean(result) - value) < HOEFFDING_T * gap
    # Where round to nearest's bias is large against the bound, the bound catches it.
    if min(probability, 1 - probability) > 2 * HOEFFDING_T:
        nearest = round(np.full(8, value), name.removesuffix("-sr"))
        assert abs(np.mean(nearest) - value) > HOEFFDING_T * gap


@pytest.mark.parametrize("name", ["e5m10-sr", "e8m7-sr", "e3m2-sr", "e11m20-sr", "e4m52-sr"])
@pytest.mark.parametrize("use_numba", KERNELS)
def test_sr_result_is_always_one_of_the_exact_neighbours(name, use_numba):
    fmt = NumberFormat.parse(name)
    rng = np.random.default_rng(5)
    exponents = rng.integers(fmt.emin - fmt.significand_bits - 2, fmt.emax, size=4000)
    values = rng.uniform(1, 2, 4000) * np.ldexp(1.0, exponents) * rng.choice([-1, 1], 4000)
    result = round(values, fmt, stream_generator(1, name), use_numba=use_numba)
    for value, rounded in zip(values, result):
        low, up = neighbours(float(value), fmt.exponent_bits, fmt.significand_bits)
        assert Fraction(float(rounded)) in (low, up)


@pytest.mark.parametrize("use_numba", KERNELS)
def test_sr_leaves_exactly_representable_values_unchanged(use_numba):
    grid = np.arange(2**16, dtype=np.uint16).view(np.float16).astype(np.float64)
    finite = grid[np.isfinite(grid)]
    result = round(finite, "float16-sr", stream_generator(3), use_numba=use_numba)
    assert np.array_equal(result.view(np.uint64), finite.view(np.uint64))


@pytest.mark.parametrize("use_numba", KERNELS)
def test_sr_overflow_goes_to_largest_finite_or_infinity_and_never_from_within_range(use_numba):
    rng = stream_generator(4, "overflow")
    beyond = round(np.full(10_000, 65504.0 + 16), "float16-sr", rng, use_numba=use_numba)
    assert set(np.unique(beyond)) == {65504.0, np.inf}
    within = round(np.full(10_000, 65503.9), "float16-sr", rng, use_numba=use_numba)
    assert set(np.unique(within)) == {65472.0, 65504.0}
    far = round(np.array([1e6, -1e300, np.inf, np.nan]), "float16-sr", rng, use_numba=use_numba)
    assert far[0] == np.inf and far[1] == -np.inf and far[2] == np.inf and np.isnan(far[3])


def test_sr_kernels_agree_bit_for_bit():
    values = np.random.default_rng(9).standard_normal(50_000) * 2.0**-14
    numba = round(values, "e5m10-sr", stream_generator(2, "kernels"), use_numba=True)
    numpy = round(values, "e5m10-sr", stream_generator(2, "kernels"), use_numba=False)
    assert np.array_equal(numba.view(np.uint64), numpy.view(np.uint64))


def test_same_seed_and_stream_reproduce_and_others_differ():
    values = np.random.default_rng(0).standard_normal(10_000)
    first = round(values, "e8m7-sr", stream_generator(42, "lorenz63", 3))
    again = round(values, "e8m7-sr", stream_generator(42, "lorenz63", 3))
    other_member = round(values, "e8m7-sr", stream_generator(42, "lorenz63", 4))
    other_seed = round(values, "e8m7-sr", stream_generator(43, "lorenz63", 3))
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other_member)
    assert not np.array_equal(first, other_seed)


def test_stream_generator_refuses_a_negative_seed():
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        stream_generator(-1)
