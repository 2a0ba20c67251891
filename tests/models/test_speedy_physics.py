"""SPEEDY's column physics against independent references: tabulated saturation vapour
pressures, conservation laws on hand-made soundings, analytic relaxation and radiative
transfer solutions."""

import numpy as np
import pytest
import scipy.integrate

from pipeline.models.speedy.physics.column import (ColumnState, SurfaceBoundary, column_physics,
                                                   physics_constants)
from pipeline.models.speedy.physics.convection import (LATENT_HEAT_PER_CP, convection,
                                                       convection_constants)
from pipeline.models.speedy.physics.humidity import (saturation_constants,
                                                     saturation_specific_humidity)
from pipeline.models.speedy.physics.large_scale_condensation import (
    condensation_constants, large_scale_condensation)
from pipeline.models.speedy.physics.levels import layer_mass
from pipeline.models.speedy.physics.longwave_radiation import (
    LongwaveParameters, black_body, longwave_constants, longwave_downward,
    longwave_transmissivity, longwave_upward)
from pipeline.models.speedy.physics.shortwave_radiation import (
    ShortwaveParameters, daily_mean_insolation, shortwave_constants, shortwave_radiation,
    solar_forcing)
from pipeline.models.speedy.physics.surface_fluxes import (sea_surface_fluxes,
                                                           surface_flux_constants)
from pipeline.models.speedy.physics.vertical_diffusion import (vertical_diffusion,
                                                               vertical_diffusion_constants)
from pipeline.models.speedy.spectral import gaussian_latitudes
from pipeline.precision import NumberFormat
from tests.models.speedy_soundings import (LEVELS, column, constant_lapse_rate, geopotential_over_cp,
                                          humidity_at, saturation,
                                          stable, tropical)

DT = 2400.0  # s, SPEEDY's step at T30
HEAT = 1004.0  # c_p, J kg-1 K-1
SIGMA_SB = 5.67e-8


def tendency(flux, surface_pressure=1.0):
    """dX/dt per layer from a flux convergence: F g / (p_0 p_s dsigma)."""
    return flux / (layer_mass(LEVELS)[None, :, None, None] * surface_pressure)


def column_sum(flux):
    return flux.sum(axis=1)


# --- saturation humidity ------------------------------------------------------------------

# Saturation vapour pressure over liquid water (hPa): CRC Handbook of Chemistry and Physics
# (Lide, ed.), "Vapor pressure of water from 0 to 370 C".
WATER_TABLE = {0: 6.113, 10: 12.281, 20: 23.388, 30: 42.455, 40: 73.814}
# Over ice (hPa): Goff-Gratch values of the Smithsonian Meteorological Tables (List 1951).
ICE_TABLE = {-40: 0.1284, -30: 0.3801, -20: 1.0324, -10: 2.5990}


def vapour_pressure_from(q_saturation, pressure_hpa=1000.0):
    """Invert q = 622 e / (p - 0.378 e) (g/kg) for e."""
    return q_saturation * pressure_hpa / (622.0 + 0.378 * q_saturation)


@pytest.mark.parametrize("celsius,table", [*WATER_TABLE.items()])
def test_saturation_over_water_matches_the_tabulated_vapour_pressure(celsius, table):
    # Murray (1967): Tetens' form is within a few tenths of a per cent above 0 C.
    q = saturation_specific_humidity(saturation_constants(), np.array(273.15 + celsius), 1.0)
    assert vapour_pressure_from(float(q)) == pytest.approx(table, rel=3e-3)


@pytest.mark.parametrize("celsius,table", [*ICE_TABLE.items()])
def test_saturation_over_ice_matches_the_tabulated_vapour_pressure(celsius, table):
    # Tetens' ice constants drift low at the cold end (2 % at -40 C against Goff-Gratch).
    q = saturation_specific_humidity(saturation_constants(), np.array(273.15 + celsius), 1.0)
    assert vapour_pressure_from(float(q)) == pytest.approx(table, rel=2.5e-2)
    over_water = 6.108 * np.exp(17.269 * celsius / (273.15 + celsius - 35.86))
    assert vapour_pressure_from(float(q)) < over_water  # ice saturates first


