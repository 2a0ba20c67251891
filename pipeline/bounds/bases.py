"""The two polynomial bases the three-point SDP can be written in, as one interface.

- Chebyshev, T_a(x) = cos(a arccos x) (pipeline.bounds.chebyshev): every moment lies in
  [-1, 1] and the data stay of order one, which double-precision solvers need; but a product
  T_a T_b = (T_(a+b) + T_|a-b|) / 2 has two terms per variable, so an entry of a trivariate
  localising matrix L(g T_beta T_gamma) touches up to 4^3 = 64 moments per term of g.
- Monomials, x^a: x^a x^b = x^(a+b), one moment per entry and term of g, so the localising
  matrices have 4 to 6 times fewer nonzeros (d = 11: 0.43 million against 1.9 million). That
  is what multiprecision SDPA's time goes on (its Schur complement costs about m nnz per
  iteration), and at 128 bits and more the monomial Hankel matrices' condition numbers
  (exponential in the degree; Beckermann 2000, Numer. Math. 85, 553) are harmless. This is
  the original formulation of Bachoc & Vallentin (2008) and Mittelmann & Vallentin (2010).

Both bases satisfy |b_a(x)| <= 1 on [-1, 1], which bounds the residual on Delta. Both are
permuted by permuting (u, v, t), so the S3 orbits and symmetry blocks are the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

from pipeline.bounds import chebyshev


def _monomial_triple(delta: int, beta, gamma) -> list:
    return [delta + beta + gamma]


def _monomial_multiply(p: dict, q: dict) -> dict:
    result: dict = {}
    for (a, b, c), x in p.items():
        for (d, e, f), y in q.items():
            key = (a + d, b + e, c + f)
            result[key] = result.get(key, 0) + x * y
    return {k: v for k, v in result.items() if v}


@dataclass(frozen=True)
class PolynomialBasis:
    """One univariate basis b_0, b_1, .. (b_a of degree a), used per variable.

    triple_product(delta, beta, gamma): index arrays e with b_delta b_beta b_gamma =
        weight * sum_e b_e (broadcast over arrays beta, gamma);
    pair_product(a, b): ((e, c), ..) with b_a b_b = sum c b_e;
    from_monomials / to_monomials: univariate coefficient lists, exact;
    trivariate_from_monomials, multiply: trivariate {(a, b, c): Fraction} polynomials."""

    name: str
    weight: Fraction
    triple_product: Callable
    pair_product: Callable
    from_monomials: Callable
    to_monomials: Callable
    trivariate_from_monomials: Callable
    multiply: Callable


CHEBYSHEV = PolynomialBasis(
    name="chebyshev", weight=Fraction(1, 4),
    triple_product=chebyshev.triple_product_indices,
    pair_product=lambda a, b: ((a + b, Fraction(1, 2)), (abs(a - b), Fraction(1, 2))),
    from_monomials=chebyshev.chebyshev_from_monomials,
    to_monomials=chebyshev.monomials_from_chebyshev,
    trivariate_from_monomials=chebyshev.trivariate_from_monomials,
    multiply=chebyshev.multiply,
)

MONOMIAL = PolynomialBasis(
    name="monomial", weight=Fraction(1),
    triple_product=_monomial_triple,
    pair_product=lambda a, b: ((a + b, Fraction(1)),),
    from_monomials=lambda coefficients: [Fraction(x) for x in coefficients],
    to_monomials=lambda coefficients: [Fraction(x) for x in coefficients],
    trivariate_from_monomials=lambda polynomial: {k: Fraction(x) for k, x in polynomial.items() if x},
    multiply=_monomial_multiply,
)

BASES = {basis.name: basis for basis in (CHEBYSHEV, MONOMIAL)}


def basis_named(name: str) -> PolynomialBasis:
    if name not in BASES:
        raise ValueError(f"Unknown polynomial basis {name!r}; choose one of: {', '.join(BASES)}.")
    return BASES[name]

