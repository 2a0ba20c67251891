"""SPEEDY's realistic boundaries (boundaries=DIR): the T30 files read and checked against their
own metadata, a broken copy refused in one sentence, the conservative remapping to T21, the
seasons, the land surface fluxes, and a short T21 run over land and sea.

The files are research-only data, never part of the repository: the tests read them from
$LOWPREC_SPEEDY_BC or ../shared/data/speedy-t30 beside the repository, and skip without them.
"""

import os
import shutil

import numpy as np
import pytest

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.run import run_block
from pipeline.models.speedy import Speedy
from pipeline.models.speedy import boundary_files
from pipeline.models.speedy.boundaries import (climatology_on, linear_in_time, load_boundaries,
                                               mean_conserving_in_time)
from pipeline.models.speedy.boundary_files import FIELDS, Remap, read_raw
from pipeline.models.speedy.physics.humidity import saturation_constants
from pipeline.models.speedy.physics.surface_fluxes import (blend, land_surface_fluxes,
                                                           sea_surface_fluxes,
                                                           surface_flux_constants)
from pipeline.models.speedy.spectral import standard_grid
from pipeline.models.speedy.vertical import SigmaLevels, parse_half_levels
from pipeline.precision import NumberFormat

BC = boundary_files.default_directory()
pytestmark = pytest.mark.skipif(
    not os.path.isdir(BC) or not os.path.isfile(os.path.join(BC, "surface.nc")),
    reason=f"SPEEDY's T30 boundary files are not at {BC} (research-only data; set "
           "LOWPREC_SPEEDY_BC to speedy.f90's data/bc/t30/clim)")
T30, T21 = standard_grid(30), standard_grid(21)
EARTH_LAND_FRACTION = 0.292  # 148.9e6 km2 of land over 510.1e6 km2 (CIA World Factbook)
SECONDS_PER_DAY = 86400.0


def global_mean(field, grid):
    """Gaussian-quadrature mean of a (lon, lat) field."""
    return float((np.asarray(field) * grid.weights[None, :]).sum() / (2.0 * grid.nlon))


def broken_copy(tmp_path, edit):
    """The boundary files copied to tmp_path, with ``edit(directory)`` applied."""
    directory = tmp_path / "bc"
    shutil.copytree(BC, directory)
    for name in os.listdir(directory):
        os.chmod(directory / name, 0o644)
    edit(directory)
    return str(directory)


def rewrite(directory, name, change):
    import xarray as xr

    path = directory / name
    with xr.open_dataset(path, decode_times=False, mask_and_scale=False) as data:
        changed = change(data.load())
    os.remove(path)
    changed.to_netcdf(path)


def test_every_file_is_read_and_checked_against_its_metadata():
    raw = read_raw(BC)
    assert set(raw) == {spec.name for spec in FIELDS}
    for spec in FIELDS:
        assert raw[spec.name].shape == ((12,) if spec.monthly else ()) + (48, 96), spec.name
    # Missing values (netCDF's default fill) lie outside each field's surface only.
    land = raw["lsm"] >= 0.1
    sea = 1.0 - raw["lsm"] >= 0.1
    assert np.isnan(raw["sst"]).any() and not np.isnan(raw["sst"][:, sea]).any()
    assert np.isnan(raw["stl"]).any() and not np.isnan(raw["stl"][:, land]).any()
    assert 200.0 < np.nanmin(raw["sst"]) and np.nanmax(raw["sst"]) < 310.0


@pytest.mark.parametrize("spec", [FIELDS[1], FIELDS[5], FIELDS[7], FIELDS[10]],
                         ids=lambda spec: spec.name)
def test_a_missing_variable_is_one_sentence_naming_file_and_variable(tmp_path, spec):
    directory = broken_copy(tmp_path, lambda d: rewrite(d, spec.file,
                                                        lambda data: data.drop_vars(spec.name)))
    with pytest.raises(ModelParameterError) as error:
        read_raw(directory)
    message = str(error.value)
    assert spec.file in message and spec.name in message
    assert message.count(". ") == 0 and message.endswith(".") and "\n" not in message


