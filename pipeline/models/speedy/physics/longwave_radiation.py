"""Longwave radiation: SPEEDY's four-band scheme (Molteni 2003, Clim. Dyn. 20, 175,
section 3e; speedy.f90 ``longwave_radiation.f90`` and the transmissivities of
``shortwave_radiation.f90``).

Bands b: 1 the infrared window, 2 the CO2 band (15 um), 3 and 4 the weak and strong water
vapour bands; a fifth, "black" band (eps = 0.05 of the spectrum) is absorbed and emitted by
the boundary layer alone. Band b carries the fraction f_b(T) of the black-body flux
B = sigma T^4 (SPEEDY's quadratic fits between 200 and 320 K, constant outside):

    f_2 = (0.148 - 3.0e-6 (T - 247)^2)(1 - eps),  f_3 = (0.356 - 5.2e-6 (T - 282)^2)(1 - eps),
    f_4 = (0.314 + 1.0e-5 (T - 315)^2)(1 - eps),  f_1 = (1 - eps) - f_2 - f_3 - f_4.

(SPEEDY tabulates them at whole kelvins and rounds T; here they are evaluated at T.)

Transmissivities of layer k (dp = p_s dsigma_k, p in units of p_0): window exp(-dp (0.3 +
a_cl)), CO2 exp(-6 dp), water vapour exp(-dp max(0.7 q, 0.6 CC)) and exp(-dp max(50 q,
0.6 CC)) (q in g/kg), where a_cl = 0.6 CC above the cloud top and 12 CC below it, in the
free troposphere (layers 2..K-2); no clouds in the top two layers and the boundary layer,
and no water vapour in the top one.

Each layer emits in band b f_b (B_k +- (1 - tau) dB_k) downward (+) and upward (-), dB_k a
correction for the temperature gradient across the layer (B and T at half levels
interpolated in ln sigma; the top two layers emit at a mean of full and half-level
temperatures with no gradient). Down from space (zero), up from the surface (its emission
E_s = eps_s sigma T_s^4 per band fraction, plus the reflection (1 - eps_s) of the downward
flux), F <- tau F + (1 - tau) f_b (B +- (1 - tau) dB). The black band adds eps eps_s B_{K-1}
down at the surface and absorbs eps E_s in the boundary layer. In the stratosphere the
black band emits eps p_s dsigma_k B_k / (dsigma_0 + dsigma_1) from each of the top two
layers to space, and the top layer cools by max(6 W m-2 - S, 0) p_s in polar night.

Precision: sigma T^4 is computed as 5.67 (T / 100)^4 and the band-fraction curvatures as
squares of sqrt(3.0e-6) (T - 247) and so on, so that no intermediate leaves float16's range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.physics.levels import half_level_weights, rounded_list, stack_levels
from pipeline.models.speedy.vertical import SigmaLevels

STEFAN_BOLTZMANN = 5.67e-8  # W m-2 K-4 (SPEEDY's sbc)
BANDS = 4
# (centre K, curvature K-2, value at the centre) of the fits of f_2, f_3, f_4.
BAND_FITS = ((247.0, -3.0e-6, 0.148), (282.0, -5.2e-6, 0.356), (315.0, 1.0e-5, 0.314))


@dataclass(frozen=True)
class LongwaveParameters:
    """SPEEDY's values (speedy.f90 ``mod_radcon.f90`` and ``shortwave_radiation.f90``)."""

    black_band: float = 0.05  # epslw, eps
    surface_emissivity: float = 0.98  # emisfc, eps_s
    window: float = 0.3  # ablwin, per dp = 1e5 Pa
    carbon_dioxide: float = 6.0  # ablco2
    weak_vapour: float = 0.7  # ablwv1, per g/kg
    strong_vapour: float = 50.0  # ablwv2, per g/kg
    thick_cloud: float = 12.0  # ablcl1, window absorptivity below the cloud top
    thin_cloud: float = 0.6  # ablcl2, above it (window and vapour bands)
    polar_night_threshold: float = 6.0  # fs0, W m-2 of insolation


