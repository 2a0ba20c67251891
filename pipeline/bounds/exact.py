"""Exact rational arithmetic for certificates: a floating-point optimum is not a bound.

Positive definiteness is decided by an LDL^T factorisation in `fractions.Fraction` (Golub &
Van Loan 2013, Matrix Computations, 4th ed., section 4.1): a symmetric matrix is positive
definite exactly when every pivot of symmetric Gaussian elimination without pivoting is
positive. No rounding happens anywhere, so the answer is a proof.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def to_fraction(value, max_denominator: int = 10**12) -> Fraction:
    """A nearby rational (continued fractions) for a float solver output."""
    return Fraction(float(value)).limit_denominator(max_denominator)


def is_positive_definite(matrix) -> bool:
    """True when the symmetric rational ``matrix`` is positive definite (exactly)."""
    a = [[Fraction(x) for x in row] for row in matrix]
    n = len(a)
    if any(len(row) != n for row in a):
        raise ValueError("is_positive_definite needs a square matrix.")
    for i in range(n):
        for j in range(i):
            if a[i][j] != a[j][i]:
                raise ValueError("is_positive_definite needs a symmetric matrix.")
    for k in range(n):
        pivot = a[k][k]
        if pivot <= 0:
            return False
        for i in range(k + 1, n):
            factor = a[i][k] / pivot
            if factor:
                row_k, row_i = a[k], a[i]
                for j in range(k + 1, n):
                    row_i[j] -= factor * row_k[j]
    return True


def as_float_matrix(matrix) -> np.ndarray:
    return np.array([[float(x) for x in row] for row in matrix])
