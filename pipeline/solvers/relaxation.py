"""SOR and SSOR-preconditioned conjugate gradients at any number format.

Both solve A x = b for a matrix with a positive diagonal, A = D + L + U (diagonal, strict
lower and upper triangles), as Khodak, Chow, Balcan & Talwalkar (2024, "Learning to Relax",
ICLR, arXiv:2310.02246, section 2 and their MATLAB code) set them up:

* SOR (Young 1950): x_{k+1} = x_k + M^-1 (b - A x_k) with M = D / omega + L, done as a
  forward sweep; stops at ||r_k|| / ||r_0|| < tol, at most ``max_iterations`` sweeps
  (reaching the cap is an outcome: ``converged`` is False). Converges for SPD A and
  0 < omega < 2 (Ostrowski-Reich).
* SSOR-PCG: conjugate gradients preconditioned by
  M = (D + omega L) D^-1 (D + omega L)^T / (omega (2 - omega)) (A symmetric), stopping at
  ||r_k|| <= tol ||b||; iterations are counted as MATLAB's pcg counts them (0 when x_0
  already passes).

At a reduced format (``fmt``) A, b and x_0 are rounded to it once (to nearest) and every
product and sum of the iteration is rounded to it, nearest or stochastically, in compiled
sweeps; `pipeline.solvers.kernels` lists each rounded operation. Stochastic rounding draws
one key per solve from ``rng`` (a `numpy.random.Generator`, e.g. from
`pipeline.precision.stream_generator`), so a solve is reproducible bit for bit from its
stream. ``residual`` is the relative residual the stopping test saw (computed in the
format); at a reduced format tol = 1e-8 is usually out of reach and the solve runs to the
cap; `pipeline.solvers.refinement` reaches it with float64 residuals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pipeline.solvers import kernels
from pipeline.solvers.operator import (Operator, SolverInputError, check_omega, format_integers,
                                       solve_key)

STATUS = {kernels.CONVERGED: "converged", kernels.CAPPED: "iteration cap reached",
          kernels.STAGNATED: "stagnated", kernels.BREAKDOWN: "breakdown",
          kernels.NONFINITE: "non-finite residual"}


@dataclass
class SolveResult:
    """x, the iterations it took, the final relative residual and whether tol was met.

    ``status`` says why the solve stopped ("converged", "iteration cap reached",
    "stagnated", "breakdown", "non-finite residual"); ``outer_steps`` counts refinement
    steps (0 for a plain solve).
    """

    x: np.ndarray
    iterations: int
    residual: float
    converged: bool
    status: str = "converged"
    outer_steps: int = 0


def check_settings(tol, max_iterations) -> tuple[float, int]:
    try:
        tol = float(tol)
    except (TypeError, ValueError):
        raise SolverInputError(f"tol must be a positive number, got {tol!r}.") from None
    if not (tol > 0 and math.isfinite(tol)):
        raise SolverInputError(f"tol must be a positive number, got {tol!r}.")
    if isinstance(max_iterations, bool) or not isinstance(max_iterations, (int, np.integer)) \
            or max_iterations < 0:
        raise SolverInputError(
            f"max_iterations must be a non-negative integer, got {max_iterations!r}.")
    return tol, int(max_iterations)


def sor(A, b, omega, *, tol=1e-8, x0=None, max_iterations=10000, fmt=None, rng=None):
    """Solve A x = b by forward SOR at ``fmt`` (None: float64); see the module doc.

    Returns a `SolveResult`; ``.residual`` is ||b - A x|| / ||b - A x_0|| as computed in the
    format by the stopping test.
    """
    omega = check_omega(omega)
    tol, max_iterations = check_settings(tol, max_iterations)
    operator = Operator.build(A, fmt)
    return sor_solve(operator, operator.vector(b, "b"), omega, tol=tol,
                     x0=None if x0 is None else operator.vector(x0, "x0"),
                     max_iterations=max_iterations, rng=rng)


def ssor_pcg(A, b, omega, *, tol=1e-8, x0=None, max_iterations=10000, fmt=None, rng=None):
    """Solve A x = b (A symmetric) by SSOR-preconditioned CG at ``fmt``; see the module doc.

    Returns a `SolveResult`; ``.residual`` is ||b - A x|| / ||b|| as computed in the format.
    """
    omega = check_omega(omega)
    tol, max_iterations = check_settings(tol, max_iterations)
    operator = Operator.build(A, fmt, require_symmetric=True)
    return ssor_pcg_solve(operator, operator.vector(b, "b"), omega, tol=tol,
                          x0=None if x0 is None else operator.vector(x0, "x0"),
                          max_iterations=max_iterations, rng=rng)


def sor_solve(operator: Operator, b, omega, *, tol, x0=None, max_iterations=10000, rng=None,
              stagnation_window=0) -> SolveResult:
    """`sor` on a prepared operator and a right-hand side already in its format."""
    relax, keep = operator.sor_constants(omega)
    x = np.zeros(operator.n) if x0 is None else np.array(x0, dtype=np.float64)
    r = np.empty(operator.n)
    mode, bits, emin_field = format_integers(operator.fmt)
    iterations, relative, status = kernels.sor_iterate(
        operator.indptr, operator.indices, operator.data, operator.diag, relax, keep,
        np.ascontiguousarray(b, dtype=np.float64), x, r, np.empty(operator.n), tol,
        max_iterations, stagnation_window, mode, bits, emin_field, solve_key(operator.fmt, rng))
    return SolveResult(x, int(iterations), float(relative), status == kernels.CONVERGED,
                       STATUS[status])


def ssor_pcg_solve(operator: Operator, b, omega, *, tol, x0=None, max_iterations=10000,
                   rng=None, stagnation_window=0) -> SolveResult:
    """`ssor_pcg` on a prepared (symmetric) operator and a right-hand side in its format."""
    if not operator.symmetric:
        raise SolverInputError("SSOR-PCG needs a symmetric matrix.")
    scaled, dinv, scale = operator.ssor_constants(omega)
    n = operator.n
    x = np.zeros(n) if x0 is None else np.array(x0, dtype=np.float64)
    r, z, p, q = (np.empty(n) for _ in range(4))
    mode, bits, emin_field = format_integers(operator.fmt)
    iterations, relative, status = kernels.pcg_iterate(
        operator.indptr, operator.indices, operator.data, operator.diag, operator.split,
        scaled, dinv, scale, np.ascontiguousarray(b, dtype=np.float64), x, r, z, p, q,
        np.empty(n), tol, max_iterations, stagnation_window, mode, bits, emin_field,
        solve_key(operator.fmt, rng))
    return SolveResult(x, int(iterations), float(relative), status == kernels.CONVERGED,
                       STATUS[status])


def sor_sweep(A, b, x, omega, *, fmt=None, rng=None) -> np.ndarray:
    """One forward SOR sweep from x at ``fmt``: the compiled kernel the solver runs (for
    tests against the emulated arrays and for benchmarks). A, b and x are rounded to the
    format first; returns the new x."""
    omega = check_omega(omega)
    operator = Operator.build(A, fmt)
    relax, keep = operator.sor_constants(omega)
    x = operator.vector(x, "x")
    mode, bits, emin_field = format_integers(operator.fmt)
    kernels.sor_sweep(operator.indptr, operator.indices, operator.data, relax, keep,
                      operator.vector(b, "b"), x, mode, bits, emin_field,
                      solve_key(operator.fmt, rng))
    return x
