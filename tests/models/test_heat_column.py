"""The soil heat column against the analytic solution, and its stagnation at low precision."""

import math

import numpy as np
import pytest

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.heat_column import DAYS_PER_YEAR, SECONDS_PER_DAY, HeatColumn
from pipeline.models.run import run_block
from pipeline.precision import NumberFormat


def config(**overrides):
    return parse_overrides(HeatColumn.Config, {k: str(v) for k, v in overrides.items()},
                           "heat_column")


def analytic(depth, seconds, initial=273.15, top=280.0, diffusivity=7e-7, length=60.0):
    """T(z, t) for a uniform start, fixed top and insulated bottom (Carslaw & Jaeger 1959,
    Conduction of Heat in Solids, section 3.3): a Fourier sine series in odd modes,

        T = top + (initial - top) sum_n 4 / ((2n+1) pi) sin(k_n z) exp(-D k_n^2 t),
        k_n = (2n+1) pi / (2 L).
    """
    total = np.zeros_like(depth)
    for n in range(4000):
        k = (2 * n + 1) * math.pi / (2 * length)
        total += 4 / ((2 * n + 1) * math.pi) * np.sin(k * depth) * math.exp(-diffusivity * k * k * seconds)
    return top + (initial - top) * total


def test_float64_column_matches_the_analytic_solution_after_two_years():
    cfg = config(years=2, perturbation=0, output_interval_days=365)
    result = run_block(HeatColumn, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0])
    depth = np.arange(cfg.levels) * cfg.dz
    seconds = result.times[-1] * SECONDS_PER_DAY
    expected = analytic(depth, seconds)
    got = result.fields["temperature"][0, -1]
    # Second-order centred differences at dz = 1 m: measured error 0.0021 K at most, against
    # a warming of several kelvin near the surface.
    assert np.abs(got - expected).max() < 0.005
    assert expected[3] - 273.15 > 3


def test_round_to_nearest_stagnates_and_stochastic_rounding_recovers():
    cfg = config(years=1, perturbation=0, output_interval_days=365)
    warming = {}
    for name in ("float64", "e11m10", "e11m10-sr"):
        result = run_block(HeatColumn, cfg, NumberFormat.parse(name), 1, 0, 0, [0])
        warming[name] = result.fields["temperature"][0, -1, 1:20].mean() - 273.15
    # Increments below 2**-3 K (half the spacing at 273 K with 10 bits) are lost under
    # round to nearest: the column stays far colder than the double-precision one.
    assert warming["e11m10"] < 0.5 * warming["float64"]
    assert abs(warming["e11m10-sr"] - warming["float64"]) < 0.15 * warming["float64"]


def test_e11m52_is_bit_identical_to_float64():
    cfg = config(years=0.2, output_interval_days=30)
    a = run_block(HeatColumn, cfg, NumberFormat.parse("e11m52"), 1, 0, 0, [0, 1])
    b = run_block(HeatColumn, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0, 1])
    assert np.array_equal(a.fields["temperature"], b.fields["temperature"])


@pytest.mark.parametrize("key,value,message", [
    ("colour", "red", "Unknown parameter 'colour' for model heat_column"),
    ("years", "ten", "Parameter 'years' of model heat_column must be a float"),
    ("dt", "1e6", "exceeds 0.5, where forward Euler is unstable"),
])
def test_bad_parameters_get_one_sentence(key, value, message):
    with pytest.raises(ModelParameterError, match=message):
        config(**{key: value})


def test_years_and_output_interval_set_the_time_axis():
    cfg = config(years=1, output_interval_days=73)
    result = run_block(HeatColumn, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0])
    assert np.allclose(result.times, [73, 146, 219, 292, 365])
    assert DAYS_PER_YEAR == 365
