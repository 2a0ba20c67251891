"""Fused arithmetic: ``a op b`` computed in float64 and rounded to a format in one pass.

The emulated array type would otherwise run NumPy's ufunc and then a second rounding pass
over the result; for the four basic operations, which dominate model code, one compiled loop
does both while the value is still in a register. Results are bit-identical to the two-pass
path: the same float64 operation, then the same rounding, with stochastic element i (in C
order of the result) drawing SplitMix64(key, i) as in `pipeline.precision.rounding`.

Only float64 operands of up to three dimensions (after broadcasting) and a float64 result are
fused; everything else takes the two-pass path.
"""

from __future__ import annotations

import operator

import numpy as np

from pipeline.precision.formats import NumberFormat
from pipeline.precision.rounding import _kernel_arguments, draw_key, kernel_constants, numba_kernels

OPERATIONS = {
    np.add: operator.add,
    np.subtract: operator.sub,
    np.multiply: operator.mul,
    np.true_divide: operator.truediv,
}
_FUSED = None


def _make_fused_kernels():
    import numba
    from llvmlite import ir
    from numba.core import types
    from numba.extending import intrinsic

    parts = numba_kernels(parts=True)
    normal_path, rare_case, splitmix64 = parts["normal_path"], parts["rare_case"], parts["splitmix64"]
    constants, finish_rare = parts["constants"], parts["finish_rare"]

    @intrinsic
    def float_bits(typingctx, value):
        """Reinterpret a float64 as its uint64 bit pattern (an LLVM bitcast)."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(64))
        return types.uint64(types.float64), codegen

    @intrinsic
    def bits_float(typingctx, value):
        """Reinterpret a uint64 bit pattern as a float64 (an LLVM bitcast)."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.DoubleType())
        return types.float64(types.uint64), codegen

    def make(operation, stochastic, left_scalar, right_scalar):
        # Operands are either scalars or "row-contiguous" arrays given as a flat contiguous
        # span plus row strides in elements, so that the inner loop has unit stride and
        # vectorises; which is which is fixed at compile time.
        # error_model="numpy": x / 0 gives inf or NaN as in NumPy, not ZeroDivisionError.
        @numba.njit(nogil=True, cache=True, error_model="numpy")
        def fused(a, a_strides, b, b_strides, out, out_strides, shape, significand_bits,
                  emin_field, largest_bits, key):
            shift, top_shift, mask, half_below, lsb, lowest = constants(
                significand_bits, emin_field)
            zero = np.uint64(0)
            n0, n1, n2 = shape[0], shape[1], shape[2]
            rare = 0
            for i in range(n0):
                for j in range(n1):
                    base = (i * n1 + j) * n2
                    # Row slices (not offsets into the flat spans) let LLVM vectorise.
                    a_start = i * a_strides[0] + j * a_strides[1]
                    b_start = i * b_strides[0] + j * b_strides[1]
                    out_start = i * out_strides[0] + j * out_strides[1]
                    a_row = a if left_scalar else a[a_start:a_start + n2]
                    b_row = b if right_scalar else b[b_start:b_start + n2]
                    out_row = out[out_start:out_start + n2]
                    for k in range(n2):
                        left = a_row[0] if left_scalar else a_row[k]
                        right = b_row[0] if right_scalar else b_row[k]
                        value, normal = normal_path(
                            float_bits(operation(left, right)), base + k, stochastic, key,
                            shift, top_shift, mask, half_below, lsb, lowest, largest_bits,
                        )
                        out_row[k] = bits_float(value)
                        rare += not normal
            if rare:
                for i in range(n0):
                    for j in range(n1):
                        base = (i * n1 + j) * n2
                        out_row = i * out_strides[0] + j * out_strides[1]
                        for k in range(n2):
                            bits = float_bits(out[out_row + k])
                            magnitude = bits & np.uint64(0x7FFFFFFFFFFFFFFF)
                            if (magnitude < lowest and magnitude != 0) or magnitude >= np.uint64(
                                0x7FF0000000000000
                            ):
                                u = splitmix64(key, base + k) if stochastic else zero
                                out[out_row + k] = bits_float(
                                    rare_case(bits, significand_bits, emin_field, stochastic, u)
                                )

        return fused

    def make_flat(operation, stochastic, left_scalar, right_scalar):
        @numba.njit(nogil=True, cache=True, error_model="numpy")
        def fused_flat(a, b, out, significand_bits, emin_field, largest_bits, key):
            shift, top_shift, mask, half_below, lsb, lowest = constants(
                significand_bits, emin_field)
            zero = np.uint64(0)
            rare = 0
            for k in range(out.size):
                left = a[0] if left_scalar else a[k]
                right = b[0] if right_scalar else b[k]
                value, normal = normal_path(
                    float_bits(operation(left, right)), k, stochastic, key, shift, top_shift,
                    mask, half_below, lsb, lowest, largest_bits,
                )
                out[k] = bits_float(value)
                rare += not normal
            if rare:
                finish_rare(out.view(np.uint64), significand_bits, emin_field, stochastic, key)

        return fused_flat

    flat = {
        (ufunc, stochastic, left_scalar, right_scalar): make_flat(
            python_operation, stochastic, left_scalar, right_scalar)
        for ufunc, python_operation in OPERATIONS.items()
        for stochastic in (False, True)
        for left_scalar in (False, True)
        for right_scalar in (False, True)
    }
    return flat, {
        (ufunc, stochastic, left_scalar, right_scalar): make(
            python_operation, stochastic, left_scalar, right_scalar)
        for ufunc, python_operation in OPERATIONS.items()
        for stochastic in (False, True)
        for left_scalar in (False, True)
        for right_scalar in (False, True)
    }


