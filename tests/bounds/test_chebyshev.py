"""The Chebyshev algebra behind the three-point SDP: conversions against numpy's, products
and Gram orbit sums against pointwise evaluation, and exact fixed-point representations."""

from fractions import Fraction

import numpy as np
import pytest
from numpy.polynomial import chebyshev as npcheb

from pipeline.bounds.chebyshev import (
    chebyshev_from_monomials, exact_gram, fixed_point, gram_orbit_sums, monomials_from_chebyshev,
    multiply, trivariate_from_monomials,
)
from pipeline.bounds.refine import absorb_residual, factor_corrections
from pipeline.bounds.symmetry import basis_indices
from pipeline.bounds.threepoint import BOX, GRAM_SLACK, orbit, orbit_members, three_point_problem


def cheb(i, x):
    return np.cos(i * np.arccos(np.clip(x, -1, 1)))


def evaluate(polynomial, u, v, t):
    return sum(float(c) * cheb(a, u) * cheb(b, v) * cheb(e, t) for (a, b, e), c in polynomial.items())


def test_univariate_conversions_match_numpy():
    rng = np.random.default_rng(0)
    coefficients = [Fraction(int(x)) for x in rng.integers(-9, 9, 12)]
    assert np.allclose([float(x) for x in chebyshev_from_monomials(coefficients)],
                       npcheb.poly2cheb([float(x) for x in coefficients]), atol=1e-12)
    assert monomials_from_chebyshev(chebyshev_from_monomials(coefficients)) == coefficients


def test_trivariate_conversion_and_products_evaluate_correctly():
    rng = np.random.default_rng(1)
    monomial = {(2, 1, 3): Fraction(3, 2), (0, 4, 0): Fraction(-1), (1, 1, 1): Fraction(2)}
    p, q = trivariate_from_monomials(monomial), {(3, 0, 2): Fraction(1, 3), (0, 1, 1): Fraction(-2)}
    for u, v, t in rng.uniform(-1, 1, (5, 3)):
        assert evaluate(p, u, v, t) == pytest.approx(
            sum(float(c) * u ** a * v ** b * t ** e for (a, b, e), c in monomial.items()), abs=1e-12)
        assert evaluate(multiply(p, q), u, v, t) == pytest.approx(
            evaluate(p, u, v, t) * evaluate(q, u, v, t), abs=1e-12)
    # (u + 1)(1/2 - u) vanishes at u = -1 and u = 1/2; the Gram slack is 1 at the origin.
    assert evaluate(BOX, -1, 0.3, 0.2) == pytest.approx(0) and evaluate(BOX, 0.5, 0, 0) == pytest.approx(0)
    assert evaluate(GRAM_SLACK, 0, 0, 0) == pytest.approx(1)


def test_gram_orbit_sums_are_exact_and_evaluate_to_the_symmetrised_form():
    data = three_point_problem(3, 4)
    basis = basis_indices(2)
    rng = np.random.default_rng(2)
    root = rng.standard_normal((len(basis), len(basis)))
    gram = root @ root.T
    gram[0, 1] = gram[1, 0] = 1e-25  # entries spanning many binary orders of magnitude
    sums = gram_orbit_sums(gram, GRAM_SLACK, basis, data.orbit_lookup)
    point = rng.uniform(-1, 0.5, 3)

    def form(u, v, t):
        m = np.array([cheb(a, u) * cheb(b, v) * cheb(e, t) for a, b, e in basis])
        return evaluate(GRAM_SLACK, u, v, t) * m @ gram @ m

    symmetrised = np.mean([form(*point[list(s)]) for s in orbit_members((2, 1, 0))])

    def orbit_polynomial(o):  # the average of T_alpha over the orbit's members
        members = orbit_members(data.orbits[o])
        return np.mean([cheb(a, point[0]) * cheb(b, point[1]) * cheb(e, point[2])
                        for a, b, e in members])

    from_sums = sum(float(x) * orbit_polynomial(o) for o, x in sums.items())
    assert from_sums == pytest.approx(symmetrised, rel=1e-10)
    # Exactness: doubling the tiny entry changes the sums by exactly its share,
    # 2 x 1e-25 x T_0 T_(1,0,0), all on orbit (1, 0, 0).
    changed = gram.copy()
    changed[0, 1] = changed[1, 0] = 2e-25
    one = {(0, 0, 0): Fraction(1)}
    before = gram_orbit_sums(gram, one, basis, data.orbit_lookup)
    after = gram_orbit_sums(changed, one, basis, data.orbit_lookup)
    difference = {o: after.get(o, 0) - before.get(o, 0) for o in set(before) | set(after)}
    assert {o: x for o, x in difference.items() if x} == {data.orbit_index[(1, 0, 0)]: 2 * Fraction(1e-25)}


def test_gram_from_a_factor_is_exact_and_positive_semidefinite_by_construction():
    rng = np.random.default_rng(6)
    factor = rng.standard_normal((7, 3)) * np.array([1.0, 1e-9, 3e4])  # rank 3, wide range
    factor[0, 1] = -2.0 ** -40  # an entry far below the largest, kept exactly
    integers, exponent = exact_gram(factor)
    for i in range(7):
        for j in range(7):
            exact = sum(Fraction(float(factor[i, k])) * Fraction(float(factor[j, k])) for k in range(3))
            assert Fraction(int(integers[i, j])) * Fraction(2) ** exponent == exact


