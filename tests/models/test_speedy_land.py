"""SPEEDY's slab land model (pipeline/models/speedy/land_model.py): the daily step against the
analytic solution of C dT'/dt = F - C T' / tau, little land held at the climatology, and, in
the model over SPEEDY's boundary files, the land stepping once a model day, only over land,
at its own format, resuming bit for bit, with its settings checked in one sentence.

The model tests read SPEEDY's T30 files from $LOWPREC_SPEEDY_BC or ../shared/data/speedy-t30
and skip without them (research-only data, never in the repository).
"""

import math
import os

import numpy as np
import pytest

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.run import run_block
from pipeline.models.speedy import Speedy, boundary_files
from pipeline.models.speedy import land_model
from pipeline.models.speedy.coupling import SUMS_END
from pipeline.precision import LowPrecisionArray, NumberFormat
from pipeline.precision import round as round_to_format

BC = boundary_files.default_directory()
needs_files = pytest.mark.skipif(
    not os.path.isfile(os.path.join(BC, "surface.nc")),
    reason=f"SPEEDY's T30 boundary files are not at {BC} (set LOWPREC_SPEEDY_BC)")
FLOAT64 = NumberFormat.parse("float64")
DAY = 86400.0
SOIL = 1.0 * 2.50e6  # J m-2 K-1: 1 m of soil (Molteni 2003; speedy.f90 land_model_init)
ICE = 5.0 * 1.93e6  # 5 m of land ice
TAU = 40.0  # days


def constants(land_fraction=1.0, bare_albedo=0.2, steps_per_day=24):
    shape = (3, 2)
    return land_model.land_model_constants(np.full(shape, land_fraction),
                                           np.full(shape, bare_albedo), steps_per_day)


def test_without_a_flux_an_anomaly_decays_as_the_relaxation_equation_says():
    """dT'/dt = -T' / tau: T'(t) = T'(0) exp(-t / tau); the implicit daily step gives
    (tau / (1 + tau))^n, within 1.3 % of it after 40 days (first-order in 1 / tau)."""
    c = constants()
    climatology = np.full((3, 2), 280.0)
    temperature = climatology + 5.0
    for day in range(1, 41):
        temperature = land_model.advance(c, temperature, np.zeros((3, 2)), climatology)
        exact = 5.0 * math.exp(-day / TAU)
        assert abs((temperature[0, 0] - 280.0) - exact) <= 0.013 * 5.0
    assert temperature[0, 0] - 280.0 == pytest.approx(5.0 * (TAU / (TAU + 1.0)) ** 40, rel=1e-12)


@pytest.mark.parametrize("albedo,capacity", [(0.2, SOIL), (0.5, ICE)])
def test_a_constant_flux_settles_at_flux_times_tau_over_heat_capacity(albedo, capacity):
    """The steady state of C dT'/dt = F - C T' / tau is T' = F tau / C: 27.6 K for 20 W m-2
    into 1 m of soil, 7.2 K into 5 m of ice (alb0 >= 0.4)."""
    c = constants(bare_albedo=albedo)
    climatology = np.full((3, 2), 250.0)
    temperature = climatology.copy()
    flux = np.full((3, 2), 20.0)
    for _ in range(2000):
        temperature = land_model.advance(c, temperature, flux, climatology)
    assert temperature[0, 0] - 250.0 == pytest.approx(20.0 * TAU * DAY / capacity, rel=1e-9)


def test_little_land_stays_at_the_climatology_whatever_the_flux():
    c = constants(land_fraction=0.3)  # below SPEEDY's flandmin = 1/3
    climatology = np.linspace(260.0, 290.0, 6).reshape(3, 2)
    after = land_model.advance(c, climatology + 3.0, np.full((3, 2), 500.0), climatology)
    assert np.array_equal(after, climatology)


def test_the_daily_mean_of_a_constant_flux_is_that_flux_and_the_heat_flux_signs():
    c = constants(steps_per_day=36)
    total = np.zeros((3, 2))
    for _ in range(36):
        total = land_model.accumulate(c, total, np.full((3, 2), 12.5))
    assert total[0, 0] == pytest.approx(12.5, rel=1e-14)
    # Sunlight and back radiation heat the land; emission, sensible and latent heat cool it.
    assert land_model.land_heat_flux(300.0, 0.2, 350.0, 390.0, 20.0, 60.0) == \
        pytest.approx(300.0 * 0.8 + 350.0 - 470.0)


# --- in the model, over SPEEDY's boundary files ------------------------------------------------

LAND = dict(truncation=10, physics="speedy", steps_per_day=24, perturbation=0.1,
            boundaries=BC, season="perpetual-january")


def config(**overrides):
    return parse_overrides(Speedy.Config, {k: str(v) for k, v in overrides.items()}, "speedy")


def land_state(model, state):
    start = 2 * len(model.prognostics) + SUMS_END
    return state[start], state[start + 1]


def plain(values):
    return np.asarray(values.values if isinstance(values, LowPrecisionArray) else values,
                      dtype=np.float64)


