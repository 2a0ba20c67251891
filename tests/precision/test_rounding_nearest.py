"""Round to nearest against IEEE conversions (NumPy float16/float32, ml_dtypes bfloat16) and
against an exact rational reference for formats no hardware has."""

import math

import ml_dtypes
import numpy as np
import pytest

from pipeline.precision import NumberFormat, round
from tests.precision.reference import round_nearest

KERNELS = [pytest.param(True, id="numba"), pytest.param(False, id="numpy")]


def assert_bit_identical(result, expected, inputs):
    result_bits = np.asarray(result, dtype=np.float64).view(np.uint64)
    expected_bits = np.asarray(expected, dtype=np.float64).view(np.uint64)
    same = (result_bits == expected_bits) | (np.isnan(result) & np.isnan(expected))
    if not same.all():
        bad = np.flatnonzero(~same)[:5]
        raise AssertionError(
            f"{(~same).sum()} of {same.size} differ, e.g. inputs {inputs[bad]!r} gave "
            f"{np.asarray(result)[bad]!r}, expected {np.asarray(expected)[bad]!r}"
        )


def with_ties_and_neighbours(grid: np.ndarray, dtype) -> np.ndarray:
    """Grid values, midpoints between neighbours, and the float64 (or ``dtype``) values
    just either side of each midpoint."""
    finite = np.unique(grid[np.isfinite(grid)])
    midpoints = (finite[1:] + finite[:-1]) / 2
    if dtype is np.float64:
        below, above = np.nextafter(midpoints, -np.inf), np.nextafter(midpoints, np.inf)
    else:
        narrow = midpoints.astype(dtype)
        below = np.nextafter(narrow, dtype(-np.inf)).astype(np.float64)
        above = np.nextafter(narrow, dtype(np.inf)).astype(np.float64)
    return np.concatenate([grid, midpoints, below, above])


@pytest.mark.parametrize("use_numba", KERNELS)
def test_rn_matches_numpy_float16_for_every_bit_pattern_tie_and_neighbour(use_numba):
    patterns = np.arange(2**16, dtype=np.uint16).view(np.float16).astype(np.float64)
    largest = 65504.0
    beyond = [65519.999999, 65520.0, -65520.0, 65536.0, 1e6, 1e300]  # overflow threshold 65520
    tiny = [2.0**-25, -(2.0**-25), np.nextafter(2.0**-25, 1), 3 * 2.0**-25, 1e-300, -1e-300]
    inputs = np.concatenate([with_ties_and_neighbours(patterns, np.float64), beyond, tiny,
                             [largest, np.nextafter(largest, np.inf)]])
    with np.errstate(over="ignore"):
        expected = inputs.astype(np.float16).astype(np.float64)
    assert_bit_identical(round(inputs, "float16", use_numba=use_numba), expected, inputs)


@pytest.mark.parametrize("use_numba", KERNELS)
def test_rn_matches_ml_dtypes_bfloat16_for_every_bit_pattern_tie_and_neighbour(use_numba):
    with np.errstate(invalid="ignore"):  # the NaN patterns
        patterns = np.arange(2**16, dtype=np.uint16).view(ml_dtypes.bfloat16).astype(np.float64)
    # ml_dtypes converts through float32, so its inputs must be float32-representable:
    # bfloat16 midpoints need 9 significant bits and are; their neighbours are taken in float32.
    inputs = with_ties_and_neighbours(patterns, np.float32)
    inputs = inputs[np.isfinite(inputs)]
    assert np.array_equal(inputs.astype(np.float32).astype(np.float64), inputs)
    expected = inputs.astype(np.float32).astype(ml_dtypes.bfloat16).astype(np.float64)
    assert_bit_identical(round(inputs, "bfloat16", use_numba=use_numba), expected, inputs)