def test_saturation_humidity_scales_inversely_with_pressure_and_is_finite_in_float16_widths():
    c = saturation_constants()
    temperature = np.array([200.0, 250.0, 300.0])
    high, low = (saturation_specific_humidity(c, temperature, p) for p in (1.0, 0.5))
    assert np.allclose(low / high, 2.0, rtol=2e-2)
    fmt = NumberFormat.parse("e5m10")
    emulated = saturation_specific_humidity(
        saturation_constants(lambda x: np.asarray(fmt.array(x))), fmt.array(temperature), 1.0)
    # d ln q_s / dT ~ 0.06 K-1 and T, T_0 are known to 0.125 K near 300 K in 10 bits: ~1 %.
    assert np.allclose(np.asarray(emulated), high, rtol=1.5e-2)
    assert np.isfinite(np.asarray(emulated)).all()


# --- convection ---------------------------------------------------------------------------

def run_convection(temperature, humidity, phi, surface_pressure=1.0):
    ps = np.full((temperature.shape[0], 1, 1), surface_pressure)
    qs = saturation(temperature, surface_pressure)
    return convection(convection_constants(LEVELS), ps, temperature + phi, humidity, qs)


def test_convection_rains_from_a_moist_unstable_column_and_conserves_moist_static_energy():
    result = run_convection(*tropical())
    rain = result.precipitation[0, 0, 0]
    assert rain > 0  # g m-2 s-1
    assert result.cloud_top[0, 0, 0] == 2  # sigma = 0.2, the highest level allowed
    # Energy gained = latent heat of the rain; water lost = the rain (Molteni 2003, sec. 3b).
    assert column_sum(result.energy)[0, 0, 0] == pytest.approx(LATENT_HEAT_PER_CP * rain, rel=1e-12)
    assert column_sum(result.water)[0, 0, 0] == pytest.approx(-rain, rel=1e-12)
    # It warms the column aloft and takes moist static energy out of the boundary layer.
    heating = tendency(result.energy)[0, :, 0, 0]
    assert heating[2:5].min() > 0
    boundary = result.energy[0, -1, 0, 0] + LATENT_HEAT_PER_CP * result.water[0, -1, 0, 0]
    assert boundary < 0 and result.water[0, -1, 0, 0] < 0


def test_convection_closure_removes_the_boundary_layer_excess_over_six_hours():
    # Without the secondary moisture flux (every layer moister than RH 0.7), the base
    # fluxes dry the boundary layer at dq/tau_cnv, dq = max(q - 0.9 q_s, (h - h*_thr) c_p/L).
    temperature, humidity, phi = tropical(relative_humidity=(0.8,) * 7 + (0.95,))
    result = run_convection(temperature, humidity, phi)
    qs = saturation(temperature)
    excess_rh = humidity[0, -1, 0, 0] - 0.9 * qs[0, -1, 0, 0]
    drying = -tendency(result.water)[0, -1, 0, 0] * 6 * 3600.0
    assert drying >= excess_rh * (1 - 1e-12)
    assert result.base_mass_flux[0, 0, 0] > 0


def test_stable_column_does_not_convect():
    result = run_convection(*stable())
    assert result.cloud_top[0, 0, 0] == LEVELS.count
    assert np.all(result.energy == 0) and np.all(result.water == 0)
    assert result.precipitation[0, 0, 0] == 0


def test_convection_needs_enough_surface_pressure():
    # Over high ground (p_s < 0.8 p_0) SPEEDY allows no convection.
    temperature, humidity, phi = tropical()
    assert run_convection(temperature, humidity, phi, 0.75).precipitation[0, 0, 0] == 0


@pytest.mark.parametrize("lapse_rate", [0.0055, 0.006])
def test_convection_keeps_humidity_positive_over_a_leapfrog_step_on_dry_soundings(lapse_rate):
    # Moist boundary layers under dry air (RH 5-20 %): the descent and the secondary flux
    # must not take any layer below zero over 2 dt. (A layer at RH ~1 % right above a
    # saturated boundary layer can be: SPEEDY's descent carries half-level humidities,
    # interpolated from the moist layer below, out of it. The model clips q at zero before
    # the physics, as SPEEDY does.)
    rh = np.array([[0.05, 0.05, 0.1, 0.2, 0.3, 0.5, 0.9, 0.95], [0.1] * 5 + [0.3, 0.9, 0.95],
                   [0.2] * 6 + [0.9, 0.95], [0.5] * 4 + [0.6, 0.7, 0.8, 0.9]])
    temperature = np.concatenate([tropical(t, lapse_rate=lapse_rate)[0]
                                  for t in (300.0, 305.0, 300.0, 305.0)])
    humidity = humidity_at(rh, temperature)
    result = run_convection(temperature, humidity, geopotential_over_cp(temperature))
    assert (result.precipitation > 0).all()
    after = humidity + 2 * DT * tendency(result.water)
    assert after.min() > 0.0