def test_fixed_point_is_exact():
    matrix = np.array([[1.5, -1e-30], [3.0e5, 2.0 ** -1074]])
    integers, exponent = fixed_point(matrix)
    for x, n in zip(matrix.ravel(), integers.ravel()):
        assert Fraction(float(x)) == Fraction(int(n)) * Fraction(2) ** exponent


def test_a_factor_given_in_parts_stands_for_their_exact_sum():
    rng = np.random.default_rng(8)
    high = rng.standard_normal((5, 3)) * 3e3
    low = rng.standard_normal((5, 3)) * 1e-11  # far below the last bit of ``high``
    integers, exponent = fixed_point([high, low], bits=160)
    gram, gram_exponent = exact_gram([high, low])
    for i in range(5):
        for k in range(3):
            exact = Fraction(float(high[i, k])) + Fraction(float(low[i, k]))
            assert Fraction(int(integers[i, k])) * Fraction(2) ** exponent == exact
        exact_row = [sum((Fraction(float(high[i, k])) + Fraction(float(low[i, k])))
                         * (Fraction(float(high[j, k])) + Fraction(float(low[j, k])))
                         for k in range(3)) for j in range(5)]
        assert [Fraction(int(x)) * Fraction(2) ** gram_exponent for x in gram[i]] == exact_row


def test_factor_corrections_cancel_an_exact_residual_to_second_order():
    # Low-rank factors (rank 2 of 6) as at an SDP optimum; the residual is computed exactly
    # in rationals, as the certificate does, so no double-precision evaluation floor applies.
    rng = np.random.default_rng(5)
    orbits, n = 5, 6
    adjoint = rng.standard_normal((n * n, orbits))
    factor = rng.standard_normal((n, 2)) * 1e3
    target = adjoint.T @ (factor @ factor.T).reshape(-1, order="F")
    constant = -target + 1e-7 * rng.standard_normal(orbits)

    def exact_residual(parts):
        gram = [[sum(sum(Fraction(float(p[i, k])) for p in parts)
                     * sum(Fraction(float(p[j, k])) for p in parts) for k in range(2))
                 for j in range(n)] for i in range(n)]
        return [Fraction(float(constant[o])) + sum(Fraction(float(adjoint[i + n * j, o])) * gram[i][j]
                                                   for i in range(n) for j in range(n))
                for o in range(orbits)]

    before = exact_residual([factor])
    assert max(abs(float(x)) for x in before) > 1e-8
    candidates = factor_corrections([adjoint], [factor], np.array([float(x) for x in before]))
    assert len(candidates) == 2  # cut at rounding level, and where dL dL^T stays small
    for (step,) in candidates:
        after = exact_residual([factor, step])
        # First order gone: what is left is |dL|^2 and the step's rounding (L ~ 1e3).
        assert max(abs(float(x)) for x in after) < 1e-15


def test_absorbing_a_residual_keeps_positivity_and_leaves_the_moment_direction():
    rng = np.random.default_rng(4)
    orbits, n = 6, 4
    adjoint = np.zeros((n * n, orbits))
    for o in range(orbits):  # symmetric coefficient matrices A_o
        a = rng.standard_normal((n, n))
        adjoint[:, o] = ((a + a.T) / 2).reshape(-1, order="F")
    root = rng.standard_normal((n, n))
    gram = root @ root.T + np.eye(n)
    constant = -adjoint.T @ gram.reshape(-1, order="F") + 1e-6 * rng.standard_normal(orbits)
    moments = np.abs(rng.standard_normal(orbits)) + 0.5
    (absorbed,), left = absorb_residual(constant, [(adjoint, gram)], moments=moments)
    assert np.linalg.eigvalsh(absorbed).min() > 0
    residual = constant + adjoint.T @ absorbed.reshape(-1, order="F")
    # All but <w, r> (which no correction of this kind can change) is gone.
    assert np.abs(residual[1:]).max() < 1e-13
    assert left == pytest.approx(max(0.0, residual[0] + np.abs(residual[1:]).sum()), abs=1e-15)


def test_the_truncated_factor_correction_survives_a_nearly_unused_column():
    # A factor with a column 1e9 times smaller than the other: residual directions reached
    # only through it need a huge least-norm step, whose dL dL^T swamps what it cancels.
    # The candidate cut against dL dL^T must still lower the exact residual.
    rng = np.random.default_rng(11)
    orbits, n = 8, 5
    adjoint = rng.standard_normal((n * n, orbits))
    factor = np.column_stack([rng.standard_normal(n) * 1e3, rng.standard_normal(n) * 1e-6])
    constant = (-adjoint.T @ (factor @ factor.T).reshape(-1, order="F")
                + 1e-3 * rng.standard_normal(orbits))

    def exact_l1(parts):
        rows = [[sum(Fraction(float(p[i, k])) for p in parts) for k in range(2)] for i in range(n)]
        return sum(abs(Fraction(float(constant[o])) + sum(
            Fraction(float(adjoint[i + n * j, o])) * (rows[i][0] * rows[j][0] + rows[i][1] * rows[j][1])
            for i in range(n) for j in range(n))) for o in range(orbits))

    before = exact_l1([factor])
    residual = np.array([float(Fraction(float(constant[o])) + sum(
        Fraction(float(adjoint[i + n * j, o])) * Fraction(float(factor[i] @ factor[j]))
        for i in range(n) for j in range(n))) for o in range(orbits)])
    (rounding,), (guarded,) = factor_corrections([adjoint], [factor], residual)
    assert exact_l1([factor, rounding]) > 1e3 * before  # the untruncated step blows up
    assert exact_l1([factor, guarded]) < 0.9 * before