@dataclass(frozen=True)
class LongwaveConstants:
    count: int
    thickness: list
    thickness_column: object  # dsigma_k as a (K, 1, 1) array
    weights_column: object  # ln-sigma interpolation to half levels, (K - 1, 1, 1)
    cloudy_levels: object  # (K, 1, 1): 1 in the free troposphere (2..K-2), else 0
    vapour_levels: object  # (K, 1, 1): 0 in the top layer, else 1
    window: float
    carbon_dioxide: float
    weak_vapour: float
    strong_vapour: float
    thick_cloud: float
    thin_cloud: float
    black_band: float
    surface_emissivity: float
    surface_reflectivity: float
    black_surface: float  # eps eps_s
    stratospheric_emission: float  # eps / (dsigma_0 + dsigma_1)
    emission: float  # 5.67: sigma T^4 = 5.67 (T / 100)^4
    gradient_emission: float  # 4 x 5.67 / 100: 4 sigma T^3 dT = 0.2268 (T / 100)^3 dT
    per_hundred: float
    fit_centres: tuple
    fit_roots: tuple  # sqrt |curvature|
    fit_signs: tuple
    fit_values: tuple  # value (1 - eps) at the centre
    band_total: float  # 1 - eps
    fit_range: tuple  # (200, 320) K


@dataclass
class LongwaveDownward:
    absorbed: object  # (member, K, lon, lat) W m-2
    surface_downward: object  # W m-2 absorbed by the surface (all bands, emissivity applied, + black)
    band_fluxes: object  # (member, 4, lon, lat): each band's downward flux at the surface
    emission: object  # B_k (member, K, lon, lat)
    gradient: object  # dB_k
    fractions: object  # f_b(T_k), (member, K, 4, lon, lat)


@dataclass
class LongwaveResult:
    absorbed: object  # (member, K, lon, lat) W m-2 gained by each layer (down and up)
    outgoing: object  # OLR, W m-2
    surface_net_upward: object  # E_s - downward flux at the surface, W m-2
    surface_downward: object  # W m-2


def longwave_constants(levels: SigmaLevels, parameters: LongwaveParameters = LongwaveParameters(),
                       convert=np.asarray) -> LongwaveConstants:
    p = parameters
    k = levels.count
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    total = 1.0 - p.black_band
    cloudy = np.zeros((k, 1, 1))
    cloudy[2:k - 1] = 1.0
    vapour = np.ones((k, 1, 1))
    vapour[0] = 0.0
    return LongwaveConstants(
        k, rounded_list(levels.thickness, convert), convert(levels.thickness.reshape((k, 1, 1))),
        convert(half_level_weights(levels).reshape((k - 1, 1, 1))), cloudy, vapour,
        c(p.window), c(p.carbon_dioxide), c(p.weak_vapour), c(p.strong_vapour),
        c(p.thick_cloud), c(p.thin_cloud), c(p.black_band), c(p.surface_emissivity),
        c(1.0 - p.surface_emissivity), c(p.black_band * p.surface_emissivity),
        c(p.black_band / (levels.thickness[0] + levels.thickness[1])),
        c(STEFAN_BOLTZMANN * 1e8), c(4.0 * STEFAN_BOLTZMANN * 1e6), c(0.01),
        tuple(c(centre) for centre, _, _ in BAND_FITS),
        tuple(c(math.sqrt(abs(curvature) * total)) for _, curvature, _ in BAND_FITS),
        tuple(1.0 if curvature > 0 else -1.0 for _, curvature, _ in BAND_FITS),
        tuple(c(value * total) for _, _, value in BAND_FITS), c(total), (c(200.0), c(320.0)))


def band_fractions(c: LongwaveConstants, temperature) -> list:
    """[f_1, f_2, f_3, f_4] at ``temperature`` (K), clipped to SPEEDY's 200-320 K."""
    t = np.minimum(np.maximum(temperature, c.fit_range[0]), c.fit_range[1])
    fits = []
    for centre, root, sign, value in zip(c.fit_centres, c.fit_roots, c.fit_signs, c.fit_values):
        distance = (t - centre) * root
        fits.append(value + distance * distance if sign > 0 else value - distance * distance)
    return [c.band_total - (fits[0] + fits[1] + fits[2])] + fits


def longwave_transmissivity(c: LongwaveConstants, surface_pressure, humidity, cloud_cover,
                            cloud_top):
    """tau (member, K, 4, lon, lat) of the four bands; SPEEDY computes them with the
    shortwave radiation and keeps them until its next call."""
    depth = surface_pressure[:, None] * c.thickness_column  # p_s dsigma_k
    levels = np.arange(c.count)[None, :, None, None]
    below_top = levels >= np.asarray(cloud_top)[:, None]
    cover = cloud_cover[:, None]
    thin = (c.thin_cloud * cover) * c.cloudy_levels  # (member, K, lon, lat), 0 where cloud-free
    cloud = np.where(below_top, (c.thick_cloud * cover) * c.cloudy_levels, thin)
    vapour = humidity * c.vapour_levels
    bands = [np.exp(-depth * (c.window + cloud)), np.exp(-depth * c.carbon_dioxide),
             np.exp(-depth * np.maximum(c.weak_vapour * vapour, thin)),
             np.exp(-depth * np.maximum(c.strong_vapour * vapour, thin))]
    return np.stack(bands, axis=2)


