"""Climate diagnostics of the SPEEDY-like aquaplanet from its output (float64 ensembles): the
time means a validation compares with the aquaplanet literature (Neale & Hoskins 2000;
Blackburn et al. 2013, J. Meteor. Soc. Japan 91A, 17).

All take an xarray Dataset written by `lowprec simulate speedy` with ``physics=speedy`` and
``output_levels=all`` and average over its members and times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.speedy.vertical import parse_half_levels

EARTH_RADIUS = 6.371e6  # m
GRAVITY = 9.81  # m s-2
SECONDS_PER_DAY = 86400.0


@dataclass
class AquaplanetClimate:
    latitude: np.ndarray  # degrees
    sigma: np.ndarray
    precipitation: np.ndarray  # zonal mean, mm/day, per latitude
    convective_precipitation: np.ndarray
    evaporation: np.ndarray
    zonal_wind: np.ndarray  # (sigma, lat), m s-1
    temperature: np.ndarray  # (sigma, lat), K
    streamfunction: np.ndarray  # mean meridional mass streamfunction at half levels below each full level, kg s-1
    global_precipitation: float  # mm/day
    global_evaporation: float
    toa_net: float  # W m-2, downward
    surface_net: float  # W m-2, downward into the surface
    outgoing_longwave: float
    cloud_cover: float


def area_mean(zonal, latitude):
    """Mean over the sphere of a zonal-mean field on Gaussian latitudes (cos-weighted)."""
    weights = np.cos(np.radians(latitude))
    return float((zonal * weights).sum(axis=-1) / weights.sum())


def aquaplanet_climate(data) -> AquaplanetClimate:
    """Time, member and zonal means of an output file (see the module docstring)."""
    mean = lambda name: data[name].mean(("member", "time", "lon")).values  # noqa: E731
    latitude = data["lat"].values
    per_day = SECONDS_PER_DAY  # kg m-2 s-1 -> mm/day
    precipitation = mean("precipitation") * per_day
    evaporation = mean("evaporation") * per_day
    v = mean("v")  # (sigma, lat)
    surface_pressure = mean("surface_pressure")
    thickness = np.diff(parse_half_levels(str(data.attrs.get("model_sigma_half_levels", ""))))
    # psi(sigma_{k+1/2}) = 2 pi a cos(phi) p_s / g sum_{r <= k} v_r dsigma_r (Peixoto & Oort
    # 1992, eq. 7.1, in sigma coordinates): positive for a clockwise (northern Hadley) cell.
    cos = np.cos(np.radians(latitude))
    streamfunction = 2 * np.pi * EARTH_RADIUS * cos * surface_pressure / GRAVITY \
        * np.cumsum(v * thickness[:, None], axis=0)
    return AquaplanetClimate(
        latitude, data["sigma"].values, precipitation, mean("convective_precipitation") * per_day,
        evaporation, mean("u"), mean("temperature"), streamfunction,
        area_mean(precipitation, latitude), area_mean(evaporation, latitude),
        area_mean(mean("toa_net_radiation"), latitude),
        area_mean(mean("surface_net_heat_flux"), latitude),
        area_mean(mean("outgoing_longwave_radiation"), latitude),
        area_mean(mean("cloud_cover"), latitude))


def jets(climate: AquaplanetClimate, sigma: float = 0.2) -> list[tuple[float, float]]:
    """(latitude, speed) of the zonal-mean wind maximum at the level nearest ``sigma`` in
    the southern and the northern hemisphere."""
    level = int(np.abs(climate.sigma - sigma).argmin())
    found = []
    for hemisphere in (climate.latitude < 0, climate.latitude > 0):
        wind = climate.zonal_wind[level, hemisphere]
        found.append((float(climate.latitude[hemisphere][wind.argmax()]), float(wind.max())))
    return found


def hadley_cells(climate: AquaplanetClimate) -> tuple[float, float]:
    """(southern minimum, northern maximum) of the streamfunction equatorward of 35 degrees,
    kg s-1: the two Hadley cells (negative in the south, positive in the north)."""
    tropics = np.abs(climate.latitude) < 35
    psi = climate.streamfunction[:, tropics]
    latitude = climate.latitude[tropics]
    return float(psi[:, latitude < 0].min()), float(psi[:, latitude > 0].max())