@needs_files
def test_the_land_steps_once_a_day_over_land_only_and_the_physics_sees_it():
    cfg = config(**LAND, days=2)
    assert cfg.effective_land_model == "slab"
    model = Speedy(cfg, FLOAT64)
    climatology = model.moist.boundaries.land_temperature
    modelled = model.moist.land.damping > 0
    assert modelled.any() and not modelled.all()
    state = model.initial_state([np.random.default_rng(0)])
    for _ in range(cfg.step_count_per_day):
        state = model.step(state)
    temperature, daily = land_state(model, state)
    assert np.array_equal(plain(temperature)[0], climatology)  # no step within the first day
    # The next step starts day 2: the land moves by the day's mean flux, over land only.
    expected = land_model.advance(model.moist.land, plain(temperature), plain(daily), climatology)
    state = model.step(state)
    temperature, daily = land_state(model, state)
    assert np.array_equal(plain(temperature), expected)
    moved = plain(temperature)[0] - climatology
    assert np.array_equal(moved[~modelled], np.zeros((~modelled).sum()))
    # From rest the first day is a shock (up to about 15 K at T10 over South America), but no
    # daily mean flux exceeds 600 W m-2 (about the summer pole's daily-mean sunshine), which
    # moves 1 m of soil by at most c_d 86400 s 600 W m-2 / C = 20.2 K.
    bound = TAU / (1.0 + TAU) * DAY * 600.0 / SOIL
    assert np.abs(moved[modelled]).max() > 0.01 and np.abs(moved).max() < bound
    assert np.array_equal(model.moist.surface.land_temperature, temperature)
    # The written land temperature is the state's where the land is modelled, the
    # climatology elsewhere.
    written = model.snapshot(state)["land_surface_temperature"][0].T
    assert np.array_equal(written[modelled], plain(temperature)[0][modelled])
    assert np.array_equal(written[~modelled], climatology[~modelled])


@needs_files
def test_prescribed_land_is_the_climatology_and_slab_land_changes_the_run():
    common = dict(LAND, days=2, output_interval_hours=24)
    slab = run_block(Speedy, config(**common), FLOAT64, 1, 0, 0, [0])
    prescribed = run_block(Speedy, config(**common, land_model="prescribed"), FLOAT64, 1, 0, 0, [0])
    assert "land_surface_temperature" in slab.fields
    assert "land_surface_temperature" not in prescribed.fields
    assert np.array_equal(slab.fields["temperature"][:, 0], prescribed.fields["temperature"][:, 0])
    assert not np.array_equal(slab.fields["temperature"][:, 1],
                              prescribed.fields["temperature"][:, 1])


@needs_files
def test_the_land_alone_reduced_holds_its_temperature_in_its_format():
    """With only the land at e11m10 the land temperature is an e11m10 number from the start
    (the climatology rounded once) and after each daily step; the float64 run's is the
    climatology itself until its first step."""
    common = dict(LAND, days=2, output_interval_hours=12)
    e11m10 = NumberFormat.parse("e11m10")
    reference = run_block(Speedy, config(**common), FLOAT64, 1, 0, 0, [0])
    land_only = run_block(Speedy, config(**common, reduced_components="land"), e11m10,
                          1, 0, 0, [0])
    moist = Speedy(config(**common), FLOAT64).moist
    climatology = moist.boundaries.land_temperature.T
    land = moist.land_modelled.T
    first = land_only.fields["land_surface_temperature"][0, 0]
    assert np.array_equal(reference.fields["land_surface_temperature"][0, 0], climatology)
    assert np.array_equal(first[land], round_to_format(climatology[land], e11m10))
    assert not np.array_equal(first[land], climatology[land])
    assert np.array_equal(first[~land], climatology[~land])  # not modelled: written as given
    last = land_only.fields["land_surface_temperature"][0, -1]
    assert np.array_equal(last[land], round_to_format(last[land], e11m10))
    assert not np.array_equal(reference.fields["land_surface_temperature"][0, -1], last)


@needs_files
def test_a_run_with_its_land_on_its_own_stream_resumes_bit_for_bit(tmp_path):
    from tests.models.test_speedy_moist import assert_resumes_bit_for_bit

    cfg = config(**LAND, days=3, output_interval_hours=24, land_format="e11m8-sr")
    assert_resumes_bit_for_bit(cfg, NumberFormat.parse("e11m10-sr"), tmp_path / "c.npz")


@needs_files
def test_a_run_from_a_file_starts_its_land_where_the_file_left_it(tmp_path):
    from pipeline.models.speedy.core import _initial_land_temperature

    cfg = config(**LAND, days=2, output_interval_hours=24, output_levels="all")
    model = Speedy(cfg, FLOAT64)
    result = run_block(Speedy, cfg, FLOAT64, 1, 0, 0, [0])
    import xarray as xr

    path = tmp_path / "spinup.nc"
    xr.Dataset({"land_surface_temperature": (("member", "time", "lat", "lon"),
                                             result.fields["land_surface_temperature"])}
               ).to_netcdf(path)
    loaded = _initial_land_temperature(str(path), model.grid)
    assert np.array_equal(loaded, result.fields["land_surface_temperature"][0, -1].T)
    assert not np.array_equal(loaded, model.moist.boundaries.land_temperature)


@pytest.mark.parametrize("overrides,words", [
    (dict(physics="speedy", land_model="bucket"), "land_model must be one of slab, prescribed"),
    (dict(physics="speedy", land_model="slab"), "land_model=slab needs boundaries=DIR"),
    (dict(physics="speedy", physics_outputs="land_surface_temperature"),
     "needs the slab land model"),
    (dict(land_model="slab"), "season and land_model apply to physics=speedy only"),
])
def test_bad_land_settings_get_one_sentence(overrides, words):
    with pytest.raises(ModelParameterError, match=words) as error:
        config(**overrides)
    assert "\n" not in str(error.value)