# --- large-scale condensation ---------------------------------------------------------------

def run_condensation(humidity, temperature, surface_pressure=1.0):
    ps = np.full((temperature.shape[0], 1, 1), surface_pressure)
    return large_scale_condensation(condensation_constants(LEVELS), ps, humidity,
                                    saturation(temperature, surface_pressure))


def test_condensation_heating_equals_the_latent_heat_of_the_precipitation():
    temperature, _, _ = tropical()
    qs = saturation(temperature)
    for factor in (1.05, 1.5, 3.0):  # 3 q_s: the rate cap binds in the upper layers
        result = run_condensation(factor * qs, temperature)
        rain = result.precipitation[0, 0, 0]
        assert rain > 0
        assert column_sum(result.energy)[0, 0, 0] == pytest.approx(LATENT_HEAT_PER_CP * rain, rel=1e-12)
        assert column_sum(result.water)[0, 0, 0] == pytest.approx(-rain, rel=1e-12)
        assert np.all(result.water[:, 0] == 0)  # the top layer never condenses


def test_condensation_relaxes_supersaturation_exponentially_over_four_hours():
    # With T (hence q_s) held fixed, dq/dt = -(q - RH_ref q_s) / tau: the excess decays as
    # exp(-t / tau). Integrated here in small steps and compared with the exact solution.
    temperature = tropical()[0]
    qs = saturation(temperature)
    reference = (0.9 + 0.1 * (LEVELS.full**2 - 1))[None, :, None, None] * qs
    reference[:, -1] = np.maximum(reference[:, -1], 0.95 * qs[:, -1])
    q0 = reference * 1.02
    q, step, hours = q0.copy(), 60.0, 4.0
    for _ in range(int(hours * 3600 / step)):
        q = q + step * tendency(run_condensation(q, temperature).water)
    exact = reference + (q0 - reference) * np.exp(-hours / 4.0)
    assert np.allclose(q[:, 1:], exact[:, 1:], rtol=2e-5)


def test_subsaturated_air_does_not_condense_and_a_step_never_overshoots():
    temperature, humidity, _ = tropical()
    dry = run_condensation(humidity, temperature)
    assert dry.precipitation[0, 0, 0] == 0 and np.all(dry.water == 0)
    wet = 1.3 * saturation(temperature)
    after = wet + 2 * DT * tendency(run_condensation(wet, temperature).water)
    assert after.min() > 0.8 * saturation(temperature).min()
    assert np.all(after <= wet)


# --- radiation --------------------------------------------------------------------------------


TRANSPARENT = ShortwaveParameters(dry_air=0.0, aerosol=0.0, vapour_visible=0.0,
                                  vapour_near_infrared=0.0, cloud_per_humidity=0.0)


def test_equinox_insolation_is_s0_cos_latitude_over_pi_with_global_mean_s0_over_4():
    mu = gaussian_latitudes(48)[0]
    assert np.allclose(daily_mean_insolation(mu), 1368.0 * np.sqrt(1 - mu**2) / np.pi, rtol=1e-14)
    mean, _ = scipy.integrate.quad(lambda m: float(daily_mean_insolation(np.array(m))) / 2, -1, 1)
    assert mean == pytest.approx(1368.0 / 4, rel=1e-10)
    # Any day: the annual-mean-free identity holds too (global mean S_0/4 times (d_0/d)^2).
    solstice, _ = scipy.integrate.quad(
        lambda m: float(daily_mean_insolation(np.array(m), np.radians(23.45), 1.03)) / 2, -1, 1)
    assert solstice == pytest.approx(1.03 * 1368.0 / 4, rel=1e-8)


