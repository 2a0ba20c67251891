"""SPEEDY's boundary files (speedy.f90 ``data/bc/t30/clim/``), read, checked and put on the
model's grid.

The layout (six NetCDF files written by CDO from SPEEDY ver41's GrADS files, T30 Gaussian
grid of 96 x 48 points, latitudes north to south, longitudes from 0 E; monthly fields on 12
times, January first):

    surface.nc                  orog (m), lsm, alb, vegh, vegl      (lat, lon)
    sea_surface_temperature.nc  sst (K)                             (time, lat, lon)
    sea_ice.nc                  icec (0-1)
    land.nc                     stl (K, top soil layer)
    snow.nc                     snowd (kg m-2, water equivalent)
    soil.nc                     swl1, swl2, swl3 (volume fraction)

The files carry ``units = "1"`` on every variable and the physical unit in ``long_name``
("sea-sfc. temperature [degK]"), and no ``_FillValue`` attribute: missing points hold
netCDF's default fill, 9.96921e36 (SST over land, land fields over sea). Each file is
checked against its own metadata: the variable present, the dimensions, a Gaussian latitude
axis of 48 points (the T30 grid) and 96 longitudes, 12 months where monthly, and valid values
(not fill) in the plausible range SPEEDY's ``forchk`` uses wherever the binary mask of the
field's surface (land or sea) is set; a problem is one sentence naming the file and the
variable (`ModelParameterError`).

Missing values are SPEEDY's way: inside the binary mask they are filled with the mean of
the valid values of their latitude row (``fillsf``; the T30 files have none), outside it
they are set to ``forchk``'s constant (273 K for SST and land temperature, 0 for ice, snow
and soil water), which the physics never sees with weight (it weights by the fractions).

Regridding (``truncation != 30``): first-order conservative (area-weighted) remapping, cell
edges in longitude halfway between points and in mu = sin(latitude) at the cumulative
Gaussian weights, so that the Gaussian-quadrature global mean of every field is kept exactly
and a constant stays constant. SPEEDY itself never regrids (speedy.f90 ships one file set
per resolution); a conservative map is chosen over bilinear because T30 -> T21 is a
coarsening (bilinear would sample, not average, the 1.4 finer cells per coarse cell) and
because masked fields (SST over sea) must be averaged over the sea part of each cell: such a
field is remapped as remap(f w) / remap(w) with w its surface fraction.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from pipeline.models.base import ModelParameterError
from pipeline.models.speedy.spectral import Grid, gaussian_latitudes

FILE_GRID = (48, 96)  # (lat, lon) of the T30 files
MISSING = 1e30  # values above are netCDF's default fill (9.96921e36)
MONTHS = 12
MASK_THRESHOLD = 0.1  # SPEEDY's thrsh: binary masks where the fraction is >= 0.1


@dataclass(frozen=True)
class FieldSpec:
    """One variable of one file: its unit (as its long_name states it), whether it is
    monthly, the surface it belongs to (``land``, ``sea`` or None for everywhere), SPEEDY's
    forchk range of valid values and the value set outside the surface."""

    file: str
    name: str
    unit: str
    monthly: bool
    surface: str | None
    valid: tuple
    outside: float = 0.0


FIELDS = (
    FieldSpec("surface.nc", "orog", "m", False, None, (-500.0, 9000.0)),
    FieldSpec("surface.nc", "lsm", "[0-1]", False, None, (0.0, 1.0)),
    FieldSpec("surface.nc", "alb", "[0-1]", False, None, (0.0, 1.0)),
    FieldSpec("surface.nc", "vegh", "[0-1]", False, None, (0.0, 1.0)),
    FieldSpec("surface.nc", "vegl", "[0-1]", False, None, (0.0, 1.0)),
    FieldSpec("sea_surface_temperature.nc", "sst", "degK", True, "sea", (100.0, 400.0), 273.0),
    FieldSpec("sea_ice.nc", "icec", "[0-1]", True, "sea", (0.0, 1.0)),
    FieldSpec("land.nc", "stl", "degK", True, "land", (0.0, 400.0), 273.0),
    FieldSpec("snow.nc", "snowd", "kg/m", True, "land", (0.0, 20000.0)),
    FieldSpec("soil.nc", "swl1", "vol. fraction", True, "land", (0.0, 1.0)),
    FieldSpec("soil.nc", "swl2", "vol. fraction", True, "land", (0.0, 1.0)),
    FieldSpec("soil.nc", "swl3", "vol. fraction", True, "land", (0.0, 1.0)),
)


def default_directory() -> str:
    """Where tests look for the files: $LOWPREC_SPEEDY_BC, else ../shared/data/speedy-t30
    beside the repository (research-only data, never part of the project)."""
    here = os.path.dirname(os.path.abspath(__file__))
    repository = os.path.abspath(os.path.join(here, "..", "..", ".."))
    return os.environ.get("LOWPREC_SPEEDY_BC",
                          os.path.join(os.path.dirname(repository), "shared", "data",
                                       "speedy-t30"))


def _open(directory: str, name: str):
    import xarray as xr

    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        raise ModelParameterError(
            f"boundaries={directory}: {name} is missing (SPEEDY's T30 boundary files, "
            "speedy.f90's data/bc/t30/clim, are needed).")
    try:
        return xr.open_dataset(path, decode_times=False, mask_and_scale=False)
    except (OSError, ValueError):
        raise ModelParameterError(
            f"boundaries={directory}: {name} is not a readable NetCDF file.") from None


def _check_grid(data, spec: FieldSpec, where: str) -> None:
    variable = data[spec.name]
    dims = ("time", "lat", "lon") if spec.monthly else ("lat", "lon")
    if variable.dims != dims and not (not spec.monthly and variable.dims == ("time",) + dims):
        raise ModelParameterError(
            f"{where}: variable {spec.name} has dimensions {variable.dims}, expected {dims}.")
    if spec.monthly and variable.sizes["time"] != MONTHS:
        raise ModelParameterError(
            f"{where}: variable {spec.name} holds {variable.sizes['time']} months, expected 12 "
            "(a monthly climatology, January first).")
    if (variable.sizes["lat"], variable.sizes["lon"]) != FILE_GRID:
        raise ModelParameterError(
            f"{where}: variable {spec.name} is on a {variable.sizes['lat']} x "
            f"{variable.sizes['lon']} (lat x lon) grid, expected SPEEDY's T30 grid of 48 x 96.")
    lat = np.asarray(data["lat"].values, dtype=np.float64) if "lat" in data.coords else None
    expected = np.degrees(np.arcsin(gaussian_latitudes(FILE_GRID[0])[0]))[::-1]
    if lat is None or np.max(np.abs(lat - expected)) > 0.01:
        raise ModelParameterError(
            f"{where}: variable {spec.name} does not lie on T30 Gaussian latitudes "
            "(48, north to south).")
    lon = np.asarray(data["lon"].values, dtype=np.float64) if "lon" in data.coords else None
    if lon is None or np.max(np.abs(lon - 3.75 * np.arange(FILE_GRID[1]))) > 1e-6:
        raise ModelParameterError(
            f"{where}: variable {spec.name} does not lie on 96 longitudes from 0 E by 3.75 deg.")
    unit = f"{variable.attrs.get('long_name', '')} {variable.attrs.get('units', '')}"
    if spec.unit.lower() not in unit.lower():
        raise ModelParameterError(
            f"{where}: variable {spec.name} is not in {spec.unit} (its long_name and units "
            f"say {unit.strip()!r}).")


def read_raw(directory: str) -> dict:
    """Every variable of `FIELDS` as float64 (month, lat, lon) or (lat, lon), file layout,
    missing values still marked (NaN); checked against its file's metadata."""
    raw = {}
    opened = {}
    try:
        for spec in FIELDS:
            if spec.file not in opened:
                opened[spec.file] = _open(directory, spec.file)
            data = opened[spec.file]
            where = f"boundaries={directory}: {spec.file}"
            if spec.name not in data.data_vars:
                raise ModelParameterError(f"{where} has no variable {spec.name}.")
            _check_grid(data, spec, where)
            values = np.asarray(data[spec.name].values, dtype=np.float64)
            if not spec.monthly and values.ndim == 3:
                values = values[0]
            values = np.where(np.abs(values) > MISSING, np.nan, values)
            raw[spec.name] = values
    finally:
        for data in opened.values():
            data.close()
    _check_values(raw, directory)
    return raw


