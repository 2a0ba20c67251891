"""Held & Suarez (1994) idealised dry forcing (Bull. Amer. Meteor. Soc. 75, 1825,
doi:10.1175/1520-0477(1994)075<1825:APFTIO>2.0.CO;2).

Newtonian relaxation of temperature towards a zonally symmetric radiative equilibrium and
Rayleigh friction in the boundary layer:

    dT/dt = -k_T (T - T_eq),   dv/dt = -k_v v,
    T_eq = max(200 K, [315 K - dT_y sin^2(phi) - dtheta_z ln(p/p0) cos^2(phi)] (p/p0)^kappa),
    k_T = k_a + (k_s - k_a) max(0, (sigma - sigma_b)/(1 - sigma_b)) cos^4(phi),
    k_v = k_f max(0, (sigma - sigma_b)/(1 - sigma_b)),

with dT_y = 60 K, dtheta_z = 10 K, p0 = 1000 hPa, kappa = 2/7, k_a = 1/40 d-1, k_s = 1/4 d-1,
k_f = 1 d-1 and sigma_b = 0.7.
"""

from __future__ import annotations

import numpy as np

SECONDS_PER_DAY = 86400.0
SIGMA_B = 0.7
K_A, K_S, K_F = 1 / 40 / SECONDS_PER_DAY, 1 / 4 / SECONDS_PER_DAY, 1 / SECONDS_PER_DAY
DELTA_T_Y, DELTA_THETA_Z, T_SURFACE, T_STRATOSPHERE = 60.0, 10.0, 315.0, 200.0


def boundary_layer_weight(sigma):
    """max(0, (sigma - sigma_b) / (1 - sigma_b))."""
    return np.maximum(0.0, (np.asarray(sigma) - SIGMA_B) / (1.0 - SIGMA_B))


def friction_rate(sigma):
    """k_v (s-1) per level."""
    return K_F * boundary_layer_weight(sigma)


def relaxation_rate(sigma, mu):
    """k_T (s-1) on (level, latitude): levels on axis 0 of the result, latitudes last."""
    coslat4 = (1.0 - np.asarray(mu) ** 2) ** 2
    return K_A + (K_S - K_A) * boundary_layer_weight(sigma)[:, None] * coslat4[None, :]


def equilibrium_temperature(log_pressure_ratio, mu, kappa):
    """T_eq (K) from ln(p / p0) and mu = sin(latitude), broadcast together; any precision."""
    sin2 = mu * mu
    cos2 = 1.0 - sin2
    profile = (T_SURFACE - DELTA_T_Y * sin2) - (DELTA_THETA_Z * cos2) * log_pressure_ratio
    return np.maximum(T_STRATOSPHERE, profile * np.exp(kappa * log_pressure_ratio))
