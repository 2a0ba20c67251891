"""Bachoc-Vallentin three-point SDP bound for the kissing number, with an exact certificate
(Bachoc & Vallentin 2008, "New upper bounds for kissing numbers from semidefinite
programming", J. Amer. Math. Soc. 21, 909, Theorem 4.1; Mittelmann & Vallentin 2010,
"High accuracy semidefinite programming bounds for kissing numbers", Exp. Math. 19, 175).

For a degree d, with P_k^n the Gegenbauer polynomials of S^{n-1} normalised to P_k^n(1) = 1,

    Y_k^n(u, v, t)_ij = u^i v^j ((1-u^2)(1-v^2))^(k/2) P_k^{n-1}((t - uv) / sqrt((1-u^2)(1-v^2))),
    0 <= i, j <= d - k, and S_k^n = (1/6) sum over the six permutations sigma of Y_k^n o sigma.

By default u^i v^j is replaced by T_i(u) T_j(v), T the Chebyshev polynomials (pipeline.bounds.
chebyshev): an invertible congruence of S_k, so the cone of the F_k and the bound are the
same, while every moment below lies in [-1, 1] and the SDP stays well conditioned. The
monomial basis (basis="monomial") keeps u^i v^j: worse conditioned but 4-6 times sparser,
hence faster in multiprecision SDPA (pipeline.bounds.bases). Below T_a stands for either.

Theorem: if a_1..a_2d >= 0, B = (b_ij) (2 x 2) and F_0..F_d are positive semidefinite, and

    U(u) = sum_k a_k P_k^n(u) + 2 b_12 + b_22 + 3 sum_k <F_k, S_k^n(u, u, 1)> <= -1  on [-1, 1/2],
    T(u, v, t) = b_22 + sum_k <F_k, S_k^n(u, v, t)> <= 0  on Delta,

Delta = {(u, v, t) in [-1, 1/2]^3 : 1 + 2uvt - u^2 - v^2 - t^2 >= 0} (the inner products of
three points of a kissing configuration), then tau_n <= 1 + sum_k a_k + b_11 + <F_0, J>.
Proof (the one certification uses): for a configuration C of N points, summing the positive
semidefinite kernels over C^2 and C^3 and N (1, N-1) B (1, N-1)^T >= 0 gives
    0 <= N obj - N (N - 1) m + N (N - 1)(N - 2) M3,
obj = sum a_k + b_11 + <F_0, J>, when U <= -m on [-1, 1/2] and T <= M3 on Delta.

Formulation solved here: the dual (moment) side, whose variables are the moments
y_e = L(T_e(u)) of the pair distribution and z = L(T_a(u) T_b(v) T_c(t)) of the triple
distribution; S3 symmetry lets z be indexed by orbits of indices (z_(a,b,c) = z_(sigma(a,b,c))),
a sixfold reduction, and leaves one localising matrix for the three box constraints
(u+1)(1/2-u) >= 0; each moment and localising matrix is further split into its symmetry
blocks (pipeline.bounds.symmetry). Maximise 1 + y_0 subject to
1 + L_y(P_k^n) >= 0, [[1, y_0], [y_0, y_0 + z_0]] >= 0, J delta_k0 + 3 L_y(S_k(u,u,1)) +
L_z(S_k) >= 0, and moment and localising matrices (Lasserre 2001) >= 0. The solver's dual
multipliers are the certificate: a_k, B, F_k, and Gram matrices G with
    T + Sym(m^T G_0 m + g_u m^T G_u m + g_Delta m^T G_Delta m) = r,
Sym the average over S3 (which keeps each term non-negative on Delta).

Certificate (exact rationals; floats are exact binary rationals): F_k, B and the G are made
positive definite and proved so (Rump's verified Cholesky, pipeline.bounds.exact), after the
solver's residual has been absorbed into the G where it can be (pipeline.bounds.refine); the
residual r is then computed exactly, and r <= M3 := max(0, r_0 + sum_(alpha != 0) |r_alpha|)
on Delta since |T_a| <= 1 on [-1, 1]; m = -max U on [-1, 1/2] by exact Bernstein bounds.
With N_max = 3^n - 1 (unit balls touching one ball lie in a ball of radius 3),
N - 1 <= obj / (m - M3 (N_max - 2)), the certified bound.
Anchors: n = 8 gives 240 from degree 3 on; n = 3 at d = 11 gives 12.4216701 (Mittelmann &
Vallentin 2010, Table 1).
"""

