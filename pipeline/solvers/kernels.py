"""Compiled (numba) sweeps over CSR arrays, rounding every product and sum to a format.

Each kernel takes the matrix split into its diagonal ``diag`` and its off-diagonal part in
CSR form (``indptr``, ``indices``, ``data``, column indices sorted within each row, the
diagonal left out), float64 vectors whose values are numbers of the format, and the format
as three integers:

    mode = 0 (float64: nothing is rounded), 1 (round to nearest, ties to even) or
           2 (stochastic rounding);  M = significand bits;  emin_field = emin + 1023,

the convention of `pipeline.precision.kernels`, whose ``round_scalar`` does every rounding
here (``round_scalar_wide`` for formats with float64's exponent range, the e11 formats: the
same rounding in fewer dependent steps, which the chain of a sweep's sums waits on), so a
kernel rounds bit for bit as `pipeline.precision.LowPrecisionArray` does. Under
stochastic rounding a kernel call takes one 64-bit ``key`` and its c-th rounded operation
(c = 0, 1, ... in the order written below) draws the 64 bits SplitMix64(key, c) (Steele,
Lea & Flood 2014, doi:10.1145/2660193.2660195). A whole solve (`sor_iterate`,
`pcg_iterate`) takes one key and gives its j-th kernel call the key SplitMix64(key, j), so
a solve is reproducible from its stream and never depends on which process ran it.

Written fl(.) for rounding to the format, the operations are, per row i in order:

* ``sor_sweep`` (one forward SOR sweep, M = D / omega + L, Young 1950): s = b_i, then for
  each off-diagonal entry in column order  s = fl(s - fl(a_ij x_j))  (x_j already updated
  for j < i), then  x_i = fl(fl(keep x_i) + fl(relax_i s))  with the constants
  keep = fl(1 - omega) and relax_i = fl(omega / a_ii) rounded once at setup.
* ``residual``: s = fl(b_i - fl(a_ii x_i)), then  s = fl(s - fl(a_ij x_j))  per entry;
  r_i = s. Returns sum r_i^2 accumulated in float64 (a reduction, wide and not rounded:
  it only feeds the stopping test).
* ``matvec``: s = fl(a_ii p_i), then s = fl(s + fl(a_ij p_j)) per entry; q_i = s.
* ``ssor_apply`` (z = M^-1 r, M = (D + omega L) D^-1 (D + omega L)^T / (omega (2 - omega))):
  forward  y_i = fl(fl(dinv_i r_i) - ...)  as  s = fl(dinv_i r_i), s = fl(s - fl(l_ij y_j))
  for j < i; backward  s = y_i, s = fl(s - fl(l_ij z_j)) for j > i, z_i = s; then
  z_i = fl(scale z_i); with dinv_i = fl(1 / a_ii), l_ij = fl(omega a_ij / a_ii) and
  scale = fl(omega (2 - omega)) rounded once at setup (the backward solve of
  (D + omega U) z = D y divides each row by a_ii, so D cancels).
* ``dot`` (conjugate gradients' inner products): sum of x_i y_i accumulated in float64 and
  rounded once, as the precision core's reductions do (a wide accumulator).
* vector updates of CG: x_i = fl(x_i + fl(alpha p_i)), r_i = fl(r_i - fl(alpha q_i)),
  p_i = fl(z_i + fl(beta p_i)), with alpha = fl(rho / pq), beta = fl(rho / rho_old).

Every kernel is at module level with ``cache=True`` so numba's disk cache finds it again in
each new process (see `pipeline.precision.kernels`).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from pipeline.precision.kernels import round_scalar, round_scalar_wide, splitmix64

compiled = numba.njit(cache=True, nogil=True, error_model="numpy")
inlined = numba.njit(cache=True, nogil=True, inline="always")

EXACT, NEAREST, STOCHASTIC = 0, 1, 2

# Outcomes of a solve (the status codes `pipeline.solvers.relaxation` names).
CONVERGED, CAPPED, STAGNATED, BREAKDOWN, NONFINITE = 0, 1, 2, 3, 4


@inlined
def rounded(x, mode, significand_bits, emin_field, key, counter):
    """x rounded to the format (mode 0: x itself); stochastic bits SplitMix64(key, counter)."""
    if mode == EXACT:
        return x
    # One inlined rounding per call site (not one per mode): the kernels compile in a third
    # of the time, and the mode's branch is the same at every site of a call.
    stochastic = mode == STOCHASTIC
    u = splitmix64(key, counter) if stochastic else np.uint64(0)
    if emin_field == 1:
        return round_scalar_wide(x, significand_bits, stochastic, u)
    return round_scalar(x, significand_bits, emin_field, stochastic, u)


@inlined
def subkey(key, call):
    """The key of a solve's call number ``call``."""
    return splitmix64(key, call)


