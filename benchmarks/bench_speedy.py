"""Milliseconds per step and simulated years per day of the SPEEDY-like model at T30 with 8
levels (ISSUE: speedy, parts 1 and 2), as ratios to float64 measured in one run, on one core.

    python benchmarks/bench_speedy.py [--truncation 30] [--steps 100] [--members 1] [--profile]
    python benchmarks/bench_speedy.py --physics speedy [--fortran auto] [--profile]

Dry (the default; its float64 figure is the project's calibration figure): float64 (plain
NumPy), native float32 (NumPy's float32 and complex64 arithmetic on the same code) and the
emulated e11m10 in round to nearest and stochastic rounding; Held-Suarez forcing, from the
Jablonowski-Williamson state (a realistic, active flow). Targets: float64 at least 300
simulated years per day; emulated within 2.5x of float64.

``--physics speedy``: SPEEDY's physics on the aquaplanet (shortwave every 3 steps), from rest
after a day of spin-up, float64, e11m10 and e11m10-sr, with the dry float64 calibration figure
printed first and where the time goes (physics against dynamics). ``--fortran auto`` (or a
path to speedy.f90's run.sh) also times speedy.f90 (T30, realistic boundaries, its own
build, made first by its build.sh: ../shared/anchors/speedy-f90) in turn with the float64 model, pair by pair, as CPU
seconds per step (start-up removed by subtracting a 0-day run). Targets: float64 within 2x
of speedy.f90, emulated within 2x of float64. Each figure is the best of three repetitions;
CPU time (the process's, or the Fortran child's) unless stated.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import resource
import subprocess
import time
from pathlib import Path

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core, before NumPy loads its BLAS

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides, to_format  # noqa: E402
from pipeline.models.run import component_streams  # noqa: E402
from pipeline.models.speedy import Speedy  # noqa: E402
from pipeline.models.speedy.physics.column import column_physics  # noqa: E402
from pipeline.precision import NumberFormat, stream_generator  # noqa: E402

DAYS_PER_YEAR = 365.0
ANCHOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "anchors" / "speedy-f90"


def setup(config, name, members, warmup=3):
    fmt = NumberFormat.parse(name.removeprefix("native-"))
    rngs = [stream_generator(1, "bench", m) for m in range(members)]
    if name.startswith("native-"):
        model = Speedy(config, fmt, native_dtype=fmt.native_dtype)
        state = model.initial_state(rngs)
        state = tuple(np.asarray(s).astype(np.complex64 if np.iscomplexobj(s)
                                            else fmt.native_dtype) for s in state)
    else:
        model = Speedy(config, fmt)
        rng = stream_generator(1, "bench-rounding") if fmt.stochastic else None
        initial = model.initial_state(rngs)
        # each component's stream, as a run hands them out (the physics has its own)
        component_streams(model, fmt, rng, 1, 0, 0, len(initial))
        state = tuple(to_format(s, fmt, rng) for s in initial)
    for _ in range(warmup):
        state = model.step(state)  # warm-up, and past the forward first step
    return model, state


def seconds_per_step(config, name, members, steps, warmup=3, clock=time.perf_counter) -> float:
    model, state = setup(config, name, members, warmup)
    best = float("inf")
    for _ in range(3):
        start = clock()
        for _ in range(steps):
            state = model.step(state)
        best = min(best, (clock() - start) / steps)
    if not np.isfinite(np.asarray(state[4])).all():
        print(f"  ({name} blew up during the timing)")
    return best


def physics_share(config, name, steps) -> tuple[float, float, float]:
    """(s/step of the whole step, of the column physics with radiation, without), CPU."""
    model, state = setup(config, name, 1, config.step_count_per_day)
    count = len(model.prognostics)
    moist = model.moist
    columns = moist.columns(*state[:count])
    memory = None
    timings = {}
    for radiation in (True, False):
        start = time.process_time()
        for _ in range(steps):
            _, _, memory = column_physics(moist.constants, columns, moist.surface, memory, radiation)
        timings[radiation] = (time.process_time() - start) / steps
    start = time.process_time()
    for _ in range(steps):
        state = model.step(state)
    return (time.process_time() - start) / steps, timings[True], timings[False]


def fortran_seconds_per_step(run_script: Path, days: int) -> float:
    """CPU seconds per step of speedy.f90 (T30, 36 steps a day): a DAYS-day run minus a
    0-day one (start-up and reading the boundary files), output only at the end."""
    def cpu(run_days):
        environment = {**os.environ, "SPEEDY_VARIANT": "upstream",
                       "NSTEPS_OUT": str(36 * max(run_days, 1)), "NSTDIA": "100000"}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(["bash", str(run_script), str(run_days), f"/tmp/lowprec-bench-f90-{run_days}d"],
                       check=True, capture_output=True, env=environment)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return (cpu(days) - cpu(0)) / (36 * days)


def profile(config, name, steps) -> None:
    model, state = setup(config, name, 1)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        state = model.step(state)
    profiler.disable()
    print(f"\nprofile of {steps} {name} steps (top 12 by own time):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def dry(args) -> None:
    config = parse_overrides(Speedy.Config, {"truncation": str(args.truncation),
                                             "initial_state": "jablonowski-williamson"}, "speedy")
    grid = config.grid
    print(f"speedy T{args.truncation} ({grid.nlon} x {grid.nlat}, {config.levels.count} levels), "
          f"dt = {config.dt:.0f} s, {args.members} member(s), {args.steps} steps per timing, "
          f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")
    reference = seconds_per_step(config, "float64", args.members, args.steps)
    steps_per_year = DAYS_PER_YEAR * config.step_count_per_day

    def years_per_day(seconds):
        return 86400.0 / (seconds * steps_per_year) * args.members

    print(f"  {'float64':15s} {reference * 1e3:7.2f} ms/step   1.00   "
          f"{years_per_day(reference):6.0f} simulated years/day (target >= 300)")
    for name, target in (("native-float32", None), ("e11m10", 2.5), ("e11m10-sr", 2.5)):
        seconds = seconds_per_step(config, name, args.members, args.steps)
        goal = f"(target <= {target})" if target else ""
        print(f"  {name:15s} {seconds * 1e3:7.2f} ms/step {seconds / reference:6.2f}   "
              f"{years_per_day(seconds):6.0f} simulated years/day {goal}")
    if args.profile:
        profile(config, "float64", args.steps)
        profile(config, "e11m10", args.steps)


def moist(args) -> None:
    calibration = parse_overrides(Speedy.Config, {"truncation": "30",
                                                  "initial_state": "jablonowski-williamson"},
                                  "speedy")
    print(f"calibration: dry T30 float64 {seconds_per_step(calibration, 'float64', 1, 30) * 1e3:.2f}"
          " ms/step (wall; bench_speedy.py --steps 30)")
    config = parse_overrides(Speedy.Config, {"truncation": str(args.truncation),
                                             "physics": "speedy"}, "speedy")
    grid = config.grid
    day = config.step_count_per_day
    print(f"speedy T{args.truncation} ({grid.nlon} x {grid.nlat}, {config.levels.count} levels) "
          f"with SPEEDY's physics on the aquaplanet, dt = {config.dt:.0f} s, shortwave every "
          f"{config.radiation_steps} steps, {args.members} member(s), {args.steps} steps per "
          "timing, CPU time")
    steps_per_year = DAYS_PER_YEAR * day
    cpu = time.process_time
    times = {name: seconds_per_step(config, name, args.members, args.steps, warmup=day, clock=cpu)
             for name in ("float64", "e11m10", "e11m10-sr")}
    for name, seconds in times.items():
        target = "" if name == "float64" else "(target <= 2)"
        print(f"  {name:10s} {seconds * 1e3:7.2f} ms/step {seconds / times['float64']:6.2f}   "
              f"{86400.0 / (seconds * steps_per_year) * args.members:6.1f} simulated years/day "
              f"{target}")
    for name in ("float64", "e11m10"):
        whole, with_radiation, without = physics_share(config, name, max(12, args.steps))
        share = (with_radiation + (config.radiation_steps - 1) * without) / config.radiation_steps
        print(f"  where the {name} time goes: physics {share * 1e3:.1f} ms/step of {whole * 1e3:.1f}"
              f" ({100 * share / whole:.0f} %; {with_radiation * 1e3:.1f} ms with the shortwave, "
              f"{without * 1e3:.1f} without); dynamics and transforms the rest")
    if args.fortran:
        script = ANCHOR / "run.sh" if args.fortran == "auto" else Path(args.fortran)
        if not script.exists():
            script = Path("/work/shared/anchors/speedy-f90/run.sh")
        if args.fortran == "auto":  # build it first (about 20 s): run.sh needs the binary
            subprocess.run(["bash", str(script.parent / "build.sh")], check=True,
                           capture_output=True)
        ratios, fortran = [], []
        for _ in range(3):  # in turn, pair by pair
            python = seconds_per_step(config, "float64", 1, args.steps, warmup=day, clock=cpu)
            native = fortran_seconds_per_step(script, args.fortran_days)
            ratios.append(python / native)
            fortran.append(native)
        print(f"  speedy.f90 (T30, realistic boundaries, -O3): {np.median(fortran) * 1e3:.2f} ms/step "
              f"CPU; float64 / speedy.f90 = {np.median(ratios):.2f} (pairs: "
              + ", ".join(f"{r:.2f}" for r in ratios) + ") (target <= 2)")
    if args.profile:
        profile(config, "float64", args.steps)
        profile(config, "e11m10", args.steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truncation", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--physics", choices=("held-suarez", "speedy"), default="held-suarez")
    parser.add_argument("--fortran", default="", help="'auto' or speedy.f90's run.sh")
    parser.add_argument("--fortran-days", type=int, default=5)
    args = parser.parse_args()
    if args.physics == "speedy":
        moist(args)
    else:
        dry(args)


if __name__ == "__main__":
    main()
