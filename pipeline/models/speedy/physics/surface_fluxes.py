"""Surface fluxes over the sea by bulk formulae with a stability correction (Molteni 2003,
Clim. Dyn. 20, 175, section 3f; speedy.f90 ``surface_fluxes.f90``).

Near-surface air (sigma = 0.99): wind V_0 = 0.95 V_{K-1}; temperature T_0 extrapolated from
the two lowest levels in ln sigma where the lowest layer is warmer than the one above
(T_{K-1} otherwise); specific humidity q_{K-1}. With the density rho = p_s / (R T_0) and a
gust speed of 5 m/s,

    rho |V| = (p_s / (R T_0)) sqrt(|V_0|^2 + 5^2),
    stability factor 1 + 0.67 dtheta / 3 K, dtheta = T_sea - (T_{K-1} + Phi_{K-1}/c_p)
        clipped to [-3, 3] K, halved where stable (dtheta < 0),
    stress     tau = -C_D rho|V| f V_{K-1},           C_D = 1.0e-3,
    sensible   H = C_H c_p rho|V| f (T_sea - T_0),      C_H = 0.9e-3,
    evaporation E = C_H rho|V| f (q_s(T_sea, p_s) - q_{K-1}),
    emission   E_s = eps_s sigma T_sea^4,             eps_s = 0.98.

Units as the rest of the physics: H in K kg m-2 s-1 (W m-2 / c_p), E in g m-2 s-1, tau in
N m-2. The net downward heat flux into the sea, SW_net - LW_net,up - H - L E, is a
diagnostic here (the SST is prescribed); its sign is the physical one (speedy.f90 adds H and
L E instead of subtracting them, a difference the SpeedyWeather.jl developers noted).

Over land (`land_surface_fluxes`, with realistic boundaries) the same bulk formulae with
SPEEDY's land coefficients, C_D = 2.4e-3 times the orographic factor
1 + r (1 - exp(-r max(Phi_s, 0))), r = 1 / (g 2000 m), as speedy.f90 writes it
(``set_orog_land_sfc_drag``; the factor is within 1e-4 of 1, so in effect C_D alone), and
without the stability factor, C_H = 1.2e-3, the land temperature T_l in place of the SST
(its near-surface temperature extrapolated without the orographic term, as speedy.f90's
t1(:,:,1)), the stability computed from T_l - (T_{K-1} + (Phi_{K-1} - Phi_s)/c_p), and
evaporation E = C_H rho|V| f max(0, W q_s(T_l, p_s) - q_{K-1}) with W the soil water
availability. Not (yet) SPEEDY's: the skin temperature is the land temperature itself
(speedy.f90 adds a daily-cycle correction ctday sqrt(cos) SW_down (1 - albedo) and then
re-solves the skin temperature from the surface energy balance; both are left for the
land model's step). Grid-box fluxes are the land-fraction-weighted means of the two.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.humidity import (SaturationConstants,
                                                     saturation_specific_humidity)
from pipeline.models.speedy.physics.levels import REFERENCE_PRESSURE, surface_weight
from pipeline.models.speedy.vertical import SigmaLevels

GAS_CONSTANT = 287.0  # J kg-1 K-1 (the dynamical core's value)
HEAT_CAPACITY = 1004.0  # J kg-1 K-1
LATENT_HEAT = 2501.0  # J g-1 (SPEEDY's alhc, per gram for q in g/kg)


@dataclass(frozen=True)
class SurfaceFluxParameters:
    """SPEEDY's values (speedy.f90 ``surface_fluxes.f90``; Molteni 2003, table 3)."""

    wind_ratio: float = 0.95  # fwind0, near-surface / lowest-level wind
    momentum_exchange: float = 1.0e-3  # cds, C_D over sea
    heat_exchange: float = 0.9e-3  # chs, C_H over sea
    gust_speed: float = 5.0  # vgust, m s-1
    stability_range: float = 3.0  # dtheta, K
    stability_amplitude: float = 0.67  # fstab
    stable_reduction: float = 0.5  # astab (lscasym = true)
    surface_emissivity: float = 0.98  # emisfc
    land_momentum_exchange: float = 2.4e-3  # cdl
    land_heat_exchange: float = 1.2e-3  # chl