from __future__ import annotations

import time
from fractions import Fraction
from functools import lru_cache
from itertools import permutations

import cvxpy as cp
import numpy as np
import scipy.sparse as sparse

from pipeline.bounds.bases import CHEBYSHEV, MONOMIAL, PolynomialBasis, basis_named
from pipeline.bounds.chebyshev import (
    factor_gram_orbit_sums, localising_map, trivariate_from_monomials,
)
from pipeline.bounds.delsarte import gegenbauer_normalised, upper_bound_on_interval
from pipeline.bounds.exact import (
    float_up, nearest_positive_definite, positive_definite_margin, provable_floor,
)
from pipeline.bounds.refine import absorb_residual, factor_corrections
from pipeline.bounds.symmetry import basis_indices, reduced_map, standard_partner, symmetry_blocks
from pipeline.bounds.theta import BoundResult

KISSING_INNER_PRODUCT = Fraction(1, 2)
# The constraints of Delta, in monomials u^a v^b t^c:
BOX_MONOMIALS = {(0, 0, 0): Fraction(1, 2), (1, 0, 0): Fraction(-1, 2),  # (u + 1)(1/2 - u)
                 (2, 0, 0): Fraction(-1)}
GRAM_SLACK_MONOMIALS = {(0, 0, 0): Fraction(1), (1, 1, 1): Fraction(2),  # 1 + 2uvt - u^2 - ..
                        (2, 0, 0): Fraction(-1), (0, 2, 0): Fraction(-1), (0, 0, 2): Fraction(-1)}
# and in the Chebyshev basis T_a(u) T_b(v) T_c(t): (u + 1)(1/2 - u) = -(T_1(u) + T_2(u)) / 2.
BOX = trivariate_from_monomials(BOX_MONOMIALS)
GRAM_SLACK = trivariate_from_monomials(GRAM_SLACK_MONOMIALS)


# --- exact trivariate polynomials as {(a, b, c): Fraction} ---------------------------------

def _power(p: dict, m: int) -> dict:
    result = {(0, 0, 0): Fraction(1)}
    for _ in range(m):
        result = MONOMIAL.multiply(result, p)
    return result


def orbit(alpha) -> tuple[int, int, int]:
    """The S3 orbit of a monomial, named by its exponents in decreasing order."""
    return tuple(sorted(alpha, reverse=True))


def orbit_members(key) -> list[tuple[int, int, int]]:
    return sorted(set(permutations(key)))