def test_solstice_insolation_at_the_poles():
    # Polar day: the sun circles at elevation delta, S = S_0 sin(delta) (Hartmann 1994, 2.2);
    # polar night in the other hemisphere.
    delta = np.radians(23.45)
    values = daily_mean_insolation(np.array([-1 + 1e-12, 1 - 1e-12]), declination=delta)
    assert values[1] == pytest.approx(1368.0 * np.sin(delta), rel=1e-5)
    assert values[0] == pytest.approx(0.0, abs=1e-9)


def shortwave(parameters=ShortwaveParameters(), humidity=None, cover=0.0, top=None,
              stratiform=0.0, insolation=400.0, ozone=(0.0, 0.0), zenith=1.0, albedo=0.07):
    q = np.zeros((1, LEVELS.count, 1, 1)) if humidity is None else humidity
    field = lambda x: np.full((1, 1, 1), x)  # noqa: E731
    top = np.full((1, 1, 1), LEVELS.count if top is None else top)
    return shortwave_radiation(shortwave_constants(LEVELS, parameters), field(1.0), q,
                               field(cover), top, field(stratiform), field(1.0),
                               field(insolation), field(ozone[0]), field(ozone[1]),
                               field(zenith), albedo)


def test_transparent_clear_column_passes_the_sun_to_the_surface():
    result = shortwave(TRANSPARENT, albedo=0.2)
    assert np.allclose(result.absorbed, 0.0)
    assert result.surface_downward[0, 0, 0] == pytest.approx(400.0)
    # Only the visible band (0.95) is reflected by the surface.
    assert result.top_net[0, 0, 0] == pytest.approx(400.0 * (1 - 0.95 * 0.2))
    assert result.surface_net[0, 0, 0] == pytest.approx(result.top_net[0, 0, 0])


def test_cloud_and_stratocumulus_reflect_in_series():
    # No absorption: the outgoing visible flux is S_v [a_c + (1 - a_c) a_st + (1 - a_c)(1 - a_st) a_s].
    cover, stratiform, albedo = 0.6, 0.4, 0.07
    result = shortwave(TRANSPARENT, cover=cover, top=3, stratiform=stratiform, albedo=albedo)
    a_c, a_st = 0.43 * cover, 0.5 * stratiform
    reflected = 0.95 * 400.0 * (a_c + (1 - a_c) * a_st + (1 - a_c) * (1 - a_st) * albedo)
    assert 400.0 - result.top_net[0, 0, 0] == pytest.approx(reflected, rel=1e-12)


def test_dry_air_absorbs_by_beer_lambert_along_the_slant_path():
    zenith = 1.3
    result = shortwave(ShortwaveParameters(vapour_visible=0.0, vapour_near_infrared=0.0),
                       zenith=zenith, albedo=0.0)
    absorptivity = 0.033 + 0.033 * LEVELS.full**2
    absorptivity[0] = 0.033
    depth = zenith * (LEVELS.thickness * absorptivity).sum()
    expected = 400.0 * (0.95 * np.exp(-depth) + 0.05)
    assert result.surface_downward[0, 0, 0] == pytest.approx(expected, rel=1e-12)


def test_shortwave_conserves_energy_in_a_moist_cloudy_column():
    humidity = tropical()[1]
    result = shortwave(humidity=humidity, cover=0.7, top=3, stratiform=0.3,
                       ozone=(4.0, 3.0), zenith=1.2, albedo=0.07)
    absorbed = column_sum(result.absorbed)[0, 0, 0]
    assert result.top_net[0, 0, 0] == pytest.approx(absorbed + result.surface_net[0, 0, 0],
                                                    rel=1e-12)
    assert 0 < absorbed < 0.3 * 400.0  # the atmosphere absorbs a few tens of W m-2
    # Water vapour takes the whole near-infrared band (0.05 S) before the surface.
    assert result.absorbed[0, 1:].sum() > 0.05 * 400.0 * 0.9


def longwave(temperature, humidity, cover, top, surface_temperature, parameters=LongwaveParameters(),
             cooling=0.0):
    c = longwave_constants(LEVELS, parameters)
    field = lambda x: np.full((temperature.shape[0], 1, 1), x)  # noqa: E731
    ps = field(1.0)
    tau = longwave_transmissivity(c, ps, humidity, field(cover), np.full((temperature.shape[0], 1, 1), top))
    down = longwave_downward(c, temperature, tau)
    emission = parameters.surface_emissivity * SIGMA_SB * field(surface_temperature) ** 4
    return longwave_upward(c, temperature, tau, down, field(surface_temperature), emission, ps,
                           field(cooling))


