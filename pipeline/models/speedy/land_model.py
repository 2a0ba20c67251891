"""SPEEDY's slab land model: the land-surface temperature as a prognostic anomaly, forced by
the daily-mean net heat flux into the land and relaxed to the climatology.

speedy.f90 ``land_model.f90`` (``land_model_init``, ``run_land_model``; SPEEDY's
land_coupling_flag = 1, its default; Molteni 2003, Clim. Dyn. 20, 175, section 3g): one
layer of soil, 1 m deep with a heat capacity of 2.5e6 J m-3 K-1, or of land ice, 5 m deep
with 1.93e6 J m-3 K-1 where the annual-mean bare-land albedo alb0 is at least 0.4. Once a
model day, with F the day's mean net downward heat flux into the land (W m-2) and T_c the
climatology of the new day,

    T_l(d + 1) = T_c + c_d ((T_l(d) - T_c) + r F),
    r = 86400 s / C,        C = depth x volumetric heat capacity (J m-2 K-1),
    c_d = m tau / (1 + m tau),   tau = 40 (days), m = 1 where the land fraction >= 1/3, else 0,

an implicit step of C dT'/dt = F - C T' / tau for the anomaly T' = T_l - T_c: without a flux
the anomaly decays by tau / (1 + tau) a day, under a constant flux it settles at
T' = tau r F = F (40 days) / C. Where m = 0 (little land) the land stays at the climatology.

The flux (speedy.f90 ``surface_fluxes.f90``, hfluxn over land, without the skin-temperature
balance this model does not have):

    F = SW_down (1 - alpha_l) + LW_down - (eps sigma T_l^4 + H_l + L E_l),

alpha_l the land albedo (snow included), H_l and E_l the land's sensible heat flux and
evaporation; SPEEDY sums F / n over the n steps of a day in the model's arithmetic, as here.

Everything runs in the land component's format (`pipeline.models.speedy.components`): the
daily sum, the step, and the land temperature it holds. Paxton et al. (2022) found
stochastic rounding to matter most in this slow process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SECONDS_PER_DAY = 86400.0
ICE_ALBEDO_THRESHOLD = 0.4  # alb0 at or above it: an ice sheet


@dataclass(frozen=True)
class LandModelParameters:
    """SPEEDY's values (speedy.f90 ``land_model_init``)."""

    soil_depth: float = 1.0  # depth_soil, m
    ice_depth: float = 5.0  # depth_lice, m
    soil_heat_capacity: float = 2.50e6  # J m-3 K-1
    ice_heat_capacity: float = 1.93e6  # J m-3 K-1
    dissipation_days: float = 40.0  # tdland
    minimum_land_fraction: float = 1.0 / 3.0  # flandmin


@dataclass(frozen=True)
class LandModelConstants:
    """Fields (lon, lat) in the land component's format."""

    step_per_capacity: object  # r = 86400 s / C, K per (W m-2)
    damping: object  # c_d
    steps_fraction: object  # 1 / n, n the steps per day


def heat_capacity(bare_albedo, parameters: LandModelParameters = LandModelParameters()):
    """C (J m-2 K-1): soil, or land ice where alb0 >= 0.4."""
    p = parameters
    return np.where(np.asarray(bare_albedo, dtype=np.float64) < ICE_ALBEDO_THRESHOLD,
                    p.soil_depth * p.soil_heat_capacity, p.ice_depth * p.ice_heat_capacity)


def modelled(land_fraction, parameters: LandModelParameters = LandModelParameters()):
    """Where the land temperature is a prognostic: land fraction >= 1/3 (m = 1); elsewhere it
    stays at the climatology."""
    return np.asarray(land_fraction, dtype=np.float64) >= parameters.minimum_land_fraction


def land_model_constants(land_fraction, bare_albedo, steps_per_day: int, convert=np.asarray,
                         parameters: LandModelParameters = LandModelParameters()
                         ) -> LandModelConstants:
    """The constant fields, rounded once through ``convert``."""
    p = parameters
    m = modelled(land_fraction, p).astype(np.float64)
    tau = p.dissipation_days
    return LandModelConstants(convert(SECONDS_PER_DAY / heat_capacity(bare_albedo, p)),
                              convert(m * tau / (1.0 + m * tau)),
                              convert(np.float64(1.0 / steps_per_day)))


def land_heat_flux(shortwave_down, land_albedo, longwave_down, land_emission, sensible_heat,
                   latent_heat):
    """F, the net downward heat flux into the land (W m-2; every argument in W m-2 but the
    albedo): SW_down (1 - alpha_l) + LW_down - (emission + H + L E)."""
    return (shortwave_down * (1.0 - land_albedo) + longwave_down) - (
        land_emission + sensible_heat + latent_heat)


def accumulate(c: LandModelConstants, daily_sum, flux):
    """The day's running mean: sum + F / n (SPEEDY's hflux_l + hfluxn rsteps)."""
    return daily_sum + flux * c.steps_fraction


def advance(c: LandModelConstants, land_temperature, daily_mean_flux, climatology):
    """T_l one day on: T_c + c_d ((T_l - T_c) + r F) (the module docstring)."""
    anomaly = land_temperature - climatology
    return climatology + c.damping * (anomaly + c.step_per_capacity * daily_mean_flux)
