"""The Cohn-Elkies linear-programming bound for the sphere-packing density, with an exact
certificate (Cohn & Elkies 2003, "New upper bounds on sphere packings I", Ann. Math. 157,
689, Theorem 3.2).

If f: R^n -> R is admissible, f(0) > 0, f(x) <= 0 for |x| >= r and its Fourier transform
f^(xi) = int f(x) exp(-2 pi i x.xi) dx is >= 0, then every sphere packing in R^n has density
    Delta <= f(0) / f^(0) * vol B^n(r/2).
Radial trial functions f(x) = p(2 pi |x|^2) exp(-pi |x|^2) with p(x) = sum_k c_k L_k^alpha(x),
alpha = n/2 - 1, are closed under the transform: L_k^alpha(2 pi |x|^2) exp(-pi |x|^2) is an
eigenfunction with eigenvalue (-1)^k (Cohn & Elkies 2003, section 4; the Laguerre functions
are the radial Hermite functions), so f^ = p^(2 pi |xi|^2) exp(-pi |xi|^2), p^ = sum (-1)^k c_k L_k.

In the variable x = 2 pi s (s = |x|^2) the conditions are p <= 0 on [X0, oo) and p^ >= 0 on
[0, oo), X0 = 2 pi r^2, and vol B^n(r/2) = (X0/8)^(n/2) / Gamma(n/2 + 1): pi cancels, so with a
rational X0 the bound is exact for even n. The LP minimises p(0) with p^(0) = 1; the half-line
conditions are sums of squares (p^ = s0 + x s1, -p = s0 + (x - X0) s1; Polya & Szego), imposed
at Gauss-Laguerre nodes (a unisolvent set) with Laguerre Gram bases for conditioning; the
radius is optimised by golden-section search.

Certificate: rational c_k; a Gaussian epsilon exp(-pi |x|^2) (its own transform) is added so
that p^ + eps >= 0 is proved exactly (Bernstein coefficients of the half-line compactified to
[0, 1]), then the smallest tried X1 >= X0 with p + eps <= 0 on [X1, oo) proved likewise; the
bound (p(0) + eps)/(p^(0) + eps) (X1/8)^(n/2)/Gamma(n/2 + 1) is an exact rational for even n
and a rigorous rational upper bound for odd n (sqrt and pi by rational enclosures).
Anchors: sharp at n = 8, pi^4/384 = 0.25366950790...; n = 2 approaches the hexagonal
pi/sqrt(12) = 0.906899682... (Cohn & Elkies 2003, Table 3).
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from math import isqrt

import cvxpy as cp
import numpy as np
from scipy.special import eval_genlaguerre, gammaln, roots_genlaguerre

from pipeline.bounds.delsarte import upper_bound_on_interval
from pipeline.bounds.exact import float_up, to_fraction
from pipeline.bounds.theta import BoundResult

PI_LOWER = Fraction(314159265358979, 10**14)  # pi = 3.14159265358979323...


def generalised_binomial(top: Fraction, k: int) -> Fraction:
    result = Fraction(1)
    for i in range(k):
        result = result * (top - i) / (i + 1)
    return result


def laguerre_exact(alpha: Fraction, degree: int) -> list[list[Fraction]]:
    """Monomial coefficients of L_0^alpha .. L_degree^alpha:
    L_k^alpha(x) = sum_j (-1)^j binom(k + alpha, k - j) x^j / j!  (Szego 1975, (5.1.6))."""
    return [[(-1) ** j * generalised_binomial(k + alpha, k - j) / math.factorial(j)
             for j in range(k + 1)] for k in range(degree + 1)]


def _combine(basis, coefficients, signs: bool = False) -> list[Fraction]:
    result = [Fraction(0)] * len(basis)
    for k, (c, polynomial) in enumerate(zip(coefficients, basis)):
        sign = -1 if signs and k % 2 else 1
        for j, x in enumerate(polynomial):
            result[j] += sign * c * x
    return result


def _compactified(coefficients, start: Fraction) -> list[Fraction]:
    """q(w) = (1 - w)^D p(start + w / (1 - w)): the same sign on [0, 1) as p on [start, oo),
    q(1) = the leading coefficient (Bernstein positivity on [0, 1] then covers the half-line)."""
    degree = len(coefficients) - 1
    # (start (1 - w) + w)^j (1 - w)^(D - j), expanded in powers of w.
    base = [start, 1 - start]
    one_minus = [Fraction(1), Fraction(-1)]
    result = [Fraction(0)] * (degree + 1)
    power_base = [Fraction(1)]
    for j, c in enumerate(coefficients):
        if j:
            power_base = _poly_mul(power_base, base)
        if c:
            term = _poly_mul(power_base, _poly_pow(one_minus, degree - j))
            for i, x in enumerate(term):
                result[i] += c * x
    return result


def _poly_mul(p, q):
    result = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        if x:
            for j, y in enumerate(q):
                result[i + j] += x * y
    return result


def _poly_pow(p, m):
    result = [Fraction(1)]
    for _ in range(m):
        result = _poly_mul(result, p)
    return result


def nonnegative_on_half_line(coefficients, start: Fraction) -> bool:
    """Exact proof that the polynomial is >= 0 on [start, oo) (False: not proved)."""
    q = _compactified(coefficients, start)
    return upper_bound_on_interval([-x for x in q], Fraction(0), Fraction(1),
                                   tolerance=Fraction(0), max_depth=30) <= 0


def _sqrt_upper(q: Fraction, digits: int = 30) -> Fraction:
    scale = 10 ** digits
    root = isqrt(q.numerator * scale * scale // q.denominator + 1) + 1
    return Fraction(root, scale)


def ball_volume_upper(n: int, x0: Fraction) -> Fraction:
    """A rational upper bound of vol B^n(r/2) = (X0/8)^(n/2) / Gamma(n/2 + 1), X0 = 2 pi r^2."""
    if n % 2 == 0:
        return (x0 / 8) ** (n // 2) / math.factorial(n // 2)
    # Gamma(n/2 + 1) = sqrt(pi) prod_{i=0}^{(n-1)/2} (i + 1/2); sqrt(pi) >= sqrt(PI_LOWER).
    gamma_over_root_pi = Fraction(1)
    for i in range((n - 1) // 2 + 1):
        gamma_over_root_pi *= Fraction(2 * i + 1, 2)
    inverse_root_pi = _sqrt_upper(1 / PI_LOWER)
    return (x0 / 8) ** (n // 2) * _sqrt_upper(x0 / 8) * inverse_root_pi / gamma_over_root_pi


def _laguerre_values(alpha: float, degree: int, points: np.ndarray) -> np.ndarray:
    """Orthonormal Laguerre polynomials l_k = L_k^alpha / h_k, h_k^2 = Gamma(k+alpha+1)/k!,
    at the points: (points, degree + 1)."""
    k = np.arange(degree + 1)
    norms = np.exp(0.5 * (gammaln(k + alpha + 1) - gammaln(k + 1)))
    return np.array([eval_genlaguerre(j, alpha, points) for j in k]).T / norms


def _solve_lp(n: int, degree: int, x0: float, solver: str, options: dict, margin: float = 1e-9):
    """One LP at fixed X0; returns (problem, monomial-free Laguerre coefficients c_k)."""
    alpha = n / 2 - 1
    nodes, _ = roots_genlaguerre(degree + 1, alpha)
    values = _laguerre_values(alpha, degree, nodes)
    # Each sampled identity is scaled by 1 / max_k l_k(x_j)^2, the size of its SOS terms.
    weights = 1 / np.max(values ** 2, axis=1)
    at_zero = _laguerre_values(alpha, degree, np.zeros(1))[0]
    signs = (-1.0) ** np.arange(degree + 1)
    c = cp.Variable(degree + 1)  # coefficients in the orthonormal basis
    p_values = values @ c
    hat_values = values @ cp.multiply(signs, c)
    constraints = [(signs * at_zero) @ c == 1]

    def sos(lower_basis, upper_basis, shift, target):
        # Gram matrices >= margin * I: the sums of squares then exceed margin * sum_k l_k^2,
        # an envelope of what rounding the solution can cost, so the exact check succeeds.
        g0 = cp.Variable((lower_basis + 1, lower_basis + 1), PSD=True) + margin * np.eye(lower_basis + 1)
        b0 = _laguerre_values(alpha, lower_basis, nodes)
        terms = cp.sum(cp.multiply(b0 @ g0, b0), axis=1)
        if upper_basis >= 0:
            g1 = cp.Variable((upper_basis + 1, upper_basis + 1), PSD=True) + margin * np.eye(upper_basis + 1)
            b1 = _laguerre_values(alpha, upper_basis, nodes)
            terms = terms + cp.multiply(nodes - shift, cp.sum(cp.multiply(b1 @ g1, b1), axis=1))
        return cp.multiply(weights, target) == cp.multiply(weights, terms)

    lower = degree // 2
    upper = degree // 2 - 1 if degree % 2 == 0 else (degree - 1) // 2
    constraints.append(sos(lower, upper, 0.0, hat_values))
    constraints.append(sos(lower, upper, x0, -p_values))
    problem = cp.Problem(cp.Minimize(at_zero @ c), constraints)
    problem.solve(solver=solver, **options)
    k = np.arange(degree + 1)
    norms = np.exp(0.5 * (gammaln(k + alpha + 1) - gammaln(k + 1)))
    return problem, (None if c.value is None else c.value / norms)


def _density(n: int, x0: float, ratio: float) -> float:
    return ratio * (x0 / 8) ** (n / 2) / math.gamma(n / 2 + 1)


SOLVER_OPTIONS = {"CLARABEL": {}, "SCS": {"eps": 1e-9, "max_iters": 100000},
                  "SDPA": {"mpfPrecision": 200, "epsilonStar": 1e-25, "epsilonDash": 1e-25,
                           "numThreads": 1}}


def cohn_elkies_bound(dimension: int, degree: int, solver: str = "CLARABEL",
                      solver_options: dict | None = None, radius_steps: int = 30) -> BoundResult:
    """The Cohn-Elkies density bound in ``dimension`` with polynomials of ``degree``."""
    if dimension < 1:
        raise ValueError(f"dimension must be at least 1, got {dimension}.")
    if not 2 <= degree <= 60:
        raise ValueError(f"degree must be between 2 and 60 for the Cohn-Elkies bound, got {degree}.")
    if solver not in SOLVER_OPTIONS:
        raise ValueError(f"Unknown solver {solver!r}; choose one of: {', '.join(SOLVER_OPTIONS)}.")
    start = time.perf_counter()
    options = dict(SOLVER_OPTIONS[solver], **(solver_options or {}))
    cache: dict = {}

    def value(x0: float) -> float:
        if x0 not in cache:
            try:
                problem, c = _solve_lp(dimension, degree, x0, solver, options)
            except (cp.error.SolverError, ArithmeticError, ValueError):
                cache[x0] = (math.inf, None, "solver_error")
                return math.inf
            ok = problem.status in ("optimal", "optimal_inaccurate") and problem.value is not None
            density = _density(dimension, x0, problem.value) if ok else math.inf
            cache[x0] = (density, c if ok else None, problem.status)
        return cache[x0][0]

    # Golden-section search on X0 = 2 pi r^2 over a bracket found on a coarse grid.
    grid = np.linspace(0.5, max(4.0, 2.0 * dimension + 4), 12)
    best = int(np.argmin([value(x) for x in grid]))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (math.sqrt(5) - 1) / 2
    for _ in range(radius_steps):
        a, b = high - ratio * (high - low), low + ratio * (high - low)
        if value(a) <= value(b):
            high = b
        else:
            low = a
    x_best = min(cache, key=lambda x: cache[x][0])
    density, coefficients, status = cache[x_best]
    if coefficients is None:
        return BoundResult(None, None, status, time.perf_counter() - start, {})
    certified, certificate = certify_cohn_elkies(dimension, coefficients, to_fraction(x_best))
    return BoundResult(density, None if certified is None else float_up(certified), status,
                       time.perf_counter() - start, certificate)


def certify_cohn_elkies(n: int, coefficients, x0: Fraction):
    """(rigorous density bound, certificate) from float Laguerre coefficients, or (None, ...)."""
    alpha = Fraction(n - 2, 2)
    degree = len(coefficients) - 1
    basis = laguerre_exact(alpha, degree)
    c = [Fraction(float(x)) for x in coefficients]
    p = _combine(basis, c)
    p_hat = _combine(basis, c, signs=True)
    info = {"c": [str(x) for x in c], "x0": str(x0)}
    sample = np.linspace(0, float(x0) + 8 * degree + 40, 4000)
    floor = float(np.min(np.polynomial.polynomial.polyval(sample, [float(x) for x in p_hat])))
    epsilon = Fraction(max(0.0, -floor) * 2 + 1e-15 * max(1.0, abs(float(p_hat[0]))))
    for _ in range(40):
        lifted = list(p_hat)
        lifted[0] += epsilon
        if nonnegative_on_half_line(lifted, Fraction(0)):
            break
        epsilon *= 4
    else:
        info["failed"] = "the transform could not be proved non-negative"
        return None, info
    negated = [-x for x in p]
    negated[0] -= epsilon  # -(p + eps)
    x1, step = x0, x0 / 10**12
    for _ in range(60):
        if nonnegative_on_half_line(negated, x1):
            break
        x1, step = x0 + step, step * 2
    else:
        info["failed"] = "p + eps could not be proved non-positive beyond the radius"
        return None, info
    numerator, denominator = p[0] + epsilon, p_hat[0] + epsilon
    if denominator <= 0 or numerator <= 0:
        info["failed"] = "f(0) or its transform at 0 is not positive"
        return None, info
    bound = numerator / denominator * ball_volume_upper(n, x1)
    info.update({"epsilon": str(epsilon), "x1": str(x1), "bound": str(bound)})
    return bound, info
