"""A reduced-format sweep rounds as the precision core does: the compiled SOR sweep against
the same sweep written with emulated arrays (round to nearest) and with the NumPy reference
rounding (stochastic, same key and counters); refinement reaches tol at reduced formats."""

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from pipeline.precision import NumberFormat, round as round_to_format, stream_generator
from pipeline.precision.rounding import _round_bits_numpy, draw_key
from pipeline.solvers import refine, sor, sor_sweep, ssor_pcg
from tests.solvers.test_relaxation import laplacian


def small_problem(seed=0):
    A = (laplacian(4) + 0.37 * sp.identity(16)).tocsr()
    A = A + sp.diags(np.random.default_rng(seed).uniform(0, 0.3, 16))  # diagonal not uniform
    rng = np.random.default_rng(seed + 1)
    return A.tocsr(), rng.standard_normal(16), rng.standard_normal(16)


def emulated_sweep(A, b, x, omega, fmt):
    """The sweep of pipeline.solvers.kernels, each operation an emulated-array operation."""
    values = lambda v: fmt.array(v)  # noqa: E731
    diag = A.diagonal()
    off = (A - sp.diags(diag)).tocsr()
    off.eliminate_zeros()
    off.sort_indices()
    keep = values(round_to_format(1.0 - omega, fmt))
    x = [values(v) for v in x]
    for i in range(len(x)):
        relax = values(round_to_format(omega / float(round_to_format(diag[i], fmt)), fmt))
        s = values(b[i])
        for k in range(off.indptr[i], off.indptr[i + 1]):
            s = s - values(off.data[k]) * x[off.indices[k]]
        x[i] = keep * x[i] + relax * s
    return np.array([float(v) for v in x])


def reference_stochastic(value, fmt, key, counter):
    """value rounded stochastically with the bits SplitMix64(key, counter), by the NumPy
    reference of pipeline.precision.rounding (element ``counter`` of one call draws them)."""
    bits = np.zeros(counter + 1, dtype=np.uint64)
    bits[counter] = np.float64(value).view(np.uint64)
    return float(_round_bits_numpy(bits, fmt, key)[counter].view(np.float64))


def reference_stochastic_sweep(A, b, x, omega, fmt, key):
    nearest = fmt.with_rounding("nearest")
    diag = round_to_format(A.diagonal(), nearest)
    off = (A - sp.diags(A.diagonal())).tocsr()
    off.eliminate_zeros()
    off.sort_indices()
    data = round_to_format(off.data, nearest)
    keep = float(round_to_format(1.0 - omega, nearest))
    b = round_to_format(b, nearest)
    x = round_to_format(x, nearest).copy()
    c = 0

    def fl(value):
        nonlocal c
        c += 1
        return reference_stochastic(value, fmt, key, c - 1)

    for i in range(x.size):
        relax = float(round_to_format(omega / diag[i], nearest))
        s = b[i]
        for k in range(off.indptr[i], off.indptr[i + 1]):
            p = fl(data[k] * x[off.indices[k]])
            s = fl(s - p)
        kept = fl(keep * x[i])
        update = fl(relax * s)
        x[i] = fl(kept + update)
    return x


@pytest.mark.parametrize("name", ["e11m10", "e5m10", "e8m7", "e11m4"])
def test_a_nearest_sweep_equals_the_emulated_array_sweep_bit_for_bit(name):
    fmt = NumberFormat.parse(name)
    A, b, x = small_problem()
    b, x = round_to_format(b, fmt), round_to_format(x, fmt)
    compiled = sor_sweep(A, b, x, 1.35, fmt=fmt)
    emulated = emulated_sweep(A, b, x, 1.35, fmt)
    assert np.array_equal(compiled.view(np.uint64), emulated.view(np.uint64))
    assert not np.array_equal(compiled, sor_sweep(A, b, x, 1.35))  # the format did round


@pytest.mark.parametrize("name", ["e11m10-sr", "e5m6-sr"])
def test_a_stochastic_sweep_equals_the_reference_rounding_with_the_same_bits(name):
    fmt = NumberFormat.parse(name)
    A, b, x = small_problem(seed=3)
    key = draw_key(stream_generator(5, "sweep"))
    compiled = sor_sweep(A, b, x, 1.2, fmt=fmt, rng=stream_generator(5, "sweep"))
    reference = reference_stochastic_sweep(A, b, x, 1.2, fmt, np.uint64(key))
    assert np.array_equal(compiled.view(np.uint64), reference.view(np.uint64))


def test_stochastic_solves_are_reproducible_by_seed_and_differ_between_seeds():
    A, b, _ = small_problem()
    runs = [sor(A, b, 1.3, fmt="e11m8-sr", tol=1e-2, rng=stream_generator(seed, "s")).x
            for seed in (1, 1, 2)]
    assert np.array_equal(runs[0], runs[1]) and not np.array_equal(runs[0], runs[2])
    cg = [ssor_pcg(A, b, 1.3, fmt="e11m8-sr", tol=1e-2, rng=stream_generator(seed, "c")).x
          for seed in (4, 4)]
    assert np.array_equal(cg[0], cg[1])


def test_every_iterate_of_a_reduced_solve_is_a_number_of_the_format():
    A, b, _ = small_problem()
    fmt = NumberFormat.parse("e11m10-sr")
    for result in (sor(A, b, 1.5, fmt=fmt, tol=1e-2, rng=stream_generator(1)),
                   ssor_pcg(A, b, 1.5, fmt=fmt, tol=1e-2, rng=stream_generator(2))):
        assert np.array_equal(result.x, round_to_format(result.x, fmt.with_rounding("nearest")))


def test_a_plain_reduced_solve_cannot_reach_1e_8_but_refinement_can():
    A = (laplacian(10) - 0.1 * sp.identity(100)).tocsr()
    b = np.random.default_rng(9).standard_normal(100)
    exact = spla.spsolve(A.tocsc(), b)
    plain = sor(A, b, 1.7, fmt="e11m10", max_iterations=2000)
    assert not plain.converged
    for name in ("e11m10", "e11m10-sr", "e11m23"):
        for method in ("sor", "ssor-pcg"):
            result = refine(A, b, 1.7, method=method, fmt=name, rng=stream_generator(3, name))
            assert result.converged and result.outer_steps > 1, (name, method, result.status)
            assert np.linalg.norm(result.x - exact) <= 1e-6 * np.linalg.norm(exact)
    # At float64 refinement is one plain solve.
    assert refine(A, b, 1.7).iterations == sor(A, b, 1.7).iterations
    assert refine(A, b, 1.7, method="ssor-pcg").outer_steps == 1
