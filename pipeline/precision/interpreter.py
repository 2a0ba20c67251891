"""The compiled interpreter that runs traced steps (`pipeline.precision.tracing`).

A traced program is a table of instructions over one float64 arena that holds every array of
a step (state, constants, temporaries). Each instruction is one row of int64:

    [0] operation   [1] key slot (-1: not rounded)   [2:6] result shape n0..n3
    [6] result offset  [7:11] result strides   [11] a offset  [12:16] a strides
    [16] b offset  [17:21] b strides

with offsets and strides in elements of the arena (a stride of 0 broadcasts; a scalar is an
element of the arena with every stride 0). The result of a rounded instruction is a fresh
C-contiguous region, rounded after the operation in C order with the stochastic key
``keys[step, slot]``: exactly the rounding `pipeline.precision.array` does for the same
operation. One interpreter, compiled once and cached on disk, runs every program, so a new
program costs no compilation.
"""

from __future__ import annotations

import numba
import numpy as np

from pipeline.precision.kernels import (bits_float, constants, finish_rare, float_bits,
                                        normal_path, splitmix64_state)

ADD, SUBTRACT, MULTIPLY, DIVIDE, NEGATIVE, SQUARE, SQRT, ABSOLUTE, COPY = range(9)
COLUMNS = 21

compiled = numba.njit(cache=True, nogil=True, error_model="numpy")
inlined = numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")


@inlined
def _store(out, k, value, i, stochastic, key, c):
    """out[k] = value rounded (element i of its result); 1 when it is rare (NaN, infinite
    or subnormal in the format: left for the second pass), else 0."""
    bits, normal = normal_path(float_bits(value), splitmix64_state(key, i), stochastic, c[0],
                               c[1], c[2], c[3], c[4], c[5], c[6])
    out[k] = bits_float(bits)
    return 0 if normal else 1


@compiled
def _binary_row(op, m, n, d, a, as_, b, bs, i, stochastic, key, c):
    """m[d + k] = m[a + k as] op m[b + k bs] rounded (element i + k of a fresh result), for
    k < n; returns the number of rare results left for the second pass. Unit and zero
    strides get loops over slices of their own: with the offsets folded into the slices,
    LLVM sees indices that cannot be negative and vectorises the loops."""
    rare = 0
    out = m[d:d + n]
    if as_ == 1 and bs == 1:
        x, y = m[a:a + n], m[b:b + n]
        if op == ADD:
            for k in range(n):
                rare += _store(out, k, x[k] + y[k], i + k, stochastic, key, c)
        elif op == SUBTRACT:
            for k in range(n):
                rare += _store(out, k, x[k] - y[k], i + k, stochastic, key, c)
        elif op == MULTIPLY:
            for k in range(n):
                rare += _store(out, k, x[k] * y[k], i + k, stochastic, key, c)
        else:
            for k in range(n):
                rare += _store(out, k, x[k] / y[k], i + k, stochastic, key, c)
    elif as_ == 0 and bs == 1:
        x, y = m[a], m[b:b + n]
        if op == ADD:
            for k in range(n):
                rare += _store(out, k, x + y[k], i + k, stochastic, key, c)
        elif op == SUBTRACT:
            for k in range(n):
                rare += _store(out, k, x - y[k], i + k, stochastic, key, c)
        elif op == MULTIPLY:
            for k in range(n):
                rare += _store(out, k, x * y[k], i + k, stochastic, key, c)
        else:
            for k in range(n):
                rare += _store(out, k, x / y[k], i + k, stochastic, key, c)
    elif as_ == 1 and bs == 0:
        x, y = m[a:a + n], m[b]
        if op == ADD:
            for k in range(n):
                rare += _store(out, k, x[k] + y, i + k, stochastic, key, c)
        elif op == SUBTRACT:
            for k in range(n):
                rare += _store(out, k, x[k] - y, i + k, stochastic, key, c)
        elif op == MULTIPLY:
            for k in range(n):
                rare += _store(out, k, x[k] * y, i + k, stochastic, key, c)
        else:
            for k in range(n):
                rare += _store(out, k, x[k] / y, i + k, stochastic, key, c)
    else:
        for k in range(n):
            x, y = m[a + k * as_], m[b + k * bs]
            if op == ADD:
                value = x + y
            elif op == SUBTRACT:
                value = x - y
            elif op == MULTIPLY:
                value = x * y
            else:
                value = x / y
            rare += _store(out, k, value, i + k, stochastic, key, c)
    return rare


