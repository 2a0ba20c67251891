"""Time per step of the shallow-water model at 100 x 50 (20 km), as ratios to float64
measured in one run (ISSUE: shallow water).

    python benchmarks/bench_shallow_water.py [--steps 200] [--members 1]

Formats: float64 (plain NumPy), native float32 (NumPy's float32 arithmetic on the same code),
and the emulated e11m10 in round to nearest and stochastic rounding (targets <= 3x and <= 4x
float64). Each figure is the best of three repetitions.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from pipeline.models.base import parse_overrides, to_format
from pipeline.models.shallow_water import ShallowWater
from pipeline.precision import NumberFormat, stream_generator


def setup(config, name, members):
    fmt = NumberFormat.parse(name.removeprefix("native-"))
    model = ShallowWater(config, fmt)
    rngs = [stream_generator(1, "bench", m) for m in range(members)]
    state = model.initial_state(rngs)
    if name.startswith("native-"):
        # NumPy's own float32: the model's fields and state in that dtype, constants as
        # Python floats (NumPy keeps float32 for those, NEP 50).
        dtype = fmt.native_dtype
        for field in ("depth", "coriolis", "wind"):
            setattr(model, field, getattr(model, field).astype(dtype))
        return model, tuple(np.asarray(s, dtype=dtype) for s in state)
    rng = stream_generator(1, "bench-rounding") if fmt.stochastic else None
    return model, tuple(to_format(s, fmt, rng) for s in state)


def seconds_per_step(config, name, members, steps) -> float:
    model, state = setup(config, name, members)
    for _ in range(5):
        state = model.step(state)  # warm-up: compilation, caches
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(steps):
            state = model.step(state)
        best = min(best, (time.perf_counter() - start) / steps)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--members", type=int, default=1)
    args = parser.parse_args()
    config = parse_overrides(ShallowWater.Config, {"resolution_km": "20"}, "shallow_water")
    ny, nx = config.shape
    print(f"shallow water {nx} x {ny}, {args.members} member(s), {args.steps} steps per timing")
    reference = seconds_per_step(config, "float64", args.members, args.steps)
    print(f"  float64        {reference * 1e3:7.2f} ms/step   1.00")
    for name, target in (("native-float32", None), ("e11m10", 3), ("e11m10-sr", 4)):
        seconds = seconds_per_step(config, name, args.members, args.steps)
        goal = f"(target <= {target})" if target else ""
        print(f"  {name:14s} {seconds * 1e3:7.2f} ms/step {seconds / reference:6.2f} {goal}")


if __name__ == "__main__":
    main()
