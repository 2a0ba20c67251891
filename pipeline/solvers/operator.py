"""A matrix checked and converted once for the compiled sweeps, at one number format.

`Operator` holds A's diagonal and its off-diagonal part in CSR form (sorted columns, no
explicit zeros), every entry rounded once to the format (round to nearest: the matrix is
data, converted at setup as the models convert their constants), plus the per-omega
constants of SOR and SSOR. Checking happens here, so that bad input gets one sentence
(`SolverInputError`) before any sweep runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sparse

from pipeline.precision import NumberFormat
from pipeline.precision import round as round_to_format
from pipeline.precision.rounding import draw_key
from pipeline.solvers import kernels

SYMMETRY_TOLERANCE = 1e-12  # relative to the largest |a_ij|


class SolverInputError(ValueError):
    """Bad input to a solver (matrix, right-hand side, omega, format): one sentence."""


def check_omega(omega) -> float:
    """omega as a float, or one sentence: SOR and SSOR converge only for 0 < omega < 2."""
    try:
        value = float(omega)
    except (TypeError, ValueError):
        raise SolverInputError(f"omega must be a number in (0, 2), got {omega!r}.") from None
    if not (0.0 < value < 2.0):
        raise SolverInputError(f"omega must lie in (0, 2), got {omega!r}.")
    return value


def parse_format(fmt) -> NumberFormat:
    if fmt is None:
        return NumberFormat(52)
    try:
        return NumberFormat.parse(fmt)
    except ValueError as error:
        raise SolverInputError(str(error)) from None


def format_integers(fmt: NumberFormat) -> tuple[int, int, int]:
    """(mode, significand bits, emin_field) as the kernels take them."""
    if fmt.is_float64:
        return kernels.EXACT, 52, 1
    mode = kernels.STOCHASTIC if fmt.stochastic else kernels.NEAREST
    return mode, fmt.significand_bits, fmt.emin + 1023


def solve_key(fmt: NumberFormat, rng) -> np.uint64:
    """The 64-bit key of one solve: drawn from ``rng`` under stochastic rounding, else 0."""
    if not fmt.stochastic:
        return np.uint64(0)
    if not isinstance(rng, np.random.Generator):
        raise SolverInputError(
            f"Stochastic rounding to {fmt} needs rng, a numpy.random.Generator "
            "(e.g. pipeline.precision.stream_generator(seed, ...)).")
    return np.uint64(draw_key(rng))


@dataclass
class Operator:
    """A, checked, split and rounded to ``fmt``; build with `Operator.build`."""

    fmt: NumberFormat
    diag: np.ndarray
    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    split: np.ndarray  # first off-diagonal entry of each row right of the diagonal
    symmetric: bool
    matrix: sparse.csr_matrix  # A in float64, as given
    exact_diag: np.ndarray  # diagonal and off-diagonal entries in float64, unrounded
    exact_data: np.ndarray
    diagonal_entries: np.ndarray | None = None  # where a_ii sits in matrix.data

    @property
    def n(self) -> int:
        return self.diag.size

    @classmethod
    def build(cls, A, fmt=None, require_symmetric: bool = False) -> Operator:
        fmt = parse_format(fmt)
        if not (sparse.issparse(A) or isinstance(A, np.ndarray)):
            raise SolverInputError(
                f"A must be a scipy.sparse matrix or a 2-D NumPy array, got {type(A).__name__}.")
        if A.ndim != 2 or A.shape[0] != A.shape[1] or A.shape[0] == 0:
            raise SolverInputError(f"A must be a non-empty square matrix, got shape {A.shape}.")
        if not np.issubdtype(A.dtype, np.number) or np.issubdtype(A.dtype, np.complexfloating):
            raise SolverInputError(f"A must hold real numbers, got dtype {A.dtype}.")
        matrix = sparse.csr_matrix(A, dtype=np.float64, copy=True)
        matrix.sum_duplicates()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        if not np.isfinite(matrix.data).all():
            raise SolverInputError("A has a NaN or infinite entry.")
        diag = matrix.diagonal()
        bad = np.flatnonzero(~(diag > 0))
        if bad.size:
            raise SolverInputError(
                f"A must have a positive diagonal; a_ii = {diag[bad[0]]:g} at row {bad[0]} "
                "(SOR and SSOR divide by the diagonal).")
        largest = np.abs(matrix.data).max()
        asymmetry = abs(matrix - matrix.T).max() if matrix.nnz else 0.0
        symmetric = asymmetry <= SYMMETRY_TOLERANCE * largest
        if require_symmetric and not symmetric:
            raise SolverInputError(
                f"SSOR-PCG needs a symmetric matrix; max |a_ij - a_ji| = {asymmetry:.3g} "
                f"(relative {asymmetry / largest:.3g}).")
        off = matrix - sparse.diags(diag, format="csr")
        off.eliminate_zeros()
        off.sort_indices()
        rows = np.repeat(np.arange(off.shape[0]), np.diff(off.indptr))
        left_counts = np.bincount(rows[off.indices < rows], minlength=off.shape[0])
        split = (off.indptr[:-1] + left_counts).astype(np.int64)
        nearest = fmt.with_rounding("nearest")
        return cls(fmt, _to_format(diag, nearest), off.indptr.astype(np.int64),
                   off.indices.astype(np.int64), _to_format(off.data, nearest), split,
                   symmetric, matrix, diag, off.data.copy())

    def at(self, fmt) -> Operator:
        """The same matrix at another format (entries rounded anew from float64)."""
        fmt = parse_format(fmt)
        if fmt == self.fmt:
            return self
        nearest = fmt.with_rounding("nearest")
        return Operator(fmt, _to_format(self.exact_diag, nearest), self.indptr, self.indices,
                        _to_format(self.exact_data, nearest), self.split, self.symmetric,
                        self.matrix, self.exact_diag, self.exact_data)

    def affine(self, shift: float, scale: float = 1.0, fmt=None) -> Operator:
        """The operator of shift I + scale A, at ``fmt`` (default: this one's), without
        checking or splitting A again: for sequences of shifted or scaled systems."""
        fmt = self.fmt if fmt is None else parse_format(fmt)
        diag = shift + scale * self.exact_diag
        bad = np.flatnonzero(~(diag > 0))
        if bad.size:
            raise SolverInputError(
                f"A must have a positive diagonal; a_ii = {diag[bad[0]]:g} at row {bad[0]} "
                "(SOR and SSOR divide by the diagonal).")
        data = scale * self.exact_data
        nearest = fmt.with_rounding("nearest")
        return Operator(fmt, _to_format(diag, nearest), self.indptr, self.indices,
                        _to_format(data, nearest), self.split, self.symmetric,
                        self._affine_matrix(shift, scale), diag, data, self.diagonal_entries)

    def _affine_matrix(self, shift: float, scale: float) -> sparse.csr_matrix:
        """shift I + scale A on A's own sparsity pattern, each entry the float64 value
        scipy's ``scale * A + shift * I`` gives (a_ii's entry is scale a_ii + shift), without
        sparse addition's set-up, which cost more than a small system's whole solve."""
        if self.diagonal_entries is None:
            rows = np.repeat(np.arange(self.n), np.diff(self.matrix.indptr))
            self.diagonal_entries = np.flatnonzero(self.matrix.indices == rows)
        values = scale * self.matrix.data
        values[self.diagonal_entries] += shift
        matrix = sparse.csr_matrix((values, self.matrix.indices, self.matrix.indptr),
                                   shape=self.matrix.shape, copy=False)
        matrix.has_sorted_indices = True
        if not values.all():
            matrix = matrix.copy()  # the pattern arrays are A's own
            matrix.eliminate_zeros()
        return matrix

    def vector(self, values, name: str) -> np.ndarray:
        """A length-n vector of finite values rounded (to nearest) to the format."""
        try:
            vector = np.array(values, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError):
            raise SolverInputError(f"{name} must be a vector of numbers.") from None
        if vector.size != self.n:
            raise SolverInputError(f"{name} must have length {self.n} (A's size), got {vector.size}.")
        if not np.isfinite(vector).all():
            raise SolverInputError(f"{name} has a NaN or infinite entry.")
        return _to_format(vector, self.fmt.with_rounding("nearest"))

    def constant(self, value):
        """A float64 constant (or array of them) rounded to the format, once, at setup."""
        return _to_format(np.asarray(value, dtype=np.float64), self.fmt.with_rounding("nearest"))

    def sor_constants(self, omega: float) -> tuple[np.ndarray, float]:
        """(relax_i = fl(omega / a_ii), keep = fl(1 - omega)), from the format's a_ii."""
        return self.constant(omega / self.diag), float(self.constant(1.0 - omega))

    def ssor_constants(self, omega: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(l_ij = fl(omega a_ij / a_ii), dinv_i = fl(1 / a_ii), scale = fl(omega (2 - omega)))."""
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        scaled = self.constant(omega * self.data / self.diag[rows])
        return scaled, self.constant(1.0 / self.diag), float(self.constant(omega * (2.0 - omega)))


def _to_format(values, fmt: NumberFormat) -> np.ndarray:
    if fmt.is_float64:
        return np.array(values, dtype=np.float64)
    return round_to_format(values, fmt)


def relative_residual(A, b, x, reference=None) -> float:
    """||b - A x|| / ||reference|| in float64 (reference defaults to b)."""
    scale = np.linalg.norm(b if reference is None else reference)
    if scale == 0.0:
        return 0.0 if np.linalg.norm(b - A @ x) == 0.0 else math.inf
    return float(np.linalg.norm(b - A @ x) / scale)
