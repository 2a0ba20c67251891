"""Delsarte's linear-programming bound for spherical codes and the kissing number, with an
exact certificate (Delsarte, Goethals & Seidel 1977, "Spherical codes and designs", Geom.
Dedicata 6, 363, Theorem 4.3; Conway & Sloane 1999, SPLAG, chapter 9, section 3).

If F(t) = sum_{k=0}^{d} f_k P_k^n(t) with f_0 > 0, f_k >= 0 for k >= 1, and F(t) <= 0 for
t in [-1, s], then a code on S^{n-1} with all inner products <= s has at most F(1) / f_0
points. With f_0 = 1 the bound is 1 + sum_k f_k, minimised over the f_k. P_k^n are the
Gegenbauer polynomials C_k^{(n-2)/2} normalised to P_k^n(1) = 1 (Chebyshev T_k for n = 2).
The kissing number is the case s = cos(60 degrees) = 1/2.

The inequality is imposed exactly, not on a grid, by Lukács' theorem (Szegő 1975,
Orthogonal Polynomials, Theorem 1.21.1): a polynomial of degree d that is >= 0 on [a, b] is
    sigma_0 + (t - a)(b - t) sigma_1              (d even), or
    (t - a) sigma_0 + (b - t) sigma_1             (d odd),
with sigma_i sums of squares, i.e. v(t)^T Q_i v(t) for positive semidefinite Gram matrices.

Certificate: the solver's f_k are rounded to non-negative rationals; the maximum M of the
rational F on [-1, s] is bounded above exactly by Bernstein coefficients with subdivision
(Farouki & Rajan 1987, Comput. Aided Geom. Des. 4, 191: a polynomial lies below the maximum
of its Bernstein coefficients on an interval); then F - M meets Delsarte's conditions with
f_0 = 1 - M, proving the bound (F(1) - M) / (1 - M), which can only exceed the float value.
Anchors: n = 8 gives 240 and n = 24 gives 196560 (sharp; Levenshtein 1979, Odlyzko & Sloane
1979); n = 3 gives 13.158... (Odlyzko & Sloane 1979, Table 1).
"""

from __future__ import annotations

import time
from fractions import Fraction

import cvxpy as cp
import numpy as np

from pipeline.bounds.exact import to_fraction
from pipeline.bounds.theta import BoundResult


# --- exact polynomials: coefficient lists, lowest degree first --------------------------

def polynomial_value(coefficients, t):
    total = 0
    for c in reversed(coefficients):
        total = total * t + c
    return total


def gegenbauer_normalised(n: int, degree: int) -> list[list[Fraction]]:
    """Exact monomial coefficients of P_0^n .. P_degree^n, normalised to P_k^n(1) = 1."""
    if n < 2:
        raise ValueError(f"dimension must be at least 2, got {n}.")
    alpha = Fraction(n - 2, 2)
    # C_0 = 1 and C_1 = 2 alpha t (T_1 = t for the Chebyshev case alpha = 0).
    polynomials = [[Fraction(1)], [Fraction(0), 2 * alpha if alpha else Fraction(1)]]
    for k in range(2, degree + 1):
        previous, before = polynomials[k - 1], polynomials[k - 2]
        if alpha == 0:  # Chebyshev: T_k = 2 t T_{k-1} - T_{k-2}
            a, b, c = Fraction(2), Fraction(1), Fraction(1)
        else:  # C_k = (2 (k + alpha - 1) t C_{k-1} - (k + 2 alpha - 2) C_{k-2}) / k
            a, b, c = 2 * (k + alpha - 1), k + 2 * alpha - 2, Fraction(k)
        shifted = [Fraction(0)] + [a * x for x in previous]
        lowered = [b * x for x in before] + [Fraction(0)] * (len(shifted) - len(before))
        polynomials.append([(x - y) / c for x, y in zip(shifted, lowered)])
    # Rescale (the recurrence above gives C_k up to a constant): divide by the value at 1.
    return [[x / polynomial_value(p, 1) for x in p] for p in polynomials[:degree + 1]]


def bernstein_coefficients(coefficients, a: Fraction, b: Fraction) -> list[Fraction]:
    """Bernstein coefficients of the polynomial on [a, b] (exact)."""
    d = len(coefficients) - 1
    # p(a + (b - a) u) in powers of u, then to the Bernstein basis on [0, 1].
    width = b - a
    shifted = [Fraction(0)] * (d + 1)
    binomial = [[Fraction(1)]]
    for i in range(1, d + 1):
        row = [Fraction(1)] + [binomial[i - 1][j - 1] + binomial[i - 1][j] for j in range(1, i)] + [Fraction(1)]
        binomial.append(row)
    for i, c in enumerate(coefficients):
        for j in range(i + 1):  # (a + w u)^i = sum_j C(i, j) a^(i-j) w^j u^j
            shifted[j] += c * binomial[i][j] * a ** (i - j) * width ** j
    return [sum(binomial[k][j] / binomial[d][j] * shifted[j] for j in range(k + 1))
            for k in range(d + 1)]


