"""The compiled (numba) rounding kernels: rounding in place and fused ``a op b`` loops.

Everything here is defined once, at module level, so that numba's on-disk cache
(``cache=True``) finds it again in every new process. (Kernels built as closures over other
compiled functions hash differently in each process: numba pickles a closure's cells into its
cache key, and a dispatcher object does not pickle stably. Every process recompiled them,
about 5 s each, and the cache grew by one copy per process.) The only closures left, the
fused loops of `make_fused`, capture a builtin operator and booleans, which pickle stably.

The rounding rule and its random bits are those of `pipeline.precision.rounding`; the NumPy
reference path there gives bit-identical results (tests check it). A format reaches a
kernel as its significand bits M and ``emin_field`` = emin + 1023, the biased float64
exponent of its smallest normal number; the rest is derived:

    dropped bits k = 52 - M,   largest finite pattern = (2047 - emin_field) << 52 | fraction
    bits above the k dropped ones   (emax + 1023 = 2047 - emin_field since emax = 1 - emin).

Loops run in two passes: a first one written with selects, not branches, so that LLVM
vectorises it, which rounds every result whose target is normal (or zero) and counts the
others; a second pass, only when that count is not zero, rounds NaN, infinities and results
in the target's subnormal range (`rare_case`).
"""

from __future__ import annotations

import math
import operator

import numba
import numpy as np
from llvmlite import ir
from numba.core import types
from numba.extending import intrinsic

from pipeline.precision.rounding import (ABS, FRACTION, GOLDEN_GAMMA, IMPLICIT, INF, MIX1, MIX2,
                                         SIGN)

compiled = numba.njit(cache=True, nogil=True, error_model="numpy")
inlined = numba.njit(cache=True, nogil=True, inline="always")


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


@inlined
def splitmix64(key, i):
    """SplitMix64 of element i under ``key`` (Steele, Lea & Flood 2014)."""
    z = key + np.uint64(i + 1) * GOLDEN_GAMMA
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


@compiled
def rare_case(b, significand_bits, emin_field, stochastic, u):
    """Bit pattern for NaN/inf (unchanged) or a result in the subnormal range.

    The result is the multiple q of 2**(emin - M) nearest to (or stochastically next to)
    |x|; its float64 pattern is built from q directly (q < 2**(M + 1), so exact).
    """
    one = np.uint64(1)
    magnitude = b & ABS
    field = magnitude >> np.uint64(52)
    if field == np.uint64(2047):
        return b
    significand = magnitude & FRACTION
    exponent_field = np.int64(1)
    if field > 0:
        significand |= IMPLICIT
        exponent_field = np.int64(field)
    shift = np.int64(52 - significand_bits) + (np.int64(emin_field) - exponent_field)
    quotient = np.uint64(0)
    if shift < 64:
        k = np.uint64(shift)
        quotient = significand >> k
        dropped = significand & ((one << k) - one)
        if stochastic:
            if (u >> (np.uint64(64) - k)) < dropped:
                quotient += one
        else:
            half = one << (k - one)
            if dropped > half or (dropped == half and quotient & one):
                quotient += one
    elif stochastic and shift < 128:
        if u < (significand >> np.uint64(shift - 64)):
            quotient += one
    sign = b & SIGN
    if quotient == 0:
        return sign
    if emin_field == 1:
        # Target shares float64's emin: its subnormals are float64 subnormals.
        return sign | (quotient << np.uint64(52 - significand_bits))
    leading = np.int64(math.frexp(np.float64(quotient))[1] - 1)
    exponent = np.int64(emin_field) - significand_bits + leading
    fraction = (quotient << np.uint64(52 - leading)) & FRACTION
    return sign | (np.uint64(exponent) << np.uint64(52)) | fraction


