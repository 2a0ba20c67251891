"""Deep convection: SPEEDY's simplified mass-flux scheme (Molteni 2003, Clim. Dyn. 20, 175,
section 3b and appendix; a simplification of Tiedtke 1989, Mon. Wea. Rev. 117, 1779).

Notation (all energies divided by c_p, so in K; humidities q in g/kg; levels 0..K-1 from the
top, K-1 the boundary layer): dry static energy s = T + Phi/c_p, moist static energy
h = s + (L/c_p) q, saturation moist static energy h* = s + (L/c_p) q_s.

Trigger (where p_s > 0.8 p_0). Convection is possible where the boundary layer is
conditionally unstable: max(h_{K-1}, h*_{K-1}) > h*_{k+1/2} at some half level above
(tested from sigma ~ 0.4 up to ~0.25, levels K-4..2); the cloud top k_T is the highest such
level. It occurs if either the moist static energy of the two lowest levels exceeds h* up
there (convective instability: min(h_{K-1}, h_{K-2}) > h*_{k+1/2}), or both lowest levels
are moister than RH_bl = 0.9 of saturation. The boundary-layer humidity excess is

    dq = max(q_{K-1} - RH_bl q_s,{K-1}, (h_{K-1} - h*_thr) c_p/L)   (instability), or
    dq = q_{K-1} - RH_bl q_s,{K-1}                                   (moist boundary layer).

Closure: the cloud-base mass flux removes dq over tau_cnv = 6 h,

    M_b = (p_0 dsigma_{K-1} / (g tau_cnv)) f(p_s) min(5, dq / (q_max - q_b)),
    q_max = max(1.01 q_{K-1}, q_s,{K-1}),  f(p_s) = p_s min(1, (p_s - 0.8) / 0.1),

with q_b the humidity at the top of the boundary layer. Updraught fluxes leave the boundary
layer with (s_{K-1}, q_max); the compensating descent carries the half-level values down.
Between cloud base and top the updraught entrains e_k p_s M_b (e_k proportional to
(sigma_k - 0.5)^2 below sigma = 0.5, summing to 0.5) with the layer's s and q, and a
secondary moisture flux 0.8 M_b (0.7 q_s - q) moistens layers drier than RH = 0.7 at the
boundary layer's expense. At the top the updraught condenses down to saturation at the
half level below it, precipitates P = max(F_q - M q_s,{k_T+1/2}, 0) and detrains; the
latent heat L P warms the top layer.

Returns per-layer flux convergences (what each layer gains): energy in K kg m-2 s-1 (that
is W m-2 / c_p) and water in g m-2 s-1, with P in g m-2 s-1 (= 86.4 mm/day). Their column
sums are L/c_p P and -P (moist static energy is conserved).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.levels import (GRAVITY, REFERENCE_PRESSURE, at_half_level,
                                                   half_level_weights, rounded_list)
from pipeline.models.speedy.vertical import SigmaLevels

LATENT_HEAT_PER_CP = 2501.0 / 1004.0  # L / c_p, K per g/kg (SPEEDY: alhc = 2501 J/g, cp = 1004)


@dataclass(frozen=True)
class ConvectionParameters:
    """SPEEDY's values (speedy.f90 ``convection.f90``; Molteni 2003, table 1)."""

    minimum_surface_pressure: float = 0.8  # psmin, p_s / p_0 below which there is none
    relaxation_hours: float = 6.0  # trcnv, tau_cnv
    boundary_layer_humidity: float = 0.9  # rhbl, RH_bl
    secondary_humidity: float = 0.7  # rhil, RH threshold of the secondary moisture flux
    maximum_entrainment: float = 0.5  # entmax, total entrainment / cloud-base mass flux
    secondary_mass_flux: float = 0.8  # smf, secondary / primary mass flux at cloud base
    maximum_closure: float = 5.0  # fqmax, cap of dq / (q_max - q_b)


@dataclass(frozen=True)
class ConvectionConstants:
    count: int
    weights: list  # w_k (half-level interpolation), rounded
    weights_column: object  # the same as a (K - 1, 1, 1) array
    entrainment: list  # e_k, rounded (zero at the top and in the boundary layer)
    entrainment_column: object  # the same as a (K, 1, 1) array
    entraining_levels: object  # (K, 1, 1) bool: 1 <= k <= K - 2
    base_flux: float  # p_0 dsigma_{K-1} / (g tau_cnv), kg m-2 s-1
    minimum_surface_pressure: float
    pressure_ramp: float  # 1 / (1 - psmin) * 2
    boundary_layer_humidity: float
    secondary_humidity: float
    secondary_mass_flux: float
    maximum_closure: float
    supersaturation: float  # 1.01
    latent_heat: float  # L / c_p
    inverse_latent_heat: float


