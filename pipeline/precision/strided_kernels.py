"""Fused ``round(a op b)`` over two-dimensional operands of any strides, for small arrays.

The lean path of `pipeline.precision.array` computes and rounds ``a op b`` in one compiled
call when every operand is C-contiguous (`pipeline.precision.kernels.FLAT`). Column models
written on the array type take many views that are not: ``T[:, 1:] - T[:, :-1]`` (a vertical
difference over members x levels) or ``T[:, 1:-1] += flux`` (an update of the interior).
On arrays of a few hundred values the general path (a NumPy ufunc, then a rounding pass,
then a wrap) costs several microseconds of Python per operation; these kernels take the
views as they are, with the result written to a new C-ordered array or, for an in-place
update, straight into the target view.

Each kernel has one explicit signature with layout ``A`` (any strides), which numba's
dispatcher also accepts for C-contiguous arrays, so one compilation serves every layout
(numba would otherwise compile one specialisation per combination of layouts). The module
is imported on first use, not with the array type, so processes that never take such a view
do not load it.

Element (i, j) of the result is element k = i n1 + j in C order and draws SplitMix64(key, k)
under stochastic rounding, exactly as the rounding pass over a C-ordered result does
(`pipeline.precision.kernels._round_loop`), so results are bit-identical to the general
path's.
"""

from __future__ import annotations

import numba
import numpy as np

from pipeline.precision.kernels import (ABS, INF, OPERATORS, bits_float, constants, float_bits,
                                        normal_path, rare_case, splitmix64)

SIGNATURE = "void(float64[:, :], float64[:, :], float64[:, :], int64, int64, uint64)"


def make_fused_2d(operation, stochastic):
    """``out[i, j] = round(a[i, j] op b[i, j])``; ``out`` may be ``a`` or ``b`` itself
    (an in-place update) but must not overlap them otherwise."""

    @numba.njit(SIGNATURE, cache=True, nogil=True, error_model="numpy")
    def fused_2d(a, b, out, significand_bits, emin_field, key):
        shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
            significand_bits, emin_field)
        n0, n1 = out.shape
        rare = 0
        for i in range(n0):
            for j in range(n1):
                value, normal = normal_path(float_bits(operation(a[i, j], b[i, j])),
                                            i * n1 + j, stochastic, key, shift, top_shift,
                                            mask, half_below, lsb, lowest, largest)
                out[i, j] = bits_float(value)
                rare += not normal
        if rare:
            zero = np.uint64(0)
            for i in range(n0):
                for j in range(n1):
                    bits = float_bits(out[i, j])
                    magnitude = bits & ABS
                    if (magnitude < lowest and magnitude != 0) or magnitude >= INF:
                        u = splitmix64(key, i * n1 + j) if stochastic else zero
                        out[i, j] = bits_float(
                            rare_case(bits, significand_bits, emin_field, stochastic, u))

    return fused_2d


FUSED_2D = {(ufunc, stochastic): make_fused_2d(operation, stochastic)
            for ufunc, operation in OPERATORS.items() for stochastic in (False, True)}