@pytest.mark.parametrize("use_numba", KERNELS)
def test_rn_matches_numpy_float32_on_a_million_values_and_every_edge_case(use_numba):
    rng = np.random.default_rng(20261123)
    # A million values spread over the whole float32 range and past both ends of it.
    exponents = rng.integers(-160, 140, size=10**6)
    values = rng.uniform(1, 2, size=10**6) * 2.0**exponents * rng.choice([-1, 1], 10**6)
    # Exact ties between random float32 neighbours, and the float64 numbers either side.
    narrow = (rng.standard_normal(10**5) * 2.0 ** rng.integers(-149, 127, 10**5)).astype(np.float32)
    narrow = narrow[np.isfinite(narrow)]
    upper = np.nextafter(narrow, np.float32(np.inf)).astype(np.float64)
    midpoints = (narrow.astype(np.float64) + upper) / 2
    largest = float(np.finfo(np.float32).max)
    threshold = (2 - 2.0**-24) * 2.0**127  # a tie that rounds to infinity (largest is odd)
    smallest = 2.0**-149
    edges = [largest, -largest, threshold, -threshold, np.nextafter(threshold, 0),
             np.nextafter(threshold, np.inf), smallest, smallest / 2, np.nextafter(smallest / 2, 1),
             1.5 * smallest, 2.5 * smallest, 2.0**-126, np.nextafter(2.0**-126, 0), 0.0, -0.0,
             np.inf, -np.inf, np.nan, 2.0**128, 1e-320]
    inputs = np.concatenate([values, midpoints, np.nextafter(midpoints, -np.inf),
                             np.nextafter(midpoints, np.inf), edges])
    with np.errstate(over="ignore"):
        expected = inputs.astype(np.float32).astype(np.float64)
    assert_bit_identical(round(inputs, "float32", use_numba=use_numba), expected, inputs)


@pytest.mark.parametrize("name", ["e2m1", "e3m2", "e4m3", "e5m2", "e6m5", "e8m7", "e11m10",
                                  "e11m30", "e11m51", "e7m52", "e10m20"])
@pytest.mark.parametrize("use_numba", KERNELS)
def test_rn_matches_exact_rational_reference_for_any_width(name, use_numba):
    fmt = NumberFormat.parse(name)
    rng = np.random.default_rng(len(name) * 1000 + fmt.significand_bits)
    exponents = rng.integers(fmt.emin - fmt.significand_bits - 3, min(fmt.emax + 3, 1023),
                             size=3000)
    values = rng.uniform(1, 2, 3000) * np.ldexp(1.0, exponents) * rng.choice([-1, 1], 3000)
    # Ties and near-ties: format numbers plus half a quantum, and one float64 ulp either side.
    grid = np.array([round_nearest(float(v), fmt.exponent_bits, fmt.significand_bits)
                     for v in values[:1000]])
    grid = grid[np.isfinite(grid) & (grid != 0)]
    quantum = np.ldexp(1.0, np.maximum(np.frexp(np.abs(grid))[1] - 1, fmt.emin) - fmt.significand_bits)
    ties = grid + np.sign(grid) * quantum / 2
    inputs = np.concatenate([values, ties, np.nextafter(ties, 0), np.nextafter(ties, np.inf * ties),
                             [fmt.largest_finite, fmt.smallest_subnormal / 2, 0.0, -0.0]])
    expected = np.array([round_nearest(float(v), fmt.exponent_bits, fmt.significand_bits)
                         for v in inputs])
    assert_bit_identical(round(inputs, fmt, use_numba=use_numba), expected, inputs)


@pytest.mark.parametrize("use_numba", KERNELS)
def test_special_values_and_signed_zero_pass_through(use_numba):
    inputs = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, -1e-300, 1e-300])
    result = round(inputs, "e5m10", use_numba=use_numba)
    assert np.isnan(result[:2]).all()
    assert result[2] == np.inf and result[3] == -np.inf
    assert [math.copysign(1, v) for v in result[4:]] == [1, -1, -1, 1]
    assert (result[4:] == 0).all()


@pytest.mark.parametrize("name", ["float64", "e11m52", "float64-sr"])
def test_float64_is_the_identity_on_every_kind_of_bit_pattern(name):
    rng = np.random.default_rng(7)
    bits = rng.integers(0, 2**64, size=10**5, dtype=np.uint64, endpoint=False)
    values = bits.view(np.float64)
    result = round(values, name, np.random.default_rng(1))
    assert np.array_equal(result.view(np.uint64), bits)


def test_rounding_keeps_shape_and_rounds_complex_parts_separately():
    value = np.array([[1 + 2.0**-11 + 1j * (1 + 3 * 2.0**-11)]])
    result = round(value, "float16")
    assert result.shape == (1, 1)
    assert result[0, 0] == 1.0 + 1j * (1 + 2 * 2.0**-10)
    assert round(1.0 + 2.0**-11, "float16").shape == ()


def test_stochastic_rounding_without_a_generator_is_refused_in_one_sentence():
    with pytest.raises(ValueError, match="needs rng, a numpy.random.Generator"):
        round(np.ones(3), "float16-sr")
