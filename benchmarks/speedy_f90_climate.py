"""The SPEEDY-like model beside the Fortran speedy.f90 on the same T30 boundaries: a 60-day
annual-cycle run of each from rest on 1 January, global means side by side and a figure of
zonal means (issue 20's validation step; docs/speedy-f90-comparison.md).

    bash ../shared/anchors/speedy-f90/build.sh && bash ../shared/anchors/speedy-f90/run.sh 60
    python benchmarks/speedy_f90_climate.py /tmp/speedy-f90-runs/60d-diag [--days 60]
        [--from-day 20] [--to-day 60] [--boundaries ../shared/data/speedy-t30]
        [--figure FILE.png] [--start-from-f90]
        [--save-ours FILE.npz | --load-ours FILE.npz] [--reference-only]

Our run: T30, float64, 1 member, from rest (no initial noise unless --perturbation), SPEEDY's
physics, ``boundaries=DIR``, ``season=annual`` (the forcing advances daily from 1 January, as
speedy.f90's from 1982-01-01), ``land_model=slab``, daily output. With --start-from-f90 it
starts instead from speedy.f90's own t = 0 file (its rest state: p_s from 1013 hPa, its
humidity), written to a temporary ``initial_file``. speedy.f90's run: the ``diag`` variant of
the reference in shared/anchors/speedy-f90 (one file a day, yyyymmddhhmm.nc, see its
README.md); it is only read here, nothing of it enters the project. --reference-only prints
speedy.f90's column alone (any output interval, e.g. a year-long run with NSTEPS_OUT=180).

Means are over the outputs in (from_day, to_day]. Rates (precipitation, evaporation, OLR) are
means over each day in both models; temperatures, humidity, winds and surface pressure are
the 00 UTC snapshots, except speedy.f90's ``t0``, a daily mean that our model does not write.
For a like-for-like near-surface air temperature both models' snapshots go through the same
extrapolation to sigma = 0.99 (`near_surface_temperature`). The eddy kinetic energy is
(u'^2 + v'^2) / 2 of each snapshot's deviations from its zonal mean (stationary and transient
eddies together). Global means use the Gaussian quadrature weights of the T30 grid for both
models (the two grids are the same 48 Gaussian latitudes, south to north; speedy.f90 writes
them rounded differently, 87.2165 against 87.1591, and analyse.py's cos(latitude) weights
differ from these by < 0.001 mm/day); the pattern correlation of the time-mean surface
pressure (orography) checks that the rows line up.

Prints the wall and CPU time of our run with, measured just before it in the same process,
the calibration figure (benchmarks/speedy_boundaries.py's calibration_ms_per_step), and
speedy.f90's own timing.txt.
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides  # noqa: E402
from pipeline.models.run import run_block  # noqa: E402
from pipeline.models.speedy import Speedy  # noqa: E402
from pipeline.models.speedy.boundary_files import default_directory  # noqa: E402
from pipeline.models.speedy.physics.surface_fluxes import GAS_CONSTANT  # noqa: E402
from pipeline.precision import NumberFormat  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from speedy_boundaries import calibration_ms_per_step  # noqa: E402

FLOAT64 = NumberFormat.parse("float64")
SECONDS_PER_DAY = 86400.0
CELSIUS = 273.15
F90_FIELDS = ("precip", "precnv", "precls", "evap", "t0", "olr", "t", "ps", "q", "u", "v")


def read_speedy_f90(directory: str, from_day: float, to_day: float) -> dict:
    """speedy.f90's daily files in (from_day, to_day]: {name: (day, lat, lon) or (day, lev,
    lat, lon) float64}, plus 'days', 'latitude' (degrees, as written) and 'sigma'."""
    import netCDF4

    files = sorted(glob.glob(os.path.join(directory, "[0-9]" * 12 + ".nc")))
    if not files:
        raise SystemExit(f"{directory}: no speedy.f90 output files yyyymmddhhmm.nc")
    days, fields = [], {name: [] for name in F90_FIELDS}
    for path in files:
        with netCDF4.Dataset(path) as ds:
            day = float(ds["time"][0]) / 24.0
            if not from_day < day <= to_day + 1e-6:
                continue
            missing = [name for name in F90_FIELDS if name not in ds.variables]
            if missing:
                raise SystemExit(f"{path}: no {', '.join(missing)} (run the diag variant)")
            days.append(day)
            for name in F90_FIELDS:
                fields[name].append(np.ma.filled(ds[name][0].astype("f8"), np.nan))
            fields["q"][-1] = fields["q"][-1] * 1e3  # kg/kg -> g/kg
            latitude = np.asarray(ds["lat"][:], dtype="f8")
            sigma = np.asarray(ds["lev"][:], dtype="f8")
    if not days:
        raise SystemExit(f"{directory}: no output in days ({from_day}, {to_day}]")
    out = {name: np.array(values) for name, values in fields.items()}
    out.update(days=np.array(days), latitude=latitude, sigma=sigma)
    return out


def near_surface_temperature(temperature, surface_geopotential, land_fraction, sigma):
    """T_0 at sigma = 0.99 from (..., level, lat, lon) temperatures (K), as the surface fluxes
    extrapolate it (Molteni 2003, section 3f; pipeline/models/speedy/physics/surface_fluxes.py):
    T_K + w_s (T_K - T_{K-1}) where the lowest layer is warmer than the one above, T_K
    otherwise; over the sea the extrapolation also loses Phi_s dT / (R 288 K ln sigma_K);
    the two mixed by the land fraction. ``surface_geopotential`` (m2 s-2) and
    ``land_fraction`` are (lat, lon)."""
    lowest, above = temperature[..., -1, :, :], temperature[..., -2, :, :]
    weight = (np.log(0.99) - np.log(sigma[-1])) / (np.log(sigma[-1]) - np.log(sigma[-2]))
    increment = weight * (lowest - above)
    unstable = lowest > above
    land = np.where(unstable, lowest + increment, lowest)
    sea = np.where(unstable, lowest + increment - surface_geopotential * increment
                   / (GAS_CONSTANT * 288.0 * np.log(sigma[-1])), lowest)
    return sea + land_fraction * (land - sea)


def initial_file_from_f90(directory: str, path: str) -> str:
    """Write speedy.f90's start (its t = 0 file: rest, T from 288 K at z = 0 with 6 K/km and
    216 K above, p_s from 1013 hPa, its humidity) as an ``initial_file`` of our model."""
    import netCDF4
    import xarray as xr

    source = os.path.join(directory, "198201010000.nc")
    if not os.path.exists(source):
        raise SystemExit(f"{source}: speedy.f90's t = 0 file is missing")
    with netCDF4.Dataset(source) as ds:
        fields = {name: np.asarray(ds[name][0], dtype="f8") for name in ("u", "v", "t", "q", "ps")}
    level, surface = ("member", "time", "sigma", "lat", "lon"), ("member", "time", "lat", "lon")
    xr.Dataset({"u": (level, fields["u"][None, None]), "v": (level, fields["v"][None, None]),
                "temperature": (level, fields["t"][None, None]),
                "specific_humidity": (level, fields["q"][None, None]),
                "surface_pressure": (surface, fields["ps"][None, None])}).to_netcdf(path)
    return path


STATIC = ("latitude", "sigma", "thickness", "gauss_weights", "land_fraction",
          "surface_geopotential")


def run_ours(args) -> tuple[dict, dict | None, dict]:
    """(grid and boundary fields, our run's daily fields as read_speedy_f90's (south to
    north; None with --reference-only), timing)."""
    overrides = {"truncation": "30", "physics": "speedy", "days": f"{args.days:g}",
                 "output_interval_hours": "24", "boundaries": args.boundaries,
                 "season": "annual", "land_model": "slab",
                 "perturbation": f"{args.perturbation:g}"}
    for setting in args.set:
        key, _, value = setting.partition("=")
        overrides[key.strip()] = value.strip()
    if args.start_from_f90:
        import tempfile

        overrides["initial_file"] = initial_file_from_f90(
            args.f90_dir, os.path.join(tempfile.mkdtemp(), "speedy_f90_start.nc"))
    cfg = parse_overrides(Speedy.Config, overrides, "speedy")
    model = Speedy(cfg, FLOAT64)
    grid = model.grid
    static = {"latitude": grid.latitude, "sigma": np.asarray(model.levels.full),
              "thickness": np.asarray(model.levels.thickness),
              "gauss_weights": grid.weights,
              "land_fraction": np.asarray(model.moist.boundaries.land_fraction).T,
              "surface_geopotential": np.asarray(model.moist.surface_geopotential_grid).T}
    if args.reference_only:
        return static, None, {}
    if args.load_ours:
        with np.load(args.load_ours) as data:
            return static, {name: data[name] for name in data.files if name not in STATIC}, {}
    calibration = calibration_ms_per_step()
    start, cpu_start = time.perf_counter(), time.process_time()
    result = run_block(Speedy, cfg, FLOAT64, 1, 0, 0, [0])
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    if not np.isnan(result.blowup_time).all():
        raise SystemExit(f"our run blew up at day {result.blowup_time}")
    f = result.fields
    ours = {
        "precip": f["precipitation"][0] * SECONDS_PER_DAY,
        "precnv": f["convective_precipitation"][0] * SECONDS_PER_DAY,
        "precls": f["large_scale_precipitation"][0] * SECONDS_PER_DAY,
        "evap": f["evaporation"][0] * SECONDS_PER_DAY,
        "olr": f["outgoing_longwave_radiation"][0],
        "t": f["temperature"][0], "ps": f["surface_pressure"][0],
        "q": f["specific_humidity"][0] * 1e3, "u": f["u"][0], "v": f["v"][0],
        "surface_temperature": f["surface_temperature"][0],
        "days": np.asarray(result.times, dtype="f8")}
    if args.save_ours:
        np.savez_compressed(args.save_ours, **ours)
    steps = args.days * cfg.step_count_per_day
    timing = {"wall": wall, "cpu": cpu, "steps": steps, "calibration": calibration}
    return static, ours, timing


def select_days(fields: dict, from_day: float, to_day: float) -> dict:
    keep = (fields["days"] > from_day) & (fields["days"] <= to_day + 1e-6)
    return {name: value[keep] for name, value in fields.items()}


def add_derived(fields: dict, static: dict) -> None:
    """Near-surface air temperature, lowest-level humidity and wind speed, precipitable
    water, and the eddy kinetic energy (deviations from the zonal mean of each daily
    snapshot, so stationary and transient eddies together), all from the 00 UTC snapshots."""
    sigma, lowest = static["sigma"], len(static["sigma"]) - 1
    fields["t0_snapshot"] = near_surface_temperature(
        fields["t"], static["surface_geopotential"], static["land_fraction"], sigma)
    fields["q_lowest"] = fields["q"][:, lowest]
    fields["speed_lowest"] = np.hypot(fields["u"][:, lowest], fields["v"][:, lowest])
    # precipitable water, kg m-2: sum_k q_k dsigma_k p_s / g (q in g/kg)
    fields["water"] = np.einsum("dkij,k->dij", fields["q"], static["thickness"]) \
        * fields["ps"] / 9.81 / 1e3
    eddy_u = fields["u"] - fields["u"].mean(axis=-1, keepdims=True)
    eddy_v = fields["v"] - fields["v"].mean(axis=-1, keepdims=True)
    fields["eddy_kinetic_energy"] = 0.5 * (eddy_u**2 + eddy_v**2)


def f90_timing(directory: str) -> dict:
    path = Path(directory) / "timing.txt"
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text().splitlines():
        key, _, rest = line.partition(" ")
        values[key] = rest.strip()
    return values


def markdown_table(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def figure(path: Path, f90: dict, ours: dict, static: dict, from_day: float,
           to_day: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sigma, lowest = static["sigma"], len(static["sigma"]) - 1
    panels = [("precipitation (mm/day)", "precip", None)]
    for target in (0.95, 0.51):
        k = int(np.argmin(np.abs(sigma - target)))
        panels.append((f"temperature at sigma {sigma[k]:.2f} (K)", "t", k))
    panels.append((f"zonal wind at sigma {sigma[lowest]:.2f} (m/s)", "u", lowest))
    fig, axes = plt.subplots(2, 2, figsize=(10.5, 7.0))
    for ax, (title, name, k) in zip(axes.ravel(), panels):
        for fields, latitude, colour, label in ((f90, f90["latitude"], "k", "speedy.f90"),
                                                (ours, static["latitude"], "C3",
                                                 "lowprec (Python)")):
            values = fields[name] if k is None else fields[name][:, k]
            ax.plot(latitude, values.mean(axis=(0, 2)), color=colour, label=label)
        ax.set(title=title, xlabel="latitude", xlim=(-90, 90), xticks=np.arange(-90, 91, 30))
        ax.grid(alpha=0.3)
    axes[1, 1].axhline(0.0, color="0.5", linewidth=0.8)
    axes[0, 0].legend(frameon=False)
    fig.suptitle(f"T30, float64, annual cycle from rest on 1 January: zonal means over days "
                 f"({from_day:g}, {to_day:g}]", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("f90_dir", help="speedy.f90 run directory (run.sh's OUTDIR)")
    parser.add_argument("--days", type=float, default=60.0, help="length of our run")
    parser.add_argument("--from-day", type=float, default=20.0)
    parser.add_argument("--to-day", type=float, default=None, help="default: --days")
    parser.add_argument("--boundaries", default=default_directory())
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a model parameter of ours, e.g. stratospheric_diffusion_levels=all "
                             "(speedy.f90's diffusion); repeatable")
    parser.add_argument("--perturbation", type=float, default=0.0,
                        help="K, sd of our initial temperature noise (speedy.f90 has none)")
    parser.add_argument("--start-from-f90", action="store_true",
                        help="start ours from speedy.f90's t = 0 state instead of our own rest")
    parser.add_argument("--figure", type=Path, default=None,
                        help="write the zonal-mean figure here (none by default: the "
                             "committed docs/figures/ are only written when named)")
    parser.add_argument("--save-ours", help="write our run's daily fields to this .npz")
    parser.add_argument("--load-ours", help="read our daily fields from --save-ours's .npz "
                                            "instead of running (no wall time then)")
    parser.add_argument("--reference-only", action="store_true",
                        help="speedy.f90's means only (any output interval), no run of ours")
    args = parser.parse_args()
    to_day = args.days if args.to_day is None else args.to_day

    static, ours, timing = run_ours(args)
    f90 = read_speedy_f90(args.f90_dir, args.from_day, to_day)
    sigma = static["sigma"]
    if np.max(np.abs(f90["latitude"] - static["latitude"])) > 0.1 or \
            np.max(np.abs(f90["sigma"] - sigma)) > 1e-5:
        raise SystemExit("the two grids differ (latitudes south to north, 8 sigma levels)")
    add_derived(f90, static)
    note = ""
    if ours is not None:
        ours = select_days(ours, args.from_day, to_day)
        if not np.array_equal(np.round(f90["days"]), np.round(ours["days"])):
            raise SystemExit(f"days differ: speedy.f90 {f90['days']}, ours {ours['days']}")
        add_derived(ours, static)
        # Orientation check: the time-mean surface pressure (orography) must match in pattern.
        correlation = np.corrcoef(f90["ps"].mean(axis=0).ravel(),
                                  ours["ps"].mean(axis=0).ravel())[0, 1]
        note = f"; pattern correlation of the time-mean p_s {correlation:.4f}"
    else:
        ours = {}

    weights = static["gauss_weights"][:, None] * np.ones((1, f90["precip"].shape[-1]))
    latitude, land = static["latitude"], static["land_fraction"]
    sea = 1.0 - land

    def band(low, high):
        return ((latitude > low) & (latitude < high))[:, None] * np.ones_like(weights)

    def daily_means(field, part=None):
        part = np.ones_like(weights) if part is None else part
        return (field * part * weights).sum(axis=(-2, -1)) / (part * weights).sum()

    def row(label, name, level=None, offset=0.0, fmt="{:.3f}", part=None, scale=1.0):
        series = []
        for fields in (f90, ours):
            if name not in fields:
                series.append(None)
                continue
            values = fields[name] if level is None else fields[name][:, level]
            series.append(daily_means(values * scale, part) - offset)
        means = [None if s is None else float(s.mean()) for s in series]
        cells = [label] + ["—" if m is None else fmt.format(m) for m in means]
        cells.append("—" if None in means else f"{means[1] - means[0]:+.3f}")
        cells += ["—" if s is None else f"{fmt.format(s.min())} .. {fmt.format(s.max())}"
                  for s in series]
        return cells

    lowest = len(sigma) - 1
    k34 = int(np.argmin(np.abs(sigma - 0.34)))
    temperature = dict(offset=CELSIUS, fmt="{:.2f}")
    rows = [
        row("precipitation (mm/day)", "precip"),
        row("  over land", "precip", part=land),
        row("  over sea", "precip", part=sea),
        row("convective precipitation (mm/day)", "precnv"),
        row("large-scale precipitation (mm/day)", "precls"),
        row("evaporation (mm/day)", "evap"),
        row("  over land", "evap", part=land),
        row("  over sea", "evap", part=sea),
        row("OLR (W/m2)", "olr", fmt="{:.2f}"),
        row("t0, daily mean (C; ours not written)", "t0", **temperature),
        row("T_0 from 00 UTC T, same formula (C)", "t0_snapshot", **temperature),
        row("  over land", "t0_snapshot", part=land, **temperature),
        row("  over sea", "t0_snapshot", part=sea, **temperature),
        row("surface temperature, 00 UTC (C; f90 not written)", "surface_temperature",
            **temperature),
        row("surface pressure, 00 UTC (hPa)", "ps", fmt="{:.2f}", scale=0.01),
        row("precipitable water, 00 UTC (kg/m2)", "water", fmt="{:.2f}"),
        row(f"q at sigma {sigma[lowest]:.3f}, 00 UTC (g/kg)", "q_lowest"),
        row(f"wind speed at sigma {sigma[lowest]:.3f}, 00 UTC (m/s)", "speed_lowest"),
        row(f"zonal wind at sigma {sigma[lowest]:.3f}, 40-60 S (m/s)", "u", lowest,
            part=band(-60, -40)),
        row(f"zonal wind at sigma {sigma[lowest]:.3f}, 40-60 N (m/s)", "u", lowest,
            part=band(40, 60)),
        row(f"eddy kinetic energy at sigma {sigma[k34]:.2f}, 35-65 S (m2/s2)",
            "eddy_kinetic_energy", k34, fmt="{:.1f}", part=band(-65, -35)),
        row(f"eddy kinetic energy at sigma {sigma[k34]:.2f}, 35-65 N (m2/s2)",
            "eddy_kinetic_energy", k34, fmt="{:.1f}", part=band(35, 65)),
    ]
    for k, s in enumerate(sigma):
        rows.append(row(f"T at sigma {s:.3f}, 00 UTC (C)", "t", k, **temperature))
    rows.append(row(f"  sigma {sigma[lowest]:.3f} over land", "t", lowest, part=land,
                    **temperature))
    rows.append(row(f"  sigma {sigma[lowest]:.3f} over sea", "t", lowest, part=sea,
                    **temperature))

    if timing:
        per_step = 1e3 / timing["steps"]
        print(f"ours: T30 float64, 1 member, {args.days:g} days ({timing['steps']:.0f} steps): "
              f"wall {timing['wall']:.1f} s ({timing['wall'] * per_step:.1f} ms/step), "
              f"CPU {timing['cpu']:.1f} s ({timing['cpu'] * per_step:.1f} ms/step); calibration "
              f"(bench_speedy.py dry float64 T30) {timing['calibration']:.1f} ms/step")
    t = f90_timing(args.f90_dir)
    if t:
        print(f"speedy.f90 ({t.get('variant', '?')}): wall {t.get('wall_s')} s, CPU "
              f"{t.get('cpu_s')}; {t.get('ms_per_step_wall')} ms/step wall, "
              f"{t.get('ms_per_step_cpu')} ms/step CPU; {t.get('machine')}")
    print(f"\nGlobal means (Gaussian weights) over days ({args.from_day:g}, {to_day:g}], "
          f"{len(f90['days'])} outputs{note}\n")
    print(markdown_table(["quantity", "speedy.f90", "ours", "ours − f90", "f90 daily range",
                          "ours daily range"], rows))

    k95 = int(np.argmin(np.abs(sigma - 0.95)))
    k51 = int(np.argmin(np.abs(sigma - 0.51)))
    band_rows = []
    for low, high in [(-90, -60), (-60, -30), (-30, -10), (-10, 10), (10, 30), (30, 60),
                      (60, 90)]:
        cells = [f"{low}..{high}"]
        for name, level, offset in (("precip", None, 0.0), ("t", k95, CELSIUS),
                                    ("t", k51, CELSIUS), ("u", k95, 0.0)):
            for fields in (f90, ours):
                if name not in fields:
                    cells.append("—")
                    continue
                values = fields[name] if level is None else fields[name][:, level]
                cells.append(f"{float(daily_means(values, band(low, high)).mean()) - offset:.2f}")
        band_rows.append(cells)
    print(f"\nBand means (Gaussian weights), days ({args.from_day:g}, {to_day:g}]\n")
    print(markdown_table(["latitude band", "P f90", "P ours", "T0.95 f90 (C)", "T0.95 ours (C)",
                          "T0.51 f90 (C)", "T0.51 ours (C)", "u0.95 f90", "u0.95 ours"],
                         band_rows))

    if ours and args.figure is not None:
        figure(args.figure, f90, ours, static, args.from_day, to_day)
        print(f"\nfigure: {args.figure}")


if __name__ == "__main__":
    main()
