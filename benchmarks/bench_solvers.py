"""Solver benchmarks (issue 18): ratios measured side by side in one run, never asserted.

1. float64 SOR sweep time / pyamg's compiled sweep on the same 5-point Laplacian
   (n = 10^4 and 10^6; targets <= 1.2);
2. e11m10 and e11m10-sr sweep time / float64 sweep (targets <= 3 and <= 4);
3. total iterations on the high-variance shifted-Laplacian sequence: Tsallis-INF / best fixed
   omega and ChebCB / instance-optimal, at float64, e11m23 and e11m10 (refined). The paper's
   scale is T = 5000 and 40 trials (--instances, --trials); smaller runs say so.

    python benchmarks/bench_solvers.py                       # sweeps + a short learning table
    python benchmarks/bench_solvers.py --instances 5000 --trials 40   # the paper's scale

Print the calibration figure beside it: python benchmarks/bench_speedy.py --steps 30.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyamg.relaxation.relaxation as pyamg_relaxation

from pipeline.precision import NumberFormat, stream_generator
from pipeline.solvers import kernels
from pipeline.solvers.operator import Operator, format_integers
from pipeline.solvers.sequences import laplacian
from pipeline.solvers.study import Run, run_trial


def best_time(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def sweep_ratios(grid: int, repeats: int) -> dict:
    A = laplacian(grid)
    n = A.shape[0]
    b = np.random.default_rng(0).standard_normal(n)
    omega = 1.5
    x_amg = np.zeros(n)
    amg = best_time(lambda: pyamg_relaxation.sor(A, x_amg, b, omega, iterations=1), repeats)
    out = {"n": n, "pyamg": amg}
    for name in ("float64", "e11m10", "e11m10-sr"):
        fmt = NumberFormat.parse(name)
        operator = Operator.build(A, fmt)
        relax, keep = operator.sor_constants(omega)
        rhs = operator.vector(b, "b")
        x = np.zeros(n)
        mode, bits, emin_field = format_integers(fmt)
        rng = stream_generator(0, "bench")
        key = np.uint64(rng.bit_generator.random_raw())

        def sweep():
            kernels.sor_sweep(operator.indptr, operator.indices, operator.data, relax, keep,
                              rhs, x, mode, bits, emin_field, key)

        sweep()  # compile / warm
        out[name] = best_time(sweep, repeats)
    return out


def learning_table(instances: int, trials: int, grid: int) -> list[tuple]:
    rows = []
    for name in ("float64", "e11m23", "e11m10"):
        run = Run("shifted-laplacian", {"grid": grid, "variance": "high"},
                  NumberFormat.parse(name), 2024, instances)
        totals = {}
        for learner in ("tsallis-inf", "chebcb", "best-fixed", "instance-optimal"):
            totals[learner] = np.mean([run_trial(run, learner, trial).iterations.sum()
                                       for trial in range(trials)])
        rows.append((name, totals["tsallis-inf"] / totals["best-fixed"],
                     totals["chebcb"] / totals["instance-optimal"], totals))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=300)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--grid", type=int, default=10)
    parser.add_argument("--sweep-grids", default="100,1000")
    parser.add_argument("--skip-learning", action="store_true")
    args = parser.parse_args()
    print("SOR sweep times (best of repeats), omega = 1.5, 5-point Laplacian")
    print(f"{'n':>9} {'pyamg ms':>9} {'f64 ms':>8} {'f64/pyamg':>9} {'m10/f64':>8} {'m10sr/f64':>9}")
    for grid in (int(g) for g in args.sweep_grids.split(",")):
        r = sweep_ratios(grid, repeats=20 if grid <= 200 else 5)
        print(f"{r['n']:9d} {1e3 * r['pyamg']:9.3f} {1e3 * r['float64']:8.3f} "
              f"{r['float64'] / r['pyamg']:9.2f} {r['e11m10'] / r['float64']:8.2f} "
              f"{r['e11m10-sr'] / r['float64']:9.2f}")
    if args.skip_learning:
        return
    print(f"\nShifted Laplacian (high variance, {args.grid} x {args.grid}), T = {args.instances}, "
          f"{args.trials} trials (paper: T = 5000, 40 trials); refined solves")
    print(f"{'format':>8} {'TINF/best-fixed':>16} {'ChebCB/inst-opt':>16}   totals")
    for name, tinf, cheb, totals in learning_table(args.instances, args.trials, args.grid):
        text = ", ".join(f"{k} {v:.0f}" for k, v in totals.items())
        print(f"{name:>8} {tinf:16.3f} {cheb:16.3f}   {text}")


if __name__ == "__main__":
    main()
