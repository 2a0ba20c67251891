"""SOR and SSOR-PCG against plain scipy implementations, pyamg's sweep and direct solves;
Young's omega* on the Laplacian; bad input refused in one sentence."""

import math

import numpy as np
import pyamg.relaxation.relaxation as pyamg_relaxation
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pipeline.solvers import (SolverInputError, jacobi_spectral_radius, optimal_sor_omega, sor,
                              sor_sweep, ssor_pcg)


def laplacian(m: int) -> sp.csr_matrix:
    """5-point Laplacian on an m x m interior grid, 4 on the diagonal (not scaled by h^2)."""
    second = sp.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(m, m))
    identity = sp.identity(m)
    return (sp.kron(identity, second) + sp.kron(second, identity)).tocsr()


def problem(shift=0.1, m=10, seed=0):
    A = (laplacian(m) + shift * sp.identity(m * m)).tocsr()
    b = np.random.default_rng(seed).standard_normal(m * m)
    return A, b


def scipy_sor(A, b, omega, tol, x0=None, cap=10000):
    """x <- x + M^-1 r with M = D / omega + L, M^-1 by spsolve_triangular (Khodak et al.)."""
    M = (sp.diags(A.diagonal() / omega) + sp.tril(A, -1)).tocsr()
    x = np.zeros(A.shape[0]) if x0 is None else x0.copy()
    r = b - A @ x
    initial = np.linalg.norm(r)
    for k in range(1, cap + 1):
        x = x + spla.spsolve_triangular(M, r, lower=True)
        r = b - A @ x
        if np.linalg.norm(r) / initial < tol:
            return k, x
    return cap, x


def ssor_preconditioner(A, omega):
    """z = M^-1 r, M = (D + omega L) D^-1 (D + omega L)^T / (omega (2 - omega))."""
    D = sp.diags(A.diagonal())
    lower = (D + omega * sp.tril(A, -1)).tocsr()
    upper = lower.T.tocsr()

    def apply(r):
        y = spla.spsolve_triangular(lower, r, lower=True)
        return omega * (2 - omega) * spla.spsolve_triangular(upper, D @ y, lower=False)

    return spla.LinearOperator(A.shape, matvec=apply)


@pytest.mark.parametrize("omega", [1.0, 1.5, 1.8])
def test_sor_takes_the_iterations_of_the_triangular_solve_iteration(omega):
    A, b = problem()
    expected_iterations, expected_x = scipy_sor(A, b, omega, 1e-8)
    result = sor(A, b, omega)
    assert result.converged and result.iterations == expected_iterations
    np.testing.assert_allclose(result.x, expected_x, rtol=1e-10, atol=1e-12)
    assert result.residual < 1e-8


@pytest.mark.parametrize("omega", [0.7, 1.3, 1.9])
def test_one_sweep_matches_pyamgs_sor_sweep(omega):
    A, b = problem(shift=0.0, m=12, seed=3)
    x = np.random.default_rng(4).standard_normal(A.shape[0])
    expected = x.copy()
    pyamg_relaxation.sor(A, expected, b, omega, iterations=1, sweep="forward")
    np.testing.assert_allclose(sor_sweep(A, b, x, omega), expected, rtol=1e-13, atol=1e-14)


def test_sor_stops_where_pyamgs_sweeps_meet_the_tolerance():
    A, b = problem(shift=-0.1, seed=5)
    x = np.zeros_like(b)
    initial = np.linalg.norm(b)
    for sweeps in range(1, 10001):
        pyamg_relaxation.sor(A, x, b, 1.6, iterations=1, sweep="forward")
        if np.linalg.norm(b - A @ x) / initial < 1e-8:
            break
    assert sor(A, b, 1.6).iterations == sweeps


@pytest.mark.parametrize("solver", [sor, ssor_pcg])
def test_the_solution_is_the_direct_solution(solver):
    A, b = problem(shift=0.3, seed=1)
    exact = spla.spsolve(A.tocsc(), b)
    result = solver(A, b, 1.4, tol=1e-10)
    assert np.linalg.norm(result.x - exact) <= 1e-8 * np.linalg.norm(exact)


@pytest.mark.parametrize("omega", [1.0, 1.5, 1.9])
def test_ssor_pcg_takes_the_iterations_of_scipy_cg_with_the_same_preconditioner(omega):
    A, b = problem(shift=0.05, seed=2)
    steps = []
    expected, info = spla.cg(A, b, rtol=1e-8, atol=0.0, maxiter=10000,
                             M=ssor_preconditioner(A, omega), callback=steps.append)
    result = ssor_pcg(A, b, omega)
    assert info == 0 and result.converged
    assert result.iterations == len(steps)
    np.testing.assert_allclose(result.x, expected, rtol=1e-9, atol=1e-11)
    assert result.residual <= 1e-8


