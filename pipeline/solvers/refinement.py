"""Mixed-precision iterative refinement: float64 residuals, corrections solved in a format.

At a reduced format a plain SOR or SSOR-PCG solve cannot reach tol = 1e-8: the residual it
computes is rounding noise long before that. Iterative refinement (Wilkinson 1963; for
iterative inner solvers Carson & Higham 2018, SIAM J. Sci. Comput. 40, A817,
doi:10.1137/17M1140819) keeps x and the residual in float64 and solves only the correction
in the format:

    r_k = b - A x_k (float64),   A d_k = r_k / ||r_k|| solved in the format to tau_F,
    x_{k+1} = x_k + ||r_k|| d_k (float64),

until the float64 residual meets the method's own test (SOR: ||r_k|| / ||r_0|| < tol;
SSOR-PCG: ||r_k|| <= tol ||b||). The right-hand side is scaled to unit norm so that no
format's range is strained.

The inner-tolerance rule: tau_F = max(tol, 2^(-M/2)) for a format with M significand bits
(tau = tol at float64, where one solve does it all): about the square root of the unit
roundoff, well above the level (about u kappa(A)) where the format's computed residual
stagnates for moderately conditioned A, so that each outer step gains about M/2 bits.
Where an inner solve stagnates anyway (no new smallest residual in
`STAGNATION_WINDOW` iterations) it stops there and the outer step goes on from its result.
The cost is the total number of inner iterations, capped at ``max_iterations`` in all; an
outer step that does not reduce the float64 residual ends the solve ("stagnated").
"""

from __future__ import annotations

import math

import numpy as np

from pipeline.solvers.operator import Operator, SolverInputError, check_omega
from pipeline.solvers.relaxation import (SolveResult, check_settings, sor_solve,
                                         ssor_pcg_solve)

STAGNATION_WINDOW = 50
MAX_OUTER_STEPS = 100
METHODS = ("sor", "ssor-pcg")


def inner_tolerance(fmt, tol: float) -> float:
    """tau_F = max(tol, 2^(-M/2)); tol itself at float64."""
    if fmt.is_float64:
        return tol
    return max(tol, 2.0 ** (-fmt.significand_bits / 2))


def refine(A, b, omega, *, method="sor", tol=1e-8, x0=None, max_iterations=10000, fmt=None,
           rng=None) -> SolveResult:
    """Solve A x = b to ``tol`` in float64 by refinement with ``method`` ("sor" or
    "ssor-pcg") solving the corrections at ``fmt``; see the module doc.

    ``.iterations`` is the total of inner iterations, ``.outer_steps`` the number of
    corrections, ``.residual`` the float64 relative residual of the method's test.
    """
    if method not in METHODS:
        raise SolverInputError(f"method must be one of {', '.join(METHODS)}, got {method!r}.")
    omega = check_omega(omega)
    tol, max_iterations = check_settings(tol, max_iterations)
    operator = Operator.build(A, fmt, require_symmetric=method == "ssor-pcg")
    return refine_solve(operator, _float64_vector(b, operator.n, "b"), omega, method=method,
                        tol=tol, max_iterations=max_iterations, rng=rng,
                        x0=None if x0 is None else _float64_vector(x0, operator.n, "x0"))


def refine_solve(operator: Operator, b: np.ndarray, omega: float, *, method: str, tol: float,
                 x0=None, max_iterations=10000, rng=None) -> SolveResult:
    """`refine` on a prepared operator (b and x0 float64, not rounded)."""
    A = operator.matrix
    solve = sor_solve if method == "sor" else ssor_pcg_solve
    tau = inner_tolerance(operator.fmt, tol)
    x = np.zeros(operator.n) if x0 is None else np.array(x0, dtype=np.float64)
    r = b - A @ x
    norm = float(np.linalg.norm(r))
    reference = norm if method == "sor" else float(np.linalg.norm(b))
    if reference == 0.0:
        return SolveResult(np.zeros(operator.n) if method != "sor" else x, 0, 0.0, True)
    total, steps, status = 0, 0, "converged"
    while norm / reference >= tol if method == "sor" else norm > tol * reference:
        if total >= max_iterations or steps >= MAX_OUTER_STEPS:
            status = "iteration cap reached"
            break
        inner = solve(operator, operator.vector(r / norm, "residual"), omega, tol=tau,
                      max_iterations=max_iterations - total, rng=rng,
                      stagnation_window=STAGNATION_WINDOW)
        total += inner.iterations
        steps += 1
        candidate = x + norm * inner.x
        r_candidate = b - A @ candidate
        candidate_norm = float(np.linalg.norm(r_candidate))
        if not math.isfinite(candidate_norm):
            status = "non-finite residual"
            break
        if candidate_norm >= norm:
            status = "stagnated"
            break
        x, r, norm = candidate, r_candidate, candidate_norm
    relative = norm / reference
    met = relative < tol if method == "sor" else relative <= tol
    return SolveResult(x, total, relative, met, "converged" if met else status, steps)


def _float64_vector(values, n: int, name: str) -> np.ndarray:
    try:
        vector = np.array(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise SolverInputError(f"{name} must be a vector of numbers.") from None
    if vector.size != n:
        raise SolverInputError(f"{name} must have length {n} (A's size), got {vector.size}.")
    if not np.isfinite(vector).all():
        raise SolverInputError(f"{name} has a NaN or infinite entry.")
    return vector
