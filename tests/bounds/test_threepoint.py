"""Bachoc-Vallentin three-point bound: the S_k matrices against their definition and their
positivity theorem, the E8 anchor, the n = 3 ordering, multiprecision, and the certificate."""

from fractions import Fraction
from itertools import permutations

import numpy as np
import pytest
from scipy.special import eval_gegenbauer

from pipeline.bounds.delsarte import delsarte_bound
from pipeline.bounds.exact import (
    nearest_positive_definite, positive_definite_margin, provable_floor,
)
from pipeline.bounds.symmetry import basis_indices, standard_partner, symmetry_blocks
from pipeline.bounds.threepoint import (
    BOX, GRAM_SLACK, certify_three_point, orbit, orbit_members, three_point_bound,
    three_point_problem,
)

pytestmark = pytest.mark.filterwarnings("ignore")


def gegenbauer(n, k, x):
    """P_k^n with P_k^n(1) = 1, from scipy (Chebyshev T_k for n = 2)."""
    if n == 2:
        return np.cos(k * np.arccos(np.clip(x, -1, 1)))
    alpha = (n - 2) / 2
    return eval_gegenbauer(k, alpha, x) / eval_gegenbauer(k, alpha, 1.0)


def chebyshev(i, x):
    return np.cos(i * np.arccos(np.clip(x, -1, 1)))


def element(basis, i, x):
    """The basis polynomial b_i(x): Chebyshev T_i from its cosine definition, or x^i."""
    return chebyshev(i, x) if basis == "chebyshev" else np.asarray(x, dtype=float) ** i


def s_matrix_direct(n, d, k, u, v, t, basis="chebyshev"):
    """S_k^n(u, v, t) straight from Bachoc & Vallentin's definition, in floating point, with
    rows and columns indexed by b_i(u), b_j(v) (u^i, v^j for the monomial basis)."""
    size = d - k + 1
    total = np.zeros((size, size))
    for a, b, c in permutations((u, v, t)):
        w = np.sqrt((1 - a * a) * (1 - b * b))
        core = w ** k * gegenbauer(n - 1, k, (c - a * b) / w)
        total += np.outer(element(basis, np.arange(size), a), element(basis, np.arange(size), b)) * core
    return total / 6


def s_matrix_from_problem(data, k, u, v, t):
    size = data.d - k + 1
    matrix = np.zeros((size, size))
    name = data.basis.name
    for (i, j), sums in data.triple[k].items():
        value = 0.0
        for index, total in sums.items():
            members = orbit_members(data.orbits[index])
            for a, b, c in members:
                value += (float(total) / len(members)
                          * element(name, a, u) * element(name, b, v) * element(name, c, t))
        matrix[i, j] = matrix[j, i] = value
    return matrix


@pytest.mark.parametrize("n", [3, 4, 8])
@pytest.mark.parametrize("basis", ["chebyshev", "monomial"])
def test_exact_s_matrices_match_the_definition(n, basis):
    data = three_point_problem(n, 4, basis)
    rng = np.random.default_rng(n)
    for _ in range(5):
        u, v, t = rng.uniform(-0.95, 0.45, 3)
        for k in range(5):
            assert np.allclose(s_matrix_from_problem(data, k, u, v, t),
                               s_matrix_direct(n, 4, k, u, v, t, basis), atol=1e-12)


def test_s_matrices_are_positive_kernels_on_any_point_set():
    # Bachoc & Vallentin (2008), Theorem 3.2: sum over C^3 of S_k^n(c.c', c.c'', c'.c'') >= 0.
    n, d = 3, 3
    data = three_point_problem(n, d)
    points = np.random.default_rng(5).normal(size=(7, n))
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    gram = np.clip(points @ points.T, -1, 1)
    for k in range(d + 1):
        total = sum(s_matrix_from_problem(data, k, gram[a, b], gram[a, c], gram[b, c])
                    for a in range(7) for b in range(7) for c in range(7))
        assert np.linalg.eigvalsh(total).min() > -1e-9 * max(1.0, np.abs(total).max())


def test_e8_kissing_number_240_is_certified():
    result = three_point_bound(8, 3)
    assert result.status == "optimal"
    assert 240 <= result.certified <= 240.001  # Levenshtein (1979): tau_8 = 240, sharp


def test_three_point_beats_delsarte_in_dimension_3_and_improves_with_degree():
    values = [three_point_bound(3, d).certified for d in (3, 4, 5)]
    assert all(v is not None for v in values)
    assert values[0] >= values[1] >= values[2]
    # Schutte & van der Waerden (1953): tau_3 = 12; Delsarte at the same degree is weaker.
    assert 12 < values[2] < delsarte_bound(3, 10).certified
    # Mittelmann & Vallentin (2010), Table 1: 12.4216701 at d = 11, so lower degrees sit above.
    assert values[2] > 12.4216701