@pytest.mark.parametrize("cover", [0.0, 1.0])
def test_isothermal_atmosphere_over_a_black_surface_emits_sigma_t4(cover):
    # Every band's upward flux stays at its black-body value, and the stratospheric black band
    # (eps p_s) makes up the rest: OLR = sigma T^4 with or without clouds and vapour.
    temperature = np.full((1, LEVELS.count, 1, 1), 260.0)
    result = longwave(temperature, humidity_at(0.8, temperature), cover, 3, 260.0,
                      LongwaveParameters(surface_emissivity=1.0))
    assert result.outgoing[0, 0, 0] == pytest.approx(SIGMA_SB * 260.0**4, rel=1e-12)


def test_transparent_atmosphere_passes_the_surface_emission_except_the_black_band():
    temperature = column(constant_lapse_rate(290.0))
    clear = LongwaveParameters(window=0.0, carbon_dioxide=0.0, weak_vapour=0.0, strong_vapour=0.0,
                               thin_cloud=0.0, thick_cloud=0.0)
    result = longwave(temperature, humidity_at(0.5, temperature), 0.0, LEVELS.count, 295.0, clear)
    emission = 0.98 * SIGMA_SB * 295.0**4
    b = SIGMA_SB * np.array([0.75 * temperature[0, 0, 0, 0] + 0.25 * half_temperature(temperature, 0),
                             0.5 * temperature[0, 1, 0, 0] + 0.25 * (half_temperature(temperature, 0)
                                                                     + half_temperature(temperature, 1))]) ** 4
    stratospheric = 0.05 * (LEVELS.thickness[:2] * b).sum() / LEVELS.thickness[:2].sum()
    assert result.outgoing[0, 0, 0] == pytest.approx(0.95 * emission + stratospheric, rel=1e-12)
    black = 0.05 * 0.98 * SIGMA_SB * temperature[0, -1, 0, 0] ** 4
    assert result.surface_downward[0, 0, 0] == pytest.approx(black, rel=1e-12)


def half_temperature(temperature, k):
    """T at half level k + 1/2, linear in ln sigma."""
    t, s, h = temperature[0, :, 0, 0], np.log(LEVELS.full), np.log(LEVELS.half[k + 1])
    return t[k] + (h - s[k]) / (s[k + 1] - s[k]) * (t[k + 1] - t[k])


def test_longwave_conserves_energy_and_clouds_warm_the_surface():
    temperature, humidity, _ = tropical()
    clear = longwave(temperature, humidity, 0.0, LEVELS.count, 300.0, cooling=2.0)
    cloudy = longwave(temperature, humidity, 1.0, 3, 300.0, cooling=2.0)
    for result in (clear, cloudy):
        absorbed = column_sum(result.absorbed)[0, 0, 0]
        assert absorbed == pytest.approx(result.surface_net_upward[0, 0, 0]
                                         - result.outgoing[0, 0, 0], rel=1e-12)
        assert absorbed < 0  # the atmosphere cools
    assert 150 < cloudy.outgoing[0, 0, 0] < clear.outgoing[0, 0, 0] < 320
    assert cloudy.surface_downward[0, 0, 0] > clear.surface_downward[0, 0, 0]


def test_longwave_black_body_stays_in_float16_range():
    c = longwave_constants(LEVELS, convert=lambda x: np.asarray(NumberFormat.parse("e5m10").array(x)))
    temperature = NumberFormat.parse("e5m10").array(np.array([180.0, 250.0, 320.0]))
    assert np.allclose(np.asarray(black_body(c, temperature)),
                       SIGMA_SB * np.array([180.0, 250.0, 320.0]) ** 4, rtol=4e-3)


# --- surface fluxes ---------------------------------------------------------------------------



def sea_fluxes(sst, lowest_temperature=290.0, u=10.0, v=0.0, rh=0.8):
    # Two lowest levels at the same temperature: T_0 = T_{K-1}, no extrapolation.
    temperature = np.full((1, LEVELS.count, 1, 1), lowest_temperature)
    humidity = humidity_at(rh, temperature)
    phi = geopotential_over_cp(temperature)
    wind = np.zeros_like(temperature)
    result = sea_surface_fluxes(surface_flux_constants(LEVELS), saturation_constants(), np.ones((1, 1, 1)),
                                wind + u, wind + v, temperature, humidity, phi,
                                np.full((1, 1, 1), sst))
    return result, temperature, humidity, phi


