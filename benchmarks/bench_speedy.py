"""Milliseconds per step and simulated years per day of the SPEEDY-like core at T30 with 8
levels (ISSUE: speedy, part 1), as ratios to float64 measured in one run, on one core.

    python benchmarks/bench_speedy.py [--truncation 30] [--steps 100] [--members 1] [--profile]

Formats: float64 (plain NumPy), native float32 (NumPy's float32 and complex64 arithmetic on the
same code) and the emulated e11m10 in round to nearest and stochastic rounding. Targets:
float64 at least 300 simulated years per day; emulated within 2.5x of float64. Held-Suarez
forcing, from the Jablonowski-Williamson state (a realistic, active flow). Each figure is the
best of three repetitions. ``--profile`` prints where the float64 and e11m10 time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core, before NumPy loads its BLAS

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides, to_format  # noqa: E402
from pipeline.models.speedy import Speedy  # noqa: E402
from pipeline.precision import NumberFormat, stream_generator  # noqa: E402

DAYS_PER_YEAR = 365.0


def setup(config, name, members):
    fmt = NumberFormat.parse(name.removeprefix("native-"))
    rngs = [stream_generator(1, "bench", m) for m in range(members)]
    if name.startswith("native-"):
        model = Speedy(config, fmt, native_dtype=fmt.native_dtype)
        state = model.initial_state(rngs)
        return model, tuple(np.asarray(s).astype(np.complex64 if np.iscomplexobj(s)
                                                 else fmt.native_dtype) for s in state)
    model = Speedy(config, fmt)
    rng = stream_generator(1, "bench-rounding") if fmt.stochastic else None
    return model, tuple(to_format(s, fmt, rng) for s in model.initial_state(rngs))


def seconds_per_step(config, name, members, steps) -> float:
    model, state = setup(config, name, members)
    for _ in range(3):
        state = model.step(state)  # warm-up, and past the forward first step
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            state = model.step(state)
        best = min(best, (time.perf_counter() - start) / steps)
    if not np.isfinite(np.asarray(state[4])).all():
        print(f"  ({name} blew up during the timing)")
    return best


def profile(config, name, steps) -> None:
    model, state = setup(config, name, 1)
    state = model.step(state)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(steps):
        state = model.step(state)
    profiler.disable()
    print(f"\nprofile of {steps} {name} steps (top 12 by own time):")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(12)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--truncation", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--members", type=int, default=1)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