@dataclass(frozen=True)
class SurfaceFluxConstants:
    surface_weight: float
    density_factor: float  # p_0 / R
    wind_ratio: float
    gust_squared: float
    momentum_exchange: float
    heat_exchange: float
    stability_range: float
    stability_slope: float  # fstab / dtheta
    stable_reduction: float
    emissivity_scaled: float  # eps_s x 5.67: E_s = eps_s 5.67 (T / 100)^4
    per_hundred: float
    heat_capacity: float
    latent_heat: float
    orographic_lapse: float  # c_p / (R 288 K ln sigma_{K-1}), for Phi_s != 0
    land_momentum_exchange: float  # cdl
    land_heat_exchange: float  # chl


@dataclass
class SurfaceFluxResult:
    u_stress: object  # N m-2 (member, lon, lat)
    v_stress: object
    sensible: object  # K kg m-2 s-1 (W m-2 / c_p), upward
    evaporation: object  # g m-2 s-1, upward
    emission: object  # E_s, W m-2
    near_surface_temperature: object  # T_0, K


def surface_flux_constants(levels: SigmaLevels,
                           parameters: SurfaceFluxParameters = SurfaceFluxParameters(),
                           convert=np.asarray) -> SurfaceFluxConstants:
    p = parameters
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    return SurfaceFluxConstants(
        c(surface_weight(levels)), c(REFERENCE_PRESSURE / GAS_CONSTANT), c(p.wind_ratio),
        c(p.gust_speed**2), c(p.momentum_exchange), c(p.heat_exchange), c(p.stability_range),
        c(p.stability_amplitude / p.stability_range), c(p.stable_reduction),
        c(p.surface_emissivity * 5.67), c(0.01), c(HEAT_CAPACITY), c(LATENT_HEAT),
        c(HEAT_CAPACITY / (GAS_CONSTANT * 288.0 * np.log(levels.full[-1]))),
        c(p.land_momentum_exchange), c(p.land_heat_exchange))


def sea_surface_fluxes(c: SurfaceFluxConstants, saturation: SaturationConstants, surface_pressure,
                       u, v, temperature, humidity, geopotential, sea_surface_temperature,
                       surface_geopotential=0.0) -> SurfaceFluxResult:
    """Bulk fluxes from columns (member, K, lon, lat) of u, v (m s-1), T (K), q (g/kg) and
    Phi/c_p (K; only the two lowest levels are used), with p_s / p_0, the SST (K) and
    Phi_s/c_p (K) broadcast against (member, lon, lat)."""
    t_low, t_above = temperature[:, -1], temperature[:, -2]
    u_low, v_low = u[:, -1], v[:, -1]
    extrapolated = c.surface_weight * (t_low - t_above)
    near_surface = (t_low + extrapolated) - surface_geopotential * (extrapolated * c.orographic_lapse)
    near_surface = np.where(t_low > t_above, near_surface, t_low)
    potential = t_low + geopotential[:, -1]  # s_{K-1}: T + Phi/c_p of the lowest level
    u0, v0 = c.wind_ratio * u_low, c.wind_ratio * v_low
    speed = np.sqrt(u0 * u0 + v0 * v0 + c.gust_squared)
    density_wind = (c.density_factor * surface_pressure / near_surface) * speed
    contrast = sea_surface_temperature - potential
    correction = np.where(contrast > 0.0, np.minimum(c.stability_range, contrast),
                          np.maximum(-c.stability_range, c.stable_reduction * contrast))
    exchange = density_wind * (1.0 + correction * c.stability_slope)
    drag = c.momentum_exchange * exchange
    heat = c.heat_exchange * exchange
    saturated = saturation_specific_humidity(saturation, sea_surface_temperature, surface_pressure)
    scaled = sea_surface_temperature * c.per_hundred
    squared = scaled * scaled
    return SurfaceFluxResult(
        -drag * u_low, -drag * v_low, heat * (sea_surface_temperature - near_surface),
        heat * (saturated - humidity[:, -1]), c.emissivity_scaled * (squared * squared),
        near_surface)