def test_bulk_formulae_in_neutral_conditions():
    # SST equal to the lowest level's T + Phi/c_p: no stability correction, so
    # H = C_H c_p rho |V| (SST - T_0), E = C_H rho |V| (q_s(SST) - q), tau = -C_D rho |V| u.
    _, temperature, _, phi = sea_fluxes(300.0)
    neutral = 290.0 + phi[0, -1, 0, 0]
    result, temperature, humidity, _ = sea_fluxes(neutral)
    rho_v = 1e5 / (287.0 * 290.0) * np.hypot(0.95 * 10.0, 5.0)  # gusts of 5 m/s
    assert HEAT * result.sensible[0, 0, 0] == pytest.approx(0.9e-3 * HEAT * rho_v * (neutral - 290.0))
    q_sea = saturation_specific_humidity(saturation_constants(), np.array(neutral), 1.0)
    assert result.evaporation[0, 0, 0] == pytest.approx(0.9e-3 * rho_v * (q_sea - humidity[0, -1, 0, 0]))
    assert result.u_stress[0, 0, 0] == pytest.approx(-1e-3 * rho_v * 10.0)
    assert result.v_stress[0, 0, 0] == 0.0
    assert result.emission[0, 0, 0] == pytest.approx(0.98 * SIGMA_SB * neutral**4)


def test_stability_strengthens_exchange_over_warm_sea_and_weakens_it_over_cold():
    neutral = 290.0 + sea_fluxes(300.0)[3][0, -1, 0, 0]
    exchange = {}
    for offset in (-10.0, -2.0, 0.0, 2.0, 10.0):
        result = sea_fluxes(neutral + offset)[0]
        exchange[offset] = result.u_stress[0, 0, 0]
    base = exchange[0.0]
    assert exchange[10.0] / base == pytest.approx(1 + 0.67)  # capped at 3 K
    assert exchange[2.0] / base == pytest.approx(1 + 0.67 * 2 / 3)
    assert exchange[-2.0] / base == pytest.approx(1 - 0.67 * 1 / 3)  # halved when stable
    assert exchange[-10.0] / base == pytest.approx(1 - 0.67)


def test_moist_air_over_a_cold_sea_condenses_onto_it():
    result = sea_fluxes(280.0, lowest_temperature=290.0, rh=0.95)[0]
    assert result.evaporation[0, 0, 0] < 0 and result.sensible[0, 0, 0] < 0


# --- vertical diffusion -----------------------------------------------------------------------

def run_diffusion(temperature, humidity, deep=False):
    qs = saturation(temperature)
    phi = geopotential_over_cp(temperature)
    return vertical_diffusion(vertical_diffusion_constants(LEVELS), np.ones((temperature.shape[0], 1, 1)),
                              temperature + phi, humidity / qs, humidity, qs, phi,
                              np.full((temperature.shape[0], 1, 1), deep))


def test_vertical_diffusion_conserves_energy_and_water_in_every_column():
    rng = np.random.default_rng(3)
    temperature = column(np.stack([constant_lapse_rate(t, g) for t, g in
                                   zip(rng.uniform(260, 305, 20), rng.uniform(0.003, 0.0105, 20))]))
    humidity = humidity_at(rng.uniform(0.05, 1.0, (20, LEVELS.count)), temperature)
    result = run_diffusion(temperature, humidity)
    assert np.abs(column_sum(result.energy)).max() < 1e-12 * np.abs(result.energy).max()
    assert np.abs(column_sum(result.water)).max() < 1e-12 * np.abs(result.water).max()
    assert np.abs(result.energy).max() > 0 and np.abs(result.water).max() > 0


