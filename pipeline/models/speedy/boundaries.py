"""Boundary conditions of the SPEEDY-like atmosphere, all behind `load_boundaries`.

Part 2 (this module today): the aquaplanet of the Aqua-Planet Experiment (APE; Neale &
Hoskins 2000, Atmos. Sci. Lett. 1, 101, doi:10.1006/asle.2000.0022; Blackburn et al. 2013,
J. Meteor. Soc. Japan 91A, 17): no land, no sea ice, no orography, the zonally symmetric
"Qobs" sea-surface temperature

    SST = 273.15 K + 27 K (1 - (sin^2(3 phi / 2) + sin^4(3 phi / 2)) / 2)   for |phi| < 60 deg,
          273.15 K poleward,

and perpetual equinox with daily-mean insolation (no diurnal cycle; SPEEDY's shortwave scheme
is a daily-mean one). The surface albedo is SPEEDY's open-sea value, 0.07.

Part 3: SPEEDY's boundary files (``boundaries=DIR``; read, checked and remapped in
`pipeline.models.speedy.boundary_files`), turned into the surface SPEEDY's physics sees as
speedy.f90 does (``land_model_init``, ``sea_model_init``, ``couple_sea_atm``,
``set_forcing``):

* land fraction: lsm with fractions below 0.1 set to 0 and above 0.9 to 1 (fmask_l);
* soil water availability W = min(1, (swl1 + veg max(0, 3 swl2 - 3 x 0.17)) /
  (0.30 + 3 (0.30 - 0.17))), veg = max(0, vegh + 0.8 vegl);
* monthly fields interpolated to the date as SPEEDY's ``forin5`` (SST, land temperature: the
  mean-conserving five-month interpolation) and ``forint`` (sea ice, snow, soil water:
  linear between the two nearest mid-months), tmonth the fraction of the month elapsed;
* sea ice (prescribed, ice model off): where the SST is above freezing (271.4 K) the ice
  fraction is at most 0.5 and the open-water SST is raised so that the mix of water and
  ice at 271.4 K keeps the climatological value; elsewhere at least 0.5 with the ice
  colder; the surface temperature the atmosphere sees is that mix, sst + ice (T_ice - sst);
* albedo: snow cover min(1, snowd / 60 kg m-2), land alb0 + cover (0.6 - alb0), sea
  0.07 + ice (0.6 - 0.07), mixed by the land fraction;
* land temperature: the climatology (stl), which SPEEDY's slab land model
  (`pipeline.models.speedy.land_model`, ``land_model=slab``, the default) relaxes its
  prognostic land temperature to, or which the physics sees as it is
  (``land_model=prescribed``, SPEEDY's land_coupling_flag = 0);
* the insolation of the date (`speedy_season`).

``season``: ``perpetual-january`` (Paxton et al. 2022's runs: every field and the
insolation of 15 January), ``annual`` (the date advances from 1 January, one update per
model day as SPEEDY's daily ``set_forcing``), or ``equinox`` (the aquaplanet's default).
The physics sees only `SurfaceBoundary` either way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from pipeline.models.base import ModelParameterError
from pipeline.models.speedy import boundary_files
from pipeline.models.speedy.boundary_files import MASK_THRESHOLD
from pipeline.models.speedy.physics.column import SurfaceBoundary
from pipeline.models.speedy.physics.shortwave_radiation import (SOLAR_CONSTANT, SolarForcing,
                                                                solar_forcing, speedy_season)
from pipeline.models.speedy.physics.surface_fluxes import GRAVITY, orographic_drag_factor
from pipeline.models.speedy.spectral import Grid

FREEZING = 273.15  # K
SEA_ALBEDO = 0.07  # SPEEDY's albsea
HEAT_CAPACITY = 1004.0  # c_p, J kg-1 K-1
ICE_ALBEDO = 0.60  # albice
SNOW_ALBEDO = 0.60  # albsn
SNOW_DEPTH_FULL_COVER = 60.0  # sd2sc, kg m-2
FREEZING_SEA = 273.2 - 1.8  # sstfr, K
SOIL_CAPACITY, SOIL_WILTING, SOIL_LAYERS = 0.30, 0.17, 3  # swcap, swwil, idep2
SEASONS = ("equinox", "perpetual-january", "annual")
MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
PERPETUAL_JANUARY_DAY = 14.0  # 15 January 00 UTC, in days after 1 January 00 UTC


@dataclass(frozen=True)
class Boundaries:
    """Surface fields on the model grid, (lon, lat) float64, and the solar forcing per
    latitude."""

    name: str
    land_fraction: np.ndarray
    sea_surface_temperature: np.ndarray  # K
    sea_ice_fraction: np.ndarray
    albedo: np.ndarray
    season: str
    solar: SolarForcing
    land_temperature: np.ndarray | None = None  # K
    soil_water: np.ndarray | None = None
    drag_factor: np.ndarray | None = None
    snow_depth: np.ndarray | None = None  # kg m-2
    land_albedo: np.ndarray | None = None  # the land's own, snow included

    def surface(self, convert, surface_geopotential, slab_land: bool = False) -> SurfaceBoundary:
        """The physics' view, rounded to the run's format through ``convert``;
        ``surface_geopotential`` (m2 s-2, (lon, lat)) comes from the dynamical core's
        orography. ``slab_land``: with the land's albedo, so that the physics computes the
        heat flux into the land for the slab land model."""
        c = lambda values: convert(np.asarray(values, dtype=np.float64))  # noqa: E731
        solar = self.solar
        land = (None, None, None, None) if self.land_temperature is None else (
            c(self.land_temperature), c(self.soil_water), c(self.drag_factor),
            c(self.land_albedo) if slab_land else None)
        return SurfaceBoundary(
            c(self.sea_surface_temperature), c(self.albedo), c(self.land_fraction),
            c(np.asarray(surface_geopotential) / HEAT_CAPACITY), c(solar.insolation),
            c(solar.ozone_lower), c(solar.ozone_upper), c(solar.zenith_factor),
            c(solar.polar_night_cooling), *land)

    @property
    def surface_temperature(self) -> np.ndarray:
        """The grid box's surface temperature (K): SST mixed with the land temperature."""
        if self.land_temperature is None:
            return self.sea_surface_temperature
        return self.sea_surface_temperature + self.land_fraction * (
            self.land_temperature - self.sea_surface_temperature)


