"""Aquaplanet boundary files for speedy.f90 (T30): the APE "Qobs" SST, no land, no ice.

    python benchmarks/speedy_f90/aquaplanet_boundaries.py SRC_DIR OUT_DIR
        [--sst-noise 0.01] [--seed 1]

SRC_DIR holds SPEEDY's T30 boundary files (shared/data/speedy-t30: surface.nc,
sea_surface_temperature.nc, sea_ice.nc, land.nc, snow.nc, soil.nc). OUT_DIR gets copies
with

* surface.nc: orography ``orog`` = 0 m and land-sea mask ``lsm`` = 0 (all sea); the
  bare-land albedo ``alb`` and the vegetation ``vegh``, ``vegl`` are left as they are
  (speedy.f90 weights the land by its land fraction, 0 everywhere);
* sea_surface_temperature.nc: ``sst`` (K) = Qobs at the exact Gaussian latitudes of the
  T30 grid plus a fixed white noise of standard deviation --sst-noise (K, default 0.01;
  numpy default_rng(--seed)), the same in all 12 months;
* sea_ice.nc: ``icec`` = 0;
* land.nc, snow.nc, soil.nc: unchanged copies (speedy.f90 reads them; with no land they
  only fill the land model's arrays, which the all-sea mask weights by 0).

Why the noise: speedy.f90 starts from an exactly zonally symmetric rest state and has no
initial-noise option, so with zonally symmetric boundaries its flow stays zonally symmetric
to the last bit (no eddies at all: an axisymmetric climate; measured over 317 days with
--sst-noise 0). A 0.01 K SST noise breaks the symmetry and lets the eddies grow, as the 0.1 K
initial temperature noise does in the SPEEDY-like model.

The files run north to south (speedy.f90 flips the rows when it reads them); the script
checks that the files' latitudes are the Gaussian ones in that order. The SST is the
project's own Qobs formula (`pipeline.models.speedy.boundaries.qobs_sea_surface_temperature`),
so run this with the project's Python (.venv/bin/python).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import netCDF4
import numpy as np

NLAT = 48
FILES = ("surface.nc", "sea_surface_temperature.nc", "sea_ice.nc", "land.nc", "snow.nc",
         "soil.nc")


def qobs(latitude):
    """APE Qobs SST (K) at ``latitude`` (radians), the project's own formula, so that both
    models see the same SST."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from pipeline.models.speedy.boundaries import qobs_sea_surface_temperature

    return qobs_sea_surface_temperature(latitude), "pipeline.models.speedy.boundaries"


def gaussian_latitudes_north_to_south() -> np.ndarray:
    """The 48 Gaussian latitudes (radians), north to south, as the files' rows."""
    mu, _ = np.polynomial.legendre.leggauss(NLAT)  # ascending: south to north
    return np.arcsin(mu[::-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--sst-noise", type=float, default=0.01, metavar="K",
                        help="standard deviation of the fixed SST noise (0: exactly zonal)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        target = args.out / name
        target.unlink(missing_ok=True)
        shutil.copyfile(args.src / name, target)  # not copymode: the sources are read-only

    latitude = gaussian_latitudes_north_to_south()
    sst_column, source = qobs(latitude)

    with netCDF4.Dataset(args.out / "surface.nc", "r+") as ds:
        file_lat = np.asarray(ds["lat"][:], dtype="f8")
        if file_lat.shape != (NLAT,) or np.max(np.abs(file_lat - np.degrees(latitude))) > 1e-3:
            raise SystemExit(f"{args.src}/surface.nc: latitudes are not T30 Gaussian north to "
                             f"south ({file_lat[:3]} ...)")
        ds["orog"][:] = np.zeros(ds["orog"].shape, dtype="f4")
        ds["lsm"][:] = np.zeros(ds["lsm"].shape, dtype="f4")

    with netCDF4.Dataset(args.out / "sea_surface_temperature.nc", "r+") as ds:
        file_lat = np.asarray(ds["lat"][:], dtype="f8")
        if np.max(np.abs(file_lat - np.degrees(latitude))) > 1e-3:
            raise SystemExit("sea_surface_temperature.nc: latitudes not Gaussian north to south")
        sst = ds["sst"]
        assert sst.dimensions == ("time", "lat", "lon") and sst.shape[:2] == (12, NLAT), sst
        noise = args.sst_noise * np.random.default_rng(args.seed).standard_normal(sst.shape[1:])
        field = np.broadcast_to(sst_column[None, :, None] + noise[None], sst.shape).astype("f4")
        sst[:] = field

    with netCDF4.Dataset(args.out / "sea_ice.nc", "r+") as ds:
        ds["icec"][:] = np.zeros(ds["icec"].shape, dtype="f4")

    # Read back what speedy.f90 will read (float32, rows north to south).
    with netCDF4.Dataset(args.out / "sea_surface_temperature.nc") as ds:
        back = np.ma.filled(ds["sst"][:], np.nan)
    print(f"aquaplanet boundary files in {args.out} (SST from {source})")
    zonal = back[0].mean(axis=1)
    print(f"  sst: {back.shape}, {np.nanmin(back):.2f} .. {np.nanmax(back):.2f} K, zonal means "
          f"row 1 (lat {np.degrees(latitude[0]):.3f}) {zonal[0]:.3f} K, rows 24/25 "
          f"(lat +-{np.degrees(latitude[23]):.3f}) {zonal[23]:.3f} / {zonal[24]:.3f} K; "
          f"noise sd {np.std(back[0] - sst_column[:, None]):.4f} K (seed {args.seed}); "
          f"all months equal: {bool(np.all(back == back[:1]))}")
    print("  lsm = 0, orog = 0, icec = 0; land.nc, snow.nc, soil.nc unchanged")


if __name__ == "__main__":
    main()