def test_dry_adiabatic_adjustment_damps_super_adiabatic_lapse_rates():
    # 11 K/km below a 200 K tropopause exceeds the dry adiabat (9.8 K/km): s decreases with
    # height there. The adjustment warms the upper unstable layers at the expense of those
    # below, reducing every measure of the instability, s_{k+1} + 0.1 dPhi/c_p - s_k > 0.
    temperature = column(constant_lapse_rate(300.0, 0.011, tropopause=200.0))
    phi = geopotential_over_cp(temperature)
    s = temperature + phi

    def instability(s):
        excess = s[0, 1:, 0, 0] + 0.1 * (phi[0, :-1, 0, 0] - phi[0, 1:, 0, 0]) - s[0, :-1, 0, 0]
        return np.maximum(excess, 0.0)

    before = instability(s)
    assert before[3:].min() > 0  # unstable from sigma = 0.34 down
    result = run_diffusion(temperature, humidity_at(0.3, temperature))
    heating = tendency(result.energy)
    assert heating[0, -1, 0, 0] < 0 and heating[0, 3, 0, 0] > 0
    after = instability(s + 600.0 * heating)  # ten minutes
    assert after.sum() < before.sum()


def test_shallow_convection_moves_moist_static_energy_up_and_deep_convection_halves_it():
    temperature, humidity, _ = tropical(relative_humidity=(0.3,) * 6 + (0.5, 0.95))
    alone, with_deep = run_diffusion(temperature, humidity), run_diffusion(temperature, humidity, True)
    assert alone.energy[0, -2, 0, 0] > 0 and alone.water[0, -2, 0, 0] > 0
    assert with_deep.energy[0, -2, 0, 0] == pytest.approx(0.5 * alone.energy[0, -2, 0, 0])
    after = humidity + 2 * DT * tendency(alone.water)
    assert after.min() > 0


# --- the whole column -------------------------------------------------------------------------


def aquaplanet_column(sst=302.0, mu=0.1):
    temperature, humidity, phi = tropical(sst - 2.0)
    field = lambda x: np.full((1, 1, 1), x)  # noqa: E731
    solar = solar_forcing(np.array([mu]))
    boundary = SurfaceBoundary(field(sst), 0.07, 0.0, 0.0, field(solar.insolation[0]),
                               field(solar.ozone_lower[0]), field(solar.ozone_upper[0]),
                               field(solar.zenith_factor[0]), field(solar.polar_night_cooling[0]))
    wind = np.zeros_like(temperature) + 5.0
    return ColumnState(temperature, humidity, wind, 0.5 * wind, phi, field(1.0)), boundary


def test_column_physics_closes_the_water_and_energy_budgets():
    # sum_k M_k dq/dt = E - P and sum_k c_p M_k dT/dt = L P + H + (SW_top - SW_sfc) +
    # (LW_sfc,up - OLR): each scheme's fluxes add up to the column's sources and sinks.
    state, boundary = aquaplanet_column()
    tendencies, diagnostics, _ = column_physics(physics_constants(LEVELS), state, boundary, None, True)
    mass = layer_mass(LEVELS)[None, :, None, None]
    rain = diagnostics.convective_precipitation + diagnostics.large_scale_precipitation
    assert rain[0, 0, 0] > 0
    water = column_sum(mass * tendencies.humidity)
    assert water[0, 0, 0] == pytest.approx((diagnostics.evaporation - rain)[0, 0, 0], rel=1e-10)
    energy = column_sum(HEAT * mass * tendencies.temperature)
    sources = (2501.0 * rain + diagnostics.sensible_heat
               + diagnostics.top_shortwave_net - diagnostics.surface_shortwave_net
               + diagnostics.surface_longwave_net_upward - diagnostics.outgoing_longwave)
    assert energy[0, 0, 0] == pytest.approx(sources[0, 0, 0], rel=1e-10)
    # Drag on the lowest layer only, opposing the wind.
    assert tendencies.u[0, -1, 0, 0] < 0 and np.all(tendencies.u[0, :-1] == 0)


def test_column_physics_reuses_its_radiation_between_calls():
    state, boundary = aquaplanet_column()
    c = physics_constants(LEVELS)
    _, first, memory = column_physics(c, state, boundary, None, True)
    warmer = ColumnState(state.temperature + 1.0, 0.5 * state.humidity, state.u, state.v,
                         state.geopotential, state.surface_pressure)
    _, kept, same = column_physics(c, warmer, boundary, memory, False)
    _, fresh, _ = column_physics(c, warmer, boundary, memory, True)
    assert same is memory and kept.top_shortwave_net is first.top_shortwave_net
    assert fresh.top_shortwave_net[0, 0, 0] != first.top_shortwave_net[0, 0, 0]
    assert kept.outgoing_longwave[0, 0, 0] > first.outgoing_longwave[0, 0, 0]  # longwave every call