def upper_bound_on_interval(coefficients, a, b, tolerance=Fraction(1, 10**12),
                            max_depth: int = 40, floor: Fraction | None = Fraction(0)) -> Fraction:
    """An exact rational M with p(t) <= M on [a, b], tight to ``tolerance`` above the true
    maximum where that maximum exceeds ``floor`` (subdividing only where it can matter);
    floor=None makes it tight everywhere."""
    stack = [(Fraction(a), Fraction(b), 0)]
    best_value = max(polynomial_value(coefficients, Fraction(a)),
                     polynomial_value(coefficients, Fraction(b)))
    bound = best_value
    while stack:
        left, right, depth = stack.pop()
        weights = bernstein_coefficients(coefficients, left, right)
        top = max(weights)
        target = best_value if floor is None else max(best_value, floor)
        if top <= target + tolerance or depth >= max_depth:
            bound = max(bound, top)
            continue
        middle = (left + right) / 2
        best_value = max(best_value, polynomial_value(coefficients, middle))
        stack.append((left, middle, depth + 1))
        stack.append((middle, right, depth + 1))
    return bound


# --- the LP/SDP ---------------------------------------------------------------------------

def _gram_polynomial(gram, size):
    """Coefficients of v(t)^T Q v(t) for v = (1, t, ..., t^(size-1)), as cvxpy expressions."""
    return [sum(gram[i, p - i] for i in range(max(0, p - size + 1), min(p, size - 1) + 1))
            for p in range(2 * size - 1)]


def _times(polynomial, factor):
    """Product of a coefficient list (expressions) with a numeric coefficient list."""
    result = [0] * (len(polynomial) + len(factor) - 1)
    for i, p in enumerate(polynomial):
        for j, f in enumerate(factor):
            if f:
                result[i + j] = result[i + j] + f * p
    return result


def delsarte_bound(dimension: int, degree: int, inner_product: float = 0.5,
                   solver: str = "CLARABEL") -> BoundResult:
    """Delsarte's bound for codes in S^{dimension-1} with inner products <= inner_product."""
    if dimension < 2:
        raise ValueError(f"dimension must be at least 2, got {dimension}.")
    if degree < 1:
        raise ValueError(f"degree must be at least 1, got {degree}.")
    if not -1 < inner_product < 1:
        raise ValueError(f"inner_product must lie strictly between -1 and 1, got {inner_product}.")
    start = time.perf_counter()
    exact = gegenbauer_normalised(dimension, degree)
    basis = np.zeros((degree + 1, degree + 1))
    for k, p in enumerate(exact):
        basis[k, :len(p)] = [float(c) for c in p]
    f = cp.Variable(degree, nonneg=True)
    coefficients = basis[0] + f @ basis[1:]  # F(t) in monomials
    s = inner_product
    if degree % 2 == 0:
        half = degree // 2 + 1
        q0 = cp.Variable((half, half), PSD=True)
        sos = _gram_polynomial(q0, half)
        constraints_parts = [sos]
        if half > 1:
            q1 = cp.Variable((half - 1, half - 1), PSD=True)
            constraints_parts.append(_times(_gram_polynomial(q1, half - 1), [s, s - 1, -1.0]))
    else:
        half = (degree + 1) // 2
        q0 = cp.Variable((half, half), PSD=True)
        q1 = cp.Variable((half, half), PSD=True)
        constraints_parts = [_times(_gram_polynomial(q0, half), [1.0, 1.0]),
                             _times(_gram_polynomial(q1, half), [s, -1.0])]
    total = [0] * (degree + 1)
    for part in constraints_parts:
        for p, term in enumerate(part):
            total[p] = total[p] + term
    constraints = [-coefficients[p] == total[p] for p in range(degree + 1)]
    problem = cp.Problem(cp.Minimize(1 + cp.sum(f)), constraints)
    try:
        problem.solve(solver=solver)
    except cp.error.SolverError as error:
        return BoundResult(None, None, f"solver_error: {error}", time.perf_counter() - start, {})
    if problem.status not in ("optimal", "optimal_inaccurate") or f.value is None:
        return BoundResult(None, None, problem.status, time.perf_counter() - start, {})
    certified, certificate = certify_delsarte(exact, f.value, to_fraction(inner_product))
    return BoundResult(float(problem.value), None if certified is None else float(certified),
                       problem.status, time.perf_counter() - start, certificate)


def certify_delsarte(polynomials, multipliers, inner_product: Fraction):
    """(rigorous bound, certificate) from float multipliers f_1..f_d; bound None if F - M
    cannot be made admissible (M >= 1)."""
    f = [Fraction(1)] + [max(Fraction(0), v if isinstance(v, Fraction) else to_fraction(v))
                         for v in multipliers]
    degree = len(f) - 1
    coefficients = [sum(f[k] * polynomials[k][p] for k in range(degree + 1)
                        if p < len(polynomials[k])) for p in range(degree + 1)]
    excess = max(Fraction(0), upper_bound_on_interval(coefficients, Fraction(-1), inner_product))
    certificate = {"f": [str(x) for x in f], "max_on_interval": str(excess)}
    if excess >= 1:
        return None, certificate
    bound = (polynomial_value(coefficients, Fraction(1)) - excess) / (1 - excess)
    certificate["bound"] = str(bound)
    return bound, certificate


def verify_delsarte_claim(dimension: int, multipliers, inner_product, claimed) -> bool:
    """Do f_0 = 1 and the given rational f_1..f_d prove 'at most ``claimed`` points'?

    Exact: the bound they prove is (F(1) - M) / (1 - M), M an exact upper bound of F on
    [-1, s]; the claim stands when that is at most ``claimed``.
    """
    f = [Fraction(x) for x in multipliers]
    if any(x < 0 for x in f):
        return False
    polynomials = gegenbauer_normalised(dimension, len(f))
    bound, _ = certify_delsarte(polynomials, f, Fraction(inner_product))
    return bound is not None and bound <= Fraction(claimed)
