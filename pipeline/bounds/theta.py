"""The Lovász theta function of a graph, with an exact certificate (Lovász 1979, "On the
Shannon capacity of a graph", IEEE Trans. Inf. Theory 25, 1, doi:10.1109/TIT.1979.1055985).

In the dual form used here (Lovász 1979, Theorem 3; Knuth 1994, "The sandwich theorem",
Electron. J. Combin. 1, A1, section 6):

    theta(G) = min t   subject to   t I - J - sum_{ij in E} y_ij (e_i e_j^T + e_j e_i^T)  PSD,

with J the all-ones matrix. Any t and y making that matrix positive semidefinite prove
theta(G) <= t, so the certificate is checked exactly: y is rounded to rationals, t is raised
a little above the solver's value, and positive definiteness of the rational matrix is
decided by an exact LDL^T factorisation. Anchors: theta(C5) = sqrt(5), theta(Petersen) = 4.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import cvxpy as cp
import numpy as np

from pipeline.bounds.exact import is_positive_definite, to_fraction


@dataclass
class BoundResult:
    """A solved formulation: the solver's float optimum and the rigorous bound (or None)."""

    value: float | None
    certified: float | None
    status: str
    seconds: float
    certificate: dict


def theta_matrix(n, edges, t, multipliers):
    """t I - J - sum y_ij (e_i e_j^T + e_j e_i^T), in whatever number type t and y are."""
    matrix = [[(t if i == j else 0) - 1 for j in range(n)] for i in range(n)]
    for (i, j), y in zip(edges, multipliers):
        matrix[i][j] -= y
        matrix[j][i] -= y
    return matrix


def certify_theta(n, edges, t, multipliers, attempts: int = 12):
    """The smallest t' = t + 10^k margin (k from -12 up) that makes the rational matrix
    positive definite, as an exact Fraction; None if none of the margins works."""
    y = [to_fraction(v) for v in multipliers]
    base = to_fraction(t)
    for exponent in range(-12, -12 + attempts):
        candidate = base + Fraction(10) ** exponent
        if is_positive_definite(theta_matrix(n, edges, candidate, y)):
            return candidate, y
    return None, y


def lovasz_theta(n: int, edges, solver: str = "CLARABEL") -> BoundResult:
    start = time.perf_counter()
    t = cp.Variable()
    y = cp.Variable(len(edges))
    matrix = t * np.eye(n) - np.ones((n, n))
    for k, (i, j) in enumerate(edges):
        unit = np.zeros((n, n))
        unit[i, j] = unit[j, i] = 1.0
        matrix = matrix - y[k] * unit
    problem = cp.Problem(cp.Minimize(t), [matrix >> 0])
    try:
        problem.solve(solver=solver)
    except cp.error.SolverError as error:
        return BoundResult(None, None, f"solver_error: {error}", time.perf_counter() - start, {})
    if problem.status not in ("optimal", "optimal_inaccurate"):
        return BoundResult(None, None, problem.status, time.perf_counter() - start, {})
    certified, multipliers = certify_theta(n, edges, float(t.value), np.atleast_1d(y.value))
    return BoundResult(
        value=float(t.value),
        certified=None if certified is None else float(certified),
        status=problem.status,
        seconds=time.perf_counter() - start,
        certificate={"t": None if certified is None else str(certified),
                     "y": [str(v) for v in multipliers]},
    )