@compiled
def _unary_row(op, m, n, d, a, as_, i, stochastic, key, c):
    """m[d + k] = op(m[a + k as]) rounded (COPY: the value itself), as `_binary_row`."""
    rare = 0
    out = m[d:d + n]
    for k in range(n):
        x = m[a + k * as_]
        if op == NEGATIVE:
            value = -x
        elif op == SQUARE:
            value = x * x
        elif op == SQRT:
            value = np.sqrt(x)
        elif op == ABSOLUTE:
            value = abs(x)
        else:
            value = x
        rare += _store(out, k, value, i + k, stochastic, key, c)
    return rare


@compiled
def _copy_row(m, n, d, ds, a, as_):
    """m[d + k ds] = m[a + k as] for k < n (values moved, not rounded)."""
    if ds == 1 and as_ == 1:
        out, x = m[d:d + n], m[a:a + n]
        for k in range(n):
            out[k] = x[k]
    else:
        for k in range(n):
            m[d + k * ds] = m[a + k * as_]


@compiled
def execute(memory, code, keys, steps, significand_bits, emin_field, stochastic):
    """Run the instructions ``code`` ``steps`` times over ``memory``; step s rounds
    stochastically with the keys ``keys[s]``. A rounded result is rounded as it is
    computed, its rare elements (NaN, infinities, the format's subnormals) in a second pass
    over it, as `pipeline.precision.kernels` does. Every arithmetic result is rounded;
    only COPY (values moved) may be not."""
    c = constants(significand_bits, emin_field)
    for step in range(steps):
        for r in range(code.shape[0]):
            op = code[r, 0]
            slot = code[r, 1]
            key = keys[step, slot] if slot >= 0 else np.uint64(0)
            n0, n1, n2, n3 = code[r, 2], code[r, 3], code[r, 4], code[r, 5]
            d, d0, d1, d2, d3 = code[r, 6], code[r, 7], code[r, 8], code[r, 9], code[r, 10]
            a, a0, a1, a2, a3 = code[r, 11], code[r, 12], code[r, 13], code[r, 14], code[r, 15]
            b, b0, b1, b2, b3 = code[r, 16], code[r, 17], code[r, 18], code[r, 19], code[r, 20]
            rare = 0
            # A rounded result is a fresh C-contiguous region: element (i0, i1, i2, k) is
            # number ((i0 n1 + i1) n2 + i2) n3 + k of it, whatever the operands' strides.
            i = 0
            for i0 in range(n0):
                for i1 in range(n1):
                    for i2 in range(n2):
                        dp = d + i0 * d0 + i1 * d1 + i2 * d2
                        ap = a + i0 * a0 + i1 * a1 + i2 * a2
                        if op <= DIVIDE:
                            bp = b + i0 * b0 + i1 * b1 + i2 * b2
                            rare += _binary_row(op, memory, n3, dp, ap, a3, bp, b3, i,
                                                stochastic, key, c)
                        elif slot >= 0:
                            rare += _unary_row(op, memory, n3, dp, ap, a3, i, stochastic, key, c)
                        else:
                            _copy_row(memory, n3, dp, d3, ap, a3)
                        i += n3
            if rare:
                finish_rare(memory[d:d + n0 * n1 * n2 * n3], significand_bits, emin_field,
                            stochastic, key)
