"""Hand-made soundings for the column tests of SPEEDY's physics: columns shaped
(member, level, lon, lat) = (n, 8, 1, 1) on SPEEDY's sigma levels."""

from __future__ import annotations

import numpy as np

from pipeline.models.speedy.physics.humidity import (saturation_constants,
                                                     saturation_specific_humidity)
from pipeline.models.speedy.vertical import SPEEDY_HALF_LEVELS, SigmaLevels

LEVELS = SigmaLevels(np.array(SPEEDY_HALF_LEVELS))
GAS_CONSTANT, HEAT_CAPACITY, GRAVITY = 287.0, 1004.0, 9.81


def column(values):
    """A per-level profile (K,) or profiles (n, K) as (n, K, 1, 1)."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    return values[:, :, None, None]


def constant_lapse_rate(surface_temperature, lapse_rate=0.0065, tropopause=200.0):
    """T(sigma) = T_s sigma^(R Gamma / g), no colder than ``tropopause`` (K, per level)."""
    profile = surface_temperature * LEVELS.full ** (GAS_CONSTANT * lapse_rate / GRAVITY)
    return np.maximum(profile, tropopause)


def geopotential_over_cp(temperature):
    """Phi / c_p (K) from the hydrostatic relation Phi = R G T with Phi_s = 0."""
    return GAS_CONSTANT / HEAT_CAPACITY * np.einsum("kr,nrij->nkij", LEVELS.hydrostatic,
                                                    temperature)


def humidity_at(relative_humidity, temperature, surface_pressure=1.0):
    """q (g/kg) at the given relative humidity (per level or scalar)."""
    rh = column(np.broadcast_to(relative_humidity, (temperature.shape[0], LEVELS.count))
                if np.ndim(relative_humidity) < 2 else relative_humidity)
    return rh * saturation(temperature, surface_pressure)


def saturation(temperature, surface_pressure=1.0):
    sigma = LEVELS.full[None, :, None, None]
    return saturation_specific_humidity(saturation_constants(), temperature,
                                        sigma * surface_pressure)


def tropical(surface_temperature=300.0, relative_humidity=(0.3, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85),
             lapse_rate=0.006):
    """A conditionally unstable, moist tropical sounding: (T, q, Phi/c_p)."""
    temperature = column(constant_lapse_rate(surface_temperature, lapse_rate))
    return temperature, humidity_at(np.array(relative_humidity), temperature), \
        geopotential_over_cp(temperature)


def stable(surface_temperature=280.0):
    """An inversion over a dry boundary layer: warmer air above, no convection possible."""
    temperature = column(surface_temperature + 15.0 * (1.0 - LEVELS.full))
    return temperature, humidity_at(0.3, temperature), geopotential_over_cp(temperature)
