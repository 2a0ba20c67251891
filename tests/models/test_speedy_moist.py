"""SPEEDY's physics in the spectral core (physics=speedy on the aquaplanet): the humidity
tracer is active, the physics sees the previous leapfrog level, radiation is kept between its
calls, outputs are window means, runs resume bit for bit, and the low-precision forms of the
temperature prognostic are the same equations."""

import numpy as np
import pytest

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.run import run_block
from pipeline.models.speedy import Speedy
from pipeline.models.speedy.boundaries import qobs_sea_surface_temperature
from pipeline.models.speedy.coupling import MEMORY_FIELDS
from pipeline.precision import NumberFormat

FLOAT64 = NumberFormat.parse("float64")
MOIST = dict(truncation=10, physics="speedy", steps_per_day=24, perturbation=0.1)
SECONDS_PER_DAY = 86400.0


def config(**overrides):
    return parse_overrides(Speedy.Config, {k: str(v) for k, v in overrides.items()}, "speedy")


def integrate(model, state, steps):
    for _ in range(steps):
        state = model.step(state)
    return state


def test_qobs_sst_of_neale_and_hoskins():
    latitude = np.radians([0.0, 30.0, 59.9, 60.0, -75.0])
    sst = qobs_sea_surface_temperature(latitude)
    assert sst[0] == pytest.approx(273.15 + 27.0)
    # 30 deg: sin^2(45 deg) = 1/2, so 27 (1 - (1/2 + 1/4) / 2) = 16.875 C.
    assert sst[1] == pytest.approx(273.15 + 16.875)
    assert sst[2] == pytest.approx(273.15, abs=0.01) and sst[3] == sst[4] == 273.15


def test_moist_aquaplanet_rains_evaporates_and_changes_the_humidity_tracer():
    cfg = config(**MOIST, days=3, output_interval_hours=24)
    result = run_block(Speedy, cfg, FLOAT64, 1, 0, 0, [0])
    assert np.isnan(result.blowup_time).all()
    rain = result.fields["global_mean_precipitation"][0] * SECONDS_PER_DAY  # mm/day
    evaporation = result.fields["global_mean_evaporation"][0] * SECONDS_PER_DAY
    assert rain[0] > 5.0  # the DCMIP start is far too moist for its temperatures: it rains out
    assert 1.0 < evaporation[-1] < 6.0 and 0.5 < rain[-1] < 10.0
    fields = result.fields
    total = fields["convective_precipitation"] + fields["large_scale_precipitation"]
    assert np.allclose(fields["precipitation"], total, rtol=1e-14)
    assert (fields["convective_precipitation"] >= 0).all()
    assert fields["latent_heat_flux"].max() == pytest.approx(2.501e6 * fields["evaporation"].max())
    # Rain in the tropics, over the warmest sea.
    zonal = fields["precipitation"][0, -1].mean(axis=-1)
    latitude = Speedy(cfg, FLOAT64).grid.latitude
    assert abs(latitude[zonal.argmax()]) < 25


def test_physics_outputs_pick_the_written_variables():
    cfg = config(**MOIST, days=0.25, output_interval_hours=6,
                 physics_outputs="precipitation, global_mean_precipitation")
    result = run_block(Speedy, cfg, FLOAT64, 1, 0, 0, [0])
    assert "precipitation" in result.fields and "global_mean_precipitation" in result.fields
    assert "evaporation" not in result.fields and "u" in result.fields


def test_physics_acts_on_the_previous_leapfrog_level():
    # A dry previous level under a moist current one: the physics sees dry air, so the step's
    # precipitation is zero and its evaporation large (SPEEDY: T_phy(X(t - dt))).
    cfg = config(**MOIST, days=1)
    model = Speedy(cfg, FLOAT64)
    state = list(integrate(model, model.initial_state([np.random.default_rng(0)]), 30))
    humidity = len(model.prognostics) - 1
    previous_dry = list(state)
    previous_dry[humidity] = 0.0 * state[humidity]
    after = model.step(tuple(previous_dry))
    sums = after[2 * len(model.prognostics) + MEMORY_FIELDS:-1]
    window = model.snapshot(after)
    if np.asarray(sums[-1])[0] == 1:  # the step began a window: the mean is this step's
        assert window["convective_precipitation"].max() == 0.0
        assert window["large_scale_precipitation"].max() == 0.0
    moist = model.snapshot(model.step(tuple(state)))
    assert window["evaporation"].mean() > moist["evaporation"].mean()


