"""SPEEDY's orographic correction of the horizontal diffusion (pipeline/models/speedy/
orographic.py): its reference atmosphere against the hydrostatic equation integrated
numerically and Tetens' tabulated vapour pressures, and its place in the time step.

The model tests read SPEEDY's T30 files from $LOWPREC_SPEEDY_BC or ../shared/data/speedy-t30
beside the repository, and skip without them."""

import os

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from pipeline.models.base import parse_overrides, to_format
from pipeline.models.run import component_streams
from pipeline.models.speedy import Speedy, orographic
from pipeline.models.speedy import boundary_files
from pipeline.models.speedy.core import GAS_CONSTANT, GRAVITY
from pipeline.precision import NumberFormat, stream_generator

BC = boundary_files.default_directory()
needs_files = pytest.mark.skipif(
    not os.path.isfile(os.path.join(BC, "surface.nc")),
    reason=f"SPEEDY's T30 boundary files are not at {BC} (set LOWPREC_SPEEDY_BC)")


def test_the_reference_atmosphere_is_hydrostatic_with_a_6_k_per_km_lapse_rate():
    """p_s / p_0 = (T_s / T_ref)^(g / (R gamma)) is the surface pressure of an atmosphere
    cooling at 6 K/km from T_ref at sea level (p_0) up to the height z_s = Phi_s / g."""
    for height, surface in ((1500.0, 280.0), (4000.0, 255.0)):
        reference = surface + orographic.temperature_term(GRAVITY * height, GRAVITY)
        assert reference == pytest.approx(surface + 6.0e-3 * height, rel=1e-14)
        ascent = solve_ivp(lambda z, p: -p * GRAVITY / (GAS_CONSTANT * (reference - 6e-3 * z)),
                           (0.0, height), [1.0], rtol=1e-11, atol=1e-14)
        pressure = (surface / reference) ** (GRAVITY / (GAS_CONSTANT * orographic.LAPSE_RATE))
        assert pressure == pytest.approx(ascent.y[0, -1], rel=1e-8)


def test_the_humidity_term_from_tabulated_saturation_vapour_pressures():
    """A 1500 m surface at 5 C: T_ref = 14 C at 1000 hPa, where Tetens gives e_s = 15.98 hPa
    over water, and 5 C at p_s, where it gives 8.72 hPa (Murray 1967's table, as in the
    WMO's); q_h = 0.7 (q_s(T_ref, p_0) - q_s(T_s, p_s)) with q_s = 622 e / (p - 0.378 e)."""
    surface, height = 278.15, 1500.0
    reference = surface + 9.0
    pressure = 1000.0 * (surface / reference) ** (GRAVITY / (GAS_CONSTANT * 6e-3))  # hPa
    e_reference, e_surface = 15.98, 8.72  # hPa at 14.0 C and 5.0 C, over water
    expected = 0.7 * (622.0 * e_reference / (1000.0 - 0.378 * e_reference)
                      - 622.0 * e_surface / (pressure - 0.378 * e_surface))
    got = orographic.humidity_term(surface, GRAVITY * height, GAS_CONSTANT, GRAVITY)
    assert got == pytest.approx(expected, rel=2e-3)  # the table's four digits
    assert orographic.humidity_term(surface, 0.0, GAS_CONSTANT, GRAVITY) == 0.0


def test_the_vertical_profiles_leave_the_top_levels_alone():
    sigma = np.array([0.025, 0.095, 0.2, 0.34, 0.51, 0.685, 0.835, 0.95])
    t_profile = orographic.temperature_profile(sigma, GAS_CONSTANT, GRAVITY)
    q_profile = orographic.humidity_profile(sigma)
    assert t_profile[0] == 0.0 and np.all(q_profile[:2] == 0.0)
    np.testing.assert_allclose(t_profile[1:], sigma[1:] ** (287.0 * 0.006 / 9.81), rtol=1e-12)
    np.testing.assert_allclose(q_profile[2:], sigma[2:] ** 3.0, rtol=1e-12)


def one_step(parameters, fmt="float64"):
    """(model, state, the state after one step), with each component's stream as a run
    hands them out."""
    fmt = NumberFormat.parse(fmt)
    model = Speedy(parse_overrides(Speedy.Config, parameters, "speedy"), fmt)
    rng = stream_generator(1, "orographic") if fmt.stochastic else None
    initial = model.initial_state([stream_generator(1, "orographic", 0)])
    component_streams(model, fmt, rng, 1, 0, 0, len(initial))
    state = tuple(to_format(s, fmt, rng) for s in initial)
    return model, state, model.step(state)


@needs_files
def test_the_first_step_diffuses_the_departure_from_the_reference_atmosphere():
    """From one state, the first (forward) step with the correction differs from the one
    without by exactly (d - 1) C in temperature and humidity, d the implicit damping and C
    the correction (SPEEDY: (F - k (X + C)) / (1 + dt k)); nothing else changes."""
    parameters = {"truncation": "10", "physics": "speedy", "boundaries": BC, "days": "1",
                  "spinup_days": "0"}
    model, _, on = one_step(parameters)
    _, _, off = one_step({**parameters, "orographic_correction": "false"})
    count = len(model.prognostics)
    damping = model.diffusion[1]
    expected = {2: (damping["temperature"] - 1) * model.orographic_temperature,
                4: (damping["humidity"] - 1) * model._orographic_humidity}
    for index in range(count):
        difference = np.asarray(on[count + index]) - np.asarray(off[count + index])
        if index in expected:
            scale = np.abs(expected[index]).max()
            assert scale > 0
            np.testing.assert_allclose(difference, expected[index], rtol=0, atol=1e-12 * scale)
        else:
            assert np.array_equal(difference, np.zeros_like(difference))
    # Over the T30 orography the departures reach ~24 K and ~6 g/kg near the surface.
    grid_t = model.float64.to_grid(model.orographic_temperature[0])
    grid_q = model.float64.to_grid(model._orographic_humidity[0])
    assert 15.0 < grid_t[-1].max() < 30.0 and grid_t[0].max() == 0.0
    assert 2.0 < grid_q[-1].max() < 10.0 and np.abs(grid_q[:2]).max() == 0.0


def test_on_flat_orography_the_correction_adds_no_operation():
    """The aquaplanet has nothing to correct: the same bits as without it, stochastic
    rounding's stream included (no extra rounded operation draws from it)."""
    parameters = {"truncation": "10", "physics": "speedy", "days": "1", "spinup_days": "0"}
    runs = [one_step({**parameters, "orographic_correction": value}, "e11m10-sr")
            for value in ("true", "false")]
    assert runs[0][0].orographic_temperature is None
    for a, b in zip(runs[0][2], runs[1][2]):
        assert np.array_equal(np.asarray(a), np.asarray(b))
