"""Global-mean energy and water budget of a speedy.f90 run with the TOA output patch.

    python benchmarks/speedy_f90/aquaplanet_analyse.py RUNDIR
        [--window LABEL:YYYY-MM-DD:YYYY-MM-DD ...] [--series DAYS]

RUNDIR holds the daily output files ``yyyymmddhhmm.nc`` of the ``toa`` variant built by
benchmarks/speedy_f90_aquaplanet.sh (the anchor's diagnostics patch plus
benchmarks/speedy_f90/toa-output.patch): each holds the means over the day that ends at its
valid time of precnv, precls, evap (mm/day), olr, tsr, fsol, ssr, slr, shf, hfluxn_sea
(W/m2), t0 (K) and cloudc. A window START:END averages the files valid in (START 00 UTC,
END 00 UTC], i.e. the days START .. END - 1.

Global means use the Gaussian weights of the 48 latitudes (cos(latitude) weights, as the
anchor's analyse.py, are printed alongside for the TOA net). Derived quantities:

* TOA net = tsr - olr (downward);
* latent heat = alhc evap, alhc = 2501 J/g (1 mm/day = 1/86.4 g m-2 s-1);
* surface net = ssr - slr - shf - latent heat (downward into the sea);
* hfluxn_sea is hfluxn(:,:,2) as speedy.f90 codes it: surface_fluxes.f90 adds shf and the
  latent heat instead of subtracting them (the sign slip jax-gcm fixed in its port, PR #406).
  With prescribed SST it feeds only run_sea_model: the slab-ocean SST sst_om, unused, and
  the sea-ice temperature, which matters only where there is ice (none on the aquaplanet).
  It is printed only to show the slip; the surface net above does not use it.

The circulation line gives, for comparison with benchmarks/speedy_aquaplanet.py, the
zonal-mean precipitation maximum (ITCZ), the zonal-mean wind maxima at sigma 0.2 and the
Hadley cells (extremes equatorward of 35 degrees of the mean meridional mass streamfunction
2 pi a cos(lat) p_s / g sum v dsigma, from the 00 UTC snapshots of v and p_s), and the
global-mean eddy kinetic energy (u'^2 + v'^2) / 2 at sigma 0.34 (deviations from the zonal
mean of each snapshot): 0 when the flow is exactly zonally symmetric (speedy.f90 from rest
on zonally symmetric boundaries, see aquaplanet_boundaries.py).

--series N prints the N-day means of the TOA net through the whole run (spin-up).
"""

from __future__ import annotations

import argparse
import datetime as dt
import glob
import os

import netCDF4
import numpy as np

ALHC = 2501.0  # J/g, speedy.f90 physical_constants
RADIUS, GRAVITY = 6.371e6, 9.81  # m, m s-2 (speedy.f90 physical_constants)
HALF_SIGMA = np.array([0.0, 0.05, 0.14, 0.26, 0.42, 0.6, 0.77, 0.9, 1.0])  # geometry.f90, kx = 8
MM_PER_DAY = 86.4  # mm/day per g m-2 s-1
FIELDS = ("fsol", "tsr", "olr", "ssr", "slr", "shf", "hfluxn_sea", "precip", "precnv",
          "precls", "evap", "cloudc", "t0")


def output_files(rundir: str) -> list[tuple[dt.datetime, str]]:
    files = sorted(glob.glob(os.path.join(rundir, "[0-9]" * 12 + ".nc")))
    if not files:
        raise SystemExit(f"{rundir}: no yyyymmddhhmm.nc files")
    return [(dt.datetime.strptime(os.path.basename(f)[:12], "%Y%m%d%H%M"), f) for f in files]


