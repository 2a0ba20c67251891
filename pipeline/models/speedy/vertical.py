"""Sigma levels and the vertical discretisation of the primitive equations.

Levels are numbered k = 1..K from the top; half level k + 1/2 lies below full level k, with
sigma_{1/2} = 0 and sigma_{K+1/2} = 1. Full levels are midpoints, sigma_k = (sigma_{k-1/2} +
sigma_{k+1/2}) / 2, and layer thicknesses dsigma_k = sigma_{k+1/2} - sigma_{k-1/2}, as in SPEEDY
(Molteni 2003, Clim. Dyn. 20, 175; Kucharski et al. 2013, "SPEEDY v41" documentation).

Continuity in sigma coordinates, with Dbar_k = D_k + u_k . grad(ln p_s) and
S_{k+1/2} = sum_{r <= k} dsigma_r Dbar_r:

    d ln p_s / dt = -S_{K+1/2},
    sigmadot_{k+1/2} = sigma_{k+1/2} S_{K+1/2} - S_{k+1/2},
    (omega / p)_k = u_k . grad(ln p_s) - (S_{k-1/2} + dsigma_k Dbar_k / 2) / sigma_k.

Hydrostatic balance (Simmons & Burridge 1981, Mon. Wea. Rev. 109, 758, eq. 2.11-2.12 in
sigma form): Phi_{k+1/2} = Phi_s + R sum_{r > k} T_r ln(sigma_{r+1/2} / sigma_{r-1/2}) and
Phi_k = Phi_{k+1/2} + R T_k ln(sigma_{k+1/2} / sigma_k); that is Phi = Phi_s + R G T.

Vertical advection at full levels (centred; SPEEDY's form):

    (sigmadot dX/dsigma)_k = [sigmadot_{k+1/2} (X_{k+1} - X_k) + sigmadot_{k-1/2} (X_k - X_{k-1})] / (2 dsigma_k).
"""

from __future__ import annotations

import numpy as np

SPEEDY_HALF_LEVELS = (0.0, 0.05, 0.14, 0.26, 0.42, 0.6, 0.77, 0.9, 1.0)


def parse_half_levels(text: str) -> np.ndarray:
    """Half levels from a comma-separated string; empty means SPEEDY's eight layers."""
    if not text.strip():
        return np.array(SPEEDY_HALF_LEVELS)
    return np.array([float(part) for part in text.split(",")])


def check_half_levels(half: np.ndarray) -> str | None:
    if half.size < 2 or half[0] != 0.0 or half[-1] != 1.0 or np.any(np.diff(half) <= 0):
        return ("sigma_half_levels must increase strictly from 0 to 1, e.g. "
                "'0,0.05,0.14,0.26,0.42,0.6,0.77,0.9,1'")
    return None


class SigmaLevels:
    """Full and half sigma levels, thicknesses and the hydrostatic matrix G (K x K)."""

    def __init__(self, half: np.ndarray):
        self.half = np.asarray(half, dtype=np.float64)
        self.full = 0.5 * (self.half[1:] + self.half[:-1])
        self.thickness = np.diff(self.half)
        self.count = self.full.size

    @property
    def hydrostatic(self) -> np.ndarray:
        """G with Phi = Phi_s + R G T (see the module docstring)."""
        k = self.count
        g = np.zeros((k, k))
        for level in range(k):
            g[level, level] = np.log(self.half[level + 1] / self.full[level])
            for below in range(level + 1, k):
                g[level, below] = np.log(self.half[below + 1] / self.half[below])
        return g


def continuity(divergence_bar, thickness, half, full):
    """(d ln p_s/dt, sigmadot at interior half levels, omega/p minus u.grad ln p_s).

    ``divergence_bar`` is Dbar with levels on axis 1; the level-wise constants come as
    arrays shaped to broadcast against it (K, 1, 1) or (K - 1, 1, 1).
    """
    partial = np.cumsum(thickness * divergence_bar, axis=1)  # S_{k+1/2}
    total = partial[:, -1:]
    sigmadot = half * total - partial[:, :-1]
    above = np.concatenate((0.0 * total, partial[:, :-1]), axis=1)  # S_{k-1/2}
    omega_part = -(above + 0.5 * thickness * divergence_bar) / full
    return -total, sigmadot, omega_part


def vertical_advection(values, sigmadot, inverse_double_thickness):
    """(sigmadot dX/dsigma)_k on full levels (axis 1), zero flux through top and bottom."""
    flux = sigmadot * (values[:, 1:] - values[:, :-1])  # at interior half levels
    zero = 0.0 * values[:, :1]
    return (np.concatenate((flux, zero), axis=1) + np.concatenate((zero, flux), axis=1)) \
        * inverse_double_thickness