def binary_masks(land_fraction_raw):
    """SPEEDY's fractional and binary masks (land_model_init, sea_model_init): a fraction
    below 0.1 is 0, above 0.9 is 1; binary where the fraction is >= 0.1."""
    land = np.asarray(land_fraction_raw, dtype=np.float64)
    sea = 1.0 - land
    masks = {}
    for name, fraction in (("land", land), ("sea", sea)):
        binary = fraction >= MASK_THRESHOLD
        adjusted = np.where(binary, np.where(fraction > 1.0 - MASK_THRESHOLD, 1.0, fraction), 0.0)
        masks[name] = (adjusted, binary)
    return masks


def _check_values(raw: dict, directory: str) -> None:
    masks = binary_masks(np.nan_to_num(raw["lsm"]))
    for spec in FIELDS:
        values = raw[spec.name]
        inside = np.ones(FILE_GRID, bool) if spec.surface is None else masks[spec.surface][1]
        inside = np.broadcast_to(inside, values.shape)
        where = f"boundaries={directory}: {spec.file}"
        if spec.surface is None and np.isnan(values).any():
            raise ModelParameterError(f"{where}: variable {spec.name} has missing values.")
        valid = values[inside & ~np.isnan(values)]
        low, high = spec.valid
        if valid.size and (valid.min() < low or valid.max() > high):
            raise ModelParameterError(
                f"{where}: variable {spec.name} has values from {valid.min():.4g} to "
                f"{valid.max():.4g} over its surface, outside [{low:g}, {high:g}] {spec.unit}.")