@inlined
def constants(significand_bits, emin_field):
    """(k, 63 - k, dropped-bit mask, half a unit less one, lsb mask, smallest normal
    pattern, largest finite pattern) for dropping k = 52 - M bits."""
    one = np.uint64(1)
    zero = np.uint64(0)
    dropped_bits = 52 - significand_bits
    shift = np.uint64(dropped_bits)
    top_shift = np.uint64(63 - dropped_bits)
    mask = (one << shift) - one
    half_below = ((one << shift) >> one) - one if dropped_bits > 0 else zero
    lsb = one if dropped_bits > 0 else zero
    lowest = np.uint64(emin_field) << np.uint64(52)
    largest = (np.uint64(2047 - emin_field) << np.uint64(52)) | (FRACTION & ~mask)
    return shift, top_shift, mask, half_below, lsb, lowest, largest


@inlined
def normal_path(b, i, stochastic, key, shift, top_shift, mask, half_below, lsb, lowest,
                largest_bits):
    """Rounded pattern of b, and whether the result is normal (else b comes back).

    Written with selects, not branches, so that loops over it vectorise: add just under
    half a unit plus the kept lsb (ties to even), or a uniform k-bit integer, then clear
    the k dropped bits.
    """
    one = np.uint64(1)
    magnitude = b & ABS
    if stochastic:
        increment = (splitmix64(key, i) >> top_shift) >> one
    else:
        increment = half_below + ((magnitude >> shift) & lsb)
    r = (magnitude + increment) & ~mask
    r = INF if r > largest_bits else r
    # Zero is common (flat fields, exact cancellation) and the path above keeps it.
    normal = ((magnitude >= lowest) | (magnitude == 0)) & (magnitude < INF)
    return ((r | (b & SIGN)) if normal else b), normal


@inlined
def round_scalar(x, significand_bits, emin_field, stochastic, u):
    """One float64 value ``x`` rounded to the format (M = ``significand_bits``, emin_field =
    emin + 1023): to nearest, ties to even, or with ``stochastic`` up with probability equal
    to the dropped fraction, ``u`` being the element's 64 random bits (e.g.
    ``splitmix64(key, i)``). For compiled loops elsewhere (solver sweeps) that round as the
    array type does; a loop over arrays vectorises better with `normal_path`."""
    shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
        significand_bits, emin_field)
    b = float_bits(x)
    magnitude = b & ABS
    if ((magnitude >= lowest) | (magnitude == 0)) & (magnitude < INF):
        if stochastic:
            increment = (u >> top_shift) >> np.uint64(1)
        else:
            increment = half_below + ((magnitude >> shift) & lsb)
        r = (magnitude + increment) & ~mask
        r = INF if r > largest else r
        return bits_float(r | (b & SIGN))
    return bits_float(rare_case(b, significand_bits, emin_field, stochastic, u))


@inlined
def round_scalar_wide(x, significand_bits, stochastic, u):
    """`round_scalar` for a format with float64's exponent range (emin_field = 1, the e11
    formats), bit for bit the same, in fewer dependent steps.

    With no exponent to clamp, the whole pattern rounds as one integer: adding the increment
    to the sign-magnitude pattern carries into the exponent exactly when the significand
    rounds up (up to infinity past the largest finite number), and a float64 subnormal is a
    target subnormal whose dropped bits round the same way, to nearest. Left to
    `rare_case`: NaN (whose payload an increment could carry into the sign) and, under
    stochastic rounding, subnormals, which that path rounds by comparing the random bits
    with the dropped ones rather than by the carry.
    """
    one = np.uint64(1)
    dropped_bits = 52 - significand_bits
    if dropped_bits == 0:
        return x
    shift = np.uint64(dropped_bits)
    mask = (one << shift) - one
    b = float_bits(x)
    if stochastic:
        increment = (u >> np.uint64(63 - dropped_bits)) >> one
    else:
        increment = (mask >> one) + ((b >> shift) & one)
    rounded = (b + increment) & ~mask
    magnitude = b & ABS
    if magnitude > INF or (stochastic and magnitude < IMPLICIT and magnitude != 0):
        return bits_float(rare_case(b, significand_bits, 1, stochastic, u))
    return bits_float(rounded)


@compiled
def finish_rare(values, significand_bits, emin_field, stochastic, key):
    """Second pass over NaN, inf and subnormal results (float64, 1-D), which the first left
    unchanged. Normal-path results are never rare except infinity, which stays unchanged."""
    lowest = np.uint64(emin_field) << np.uint64(52)
    for i in range(values.size):
        b = float_bits(values[i])
        magnitude = b & ABS
        if (magnitude < lowest and magnitude != 0) or magnitude >= INF:
            u = splitmix64(key, i) if stochastic else np.uint64(0)
            values[i] = bits_float(rare_case(b, significand_bits, emin_field, stochastic, u))