def test_shortwave_radiation_is_kept_between_its_calls():
    model = Speedy(config(**MOIST, radiation_steps=3), FLOAT64)
    count = len(model.prognostics)
    state = integrate(model, model.initial_state([np.random.default_rng(0)]), 3)  # 3 taken
    memories = []
    for _ in range(4):  # steps 4..7: radiation at steps taken = 3 and 6
        state = model.step(state)
        memories.append([np.asarray(a).copy() for a in state[2 * count:2 * count + MEMORY_FIELDS]])
    for kept in (1, 2):
        assert all(np.array_equal(a, b) for a, b in zip(memories[0], memories[kept]))
    assert not np.array_equal(memories[0][0], memories[3][0])


def test_outputs_are_means_over_their_window():
    # The same run sampled every step and every 6 steps: the 6-step means are the means of
    # the per-step values (the sampling does not change the trajectory).
    fine = run_block(Speedy, config(**MOIST, days=0.5, output_interval_hours=1), FLOAT64, 1, 0, 0, [0])
    coarse = run_block(Speedy, config(**MOIST, days=0.5, output_interval_hours=6), FLOAT64, 1, 0, 0, [0])
    for name in ("precipitation", "evaporation", "outgoing_longwave_radiation", "cloud_cover"):
        per_step = fine.fields[name].reshape((1, 2, 6) + fine.fields[name].shape[2:]).mean(axis=2)
        assert np.allclose(coarse.fields[name], per_step, rtol=1e-12, atol=0), name
    assert np.array_equal(coarse.fields["temperature"], fine.fields["temperature"][:, 5::6])


def test_e11m52_equals_float64_with_physics_and_e11m10_stays_close():
    cfg = config(**MOIST, days=1, output_interval_hours=6)
    runs = {name: run_block(Speedy, cfg, NumberFormat.parse(name), 1, 0, 0, [0])
            for name in ("float64", "e11m52", "e11m10")}
    for name, values in runs["float64"].fields.items():
        assert np.array_equal(values, runs["e11m52"].fields[name]), name
    low, wide = runs["e11m10"].fields, runs["float64"].fields
    # Global means: evaporation within 5 %, temperature within 0.1 K. (Precipitation is
    # bursty while the first rain-out recovers: a weather-like quantity after a day.)
    evaporation = low["global_mean_evaporation"] / wide["global_mean_evaporation"]
    assert np.abs(evaporation - 1).max() < 0.05
    assert np.abs(low["global_mean_temperature"] - wide["global_mean_temperature"]).max() < 0.1
    assert not np.array_equal(low["precipitation"], wide["precipitation"])


def test_stochastic_moist_run_resumes_bit_for_bit_from_a_checkpoint(tmp_path):
    cfg = config(**MOIST, days=0.5, output_interval_hours=4)  # windows of 4 steps, radiation every 3
    assert_resumes_bit_for_bit(cfg, NumberFormat.parse("e11m10-sr"), tmp_path / "c.npz")


def assert_resumes_bit_for_bit(cfg, fmt, checkpoint):
    """A block of ``cfg`` at ``fmt`` interrupted after two outputs and run again from its
    ``checkpoint`` gives the uninterrupted block's fields; returns that block."""
    whole = run_block(Speedy, cfg, fmt, 5, 0, 1, [2])

    def stop_after_two(done, total):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_block(Speedy, cfg, fmt, 5, 0, 1, [2], progress=stop_after_two,
                  checkpoint=checkpoint, checkpoint_every=1)
    resumed = run_block(Speedy, cfg, fmt, 5, 0, 1, [2], checkpoint=checkpoint,
                        checkpoint_every=1)
    for name in whole.fields:
        assert np.array_equal(whole.fields[name], resumed.fields[name]), name
    return whole


@pytest.mark.parametrize("physics", ["held-suarez", "speedy"])
def test_anomaly_and_absolute_temperature_are_the_same_equations_in_float64(physics):
    common = dict(MOIST, physics=physics, days=1, output_interval_hours=24)
    runs = {form: run_block(Speedy, config(**common, temperature_prognostic=form), FLOAT64,
                            1, 0, 0, [0]) for form in ("anomaly", "absolute")}
    for name in ("temperature", "u", "surface_pressure"):
        a, b = runs["anomaly"].fields[name], runs["absolute"].fields[name]
        assert np.allclose(a, b, rtol=1e-9, atol=1e-9 * np.abs(b).max()), name
    assert not np.array_equal(runs["anomaly"].fields["temperature"],
                              runs["absolute"].fields["temperature"])  # round-off differs


@pytest.mark.parametrize("key,value,words", [
    ("physics", "rain", "physics must be one of"),
    ("boundaries", "/data/speedy", "boundaries must be 'aquaplanet'"),
    ("temperature_prognostic", "celsius", "temperature_prognostic must be one of"),
    ("radiation_steps", "0", "radiation_steps must be at least 1"),
    ("sigma_half_levels", "0,0.3,0.7,1", "at least 6 sigma levels"),
    ("barotropic", "true", "physics=speedy needs the baroclinic model"),
    ("physics_outputs", "precipitation,rainbow", "physics_outputs must be 'all' or names"),
])
def test_bad_physics_parameters_get_one_sentence(key, value, words):
    overrides = {"physics": "speedy", key: value}
    with pytest.raises(ModelParameterError, match=words):
        parse_overrides(Speedy.Config, overrides, "speedy")