def qobs_sea_surface_temperature(latitude) -> np.ndarray:
    """APE "Qobs" SST (K) at ``latitude`` (radians); Neale & Hoskins (2000)."""
    latitude = np.asarray(latitude, dtype=np.float64)
    shape = np.sin(1.5 * latitude) ** 2
    warm = FREEZING + 27.0 * (1.0 - 0.5 * (shape + shape**2))
    return np.where(np.abs(latitude) < np.pi / 3, warm, FREEZING)


def aquaplanet(grid: Grid, solar_constant: float = SOLAR_CONSTANT) -> Boundaries:
    """The APE aquaplanet with Qobs SST at perpetual equinox, on ``grid``."""
    shape = (grid.nlon, grid.nlat)
    latitude = np.arcsin(grid.mu)
    sst = np.broadcast_to(qobs_sea_surface_temperature(latitude), shape).copy()
    zeros = np.zeros(shape)
    return Boundaries("aquaplanet", zeros, sst, zeros.copy(), np.full(shape, SEA_ALBEDO),
                      "perpetual-equinox",
                      solar_forcing(grid.mu, solar_constant=solar_constant))


def load_boundaries(choice: str, grid: Grid, solar_constant: float = SOLAR_CONSTANT,
                    season: str = "equinox", day: float | None = None) -> Boundaries:
    """The boundary conditions named by the ``boundaries`` setting: ``aquaplanet`` (no data
    needed) or a directory of SPEEDY's boundary files, for ``season`` (and, with
    ``annual``, ``day``: days since 1 January 00 UTC of the forcing, 0 by default)."""
    if choice == "aquaplanet":
        return aquaplanet(grid, solar_constant)
    climatology = climatology_on(choice, grid)
    if season == "perpetual-january":
        day = PERPETUAL_JANUARY_DAY
    elif season == "annual":
        day = 0.0 if day is None else day
    else:
        raise ModelParameterError(
            f"season={season!r} does not go with boundaries=DIR: use perpetual-january or "
            "annual.")
    return climatology.on_day(day, grid, solar_constant, season)


def month_position(day: float):
    """(month 0-11, tmonth: the fraction of that month elapsed) of ``day`` days after
    1 January 00 UTC in a 365-day year (SPEEDY's imont1 and tmonth)."""
    day = day % 365.0
    start = 0.0
    for month, length in enumerate(MONTH_DAYS):
        if day < start + length:
            return month, (day - start) / length
        start += length
    return 11, 1.0


def linear_in_time(monthly, month: int, tmonth: float):
    """SPEEDY's ``forint``: linear between the mid-months around the date."""
    if tmonth <= 0.5:
        other, weight = (month - 1) % 12, 0.5 - tmonth
    else:
        other, weight = (month + 1) % 12, tmonth - 0.5
    return monthly[month] + weight * (monthly[other] - monthly[month])


def mean_conserving_in_time(monthly, month: int, tmonth: float):
    """SPEEDY's ``forin5``: a five-month interpolation whose monthly means are the data's."""
    c0 = 1.0 / 12.0
    t0, t1, t2 = c0 * tmonth, c0 * (1.0 - tmonth), 0.25 * tmonth * (1.0 - tmonth)
    weights = (-t1 + t2, -c0 + 8 * t1 - 6 * t2, 7 * c0 + 10 * t2, -c0 + 8 * t0 - 6 * t2,
               -t0 + t2)
    return sum(w * monthly[(month + k) % 12] for w, k in zip(weights, range(-2, 3)))