@inlined
def _round_loop(source, target, significand_bits, emin_field, stochastic, key):
    shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
        significand_bits, emin_field)
    rare = 0
    for i in range(source.size):
        value, normal = normal_path(float_bits(source[i]), i, stochastic, key, shift, top_shift,
                                    mask, half_below, lsb, lowest, largest)
        target[i] = bits_float(value)
        rare += not normal
    if rare:
        finish_rare(target, significand_bits, emin_field, stochastic, key)


# In place, one array is read and written: LLVM's alias check between two arrays would
# otherwise see the overlap and fall back to a scalar loop. Each takes 1-D C-contiguous
# float64 arrays, M and emin_field as int64 and the key as uint64.
@compiled
def round_nearest_inplace(values, significand_bits, emin_field):
    _round_loop(values, values, significand_bits, emin_field, False, np.uint64(0))


@compiled
def round_stochastic_inplace(values, significand_bits, emin_field, key):
    _round_loop(values, values, significand_bits, emin_field, True, key)


@compiled
def round_nearest_into(source, target, significand_bits, emin_field):
    _round_loop(source, target, significand_bits, emin_field, False, np.uint64(0))


@compiled
def round_stochastic_into(source, target, significand_bits, emin_field, key):
    _round_loop(source, target, significand_bits, emin_field, True, key)


# --- fused a op b -------------------------------------------------------------------------

OPERATORS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
             np.true_divide: operator.truediv}


def make_flat(operation, stochastic, left_scalar, right_scalar):
    """``out[k] = round(a[k] op b[k])`` over 1-D C-contiguous float64 arrays, either operand
    a float64 scalar instead; ``key`` (uint64) is ignored under round to nearest."""

    @compiled
    def fused_flat(a, b, out, significand_bits, emin_field, key):
        shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
            significand_bits, emin_field)
        rare = 0
        for k in range(out.size):
            if left_scalar:
                left = a
            else:
                left = a[k]
            if right_scalar:
                right = b
            else:
                right = b[k]
            value, normal = normal_path(float_bits(operation(left, right)), k, stochastic, key,
                                        shift, top_shift, mask, half_below, lsb, lowest, largest)
            out[k] = bits_float(value)
            rare += not normal
        if rare:
            finish_rare(out, significand_bits, emin_field, stochastic, key)

    return fused_flat


def make_strided(operation, stochastic, left_scalar, right_scalar):
    """``out = round(a op b)`` over operands broadcast to a 3-D shape whose rows are
    contiguous, each given as a flat span plus row strides in elements (so that the inner
    loop has unit stride and vectorises); element i of the result in C order draws
    SplitMix64(key, i)."""

    @compiled
    def fused_strided(a, a_strides, b, b_strides, out, out_strides, shape, significand_bits,
                      emin_field, key):
        shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
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
                        shift, top_shift, mask, half_below, lsb, lowest, largest,
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
                        magnitude = bits & ABS
                        if (magnitude < lowest and magnitude != 0) or magnitude >= INF:
                            u = splitmix64(key, base + k) if stochastic else zero
                            out[out_row + k] = bits_float(
                                rare_case(bits, significand_bits, emin_field, stochastic, u))

    return fused_strided


FLAT = {(ufunc, stochastic, left_scalar, right_scalar):
        make_flat(operation, stochastic, left_scalar, right_scalar)
        for ufunc, operation in OPERATORS.items() for stochastic in (False, True)
        for left_scalar in (False, True) for right_scalar in (False, True)
        if not (left_scalar and right_scalar)}
STRIDED = {(ufunc, stochastic, left_scalar, right_scalar):
           make_strided(operation, stochastic, left_scalar, right_scalar)
           for ufunc, operation in OPERATORS.items() for stochastic in (False, True)
           for left_scalar in (False, True) for right_scalar in (False, True)}
