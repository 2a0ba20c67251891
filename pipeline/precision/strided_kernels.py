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
path's. The key comes as the kernels of that module take it (`stream_key`).
"""

from __future__ import annotations

import numba
import numpy as np

from pipeline.precision.kernels import (ABS, GOLDEN_GAMMA, INF, OPERATORS, bits_float,
                                        constants, float_bits, normal_path, rare_case,
                                        splitmix64, splitmix64_state, stream_key)

SIGNATURE = "void(float64[:, :], float64[:, :], float64[:, :], int64, int64, int64, int64)"


def make_fused_2d(operation, stochastic):
    """``out[i, j] = round(a[i, j] op b[i, j])``; ``out`` may be ``a`` or ``b`` itself
    (an in-place update) but must not overlap them otherwise.

    When every operand's rows are contiguous (the usual views: ``T[:, 1:]``,
    ``T[:, 1:-1]``) the loop runs over row views after a test of the strides, which tells
    LLVM the inner stride, so it vectorises (the general loop reads a stride it cannot know
    and stays scalar); an in-place update reads and writes one row view, so no runtime
    overlap test sends the loop back to scalar code. Every path computes each element
    alike, so the results are the same bits.
    """

    @numba.njit(SIGNATURE, cache=True, nogil=True, error_model="numpy")
    def fused_2d(a, b, out, significand_bits, emin_field, key_source, key_function):
        key = stream_key(key_source, key_function) if stochastic else np.uint64(0)
        shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
            significand_bits, emin_field)
        n0, n1 = out.shape
        rare = 0
        unit = a.strides[1] == 8 and b.strides[1] == 8 and out.strides[1] == 8
        same_a = a.ctypes.data == out.ctypes.data and a.strides[0] == out.strides[0]
        same_b = b.ctypes.data == out.ctypes.data and b.strides[0] == out.strides[0]
        if unit and same_a:  # out = a op b, in place of a
            for i in range(n0):
                row, b_row = out[i], b[i]
                state = splitmix64_state(key, i * n1)
                for j in range(n1):
                    value, normal = normal_path(float_bits(operation(row[j], b_row[j])),
                                                state, stochastic, shift, top_shift,
                                                mask, half_below, lsb, lowest, largest)
                    row[j] = bits_float(value)
                    rare += not normal
                    state += GOLDEN_GAMMA
        elif unit and same_b:  # in place of b
            for i in range(n0):
                a_row, row = a[i], out[i]
                state = splitmix64_state(key, i * n1)
                for j in range(n1):
                    value, normal = normal_path(float_bits(operation(a_row[j], row[j])),
                                                state, stochastic, shift, top_shift,
                                                mask, half_below, lsb, lowest, largest)
                    row[j] = bits_float(value)
                    rare += not normal
                    state += GOLDEN_GAMMA
        elif unit:
            for i in range(n0):
                a_row, b_row, out_row = a[i], b[i], out[i]
                state = splitmix64_state(key, i * n1)
                for j in range(n1):
                    value, normal = normal_path(float_bits(operation(a_row[j], b_row[j])),
                                                state, stochastic, shift, top_shift,
                                                mask, half_below, lsb, lowest, largest)
                    out_row[j] = bits_float(value)
                    rare += not normal
                    state += GOLDEN_GAMMA
        else:
            for i in range(n0):
                state = splitmix64_state(key, i * n1)
                for j in range(n1):
                    value, normal = normal_path(float_bits(operation(a[i, j], b[i, j])),
                                                state, stochastic, shift, top_shift,
                                                mask, half_below, lsb, lowest, largest)
                    out[i, j] = bits_float(value)
                    rare += not normal
                    state += GOLDEN_GAMMA
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