def black_body(c: LongwaveConstants, temperature):
    """sigma T^4 (W m-2), as 5.67 (T / 100)^4."""
    scaled = temperature * c.per_hundred
    squared = scaled * scaled
    return c.emission * (squared * squared)


def layer_emission(c: LongwaveConstants, temperature):
    """(B_k, dB_k) per layer (see the module docstring)."""
    t = temperature
    half = t[:, :-1] + c.weights_column * (t[:, 1:] - t[:, :-1])  # T at half levels k + 1/2
    mean_top = 0.75 * t[:, :1] + 0.25 * half[:, :1]
    mean_second = 0.5 * t[:, 1:2] + 0.25 * (half[:, :1] + half[:, 1:2])
    emission = black_body(c, np.concatenate((mean_top, mean_second, t[:, 2:]), axis=1))
    zero = 0.0 * mean_top
    jumps = np.concatenate((zero, zero, 0.5 * np.maximum(half[:, 2:] - half[:, 1:-1], 0.0),
                            np.maximum(t[:, -1:] - half[:, -1:], 0.0)), axis=1)
    scaled = t * c.per_hundred
    gradient = c.gradient_emission * ((scaled * scaled * scaled) * jumps)
    return emission, gradient


def longwave_downward(c: LongwaveConstants, temperature, transmissivity) -> LongwaveDownward:
    """The downward pass, from space to the surface, for columns (member, K, lon, lat)."""
    emission, gradient = layer_emission(c, temperature)
    fractions = np.stack(band_fractions(c, temperature), axis=2)
    tau = transmissivity
    emissivity = 1.0 - tau
    source = emissivity * (fractions * (emission[:, :, None] + emissivity * gradient[:, :, None]))
    flux = 0.0 * source[:, 0]
    fluxes = [flux]
    for k in range(c.count):
        flux = tau[:, k] * flux + source[:, k]
        fluxes.append(flux)
    fluxes = np.stack(fluxes, axis=1)  # at the half levels, (member, K + 1, 4, lon, lat)
    absorbed = (fluxes[:, :-1] - fluxes[:, 1:]).sum(axis=2)
    band_fluxes = fluxes[:, -1]
    black = c.black_surface * emission[:, -1]
    surface = c.surface_emissivity * band_fluxes.sum(axis=1) + black
    absorbed = np.concatenate((absorbed[:, :-1], absorbed[:, -1:] - black[:, None]), axis=1)
    return LongwaveDownward(absorbed, surface, band_fluxes, emission, gradient, fractions)


def longwave_upward(c: LongwaveConstants, temperature, transmissivity, down: LongwaveDownward,
                    surface_temperature, surface_emission, surface_pressure,
                    polar_night_cooling) -> LongwaveResult:
    """The upward pass from the surface (temperature T_s and emission E_s, W m-2) to space;
    returns every layer's total longwave gain, the OLR and the surface's net upward flux."""
    tau = transmissivity
    emissivity = 1.0 - tau
    source = emissivity * (down.fractions * (down.emission[:, :, None]
                                             - emissivity * down.gradient[:, :, None]))
    # (..., 4, lon, lat): the surface fields may lack the member axis (boundary conditions).
    surface_fractions = np.stack(band_fractions(c, surface_temperature), axis=-3)
    flux = surface_fractions * surface_emission[..., None, :, :] \
        + c.surface_reflectivity * down.band_fluxes
    fluxes = [flux]
    for k in range(c.count - 1, -1, -1):
        flux = tau[:, k] * flux + source[:, k]
        fluxes.append(flux)
    fluxes = np.stack(fluxes[::-1], axis=1)  # index k: up through half level k - 1/2
    absorbed = (fluxes[:, 1:] - fluxes[:, :-1]).sum(axis=2)
    # The black band's absorption in the boundary layer, its stratospheric emission and the
    # polar-night cooling, to space.
    ps = surface_pressure
    to_space_top = (c.stratospheric_emission * c.thickness[0]) * ps * down.emission[:, 0] \
        + polar_night_cooling * ps
    to_space_second = (c.stratospheric_emission * c.thickness[1]) * ps * down.emission[:, 1]
    zero = 0.0 * ps
    corrections = stack_levels([-to_space_top, -to_space_second] + [zero] * (c.count - 3)
                               + [zero + c.black_band * surface_emission])
    outgoing = fluxes[:, 0].sum(axis=1) + (to_space_top + to_space_second)
    return LongwaveResult(down.absorbed + (absorbed + corrections), outgoing,
                          surface_emission - down.surface_downward, down.surface_downward)
