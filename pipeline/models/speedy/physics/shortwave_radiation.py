"""Shortwave radiation: daily-mean insolation, SPEEDY's two-band scheme with ozone, water
vapour, clouds and surface albedo (Molteni 2003, Clim. Dyn. 20, 175, section 3e;
speedy.f90 ``shortwave_radiation.f90``).

Insolation at the top of the atmosphere, daily mean (Hartmann 1994, "Global Physical
Climatology", eqs. 2.15-2.17): with declination delta, latitude phi and the hour angle of
sunset h_0 (cos h_0 = -tan phi tan delta, clipped to [-1, 1]),

    S = (S_0 / pi) (d_0/d)^2 (h_0 sin phi sin delta + cos phi cos delta sin h_0),

which at equinox (delta = 0, d = d_0) is S_0 cos(phi) / pi, with a global mean of S_0 / 4.
Ozone absorbs eps_o3 = 0.02 of it in the stratosphere, 0.01 above sigma = 0.05 and
0.008 (1 + c_s sin phi + 1.8 (1.5 sin^2 phi - 0.5)) S below (c_s the seasonal asymmetry;
0 at equinox), and the absorptivities are scaled for the slant path by
z = 1 + (1 - cos(phi - delta_z))^2 (delta_z the latitude of the overhead sun; SPEEDY's zenith
correction).

Two bands: visible (0.95 of S) and near infrared (0.05). Each layer k transmits

    visible:  tau_k = exp(-z p_s dsigma_k (a_dry + a_aer sigma_k^2 + a_wv q_k + a_cl)),
    near IR:  tau'_k = exp(-z p_s dsigma_k a_wv' q_k),

(a_cl = CC min(0.015 q_cl, 0.15) in the cloudy layers from the cloud top down to K-2; the
near-IR band is not absorbed in the top layer nor reflected anywhere). The downward visible
beam is reflected by the cloud top (albedo 0.43 CC) and by stratocumulus in the lowest layer
(0.5 CL), and by the surface (its albedo); the reflected beam travels up through the same
transmissivities, adding the cloud reflections on its way. All fluxes in W m-2, positive
downward for net fluxes; each layer's absorption is what it gains.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.levels import rounded_list, stack_levels
from pipeline.models.speedy.vertical import SigmaLevels

SOLAR_CONSTANT = 1368.0  # W m-2: SPEEDY's 4 x 342 (solc, the area mean)


@dataclass(frozen=True)
class ShortwaveParameters:
    """SPEEDY's values (speedy.f90 ``shortwave_radiation.f90``; Molteni 2003, table 2)."""

    cloud_albedo: float = 0.43  # albcl, for cloud cover 1
    stratiform_albedo: float = 0.50  # albcls, for stratocumulus cover 1
    near_infrared_fraction: float = 0.05  # fband2
    dry_air: float = 0.033  # absdry, per dp = 1e5 Pa (visible)
    aerosol: float = 0.033  # absaer (visible, times sigma^2)
    vapour_visible: float = 0.022  # abswv1, per g/kg
    vapour_near_infrared: float = 15.0  # abswv2, per g/kg
    cloud_per_humidity: float = 0.015  # abscl1, per g/kg of cloud humidity (visible)
    cloud_maximum: float = 0.15  # abscl2, cap of the cloud absorptivity


@dataclass(frozen=True)
class ShortwaveConstants:
    count: int
    thickness: list  # dsigma_k
    visible_clear: list  # a_dry + a_aer sigma_k^2 (a_dry alone at k = 0)
    vapour_visible: float
    vapour_near_infrared: float
    cloud_per_humidity: float
    cloud_maximum: float
    cloud_albedo: float
    stratiform_albedo: float
    visible_fraction: float
    near_infrared_fraction: float


@dataclass
class ShortwaveResult:
    absorbed: object  # (member, K, lon, lat), W m-2 gained by each layer
    surface_downward: object  # W m-2 reaching the surface (both bands)
    surface_net: object  # W m-2 absorbed by the surface
    top_net: object  # W m-2 net downward at the top (insolation minus reflection)


@dataclass(frozen=True)
class SolarForcing:
    """Zonal fields of the shortwave scheme (per latitude, W m-2 where a flux)."""

    insolation: np.ndarray  # S
    ozone_lower: np.ndarray  # absorbed in the layer at sigma 0.05..0.14, per unit p_s
    ozone_upper: np.ndarray  # absorbed in the top layer, per unit p_s
    zenith_factor: np.ndarray  # z
    polar_night_cooling: np.ndarray  # max(6 - S, 0), the longwave's stratospheric term


def daily_mean_insolation(mu, declination=0.0, distance_factor=1.0,
                          solar_constant=SOLAR_CONSTANT) -> np.ndarray:
    """S (W m-2) at mu = sin(latitude); see the module docstring (Hartmann 1994)."""
    sin_lat = np.asarray(mu, dtype=np.float64)
    cos_lat = np.sqrt(1.0 - sin_lat**2)
    cos_h0 = np.clip(-math.tan(declination) * sin_lat / cos_lat, -1.0, 1.0)
    h0 = np.arccos(cos_h0)
    return solar_constant / math.pi * distance_factor * (
        h0 * sin_lat * math.sin(declination) + cos_lat * math.cos(declination) * np.sin(h0))