@dataclass
class ConvectionResult:
    energy: object  # (member, K, lon, lat), K kg m-2 s-1
    water: object  # (member, K, lon, lat), g m-2 s-1
    precipitation: object  # (member, lon, lat), g m-2 s-1
    cloud_top: np.ndarray  # int, level index of the top; K where there is no convection
    base_mass_flux: object  # kg m-2 s-1


def convection_constants(levels: SigmaLevels, parameters: ConvectionParameters = ConvectionParameters(),
                         convert=np.asarray) -> ConvectionConstants:
    p = parameters
    k = levels.count
    shape = np.maximum(0.0, levels.full - 0.5) ** 2
    shape[0] = shape[-1] = 0.0  # entrainment only in layers 1..K-2
    entrainment = p.maximum_entrainment * shape / shape.sum() if shape.sum() > 0 else shape
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    return ConvectionConstants(
        k, rounded_list(half_level_weights(levels), convert),
        convert(half_level_weights(levels).reshape((k - 1, 1, 1))), rounded_list(entrainment, convert),
        convert(entrainment.reshape((k, 1, 1))),
        ((np.arange(k) >= 1) & (np.arange(k) <= k - 2)).reshape((k, 1, 1)),
        c(REFERENCE_PRESSURE * levels.thickness[-1] / (GRAVITY * p.relaxation_hours * 3600.0)),
        c(p.minimum_surface_pressure), c(2.0 / (1.0 - p.minimum_surface_pressure)),
        c(p.boundary_layer_humidity), c(p.secondary_humidity), c(p.secondary_mass_flux),
        c(p.maximum_closure), c(1.01), c(LATENT_HEAT_PER_CP), c(1.0 / LATENT_HEAT_PER_CP))


def diagnose_convection(c: ConvectionConstants, surface_pressure, dry_static_energy, humidity,
                        saturation_humidity):
    """(cloud-top level, K where stable; boundary-layer humidity excess dq in g/kg, defined
    where convection occurs). See the module docstring for the trigger."""
    s, q, qs, w = dry_static_energy, humidity, saturation_humidity, c.weights
    bottom = c.count - 1
    saturated_mse = s + c.latent_heat * qs  # h*
    mse_boundary = s[:, bottom] + c.latent_heat * q[:, bottom]
    mse_low = np.minimum(mse_boundary, s[:, bottom - 1] + c.latent_heat * q[:, bottom - 1])
    parcel = np.maximum(mse_boundary, saturated_mse[:, bottom])
    top_conditional = np.full(np.shape(mse_boundary), bottom)
    top_convective = np.full(np.shape(mse_boundary), bottom)
    threshold = 0.0 * mse_boundary
    for k in range(bottom - 3, 1, -1):
        saturated_half = at_half_level(saturated_mse, k, w)
        top_conditional = np.where(parcel > saturated_half, k, top_conditional)
        convective = mse_low > saturated_half
        top_convective = np.where(convective, k, top_convective)
        threshold = np.where(convective, saturated_half, threshold)
    excess_boundary = q[:, bottom] - c.boundary_layer_humidity * qs[:, bottom]
    moist_boundary = (excess_boundary > 0.0) & (
        q[:, bottom - 1] > c.boundary_layer_humidity * qs[:, bottom - 1])
    unstable = (np.asarray(surface_pressure > c.minimum_surface_pressure)
                & (top_conditional < bottom))
    instability = top_convective < bottom
    active = unstable & (instability | moist_boundary)
    cloud_top = np.where(active, top_conditional, c.count)
    excess = np.where(instability, np.maximum(excess_boundary, (mse_boundary - threshold)
                                              * c.inverse_latent_heat), excess_boundary)
    return cloud_top, excess


