"""Fused arithmetic on large strided operands: ``a op b`` computed in float64 and rounded to
a format in one compiled pass (`pipeline.precision.kernels.STRIDED`).

For large arrays a second rounding pass over NumPy's result costs a second trip through
memory; for the four basic operations, which dominate model code, one loop does both while
the value is still in a register. Results are bit-identical to the two-pass path: the same
float64 operation, then the same rounding, with stochastic element i (in C order of the
result) drawing SplitMix64(key, i) as in `pipeline.precision.rounding`.

Only float64 operands of up to three dimensions (after broadcasting) whose rows are
contiguous, and a float64 result, are fused; everything else takes the two-pass path.
(Contiguous operands of one shape take the lean path of `pipeline.precision.array`.)
"""

from __future__ import annotations

import numpy as np

from pipeline.precision.formats import NumberFormat
from pipeline.precision.rounding import key_arguments, numba_kernels

OPERATIONS = (np.add, np.subtract, np.multiply, np.true_divide)


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
    kernels = numba_kernels()
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
    key_source, key_function = key_arguments(rng) if fmt.stochastic else (0, 0)
    kernels.STRIDED[ufunc, fmt.stochastic, left_scalar, right_scalar](
        left, left_rows, right, right_rows, target, target_rows, np.array(shape3, dtype=np.int64),
        fmt.significand_bits, fmt.emin + 1023, key_source, key_function,
    )
    return out


def _same_view(x: np.ndarray, y: np.ndarray) -> bool:
    return (x.__array_interface__["data"][0] == y.__array_interface__["data"][0]
            and x.strides == y.strides and x.shape == y.shape)
