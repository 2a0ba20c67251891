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

Certificate: rational c_k, and a correction g = A e^(-pi t|x|^2) + B e^(-pi|x|^2)
- C e^(-pi u|x|^2) (t > 1 > u) whose margins over the Gaussian grow nearly like exp(x/2), as the
polynomials' rounding error does (GaussianCorrection); then p^ + lift >= 0 on [0, oo) and
p - drop <= 0 on [X0, oo) are proved exactly (Bernstein coefficients of the half-line
compactified to [0, 1], bisected in integers), and the bound (p(0) + g(0))/(p^(0) + g^(0))
(X0/8)^(n/2)/Gamma(n/2 + 1) is an exact rational for even n and a rigorous rational upper bound
for odd n (sqrt and pi by rational enclosures). A plain Gaussian epsilon, the earlier
certificate, must exceed the rounding error at the optimum's farthest double roots, about
exp(X/2) times larger; it made degree 15 and above uncertifiable.
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
from scipy.optimize import linprog
from scipy.special import eval_genlaguerre, gammaln, roots_genlaguerre

from pipeline.bounds.delsarte import polynomial_value
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


def _bernstein_integers(coefficients) -> list[int]:
    """Bernstein coefficients on [0, 1] of a polynomial (monomial Fractions), times a common
    positive denominator: b_k = sum_{j <= k} C(k, j) / C(D, j) a_j (Farouki & Rajan 1988)."""
    degree = len(coefficients) - 1
    bernstein = [sum((Fraction(math.comb(k, j), math.comb(degree, j)) * a
                      for j, a in enumerate(coefficients[:k + 1])), Fraction(0))
                 for k in range(degree + 1)]
    denominator = math.lcm(*(b.denominator for b in bernstein))
    return [b.numerator * (denominator // b.denominator) for b in bernstein]


def nonnegative_on_unit_interval(coefficients, max_depth: int = 40) -> bool:
    """Exact proof that the polynomial is >= 0 on [0, 1] (False: negative somewhere, or not
    proved within ``max_depth`` bisections).

    A box is proved when all its Bernstein coefficients are >= 0 (they bound the polynomial
    from below); it is disproved when an end value (the first or last coefficient) is < 0.
    Bisection is de Casteljau's in integers: each half's coefficients are scaled by 2^D, a
    positive factor, so no rational arithmetic is needed below the first box."""
    stack = [(_bernstein_integers(coefficients), 0)]
    degree = len(coefficients) - 1
    while stack:
        b, depth = stack.pop()
        if b[0] < 0 or b[-1] < 0:
            return False
        if min(b) >= 0:
            continue
        if depth >= max_depth:
            return False
        left, right, row = [], [], list(b)
        for level in range(degree + 1):  # row = 2^level times the level-th de Casteljau row
            left.append(row[0] << (degree - level))
            right.append(row[-1] << (degree - level))
            row = [x + y for x, y in zip(row, row[1:])]
        stack.append((right[::-1], depth + 1))
        stack.append((left, depth + 1))
    return True


def nonnegative_on_half_line(coefficients, start: Fraction) -> bool:
    """Exact proof that the polynomial is >= 0 on [start, oo) (False: not proved)."""
    return nonnegative_on_unit_interval(_compactified(coefficients, start))


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
    # Each sampled identity is scaled by 1 / max_k |l_k(x_j)|, the size of the polynomial's
    # terms there: solver tolerances then bound the residual relative to what rounding the
    # coefficients costs anyway (1 / max l_k^2, the size of the SOS terms, left the far
    # nodes' identities 1e5 times looser and cost the certificate 1e-4 at degree 23).
    weights = 1 / np.max(np.abs(values), axis=1)
    at_zero = _laguerre_values(alpha, degree, np.zeros(1))[0]
    signs = (-1.0) ** np.arange(degree + 1)
    c = cp.Variable(degree + 1)  # coefficients in the orthonormal basis
    p_values = values @ c
    hat_values = values @ cp.multiply(signs, c)
    constraints = [(signs * at_zero) @ c == 1]

    def sos(lower_basis, upper_basis, shift, target):
        # Gram matrices >= margin * I: the sums of squares then exceed margin * sum_k l_k^2,
        # a cushion for a double-precision solver's residual. It grows like exp(x) while the
        # polynomials grow like exp(x/2), so from degree 11 it dominates the optimum; the
        # multiprecision solver takes none (SOS_MARGIN) and the certificate's correction
        # absorbs rounding instead.
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


def multimodal_minimum(f, grid, steps: int, brackets: int = 2) -> tuple[float, float]:
    """The least value of ``f`` found by golden-section search in the brackets of the
    ``brackets`` best local minima of ``f`` on ``grid``; ``f`` may be inf (a failed solve).

    Each bracket [x_{i-1}, x_{i+1}] shrinks by 1/phi = 0.618 per step (Kiefer 1953), so a
    minimum the coarse grid ranks second is still found when it is the global one.
    Returns (x, f(x)) for the best point evaluated.
    """
    seen: dict = {}

    def at(x: float) -> float:
        if x not in seen:
            seen[x] = f(x)
        return seen[x]

    values = [at(x) for x in grid]
    last = len(grid) - 1
    minima = [i for i in range(len(grid)) if values[i] < math.inf
              and values[i] <= min(values[max(i - 1, 0)], values[min(i + 1, last)])]
    ratio = (math.sqrt(5) - 1) / 2
    for best in sorted(minima, key=lambda i: values[i])[:brackets]:
        low, high = grid[max(best - 1, 0)], grid[min(best + 1, last)]
        for _ in range(steps):
            a, b = high - ratio * (high - low), low + ratio * (high - low)
            if at(a) <= at(b):
                high = b
            else:
                low = a
    x = min(seen, key=seen.get)
    return x, seen[x]


def _density(n: int, x0: float, ratio: float) -> float:
    return ratio * (x0 / 8) ** (n / 2) / math.gamma(n / 2 + 1)


# lambdaStar scales SDPA's initial point (default 100); the Gram matrices here reach 1e9 and
# more, and with the default SDPA declares the LP infeasible from degree 11 on.
SOLVER_OPTIONS = {"CLARABEL": {}, "SCS": {"eps": 1e-9, "max_iters": 100000},
                  "SDPA": {"mpfPrecision": 200, "epsilonStar": 1e-25, "epsilonDash": 1e-25,
                           "lambdaStar": 1e12, "numThreads": 1}}
SOS_MARGIN = {"CLARABEL": 1e-9, "SCS": 1e-9, "SDPA": 0.0}


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
                problem, c = _solve_lp(dimension, degree, x0, solver, options, SOS_MARGIN[solver])
            except (cp.error.SolverError, ArithmeticError, ValueError):
                cache[x0] = (math.inf, None, "solver_error")
                return math.inf
            # p(0) <= 0 with p^(0) = 1 would be a density bound <= 0: an inaccurate solve
            # (SCS at n = 2 reported -841), which must not steer the radius search.
            ok = (problem.status in ("optimal", "optimal_inaccurate")
                  and problem.value is not None and problem.value > 0)
            density = _density(dimension, x0, problem.value) if ok else math.inf
            cache[x0] = (density, c if ok else None, problem.status)
        return cache[x0][0]

    # X0 = 2 pi r^2; the density is multimodal in it (n = 8, d = 9: minima 0.26147 near
    # X0 = 10.5 and 0.26211 near 15.5), one minimum per pattern of double roots.
    grid = np.linspace(0.5, max(4.0, 2.0 * dimension + 4), 12)
    x_best, _ = multimodal_minimum(value, grid, radius_steps)
    density, coefficients, status = cache[x_best]
    if coefficients is None:
        return BoundResult(None, None, status, time.perf_counter() - start, {})
    certified, certificate = certify_cohn_elkies(dimension, coefficients, to_fraction(x_best))
    return BoundResult(density, None if certified is None else float_up(certified), status,
                       time.perf_counter() - start, certificate)


def _exp_minus_upper(y: Fraction, terms: int = 80) -> Fraction:
    """A rational upper bound of exp(-y) for y >= 0: 1 / sum_{j <= terms} y^j / j! (every
    term of the exponential series is positive, so its partial sums lie below exp(y))."""
    total, term = Fraction(1), Fraction(1)
    for j in range(1, terms + 1):
        term = term * y / j
        total += term
    return 1 / total


# Widths of the correcting Gaussians (squares, so that t^(n/2) and u^(n/2) are rational).
NARROW_WIDTHS = (Fraction(9, 4), Fraction(4), Fraction(9))
WIDE_WIDTHS = (Fraction(1, 4), Fraction(4, 9), Fraction(9, 16), Fraction(16, 25))


def _taylor(kappa: Fraction, terms: int) -> list[Fraction]:
    """Coefficients of T(x) = sum_{j <= terms} (kappa x)^j / j!, which is <= exp(kappa x) for
    x >= 0 (every term of the series is non-negative)."""
    return [kappa ** j / math.factorial(j) for j in range(terms + 1)]


def _power(width: Fraction, n: int) -> Fraction:
    """width^(n/2) for a width that is the square of a rational."""
    root = Fraction(isqrt(width.numerator), isqrt(width.denominator))
    assert root * root == width
    return root ** n


class GaussianCorrection:
    """g(x) = A exp(-pi t |x|^2) + B exp(-pi |x|^2) - C exp(-pi u |x|^2), t > 1 > u, A, C >= 0.

    With x = 2 pi |x|^2 and the Gaussian's transform t^(-n/2) exp(-pi |xi|^2 / t), relative to
    exp(-x/2) (the Laguerre functions' own factor):
        g^ e^(x/2) = A t^(-n/2) exp((1 - 1/t) x/2) + B - C u^(-n/2) exp(-(1/u - 1) x/2)
                  >= A t^(-n/2) T_t(x) + B - C u^(-n/2) =: lift(x)           (x >= 0),
        g e^(x/2)  = A exp(-(t - 1) x/2) + B - C exp((1 - u) x/2)
                  <= A E + B - C T_u(x) =: -drop(x)                          (x >= X0),
    T_t, T_u Taylor sections of the growing exponentials and E >= exp(-(t - 1) X0/2). The
    margins grow nearly like exp(x/2), as the rounding error of the polynomials does, so a
    correction of relative size 1e-16-ish repairs rounding at the far double roots as well as
    near the origin; a constant (the plain Gaussian) would have to be exp(X/2) times larger."""

    def __init__(self, n: int, x0: Fraction, t: Fraction, u: Fraction, terms: int):
        self.n, self.x0, self.t, self.u = n, x0, t, u
        self.t_power, self.u_power = _power(t, n), _power(u, n)
        self.lift_series = _taylor((1 - 1 / t) / 2, terms)
        self.drop_series = _taylor((1 - u) / 2, terms)
        self.e = _exp_minus_upper((t - 1) * x0 / 2)

    def lift(self, a, b, c) -> list:
        """Coefficients of lift(x) for weights (A, B, C)."""
        result = [a / self.t_power * x for x in self.lift_series]
        result[0] += b - c / self.u_power
        return result

    def drop(self, a, b, c) -> list:
        result = [c * x for x in self.drop_series]
        result[0] -= a * self.e + b
        return result

    def at_zero(self, a, b, c):
        """(g(0), g^(0))."""
        return a + b - c, a / self.t_power + b - c / self.u_power


def _fit_weights(correction: GaussianCorrection, hat_points, hat_needed, points, needed,
                 ratio: float):
    """Float weights (A, B, C) with lift >= hat_needed and drop >= needed at the sample points
    and the least first-order change of the bound, g(0) - ratio g^(0) (a 3-variable LP).

    g(0) - g^(0) = A (1 - t^(-n/2)) + C (u^(-n/2) - 1) >= 0 for every choice."""
    grow_hat = np.polynomial.polynomial.polyval(hat_points, [float(x) for x in correction.lift_series])
    grow = np.polynomial.polynomial.polyval(points, [float(x) for x in correction.drop_series])
    t_inv, u_inv = 1 / float(correction.t_power), 1 / float(correction.u_power)
    e = float(correction.e)
    ones = np.ones(len(points))
    # lift = A t_inv grow_hat + B - C u_inv >= hat_needed;  drop = C grow - A e - B >= needed.
    # Each row is divided by its right-hand side and the weights are in units of the least
    # right-hand side, so HiGHS sees numbers near one (it rejects entries above 1e15 or so).
    unit = min(hat_needed.min(), needed.min())
    a_ub = unit * np.vstack([
        -np.column_stack([t_inv * grow_hat, ones, -u_inv * ones]) / hat_needed[:, None],
        -np.column_stack([-e * ones, -ones, grow]) / needed[:, None]])
    b_ub = -np.ones(len(a_ub))
    # g(0) - r g^(0) with r = min(ratio, 1): g(0) >= g^(0) > 0 for any feasible weights, so
    # this is bounded below; with the full ratio the LP would be unbounded whenever g alone
    # beats p (a low-degree p can be worse than a sum of three Gaussians).
    r = min(ratio, 1.0)
    cost = [1 - r * t_inv, 1 - r, r * u_inv - 1]
    result = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=[(0, None), (None, None), (0, None)],
                     method="highs")
    return (unit * result.x, result.fun) if result.status == 0 else (None, math.inf)


def _envelope(coefficients, alpha: float, points: np.ndarray) -> np.ndarray:
    """sum_k |c_k L_k^alpha(x)|: the size of the terms whose rounding the correction absorbs."""
    return sum(abs(c) * np.abs(eval_genlaguerre(k, alpha, points)) for k, c in enumerate(coefficients))


def _add(p, q) -> list:
    result = [Fraction(0)] * max(len(p), len(q))
    for i, x in enumerate(p):
        result[i] += x
    for i, x in enumerate(q):
        result[i] += x
    return result


def certify_cohn_elkies(n: int, coefficients, x0: Fraction):
    """(rigorous density bound, certificate) from float Laguerre coefficients, or (None, ...).

    Rounded to rationals, p^ dips below zero and p rises above it near the double roots of
    the optimum, by amounts that grow like the terms c_k L_k(x), nearly exp(x/2). The
    correction g of GaussianCorrection has margins that grow alike: its weights are fitted
    (an LP) to twice the sampled deficits plus 2^-40 of the term envelope, then
    p^ + lift >= 0 on [0, oo) and p - drop <= 0 on [X0, oo) are proved exactly (Bernstein),
    the weights quadrupled until they are. f + g is then admissible with radius r and the
    bound is (p(0) + g(0)) / (p^(0) + g^(0)) vol B^n(r/2)."""
    alpha = Fraction(n - 2, 2)
    degree = len(coefficients) - 1
    basis = laguerre_exact(alpha, degree)
    c = [Fraction(float(x)) for x in coefficients]
    p = _combine(basis, c)
    p_hat = _combine(basis, c, signs=True)
    info = {"c": [str(x) for x in c], "x0": str(x0)}
    if p_hat[0] <= 0:
        info["failed"] = "the transform at 0 is not positive"
        return None, info
    top = 6 * degree + 60
    hat_points = [Fraction(top * i * i, 300 * 300) for i in range(301)]
    points = [x0 + x for x in hat_points]
    hat_floats = np.array([float(x) for x in hat_points])
    floats = np.array([float(x) for x in points])
    hat_deficit = np.array([max(0.0, -float(polynomial_value(p_hat, x))) for x in hat_points])
    deficit = np.array([max(0.0, float(polynomial_value(p, x))) for x in points])
    coefficient_floats = [float(x) for x in c]
    hat_needed = 2 * hat_deficit + 2.0**-40 * _envelope(coefficient_floats, float(alpha), hat_floats)
    needed = 2 * deficit + 2.0**-40 * _envelope(coefficient_floats, float(alpha), floats)
    ratio = float(p[0] / p_hat[0])
    fits = []
    for t in NARROW_WIDTHS:
        for u in WIDE_WIDTHS:
            correction = GaussianCorrection(n, x0, t, u, terms=2 * degree + 8)
            weights, cost = _fit_weights(correction, hat_floats, hat_needed, floats, needed, ratio)
            if weights is not None:
                fits.append((cost, t, u, correction, weights))
    for cost, t, u, correction, weights in sorted(fits, key=lambda fit: fit[0])[:3]:
        a, b, c_wide = (Fraction(float(w)) for w in weights)
        for _ in range(16):
            lift, drop = correction.lift(a, b, c_wide), correction.drop(a, b, c_wide)
            if (nonnegative_on_half_line(_add(p_hat, lift), Fraction(0))
                    and nonnegative_on_half_line(_add([-x for x in p], drop), x0)):
                g0, g0_hat = correction.at_zero(a, b, c_wide)
                numerator, denominator = p[0] + g0, p_hat[0] + g0_hat
                if numerator <= 0 or denominator <= 0:
                    break
                bound = numerator / denominator * ball_volume_upper(n, x0)
                info.update({"t": str(t), "u": str(u), "A": str(a), "B": str(b),
                             "C": str(c_wide), "bound": str(bound)})
                return bound, info
            a, b, c_wide = 4 * a, 4 * b, 4 * c_wide
    info["failed"] = "no Gaussian correction proved f <= 0 beyond the radius and f^ >= 0"
    return None, info