def convection(c: ConvectionConstants, surface_pressure, dry_static_energy, humidity,
               saturation_humidity) -> ConvectionResult:
    """Fluxes of the mass-flux scheme for columns (member, K, lon, lat); ``surface_pressure``
    is p_s / p_0 (member, lon, lat), energies s in K, humidities in g/kg."""
    s, q, qs, w, ps = dry_static_energy, humidity, saturation_humidity, c.weights, surface_pressure
    bottom = c.count - 1
    cloud_top, excess = diagnose_convection(c, ps, s, q, qs)
    active = cloud_top < c.count
    # Cloud base: closure on the boundary-layer humidity excess.
    q_max = np.maximum(c.supersaturation * q[:, bottom], qs[:, bottom])
    q_half = np.minimum(at_half_level(q, bottom - 1, w), q[:, bottom])
    ramp = ps * np.minimum(1.0, (ps - c.minimum_surface_pressure) * c.pressure_ramp)
    closure = np.minimum(c.maximum_closure, excess / (q_max - q_half))
    base_mass = np.where(active, c.base_flux * ramp * closure, 0.0 * ps)
    # Above the base, with E_k = e_k p_s M_b the mass entrained by layer k (between the base
    # and the top), the fluxes through the upper boundary of layer k are sums from below:
    # mass M_b + sum_{j >= k} E_j, updraught s and q M_b s_{K-1} + sum E_j s_j and
    # M_b q_max + sum E_j q_j, descent (mass) x (half-level s and q).
    levels = np.arange(c.count)[None, :, None, None]
    entraining = (levels > cloud_top[:, None]) & c.entraining_levels
    zero = 0.0 * s
    entrained = np.where(entraining, c.entrainment_column * (ps * base_mass)[:, None], zero)
    mass_above = base_mass[:, None] + from_below(entrained)
    up_s = (base_mass * s[:, bottom])[:, None] + from_below(entrained * s)
    up_q = (base_mass * q_max)[:, None] + from_below(entrained * q)
    s_halves = s[:, :-1] + c.weights_column * (s[:, 1:] - s[:, :-1])  # half levels k + 1/2
    q_halves = q[:, :-1] + c.weights_column * (q[:, 1:] - q[:, :-1])
    # Half level above each layer (k - 1/2); the boundary layer's q no more than its own.
    s_above = np.concatenate((s_halves[:, :1], s_halves), axis=1)
    q_above = np.concatenate((q_halves[:, :1], q_halves[:, :-1], q_half[:, None]), axis=1)
    net_s = up_s - mass_above * s_above  # net upward fluxes through each layer's top
    net_q = up_q - mass_above * q_above
    net_s_below = np.concatenate((net_s[:, 1:], zero[:, :1]), axis=1)  # through its base
    net_q_below = np.concatenate((net_q[:, 1:], zero[:, :1]), axis=1)
    dryness = c.secondary_humidity * qs - q
    secondary = np.where(entraining & (dryness > 0.0),
                         (c.secondary_mass_flux * base_mass)[:, None] * dryness, zero)
    energy = np.where(entraining, net_s_below - net_s, zero)
    water = np.where(entraining, (net_q_below - net_q) + secondary, zero)
    energy = np.concatenate((energy[:, :-1], -net_s[:, -1:]), axis=1)
    water = np.concatenate((water[:, :-1], -net_q[:, -1:] - secondary.sum(axis=1)[:, None]), axis=1)
    # The top layer: the updraught condenses to saturation at its lower half level,
    # precipitates and detrains.
    top = np.minimum(cloud_top, c.count - 2)[:, None]  # (a valid index where there is none)
    base_of_top = lambda field: np.take_along_axis(field, top + 1, axis=1)[:, 0]  # noqa: E731
    q_halves_saturated = qs[:, :-1] + c.weights_column * (qs[:, 1:] - qs[:, :-1])
    saturation_half = np.take_along_axis(q_halves_saturated, top, axis=1)[:, 0]
    precipitation = np.where(active, np.maximum(base_of_top(up_q) - base_of_top(mass_above)
                                                * saturation_half, 0.0), zero[:, 0])
    at_top = levels == cloud_top[:, None]
    energy = np.where(at_top, (base_of_top(net_s) + c.latent_heat * precipitation)[:, None],
                      energy)
    water = np.where(at_top, (base_of_top(net_q) - precipitation)[:, None], water)
    return ConvectionResult(energy, water, precipitation, cloud_top, base_mass)


def from_below(values):
    """sum_{j >= k} values_j along the levels (axis 1)."""
    return np.flip(np.cumsum(np.flip(values, axis=1), axis=1), axis=1)
