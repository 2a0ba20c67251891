"""Chebyshev polynomials of the first kind, T_a(x) = cos(a arccos x), as the polynomial basis
of the three-point SDP: exact conversions, products and the localising maps built from them.

Why: the moments of a measure on [-1, 1] in the monomial basis make Hankel matrices whose
condition number grows exponentially with their size (Beckermann 2000, "The condition number
of real Vandermonde, Krylov and positive definite Hankel matrices", Numer. Math. 85, 553), so
from degree 7 on the monomial kissing SDP was out of reach of double precision. In the
Chebyshev basis every moment lies in [-1, 1] and the data stay of order one (Gautschi 2004,
Orthogonal Polynomials, section 2.1); what still limits double precision at high degree is
the problem's degeneracy near its optimum, not the basis. Every fact used here is exact:

    T_a T_b = (T_(a+b) + T_|a-b|) / 2,                       (product rule)
    x^m = 2^(1-m) sum_(j = m, m-2, ..) binom(m, (m-j)/2) T_j  (T_0's term halved),
    T_0 = 1, T_1 = x, T_(j+1) = 2 x T_j - T_(j-1),
    |T_a(x)| <= 1 and T_a(1) = 1 on [-1, 1].

Trivariate polynomials are dicts {(a, b, c): Fraction} meaning sum c T_a(u) T_b(v) T_c(t);
permuting (u, v, t) permutes the indices, so S3 orbits of indices work as for monomials.
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache
from itertools import product

import numpy as np
import scipy.sparse as sparse


@lru_cache(maxsize=64)
def power_in_chebyshev(m: int) -> tuple[tuple[int, Fraction], ...]:
    """x^m as ((j, coefficient of T_j), ...)."""
    terms = []
    for j in range(m % 2, m + 1, 2):
        c = Fraction(math.comb(m, (m - j) // 2), 2 ** (m - 1)) if m else Fraction(1)
        terms.append((j, c / 2 if j == 0 and m else c))
    return tuple(terms)


def chebyshev_from_monomials(coefficients) -> list[Fraction]:
    """Univariate: coefficients in x^0, x^1, .. to coefficients in T_0, T_1, .."""
    result = [Fraction(0)] * len(coefficients)
    for m, x in enumerate(coefficients):
        if x:
            for j, c in power_in_chebyshev(m):
                result[j] += x * c
    return result


def monomials_from_chebyshev(coefficients) -> list[Fraction]:
    """Univariate: coefficients in T_0, T_1, .. to coefficients in x^0, x^1, .."""
    result = [Fraction(0)] * len(coefficients)
    before, current = None, [Fraction(1)]  # T_(j-1), T_j as monomial coefficients
    for j, x in enumerate(coefficients):
        if j == 1:
            before, current = current, [Fraction(0), Fraction(1)]
        elif j >= 2:
            following = [Fraction(0)] + [2 * c for c in current]
            for i, c in enumerate(before):
                following[i] -= c
            before, current = current, following
        if x:
            for i, c in enumerate(current):
                result[i] += x * c
    return result


def trivariate_from_monomials(polynomial: dict) -> dict:
    """{(a, b, c): coefficient of u^a v^b t^c} to the Chebyshev basis T_a(u) T_b(v) T_c(t)."""
    result: dict = {}
    for (a, b, c), x in polynomial.items():
        for (i, p), (j, q), (k, r) in product(power_in_chebyshev(a), power_in_chebyshev(b),
                                              power_in_chebyshev(c)):
            result[i, j, k] = result.get((i, j, k), 0) + x * p * q * r
    return {key: x for key, x in result.items() if x}


def multiply(p: dict, q: dict) -> dict:
    """The exact product of two trivariate Chebyshev expansions (product rule per variable)."""
    result: dict = {}
    for alpha, x in p.items():
        for beta, y in q.items():
            w = x * y / 8
            for key in product(*((s + t, abs(s - t)) for s, t in zip(alpha, beta))):
                result[key] = result.get(key, 0) + w
    return {key: x for key, x in result.items() if x}


def triple_product_indices(delta: int, beta: np.ndarray, gamma: np.ndarray) -> list[np.ndarray]:
    """The four indices e with T_delta T_beta T_gamma = (1/4) sum_e T_e, for arrays beta, gamma."""
    first = [delta + beta, np.abs(delta - beta)]
    return [np.abs(f + s * gamma) for f in first for s in (1, -1)]


def localising_map(multiplier: dict, basis: list[tuple[int, int, int]], orbit_lookup: np.ndarray,
                   orbits: int, product_indices=triple_product_indices,
                   weight: Fraction = Fraction(1, 4)) -> sparse.csr_matrix:
    """The map from orbit moments w_o = L(T_alpha), alpha in orbit o, to vec(M) (column-major),
    M[p, q] = L(g T_beta_p T_beta_q) for the multiplier g = sum_delta g_delta T_delta.
    ``product_indices`` and ``weight`` give another basis's product rule
    (b_delta b_beta b_gamma = weight sum_e b_e per variable; pipeline.bounds.bases)."""
    size = len(basis)
    exponents = np.array(basis, dtype=np.int64).reshape(size, 3)
    beta = exponents[:, None, :]
    gamma = exponents[None, :, :]
    position = (np.arange(size)[None, :] * size + np.arange(size)[:, None]).ravel()
    rows, cols, values = [], [], []
    for delta, g in multiplier.items():
        options = [product_indices(delta[c], beta[..., c], gamma[..., c]) for c in range(3)]
        for eu, ev, et in product(*options):
            index = orbit_lookup[eu, ev, et].ravel()
            rows.append(position)
            cols.append(index)
            values.append(np.full(size * size, float(g * weight ** 3)))
    matrix = sparse.coo_matrix((np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(size * size, orbits))
    return matrix.tocsr()


LIMB = 22  # bits per limb: 2^22 per limb times at most 2^26 entries stays below 2^53


def gram_orbit_sums(gram: np.ndarray, multiplier: dict, basis: list[tuple[int, int, int]],
                    orbit_lookup: np.ndarray, product_indices=triple_product_indices,
                    weight: Fraction = Fraction(1, 4)) -> dict[int, Fraction]:
    """Exact orbit sums of g(u, v, t) m^T G m, m = (T_beta)_beta, for a float matrix G (each
    entry an exact binary rational). Sums are exact: G = N 2^e with integer N, and N is split
    into 22-bit limbs whose sums float arithmetic carries exactly. ``product_indices`` and
    ``weight`` as in localising_map."""
    integers, exponent = fixed_point(gram)
    return integer_gram_orbit_sums(integers, exponent, multiplier, basis, orbit_lookup,
                                   product_indices, weight)


def factor_gram_orbit_sums(factor: np.ndarray, multiplier: dict, basis: list[tuple[int, int, int]],
                           orbit_lookup: np.ndarray, product_indices=triple_product_indices,
                           weight: Fraction = Fraction(1, 4)) -> dict[int, Fraction]:
    """Exact orbit sums of g m^T G m for the Gram matrix G = L L^T of the float factor L:
    positive semidefinite by construction, so no eigenvalue floor and no proof is needed."""
    integers, exponent = exact_gram(factor)
    return integer_gram_orbit_sums(integers, exponent, multiplier, basis, orbit_lookup,
                                   product_indices, weight)


def exact_gram(factor: np.ndarray, bits: int = 160) -> tuple[np.ndarray, int]:
    """(N, e) with N 2^e = L L^T exactly, L the float factor on a grid of 2^-bits of its
    largest entry (entries below that are rounded to it; any L gives a valid certificate):
    L = K 2^(e/2) with integers K (fixed_point), split into 25-bit limbs whose products
    summed over at most 2^11 columns stay below 2^61, so int64 matrix products are exact;
    the limb products are then shifted and added as Python integers."""
    integers, exponent = fixed_point(factor, bits)
    if integers.shape[1] > 2 ** 11:
        raise ValueError(f"a Gram factor of rank {integers.shape[1]} is too wide for exact products.")
    flat = [int(x) for x in integers.ravel()]
    width = max((abs(x).bit_length() for x in flat), default=0)
    count = max(1, -(-width // FACTOR_LIMB))
    mask = 2 ** FACTOR_LIMB - 1
    limbs = []
    for i in range(count):  # the last limb keeps the sign (arithmetic shift)
        shifted = [x >> (FACTOR_LIMB * i) for x in flat]
        limbs.append(np.array([x & mask if i < count - 1 else x for x in shifted],
                              dtype=np.int64).reshape(integers.shape))
    product = np.zeros((integers.shape[0], integers.shape[0]), dtype=object)
    for i in range(count):
        for j in range(count):
            product = product + ((limbs[i] @ limbs[j].T).astype(object) << (FACTOR_LIMB * (i + j)))
    return product, 2 * exponent


FACTOR_LIMB = 25  # bits: |limb products| < 2^50, summed over <= 2^11 columns < 2^61


def integer_gram_orbit_sums(integers: np.ndarray, exponent: int, multiplier: dict,
                            basis: list[tuple[int, int, int]], orbit_lookup: np.ndarray,
                            product_indices=triple_product_indices,
                            weight: Fraction = Fraction(1, 4)) -> dict[int, Fraction]:
    """gram_orbit_sums for the exact matrix G = N 2^e given by its integers N (int64 or Python
    ints) and exponent e."""
    size = len(basis)
    if size * size > 2 ** 26:
        raise ValueError(f"a Gram matrix of size {size} is too large for exact orbit sums.")
    exponents = np.array(basis, dtype=np.int64).reshape(size, 3)
    beta, gamma = exponents[:, None, :], exponents[None, :, :]
    flat = integers.ravel()
    width = max((abs(int(x)).bit_length() for x in flat), default=0)
    count = max(1, -(-width // LIMB) + 1)
    limbs = [np.asarray((flat >> (LIMB * i)) & (2 ** LIMB - 1) if i < count - 1
                        else flat >> (LIMB * i), dtype=float) for i in range(count)]
    totals: dict = {}
    for delta, g in multiplier.items():
        options = [product_indices(delta[c], beta[..., c], gamma[..., c]) for c in range(3)]
        for eu, ev, et in product(*options):
            index = orbit_lookup[eu, ev, et].ravel()
            if index.min() < 0:
                raise ValueError("the Gram form's degree exceeds the problem's moments.")
            sums = [np.bincount(index, weights=limb) for limb in limbs]
            for o in np.flatnonzero(np.any([x != 0 for x in sums], axis=0)):
                value = sum(int(x[o]) << (LIMB * i) for i, x in enumerate(sums))
                totals[o, delta] = totals.get((o, delta), 0) + value
    result: dict[int, Fraction] = {}
    scale = Fraction(2) ** exponent * weight ** 3
    for (o, delta), value in totals.items():
        if value:
            result[int(o)] = result.get(int(o), 0) + multiplier[delta] * value * scale
    return {o: x for o, x in result.items() if x}


def fixed_point(matrix, bits: int = 1100) -> tuple[np.ndarray, int]:
    """(N, e) with matrix == N * 2^e exactly, N integers (Python ints when they need more than
    62 bits); entries below 2^-bits of the largest are rounded to that grid. ``matrix`` may
    be a list of float arrays standing for their exact sum (a factor refined beyond double
    precision, refine.factor_corrections)."""
    parts = [np.asarray(m, dtype=float) for m in (matrix if isinstance(matrix, list) else [matrix])]
    nonzero = np.concatenate([np.abs(a[a != 0]) for a in parts])
    if nonzero.size == 0:
        return np.zeros(parts[0].shape, dtype=np.int64), 0
    top = int(np.frexp(nonzero.max())[1])
    bottom = int(np.frexp(nonzero.min())[1]) - 53  # every entry is a multiple of 2^bottom
    exponent = max(bottom, top - bits)
    if len(parts) == 1 and top - exponent <= 62:
        return np.rint(np.ldexp(parts[0], -exponent)).astype(np.int64), exponent
    integers = np.zeros(parts[0].shape, dtype=object)
    for a in parts:
        for position, x in np.ndenumerate(a):
            mantissa, power = math.frexp(float(x))  # x = mantissa 2^power, 53-bit mantissa
            shift = power - 53 - exponent
            whole = int(mantissa * 2.0 ** 53)
            integers[position] += whole << shift if shift >= 0 else round(Fraction(whole, 2 ** -shift))
    return integers, exponent