def test_multiprecision_sdpa_agrees_and_leaves_almost_no_residual():
    double = three_point_bound(3, 4)
    multi = three_point_bound(3, 4, solver="SDPA", solver_options={"mpfPrecision": 128})
    assert multi.certified == pytest.approx(double.certified, rel=5e-5)
    assert multi.certificate["triple_excess"] < 1e-20 < double.certificate["triple_excess"]
    assert multi.certified <= double.certified


@pytest.mark.extended
def test_multiprecision_duals_are_raised_only_as_far_as_the_proof_needs():
    # Raising every dual matrix by 1e-10 of its scale (as before) cost the d = 5 certificate
    # 2.3e-6; the least provable raise of B and the F_k, with the Gram matrices taken as
    # exact products of factors (no raise at all), cost it 4e-11 with a triple excess of
    # 1.9e-13, which factors refined against their exact residual bring to 3.7e-14.
    result = three_point_bound(3, 5, solver="SDPA", solver_options={"mpfPrecision": 128})
    assert result.status == "optimal"
    assert 0 <= result.certified - result.value < 1e-10
    assert result.certificate["triple_excess"] < 1e-13


@pytest.mark.parametrize("size", [20, 100, 300])
def test_the_provable_floor_is_enough_and_a_hundredth_of_it_is_not(size):
    factor = np.random.default_rng(size).standard_normal((size, 3))
    singular = factor @ factor.T  # rank 3
    values = np.clip(np.linalg.eigvalsh(singular), 0, None)
    floor = provable_floor(size, values.sum(), values.max())
    assert positive_definite_margin(nearest_positive_definite(singular)) is not None
    assert positive_definite_margin(nearest_positive_definite(singular, floor=floor / 100)) is None


def test_the_monomial_basis_gives_the_same_bound_and_its_own_certificate():
    chebyshev_basis = three_point_bound(3, 4, solver="SDPA", solver_options={"mpfPrecision": 128})
    monomial = three_point_bound(3, 4, solver="SDPA", solver_options={"mpfPrecision": 128},
                                 basis="monomial")
    assert monomial.status == "optimal"
    assert monomial.value == pytest.approx(chebyshev_basis.value, rel=1e-12)
    assert 0 <= monomial.certified - monomial.value < 1e-7
    with pytest.raises(ValueError, match="basis 'legendre'"):
        three_point_bound(3, 4, basis="legendre")


def test_a_spoiled_certificate_is_rejected():
    data = three_point_problem(8, 3)
    result = three_point_bound(8, 3)
    a = [float(Fraction(x)) for x in result.certificate["a"]]
    zero = [np.zeros((4 - k, 4 - k)) for k in range(4)]
    # Gram factors (G = L L^T) over the bases of degree 3, 2, 1.
    factors = [np.eye(20) * 0.03, np.eye(10) * 0.03, np.eye(4) * 0.03]
    # B with b_22 = 1 makes T = b_22 + ... = 1 > 0 on Delta: no Gram matrices can absorb it.
    bound, info = certify_three_point(data, a, np.array([[0.0, 0.0], [0.0, 1.0]]), zero, factors)
    assert bound is None and "violated" in info["failed"]


def test_verified_positive_definiteness_is_a_real_test():
    assert positive_definite_margin(np.eye(5)) > 0
    nearly = np.array([[1.0, 1.0], [1.0, 1.0]])  # singular
    assert positive_definite_margin(nearly) is None
    assert positive_definite_margin(nearest_positive_definite(nearly)) is not None
    assert positive_definite_margin(np.array([[1.0, 2.0], [2.0, 1.0]])) is None


@pytest.mark.parametrize("multiplier,basis_degree,full_group", [
    ({(0, 0, 0): Fraction(1)}, 4, True), (GRAM_SLACK, 3, True), (BOX, 3, False)])
