"""Large-scale condensation: relaxation of supersaturation (Molteni 2003, Clim. Dyn. 20, 175,
section 3c; speedy.f90 ``large_scale_condensation.f90``).

Where humidity exceeds a sigma-dependent fraction of saturation,

    RH_ref(sigma) = 0.9 + 0.1 (sigma^2 - 1)   (at least 0.95 in the boundary layer),

it condenses over tau_lsc = 4 h, in every layer but the top one:

    C_k = (p_0 p_s dsigma_k / g) min(q - RH_ref q_s, q_lim sigma_k^2 p_s^2) / tau_lsc   if q > RH_ref q_s,

in g m-2 s-1, with q_lim = 10 g/kg: SPEEDY's cap on the rate that avoids grid-point storms.
The condensate falls out at once: the layer loses C_k of water, gains (L/c_p) C_k of energy
(in K kg m-2 s-1, that is W m-2 / c_p), and the large-scale precipitation is P = sum_k C_k.

One difference from speedy.f90: there the cap limits the latent heating only, not the drying,
so whenever it binds the column loses more latent heat than it gains sensible heat. Here the
cap limits the condensation itself, so heating equals L P always (moist static energy is
conserved, which the column tests check).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.convection import LATENT_HEAT_PER_CP
from pipeline.models.speedy.physics.levels import layer_mass
from pipeline.models.speedy.vertical import SigmaLevels


@dataclass(frozen=True)
class CondensationParameters:
    """SPEEDY's values (Molteni 2003, table 1)."""

    relaxation_hours: float = 4.0  # trlsc, tau_lsc
    surface_humidity: float = 0.9  # rhlsc, RH_ref at sigma = 1
    humidity_range: float = 0.1  # drhlsc
    boundary_layer_humidity: float = 0.95  # rhblsc, lower bound of RH_ref in the lowest layer
    maximum_excess: float = 10.0  # qsmax, q_lim in g/kg


@dataclass(frozen=True)
class CondensationConstants:
    count: int
    reference_humidity: object  # RH_ref per level, (K, 1, 1)
    excess_cap: object  # q_lim sigma_k^2, g/kg, (K, 1, 1)
    rate: object  # p_0 dsigma_k / (g tau_lsc), kg m-2 s-1 per unit p_s, (K, 1, 1)
    condensing_levels: object  # (K, 1, 1) bool: every level but the top one
    latent_heat: float


@dataclass
class CondensationResult:
    energy: object  # (member, K, lon, lat), K kg m-2 s-1
    water: object  # g m-2 s-1
    precipitation: object  # (member, lon, lat), g m-2 s-1
    cloud_top: np.ndarray  # int: the highest condensing level, or the given top if lower


def condensation_constants(levels: SigmaLevels,
                           parameters: CondensationParameters = CondensationParameters(),
                           convert=np.asarray) -> CondensationConstants:
    p = parameters
    sigma2 = levels.full**2
    reference = p.surface_humidity + p.humidity_range * (sigma2 - 1.0)
    reference[-1] = max(reference[-1], p.boundary_layer_humidity)
    column = (levels.count, 1, 1)
    return CondensationConstants(
        levels.count, convert(reference.reshape(column)),
        convert((p.maximum_excess * sigma2).reshape(column)),
        convert((layer_mass(levels) / (p.relaxation_hours * 3600.0)).reshape(column)),
        (np.arange(levels.count) > 0).reshape(column), float(convert(np.float64(LATENT_HEAT_PER_CP))))


def large_scale_condensation(c: CondensationConstants, surface_pressure, humidity,
                             saturation_humidity, cloud_top=None) -> CondensationResult:
    """Condensation fluxes for columns (member, K, lon, lat); ``surface_pressure`` is
    p_s / p_0 (member, lon, lat), humidities in g/kg. ``cloud_top`` (from convection) is
    lowered to the highest condensing level."""
    ps = surface_pressure[:, None]
    excess = humidity - c.reference_humidity * saturation_humidity
    condensing = (excess > 0.0) & c.condensing_levels
    rate = np.where(condensing, (c.rate * ps) * np.minimum(excess, c.excess_cap * (ps * ps)),
                    0.0 * excess)
    highest = np.where(condensing.any(axis=1), condensing.argmax(axis=1), c.count)
    top = highest if cloud_top is None else np.minimum(np.asarray(cloud_top), highest)
    return CondensationResult(c.latent_heat * rate, -rate, rate.sum(axis=1), top)
