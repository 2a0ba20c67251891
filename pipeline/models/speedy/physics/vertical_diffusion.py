"""Vertical diffusion: shallow convection, moisture diffusion and dry-adiabatic adjustment
(Molteni 2003, Clim. Dyn. 20, 175, section 3g; speedy.f90 ``vertical_diffusion.f90``).

Written as fluxes F between layers (what each layer gains; energies as s = T + Phi/c_p in K,
so energy fluxes in K kg m-2 s-1, water in g m-2 s-1), with M_k = p_0 p_s dsigma_k / g the
mass of layer k. Levels 0..K-1 from the top, K-1 the boundary layer.

* Shallow convection between the boundary layer and the layer above, where the moist static
  energy of the boundary layer exceeds the saturation one above,
  dh = s_{K-1} - s_{K-2} + (L/c_p)(q_{K-1} - q_s,{K-2}) >= 0: energy F = f M_{K-1} dh / tau_shc
  moves up, and, where RH_{K-1} >= RH_{K-2}, moisture F = f M_{K-1} q_s,{K-1} (RH_{K-1} -
  RH_{K-2}) / tau_shc (tau_shc = 6 h; f = 0.5 where deep convection is active, else 1).
* Otherwise, and between layers above sigma = 0.5 (half levels below it), moisture diffuses
  up where RH falls faster with height than 0.5 per unit sigma:
  F = (p_0 p_s / g) c_vdi sigma_{k+1/2} q_s,k (RH_{k+1} - RH_k) / tau_vdi, tau_vdi = 24 h,
  c_vdi = (sigma_{K-3/2} - sigma_{1/2}) / (K - 2).
* Where the lapse rate is close to or beyond the dry adiabat, s_k < s_{k+1} + 0.1 (Phi_k -
  Phi_{k+1})/c_p, layer k is warmed by F = (p_0 p_s / g) c_vdi (s_ref - s_k) / tau_vds
  (tau_vds = 6 h) and every layer below it cooled in proportion to its mass, which
  conserves the column's enthalpy.

SPEEDY's scheme has no momentum diffusion: the surface stress acts on the lowest layer only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.convection import LATENT_HEAT_PER_CP
from pipeline.models.speedy.physics.levels import layer_mass, rounded_list, stack_levels
from pipeline.models.speedy.physics.levels import GRAVITY, REFERENCE_PRESSURE
from pipeline.models.speedy.vertical import SigmaLevels


@dataclass(frozen=True)
class VerticalDiffusionParameters:
    """SPEEDY's values (Molteni 2003, table 1)."""

    shallow_convection_hours: float = 6.0  # trshc
    moisture_diffusion_hours: float = 24.0  # trvdi
    adiabatic_adjustment_hours: float = 6.0  # trvds
    deep_convection_reduction: float = 0.5  # redshc
    humidity_gradient: float = 0.5  # rhgrad, d RH / d sigma
    static_energy_gradient: float = 0.1  # segrad, d s / d Phi


@dataclass(frozen=True)
class VerticalDiffusionConstants:
    count: int
    shallow_rate: float  # M_{K-1} / (p_s tau_shc), kg m-2 s-1
    deep_convection_reduction: float
    latent_heat: float
    boundary_gradient: float  # 0.5 (sigma_{K-1} - sigma_{K-2})
    moisture_rates: list  # (p_0 / g) c_vdi sigma_{k+1/2} / tau_vdi per half level k+1/2
    humidity_gradients: list  # 0.5 (sigma_{k+1} - sigma_k)
    diffused_levels: list  # k with sigma_{k+1/2} > 0.5, 2 <= k <= K-3
    adjustment_rate: float  # (p_0 / g) c_vdi / tau_vds
    static_energy_gradient: float
    redistribution: object  # (K, K - 1): +1 on the diagonal, -dsigma_i / (1 - sigma_{k+1/2}) below


@dataclass
class VerticalDiffusionResult:
    energy: object  # (member, K, lon, lat), K kg m-2 s-1
    water: object  # g m-2 s-1


