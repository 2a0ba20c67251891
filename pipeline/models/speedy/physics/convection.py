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
                                                   half_level_weights, rounded_list,
                                                   stack_levels)
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
    s_half = at_half_level(s, bottom - 1, w)
    q_half = np.minimum(at_half_level(q, bottom - 1, w), q[:, bottom])
    ramp = ps * np.minimum(1.0, (ps - c.minimum_surface_pressure) * c.pressure_ramp)
    closure = np.minimum(c.maximum_closure, excess / (q_max - q_half))
    mass = np.where(active, c.base_flux * ramp * closure, 0.0 * ps)
    base_mass = mass
    up_s, up_q = mass * s[:, bottom], mass * q_max  # updraught fluxes at the base's top
    down_s, down_q = mass * s_half, mass * q_half  # compensating descent
    energy = [None] * c.count
    water = [None] * c.count
    energy[bottom] = down_s - up_s
    water_bottom = down_q - up_q
    secondary_total = 0.0 * ps
    zero = 0.0 * ps
    for k in range(bottom - 1, 0, -1):
        # Entraining layers (between the base and the top): the updraught takes in
        # e_k p_s M_b of the layer's air. Above them every flux stays as it is, so after the
        # loop the fluxes are those through the base of the top layer.
        entraining = k > cloud_top
        into_s, into_q = up_s - down_s, up_q - down_q  # net upward flux through the layer's base
        entrained = np.where(entraining, c.entrainment[k] * ps * base_mass, zero)
        mass = mass + entrained
        up_s = up_s + entrained * s[:, k]
        up_q = up_q + entrained * q[:, k]
        new_down_s = mass * at_half_level(s, k - 1, w)
        new_down_q = mass * at_half_level(q, k - 1, w)
        dryness = c.secondary_humidity * qs[:, k] - q[:, k]
        secondary = np.where(entraining & (dryness > 0.0),
                             c.secondary_mass_flux * base_mass * dryness, zero)
        secondary_total = secondary_total + secondary
        energy[k] = np.where(entraining, into_s + (new_down_s - up_s), zero)
        water[k] = np.where(entraining, into_q + (new_down_q - up_q) + secondary, zero)
        down_s = np.where(entraining, new_down_s, down_s)
        down_q = np.where(entraining, new_down_q, down_q)
    energy[0], water[0] = zero, zero
    water[bottom] = water_bottom - secondary_total
    # The top layer: condensation to saturation at its lower half level, detrainment.
    top = np.minimum(cloud_top, c.count - 2)[:, None]  # (a valid index where there is none)
    saturation_half = np.take_along_axis(
        qs[:, :-1] + np.asarray(c.weights_column) * (qs[:, 1:] - qs[:, :-1]), top, axis=1)[:, 0]
    precipitation = np.where(active, np.maximum(up_q - mass * saturation_half, 0.0), zero)
    at_top = np.arange(c.count)[None, :, None, None] == cloud_top[:, None]
    energy = np.where(at_top, (up_s - down_s + c.latent_heat * precipitation)[:, None],
                      stack_levels(energy))
    water = np.where(at_top, (up_q - down_q - precipitation)[:, None], stack_levels(water))
    return ConvectionResult(energy, water, precipitation, cloud_top, base_mass)
