"""Boundary conditions of the SPEEDY-like atmosphere, all behind `load_boundaries`.

Part 2 (this module today): the aquaplanet of the Aqua-Planet Experiment (APE; Neale &
Hoskins 2000, Atmos. Sci. Lett. 1, 101, doi:10.1006/asle.2000.0022; Blackburn et al. 2013,
J. Meteor. Soc. Japan 91A, 17): no land, no sea ice, no orography, the zonally symmetric
"Qobs" sea-surface temperature

    SST = 273.15 K + 27 K (1 - (sin^2(3 phi / 2) + sin^4(3 phi / 2)) / 2)   for |phi| < 60 deg,
          273.15 K poleward,

and perpetual equinox with daily-mean insolation (no diurnal cycle; SPEEDY's shortwave scheme
is a daily-mean one). The surface albedo is SPEEDY's open-sea value, 0.07.

Part 3 adds SPEEDY's boundary files (``boundaries=DIR``: land-sea mask, orography, albedo,
SST, sea ice, land and snow climatologies), read, checked and interpolated here once, and the
seasons; the physics sees only `SurfaceBoundary` either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.base import ModelParameterError
from pipeline.models.speedy.physics.column import SurfaceBoundary
from pipeline.models.speedy.physics.shortwave_radiation import (SOLAR_CONSTANT, SolarForcing,
                                                                solar_forcing)
from pipeline.models.speedy.spectral import Grid

FREEZING = 273.15  # K
SEA_ALBEDO = 0.07  # SPEEDY's albsea
HEAT_CAPACITY = 1004.0  # c_p, J kg-1 K-1
CHOICES = ("aquaplanet",)


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

    def surface(self, convert, surface_geopotential) -> SurfaceBoundary:
        """The physics' view, rounded to the run's format through ``convert``;
        ``surface_geopotential`` (m2 s-2, (lon, lat)) comes from the dynamical core's
        orography."""
        c = lambda values: convert(np.asarray(values, dtype=np.float64))  # noqa: E731
        solar = self.solar
        return SurfaceBoundary(
            c(self.sea_surface_temperature), c(self.albedo), c(self.land_fraction),
            c(np.asarray(surface_geopotential) / HEAT_CAPACITY), c(solar.insolation),
            c(solar.ozone_lower), c(solar.ozone_upper), c(solar.zenith_factor),
            c(solar.polar_night_cooling))


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


def load_boundaries(choice: str, grid: Grid, solar_constant: float = SOLAR_CONSTANT) -> Boundaries:
    """The boundary conditions named by the ``boundaries`` setting: ``aquaplanet`` (no data
    needed) or, with part 3, a directory of SPEEDY's boundary files."""
    if choice == "aquaplanet":
        return aquaplanet(grid, solar_constant)
    raise ModelParameterError(
        f"boundaries={choice!r} is not available: only 'aquaplanet' is, until SPEEDY's "
        "boundary files (boundaries=DIR) arrive with part 3 of the atmosphere.")