def test_symmetry_blocks_split_every_localising_matrix_without_changing_its_spectrum(
        multiplier, basis_degree, full_group):
    data = three_point_problem(3, 5)
    matrix, size = data.localising(multiplier, basis_degree)
    z = np.random.default_rng(7).standard_normal(len(data.orbits))  # any S3-invariant moments
    local = (matrix @ z).reshape((size, size), order="F")
    blocks = list(symmetry_blocks(basis_degree, full_group))
    if full_group:  # the standard block's partner half carries the same block
        partner = standard_partner(basis_degree)
        assert np.allclose(partner.T @ local @ partner, blocks[2].T @ local @ blocks[2], atol=1e-12)
        blocks.append(partner)
    basis = np.hstack(blocks)
    assert basis.shape == (size, size) and np.allclose(basis.T @ basis, np.eye(size))
    # Sparse: every basis vector lives on one S3 orbit of indices.
    orbit_of = [orbit(beta) for beta in basis_indices(basis_degree)]
    for column in basis.T:
        assert len({orbit_of[i] for i in np.flatnonzero(np.abs(column) > 1e-12)}) == 1
    reduced = basis.T @ local @ basis
    edges = np.cumsum([0] + [b.shape[1] for b in blocks])
    mask = np.zeros((size, size), dtype=bool)
    for lo, hi in zip(edges[:-1], edges[1:]):
        mask[lo:hi, lo:hi] = True
    assert np.abs(reduced[~mask]).max() < 1e-10 * np.abs(local).max()
    spectrum = np.sort(np.concatenate([np.linalg.eigvalsh(b.T @ local @ b) for b in blocks]))
    assert np.allclose(spectrum, np.linalg.eigvalsh(local), atol=1e-9 * np.abs(local).max())
    if full_group:
        # Character theory: the trivial block has one dimension per S3 orbit of basis indices,
        # the sign block one per orbit of three distinct indices.
        orbits = {orbit(beta) for beta in basis_indices(basis_degree)}
        assert blocks[0].shape[1] == len(orbits)
        assert blocks[1].shape[1] == sum(len(set(key)) == 3 for key in orbits)


@pytest.mark.parametrize("name", ["chebyshev", "monomial"])
def test_localising_matrices_and_gram_sums_of_a_point_measure_match_its_moments(name):
    # An S3-invariant measure: all permutations of a few points of Delta, equal weights.
    data = three_point_problem(3, 4, name)
    rng = np.random.default_rng(3)
    points = [p for p in rng.uniform(-1, 0.5, size=(40, 3))
              if 1 + 2 * p.prod() - (p * p).sum() >= 0][:6]
    points = np.array([q for p in points for q in permutations(p)])

    def b(exponents, x, y, z):
        return element(name, exponents[0], x) * element(name, exponents[1], y) * element(name, exponents[2], z)

    moments = np.array([np.mean([b(key, *p) for p in points]) for key in data.orbits])
    # The box and Gram slack in this basis evaluate to (u + 1)(1/2 - u) and 1 + 2uvt - u^2 - ..
    for x, y, z in points[:3]:
        assert sum(float(c) * b(e, x, y, z) for e, c in data.box.items()) == pytest.approx((x + 1) * (0.5 - x))
        assert sum(float(c) * b(e, x, y, z) for e, c in data.gram_slack.items()) == pytest.approx(
            1 + 2 * x * y * z - x * x - y * y - z * z)
    for multiplier, degree in (({(0, 0, 0): Fraction(1)}, 4), (data.box, 3), (data.gram_slack, 2)):
        matrix, size = data.localising(multiplier, degree)
        local = (matrix @ moments).reshape((size, size), order="F")
        basis = basis_indices(degree)
        direct = np.zeros((size, size))
        for x, y, z in points:
            g = sum(float(c) * b(e, x, y, z) for e, c in multiplier.items())
            values = np.array([b(e, x, y, z) for e in basis])
            direct += g * np.outer(values, values) / len(points)
        assert np.allclose(local, direct, atol=1e-12)
        assert np.linalg.eigvalsh(local).min() > -1e-12  # g >= 0 on Delta
        # The exact Gram orbit sums integrate the same way: L(g m^T G m) = <G, L(g m m^T)>,
        # here for G = R R^T given by its factor R.
        root = rng.standard_normal((size, size))
        gram = root @ root.T
        sums = data.gram_sums(root, multiplier, degree)
        assert sum(float(x) * moments[o] for o, x in sums.items()) == pytest.approx(
            np.sum(gram * direct), rel=1e-10)


@pytest.mark.extended
def test_symmetry_reduction_keeps_the_bound_and_makes_degree_six_tractable():
    reduced, whole = three_point_bound(3, 5), three_point_bound(3, 5, symmetry=False)
    assert reduced.value == pytest.approx(whole.value, rel=1e-6)
    assert reduced.certified == pytest.approx(whole.certified, rel=1e-4)
    # In one 84 x 84 moment matrix, d = 6 ended "optimal_inaccurate" and certified only 12.75.
    six = three_point_bound(3, 6)
    assert six.status == "optimal" and 12.4216701 < six.certified < 12.6
    # With the residual absorbed into the Gram matrices the proof costs almost nothing
    # (left on the identity's coefficients, it cost 1e-3 here).
    assert six.certified - six.value < 2e-4