def vertical_diffusion_constants(levels: SigmaLevels,
                                 parameters: VerticalDiffusionParameters = VerticalDiffusionParameters(),
                                 convert=np.asarray) -> VerticalDiffusionConstants:
    p = parameters
    k = levels.count
    full, half, thickness = levels.full, levels.half, levels.thickness
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    diffusivity = (half[k - 1] - half[1]) / ((k - 2) * 3600.0)  # c_vdi per hour -> s
    per_area = REFERENCE_PRESSURE / GRAVITY
    moisture = per_area * diffusivity * half[1:] / p.moisture_diffusion_hours
    gradients = p.humidity_gradient * np.diff(full)
    redistribution = np.zeros((k, k - 1))  # [i, j]: what layer i gains of adjustment flux j
    for j in range(k - 1):
        redistribution[j, j] = 1.0
        redistribution[j + 1:, j] = -thickness[j + 1:] / (1.0 - half[j + 1])
    return VerticalDiffusionConstants(
        k, c(layer_mass(levels)[-1] / (p.shallow_convection_hours * 3600.0)),
        c(p.deep_convection_reduction), c(LATENT_HEAT_PER_CP), c(gradients[-1]),
        rounded_list(moisture, convert), rounded_list(gradients, convert),
        [j for j in range(2, k - 2) if half[j + 1] > 0.5],
        c(per_area * diffusivity / p.adiabatic_adjustment_hours), c(p.static_energy_gradient),
        convert(redistribution))


def vertical_diffusion(c: VerticalDiffusionConstants, surface_pressure, dry_static_energy,
                       relative_humidity, humidity, saturation_humidity, geopotential,
                       deep_convection) -> VerticalDiffusionResult:
    """Fluxes for columns (member, K, lon, lat) of s and Phi/c_p (K), RH, q and q_s (g/kg);
    ``deep_convection`` is a boolean (member, lon, lat) field."""
    s, rh, q, qs, phi, ps = (dry_static_energy, relative_humidity, humidity, saturation_humidity,
                             geopotential, surface_pressure)
    low, above = c.count - 1, c.count - 2
    zero = 0.0 * ps
    energy = [zero] * c.count
    water = [zero] * c.count
    # Shallow convection, or moisture diffusion, between the boundary layer and the layer above.
    excess = (s[:, low] - s[:, above]) + c.latent_heat * (q[:, low] - qs[:, above])
    gradient = rh[:, low] - rh[:, above]
    shallow = excess >= 0.0
    rate = np.where(np.asarray(deep_convection), c.deep_convection_reduction, 1.0) \
        * (c.shallow_rate * ps)
    lifted = np.where(shallow, rate * excess, zero)
    moistening = np.where(shallow & (gradient >= 0.0), rate * (qs[:, low] * gradient),
                          np.where(~shallow & (gradient > c.boundary_gradient),
                                   (c.moisture_rates[above] * ps) * (qs[:, above] * gradient),
                                   zero))
    energy[above], energy[low] = lifted, -lifted
    water[above], water[low] = moistening, -moistening
    # Moisture diffusion in the lower free troposphere.
    for k in c.diffused_levels:
        gradient = rh[:, k + 1] - rh[:, k]
        flux = np.where(gradient >= c.humidity_gradients[k],
                        (c.moisture_rates[k] * ps) * (qs[:, k] * gradient), zero)
        water[k] = water[k] + flux
        water[k + 1] = water[k + 1] - flux
    # Damping of super-adiabatic lapse rates: layer k (0..K-2) warms by F_k, the layers below
    # it cool by F_k in proportion to their mass (a matrix product over the levels).
    reference = s[:, 1:] + c.static_energy_gradient * (phi[:, :-1] - phi[:, 1:])
    flux = np.where(s[:, :-1] < reference, (c.adjustment_rate * ps[:, None]) * (reference - s[:, :-1]),
                    0.0 * reference)
    shape = flux.shape
    adjustment = (c.redistribution @ flux.reshape(shape[:2] + (-1,))).reshape(
        (shape[0], c.count) + shape[2:])
    return VerticalDiffusionResult(stack_levels(energy) + adjustment, stack_levels(water))