@compiled
def sor_sweep(indptr, indices, data, relax, keep, b, x, mode, significand_bits, emin_field,
              key):
    """One forward SOR sweep over x in place (see the module doc for the operations)."""
    c = 0
    for i in range(x.size):
        s = b[i]
        for k in range(indptr[i], indptr[i + 1]):
            p = rounded(data[k] * x[indices[k]], mode, significand_bits, emin_field, key, c)
            s = rounded(s - p, mode, significand_bits, emin_field, key, c + 1)
            c += 2
        kept = rounded(keep * x[i], mode, significand_bits, emin_field, key, c)
        update = rounded(relax[i] * s, mode, significand_bits, emin_field, key, c + 1)
        x[i] = rounded(kept + update, mode, significand_bits, emin_field, key, c + 2)
        c += 3


@compiled
def residual(indptr, indices, data, diag, b, x, r, mode, significand_bits, emin_field, key):
    """r = b - A x in the format; returns sum r_i^2 (float64)."""
    c = 0
    total = 0.0
    for i in range(x.size):
        p = rounded(diag[i] * x[i], mode, significand_bits, emin_field, key, c)
        s = rounded(b[i] - p, mode, significand_bits, emin_field, key, c + 1)
        c += 2
        for k in range(indptr[i], indptr[i + 1]):
            p = rounded(data[k] * x[indices[k]], mode, significand_bits, emin_field, key, c)
            s = rounded(s - p, mode, significand_bits, emin_field, key, c + 1)
            c += 2
        r[i] = s
        total += s * s
    return total


@compiled
def matvec(indptr, indices, data, diag, p, q, mode, significand_bits, emin_field, key):
    """q = A p in the format."""
    c = 0
    for i in range(p.size):
        s = rounded(diag[i] * p[i], mode, significand_bits, emin_field, key, c)
        c += 1
        for k in range(indptr[i], indptr[i + 1]):
            t = rounded(data[k] * p[indices[k]], mode, significand_bits, emin_field, key, c)
            s = rounded(s + t, mode, significand_bits, emin_field, key, c + 1)
            c += 2
        q[i] = s


@compiled
def ssor_apply(indptr, indices, split, scaled, dinv, scale, r, z, mode, significand_bits,
               emin_field, key):
    """z = M^-1 r for the SSOR preconditioner; ``scaled`` holds l_ij = fl(omega a_ij / a_ii)
    and ``split[i]`` is the first entry of row i right of the diagonal."""
    c = 0
    n = r.size
    for i in range(n):
        s = rounded(dinv[i] * r[i], mode, significand_bits, emin_field, key, c)
        c += 1
        for k in range(indptr[i], split[i]):
            p = rounded(scaled[k] * z[indices[k]], mode, significand_bits, emin_field, key, c)
            s = rounded(s - p, mode, significand_bits, emin_field, key, c + 1)
            c += 2
        z[i] = s
    for i in range(n - 1, -1, -1):
        s = z[i]
        for k in range(split[i], indptr[i + 1]):
            p = rounded(scaled[k] * z[indices[k]], mode, significand_bits, emin_field, key, c)
            s = rounded(s - p, mode, significand_bits, emin_field, key, c + 1)
            c += 2
        z[i] = s
    for i in range(n):
        z[i] = rounded(scale * z[i], mode, significand_bits, emin_field, key, c + i)


@compiled
def dot(x, y, mode, significand_bits, emin_field, key):
    """sum x_i y_i accumulated in float64, rounded once."""
    total = 0.0
    for i in range(x.size):
        total += x[i] * y[i]
    return rounded(total, mode, significand_bits, emin_field, key, 0)


@compiled
def sum_of_squares(x):
    total = 0.0
    for i in range(x.size):
        total += x[i] * x[i]
    return total


@inlined
def stagnating(relative, best, since, window):
    """(new best, iterations since it, whether ``window`` iterations passed without one)."""
    if relative < best:
        return relative, 0, False
    since += 1
    return best, since, window > 0 and since >= window


@compiled
def sor_iterate(indptr, indices, data, diag, relax, keep, b, x, r, best_x, tol,
                max_iterations, window, mode, significand_bits, emin_field, key):
    """SOR sweeps on x in place until ||r_k|| / ||r_0|| < tol (r = b - A x in the format).

    Returns (iterations, final relative residual, status). ``window`` > 0 also stops when
    the residual has not reached a new minimum for that many sweeps (STAGNATED), and then
    leaves in x the iterate with the smallest residual (kept in ``best_x``).
    """
    initial = math.sqrt(residual(indptr, indices, data, diag, b, x, r, mode,
                                 significand_bits, emin_field, subkey(key, 0)))
    if initial == 0.0:
        return 0, 0.0, CONVERGED
    if not math.isfinite(initial):
        return 0, initial, NONFINITE
    best, since, relative = math.inf, 0, 1.0
    for k in range(1, max_iterations + 1):
        sor_sweep(indptr, indices, data, relax, keep, b, x, mode, significand_bits,
                  emin_field, subkey(key, 2 * k - 1))
        relative = math.sqrt(residual(indptr, indices, data, diag, b, x, r, mode,
                                      significand_bits, emin_field, subkey(key, 2 * k))) / initial
        if relative < tol:
            return k, relative, CONVERGED
        if not math.isfinite(relative):
            return k, relative, NONFINITE
        if window > 0:
            best, since, stalled = stagnating(relative, best, since, window)
            if since == 0:
                best_x[:] = x
            elif stalled:
                x[:] = best_x
                return k, best, STAGNATED
    return max_iterations, relative, CAPPED


