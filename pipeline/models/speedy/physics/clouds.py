"""Diagnostic clouds for SPEEDY's radiation (Molteni 2003, Clim. Dyn. 20, 175, section 3d;
Kucharski et al. 2013, Adv. Atmos. Sci. 30, 1757; speedy.f90 ``shortwave_radiation.f90``).

Total cloud cover from the relative humidity of the free troposphere and the precipitation
rate. With RH_max the largest RH of the layers K-2 and 2..K-3 (levels from the top; the
latter only where q > 0.2 g/kg),

    CC = min(1, w_p sqrt(min(P, 10 mm/day)) + min(1, (RH_max - 0.3) / (1 - 0.3))^2),

w_p = 0.2 (per sqrt(mm/day)). The cloud top is the higher of the layer of RH_max and the top
of convection or condensation. Stratocumulus at the top of the boundary layer grows with the
static stability there, G = ds/dPhi between the two lowest layers (s = c_p T + Phi):

    CL = clip((G - 0.25) / (0.40 - 0.25), 0, 1) max(0.6 - 1.2 CC, 0)   over sea,
    over land: max(CL, 0.15) RH_{K-1}, weighted by the land fraction.

The clouds' "equivalent specific humidity", which sets their shortwave absorption, is the
humidity of layer K-2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SECONDS_PER_DAY_PER_THOUSAND = 86.4  # g m-2 s-1 -> mm/day


@dataclass(frozen=True)
class CloudParameters:
    """SPEEDY's values (speedy.f90 ``shortwave_radiation.f90``)."""

    clear_humidity: float = 0.30  # rhcl1, RH of zero cloud cover
    overcast_humidity: float = 1.00  # rhcl2, RH of full cover
    humidity_threshold: float = 0.20  # qacl, g/kg: drier layers do not count
    precipitation_weight: float = 0.2  # wpcl, cover per sqrt(mm/day)
    precipitation_cap: float = 10.0  # pmaxcl, mm/day
    stratiform_maximum: float = 0.60  # clsmax
    stratiform_land_minimum: float = 0.15  # clsminl
    stability_clear: float = 0.25  # gse_s0, ds/dPhi of no stratocumulus
    stability_full: float = 0.40  # gse_s1, ds/dPhi of full stratocumulus
    stratiform_reduction: float = 1.2  # clfact, per unit of total cover


@dataclass(frozen=True)
class CloudConstants:
    count: int
    clear_humidity: float
    humidity_range_inverse: float
    humidity_threshold: float
    precipitation_weight: float
    precipitation_cap: float
    to_millimetres_per_day: float
    stratiform_maximum: float
    stratiform_land_minimum: float
    stability_clear: float
    stability_range_inverse: float
    stratiform_reduction: float


@dataclass
class CloudResult:
    cover: object  # total cloud cover CC (member, lon, lat)
    top: np.ndarray  # int: level of the cloud top, K where there is none
    stratiform: object  # stratocumulus cover CL
    cloud_humidity: object  # q of layer K-2, g/kg


def cloud_constants(count: int, parameters: CloudParameters = CloudParameters(),
                    convert=np.asarray) -> CloudConstants:
    p = parameters
    c = lambda value: float(convert(np.float64(value)))  # noqa: E731
    return CloudConstants(
        count, c(p.clear_humidity), c(1.0 / (p.overcast_humidity - p.clear_humidity)),
        c(p.humidity_threshold), c(p.precipitation_weight), c(p.precipitation_cap),
        c(SECONDS_PER_DAY_PER_THOUSAND), c(p.stratiform_maximum), c(p.stratiform_land_minimum),
        c(p.stability_clear), c(1.0 / (p.stability_full - p.stability_clear)),
        c(p.stratiform_reduction))


def clouds(c: CloudConstants, humidity, relative_humidity, dry_static_energy, geopotential,
           precipitation, precipitation_top, land_fraction=0.0) -> CloudResult:
    """Cloud cover and top from columns (member, K, lon, lat): q (g/kg), RH, s and Phi/c_p
    (both K); ``precipitation`` (convective + large-scale, g m-2 s-1) and its top level
    (int) per column; ``land_fraction`` broadcast against (member, lon, lat)."""
    q, rh = humidity, relative_humidity
    lowest, above = c.count - 1, c.count - 2
    excess = rh[:, above] - c.clear_humidity
    cloudy = excess > 0.0
    cover = np.where(cloudy, excess, 0.0 * excess)
    top = np.where(cloudy, above, c.count)
    for k in range(2, c.count - 2):
        excess = rh[:, k] - c.clear_humidity
        higher = (excess > cover) & (q[:, k] > c.humidity_threshold)
        cover = np.where(higher, excess, cover)
        top = np.where(higher, k, top)
    rain = np.minimum(c.precipitation_cap, c.to_millimetres_per_day * precipitation)
    humidity_part = np.minimum(1.0, cover * c.humidity_range_inverse)
    cover = np.minimum(1.0, c.precipitation_weight * np.sqrt(rain) + humidity_part * humidity_part)
    top = np.minimum(np.asarray(precipitation_top), top)
    # Stratocumulus under an inversion at the top of the boundary layer.
    s, phi = dry_static_energy, geopotential
    stability = (s[:, above] - s[:, lowest]) / (phi[:, above] - phi[:, lowest])
    strength = np.minimum(1.0, np.maximum(0.0, (stability - c.stability_clear)
                                          * c.stability_range_inverse))
    stratiform = strength * np.maximum(c.stratiform_maximum - c.stratiform_reduction * cover, 0.0)
    over_land = np.maximum(stratiform, c.stratiform_land_minimum) * rh[:, lowest]
    stratiform = stratiform + land_fraction * (over_land - stratiform)
    return CloudResult(cover, top, stratiform, q[:, above])
