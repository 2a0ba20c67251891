"""The Jacobi spectral radius and Young's optimal SOR parameter.

For a consistently ordered matrix with a positive diagonal whose Jacobi iteration matrix
J = I - D^-1 A has real eigenvalues and spectral radius rho_J < 1 (the 5-point Laplacian
and its diagonal shifts are such matrices), SOR converges fastest asymptotically at

    omega* = 2 / (1 + sqrt(1 - rho_J^2))      (Young 1954, Trans. AMS 76, 92, Theorem 2;
                                              Saad 2003, "Iterative Methods for Sparse
                                              Linear Systems", section 4.2.5).

For the n x n-interior 5-point Laplacian (4 on the diagonal) rho_J = cos(pi / (n + 1)).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg
import scipy.sparse as sparse
import scipy.sparse.linalg

from pipeline.solvers.operator import SolverInputError

DENSE_UP_TO = 2000  # below this size a dense symmetric eigensolver is fastest


def jacobi_spectral_radius(A) -> float:
    """rho_J = max |lambda(I - D^-1 A)| for symmetric A with a positive diagonal.

    Computed from the symmetric similar matrix I - D^-1/2 A D^-1/2 (scipy's eigvalsh, or
    eigsh for large A).
    """
    matrix = sparse.csr_matrix(A, dtype=np.float64)
    diag = matrix.diagonal()
    if not (diag > 0).all():
        raise SolverInputError("The Jacobi spectral radius needs a positive diagonal.")
    scale = sparse.diags(1.0 / np.sqrt(diag))
    symmetric = sparse.identity(matrix.shape[0]) - scale @ matrix @ scale
    if matrix.shape[0] <= DENSE_UP_TO:
        eigenvalues = scipy.linalg.eigvalsh(symmetric.toarray())
        return float(np.abs(eigenvalues).max())
    largest = scipy.sparse.linalg.eigsh(symmetric, k=1, which="LM",
                                        return_eigenvectors=False)
    return float(np.abs(largest).max())


def optimal_sor_omega(rho_jacobi: float) -> float:
    """Young's omega* = 2 / (1 + sqrt(1 - rho_J^2)); needs 0 <= rho_J < 1."""
    if not (0.0 <= rho_jacobi < 1.0):
        raise SolverInputError(
            f"Young's optimal omega needs a Jacobi spectral radius in [0, 1), got {rho_jacobi:g}.")
    return 2.0 / (1.0 + math.sqrt(1.0 - rho_jacobi**2))
