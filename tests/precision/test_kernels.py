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


def test_a_new_process_loads_the_kernels_from_the_cache_without_compiling():
    warm = ("import numpy as np; from pipeline.precision import NumberFormat;"
            "a = NumberFormat.parse('e5m10-sr').array(np.ones((4, 5)), seed=1); a + a; 2.0 * a")
    subprocess.run([sys.executable, "-c", warm], check=True)
    probe = subprocess.run(
        [sys.executable, "-c", warm], check=True, capture_output=True, text=True,
        env={**__import__("os").environ, "NUMBA_DEBUG_CACHE": "1"})
    assert "data saved" not in probe.stdout, "a kernel was compiled again in a new process"
    assert "data loaded" in probe.stdout
