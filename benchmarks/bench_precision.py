"""Throughput of the precision core, as ratios measured in one run (ISSUE: foundation).

    python benchmarks/bench_precision.py [--size 10000000]

Prints: rounding 10^7 float64 values (nearest, stochastic) over np.copy of the same array;
pychop's float16 rounding over ours (and a check that both agree bit for bit); a 512x512
5-point stencil, 100 steps, with the emulated type at e11m10 (nearest, stochastic) over the
same loop in plain float64. Each figure is the best of several repetitions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pipeline.precision import NumberFormat, round, stream_generator


def best_time(function, repeat=7) -> float:
    function()  # warm-up (JIT compilation, page faults)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def stencil(u, steps=100, coefficient=0.2):
    """Explicit heat-equation update u += c (u_E + u_W + u_N + u_S - 4 u), interior only."""
    for _ in range(steps):
        centre = u[1:-1, 1:-1]
        u[1:-1, 1:-1] = centre + coefficient * (
            u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2] - 4.0 * centre
        )
    return u


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10**7)
    args = parser.parse_args()
    values = np.random.default_rng(0).standard_normal(args.size)
    rng = stream_generator(0, "bench")

    copy = best_time(lambda: np.copy(values))
    nearest = best_time(lambda: round(values, "e11m10"))
    stochastic = best_time(lambda: round(values, "e11m10-sr", rng))
    print(f"rounding {args.size:.0e} values, time / np.copy time (targets <= 2, <= 4):")
    print(f"  nearest     {nearest / copy:6.2f}")
    print(f"  stochastic  {stochastic / copy:6.2f}")

    try:
        from pychop import Chop
    except ImportError:
        print("pychop: not installed, skipped")
    else:
        scaled = values * 1000.0
        chop = Chop(exp_bits=5, sig_bits=10, rmode=1)
        theirs = best_time(lambda: chop(scaled), repeat=2)
        ours = best_time(lambda: round(scaled, "float16"))
        same = np.array_equal(np.asarray(chop(scaled)), round(scaled, "float16"))
        print(f"pychop float16 rounding time / ours: {theirs / ours:8.1f}  "
              f"(identical results: {same})")

    grid = np.random.default_rng(1).random((512, 512))
    plain = best_time(lambda: stencil(grid.copy()), repeat=3)
    for name in ("e11m10", "e11m10-sr"):
        fmt = NumberFormat.parse(name)
        emulated = best_time(lambda: stencil(fmt.array(grid, seed=1)), repeat=3)
        target = 4 if fmt.stochastic else 3
        print(f"stencil 512x512 x 100 at {name:10s} time / float64: "
              f"{emulated / plain:5.2f} (target <= {target})")


if __name__ == "__main__":
    main()
