"""The scalar rounding kernel other compiled loops (solver sweeps) build on rounds exactly as
the NumPy reference path does, and the compiled kernels are found in numba's disk cache."""

import subprocess
import sys

import numba
import numpy as np
import pytest

from pipeline.precision import NumberFormat, kernels
from pipeline.precision.rounding import round_into


@numba.njit
def _round_each(values, out, significand_bits, emin_field, stochastic, key):
    for i in range(values.size):
        out[i] = kernels.round_scalar(values[i], significand_bits, emin_field, stochastic,
                                      kernels.splitmix64(key, i))


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e3m2-sr", "e11m4", "bfloat16-sr", "e8m23"])
def test_round_scalar_matches_the_numpy_reference_bit_for_bit(name):
    rng = np.random.default_rng(4)
    values = rng.standard_normal(20000) * 2.0 ** rng.integers(-40, 20, 20000)
    values[:8] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, 7e4, -6.5e4]
    fmt = NumberFormat.parse(name)
    ours = np.empty_like(values)
    _round_each(values, ours, fmt.significand_bits, fmt.emin + 1023, fmt.stochastic,
                np.uint64(99))
    reference = np.empty_like(values)
    round_into(values, reference, fmt, 99 if fmt.stochastic else None, use_numba=False)
    assert np.array_equal(ours.view(np.uint64), reference.view(np.uint64))


@numba.njit
def _round_each_wide(values, out, significand_bits, stochastic, key):
    for i in range(values.size):
        out[i] = kernels.round_scalar_wide(values[i], significand_bits, stochastic,
                                           kernels.splitmix64(key, i))


def _wide_exponent_cases(significand_bits: int, rng) -> np.ndarray:
    """Random values over float64's whole range, its subnormals, NaN with payloads, the
    overflow edge and exact ties (odd and even kept bit) at this width."""
    bits = rng.integers(0, 2**63, 20000, dtype=np.uint64)
    bits[::2] |= np.uint64(1 << 63)
    values = bits.view(np.float64).copy()
    values[:4000] = rng.standard_normal(4000) * 2.0 ** rng.integers(-60, 60, 4000)
    values[4000:5000] = rng.standard_normal(1000) * 5e-324 * 2.0 ** rng.integers(0, 52, 1000)
    special = np.array([0x7FFFFFFFFFFFFFFF, 0xFFF8000000000001, 0x7FF0000000000001,
                        0x7FEFFFFFFFFFFFFF, 0xFFEFFFFFFFFFFFFF, 0x000FFFFFFFFFFFFF,
                        0x0000000000000001, 0x8000000000000001], dtype=np.uint64)
    values[5000:5008] = special.view(np.float64)
    values[5008:5012] = [0.0, -0.0, np.inf, -np.inf]
    k = 52 - significand_bits
    kept = rng.integers(0, 2**40, 500, dtype=np.uint64) << np.uint64(k)
    exponents = rng.integers(1, 2047, 500, dtype=np.uint64) << np.uint64(52)
    ties = ((exponents | (kept & np.uint64(0x000FFFFFFFFFFFFF))) | np.uint64(1 << (k - 1)))
    values[6000:6500] = ties.view(np.float64)
    return values


@pytest.mark.parametrize("name", ["e11m10", "e11m10-sr", "e11m23", "e11m23-sr", "e11m1",
                                  "e11m51", "e11m51-sr"])
def test_wide_exponent_rounding_matches_the_numpy_reference_bit_for_bit(name):
    fmt = NumberFormat.parse(name)
    assert fmt.emin + 1023 == 1
    values = _wide_exponent_cases(fmt.significand_bits, np.random.default_rng(11))
    ours = np.empty_like(values)
    _round_each_wide(values, ours, fmt.significand_bits, fmt.stochastic, np.uint64(7))
    reference = np.empty_like(values)
    round_into(values, reference, fmt, 7 if fmt.stochastic else None, use_numba=False)
    assert np.array_equal(ours.view(np.uint64), reference.view(np.uint64))


def test_a_new_process_loads_the_kernels_from_the_cache_without_compiling():
    warm = ("import numpy as np; from pipeline.precision import NumberFormat;"
            "a = NumberFormat.parse('e5m10-sr').array(np.ones((4, 5)), seed=1); a + a; 2.0 * a")
    subprocess.run([sys.executable, "-c", warm], check=True)
    probe = subprocess.run(
        [sys.executable, "-c", warm], check=True, capture_output=True, text=True,
        env={**__import__("os").environ, "NUMBA_DEBUG_CACHE": "1"})
    assert "data saved" not in probe.stdout, "a kernel was compiled again in a new process"
    assert "data loaded" in probe.stdout