def test_a_file_on_another_grid_or_with_eleven_months_or_absent_is_refused(tmp_path):
    coarse = broken_copy(tmp_path / "a", lambda d: rewrite(
        d, "land.nc", lambda data: data.isel(lat=slice(0, 32), lon=slice(0, 64))))
    with pytest.raises(ModelParameterError, match=r"land\.nc: variable stl is on a 32 x 64"):
        read_raw(coarse)
    months = broken_copy(tmp_path / "b", lambda d: rewrite(
        d, "sea_ice.nc", lambda data: data.isel(time=slice(0, 11))))
    with pytest.raises(ModelParameterError, match=r"sea_ice\.nc: variable icec holds 11 months"):
        read_raw(months)
    shifted = broken_copy(tmp_path / "c", lambda d: rewrite(
        d, "snow.nc", lambda data: data.assign_coords(lat=np.linspace(87.0, -87.0, 48))))
    with pytest.raises(ModelParameterError, match=r"snow\.nc: variable snowd does not lie on T30"):
        read_raw(shifted)
    absent = broken_copy(tmp_path / "d", lambda d: os.remove(d / "soil.nc"))
    with pytest.raises(ModelParameterError, match=r"soil\.nc is missing"):
        read_raw(absent)


def test_land_fraction_is_a_fraction_with_earths_share_of_land():
    for grid in (T30, T21):
        land = climatology_on(BC, grid).land_fraction
        assert land.min() >= 0.0 and land.max() <= 1.0
        assert global_mean(land, grid) == pytest.approx(EARTH_LAND_FRACTION, abs=0.015)


def test_remapping_to_t21_keeps_constants_and_the_global_mean_of_sea_surface_temperature():
    remap = Remap.to(T21)
    constant = remap(np.full((48, 96), 287.5))
    assert constant.shape == (64, 32) and np.allclose(constant, 287.5, rtol=0, atol=1e-11)
    # T30 -> T30 is the identity (the files' north-to-south order turned south to north).
    field = np.random.default_rng(1).standard_normal((48, 96))
    assert np.allclose(Remap.to(T30)(field), field[::-1].T, atol=1e-12)
    # SST over sea: the sea-area-weighted global mean is kept.
    fine, coarse = climatology_on(BC, T30), climatology_on(BC, T21)
    sea_fine, sea_coarse = 1.0 - fine.land_fraction, 1.0 - coarse.land_fraction
    mean_fine = global_mean(fine.sea_surface_temperature[0] * sea_fine, T30) / global_mean(sea_fine, T30)
    mean_coarse = (global_mean(coarse.sea_surface_temperature[0] * sea_coarse, T21)
                   / global_mean(sea_coarse, T21))
    assert mean_coarse == pytest.approx(mean_fine, abs=0.1)


def test_the_five_month_interpolation_keeps_monthly_means_and_linear_is_continuous():
    monthly = np.random.default_rng(2).standard_normal(12)
    fractions = (np.arange(1000) + 0.5) / 1000
    for month in (0, 5, 11):
        mean = np.mean([mean_conserving_in_time(monthly, month, t) for t in fractions])
        assert mean == pytest.approx(monthly[month], abs=1e-6)
    # Linear: the mid-month value is the month's; the month's end meets the next month's start.
    assert linear_in_time(monthly, 3, 0.5) == monthly[3]
    assert linear_in_time(monthly, 3, 1.0) == pytest.approx(linear_in_time(monthly, 4, 0.0))


def test_perpetual_january_is_southern_summer():
    january = load_boundaries(BC, T30, season="perpetual-january")
    july = load_boundaries(BC, T30, season="annual", day=195.0)  # 15 July
    lat, lon = T30.latitude, T30.longitude
    # 40 S, 30 W: the South Atlantic.
    j = int(np.argmin(np.abs(lat + 40.0)))
    i = int(np.argmin(np.abs(lon - 330.0)))
    assert january.land_fraction[i, j] == 0.0
    assert january.sea_surface_temperature[i, j] > july.sea_surface_temperature[i, j] + 2.0
    # The sun: more insolation at 40 S in January than in July, the other way at 40 N.
    north = int(np.argmin(np.abs(lat - 40.0)))
    assert january.solar.insolation[j] > 2 * july.solar.insolation[j]
    assert july.solar.insolation[north] > 2 * january.solar.insolation[north]
    # Snow and sea ice brighten the surface: the albedo is highest in the northern winter.
    assert january.albedo.max() <= 0.7 and january.albedo.min() >= 0.06


