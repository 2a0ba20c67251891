"""Shallow water over a ridge: conservation, wave speed, balance, and low-precision behaviour."""

import math

import numpy as np
import pytest

from pipeline.models.base import parse_overrides
from pipeline.models.run import run_block
from pipeline.models.shallow_water import ShallowWater
from pipeline.precision import NumberFormat


def config(**overrides):
    return parse_overrides(ShallowWater.Config, {k: str(v) for k, v in overrides.items()},
                           "shallow_water")


def integrate(model, state, steps):
    for _ in range(steps):
        state = model.step(state)
    return state


def test_volume_is_conserved_to_round_off_at_float64():
    cfg = config(days=6, spinup_days=0, output_interval_hours=24, perturbation=0.05)
    result = run_block(ShallowWater, cfg, NumberFormat.parse("float64"), 3, 0, 0, [0, 1])
    volume = result.fields["eta"].sum(axis=(-2, -1))  # cells have equal area
    start = ShallowWater(cfg, NumberFormat.parse("float64")).initial_state(
        [np.random.default_rng(0)])[2].sum()
    assert np.abs(volume - volume[:, :1]).max() < 1e-9
    assert np.abs(start) < 100  # noise of sd 0.05 m summed over 1250 cells


def test_linear_gravity_wave_travels_at_sqrt_gh_at_20_km():
    cfg = config(resolution_km=20, rotation=False, forcing=False, ridge=False, cfl=0.5)
    model = ShallowWater(cfg, NumberFormat.parse("float64"))
    ny, nx = cfg.shape
    x = model.grid.x_centre
    centre, width = 1000e3, 200e3
    eta = np.repeat((1e-3 * np.exp(-((x - centre) / width) ** 2))[None, None, :], ny, axis=1)
    state = (np.zeros((1, ny, nx)), np.zeros((1, ny + 1, nx)), eta)
    steps = 50  # about 500 km of travel: the two pulses stay apart in the periodic channel
    state = integrate(model, state, steps)
    profile = np.asarray(state[2])[0, ny // 2]
    right = slice(nx // 2, nx)  # the right-moving pulse, centred near 1500 km
    position = np.sum(x[right] * profile[right]) / np.sum(profile[right])
    speed = (position - centre) / (steps * cfg.dt)
    assert speed == pytest.approx(math.sqrt(cfg.gravity * cfg.depth), rel=0.01)


def balanced_state(model, cfg, jet=0.3):
    """A zonal jet u(y) and the eta(y) that balances it on the C-grid, built here from the
    discrete v-equation: g (eta_j - eta_{j-1}) = -dx (f + zeta) avg(h u) / h - (|u|^2_j - |u|^2_{j-1}) / 2."""
    ny, nx = cfg.shape
    y = model.grid.y_centre
    width = ny * cfg.dx
    u_profile = jet * np.exp(-((y - width / 2) / (0.15 * width)) ** 2)
    f = model.grid.coriolis[:, 0]
    eta = np.zeros(ny)
    for _ in range(60):
        h = cfg.depth + eta
        mass = u_profile * h
        zeta = -(u_profile[1:] - u_profile[:-1]) / cfg.dx  # interior corners
        h_corner = 0.5 * (h[1:] + h[:-1])
        q = (f[1:-1] + zeta) / h_corner
        flux = 0.5 * (mass[1:] + mass[:-1])
        gradient = (-cfg.dx * q * flux - 0.5 * (u_profile[1:] ** 2 - u_profile[:-1] ** 2)) / cfg.gravity
        eta = np.concatenate([[0.0], np.cumsum(gradient)])
        eta -= eta.mean()
    u = np.repeat(u_profile[:, None], nx, axis=1)[None] * model.scale
    return (u, np.zeros((1, ny + 1, nx)), np.repeat(eta[:, None], nx, axis=1)[None])


def test_geostrophically_balanced_jet_stays_steady_on_an_f_plane():
    cfg = config(beta_plane=False, forcing=False, ridge=False)
    model = ShallowWater(cfg, NumberFormat.parse("float64"))
    start = balanced_state(model, cfg)
    end = integrate(model, start, 200)
    assert np.abs(np.asarray(end[2]) - start[2]).max() < 1e-9 * np.abs(start[2]).max()
    assert np.abs(np.asarray(end[0]) - start[0]).max() < 1e-9 * np.abs(start[0]).max()
    assert np.abs(np.asarray(end[1])).max() < 1e-9 * np.abs(start[0]).max()
    # Not a trivial state: the jet and its surface slope are real.
    assert np.abs(start[2]).max() > 0.05


def test_e11m52_is_bit_identical_to_float64():
    cfg = config(days=0.5, spinup_days=0, output_interval_hours=6)
    a = run_block(ShallowWater, cfg, NumberFormat.parse("e11m52"), 1, 0, 0, [0, 1])
    b = run_block(ShallowWater, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0, 1])
    for name in ("u", "v", "eta", "kinetic_energy"):
        assert np.array_equal(a.fields[name], b.fields[name])


def test_default_case_runs_at_float16_widths_without_overflow_and_tracks_float64():
    cfg = config(days=4, spinup_days=0, output_interval_hours=24)
    low = run_block(ShallowWater, cfg, NumberFormat.parse("e5m10"), 2, 0, 0, [0])
    high = run_block(ShallowWater, cfg, NumberFormat.parse("float64"), 2, 0, 0, [0])
    assert np.isnan(low.blowup_time).all()
    energy_low, energy_high = low.fields["kinetic_energy"][0], high.fields["kinetic_energy"][0]
    assert energy_high[-1] > 5 * energy_high[0]  # the wind spins the flow up (8.6x, days 1-4)
    assert np.allclose(energy_low, energy_high, rtol=0.02)


def test_a_blow_up_is_recorded_not_raised():
    # Scaling u by 2^16 overflows float16's range as soon as the wind has acted.
    cfg = config(days=1, spinup_days=0, output_interval_hours=6, scale_exponent=16)
    result = run_block(ShallowWater, cfg, NumberFormat.parse("e5m10"), 1, 0, 0, [0])
    assert np.isfinite(result.blowup_time).all()


def test_bad_parameters_name_the_key():
    from pipeline.models.base import ModelParameterError

    with pytest.raises(ModelParameterError, match="resolution_km must divide"):
        config(resolution_km=33)
    with pytest.raises(ModelParameterError, match="boundary must be 'no-slip' or 'free-slip'"):
        config(boundary="sticky")


def test_float16_widths_continue_a_spun_up_flow_without_overflow():
    # After 30 days of wind the flow is strong (|u| about 1 m/s, eta about 1 m): mass fluxes
    # s u h would overflow float16 if their four-point means summed before halving (at
    # s = 2^6, as here, four fluxes sum to about 1.4e5 > 65504).
    cfg = config(days=1, spinup_days=0, output_interval_hours=6, scale_exponent=6)
    spun = ShallowWater(cfg, NumberFormat.parse("float64"))
    state = spun.initial_state([np.random.default_rng(1)])
    state = integrate(spun, state, int(30 * 86400 / cfg.dt))
    assert np.abs(state[0]).max() / spun.scale > 0.5
    fmt = NumberFormat.parse("e5m10")
    model = ShallowWater(cfg, fmt)
    low = integrate(model, tuple(fmt.array(s) for s in state), 170)
    high = integrate(spun, state, 170)
    assert all(np.isfinite(np.asarray(s)).all() for s in low)
    energy = [float(np.mean(np.asarray(s[0]) ** 2)) for s in (low, high)]
    assert energy[0] == pytest.approx(energy[1], rel=0.05)
