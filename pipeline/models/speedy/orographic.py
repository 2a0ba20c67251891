"""SPEEDY's orographic correction of the horizontal diffusion of temperature and humidity.

Diffusing T and q along sigma surfaces over steep orography spreads the cold, dry air of
the mountain tops into the lowlands (and the reverse): spurious fluxes that have nothing to
do with the flow. SPEEDY (Molteni 2003, Clim. Dyn. 20, 175; ver41 ``indyns``/``fordate``,
speedy.f90 ``horizontal_diffusion.f90``, ``forcing.f90``, ``time_stepping.f90``) diffuses
instead the departures from a reference atmosphere that follows the orography:

    T + T_h(lambda, phi) T_v(sigma),   q + q_h(lambda, phi) q_v(sigma),

with a standard lapse rate gamma = 6 K/km,

    T_h = gamma Phi_s / g                          (K: the lowland-equivalent warming),
    T_v = sigma^(R gamma / g) at every level but the top one, where it is 0,
    q_h = RH_ref (q_s(T_ref, p_0) - q_s(T_s, p_s)),   RH_ref = 0.7,
          T_ref = T_s + T_h,   p_s / p_0 = (T_s / T_ref)^(g / (R gamma)),
    q_v = sigma^(H / H_q) (H = 7.5 km, H_q = 2.5 km) below the two top levels, else 0,

T_s the surface temperature (land and sea, SPEEDY's ``tsfc``) and q_s the saturation
humidity (g/kg, `pipeline.models.speedy.physics.humidity`). With Phi_s = 0 both terms vanish.
The corrections enter the implicit diffusion (`pipeline.models.speedy.core`): a field X
with damping factor d = 1 / (1 + 2 dt k) and correction C steps to d (X + C + 2 dt F) - C,
which is SPEEDY's (F - k (X + C)) / (1 + 2 dt k) tendency.
"""

from __future__ import annotations

import numpy as np

from pipeline.models.speedy.physics.humidity import (saturation_constants,
                                                     saturation_specific_humidity)

LAPSE_RATE = 6.0e-3  # K m-1, gamma (SPEEDY: 6 K/km)
PRESSURE_SCALE_HEIGHT = 7.5  # km, hscale
HUMIDITY_SCALE_HEIGHT = 2.5  # km, hshum
REFERENCE_RELATIVE_HUMIDITY = 0.7  # refrh1


def temperature_profile(sigma, gas_constant: float, gravity: float) -> np.ndarray:
    """T_v per full level (top first): sigma^(R gamma / g), 0 at the top level."""
    profile = np.asarray(sigma, dtype=np.float64) ** (gas_constant * LAPSE_RATE / gravity)
    profile[0] = 0.0
    return profile


def humidity_profile(sigma) -> np.ndarray:
    """q_v per full level (top first): sigma^(H / H_q), 0 at the two top levels."""
    profile = np.asarray(sigma, dtype=np.float64) ** (PRESSURE_SCALE_HEIGHT
                                                      / HUMIDITY_SCALE_HEIGHT)
    profile[:2] = 0.0
    return profile


def temperature_term(surface_geopotential, gravity: float) -> np.ndarray:
    """T_h (K) from Phi_s (m2 s-2): grid values or spectral coefficients, any shape."""
    return LAPSE_RATE / gravity * np.asarray(surface_geopotential)


def humidity_term(surface_temperature, surface_geopotential, gas_constant: float,
                  gravity: float) -> np.ndarray:
    """q_h (g/kg) from T_s (K) and Phi_s (m2 s-2), shapes that broadcast."""
    surface_temperature = np.asarray(surface_temperature, dtype=np.float64)
    reference = surface_temperature + temperature_term(surface_geopotential, gravity)
    pressure = (surface_temperature / reference) ** (gravity / (gas_constant * LAPSE_RATE))
    constants = saturation_constants()
    return REFERENCE_RELATIVE_HUMIDITY * (
        saturation_specific_humidity(constants, reference, 1.0)
        - saturation_specific_humidity(constants, surface_temperature, pressure))