def test_land_fluxes_dry_soil_and_the_blend():
    levels = SigmaLevels(parse_half_levels(""))  # SPEEDY's 8 layers
    c, saturation = surface_flux_constants(levels), saturation_constants()
    shape = (1, levels.count, 1, 1)
    t = np.broadcast_to(np.linspace(220.0, 290.0, levels.count).reshape(shape), shape)
    q = np.full(shape, 5.0)
    wind = np.full(shape, 5.0)
    phi = np.broadcast_to(np.linspace(10.0, 0.1, levels.count).reshape(shape), shape) * 100
    ps = np.ones((1, 1, 1))
    hot = np.full((1, 1, 1), 300.0)
    args = (c, saturation, ps, wind, wind, t, q, phi, hot)
    dry = land_surface_fluxes(*args, np.zeros((1, 1, 1)), np.ones((1, 1, 1)))
    wet = land_surface_fluxes(*args, np.ones((1, 1, 1)), np.ones((1, 1, 1)))
    assert dry.evaporation[0, 0, 0] == 0.0 and wet.evaporation[0, 0, 0] > 0.0
    assert wet.sensible[0, 0, 0] > 0.0  # a warm surface heats the air
    sea = sea_surface_fluxes(*args)
    # Land's drag coefficient (2.4e-3) is larger than the sea's (1e-3).
    assert abs(wet.u_stress[0, 0, 0]) > abs(sea.u_stress[0, 0, 0])
    assert blend(sea, wet, 0.0).evaporation == sea.evaporation
    assert blend(sea, wet, 1.0).evaporation == wet.evaporation


def config(**overrides):
    return parse_overrides(Speedy.Config, {k: str(v) for k, v in overrides.items()}, "speedy")


def test_season_and_boundaries_settings_are_checked_in_one_sentence(tmp_path):
    assert config(physics="speedy").effective_season == "equinox"
    assert config(physics="speedy", boundaries=BC).effective_season == "perpetual-january"
    assert config(physics="speedy", boundaries=BC, season="annual").check() is None
    refused = {"season must be one of equinox, perpetual-january, annual, got 'july'":
               dict(physics="speedy", boundaries=BC, season="july"),
               "season=annual needs boundaries=DIR": dict(physics="speedy", season="annual"),
               "which is not a directory": dict(physics="speedy", boundaries=str(tmp_path / "no")),
               "orography=boundaries needs physics=speedy": dict(orography="boundaries")}
    for expected, overrides in refused.items():
        with pytest.raises(ModelParameterError) as error:
            config(**overrides)
        assert expected in str(error.value) and "\n" not in str(error.value)


def test_a_short_t21_run_over_land_and_sea_precipitates_without_nan():
    cfg = config(truncation=21, physics="speedy", days=2, output_interval_hours=24,
                 boundaries=BC, season="perpetual-january")
    result = run_block(Speedy, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0])
    assert np.isnan(result.blowup_time).all()
    fields = result.fields
    for name in ("precipitation", "temperature", "surface_temperature", "evaporation"):
        assert np.isfinite(fields[name]).all(), name
    model = Speedy(cfg, NumberFormat.parse("float64"))
    land = model.moist.boundaries.land_fraction.T  # (lat, lon), as the output
    weights = T21.weights[:, None] * np.ones((1, T21.nlon))
    rain = fields["precipitation"][0, -1] * SECONDS_PER_DAY  # mm/day, the second day
    over_land = (rain * land * weights).sum() / (land * weights).sum()
    over_sea = (rain * (1 - land) * weights).sum() / ((1 - land) * weights).sum()
    assert over_land > 0.2 and over_sea > 0.2
    # The orography reached the dynamical core: lower surface pressure over the Tibetan Plateau.
    ps = fields["surface_pressure"][0, -1]
    j = int(np.argmin(np.abs(T21.latitude - 33.0)))
    i = int(np.argmin(np.abs(T21.longitude - 90.0)))
    assert ps[j, i] < 7.0e4


