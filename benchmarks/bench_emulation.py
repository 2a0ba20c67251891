"""What emulation costs on small arrays, as ratios to float64 measured side by side in one run
(ISSUE: emulation that costs almost nothing).

    python benchmarks/bench_emulation.py [--repeat 5] [--models heat_column,lorenz63,...]

Prints three tables:

1. Per rounded operation on a 16 x 60 array: microseconds of plain NumPy float64 and of the
   emulated e11m10 / e11m10-sr operation, and the overhead (emulated minus float64); target
   overhead <= 5 us.
2. Per model step (the default ensemble block of each model, one process, one core):
   microseconds per step at float64, e11m10 and e11m10-sr and their ratios to float64, as
   `lowprec simulate` runs them (compiled steps for the models that declare them,
   `pipeline.precision.tracing`) and, for those, operation by operation too; targets heat
   column, Lorenz '63 and shallow water (50 x 25) <= 2.5 (SR <= 3), speedy T30 <= 1.5
   (SR <= 2). Formats are timed in alternation, each figure the best of ``--repeat`` rounds.
3. Per-process start-up: importing the CLI, and the first rounded operation of a new process
   (numba's cached kernels loading), in seconds.

The calibration figure to quote beside any wall-clock time is bench_speedy's float64 T30
ms/step, which table 2's speedy row also gives.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")  # one core, before NumPy loads its BLAS

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides, to_format  # noqa: E402
from pipeline.models import MODELS  # noqa: E402
from pipeline.models.run import _stepper  # noqa: E402
from pipeline.precision import NumberFormat, stream_generator  # noqa: E402

FORMATS = ("float64", "e11m10", "e11m10-sr")
# One ensemble block of each model as the default workflow runs it (config/config.yaml).
BLOCKS = {
    "heat_column": (8, {}),
    "lorenz63": (32, {}),
    "shallow_water": (4, {"resolution_km": "40"}),
    "speedy": (1, {"truncation": "30", "initial_state": "jablonowski-williamson"}),
}
STEPS = {"heat_column": 3000, "lorenz63": 1000, "shallow_water": 100, "speedy": 20}


def best_of(function, repeat: int, number: int) -> float:
    """Best time per call in microseconds over ``repeat`` rounds of ``number`` calls."""
    function()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            function()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


def operation_table(repeat: int) -> None:
    values = np.random.default_rng(0).random((16, 60)) + 1.0
    cases = {
        "a + b": lambda a, b: a + b,
        "2.0 * a": lambda a, b: 2.0 * a,
        "a[:, 1:] - a[:, :-1]": lambda a, b: a[:, 1:] - a[:, :-1],
        "a[:, 1:-1] += b[:, 1:-1]": lambda a, b: a[:, 1:-1].__iadd__(b[:, 1:-1]),
        "np.sqrt(a)": lambda a, b: np.sqrt(a),
        "a @ b.T": lambda a, b: a @ b.T,
    }
    print("Per operation on 16 x 60, microseconds (overhead = emulated - float64; target <= 5):")
    print(f"  {'operation':26s} {'float64':>8s} {'e11m10':>8s} {'overhead':>8s} "
          f"{'e11m10-sr':>9s} {'overhead':>8s}")
    for name, case in cases.items():
        calls = {}
        for fmt_name in FORMATS:
            fmt = NumberFormat.parse(fmt_name)
            a = values.copy() if fmt.is_float64 else fmt.array(values, seed=1)
            b = values * 1.5 if fmt.is_float64 else fmt.array(values * 1.5, seed=2)
            calls[fmt_name] = (lambda a=a, b=b: case(a, b))
        # The formats in alternation, round by round, so that the machine's drift (these
        # shared machines) falls on all of them alike; each figure the best of 3 x repeat.
        times = dict.fromkeys(FORMATS, float("inf"))
        for _ in range(3 * repeat):
            for fmt_name, call in calls.items():
                times[fmt_name] = min(times[fmt_name], best_of(call, 1, 2000))
        base = times["float64"]
        print(f"  {name:26s} {base:8.2f} {times['e11m10']:8.2f} {times['e11m10'] - base:8.2f} "
              f"{times['e11m10-sr']:9.2f} {times['e11m10-sr'] - base:8.2f}")


def model_block(name: str, fmt_name: str):
    members, overrides = BLOCKS[name]
    model_class = MODELS[name]
    config = parse_overrides(model_class.Config, overrides, name)
    fmt = NumberFormat.parse(fmt_name)
    model = model_class(config, fmt)
    rng = stream_generator(1, "bench", fmt_name) if fmt.stochastic else None
    perturbations = [stream_generator(1, name, "perturbation", 0, m) for m in range(members)]
    state = tuple(to_format(v, fmt, rng) for v in model.initial_state(perturbations))
    return model, state


def model_table(models, repeat: int) -> None:
    print("Per model step, one ensemble block, microseconds (ratio to float64):")
    columns = ("float64", "e11m10", "e11m10-sr", "e11m10 by op", "e11m10-sr by op")
    print(f"  {'model (members)':24s} " + " ".join(f"{c:>18s}" for c in columns))
    for name in models:
        runners = {}
        for column in columns:
            fmt_name = column.removesuffix(" by op")
            model, state = model_block(name, fmt_name)
            if column.endswith("by op"):
                if not getattr(model, "compiled_steps", False):
                    continue

                def advance(state, steps, model=model):
                    for _ in range(steps):
                        state = model.step(state)
                    return state
            else:
                with np.errstate(all="ignore"):
                    advance = _stepper(model, state)  # as lowprec simulate runs it
            runners[column] = [advance, state]
        steps = STEPS[name]
        best = dict.fromkeys(runners, float("inf"))
        with np.errstate(all="ignore"):
            for column, (advance, state) in runners.items():  # warm-up: compile, page in
                runners[column][1] = advance(state, 1)
            for _ in range(repeat):
                for column, (advance, state) in runners.items():  # alternate: drift hits all
                    start = time.perf_counter()
                    state = advance(state, steps)
                    best[column] = min(best[column], (time.perf_counter() - start) / steps * 1e6)
                    runners[column][1] = state
        members = BLOCKS[name][0]
        cells = " ".join(f"{best[c]:10.1f} ({best[c] / best['float64']:4.2f})" if c in best
                         else f"{'-':>18s}" for c in columns)
        print(f"  {name + f' ({members})':24s} {cells}")


def startup_table() -> None:
    def seconds(code: str) -> float:
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - start

    cli = "import pipeline.cli"
    first = ("import numpy as np; from pipeline.precision import NumberFormat; "
             "a = NumberFormat.parse('e11m10-sr').array(np.ones((8, 60)), seed=1); "
             "b = NumberFormat.parse('e11m10').array(np.ones((8, 60))); "
             "a + a; 2.0 * a; a[:, 1:] - a[:, :-1]; b + b; 2.0 * b; b[:, 1:] - b[:, :-1]")
    seconds(first)  # fill numba's cache if it is cold
    print("Per-process start-up, seconds (best of 3):")
    print(f"  python -c 'pass'                        {min(seconds('pass') for _ in range(3)):6.2f}")
    print(f"  import pipeline.cli                     {min(seconds(cli) for _ in range(3)):6.2f}")
    print(f"  first emulated operations (both modes)  {min(seconds(first) for _ in range(3)):6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--models", default=",".join(BLOCKS))
    parser.add_argument("--skip", default="", help="comma-separated tables to skip: ops,models,startup")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    if "ops" not in skip:
        operation_table(args.repeat)
    if "models" not in skip:
        model_table([m for m in args.models.split(",") if m], args.repeat)
    if "startup" not in skip:
        startup_table()


if __name__ == "__main__":
    main()