def speedy_season(year_fraction: float) -> dict:
    """SPEEDY's seasonal arguments of `solar_forcing` for a time of year (0 = 1 January
    00 UTC): the declination and Earth-Sun distance factor from Spencer's (1971, Search 2(5),
    172) Fourier series, the ozone asymmetry max(0, cos a) and the latitude of the overhead
    sun -23.45 deg cos a, a = 2 pi (t + 10/365) the phase from the winter solstice."""
    alpha = 2.0 * math.pi * year_fraction
    c1, s1 = math.cos(alpha), math.sin(alpha)
    c2, s2 = math.cos(2 * alpha), math.sin(2 * alpha)
    c3, s3 = math.cos(3 * alpha), math.sin(3 * alpha)
    declination = (0.006918 - 0.399912 * c1 + 0.070257 * s1 - 0.006758 * c2 + 0.000907 * s2
                   - 0.002697 * c3 + 0.001480 * s3)
    distance = 1.000110 + 0.034221 * c1 + 0.001280 * s1 + 0.000719 * c2 + 0.000077 * s2
    phase = 2.0 * math.pi * (year_fraction + 10.0 / 365.0)
    return {"declination": declination, "distance_factor": distance,
            "ozone_season": max(0.0, math.cos(phase)),
            "overhead_latitude": -math.cos(phase) * math.radians(23.45)}


def solar_forcing(mu, declination=0.0, distance_factor=1.0, ozone_season=0.0,
                  overhead_latitude=0.0, solar_constant=SOLAR_CONSTANT,
                  ozone_absorption=0.02) -> SolarForcing:
    """SPEEDY's zonal shortwave fields (``get_zonal_average_fields``) for one day of the
    year, float64. Perpetual equinox: every seasonal argument at its default."""
    sin_lat = np.asarray(mu, dtype=np.float64)
    cos_lat = np.sqrt(1.0 - sin_lat**2)
    insolation = daily_mean_insolation(sin_lat, declination, distance_factor, solar_constant)
    zenith = 1.0 + (1.0 - (cos_lat * math.cos(overhead_latitude)
                           + sin_lat * math.sin(overhead_latitude))) ** 2
    upper = 0.5 * ozone_absorption * insolation * zenith
    lower = 0.4 * ozone_absorption * (1.0 + ozone_season * sin_lat
                                      + 1.8 * (1.5 * sin_lat**2 - 0.5)) * insolation * zenith
    return SolarForcing(insolation, lower, upper, zenith, np.maximum(6.0 - insolation, 0.0))


def shortwave_constants(levels: SigmaLevels, parameters: ShortwaveParameters = ShortwaveParameters(),
                        convert=np.asarray) -> ShortwaveConstants:
    p = parameters
    clear = p.dry_air + p.aerosol * levels.full**2
    clear[0] = p.dry_air
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    return ShortwaveConstants(
        levels.count, rounded_list(levels.thickness, convert), rounded_list(clear, convert),
        c(p.vapour_visible), c(p.vapour_near_infrared), c(p.cloud_per_humidity),
        c(p.cloud_maximum), c(p.cloud_albedo), c(p.stratiform_albedo),
        c(1.0 - p.near_infrared_fraction), c(p.near_infrared_fraction))


def shortwave_radiation(c: ShortwaveConstants, surface_pressure, humidity, cloud_cover,
                        cloud_top, stratiform_cover, cloud_humidity, insolation, ozone_lower,
                        ozone_upper, zenith_factor, albedo) -> ShortwaveResult:
    """Fluxes for columns (member, K, lon, lat) of q (g/kg) with p_s / p_0, cloud cover and
    top (int, K for none), stratocumulus and cloud humidity (member, lon, lat); the solar
    fields and the surface albedo broadcast against (member, lon, lat)."""
    ps, q = surface_pressure, humidity
    k_count = c.count
    slant = ps * zenith_factor
    cloud_absorption = cloud_cover * np.minimum(c.cloud_per_humidity * cloud_humidity,
                                                c.cloud_maximum)
    visible, near_ir = [], [None]
    for k in range(k_count):
        absorptivity = c.visible_clear[k]
        if k > 0:
            absorptivity = absorptivity + c.vapour_visible * q[:, k]
        if 0 < k < k_count - 1:
            absorptivity = absorptivity + np.where(k >= cloud_top, cloud_absorption,
                                                   0.0 * cloud_absorption)
        visible.append(np.exp(-(slant * c.thickness[k]) * absorptivity))
        if k > 0:
            near_ir.append(np.exp(-(slant * c.thickness[k]) * (c.vapour_near_infrared * q[:, k])))
    # Downward beams, visible then near infrared.
    beam = insolation * c.visible_fraction
    absorbed = [None] * k_count
    reflected = [0.0] * k_count
    for k, ozone in ((0, ozone_upper), (1, ozone_lower)):
        transmitted = visible[k] * (beam - ozone * ps)
        absorbed[k] = beam - transmitted
        beam = transmitted
    for k in range(2, k_count):
        if k == k_count - 1:
            albedo_k = c.stratiform_albedo * stratiform_cover
        else:
            albedo_k = np.where(k == cloud_top, c.cloud_albedo * cloud_cover, 0.0 * cloud_cover)
        reflected[k] = beam * albedo_k
        beam = beam - reflected[k]
        transmitted = visible[k] * beam
        absorbed[k] = beam - transmitted
        beam = transmitted
    infrared = insolation * c.near_infrared_fraction
    for k in range(1, k_count):
        transmitted = near_ir[k] * infrared
        absorbed[k] = absorbed[k] + (infrared - transmitted)
        infrared = transmitted
    # The surface absorbs the near infrared and reflects part of the visible beam.
    surface_downward = beam + infrared
    upward = beam * albedo
    surface_net = surface_downward - upward
    for k in range(k_count - 1, -1, -1):
        transmitted = visible[k] * upward
        absorbed[k] = absorbed[k] + (upward - transmitted)
        upward = transmitted + reflected[k]
    return ShortwaveResult(stack_levels(absorbed), surface_downward, surface_net,
                           insolation - upward)
