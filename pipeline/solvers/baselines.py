"""The baselines a learner is measured against (Khodak et al. 2024, section 5).

* fixed omega: every instance solved at one omega of the grid;
* the best fixed omega in hindsight: the grid omega with the fewest total iterations over a
  trial's sequence (every grid omega is run on every instance, which also gives the cost
  curve, iterations against omega);
* the instance-optimal omega: for SOR Young's omega* = 2 / (1 + sqrt(1 - rho_J^2)) of each
  instance (`pipeline.solvers.spectral`); for SSOR-PCG, where no formula holds, the best
  omega found by `golden_section_minimum` over measured iteration counts.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0  # 1 / phi
GOLDEN_EVALUATIONS = 8


def golden_section_minimum(evaluate: Callable[[float], float], grid, values,
                           evaluations: int = GOLDEN_EVALUATIONS) -> tuple[float, float, dict]:
    """Refine a coarse grid minimum by golden-section search (Kiefer 1953).

    ``values`` are ``evaluate`` at ``grid`` (ascending); the search brackets the grid's
    first minimum by its neighbours and spends ``evaluations`` more calls, shrinking the
    bracket by 1/phi per call. Returns (best argument, its value, every evaluated point);
    among equal values the smallest argument wins. (Iteration counts are integers and only
    roughly unimodal in omega, so this is a heuristic, as in Khodak et al.'s code.)
    """
    grid = np.asarray(grid, dtype=np.float64)
    seen = {float(x): float(v) for x, v in zip(grid, values)}
    best = int(np.argmin(values))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]

    def measure(x):
        x = float(x)
        if x not in seen:
            seen[x] = float(evaluate(x))
        return seen[x]

    if evaluations >= 2 and high > low:
        left, right = high - GOLDEN * (high - low), low + GOLDEN * (high - low)
        f_left, f_right = measure(left), measure(right)
        for _ in range(evaluations - 2):
            if f_left <= f_right:
                high, right, f_right = right, left, f_left
                left = high - GOLDEN * (high - low)
                f_left = measure(left)
            else:
                low, left, f_left = left, right, f_right
                right = low + GOLDEN * (high - low)
                f_right = measure(right)
    argument = min(seen, key=lambda x: (seen[x], x))
    return argument, seen[argument], seen
