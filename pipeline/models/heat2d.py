"""The 2-D heat equation with a time-varying diffusivity and a moving source, Crank-Nicolson
in time, each step's linear system solved by SSOR-preconditioned CG at the run's format.

The setup of Khodak, Chow, Balcan & Talwalkar (2024, "Learning to Relax", ICLR,
arXiv:2310.02246, section 5 and their h2d.m):

    du/dt = kappa(t) (d2u/dx2 + d2u/dy2) + f(x, t)   on the unit square, u = 0 on its edge,
    kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t),
    f(x, t) = 32 bump(x; c(t), 0.125),  c(t) = (0.5 + cos(16 pi t) / 4, 0.5 + sin(16 pi t) / 4),
    u(x, 0) = bump(x; (0.5, 0.5), 0.25),
    bump(x; c, r) = exp(1 - 1 / (1 - min(1, |x - c|^2 / r^2))),

on nx x nx cells (h = 1 / nx; the (nx - 1)^2 interior nodes are the unknowns) with the
5-point Laplacian L_h, and Crank-Nicolson (Crank & Nicolson 1947) with kappa and f at the
half step t + dt/2 (s = dt kappa(t + dt/2) / 2, K = -L_h):

    (I + s K) u^{n+1} = (I - s K) u^n + dt f(t + dt/2).

All quantities are dimensionless. Each step is solved in correction form, warm-started from
the previous state: A d = r_0 with r_0 = b - A u^n = dt f - 2 s K u^n, from d = 0, then
u^{n+1} = u^n + d (CG's iterates are those of CG on A u = b from u^n; only the test
changes, ||r_k|| <= tol ||r_0||, so that the step's own change is resolved rather than
judged against ||b||, which would hide it at a loose tolerance). At a reduced format K's
entries are rounded once, r_0 is computed wide and rounded once (as the precision core's
matrix products are), A d = r_0 is solved by `pipeline.solvers.ssor_pcg` at the format
(every product and sum of its sweeps rounded) to tolerance max(tol, 2^(-M/2)) (the
inner-tolerance rule of `pipeline.solvers.refinement`: what the format can meet), and
u^n + d is rounded to the format: under round to nearest a change below half the number
spacing of u is lost, as in the soil heat column.

Ensemble members differ in the source's strength, 32 (1 + perturbation z_m), z_m ~ N(0, 1):
the forced response keeps that spread for the whole run, where a perturbed initial state
would be diffused away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from pipeline.models.base import RunLength, Variable
from pipeline.precision import LowPrecisionArray, NumberFormat
from pipeline.precision import round as round_to_format


def bump(points: np.ndarray, center, radius: float) -> np.ndarray:
    """exp(1 - 1 / (1 - |x - c|^2 / r^2)) inside the disc of radius r, 0 outside."""
    q = ((points - np.asarray(center)) ** 2).sum(axis=-1) / radius**2
    inside = q < 1.0
    out = np.zeros(q.shape)
    out[inside] = np.exp(1.0 - 1.0 / (1.0 - q[inside]))
    return out


def diffusivity(t: float) -> float:
    """kappa(t) = max(0.1 sin 2 pi t, -10 sin 2 pi t) (never negative)."""
    s = math.sin(2.0 * math.pi * t)
    return max(0.1 * s, -10.0 * s)


def source_center(t: float) -> tuple[float, float]:
    return 0.5 + math.cos(16.0 * math.pi * t) / 4.0, 0.5 + math.sin(16.0 * math.pi * t) / 4.0


def grid_points(nx: int) -> np.ndarray:
    """Interior nodes (x, y) = (i h, j h), i, j = 1..nx-1, x varying fastest."""
    axis = np.arange(1, nx) / nx
    x, y = np.meshgrid(axis, axis)
    return np.column_stack([x.ravel(), y.ravel()])


def negative_laplacian(nx: int) -> sparse.csr_matrix:
    """K = -L_h on the (nx - 1)^2 interior nodes: 4 / h^2 on the diagonal, -1 / h^2 off."""
    m = nx - 1
    second = sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    identity = sparse.identity(m)
    return ((sparse.kron(identity, second) + sparse.kron(second, identity)) * nx**2).tocsr()


@dataclass(frozen=True)
class Heat2DConfig:
    """Parameters (dimensionless; defaults from Khodak et al. 2024)."""

    nx: int = 25  # cells per side
    dt: float = 0.001
    length: float = 5.0  # time after spin-up
    spinup: float = 0.0
    output_interval: float = 0.05
    omega: float = 1.5  # SSOR relaxation parameter of the solves
    tolerance: float = 1e-8  # ||r|| <= tol ||b||, or the format's 2^(-M/2) if larger
    max_iterations: int = 10000
    forcing_amplitude: float = 32.0
    perturbation: float = 0.05  # relative spread of the members' source strengths
    constant_diffusivity: float = 0.0  # > 0 replaces kappa(t) (the decaying-eigenmode test)
    initial: str = "bump"  # or "eigenmode": sin(pi x) sin(pi y)

    def check(self) -> str | None:
        if self.nx < 4:
            return f"the grid is too small: nx = {self.nx}, at least 4 cells per side are needed"
        if self.nx > 4000:
            return f"nx = {self.nx} is larger than 4000"
        if self.dt <= 0 or self.length <= 0 or self.spinup < 0:
            return "dt and length must be positive and spinup non-negative"
        if self.output_interval < self.dt:
            return "output_interval must be at least one time step dt"
        if not 0.0 < self.omega < 2.0:
            return f"omega must lie in (0, 2), got {self.omega}"
        if self.tolerance <= 0 or self.max_iterations < 1:
            return "tolerance must be positive and max_iterations at least 1"
        if self.perturbation < 0 or self.constant_diffusivity < 0:
            return "perturbation and constant_diffusivity must be non-negative"
        if self.initial not in ("bump", "eigenmode"):
            return f"initial must be bump or eigenmode, got {self.initial!r}"
        return None

    def run_length(self) -> RunLength:
        return RunLength(self.dt, self.spinup, self.length, self.output_interval)

    def diffusivity(self, t: float) -> float:
        return self.constant_diffusivity if self.constant_diffusivity > 0 else diffusivity(t)


class Heat2D:
    """A block of heat-equation members at one number format; state = (temperature rows,
    source amplitudes, clock), the clock holding the number of steps taken (a float64
    count, kept exact: the model returns it as a plain array), so a checkpointed block
    resumes at the right time."""

    name = "heat2d"
    Config = Heat2DConfig
    time_units = "1"
    time_long_name = "dimensionless time since the end of spin-up"
    variables = {
        "temperature": Variable("1", "dimensionless temperature", ("member", "time", "y", "x")),
    }

    def __init__(self, config: Heat2DConfig, fmt: NumberFormat):
        from pipeline.solvers.operator import Operator
        from pipeline.solvers.refinement import inner_tolerance

        self.config, self.fmt = config, fmt
        self.points = grid_points(config.nx)
        self.stiffness = negative_laplacian(config.nx)
        self.base = Operator.build(self.stiffness)  # float64; each step scales it
        self.tolerance = inner_tolerance(fmt, config.tolerance)

    def coordinates(self) -> dict:
        axis = np.arange(1, self.config.nx) / self.config.nx
        return {
            # No axis attribute: CF checkers take an X/Y axis in units "1" for a longitude
            # or latitude without valid units; the unit square is neither.
            "x": (axis, {"units": "1", "long_name": "x position on the unit square"}),
            "y": (axis, {"units": "1", "long_name": "y position on the unit square"}),
        }

    def initial_state(self, perturbation_rngs):
        offsets = np.array([rng.standard_normal() for rng in perturbation_rngs])
        amplitudes = self.config.forcing_amplitude * (1.0 + self.config.perturbation * offsets)
        if self.config.initial == "eigenmode":
            profile = np.sin(np.pi * self.points[:, 0]) * np.sin(np.pi * self.points[:, 1])
        else:
            profile = bump(self.points, (0.5, 0.5), 0.25)
        return np.tile(profile, (offsets.size, 1)), amplitudes, np.zeros(1)

    def system(self, t: float):
        """(s, f) of the step from t: A = I + s K with s = dt kappa(t + dt/2) / 2 and the
        unit-amplitude source at t + dt/2."""
        half = t + 0.5 * self.config.dt
        s = 0.5 * self.config.dt * self.config.diffusivity(half)
        return s, bump(self.points, source_center(half), 0.125)

    def step(self, state):
        """One Crank-Nicolson step of every member: a solve at the run's format each."""
        from pipeline.solvers.relaxation import ssor_pcg_solve

        temperature, amplitudes, clock = state
        steps = float(np.asarray(clock).reshape(-1)[0])
        rng = temperature.rng if isinstance(temperature, LowPrecisionArray) else None
        s, source = self.system(steps * self.config.dt)
        operator = self.base.affine(1.0, s, self.fmt)
        values = np.asarray(temperature)
        new = np.empty_like(values)
        for member, u in enumerate(values):
            change = self.config.dt * float(amplitudes[member]) * source - 2.0 * s * (
                self.stiffness @ u)
            if not self.fmt.is_float64:
                change = round_to_format(change, self.fmt, rng)
            if not np.isfinite(change).all():
                new[member] = np.nan
                continue
            result = ssor_pcg_solve(operator, change, self.config.omega, tol=self.tolerance,
                                    max_iterations=self.config.max_iterations, rng=rng)
            new[member] = u + result.x
        temperature[...] = new  # rounds u^n + d to the format
        return temperature, amplitudes, np.array([steps + 1.0])

    def snapshot(self, state) -> dict[str, np.ndarray]:
        m = self.config.nx - 1
        values = np.array(state[0], dtype=np.float64)
        return {"temperature": values.reshape(values.shape[0], m, m)}