OROGRAPHIC_DRAG_HEIGHT = 2000.0  # hdrag, m
GRAVITY = 9.81


def orographic_drag_factor(surface_geopotential):
    """speedy.f90 ``set_orog_land_sfc_drag``: forog = 1 + r (1 - exp(-max(Phi_s, 0) r)),
    r = 1 / (g hdrag), Phi_s in m2 s-2 (float64)."""
    r = 1.0 / (GRAVITY * OROGRAPHIC_DRAG_HEIGHT)
    return 1.0 + r * (1.0 - np.exp(-np.maximum(np.asarray(surface_geopotential, np.float64),
                                               0.0) * r))


def land_surface_fluxes(c: SurfaceFluxConstants, saturation: SaturationConstants,
                        surface_pressure, u, v, temperature, humidity, geopotential,
                        land_temperature, soil_water, drag_factor, surface_geopotential=0.0) -> SurfaceFluxResult:
    """Bulk fluxes over land (see the module docstring); arguments as `sea_surface_fluxes`,
    with the land temperature (K), soil water availability W (0-1), the orographic drag
    factor (all broadcast against (member, lon, lat))."""
    t_low, t_above = temperature[:, -1], temperature[:, -2]
    u_low, v_low = u[:, -1], v[:, -1]
    extrapolated = t_low + c.surface_weight * (t_low - t_above)
    near_surface = np.where(t_low > t_above, extrapolated, t_low)
    # Dry-adiabatic near-surface temperature over land: s_{K-1} - Phi_s / c_p.
    potential = (t_low + geopotential[:, -1]) - surface_geopotential
    u0, v0 = c.wind_ratio * u_low, c.wind_ratio * v_low
    speed = np.sqrt(u0 * u0 + v0 * v0 + c.gust_squared)
    density_wind = (c.density_factor * surface_pressure / near_surface) * speed
    contrast = land_temperature - potential
    correction = np.where(contrast > 0.0, np.minimum(c.stability_range, contrast),
                          np.maximum(-c.stability_range, c.stable_reduction * contrast))
    exchange = density_wind * (1.0 + correction * c.stability_slope)
    drag = c.land_momentum_exchange * (density_wind * drag_factor)
    heat = c.land_heat_exchange * exchange
    saturated = saturation_specific_humidity(saturation, land_temperature, surface_pressure)
    scaled = land_temperature * c.per_hundred
    squared = scaled * scaled
    return SurfaceFluxResult(
        -drag * u_low, -drag * v_low, heat * (land_temperature - near_surface),
        heat * np.maximum(soil_water * saturated - humidity[:, -1], 0.0),
        c.emissivity_scaled * (squared * squared), near_surface)


def blend(sea: SurfaceFluxResult, land: SurfaceFluxResult, land_fraction) -> SurfaceFluxResult:
    """Grid-box fluxes: sea + f_land (land - sea), field by field (speedy.f90's third slot)."""
    return SurfaceFluxResult(*(s + land_fraction * (l - s) for s, l in
                               zip(vars(sea).values(), vars(land).values())))


def net_surface_heat_flux(c: SurfaceFluxConstants, shortwave_net, longwave_net_upward,
                          fluxes: SurfaceFluxResult):
    """Net downward heat flux into the surface, W m-2: SW_net - LW_net,up - H - L E."""
    return (shortwave_net - longwave_net_upward) - (c.heat_capacity * fluxes.sensible
                                                    + c.latent_heat * fluxes.evaporation)