def test_physics_tendencies_enter_the_spectral_increments_as_dt_times_the_tendency():
    # Grid-point tendencies (times a, as the physics returns them) of band-limited patterns:
    # the spectral increments they add, transformed back, are dt times the tendencies (u, v
    # through the vorticity and divergence, T and q directly).
    from pipeline.models.speedy.core import EARTH_RADIUS
    from pipeline.models.speedy.physics.column import PhysicsTendencies

    model = Speedy(config(**MOIST), FLOAT64)
    state = model.initial_state([np.random.default_rng(0)])
    count = len(model.prognostics)
    current = state[count:2 * count]
    lon, mu = model._grid_coordinates()
    k = model.levels.count
    shape = (1, k) + (lon * mu).shape
    cos = np.sqrt(1 - mu**2)
    heating = 1e-4 * (cos * np.cos(lon) + mu**2) * np.ones(shape)  # K s-1, degrees 1 and 2
    drag = -2e-5 * cos * np.ones(shape)  # m s-2: solid-body deceleration (vorticity, l = 1)
    pull = 1e-5 * cos * np.ones(shape)  # a poleward flow from chi ~ mu (divergence, l = 1)
    physics = PhysicsTendencies(EARTH_RADIUS * heating, EARTH_RADIUS * 0.5 * heating,
                                EARTH_RADIUS * drag, EARTH_RADIUS * pull)
    with_physics = model.increments(*current, physics=physics)
    without = model.increments(*current)
    dt, f64 = model.config.dt, model.float64
    d_t = f64.to_grid(with_physics[2] - without[2])
    d_q = f64.to_grid(with_physics[4] - without[4])
    assert np.abs(d_t - dt * heating).max() < 1e-10 * dt * 1e-4
    assert np.abs(d_q - dt * 0.5 * heating).max() < 1e-10 * dt * 1e-4
    u, v = f64.winds(with_physics[0] - without[0], with_physics[1] - without[1])
    assert np.abs(u / cos - dt * drag).max() < 1e-10 * dt * 2e-5
    assert np.abs(v / cos - dt * pull).max() < 1e-10 * dt * 1e-5


@pytest.mark.slow
def test_float64_aquaplanet_climate(tmp_path, run_tool):
    # T21 from rest (one member): 100 days of spin-up, then the mean of 100 days. Aquaplanet
    # models give 2.5-4 mm/day with a single ITCZ on the equator under Qobs SST (Neale &
    # Hoskins 2000; Blackburn et al. 2013). Several minutes: run with -m slow.
    import xarray as xr

    from pipeline.models.speedy.climate import aquaplanet_climate, hadley_cells, jets

    out = tmp_path / "aquaplanet.nc"
    run_tool("lowprec", "simulate", "speedy", "--format", "float64", "--members", "1",
             "--seed", "1", "--out", out, "--set", "truncation=21", "--set", "physics=speedy",
             "--set", "spinup_days=100", "--set", "days=100", "--set", "output_interval_hours=240",
             "--set", "output_levels=all", timeout=3600)
    with xr.open_dataset(out, decode_times=False) as data:
        climate = aquaplanet_climate(data)
    assert abs(climate.global_precipitation / climate.global_evaporation - 1) < 0.02
    assert 2.5 < climate.global_precipitation < 4.0
    latitude, rain = climate.latitude, climate.precipitation
    tropics = np.abs(latitude) < 30
    assert abs(latitude[tropics][rain[tropics].argmax()]) < 6  # on the equator
    equator = rain[np.abs(latitude) < 6].mean()
    assert equator > 2 * rain[(np.abs(latitude) > 8) & (np.abs(latitude) < 20)].max()  # single
    assert np.allclose(rain, rain[::-1], rtol=0.25, atol=0.3)  # equinox: symmetric
    for hemisphere, (jet_latitude, speed) in zip((-1, 1), jets(climate)):
        assert 15 < hemisphere * jet_latitude < 45 and 25 < speed < 70
    south, north = hadley_cells(climate)
    assert south < -4e10 and north > 4e10  # kg s-1: two Hadley cells
    # The atmosphere's own energy budget closes (TOA and surface net fluxes agree); with the
    # SST prescribed the TOA need not balance (the sea takes up the difference).
    assert abs(climate.toa_net - climate.surface_net) < 5.0
    assert 200 < climate.outgoing_longwave < 260
