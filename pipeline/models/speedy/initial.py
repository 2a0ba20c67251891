"""Initial states: analytic test cases of the dynamical-core community, on the Gaussian grid.

All functions take longitudes and mu = sin(latitude) broadcast as (nlon, nlat) arrays and
return physical fields (m s-1, K, Pa, m2 s-2).
"""

from __future__ import annotations

import numpy as np

# Jablonowski & Williamson (2006), Q. J. R. Meteorol. Soc. 132, 2943, doi:10.1256/qj.06.12,
# section 2 and table 1.
JW_ETA0, JW_ETAT, JW_U0, JW_T0 = 0.252, 0.2, 35.0, 288.0
JW_LAPSE, JW_DELTA_T = 0.005, 4.8e5
JW_CENTRE = (np.pi / 9, 2 * np.pi / 9)  # (lambda_c, phi_c): 20 E, 40 N
JW_PERTURBATION = 1.0  # u_p, m s-1


def jablonowski_williamson(longitude, mu, sigma, radius, rotation, gas_constant, gravity,
                           perturbed=True):
    """(u, v, T, Phi_s) of the balanced baroclinic-wave state with p_s = 1000 hPa, on levels
    ``sigma`` (= eta, since p_s is uniform), optionally with the zonal-wind perturbation
    u' = u_p exp(-(r/R)^2), R = a/10, centred at (20 E, 40 N); equations (2)-(12) of JW06.
    Shapes: (K, nlon, nlat) for u, v, T and (nlon, nlat) for Phi_s."""
    sin = mu
    cos = np.sqrt(1.0 - mu**2)
    eta = np.asarray(sigma, dtype=np.float64)[:, None, None]
    eta_v = (eta - JW_ETA0) * np.pi / 2
    u = JW_U0 * np.cos(eta_v) ** 1.5 * (2 * sin * cos) ** 2 * np.ones_like(longitude)
    mean_t = JW_T0 * eta ** (gas_constant * JW_LAPSE / gravity)
    mean_t = mean_t + np.where(eta < JW_ETAT, JW_DELTA_T * (JW_ETAT - eta) ** 5, 0.0)
    shape_a = -2 * sin**6 * (cos**2 + 1 / 3) + 10 / 63
    shape_b = 8 / 5 * cos**3 * (sin**2 + 2 / 3) - np.pi / 4
    temperature = mean_t + 0.75 * eta * np.pi * JW_U0 / gas_constant * np.sin(eta_v) \
        * np.sqrt(np.cos(eta_v)) * (shape_a * 2 * JW_U0 * np.cos(eta_v) ** 1.5
                                     + shape_b * radius * rotation)
    surface_v = (1 - JW_ETA0) * np.pi / 2
    surface_geopotential = JW_U0 * np.cos(surface_v) ** 1.5 * (
        shape_a * JW_U0 * np.cos(surface_v) ** 1.5 + shape_b * radius * rotation)
    if perturbed:
        lam_c, phi_c = JW_CENTRE
        arc = np.clip(np.sin(phi_c) * sin + np.cos(phi_c) * cos * np.cos(longitude - lam_c), -1, 1)
        u = u + JW_PERTURBATION * np.exp(-((10 * np.arccos(arc)) ** 2))
    return u, np.zeros_like(u), temperature * np.ones_like(longitude), \
        surface_geopotential * np.ones_like(longitude)


def rossby_haurwitz_vorticity(longitude, mu, wavenumber=4, omega=7.848e-6, amplitude=7.848e-6):
    """Relative vorticity (s-1) of the Rossby-Haurwitz wave (Williamson et al. 1992, J.
    Comput. Phys. 102, 211, test case 6): psi = -a^2 omega mu + a^2 K cos^R(phi) mu cos(R lambda),
    zeta = 2 omega mu - K mu cos^R(phi) (R^2 + 3R + 2) cos(R lambda)."""
    r = wavenumber
    cos = np.sqrt(1.0 - mu**2)
    return 2 * omega * mu - amplitude * mu * cos**r * (r * r + 3 * r + 2) * np.cos(r * longitude)


def rossby_haurwitz_phase_speed(wavenumber=4, omega=7.848e-6, rotation=7.292e-5):
    """Angular phase speed (rad s-1, eastward) of the pattern in the non-divergent barotropic
    vorticity equation (Haurwitz 1940): nu = [R (3 + R) omega - 2 Omega] / [(1 + R)(2 + R)]."""
    r = wavenumber
    return (r * (3 + r) * omega - 2 * rotation) / ((1 + r) * (2 + r))


# Ullrich, Melvin, Jablonowski & Staniforth (2014), Q. J. R. Meteorol. Soc. 140, 1590, and the
# DCMIP 2016 moist baroclinic wave: q0, phi_w, p_w, the cut-off p/p0 and q above it.
MOIST_Q0, MOIST_LATITUDE_WIDTH, MOIST_PRESSURE_WIDTH = 0.018, 2 * np.pi / 9, 34000.0
MOIST_CUTOFF, MOIST_Q_ABOVE = 0.1, 1e-12


def moist_baroclinic_humidity(mu, pressure, reference_pressure=1e5):
    """Specific humidity (kg kg-1) of the DCMIP 2016 moist baroclinic wave:
    q = q0 exp(-(phi/phi_w)^4) exp(-((p/p0 - 1) p0/p_w)^2) where p/p0 > 0.1, else 1e-12,
    with q0 = 0.018, phi_w = 2 pi/9 (40 degrees), p_w = 340 hPa. ``pressure`` in Pa,
    broadcast against ``mu``."""
    latitude = np.arcsin(mu)
    eta = np.asarray(pressure) / reference_pressure
    q = MOIST_Q0 * np.exp(-((latitude / MOIST_LATITUDE_WIDTH) ** 4)) \
        * np.exp(-(((eta - 1) * reference_pressure / MOIST_PRESSURE_WIDTH) ** 2))
    return np.where(eta > MOIST_CUTOFF, q, MOIST_Q_ABOVE)
