"""What the physics needs of the sigma levels: thicknesses, interpolation to half levels and
extrapolation to the surface, and the factor that turns a layer's flux convergence into a
tendency.

Levels are numbered k = 0..K-1 from the top (0-based here; SPEEDY counts 1..K), half level
k + 1/2 lies below full level k. Values at a half level between full levels k and k + 1 are
interpolated linearly in ln(sigma) (SPEEDY's ``wvi``; Molteni 2003, Clim. Dyn. 20, 175):

    X_{k+1/2} = X_k + w_k (X_{k+1} - X_k),   w_k = ln(sigma_{k+1/2} / sigma_k) / ln(sigma_{k+1} / sigma_k),

and the near-surface value (sigma = 0.99) is extrapolated from the two lowest levels:

    X_s = X_{K-1} + w_s (X_{K-1} - X_{K-2}),   w_s = ln(0.99 / sigma_{K-1}) / ln(sigma_{K-1} / sigma_{K-2}).

A flux F into layer k (energy in W m-2, water in g m-2 s-1, momentum in N m-2) changes the
layer's mean by dX/dt = F g / (p_0 p_s dsigma_k) per unit of X's mass-specific content
(Molteni 2003, section 2; SPEEDY's ``grdsig``), with p_s normalised by p_0.
"""

from __future__ import annotations

import numpy as np

from pipeline.models.speedy.vertical import SigmaLevels

NEAR_SURFACE_SIGMA = 0.99
GRAVITY = 9.81  # m s-2 (SPEEDY)
REFERENCE_PRESSURE = 1e5  # p_0, Pa


def half_level_weights(levels: SigmaLevels) -> np.ndarray:
    """w_k for k = 0..K-2 (float64)."""
    log_full, log_half = np.log(levels.full), np.log(levels.half[1:-1])
    return (log_half - log_full[:-1]) / (log_full[1:] - log_full[:-1])


def surface_weight(levels: SigmaLevels) -> float:
    """w_s: extrapolation from the two lowest levels to sigma = 0.99."""
    log_full = np.log(levels.full)
    return float((np.log(NEAR_SURFACE_SIGMA) - log_full[-1]) / (log_full[-1] - log_full[-2]))


def layer_mass(levels: SigmaLevels) -> np.ndarray:
    """p_0 dsigma_k / g (kg m-2 per unit of normalised surface pressure), float64."""
    return REFERENCE_PRESSURE * levels.thickness / GRAVITY


def at_half_level(values, k: int, weights) -> object:
    """X_{k+1/2} from a field with levels on axis 1: X_k + w_k (X_{k+1} - X_k)."""
    return values[:, k] + weights[k] * (values[:, k + 1] - values[:, k])


def stack_levels(fields) -> object:
    """A list of per-level fields (member, lon, lat) as one (member, level, lon, lat) array."""
    return np.stack(fields, axis=1)


def rounded_list(values, convert) -> list[float]:
    """Each value passed through ``convert`` (rounding to the run's format), as Python floats:
    level-wise constants enter the column loops as scalars."""
    return [float(convert(np.float64(v))) for v in np.ravel(values)]