def test_warm_starts_take_the_reference_iterations_and_fewer_of_them():
    A, b = problem(shift=0.2, seed=6)
    exact = spla.spsolve(A.tocsc(), b)
    x0 = exact + 1e-4 * np.random.default_rng(7).standard_normal(b.size)
    cold, warm = sor(A, b, 1.5), sor(A, b, 1.5, x0=x0)
    assert warm.iterations == scipy_sor(A, b, 1.5, 1e-8, x0=x0)[0]
    # SOR's test is relative to r_0, so a warm start helps CG (absolute test) more.
    steps = []
    spla.cg(A, b, x0=x0, rtol=1e-8, atol=0.0, M=ssor_preconditioner(A, 1.5),
            callback=steps.append)
    warm_cg = ssor_pcg(A, b, 1.5, x0=x0)
    assert warm_cg.iterations == len(steps) < ssor_pcg(A, b, 1.5).iterations
    assert cold.converged and warm.converged


def test_a_start_that_already_solves_takes_no_iterations():
    A, b = problem()
    exact = spla.spsolve(A.tocsc(), b)
    assert ssor_pcg(A, b, 1.2, x0=exact).iterations == 0
    assert sor(A, A @ np.zeros(b.size), 1.2).iterations == 0


def test_the_iteration_cap_is_an_outcome_not_an_error():
    A, b = problem()
    result = sor(A, b, 1.0, max_iterations=5)
    assert result.iterations == 5 and not result.converged
    assert result.status == "iteration cap reached" and 1e-8 < result.residual < 1


def test_jacobi_radius_and_youngs_omega_on_the_laplacian_and_the_measured_minimum():
    A = laplacian(10)
    rho = jacobi_spectral_radius(A)
    assert rho == pytest.approx(math.cos(math.pi / 11), rel=1e-12)
    omega_star = optimal_sor_omega(rho)
    assert omega_star == pytest.approx(2 / (1 + math.sqrt(1 - math.cos(math.pi / 11) ** 2)))
    grid = np.linspace(1.0, 1.95, 20)
    b = np.random.default_rng(11).standard_normal(100)
    b /= max(1.0, np.linalg.norm(b) / 10)
    iterations = [sor(A, b, omega).iterations for omega in grid]
    best = grid[int(np.argmin(iterations))]
    assert abs(best - omega_star) <= grid[1] - grid[0] + 1e-12


@pytest.mark.parametrize("call,message", [
    (lambda A, b: sor(A, b, 2.0), "omega must lie in (0, 2), got 2.0."),
    (lambda A, b: sor(A, b, 0.0), "omega must lie in (0, 2)"),
    (lambda A, b: ssor_pcg(A, b, "fast"), "omega must be a number in (0, 2)"),
    (lambda A, b: sor(A - 5 * sp.identity(100), b, 1.0), "A must have a positive diagonal"),
    (lambda A, b: ssor_pcg(A + sp.eye(100, k=1), b, 1.0), "SSOR-PCG needs a symmetric matrix"),
    (lambda A, b: sor(A, b[:-1], 1.0), "b must have length 100"),
    (lambda A, b: sor(A[:, :-1], b[:-1], 1.0), "A must be a non-empty square matrix"),
    (lambda A, b: sor(A, b, 1.0, tol=0), "tol must be a positive number"),
    (lambda A, b: sor(A, b, 1.0, max_iterations=-1), "max_iterations must be a non-negative"),
    (lambda A, b: sor(A, b, 1.0, fmt="e11m10-sr"), "Stochastic rounding to e11m10-sr needs rng"),
    (lambda A, b: sor(A, b, 1.0, fmt="e12m3"), "Number format 'e12m3' is out of range"),
])
def test_bad_input_gets_one_sentence(call, message):
    A, b = problem()
    with pytest.raises(SolverInputError) as raised:
        call(A, b)
    text = str(raised.value)
    assert message in text and "\n" not in text and text.endswith(".")


@pytest.mark.parametrize("shift, scale", [(0.37, 1.0), (-0.1, 0.3), (1.0, 0.0013), (1.0, 0.0)])
def test_an_affine_operator_holds_scipys_shift_plus_scaled_matrix_bit_for_bit(shift, scale):
    """Sequences build shift I + scale A per instance on A's pattern; the float64 matrix the
    refinement's residuals use must be scipy's own sum, pattern and values."""
    from pipeline.solvers.operator import Operator

    A = laplacian(7) + sp.random(49, 49, density=0.1, random_state=1)
    A = (A + A.T).tolil()
    A.setdiag(np.abs(A.diagonal()) + 10)
    base = Operator.build(A.tocsr())
    ours = base.affine(shift, scale).matrix
    theirs = (scale * base.matrix + shift * sp.identity(base.n, format="csr")).tocsr()
    theirs.sort_indices()
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data.view(np.uint64), theirs.data.view(np.uint64))
    assert base.matrix.nnz == A.nnz  # the base's pattern is untouched