def fill(values, inside, outside: float):
    """SPEEDY's treatment of missing values: inside the binary mask, the mean of the valid
    values of the latitude row (fillsf); outside, the constant ``outside`` (forchk)."""
    values = np.array(values, dtype=np.float64)
    missing = np.isnan(values)
    counts = (~missing).sum(axis=-1, keepdims=True)
    totals = np.where(missing, 0.0, values).sum(axis=-1, keepdims=True)
    row_mean = np.where(counts > 0, totals / np.maximum(counts, 1), outside)
    values = np.where(missing, row_mean, values)
    return np.where(np.broadcast_to(inside, values.shape), values, outside)


# --- conservative remapping -------------------------------------------------------------------

def _overlaps(source_edges, target_edges):
    """(target, source) overlap lengths of two sets of contiguous intervals."""
    low = np.maximum(target_edges[:-1, None], source_edges[None, :-1])
    high = np.minimum(target_edges[1:, None], source_edges[None, 1:])
    return np.maximum(high - low, 0.0)


def _latitude_edges(nlat: int) -> np.ndarray:
    """Cell edges in mu, south to north, at the cumulative Gaussian weights (sum 2)."""
    weights = gaussian_latitudes(nlat)[1]
    return np.concatenate(([-1.0], -1.0 + np.cumsum(weights)))


def _longitude_overlaps(n_source: int, n_target: int) -> np.ndarray:
    """(target, source) overlaps of cells centred on the points, periodic, in units of 2 pi."""
    def edges(n):
        return (np.arange(n + 1) - 0.5) / n

    src, tgt = edges(n_source), edges(n_target)
    total = np.zeros((n_target, n_source))
    for shift in (-1.0, 0.0, 1.0):
        total += _overlaps(src + shift, tgt)
    return total


@dataclass(frozen=True)
class Remap:
    """Conservative remapping from the T30 files' grid (north to south) to a model `Grid`
    ((lon, lat), south to north)."""

    latitude: np.ndarray  # (target lat, source lat), rows sum to the target cell width in mu
    longitude: np.ndarray  # (target lon, source lon)

    @classmethod
    def to(cls, grid: Grid) -> Remap:
        source = _latitude_edges(FILE_GRID[0])
        lat = _overlaps(source, _latitude_edges(grid.nlat))[:, ::-1]  # files run north to south
        return cls(lat, _longitude_overlaps(FILE_GRID[1], grid.nlon))

    def sums(self, values):
        """Area integrals over each target cell of (..., lat, lon) file values, (..., lon, lat)."""
        along_lat = np.einsum("ts,...sl->...tl", self.latitude, values)
        return np.einsum("ul,...tl->...ut", self.longitude, along_lat)

    def __call__(self, values, weight=None):
        """Area means per target cell; with ``weight`` (the surface fraction, (lat, lon)), the
        mean over the part of each cell that ``weight`` covers (``values`` where it is 0 do
        not count; cells without any are NaN)."""
        ones = np.ones(FILE_GRID)
        if weight is None:
            return self.sums(values) / self.sums(ones)
        covered = self.sums(weight)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(covered > 0, self.sums(values * weight) / covered, np.nan)