@dataclass(frozen=True)
class Climatology:
    """SPEEDY's boundary fields on the model grid, (lon, lat) or (12, lon, lat), float64."""

    land_fraction: np.ndarray
    orography: np.ndarray  # m
    bare_albedo: np.ndarray  # alb0
    sea_surface_temperature: np.ndarray  # monthly, K
    sea_ice: np.ndarray
    land_temperature: np.ndarray  # K
    snow_depth: np.ndarray  # kg m-2
    soil_water: np.ndarray  # availability

    def on_day(self, day: float, grid: Grid, solar_constant: float, season: str) -> Boundaries:
        """The surface of ``day`` (days since 1 January 00 UTC), as SPEEDY's daily forcing."""
        month, tmonth = month_position(day)
        sst = mean_conserving_in_time(self.sea_surface_temperature, month, tmonth)
        ice = np.clip(linear_in_time(self.sea_ice, month, tmonth), 0.0, 1.0)
        warm = sst > FREEZING_SEA
        ice = np.where(warm, np.minimum(0.5, ice), np.maximum(0.5, ice))
        with np.errstate(divide="ignore", invalid="ignore"):
            water = np.where(warm & (ice > 0), FREEZING_SEA + (sst - FREEZING_SEA) / (1.0 - ice),
                             np.where(warm, sst, FREEZING_SEA))
            ice_temperature = np.where(warm, FREEZING_SEA,
                                       FREEZING_SEA + (sst - FREEZING_SEA) / ice)
        surface_sst = water + ice * (ice_temperature - water)
        snow = np.maximum(linear_in_time(self.snow_depth, month, tmonth), 0.0)
        cover = np.minimum(1.0, snow / SNOW_DEPTH_FULL_COVER)
        land_albedo = self.bare_albedo + cover * (SNOW_ALBEDO - self.bare_albedo)
        sea_albedo = SEA_ALBEDO + ice * (ICE_ALBEDO - SEA_ALBEDO)
        albedo = sea_albedo + self.land_fraction * (land_albedo - sea_albedo)
        solar = solar_forcing(grid.mu, solar_constant=solar_constant,
                              **speedy_season(day / 365.0))
        return Boundaries(
            season, self.land_fraction, surface_sst, ice, albedo, season, solar,
            mean_conserving_in_time(self.land_temperature, month, tmonth),
            np.clip(linear_in_time(self.soil_water, month, tmonth), 0.0, 1.0),
            orographic_drag_factor(GRAVITY * self.orography), snow, land_albedo)


@functools.lru_cache(maxsize=4)
def climatology_on(directory: str, grid: Grid) -> Climatology:
    """SPEEDY's boundary files in ``directory`` on ``grid`` (read and checked once)."""
    raw = boundary_files.read_raw(directory)
    masks = boundary_files.binary_masks(raw["lsm"])
    land, land_binary = masks["land"]
    sea, sea_binary = masks["sea"]
    veg = np.maximum(0.0, raw["vegh"] + 0.8 * raw["vegl"])
    capacity = 1.0 / (SOIL_CAPACITY + SOIL_LAYERS * (SOIL_CAPACITY - SOIL_WILTING))
    swl1 = boundary_files.fill(raw["swl1"], land_binary, 0.0)
    swl2 = boundary_files.fill(raw["swl2"], land_binary, 0.0)
    soil = np.minimum(1.0, capacity * (swl1 + veg * np.maximum(
        0.0, SOIL_LAYERS * swl2 - SOIL_LAYERS * SOIL_WILTING)))
    soil = np.where(land_binary, soil, 0.0)
    remap = boundary_files.Remap.to(grid)

    def over(values, fraction):
        """Mean over the ``fraction``'s part of each cell, 0 where a cell has none."""
        return np.nan_to_num(remap(values, fraction))

    sst = boundary_files.fill(raw["sst"], sea_binary, 273.0)
    ice = boundary_files.fill(raw["icec"], sea_binary, 0.0)
    stl = boundary_files.fill(raw["stl"], land_binary, 273.0)
    snow = boundary_files.fill(raw["snowd"], land_binary, 0.0)
    land_model = remap(land)
    # SPEEDY's 0.1 / 0.9 thresholds again on the model grid (T30: no change).
    land_model = np.where(land_model < MASK_THRESHOLD, 0.0,
                          np.where(land_model > 1.0 - MASK_THRESHOLD, 1.0, land_model))
    sea_remapped = over(sst, sea)
    sea_remapped = np.where(remap.sums(sea) > 0, sea_remapped, 273.0)
    land_remapped = np.where(remap.sums(land) > 0, over(stl, land), 273.0)
    return Climatology(land_model, remap(raw["orog"]), remap(raw["alb"]), sea_remapped,
                       over(ice, sea), land_remapped, over(snow, land), over(soil, land))
