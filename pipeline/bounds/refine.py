"""Absorbing a solver's residual into its Gram matrices, so that an SOS certificate holds
(nearly) exactly before it is checked in exact arithmetic (Peyrl & Parrilo 2008, "Computing
sum of squares decompositions with rational coefficients", Theor. Comput. Sci. 409, 269,
section 3: project the numerical Gram matrices onto the affine space of exact identities and
keep them positive definite).

A double-precision dual solution leaves a residual r = c + sum_i A_i^T vec(Q_i) in the linear
identity it should satisfy (here: the coefficients of the three-point polynomial identity, c
the fixed part from b_22 and the F_k). Left alone, r costs the certified bound its size times
the number of triples. Each round writes the corrections as Q_i^(1/2) S_i Q_i^(1/2), which
keeps Q_i + Q_i^(1/2) S_i Q_i^(1/2) = Q_i^(1/2) (I + S_i) Q_i^(1/2) positive semidefinite
whenever ||S_i||_2 < 1, and takes the S_i of least Frobenius norm with
sum_i A_i^T vec(Q_i^(1/2) S_i Q_i^(1/2)) = -r (normal equations, orbits x orbits). Directions
the Gram matrix does not use are left alone, so the correction cannot break positivity.

A residual evaluated in double precision cannot resolve less than about 1e-16 of the Gram
entries (5e6 at d = 11 in the monomial basis). factor_corrections therefore works on Gram
factors, G = L L^T, against the residual computed exactly: its correction dL keeps G
positive semidefinite whatever its size, and L + dL + ... is kept as float parts whose sum
the certificate takes exactly.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sparse

from pipeline.bounds.exact import nearest_positive_definite

LARGEST_STEP = 0.5  # ||S_i||_2 allowed per round: Q_i^(1/2) (I + S_i) Q_i^(1/2) >= Q_i / 2


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if sparse.issparse(matrix) else np.asarray(matrix)


def _root(q: np.ndarray) -> np.ndarray:
    values, vectors = np.linalg.eigh(q)
    return (vectors * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


def _congruence_map(adjoint: np.ndarray, root: np.ndarray) -> np.ndarray:
    """Rows vec(W A_o W) for the n x n matrices A_o = columns of ``adjoint`` (n^2 x O)."""
    n = root.shape[0]
    stacked = adjoint.reshape(n, n, -1, order="F")  # A[p, q, o]
    left = np.tensordot(root, stacked, axes=([1], [0]))  # (W A_o)[p, q, o]
    both = np.tensordot(left, root, axes=([1], [0]))  # (W A_o W)[p, o, q]
    return np.transpose(both, (1, 2, 0)).reshape(adjoint.shape[1], n * n)  # row o = vec^T (W A_o W)


def absorb_residual(constant: np.ndarray, pieces: list[tuple[object, np.ndarray]],
                    moments: np.ndarray | None = None, rounds: int = 3,
                    floors: list[float] | None = None) -> tuple[list[np.ndarray], float]:
    """(Gram matrices with the residual absorbed, l1 norm of the float residual left).

    ``pieces`` are (A_i, Q_i): A_i maps moments to vec(L_i) (n_i^2 x O, column-major) and
    Q_i is the solver's dual matrix of L_i >= 0. The Q_i are first made positive semidefinite
    (negative eigenvalues clipped) and their spectrum raised by ``floors[i]``: 0 when the
    certificate takes them as factor products, by default the least amount that lets Q_i
    alone be proved positive definite (exact.provable_floor).

    No such correction can change <w, r> for the solver's moments w: by complementarity
    M_i(w) Q_i = 0, so <w, A_i^T vec(W S W)> = <W M_i(w) W, S> = 0. With ``moments`` given,
    that part of r is left on the constant coefficient (r_0 = <w, r> / w_0), where a
    negative value costs the bound nothing, and only the rest is absorbed."""
    adjoints = [_dense(a) for a, _ in pieces]
    floors = floors if floors is not None else [None] * len(pieces)
    grams = [nearest_positive_definite(q, floor=floor) for (_, q), floor in zip(pieces, floors)]

    def residual_of(grams):
        return constant + sum(a.T @ q.reshape(-1, order="F") for a, q in zip(adjoints, grams))

    residual = residual_of(grams)
    for _ in range(rounds):
        roots = [_root(q) for q in grams]
        maps = [_congruence_map(a, w) for a, w in zip(adjoints, roots)]
        normal = sum(m @ m.T for m in maps)
        target = residual.copy()
        if moments is not None and moments[0] > 0:
            target[0] -= float(moments @ residual) / moments[0]
        multipliers = np.linalg.lstsq(normal, -target, rcond=None)[0]
        steps = [(m.T @ multipliers).reshape(w.shape, order="F") for m, w in zip(maps, roots)]
        steps = [(s + s.T) / 2 for s in steps]
        largest = max((np.linalg.norm(s, 2) for s in steps if s.size), default=0.0)
        scale = min(1.0, LARGEST_STEP / largest) if largest > 0 else 1.0
        trial = [q + scale * (w @ s @ w) for q, w, s in zip(grams, roots, steps)]
        trial = [(q + q.T) / 2 for q in trial]
        trial_residual = residual_of(trial)
        if _excess(trial_residual) >= _excess(residual):
            break
        grams, residual = trial, trial_residual
    return grams, _excess(residual)


def _excess(residual: np.ndarray) -> float:
    """max(0, r_0 + sum_(o > 0) |r_o|): a bound of the residual polynomial on Delta."""
    return max(0.0, float(residual[0] + np.abs(residual[1:]).sum()))


def factor_corrections(adjoints: list, factors: list[np.ndarray], residual: np.ndarray,
                       moments: np.ndarray | None = None) -> list[list[np.ndarray]]:
    """Two candidate corrections [dL_1, dL_2, ...] of Gram factors (G_i = L_i L_i^T) that
    cancel the residual r to first order, sum_i A_i^T vec(L_i dL_i^T + dL_i L_i^T) = -r, with
    least Frobenius norm: one cut at rounding level, one cut where dL dL^T stays small.

    Working on the factors keeps every G_i = (L_i + dL_i)(L_i + dL_i)^T positive
    semidefinite whatever the step, so r may be the exact residual of the factors themselves:
    at d = 11 in the monomial basis G reaches 5e6, and a residual evaluated in double precision
    cannot resolve less than about 1e-7 of it. With B_o = (A_o + A_o^T) / 2, r_o changes by
    2 <B_o L, dL>, a linear map K (row o: vec(B_o L)), and dL is its least-norm solution.
    What lies along the moments w (<w, r>, see absorb_residual) cannot be cancelled and is
    left on the constant coefficient. The second order term dL dL^T is of the size of
    r^2 / |G|; what limits each round is K's conditioning, so a few rounds are needed."""
    target = np.asarray(residual, dtype=float).copy()
    if moments is not None and moments[0] > 0:
        target[0] -= float(moments @ target) / moments[0]
    residual = np.asarray(residual, dtype=float)
    orbits = len(target)
    widths = [factor.size for factor in factors]
    offsets = np.cumsum([0] + widths)
    # K = [K_1 K_2 ...], row o of K_i = vec(B_o L_i), built in place (d = 11: 481 x 1e5).
    whole = np.empty((orbits, offsets[-1]))
    symmetrics = []
    for i, (adjoint, factor) in enumerate(zip(adjoints, factors)):
        coo = sparse.coo_matrix(adjoint)
        size = factor.shape[0]
        p, q = coo.row % size, coo.row // size  # vec is column-major: row = p + q size
        symmetric = sparse.coo_matrix(
            (np.concatenate([coo.data, coo.data]) / 2,
             (np.concatenate([coo.col * size + p, coo.col * size + q]), np.concatenate([q, p]))),
            shape=(orbits * size, size)).tocsr()
        symmetrics.append(symmetric)
        whole[:, offsets[i]:offsets[i + 1]] = (symmetric @ factor).reshape(orbits, widths[i])

    def split(x):
        return [x[offsets[i]:offsets[i + 1]].reshape(f.shape) for i, f in enumerate(factors)]

    def second_order(steps):  # r_o's change from dL dL^T: sum_i <B_o dL_i, dL_i>
        return sum((m @ step).reshape(orbits, -1) @ step.ravel() for m, step in zip(symmetrics, steps))

    # Least-norm solutions of 2 K x = -target through K's own SVD (the normal equations
    # K K^T would square its condition number, about 1e10 at d = 11), truncated at rounding
    # level (lstsq's default cut) and where the predicted residual, first-order remainder
    # plus dL dL^T, is least: a direction of small singular value cancels its part of r only
    # at the price of a large dL.
    left, sigma, right = np.linalg.svd(whole, full_matrices=False)
    coefficients = left.T @ (-target / 2)

    def truncated(cut):
        keep = sigma > cut * sigma[0]
        return split(right[keep].T @ (coefficients[keep] / sigma[keep]))

    rounding = truncated(np.finfo(float).eps * max(whole.shape))
    best, best_excess = None, math.inf
    for cut in 10.0 ** -np.arange(16, 2, -0.5):
        steps = truncated(cut)
        predicted = residual + 2 * whole @ np.concatenate([s.ravel() for s in steps]) \
            + second_order(steps)
        excess = _excess(predicted)
        if excess < best_excess:
            best, best_excess = steps, excess
    return [rounding, best]
