"""S3 symmetry reduction of the three-point SDP's localising matrices (Gatermann & Parrilo
2004, "Symmetry groups, semidefinite programs, and sums of squares", J. Pure Appl. Algebra
192, 95; Serre 1977, Linear Representations of Finite Groups, section 2.6).

S3 permutes (u, v, t) and so permutes the basis T_a(u) T_b(v) T_c(t). A localising matrix
L[beta, gamma] = L(g T_beta T_gamma) of S3-invariant moments commutes with every permutation
that fixes g: all of S3 for g = 1 and the Gram slack 1 + 2uvt - u^2 - v^2 - t^2, only the swap
v <-> t for the box constraint in u. By Schur's lemma L is then block diagonal in a
symmetry-adapted basis: the trivial and sign isotypic components, and the standard
(two-dimensional) component, whose two halves (the +1 and -1 eigenspaces of the swap) carry
the same block. So L >= 0 if and only if B_i^T L B_i >= 0 for the trivial, sign and standard(+)
blocks: about N/6, N/6 and N/3 in place of N. For the swap alone: its two eigenspaces, N/2 each.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import permutations

import numpy as np
import scipy.sparse as sparse

SWAP = (0, 2, 1)  # v <-> t
CYCLE = (1, 2, 0)  # (u, v, t) -> (v, t, u)


def basis_indices(degree: int) -> list[tuple[int, int, int]]:
    """Indices (a, b, c) of T_a(u) T_b(v) T_c(t) with a + b + c <= degree, by total degree."""
    return [(a, b, total - a - b) for total in range(degree + 1)
            for a in range(total, -1, -1) for b in range(total - a, -1, -1)]


def permutation_matrix(basis, sigma) -> np.ndarray:
    """The action of permuting (u, v, t) by ``sigma`` on polynomials in ``basis``."""
    index = {beta: i for i, beta in enumerate(basis)}
    matrix = np.zeros((len(basis), len(basis)))
    for i, beta in enumerate(basis):
        matrix[index[tuple(beta[s] for s in sigma)], i] = 1.0
    return matrix


def _range(projector: np.ndarray, basis) -> np.ndarray:
    """An orthonormal basis of the projector's range, each vector supported on one S3 orbit
    of basis indices (the projectors are combinations of permutations, which keep each
    orbit's span): sparse blocks, which the solvers' Schur complements exploit."""
    members: dict = {}
    for i, beta in enumerate(basis):
        members.setdefault(tuple(sorted(beta)), []).append(i)
    columns = []
    for indices in members.values():
        local = projector[np.ix_(indices, indices)]
        values, vectors = np.linalg.eigh((local + local.T) / 2)
        for vector in vectors[:, values > 0.5].T:
            column = np.zeros(len(basis))
            column[indices] = vector
            columns.append(column)
    return np.array(columns).T if columns else np.zeros((len(basis), 0))


@lru_cache(maxsize=32)
def symmetry_blocks(basis_degree: int, full_group: bool) -> tuple[np.ndarray, ...]:
    """Orthonormal bases B_i (columns) of the blocks that decide L >= 0 (see the module
    docstring): (trivial, sign, standard+) for S3, (swap +1, swap -1) for the swap alone,
    from the projectors (1/|G|) sum chi(g) g and (1 +- swap)/2."""
    basis = basis_indices(basis_degree)
    size = len(basis)
    swap = permutation_matrix(basis, SWAP)
    halves = [(np.eye(size) + swap) / 2, (np.eye(size) - swap) / 2]
    if full_group:
        elements = list(permutations(range(3)))
        matrices = [permutation_matrix(basis, g) for g in elements]
        signs = [np.linalg.det(np.eye(3)[list(g)]) for g in elements]
        trivial = sum(matrices) / 6
        sign = sum(s * m for s, m in zip(signs, matrices)) / 6
        standard = np.eye(size) - trivial - sign
        projectors = [trivial, sign, standard @ halves[0]]
    else:
        projectors = halves
    return tuple(block for block in (_range(p, basis) for p in projectors) if block.shape[1])


@lru_cache(maxsize=32)
def standard_partner(basis_degree: int) -> np.ndarray:
    """An orthonormal basis B- of the standard component's swap -1 half with
    B-^T L B- = B+^T L B+ for every S3-invariant L: B- = (2/sqrt 3) (1 - swap)/2 c B+, c the
    three-cycle. (1 - swap)/2 c commutes with L and maps the +1 half onto the -1 half,
    scaling each copy of the standard representation by sqrt(3)/2 = |<e-, c e+>|.)
    The certificate spreads the standard block's Gram matrix evenly over both halves."""
    basis = basis_indices(basis_degree)
    size = len(basis)
    plus = symmetry_blocks(basis_degree, True)[2]
    swap, cycle = permutation_matrix(basis, SWAP), permutation_matrix(basis, CYCLE)
    return (np.eye(size) - swap) @ cycle @ plus / np.sqrt(3)


def reduced_map(matrix: sparse.spmatrix, size: int, block: np.ndarray) -> np.ndarray:
    """Given the map from moments to vec(L) (column-major, L size x size), the map from
    moments to vec(B^T L B), dense."""
    matrix = sparse.csc_matrix(matrix)
    n = block.shape[1]
    columns = np.zeros((n * n, matrix.shape[1]))
    for o in range(matrix.shape[1]):
        column = matrix[:, o]
        if column.nnz == 0:
            continue
        local = sparse.csr_matrix((column.data, (column.indices % size, column.indices // size)),
                                  shape=(size, size))
        projected = block.T @ (local @ block)
        columns[:, o] = ((projected + projected.T) / 2).reshape(-1, order="F")
    return columns
