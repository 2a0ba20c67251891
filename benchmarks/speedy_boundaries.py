"""The float64 climate of the SPEEDY-like model on SPEEDY's realistic boundaries: a short run
and its figures for docs/speedy-boundaries.md, with the calibration figure beside the wall time.

    python benchmarks/speedy_boundaries.py [--truncation 21] [--days 40] [--spinup 10]
        [--season perpetual-january] [--boundaries ../shared/data/speedy-t30]
        [--land-model slab|prescribed]

Prints the wall time of the run and, measured just before it in the same process, the dry
float64 ms/step of benchmarks/bench_speedy.py's calibration case (T30, 100 steps, the figure
the project quotes wall times against); then the means over the days after the spin-up:
global-mean precipitation (and over land and sea), evaporation, the surface (skin) and
lowest-level air temperatures over land and sea, and the global-mean temperature at each
sigma level (SPEEDY ver41 at T30, perpetual January: about 13.6 C at 0.95, -12.8 C at 0.51,
-62.9 C at 0.025).
"""

from __future__ import annotations

import argparse
import os
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides  # noqa: E402
from pipeline.models.run import run_block  # noqa: E402
from pipeline.models.speedy import Speedy  # noqa: E402
from pipeline.models.speedy.boundary_files import default_directory  # noqa: E402
from pipeline.precision import NumberFormat  # noqa: E402

FLOAT64 = NumberFormat.parse("float64")
SECONDS_PER_DAY = 86400.0


def calibration_ms_per_step(steps: int = 100) -> float:
    """bench_speedy.py's dry float64 case: T30, Held-Suarez, Jablonowski-Williamson start."""
    cfg = parse_overrides(Speedy.Config, {"truncation": "30", "initial_state":
                                          "jablonowski-williamson", "days": "1"}, "speedy")
    model = Speedy(cfg, FLOAT64)
    state = model.initial_state([np.random.default_rng(0)])
    for _ in range(5):
        state = model.step(state)
    best = np.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            state = model.step(state)
        best = min(best, time.perf_counter() - start)
    return 1e3 * best / steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--truncation", type=int, default=21)
    parser.add_argument("--days", type=float, default=40.0)
    parser.add_argument("--spinup", type=float, default=10.0, help="days left out of the means")
    parser.add_argument("--season", default="perpetual-january")
    parser.add_argument("--boundaries", default=default_directory())
    parser.add_argument("--land-model", default="slab", choices=("slab", "prescribed"))
    args = parser.parse_args()
    calibration = calibration_ms_per_step()
    cfg = parse_overrides(Speedy.Config, {
        "truncation": str(args.truncation), "physics": "speedy", "days": str(args.days),
        "output_interval_hours": "24", "boundaries": args.boundaries, "season": args.season,
        "land_model": args.land_model},
        "speedy")
    start = time.perf_counter()
    result = run_block(Speedy, cfg, FLOAT64, 1, 0, 0, [0])
    wall = time.perf_counter() - start
    model = Speedy(cfg, FLOAT64)
    print(f"T{args.truncation} {args.season}, land {args.land_model}, {args.days:g} days, float64, 1 member: wall "
          f"{wall:.1f} s ({1e3 * wall / (args.days * cfg.step_count_per_day):.0f} ms/step); "
          f"calibration (bench_speedy.py dry float64 T30) {calibration:.1f} ms/step")
    if not np.isnan(result.blowup_time).all():
        print(f"blew up at {result.blowup_time}")
        return
    f = result.fields
    days = np.arange(1, f["precipitation"].shape[1] + 1)
    keep = days > args.spinup
    grid = model.grid
    weights = grid.weights[:, None] * np.ones((1, grid.nlon))  # (lat, lon)
    land = model.moist.boundaries.land_fraction.T
    sea = 1.0 - land

    def mean(field, part=None):
        part = np.ones_like(weights) if part is None else part
        values = field[0, keep].mean(axis=0)
        return float((values * part * weights).sum() / (part * weights).sum())

    rain = f["precipitation"] * SECONDS_PER_DAY
    print(f"days {days[keep][0]}-{days[keep][-1]}: precipitation {mean(rain):.2f} mm/day "
          f"(land {mean(rain, land):.2f}, sea {mean(rain, sea):.2f}); evaporation "
          f"{mean(f['evaporation'] * SECONDS_PER_DAY):.2f} mm/day")
    print(f"top of the atmosphere: net downward {mean(f['toa_net_radiation']):+.1f} W/m2 "
          f"(OLR {mean(f['outgoing_longwave_radiation']):.1f}); surface net downward heat flux "
          f"{mean(f['surface_net_heat_flux']):+.1f} W/m2 (land {mean(f['surface_net_heat_flux'], land):+.1f}, "
          f"sea {mean(f['surface_net_heat_flux'], sea):+.1f})")
    lowest = f["temperature"][:, :, -1]
    print(f"surface temperature: land {mean(f['surface_temperature'], land) - 273.15:.1f} C, "
          f"sea {mean(f['surface_temperature'], sea) - 273.15:.1f} C; air at sigma "
          f"{model.levels.full[-1]:.3f}: land {mean(lowest, land) - 273.15:.1f} C, sea "
          f"{mean(lowest, sea) - 273.15:.1f} C")
    for k, sigma in enumerate(model.levels.full):
        print(f"  sigma {sigma:.3f}: {mean(f['temperature'][:, :, k]) - 273.15:6.1f} C")
    print("global-mean precipitation by day (mm/day):",
          " ".join(f"{float((r * weights).sum() / weights.sum()):.2f}" for r in rain[0]))


if __name__ == "__main__":
    main()
