"""Saturation specific humidity (Tetens' formula over water and over ice), in g/kg.

Tetens (1930, Z. Geophys. 6, 297) in the form and with the constants of Murray (1967, J.
Appl. Meteor. 6, 203, eqs. 6-7), as SPEEDY uses them (Molteni 2003, Clim. Dyn. 20, 175,
appendix; speedy.f90 ``humidity.f90``):

    e_s(T) = e_0 exp(a (T - T_0) / (T - b)),   e_0 = 6.108 hPa, T_0 = 273.16 K,
    over water (T >= T_0): a = 17.269, b = 35.86 K;   over ice (T < T_0): a = 21.875, b = 7.66 K,

and the saturation specific humidity at pressure p (eps = 0.622, the ratio of the gas
constants of dry air and water vapour),

    q_s = 1000 eps e_s / (p - (1 - eps) e_s)   g/kg.

Pressures are normalised by p_0 = 1000 hPa, as in SPEEDY (p = sigma p_s / p_0), so e_0 enters
as 6.108e-3.

Precision: the numerator is evaluated as (1000 eps e_0) exp(...) = 3.799 exp(...) so that no
intermediate value is as small as e_s / p_0 (1.5e-6 at 200 K, a subnormal number in float16's
widths); the correction (1 - eps) e_s in the denominator is at most 4 % of p.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

TRIPLE_POINT = 273.16  # K, T_0
VAPOUR_PRESSURE_AT_TRIPLE_POINT = 6.108e-3  # e_0 / p_0
EPSILON = 0.622  # R_d / R_v
WATER = (17.269, 35.86)  # (a, b) over liquid water
ICE = (21.875, 7.66)  # (a, b) over ice


@dataclass(frozen=True)
class SaturationConstants:
    """Tetens' constants rounded to the run's format once (see `saturation_constants`)."""

    triple_point: float
    a_water: float
    b_water: float
    a_ice: float
    b_ice: float
    numerator: float  # 1000 eps e_0: g/kg per unit of exp(...) at p = p_0
    denominator: float  # (1 - eps) e_0


def saturation_constants(convert=np.asarray) -> SaturationConstants:
    """The constants of `saturation_specific_humidity`, each passed through ``convert``
    (rounding to the run's format; the identity for float64)."""
    c = lambda value: float(convert(value))  # noqa: E731
    return SaturationConstants(
        c(TRIPLE_POINT), c(WATER[0]), c(WATER[1]), c(ICE[0]), c(ICE[1]),
        c(1000.0 * EPSILON * VAPOUR_PRESSURE_AT_TRIPLE_POINT),
        c((1.0 - EPSILON) * VAPOUR_PRESSURE_AT_TRIPLE_POINT))


def saturation_specific_humidity(constants: SaturationConstants, temperature, pressure):
    """q_s (g/kg) from temperature (K) and normalised pressure p / p_0, any shapes that
    broadcast; over water at and above T_0 and over ice below it."""
    c = constants
    over_water = temperature >= c.triple_point
    a = np.where(over_water, c.a_water, c.a_ice)
    b = np.where(over_water, c.b_water, c.b_ice)
    growth = np.exp(a * (temperature - c.triple_point) / (temperature - b))  # e_s / e_0
    return c.numerator * growth / (pressure - c.denominator * growth)


def relative_humidity(humidity, saturation_humidity):
    """q / q_s (dimensionless)."""
    return humidity / saturation_humidity