def fused_kernels(flat: bool = False):
    """The compiled kernels (strided, or ``flat`` for contiguous operands), or False when
    numba is unavailable or disabled."""
    global _FUSED
    if _FUSED is None:
        _FUSED = _make_fused_kernels() if numba_kernels() else False
    if not _FUSED:
        return False
    return _FUSED[0] if flat else _FUSED[1]


def _flat_operand(x):
    """(1-D float64 array, is_scalar) for a contiguous array or a Python/NumPy float."""
    if type(x) is float:
        return np.full(1, x), True
    if type(x) is np.ndarray and x.dtype == np.float64 and x.flags.c_contiguous:
        if x.size == 1:
            return x.reshape(1), True
        return x.reshape(-1), False
    return None, False


def fused_flat(ufunc, left, right, fmt: NumberFormat, rng):
    """The common case of `fused_operation` with little Python overhead: C-contiguous
    operands of one shape (or a scalar), no ``out``. None when it does not apply."""
    if ufunc not in OPERATIONS or fmt.is_float64:
        return None
    a, left_scalar = _flat_operand(left)
    b, right_scalar = _flat_operand(right)
    if a is None or b is None or (left_scalar and right_scalar):
        return None
    shape = right.shape if left_scalar else left.shape
    if not (left_scalar or right_scalar) and left.shape != right.shape:
        return None
    kernels = fused_kernels(flat=True)
    if not kernels:
        return None
    out = np.empty(shape, dtype=np.float64)
    key = draw_key(rng) if fmt.stochastic else None
    kernels[ufunc, key is not None, left_scalar, right_scalar](
        a, b, out.reshape(-1), *_kernel_arguments(fmt), np.uint64(0 if key is None else key))
    return out


def _operand(array: np.ndarray, shape: tuple, writeable: bool = False):
    """(flat contiguous span, row strides in elements, is_scalar) for an operand broadcast
    to the 3-D ``shape``, or None when its rows are not contiguous. Inputs come back
    read-only (one kernel type for all of them); the output writeable."""
    if array.size == 1 and not writeable:
        return np.broadcast_to(array.reshape(1), (1,)), np.zeros(2, dtype=np.int64), True
    view = array[(np.newaxis,) * (3 - array.ndim)]  # a view, never a copy
    if not writeable:
        view = np.broadcast_to(view, shape)
    if view.strides[2] != 8 and shape[2] > 1:
        return None
    if any(stride < 0 or stride % 8 for stride in view.strides[:2]):
        return None
    rows = np.array(view.strides[:2], dtype=np.int64) // 8
    span = int(np.dot(np.array(shape[:2]) - 1, rows)) + shape[2]
    flat = np.lib.stride_tricks.as_strided(view, shape=(span,), strides=(8,),
                                           writeable=writeable)
    return flat, rows, False


def fused_operation(ufunc, left, right, fmt: NumberFormat, rng, out=None):
    """``ufunc(left, right)`` rounded to ``fmt`` in one pass, or None if it cannot be fused.

    ``left`` and ``right`` are plain ndarrays or scalars; ``out`` a plain float64 ndarray that
    overlaps neither operand unless it is exactly one of them. The stochastic key is drawn
    from ``rng`` only when the fused loop runs, so the two-pass path draws the same keys.
    """
    kernels = fused_kernels()
    if not kernels or ufunc not in OPERATIONS or fmt.is_float64:
        return None
    a, b = np.asarray(left), np.asarray(right)
    if a.dtype != np.float64 or b.dtype != np.float64:
        return None
    try:
        shape = np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return None  # let NumPy raise its own shape error
    if len(shape) > 3:
        return None
    shape3 = (1,) * (3 - len(shape)) + tuple(shape)
    if out is None:
        out = np.empty(shape, dtype=np.float64)
    elif out.shape != shape or out.dtype != np.float64 or any(
        np.may_share_memory(out, operand) and not _same_view(out, np.broadcast_to(operand, shape))
        for operand in (a, b)
    ):
        return None
    operands = [_operand(a, shape3), _operand(b, shape3), _operand(out, shape3, writeable=True)]
    if any(operand is None for operand in operands) or out.size == 0:
        return None
    (left, left_rows, left_scalar), (right, right_rows, right_scalar), (target, target_rows, _) = operands
    key = draw_key(rng) if fmt.stochastic else None
    _, emin_field, largest_bits, _ = kernel_constants(fmt)
    kernels[ufunc, key is not None, left_scalar, right_scalar](
        left, left_rows, right, right_rows, target, target_rows, np.array(shape3, dtype=np.int64),
        fmt.significand_bits, emin_field, np.uint64(largest_bits),
        np.uint64(0 if key is None else key),
    )
    return out


def _same_view(x: np.ndarray, y: np.ndarray) -> bool:
    return (x.__array_interface__["data"][0] == y.__array_interface__["data"][0]
            and x.strides == y.strides and x.shape == y.shape)
