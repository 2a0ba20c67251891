"""Cohn-Elkies bound: Laguerre eigenfunctions of the Fourier transform, exact half-line
positivity, and certified densities above the known optima (Hales; Viazovska)."""

import math
from fractions import Fraction

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import eval_genlaguerre, jv

from pipeline.bounds.cohn_elkies import (
    GaussianCorrection, ball_volume_upper, certify_cohn_elkies, cohn_elkies_bound,
    laguerre_exact, multimodal_minimum, nonnegative_on_half_line, nonnegative_on_unit_interval,
)
from pipeline.bounds import cohn_elkies
from pipeline.bounds.delsarte import polynomial_value

pytestmark = pytest.mark.filterwarnings("ignore")


def test_exact_laguerre_polynomials_match_scipy():
    for alpha in (Fraction(0), Fraction(1, 2), Fraction(3)):
        for k, coefficients in enumerate(laguerre_exact(alpha, 6)):
            for x in (0.0, 0.7, 3.5, 11.0):
                exact = float(polynomial_value(coefficients, Fraction(x)))
                assert exact == pytest.approx(eval_genlaguerre(k, float(alpha), x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("n,k", [(2, 1), (3, 2), (8, 3)])
def test_laguerre_gaussians_are_fourier_eigenfunctions(n, k):
    # Radial Fourier transform in R^n (Stein & Weiss 1971, IV.3):
    # F(rho) = 2 pi rho^(1 - n/2) int_0^oo f(r) J_(n/2 - 1)(2 pi rho r) r^(n/2) dr.
    alpha = n / 2 - 1
    f = lambda r: eval_genlaguerre(k, alpha, 2 * math.pi * r * r) * math.exp(-math.pi * r * r)
    for rho in (0.3, 0.8, 1.4):
        integral, _ = quad(lambda r: f(r) * jv(alpha, 2 * math.pi * rho * r) * r ** (n / 2), 0, 12,
                           limit=400)
        transform = 2 * math.pi * rho ** (1 - n / 2) * integral
        assert transform == pytest.approx((-1) ** k * f(rho), abs=1e-8)


def test_half_line_positivity_is_decided_exactly():
    square = [Fraction(1) + Fraction(1, 10**6), Fraction(-2), Fraction(1)]  # (x-1)^2 + 1e-6
    assert nonnegative_on_half_line(square, Fraction(0))
    two_roots = [Fraction(30), Fraction(-11), Fraction(1)]  # (x - 5)(x - 6)
    assert not nonnegative_on_half_line(two_roots, Fraction(0))
    assert nonnegative_on_half_line(two_roots, Fraction(6))
    assert not nonnegative_on_half_line([Fraction(1), Fraction(-1)], Fraction(0))  # 1 - x


def test_unit_interval_positivity_resolves_near_double_roots():
    # (w - 1/3)^2 + eps: proved for eps = 1e-18 (a near-double root, as at the optimum's
    # double roots); (w - 1/3)^2 - eps is negative on a 2e-9 wide interval and is rejected.
    square = [Fraction(1, 9), Fraction(-2, 3), Fraction(1)]
    eps = Fraction(1, 10**18)
    assert nonnegative_on_unit_interval([square[0] + eps] + square[1:])
    assert not nonnegative_on_unit_interval([square[0] - eps] + square[1:])
    half = [Fraction(1, 4), Fraction(-1), Fraction(1)] + [Fraction(0)] * 30  # (w - 1/2)^2
    assert nonnegative_on_unit_interval(half)  # touching zero at a bisection point
    assert not nonnegative_on_unit_interval([Fraction(-1), Fraction(3)])  # negative at w = 0


def _radial_transform(f, n, rho):
    # Radial Fourier transform in R^n (Stein & Weiss 1971, IV.3).
    integral, _ = quad(lambda r: f(r) * jv(n / 2 - 1, 2 * math.pi * rho * r) * r ** (n / 2),
                       0, 12, limit=400)
    return 2 * math.pi * rho ** (1 - n / 2) * integral


@pytest.mark.parametrize("n,t,u", [(8, Fraction(9, 4), Fraction(4, 9)), (3, Fraction(4), Fraction(16, 25))])
def test_gaussian_correction_margins_hold_for_the_true_functions(n, t, u):
    # g = A e^(-pi t r^2) + B e^(-pi r^2) - C e^(-pi u r^2) and its transform by quadrature
    # against the Taylor-section margins the certificate proves with.
    x0 = Fraction(63, 5)
    correction = GaussianCorrection(n, x0, t, u, terms=30)
    a, b, c = Fraction(3), Fraction(1, 2), Fraction(1, 5)
    g = lambda r: (float(a) * math.exp(-math.pi * float(t) * r * r) + float(b) * math.exp(-math.pi * r * r)
                   - float(c) * math.exp(-math.pi * float(u) * r * r))
    lift = [float(x) for x in correction.lift(a, b, c)]
    drop = [float(x) for x in correction.drop(a, b, c)]
    for rho in (0.05, 0.5, 1.0, 1.5, 2.0):
        x = 2 * math.pi * rho * rho
        transform = _radial_transform(g, n, rho) * math.exp(x / 2)
        assert transform >= np.polynomial.polynomial.polyval(x, lift) - 1e-6
    for x in (float(x0), 20.0, 40.0):
        r = math.sqrt(x / (2 * math.pi))
        assert g(r) * math.exp(x / 2) <= -np.polynomial.polynomial.polyval(x, drop) + 1e-9
    g0, g0_hat = correction.at_zero(a, b, c)
    assert float(g0) == pytest.approx(g(0.0))
    # g^(0) is the integral of g: n vol(B^n) int_0^oo g(r) r^(n-1) dr.
    integral, _ = quad(lambda r: g(r) * r ** (n - 1), 0, 20, limit=400)
    ball = math.pi ** (n / 2) / math.gamma(n / 2 + 1)
    assert float(g0_hat) == pytest.approx(n * ball * integral, rel=1e-9)


def test_ball_volume_upper_bounds_are_tight():
    for n in (2, 3, 8):
        x0 = Fraction(7)
        exact = (7 / 8) ** (n / 2) / math.gamma(n / 2 + 1)
        assert exact <= float(ball_volume_upper(n, x0)) <= exact * (1 + 1e-12)


@pytest.mark.parametrize("n,known", [
    (2, math.pi / math.sqrt(12)),  # hexagonal packing, optimal (Fejes Toth 1940)
    (3, math.pi / math.sqrt(18)),  # face-centred cubic, optimal (Hales 2005)
    (8, math.pi ** 4 / 384),  # E8, optimal (Viazovska 2017); Cohn-Elkies is sharp as d -> oo
])
def test_certified_densities_lie_above_the_known_optimum(n, known):
    result = cohn_elkies_bound(n, 7)
    assert result.certified is not None
    assert known < result.certified < known * 1.08
    assert result.certified == pytest.approx(result.value, rel=1e-7)


@pytest.mark.slow
def test_multiprecision_reaches_degrees_where_double_precision_fails():
    # Degree 9 was the limit (0.2614366) before: SDPA's default initial point declared these
    # LPs infeasible, and a constant Gaussian epsilon could not repair rounding at the far
    # double roots. A short radius search keeps this test to about half a minute.
    result = cohn_elkies_bound(8, 11, solver="SDPA", radius_steps=4)
    assert result.certified is not None
    assert math.pi ** 4 / 384 < result.certified < 0.259
    assert result.certified == pytest.approx(result.value, rel=1e-8)


def test_a_spoiled_certificate_cannot_prove_the_same_density():
    result = cohn_elkies_bound(8, 5)
    c = [float(Fraction(x)) for x in result.certificate["c"]]
    x0 = Fraction(result.certificate["x0"])
    c[1] *= 1.05  # f and its transform no longer meet the sign conditions at this radius
    spoiled, info = certify_cohn_elkies(8, c, x0)
    assert spoiled is None or spoiled > result.certified * (1 + 1e-6)


def _two_basins(x):
    # A shallow wide basin (1.0 at x = 3) and a deep narrow one (0.9 at x = 9.2): on the
    # 12-point grid below the wide one looks better (1.084 against 1.247), like the density
    # in X0 at n = 8, d = 9.
    return min(0.5 * (x - 3.0) ** 2 + 1.0, 3.0 * (x - 9.2) ** 2 + 0.9)


def test_radius_search_finds_the_minimum_the_coarse_grid_ranks_second():
    grid = np.linspace(0.5, 12.0, 12)
    x, best = multimodal_minimum(_two_basins, grid, steps=30)
    assert x == pytest.approx(9.2, abs=1e-4) and best == pytest.approx(0.9, abs=1e-8)
    x_one, best_one = multimodal_minimum(_two_basins, grid, steps=30, brackets=1)
    assert x_one == pytest.approx(3.0, abs=1e-4) and best_one > 0.99


def test_radius_search_steps_over_failed_solves():
    grid = np.linspace(0.5, 12.0, 12)
    failed = set(grid[[0, 1, 2, 3, 10]])  # the wide basin and a far point did not solve
    x, best = multimodal_minimum(lambda x: math.inf if x in failed else _two_basins(x),
                                 grid, steps=30)
    assert x == pytest.approx(9.2, abs=1e-4) and best == pytest.approx(0.9, abs=1e-8)
    x, best = multimodal_minimum(lambda x: math.inf, grid, steps=30)
    assert best == math.inf


def test_a_non_positive_lp_value_does_not_steer_the_radius_search(monkeypatch):
    # SCS once returned p(0) = -841 ("optimal_inaccurate") at n = 2: as a density it would
    # beat every true one. Here the solve at the fifth grid radius reports such a value.
    real = cohn_elkies._solve_lp
    bad_x0 = np.linspace(0.5, 8.0, 12)[4]

    class Inaccurate:
        status, value = "optimal_inaccurate", -841.0

    def solve(n, degree, x0, *args):
        problem, c = real(n, degree, x0, *args)
        return (Inaccurate(), c) if x0 == bad_x0 else (problem, c)

    monkeypatch.setattr(cohn_elkies, "_solve_lp", solve)
    result = cohn_elkies_bound(2, 5, radius_steps=6)
    assert float(Fraction(result.certificate["x0"])) != bad_x0
    assert math.pi / math.sqrt(12) < result.value < 1.0
    assert result.certified is not None and result.certified >= result.value * (1 - 1e-9)
