"""Sequences of related linear systems, as Khodak et al. (2024, section 5) study them.

A sequence yields `Instance`s one at a time (``next_instance()``) and is told each solution
(``advance(x)``), since a time-stepping PDE's next system depends on it. Its random draws
come from a stream keyed by (seed, sequence, its settings, trial) and not by the learner or
the format, so every learner and format of a trial meets the same systems.

* `ShiftedLaplacian`: A_t = L + c_t I, L the 5-point Laplacian (4 on the diagonal, -1 off,
  not scaled by h^2) on a grid x grid interior, c_t = -0.15 + 0.6 Beta(0.5, 1.5) ("high"
  variance) or -0.15 + 0.6 Beta(2, 6) ("low"), b ~ N(0, I) redrawn until ||b|| <= sqrt(n),
  x_0 = 0; context c_t. Solved by SOR.
* `Heat2DSequence`: the Crank-Nicolson systems (I + s K) u^{n+1} = (I - s K) u^n + dt f of
  `pipeline.models.heat2d`, warm-started from u^n; context kappa(t + dt/2), the diffusivity
  that sets A_t. Solved by SSOR-PCG.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from pipeline.precision import stream_generator
from pipeline.solvers.operator import Operator, SolverInputError

VARIANCES = {"high": (0.5, 1.5), "low": (2.0, 6.0)}
SHIFT_LOW, SHIFT_WIDTH = -0.15, 0.6
LARGEST_GRID = 4000  # interior points per side: 16 million unknowns, as heat2d's nx
# heat2d's time step: the context range samples kappa(t) over t in [0, 5) at steps of dt.
SMALLEST_DT, LARGEST_DT = 1e-6, 1.0


@dataclass
class Instance:
    """One system: its float64 operator, right-hand side, start (None: zero) and context."""

    operator: Operator
    b: np.ndarray
    x0: np.ndarray | None
    context: float


def laplacian(grid: int) -> sparse.csr_matrix:
    """5-point Laplacian on a grid x grid interior: 4 on the diagonal, -1 off it."""
    second = sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(grid, grid))
    identity = sparse.identity(grid)
    return (sparse.kron(identity, second) + sparse.kron(second, identity)).tocsr()


class ShiftedLaplacian:
    name = "shifted-laplacian"
    method = "sor"
    independent = True  # no system depends on an earlier solution

    def __init__(self, seed: int, trial: int, grid: int = 10, variance: str = "high"):
        self.check_settings(grid, variance)
        self.grid, self.variance = grid, variance
        self.rng = stream_generator(seed, self.name, variance, grid, trial)
        self.base = Operator.build(laplacian(grid))
        # L's extreme eigenvalues 4 - 4 cos(pi/(g+1)) and 4 + 4 cos(pi/(g+1)) give rho_J of
        # every shift: J = I - A / (4 + c) has eigenvalues 1 - (lambda + c) / (4 + c).
        self.spread = 4.0 * math.cos(math.pi / (grid + 1))
        self.context_range = (SHIFT_LOW, SHIFT_LOW + SHIFT_WIDTH)

    @staticmethod
    def check_settings(grid: int = 10, variance: str = "high") -> None:
        """One sentence (SolverInputError) for settings this sequence cannot have."""
        if grid < 2:
            raise SolverInputError(f"The grid is too small: grid = {grid}; use at least 2.")
        if grid > LARGEST_GRID:
            raise SolverInputError(f"The grid is too large: grid = {grid}; use at most "
                                   f"{LARGEST_GRID} (grid^2 unknowns).")
        if variance not in VARIANCES:
            raise SolverInputError(
                f"Unknown variance {variance!r}; choose one of: {', '.join(VARIANCES)}.")

    def settings(self) -> dict:
        return {"grid": self.grid, "variance": self.variance}

    def next_instance(self) -> Instance:
        shift = SHIFT_LOW + SHIFT_WIDTH * self.rng.beta(*VARIANCES[self.variance])
        n = self.grid**2
        while True:
            b = self.rng.standard_normal(n)
            if np.linalg.norm(b) <= math.sqrt(n):
                break
        return Instance(self.base.affine(shift), b, None, float(shift))

    def advance(self, solution) -> None:
        """The systems are independent of the solutions."""

    def jacobi_radius(self, instance: Instance) -> float:
        return self.spread / (4.0 + instance.context)


class Heat2DSequence:
    name = "heat2d"
    method = "ssor-pcg"
    independent = False  # each step's system starts from the previous solution

    def __init__(self, seed: int, trial: int, nx: int = 25, dt: float = 0.001):
        from pipeline.models.heat2d import Heat2D, Heat2DConfig
        from pipeline.precision import NumberFormat

        self.check_settings(nx, dt)
        config = Heat2DConfig(nx=nx, dt=dt)
        self.config = config
        self.model = Heat2D(config, NumberFormat(52))
        self.u = np.array(self.model.initial_state([np.random.default_rng(0)])[0][0])
        self.steps = 0
        kappas = [config.diffusivity((k + 0.5) * dt) for k in range(round(5.0 / dt))]
        self.context_range = (min(kappas), max(kappas))

    @staticmethod
    def check_settings(nx: int = 25, dt: float = 0.001) -> None:
        """One sentence (SolverInputError) for settings this sequence cannot have."""
        from pipeline.models.heat2d import Heat2DConfig

        if not SMALLEST_DT <= dt <= LARGEST_DT:  # (also NaN)
            raise SolverInputError(f"heat2d: dt = {dt} must lie in [{SMALLEST_DT:g}, "
                                   f"{LARGEST_DT:g}].")
        problem = Heat2DConfig(nx=nx, dt=dt).check()
        if problem:
            raise SolverInputError(f"heat2d: {problem}.")

    def settings(self) -> dict:
        return {"nx": self.config.nx, "dt": self.config.dt}

    def next_instance(self) -> Instance:
        s, source = self.model.system(self.steps * self.config.dt)
        operator = self.model.base.affine(1.0, s)
        b = self.u - s * (self.model.stiffness @ self.u) \
            + self.config.dt * self.config.forcing_amplitude * source
        kappa = self.config.diffusivity((self.steps + 0.5) * self.config.dt)
        return Instance(operator, b, self.u.copy(), kappa)

    def advance(self, solution) -> None:
        self.u = np.array(solution, dtype=np.float64)
        self.steps += 1


SEQUENCES = {sequence.name: sequence for sequence in (ShiftedLaplacian, Heat2DSequence)}
