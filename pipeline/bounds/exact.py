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


def float_up(value: Fraction) -> float:
    """The smallest float not below the rational ``value``: reported bounds round up, so a
    printed certified value is never below what its certificate proves."""
    x = float(value)
    return x if Fraction(x) >= value else float(np.nextafter(x, np.inf))


UNIT_ROUNDOFF = 2.0 ** -53


def positive_definite_margin(matrix: np.ndarray) -> float | None:
    """A rigorous mu > 0 with lambda_min(A) >= mu for the float matrix A, or None.

    Rump (2006, "Verification of positive definiteness", BIT 46, 433): floating-point
    Cholesky of A - c I gives R with R^T R = A - c I + E, |E| <= gamma_{n+1} |R^T| |R|
    (Demmel 1989; Higham 2002, Accuracy and Stability, Theorem 10.3), gamma_k = k u/(1 - k u),
    and || |R^T| |R| ||_2 <= ||R||_F^2. So A >= (c - gamma_{n+1} ||R||_F^2 - e_shift) I, where
    e_shift <= u max|A_ii - c| bounds the rounding of the shift itself. Float sums that enter
    the bound are inflated by a factor 2 to cover their own rounding; the entries of A are taken
    as exact binary numbers, so the answer is a proof about that exact matrix.
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0]
    if n == 0:
        return float("inf")
    if not np.all(np.isfinite(a)) or not np.array_equal(a, a.T):
        return None
    gamma = (n + 1) * UNIT_ROUNDOFF / (1 - (n + 1) * UNIT_ROUNDOFF)
    trace = float(np.sum(np.abs(np.diag(a))))
    shift = 4 * gamma * trace + np.finfo(float).tiny * n
    try:
        r = np.linalg.cholesky(a - shift * np.eye(n))
    except np.linalg.LinAlgError:
        return None
    frobenius_squared = float(np.sum(r * r)) * (1 + 4 * n * UNIT_ROUNDOFF)
    error = 2 * gamma * frobenius_squared + 2 * UNIT_ROUNDOFF * (float(np.max(np.abs(np.diag(a)))) + shift)
    margin = shift - error
    return margin if margin > 0 else None


def provable_floor(size: int, trace: float, scale: float) -> float:
    """The least eigenvalue a float matrix of this size, trace and largest eigenvalue ``scale``
    needs for positive_definite_margin to prove it positive definite, with a factor 2 to
    spare: twice Rump's shift 4 gamma_(n+1) trace plus the rounding n u scale of forming the
    matrix from its eigen-decomposition. Anything smaller cannot be proved in double precision;
    anything larger only adds to the certificate's residual."""
    gamma = (size + 1) * UNIT_ROUNDOFF / (1 - (size + 1) * UNIT_ROUNDOFF)
    return 2 * (4 * gamma * trace + 4 * size * UNIT_ROUNDOFF * scale) + np.finfo(float).tiny * size


def nearest_positive_definite(matrix: np.ndarray, relative_shift: float | None = None,
                              floor: float | None = None) -> np.ndarray:
    """The solver's nearly-PSD float matrix with negative eigenvalues clipped and the spectrum
    raised by ``floor``, or by ``relative_shift`` times its scale, or, with neither given, by
    the least amount positive_definite_margin needs to prove it (provable_floor). The change
    is carried into the certificate's residual, so the smaller the better."""
    a = np.asarray(matrix, dtype=float)
    a = (a + a.T) / 2
    if a.size == 0:
        return a
    values, vectors = np.linalg.eigh(a)
    values = np.maximum(values, 0.0)
    scale = max(float(values.max()), 1e-300)
    if floor is None:
        floor = (relative_shift * scale if relative_shift is not None
                 else provable_floor(len(values), float(values.sum()), scale))
    result = (vectors * (values + floor)) @ vectors.T
    return (result + result.T) / 2