def weights(lat_degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(Gaussian, cos-lat) weights per row, each summing to 1, for the file's row order."""
    mu, w = np.polynomial.legendre.leggauss(lat_degrees.size)  # south to north
    if np.max(np.abs(np.degrees(np.arcsin(mu)) - lat_degrees)) > 0.1:
        if np.max(np.abs(np.degrees(np.arcsin(mu[::-1])) - lat_degrees)) > 0.1:
            raise SystemExit("output latitudes are not Gaussian")
        w = w[::-1]
    cos = np.cos(np.radians(lat_degrees))
    return w / w.sum(), cos / cos.sum()


def daily_means(rundir: str) -> tuple[list[dt.datetime], dict[str, np.ndarray], dict]:
    """Valid times and global means per daily file (files without the means are skipped);
    ``coslat`` also carries the zonal means for the circulation line."""
    times, gauss = [], {name: [] for name in FIELDS}
    coslat = {"toa": [], "precip": [], "u": [], "v": [], "ps": [], "eke": [], "lat": None,
              "sigma": None}
    for when, path in output_files(rundir):
        with netCDF4.Dataset(path) as ds:
            if "tsr" not in ds.variables:
                raise SystemExit(f"{path}: no tsr: not the toa variant's output")
            if np.ma.is_masked(ds["tsr"][0]):
                continue  # the t = 0 file
            wg, wc = weights(np.asarray(ds["lat"][:], dtype="f8"))
            fields = {name: np.asarray(ds[name][0], dtype="f8") for name in FIELDS}
            coslat["lat"] = np.asarray(ds["lat"][:], dtype="f8")
            coslat["sigma"] = np.asarray(ds["lev"][:], dtype="f8")
            u, v = (np.asarray(ds[name][0], dtype="f8") for name in ("u", "v"))
            coslat["u"].append(u.mean(axis=-1))
            coslat["v"].append(v.mean(axis=-1))
            k = int(np.abs(coslat["sigma"] - 0.34).argmin())
            eddy = 0.5 * ((u[k] - u[k].mean(axis=-1, keepdims=True)) ** 2
                          + (v[k] - v[k].mean(axis=-1, keepdims=True)) ** 2)
            coslat["eke"].append(float(eddy.mean(axis=-1) @ wg))
            coslat["ps"].append(np.asarray(ds["ps"][0], dtype="f8").mean(axis=-1))
        coslat["precip"].append(fields["precip"].mean(axis=-1))
        times.append(when)
        for name in FIELDS:
            gauss[name].append(float(fields[name].mean(axis=1) @ wg))
        coslat["toa"].append(float((fields["tsr"] - fields["olr"]).mean(axis=1) @ wc))
    gauss = {name: np.array(values) for name, values in gauss.items()}
    gauss["lhf"] = ALHC * gauss["evap"] / MM_PER_DAY
    gauss["toa"] = gauss["tsr"] - gauss["olr"]
    gauss["sfc"] = gauss["ssr"] - gauss["slr"] - gauss["shf"] - gauss["lhf"]
    gauss["atm"] = gauss["toa"] - gauss["sfc"]
    gauss["albedo"] = 1.0 - gauss["tsr"] / gauss["fsol"]
    for key in ("toa", "precip", "u", "v", "ps", "eke"):
        coslat[key] = np.array(coslat[key])
    return times, gauss, coslat


def circulation(coslat, chosen) -> str:
    lat, sigma = coslat["lat"], coslat["sigma"]
    rain = coslat["precip"][chosen].mean(axis=0)
    level = int(np.abs(sigma - 0.2).argmin())
    u = coslat["u"][chosen].mean(axis=0)[level]
    jets = []
    for hemisphere in (lat < 0, lat > 0):
        i = int(u[hemisphere].argmax())
        jets.append(f"{u[hemisphere][i]:.1f} m/s at {lat[hemisphere][i]:+.1f}")
    v, ps = coslat["v"][chosen].mean(axis=0), coslat["ps"][chosen].mean(axis=0)
    psi = (2 * np.pi * RADIUS * np.cos(np.radians(lat)) * ps / GRAVITY
           * np.cumsum(v * np.diff(HALF_SIGMA)[:, None], axis=0))
    tropics = np.abs(lat) < 35
    south = psi[:, tropics & (lat < 0)].min()
    north = psi[:, tropics & (lat > 0)].max()
    return (f"ITCZ {rain.max():.1f} mm/day at {lat[rain.argmax()]:+.1f}; jets at sigma "
            f"{sigma[level]:.2f}: {', '.join(jets)}; Hadley cells {south / 1e10:.1f} and "
            f"{north / 1e10:+.1f} x 1e10 kg/s; eddy KE at sigma 0.34 "
            f"{coslat['eke'][chosen].mean():.1f} m2/s2")


ROWS = (
    ("fsol", "TOA insolation fsol", "W/m2"),
    ("tsr", "TOA net shortwave tsr", "W/m2"),
    ("olr", "OLR", "W/m2"),
    ("toa", "TOA net = tsr - olr", "W/m2"),
    ("albedo", "planetary albedo 1 - tsr/fsol", ""),
    ("ssr", "surface net shortwave ssr", "W/m2"),
    ("slr", "surface net longwave up slr", "W/m2"),
    ("shf", "sensible heat shf", "W/m2"),
    ("lhf", "latent heat alhc evap", "W/m2"),
    ("sfc", "surface net = ssr-slr-shf-lh", "W/m2"),
    ("atm", "TOA net - surface net", "W/m2"),
    ("hfluxn_sea", "hfluxn(:,:,2) as coded", "W/m2"),
    ("precip", "precipitation", "mm/day"),
    ("precnv", "  convective", "mm/day"),
    ("precls", "  large-scale", "mm/day"),
    ("evap", "evaporation", "mm/day"),
    ("cloudc", "cloud cover cloudc", ""),
    ("t0", "near-surface air T t0", "K"),
)


def report(label, start, end, times, gauss, coslat, run_start) -> dict[str, float]:
    chosen = np.array([start < when <= end for when in times])
    if not chosen.any():
        raise SystemExit(f"window {label}: no daily means valid in ({start}, {end}]")
    n = int(chosen.sum())
    first = min(w for w, c in zip(times, chosen) if c) - dt.timedelta(days=1)
    last = max(w for w, c in zip(times, chosen) if c)
    d0, d1 = (first - run_start).days, (last - run_start).days
    print(f"window {label}: {first:%Y-%m-%d} .. {last:%Y-%m-%d} 00 UTC, {n} daily means "
          f"(days {d0}..{d1} of the run from {run_start:%Y-%m-%d}); Gaussian-weighted")
    print(f"  {'quantity':32s} {'mean':>10s}   daily min .. max")
    means = {}
    for key, name, unit in ROWS:
        values = gauss[key][chosen]
        means[key] = float(values.mean())
        fmt = ".4f" if key in ("albedo", "cloudc") else ".3f"
        print(f"  {name:32s} {values.mean():10{fmt}} {unit:6s} {values.min():{fmt}} .. "
              f"{values.max():{fmt}}")
    toa_cos = coslat["toa"][chosen]
    print(f"  {'TOA net, cos(lat) weights':32s} {toa_cos.mean():10.3f} W/m2   "
          f"{toa_cos.min():.3f} .. {toa_cos.max():.3f}")
    print(f"  {'P/E - 1':32s} {means['precip'] / means['evap'] - 1:+10.2%}")
    print(f"  circulation: {circulation(coslat, chosen)}")
    means["toa_cos"] = float(toa_cos.mean())
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rundir")
    parser.add_argument("--window", action="append", default=[],
                        help="LABEL:YYYY-MM-DD:YYYY-MM-DD (repeatable)")
    parser.add_argument("--series", type=int, default=0, metavar="DAYS")
    args = parser.parse_args()
    files = output_files(args.rundir)
    run_start = files[0][0]
    times, gauss, coslat = daily_means(args.rundir)
    print(f"{args.rundir}: {len(times)} daily means, {times[0]:%Y-%m-%d} .. "
          f"{times[-1]:%Y-%m-%d} (run from {run_start:%Y-%m-%d %H:%M})")
    windows = args.window or [f"all:{run_start:%Y-%m-%d}:{times[-1]:%Y-%m-%d}"]
    results = {}
    for spec in windows:
        label, start, end = spec.split(":")
        start, end = (dt.datetime.strptime(s, "%Y-%m-%d") for s in (start, end))
        if end > times[-1]:
            print(f"window {label}: ends {end:%Y-%m-%d}, after the run's last output; skipped")
            continue
        results[label] = report(label, start, end, times, gauss, coslat, run_start)
    if len(results) > 1:
        labels = list(results)
        print(f"mean of the windows {', '.join(labels)}:")
        for key, name, unit in ROWS + (("toa_cos", "TOA net, cos(lat) weights", "W/m2"),):
            value = np.mean([results[label][key] for label in labels])
            fmt = ".4f" if key in ("albedo", "cloudc") else ".3f"
            print(f"  {name:32s} {value:10{fmt}} {unit}")
    if args.series:
        print(f"TOA net (W/m2), OLR and precipitation, {args.series}-day means through the run:")
        for i in range(0, len(times), args.series):
            sl = slice(i, i + args.series)
            print(f"  {times[i] - dt.timedelta(days=1):%Y-%m-%d} +{len(times[sl]):2d} d  "
                  f"toa {gauss['toa'][sl].mean():7.2f}  tsr {gauss['tsr'][sl].mean():7.2f}  "
                  f"olr {gauss['olr'][sl].mean():7.2f}  sfc {gauss['sfc'][sl].mean():7.2f}  "
                  f"precip {gauss['precip'][sl].mean():5.3f}  cloud "
                  f"{gauss['cloudc'][sl].mean():.3f}  eddy KE {coslat['eke'][sl].mean():6.2f}")


if __name__ == "__main__":
    main()