class ThreePointProblem:
    """Exact data of the degree-d three-point problem in dimension n (cached per (n, d, basis)),
    in a polynomial basis b (pipeline.bounds.bases): S_k's rows and columns are indexed by
    b_i(u), b_j(v) (for Chebyshev, in place of Bachoc & Vallentin's u^i, v^j: a congruence by
    an invertible matrix, which leaves the cone of the F_k and the bound unchanged), and the
    moments are w = L(b_a b_b b_c). Below, T stands for whichever basis is chosen."""

    def __init__(self, dimension: int, degree: int, basis: PolynomialBasis = CHEBYSHEV):
        self.n, self.d, self.basis = dimension, degree, basis
        self.box = basis.trivariate_from_monomials(BOX_MONOMIALS)
        self.gram_slack = basis.trivariate_from_monomials(GRAM_SLACK_MONOMIALS)
        self.univariate_box = {e: c for e, c in enumerate(basis.from_monomials(
            [BOX_MONOMIALS[0, 0, 0], BOX_MONOMIALS[1, 0, 0], BOX_MONOMIALS[2, 0, 0]])) if c}
        self.orbits = sorted({orbit(a) for a in basis_indices(2 * degree)}, key=lambda k: (sum(k), k))
        self.orbit_index = {key: i for i, key in enumerate(self.orbits)}
        self.orbit_lookup = np.full((2 * degree + 1,) * 3, -1, dtype=np.int64)
        for alpha in basis_indices(2 * degree):
            self.orbit_lookup[alpha] = self.orbit_index[orbit(alpha)]
        # P_k^n, k <= 2d, in T_e(u): the pair moments are y_e = L(T_e(u)).
        self.pair_polynomials = [basis.from_monomials(p)
                                 for p in gegenbauer_normalised(dimension, 2 * degree)]
        inner = gegenbauer_normalised(dimension - 1, degree)  # P_k^{n-1}, monomials
        u2v2 = {(0, 0, 0): Fraction(1), (2, 0, 0): Fraction(-1), (0, 2, 0): Fraction(-1),
                (2, 2, 0): Fraction(1)}  # (1 - u^2)(1 - v^2)
        t_minus_uv = {(0, 0, 1): Fraction(1), (1, 1, 0): Fraction(-1)}
        # triple[k][(i, j)]: orbit sums of Y_k[i][j] (= those of S_k[i][j]), {orbit: Fraction}
        # univariate[k][(i, j)]: coefficients of S_k(u, u, 1)[i][j] in T_e(u).
        self.triple, self.univariate = [], []
        for k in range(degree + 1):
            q: dict = {}  # ((1-u^2)(1-v^2))^(k/2) P_k^{n-1}((t - uv) / sqrt(..)), monomials
            for m, c in enumerate(inner[k]):
                if c and (k - m) % 2 == 0:
                    term = MONOMIAL.multiply(_power(t_minus_uv, m), _power(u2v2, (k - m) // 2))
                    for key, x in term.items():
                        q[key] = q.get(key, 0) + c * x
            q = basis.trivariate_from_monomials(q)
            entries, lines = {}, {}
            for i in range(degree - k + 1):
                for j in range(i, degree - k + 1):
                    sums: dict = {}
                    for alpha, x in basis.multiply(q, {(i, j, 0): Fraction(1)}).items():
                        key = self.orbit_index[orbit(alpha)]
                        sums[key] = sums.get(key, 0) + x
                    entries[i, j] = {key: x for key, x in sums.items() if x}
                    lines[i, j] = self._on_diagonal(entries[i, j])
            self.triple.append(entries)
            self.univariate.append(lines)

    def _on_diagonal(self, sums: dict) -> list[Fraction]:
        """Coefficients in T_e(u) of the symmetric polynomial with these orbit sums at (u, u, 1):
        T_c(1) = 1 and T_a(u) T_b(u) by the basis's product rule (Chebyshev:
        (T_(a+b)(u) + T_|a-b|(u)) / 2)."""
        line = [Fraction(0)] * (2 * self.d + 1)
        for index, total in sums.items():
            members = orbit_members(self.orbits[index])
            for a, b, _ in members:
                for e, c in self.basis.pair_product(a, b):
                    line[e] += total / len(members) * c
        return line

    def fixed_part(self, b22: float, f: list[np.ndarray]) -> np.ndarray:
        """Orbit sums (floats) of b_22 + sum_k <F_k, S_k>: the part of the triple identity that
        the Gram matrices must cancel."""
        total = np.zeros(len(self.orbits))
        total[0] += b22
        for k, fk in enumerate(f):
            for (i, j), sums in self.triple[k].items():
                weight = fk[i, j] if i == j else 2 * fk[i, j]
                for index, x in sums.items():
                    total[index] += weight * float(x)
        return total

    def localising(self, multiplier: dict, basis_degree: int) -> tuple[sparse.csr_matrix, int]:
        """Map from the orbit moments w to vec(L) (column-major), L[beta, gamma] =
        L(g T_beta T_gamma) over the basis of degree <= basis_degree, g = ``multiplier``."""
        basis = basis_indices(basis_degree)
        return localising_map(multiplier, basis, self.orbit_lookup, len(self.orbits),
                              self.basis.triple_product, self.basis.weight), len(basis)

    def gram_sums(self, factor, multiplier: dict, basis_degree: int) -> dict[int, Fraction]:
        """Exact orbit sums of g m^T L L^T m over the basis of degree <= basis_degree."""
        return factor_gram_orbit_sums(factor, multiplier, basis_indices(basis_degree),
                                      self.orbit_lookup, self.basis.triple_product,
                                      self.basis.weight)


@lru_cache(maxsize=16)
def three_point_problem(dimension: int, degree: int, basis: str = "chebyshev") -> ThreePointProblem:
    return ThreePointProblem(dimension, degree, basis_named(basis))


def _lmi(matrix: sparse.csr_matrix, size: int, variable, constant=None):
    expression = cp.reshape(matrix @ variable, (size, size), order="F")
    if constant is not None:
        expression = expression + constant
    return expression


def _hankel(y, size: int, multiplier: dict, basis: PolynomialBasis):
    """Univariate moment/localising matrix L(g T_i T_j), 0 <= i, j < size, in the pair moments
    y_e = L(T_e(u)), as a cvxpy expression (Chebyshev: T_e T_i T_j = (1/4) sum of four T's)."""
    rows = []
    for i in range(size):
        row = []
        for j in range(size):
            terms: dict = {}
            for e, g in multiplier.items():
                for index in basis.triple_product(e, i, j):
                    index = int(index)
                    terms[index] = terms.get(index, 0) + float(g * basis.weight)
            row.append(sum(c * y[index] for index, c in terms.items()))
        rows.append(row)
    return cp.bmat(rows)


SOLVER_OPTIONS = {
    "CLARABEL": {},
    "SCS": {"eps": 1e-9, "max_iters": 200000},
    "SDPA": {"mpfPrecision": 200, "epsilonStar": 1e-25, "epsilonDash": 1e-25, "numThreads": 1,
             "maxIteration": 200, "lambdaStar": 1e4},
}


def three_point_bound(dimension: int, degree: int, solver: str = "CLARABEL",
                      solver_options: dict | None = None, symmetry: bool = True,
                      basis: str = "chebyshev") -> BoundResult:
    """The Bachoc-Vallentin bound for the kissing number in ``dimension`` at ``degree``;
    ``symmetry`` splits the triple moment and localising matrices into their S3 blocks;
    ``basis`` is 'chebyshev' (for double-precision solvers) or 'monomial' (sparser, for
    multiprecision SDPA; pipeline.bounds.bases)."""
    if dimension < 3:
        raise ValueError(f"dimension must be at least 3 for the three-point bound, got {dimension}.")
    if not 1 <= degree <= 16:
        raise ValueError(f"degree must be between 1 and 16 for the three-point bound, got {degree}.")
    if solver not in SOLVER_OPTIONS:
        raise ValueError(f"Unknown solver {solver!r}; choose one of: {', '.join(SOLVER_OPTIONS)}.")
    basis_named(basis)  # an unknown basis is bad input, before any work
    start = time.perf_counter()
    data = three_point_problem(dimension, degree, basis)
    d = degree
    y = cp.Variable(2 * d + 1)
    z = cp.Variable(len(data.orbits))
    pairs = np.zeros((2 * d, 2 * d + 1))
    for k in range(1, 2 * d + 1):
        pairs[k - 1, :len(data.pair_polynomials[k])] = [float(c) for c in data.pair_polynomials[k]]
    a_constraint = pairs @ y + 1 >= 0
    b_constraint = cp.bmat([[np.ones((1, 1)), cp.reshape(y[0], (1, 1), order="F")],
                            [cp.reshape(y[0], (1, 1), order="F"), cp.reshape(y[0] + z[0], (1, 1), order="F")]]) >> 0
    f_constraints = []
    for k in range(d + 1):
        size = d - k + 1
        rows = []
        for i in range(size):
            row = []
            for j in range(size):
                key = (i, j) if i <= j else (j, i)
                line = data.univariate[k][key]
                sums = data.triple[k][key]
                entry = (1.0 if k == 0 else 0.0) + 3 * (np.array([float(c) for c in line]) @ y)
                if sums:
                    idx = list(sums)
                    entry = entry + np.array([float(sums[i_]) for i_ in idx]) @ z[idx]
                row.append(cp.reshape(entry, (1, 1), order="F"))
            rows.append(row)
        f_constraints.append(cp.bmat(rows) >> 0)
    univariate = [_hankel(y, d + 1, {0: 1}, data.basis) >> 0]
    if d >= 1:
        univariate.append(_hankel(y, d, data.univariate_box, data.basis) >> 0)
    localising = [({(0, 0, 0): Fraction(1)}, d, True), (data.box, d - 1, False)]
    if d >= 2:
        localising.append((data.gram_slack, d - 2, True))
    # Each localising matrix as its blocks (which, basis B, the standard block's partner basis
    # or None, map z -> vec(B^T L B), constraint), or whole (B None).
    triple = []
    for which, (multiplier, basis_degree, full_group) in enumerate(localising):
        matrix, size = data.localising(multiplier, basis_degree)
        if not symmetry:
            triple.append((which, None, None, matrix, _lmi(matrix, size, z) >> 0))
            continue
        for position, block in enumerate(symmetry_blocks(basis_degree, full_group)):
            partner = standard_partner(basis_degree) if full_group and position == 2 else None
            reduced = reduced_map(matrix, size, block)
            triple.append((which, block, partner, reduced,
                           _lmi(sparse.csr_matrix(reduced), block.shape[1], z) >> 0))
    constraints = [a_constraint, b_constraint, *f_constraints, *univariate,
                   *(constraint for *_, constraint in triple)]
    problem = cp.Problem(cp.Maximize(1 + y[0]), constraints)
    options = dict(SOLVER_OPTIONS[solver], **(solver_options or {}))
    try:
        problem.solve(solver=solver, **options)
    except (cp.error.SolverError, ValueError, ArithmeticError) as error:
        return BoundResult(None, None, f"solver_error: {error}", time.perf_counter() - start, {})
    if problem.status not in ("optimal", "optimal_inaccurate") or problem.value is None:
        return BoundResult(None, None, problem.status, time.perf_counter() - start, {})
    b = nearest_positive_definite(b_constraint.dual_value)
    f = [nearest_positive_definite(c.dual_value) for c in f_constraints]
    # The Gram blocks need no eigenvalue floor: they enter the certificate as factors.
    blocks, absorbed = absorb_residual(data.fixed_part(b[1, 1], f),
                                       [(reduced, c.dual_value) for *_, reduced, c in triple],
                                       moments=z.value, floors=[0.0] * len(triple))
    # Gram matrices G = L L^T in the chosen basis: G = sum_i B_i Q_i B_i^T, so L stacks the
    # B_i Q_i^(1/2); the standard block's Q is spread over its two halves (`standard_partner`).
    factors: list[list[np.ndarray]] = [[] for _ in localising]
    for (which, block, partner, _, _), q in zip(triple, blocks):
        root = _psd_factor(q)
        if block is None:
            factors[which].append(root)
        elif partner is not None:
            factors[which] += [block @ root / np.sqrt(2), partner @ root / np.sqrt(2)]
        else:
            factors[which].append(block @ root)
    gram_factors = refine_gram_factors(data, b, f, [np.hstack(pieces) for pieces in factors],
                                       moments=z.value)
    certified, certificate = certify_three_point(data, a_constraint.dual_value, b, f, gram_factors)
    certificate["float_residual"] = absorbed
    return BoundResult(float(problem.value), None if certified is None else float_up(certified),
                       problem.status, time.perf_counter() - start, certificate)


def _psd_factor(q: np.ndarray) -> np.ndarray:
    """L with L L^T = Q on Q's non-negative spectrum (columns of zero eigenvalues dropped)."""
    values, vectors = np.linalg.eigh((np.asarray(q) + np.asarray(q).T) / 2)
    keep = values > 0
    return vectors[:, keep] * np.sqrt(values[keep])


def _to_exact(matrix) -> list[list[Fraction]]:
    return [[Fraction(float(x)) for x in row] for row in np.atleast_2d(matrix)]


def _exact_dual_blocks(b, f) -> tuple[dict | None, str | None]:
    """B and the F_k as exact rationals, each as given when it is provably positive definite,
    otherwise raised by the least floor that can be proved; (None, reason) if none can."""
    matrices = {"B": np.atleast_2d(b)}
    matrices.update({f"F{k}": np.atleast_2d(m) for k, m in enumerate(f)})
    exact = {}
    for name, matrix in matrices.items():
        if not np.any(matrix):  # an exact zero matrix is positive semidefinite as it is
            exact[name] = _to_exact(np.zeros_like(matrix, dtype=float))
            continue
        psd = np.asarray(matrix, dtype=float)
        margin = positive_definite_margin(psd)
        for boost in (1, 10, 100, 1e4, 1e6):  # the least raise that can be proved
            if margin is not None:
                break
            values = np.clip(np.linalg.eigvalsh(np.atleast_2d(matrix)), 0.0, None)
            floor = boost * provable_floor(len(values), float(values.sum()),
                                           float(values.max(initial=0.0)))
            psd = nearest_positive_definite(matrix, floor=floor)
            margin = positive_definite_margin(psd)
        if margin is None:
            return None, f"{name} could not be proved positive semidefinite"
        exact[name] = _to_exact(psd)
    return exact, None


def _fixed_parts(data: ThreePointProblem, exact: dict) -> tuple[list[Fraction], dict]:
    """(the F_k's part of the pair polynomial, the triple residual's orbit sums from b_22 and
    sum_k <F_k, S_k>), exactly: the part the Gram matrices must cancel."""
    pair = [Fraction(0)] * (2 * data.d + 1)
    residual: dict = {0: exact["B"][1][1]}
    for k in range(data.d + 1):
        fk = exact[f"F{k}"]
        for (i, j), sums in data.triple[k].items():
            weight = fk[i][j] if i == j else 2 * fk[i][j]
            if not weight:
                continue
            for e, c in enumerate(data.univariate[k][i, j]):
                pair[e] += 3 * weight * c
            for index, x in sums.items():
                residual[index] = residual.get(index, 0) + weight * x
    return pair, residual


def _gram_multipliers(data: ThreePointProblem) -> list[tuple[dict, int]]:
    """The localising multipliers g and basis degrees of the Gram matrices: 1 (degree d), the
    box (d - 1) and the Gram slack (d - 2)."""
    return [({(0, 0, 0): Fraction(1)}, data.d), (data.box, data.d - 1),
            (data.gram_slack, data.d - 2)]


def _with_gram_sums(data: ThreePointProblem, residual: dict, gram_factors) -> dict:
    total = dict(residual)
    for factor, (multiplier, basis_degree) in zip(gram_factors, _gram_multipliers(data)):
        for index, x in data.gram_sums(factor, multiplier, basis_degree).items():
            total[index] = total.get(index, 0) + x
    return total


def _triple_excess(residual: dict) -> Fraction:
    """M3 >= max of the residual on Delta, as |T_alpha| <= 1 there (orbit 0 is the constant)."""
    return max(Fraction(0), residual.get(0, 0) + sum(abs(x) for o, x in residual.items() if o))


def refine_gram_factors(data: ThreePointProblem, b, f, gram_factors, moments=None,
                        rounds: int = 4) -> list:
    """Gram factors, each a list of float parts standing for their exact sum, whose exact
    residual in the triple identity is cancelled by refine.factor_corrections: the float
    factors leave about 1e-16 |G| per entry, 1.7e-6 in all at d = 11 (monomial basis, G up to
    5e6), which the bound multiplies by N_max - 2. Each round keeps a correction only if the
    exact excess falls, and the rounds stop once it falls by less than a tenth. n = 3, SDPA at
    128 bits, monomial basis: at d = 11 the excess goes 1.65e-6, 2.1e-7, 7.8e-8, 2.5e-8,
    2.1e-8, all but 2e-12 of it along the moments, out of reach; at d = 8, 5.0e-10, 1.8e-10.
    Any factors give a valid certificate, so this only chooses better ones."""
    exact, _ = _exact_dual_blocks(b, f)
    if exact is None:
        return list(gram_factors)
    _, fixed = _fixed_parts(data, exact)
    adjoints = [data.localising(multiplier, degree)[0]
                for (multiplier, degree), _ in zip(_gram_multipliers(data), gram_factors)]
    parts = [[np.asarray(factor, dtype=float)] for factor in gram_factors]
    residual = _with_gram_sums(data, fixed, parts)
    excess = _triple_excess(residual)
    for _ in range(rounds):
        if excess == 0:
            break
        vector = np.zeros(len(data.orbits))
        for index, x in residual.items():
            vector[index] = float(x)
        # The correction cut at rounding level first (at d = 11 it keeps cancelling over
        # rounds), the one cut against dL dL^T if that fails (at d = 8 it does at once).
        for steps in factor_corrections(adjoints, [sum(p) for p in parts], vector, moments):
            trial = [p + [step] for p, step in zip(parts, steps)]
            trial_residual = _with_gram_sums(data, fixed, trial)
            trial_excess = _triple_excess(trial_residual)
            if trial_excess < excess:
                break
        else:
            break
        parts, residual, excess, before = trial, trial_residual, trial_excess, excess
        if excess > 0.9 * before:  # the rest is out of reach
            break
    return parts


def certify_three_point(data: ThreePointProblem, a, b, f, gram_factors):
    """(rigorous bound, certificate summary) from the solver's dual multipliers, or (None, ...)
    when a matrix cannot be proved positive semidefinite or the margins are used up. The Gram
    matrices are given as factors L (G = L L^T exactly; a factor may be a list of float parts
    standing for their exact sum): positive semidefinite by construction, so a rank-deficient
    optimum costs no eigenvalue floor."""
    d, n = data.d, data.n
    info: dict = {}
    a_exact = [max(Fraction(0), Fraction(float(x))) for x in np.atleast_1d(a)]
    exact, failure = _exact_dual_blocks(b, f)
    if exact is None:
        info["failed"] = failure
        return None, info
    b11, b12, b22 = exact["B"][0][0], exact["B"][0][1], exact["B"][1][1]
    # Pair inequality: U <= -m on [-1, 1/2]; U in T_e(u) until its Bernstein bound.
    pair, residual = _fixed_parts(data, exact)
    for k, ak in enumerate(a_exact, start=1):
        for e, c in enumerate(data.pair_polynomials[k]):
            pair[e] += ak * c
    pair[0] += 2 * b12 + b22
    objective = sum(a_exact) + b11 + sum(sum(row) for row in exact["F0"])
    upper_pair = upper_bound_on_interval(data.basis.to_monomials(pair), Fraction(-1),
                                         KISSING_INNER_PRODUCT,
                                         tolerance=Fraction(1, 10**12), floor=None)
    m = -upper_pair
    excess = _triple_excess(_with_gram_sums(data, residual, gram_factors))
    info.update({"objective": str(objective), "pair_margin": float(m),
                 "triple_excess": float(excess), "a": [str(x) for x in a_exact]})
    bound = _bound_from_margins(objective, m, excess, Fraction(3 ** n - 1))
    if bound is None:
        info["failed"] = "the pair or triple inequality is violated beyond what N_max allows"
        return None, info
    info["bound"] = str(bound)
    return bound, info


def _bound_from_margins(objective: Fraction, m: Fraction, excess: Fraction, n_max: Fraction,
                        rounds: int = 6) -> Fraction | None:
    """N <= 1 + obj / (m - M3 (N_max - 2)), valid whenever N <= N_max is already known; each
    bound proved becomes the next N_max (a rigorous fixed-point iteration)."""
    bound = None
    for _ in range(rounds):
        denominator = m - excess * max(n_max - 2, Fraction(0))
        if m <= 0 or denominator <= 0:
            return bound
        candidate = 1 + objective / denominator
        if bound is not None and candidate >= bound:
            break
        bound = n_max = candidate
        if excess == 0:
            break
    return bound