@compiled
def pcg_iterate(indptr, indices, data, diag, split, scaled, dinv, scale, b, x, r, z, p, q,
                best_x, tol, max_iterations, window, mode, significand_bits, emin_field, key):
    """Preconditioned CG (Hestenes & Stiefel 1952) with the SSOR preconditioner, on x in
    place, until ||r_k|| <= tol ||b||, counted as MATLAB's pcg counts.

    The recurrence residual is checked first; when it passes, the true residual b - A x is
    computed (in the format) and must pass too, else it replaces the recurrence residual and
    the iteration goes on (as MATLAB's pcg does). Returns (iterations, ||r|| / ||b||,
    status); a non-positive p^T A p or a zero r^T z ends the solve (BREAKDOWN). ``window``
    > 0 stops as in `sor_iterate` (on the recurrence residual) and leaves the best iterate.
    """
    call = 0
    b_norm = math.sqrt(sum_of_squares(b))
    if b_norm == 0.0:
        x[:] = 0.0
        return 0, 0.0, CONVERGED
    threshold = tol * b_norm
    r_norm = math.sqrt(residual(indptr, indices, data, diag, b, x, r, mode, significand_bits,
                                emin_field, subkey(key, call)))
    call += 1
    if r_norm <= threshold:
        return 0, r_norm / b_norm, CONVERGED
    if not math.isfinite(r_norm):
        return 0, r_norm, NONFINITE
    rho_old = 1.0
    best, since = math.inf, 0
    for k in range(1, max_iterations + 1):
        ssor_apply(indptr, indices, split, scaled, dinv, scale, r, z, mode, significand_bits,
                   emin_field, subkey(key, call))
        rho = dot(r, z, mode, significand_bits, emin_field, subkey(key, call + 1))
        call += 2
        if k == 1:
            p[:] = z
        else:
            beta = rounded(rho / rho_old, mode, significand_bits, emin_field,
                           subkey(key, call), 0)
            step_key = subkey(key, call + 1)
            call += 2
            for i in range(p.size):
                t = rounded(beta * p[i], mode, significand_bits, emin_field, step_key, 2 * i)
                p[i] = rounded(z[i] + t, mode, significand_bits, emin_field, step_key, 2 * i + 1)
        matvec(indptr, indices, data, diag, p, q, mode, significand_bits, emin_field,
               subkey(key, call))
        pq = dot(p, q, mode, significand_bits, emin_field, subkey(key, call + 1))
        call += 2
        if not (math.isfinite(pq) and math.isfinite(rho)):
            return k, math.nan, NONFINITE
        if pq <= 0.0 or rho == 0.0:
            return k, r_norm / b_norm, BREAKDOWN
        alpha = rounded(rho / pq, mode, significand_bits, emin_field, subkey(key, call), 0)
        step_key = subkey(key, call + 1)
        call += 2
        for i in range(x.size):
            t = rounded(alpha * p[i], mode, significand_bits, emin_field, step_key, 4 * i)
            x[i] = rounded(x[i] + t, mode, significand_bits, emin_field, step_key, 4 * i + 1)
            t = rounded(alpha * q[i], mode, significand_bits, emin_field, step_key, 4 * i + 2)
            r[i] = rounded(r[i] - t, mode, significand_bits, emin_field, step_key, 4 * i + 3)
        r_norm = math.sqrt(sum_of_squares(r))
        if not math.isfinite(r_norm):
            return k, r_norm, NONFINITE
        if r_norm <= threshold:
            true_norm = math.sqrt(residual(indptr, indices, data, diag, b, x, z, mode,
                                           significand_bits, emin_field, subkey(key, call)))
            call += 1
            if true_norm <= threshold:
                return k, true_norm / b_norm, CONVERGED
            r[:] = z
            r_norm = true_norm
        if window > 0:
            best, since, stalled = stagnating(r_norm / b_norm, best, since, window)
            if since == 0:
                best_x[:] = x
            elif stalled:
                x[:] = best_x
                return k, best, STAGNATED
        rho_old = rho
    return max_iterations, r_norm / b_norm, CAPPED