def test_annual_season_updates_the_forcing_once_a_model_day():
    cfg = config(truncation=21, physics="speedy", days=2, boundaries=BC, season="annual")
    model = Speedy(cfg, NumberFormat.parse("float64"))
    moist = model.moist
    first = moist.boundaries
    assert moist.forcing_day == 0
    state = model.initial_state([np.random.default_rng(0)])
    for _ in range(cfg.step_count_per_day + 1):
        state = model.step(state)
    assert moist.forcing_day == 1
    # 2 January: the sun moving north after the solstice, the climatologies moved on.
    assert moist.boundaries.solar.insolation[0] < first.solar.insolation[0]
    assert moist.boundaries.solar.insolation[-8] > first.solar.insolation[-8]
    assert not np.array_equal(moist.boundaries.sea_surface_temperature,
                              first.sea_surface_temperature)
    expected = load_boundaries(BC, T21, season="annual", day=1.0)
    assert np.array_equal(moist.boundaries.land_temperature, expected.land_temperature)
    assert np.array_equal(moist.boundaries.solar.insolation, expected.solar.insolation)


@pytest.mark.slow
def test_a_month_of_perpetual_january_at_t21_is_a_plausible_climate():
    """30 days from rest, the last 20 averaged: global-mean precipitation near SPEEDY's and
    the observed ~2.7 mm/day, land colder than sea in January, and the global-mean
    temperature near the surface within 5 K of SPEEDY ver41's 13.6 C at sigma = 0.95."""
    cfg = config(truncation=21, physics="speedy", days=30, output_interval_hours=24,
                 boundaries=BC, season="perpetual-january")
    result = run_block(Speedy, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0])
    assert np.isnan(result.blowup_time).all()
    fields = result.fields
    model = Speedy(cfg, NumberFormat.parse("float64"))
    land = model.moist.boundaries.land_fraction.T
    weights = T21.weights[:, None] * np.ones((1, T21.nlon))

    def mean(field, part=1.0):
        values = field[0, 10:].mean(axis=0)
        return float((values * part * weights).sum() / (part * weights).sum())

    assert 2.0 < mean(fields["precipitation"]) * SECONDS_PER_DAY < 4.0
    surface = fields["surface_temperature"]
    assert mean(surface, land) < mean(surface, 1.0 - land) - 5.0
    assert mean(fields["temperature"][:, :, -1]) - 273.15 == pytest.approx(13.6, abs=5.0)


def test_the_start_from_rest_is_speedys_sea_level_pressure_and_humidity():
    """speedy.f90's initialize_from_rest_state: at sea level p_s = 1013 hPa and the surface
    humidity is RH 0.7 of 17 hPa at 1000 hPa, 0.7 x 0.622 x 17 / 1000 = 7.40 g/kg x
    (p_s / 1000 hPa)^3; the lowest level (sigma 0.95) has sigma^3 of it, the top two none.
    Over the open ocean far from mountains the spectral orography is near zero, so the
    fields are those sea-level values (within the truncation's ringing)."""
    cfg = parse_overrides(Speedy.Config, {"truncation": "30", "physics": "speedy",
                                          "boundaries": BC, "perturbation": "0"}, "speedy")
    model = Speedy(cfg, NumberFormat.parse("float64"))
    state = model.initial_state([np.random.default_rng(0)])
    count = len(model.prognostics)
    f64 = model.float64
    ps = 1e3 * np.exp(f64.to_grid(np.asarray(state[count + 3])[0])[0])  # hPa, (lon, lat)
    q = f64.to_grid(np.asarray(state[count + 4])[0])  # g/kg, (level, lon, lat)
    height = f64.to_grid(model.phi_s[0])[0] / 9.81
    ocean = np.abs(height) < 5.0  # metres
    assert ocean.sum() > 100
    assert abs(ps[ocean].mean() - 1013.0) < 0.3 and np.abs(ps[ocean] - 1013.0).max() < 1.5
    sea_level_q = 0.7 * 0.622 * 17.0 * 1.013**3
    assert abs(q[-1][ocean].mean() / (sea_level_q * 0.95**3) - 1.0) < 0.01
    assert np.abs(q[:2]).max() < 1e-12
