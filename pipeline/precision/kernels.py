"""The compiled (numba) rounding kernels: rounding in place and fused ``a op b`` loops.

Everything here is defined once, at module level, so that numba's on-disk cache
(``cache=True``) finds it again in every new process. (Kernels built as closures over other
compiled functions hash differently in each process: numba pickles a closure's cells into its
cache key, and a dispatcher object does not pickle stably. Every process recompiled them,
about 5 s each, and the cache grew by one copy per process.) The only closures left, the
fused loops of `make_flat` and `make_strided`, capture a builtin operator and booleans,
which pickle stably. Numba stamps a cached kernel with its own file's hash only; the modules
that inline from this one (`strided_kernels`, `interpreter`, `pipeline.solvers.kernels`)
see an edit of it, or of the constants in `rounding`, through `pipeline.numba_cache`.

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

import pipeline.numba_cache  # noqa: F401  (before the first cached kernel)
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


@intrinsic
def next_uint64_at(typingctx, function, state):
    """``function(state)`` for a C function ``uint64_t (*)(void *)`` given by its address:
    NumPy's ``bitgen_t.next_uint64`` with its bit generator's state, both from
    ``BitGenerator.ctypes``, the interface NumPy provides for drawing from numba."""
    def codegen(context, builder, signature, args):
        pointer = ir.IntType(8).as_pointer()
        kind = ir.FunctionType(ir.IntType(64), [pointer])
        called = builder.inttoptr(args[0], kind.as_pointer())
        return builder.call(called, [builder.inttoptr(args[1], pointer)])
    return types.uint64(types.int64, types.int64), codegen


@inlined
def stream_key(key_source, key_function):
    """The key of one stochastic rounding from the two int64 a kernel is given in its
    place: with ``key_function`` not 0, the generator's next 64 bits, drawn here
    (``key_source`` the address of its state, `next_uint64_at`), the very bits its
    ``random_raw()`` would give (`pipeline.precision.rounding.key_arguments`); with
    ``key_function`` 0, ``key_source`` is a key drawn in Python, its 64 bits as an int64
    (`pipeline.precision.rounding.signed_key`)."""
    if key_function != 0:
        return next_uint64_at(key_function, key_source)
    return np.uint64(key_source)


@inlined
def splitmix64_state(key, i):
    """SplitMix64's counter for element i under ``key``: key + (i + 1) * gamma (mod 2**64).
    Consecutive elements' states differ by gamma, so a loop adds it instead of multiplying:
    a vectorised loop then computes the states with additions, where the product took
    three 32-bit vector multiplications per element (AVX2 has no 64-bit one); stochastic
    rounding's passes ran about 1.5 times faster for it, the same bits."""
    return key + np.uint64(i + 1) * GOLDEN_GAMMA


@inlined
def splitmix64_mix(z):
    """SplitMix64's output function of the counter state ``z``."""
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


@inlined
def splitmix64(key, i):
    """SplitMix64 of element i under ``key`` (Steele, Lea & Flood 2014)."""
    return splitmix64_mix(splitmix64_state(key, i))


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
def normal_path(b, state, stochastic, shift, top_shift, mask, half_below, lsb, lowest,
                largest_bits):
    """Rounded pattern of b, and whether the result is normal (else b comes back); under
    stochastic rounding ``state`` is the element's SplitMix64 counter state
    (`splitmix64_state`: key + (i + 1) * gamma for element i; unused to nearest).

    Written with selects, not branches, so that loops over it vectorise: add just under
    half a unit plus the kept lsb (ties to even), or a uniform k-bit integer, then clear
    the k dropped bits.
    """
    one = np.uint64(1)
    magnitude = b & ABS
    if stochastic:
        increment = (splitmix64_mix(state) >> top_shift) >> one
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
    state = splitmix64_state(key, 0)
    for i in range(source.size):
        value, normal = normal_path(float_bits(source[i]), state, stochastic, shift, top_shift,
                                    mask, half_below, lsb, lowest, largest)
        target[i] = bits_float(value)
        rare += not normal
        state += GOLDEN_GAMMA
    if rare:
        finish_rare(target, significand_bits, emin_field, stochastic, key)


# In place, one array is read and written: LLVM's alias check between two arrays would
# otherwise see the overlap and fall back to a scalar loop. Each takes 1-D C-contiguous
# float64 arrays, M and emin_field as int64 and, under stochastic rounding, where its key
# comes from as two int64 (`stream_key`; every kernel below that draws, draws once).
@compiled
def round_nearest_inplace(values, significand_bits, emin_field):
    _round_loop(values, values, significand_bits, emin_field, False, np.uint64(0))


@compiled
def round_stochastic_inplace(values, significand_bits, emin_field, key_source, key_function):
    _round_loop(values, values, significand_bits, emin_field, True,
                stream_key(key_source, key_function))


@compiled
def round_nearest_into(source, target, significand_bits, emin_field):
    _round_loop(source, target, significand_bits, emin_field, False, np.uint64(0))


@compiled
def round_stochastic_into(source, target, significand_bits, emin_field, key_source,
                          key_function):
    _round_loop(source, target, significand_bits, emin_field, True,
                stream_key(key_source, key_function))


@inlined
def _next_row(counter, base, outer_shape, outer_weights):
    """C-order index of the next memory row's first element: ``counter`` (the row's index
    over ``outer_shape``) advanced by one like an odometer, without integer divisions."""
    for axis in range(outer_shape.size - 1, -1, -1):
        counter[axis] += 1
        base += outer_weights[axis]
        if counter[axis] < outer_shape[axis]:
            return base
        base -= counter[axis] * outer_weights[axis]
        counter[axis] = 0
    return base


@compiled
def round_stochastic_permuted(values, outer_shape, outer_weights, inner_weight,
                              significand_bits, emin_field, key_source, key_function):
    """Stochastic rounding in place of a float64 array laid out densely in another axis order
    (as NumPy lays out results of operations on transposed operands), element by element as
    in a C-ordered copy: the element with C-order index i draws SplitMix64(key, i).

    ``values`` is the memory, 1-D, in memory order: rows of ``values.size // prod(outer_shape)``
    elements along the axis of unit stride (C-order weight ``inner_weight``), the rows
    numbered in C order over ``outer_shape`` (the other axes, by decreasing stride, with their
    C-order weights ``outer_weights``, int64). The inner loop has unit stride and vectorises;
    the copy and the copy back that rounding a C-ordered copy takes are saved."""
    key = stream_key(key_source, key_function)
    shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
        significand_bits, emin_field)
    rows = 1
    for extent in outer_shape:
        rows *= extent
    length = values.size // rows if rows else 0
    rare = 0
    counter = np.zeros(outer_shape.size, dtype=np.int64)
    base = 0
    step = np.uint64(inner_weight) * GOLDEN_GAMMA
    for block in range(rows):
        row = values[block * length:(block + 1) * length]
        state = splitmix64_state(key, base)
        for j in range(length):
            value, normal = normal_path(float_bits(row[j]), state, True, shift, top_shift,
                                        mask, half_below, lsb, lowest, largest)
            row[j] = bits_float(value)
            rare += not normal
            state += step
        base = _next_row(counter, base, outer_shape, outer_weights)
    if rare:
        counter[:] = 0
        base = 0
        for block in range(rows):
            for j in range(length):
                b = float_bits(values[block * length + j])
                magnitude = b & ABS
                if (magnitude < lowest and magnitude != 0) or magnitude >= INF:
                    values[block * length + j] = bits_float(rare_case(
                        b, significand_bits, emin_field, True,
                        splitmix64(key, base + j * inner_weight)))
            base = _next_row(counter, base, outer_shape, outer_weights)


# --- fused a op b -------------------------------------------------------------------------

OPERATORS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
             np.true_divide: operator.truediv}


def make_flat(operation, stochastic, left_scalar, right_scalar):
    """``out[k] = round(a[k] op b[k])`` over 1-D C-contiguous float64 arrays, either operand
    a float64 scalar instead; the key's source (`stream_key`) is ignored under round to
    nearest (pass 0, 0)."""

    @compiled
    def fused_flat(a, b, out, significand_bits, emin_field, key_source, key_function):
        key = stream_key(key_source, key_function) if stochastic else np.uint64(0)
        shift, top_shift, mask, half_below, lsb, lowest, largest = constants(
            significand_bits, emin_field)
        rare = 0
        state = splitmix64_state(key, 0)
        for k in range(out.size):
            if left_scalar:
                left = a
            else:
                left = a[k]
            if right_scalar:
                right = b
            else:
                right = b[k]
            value, normal = normal_path(float_bits(operation(left, right)), state, stochastic,
                                        shift, top_shift, mask, half_below, lsb, lowest, largest)
            out[k] = bits_float(value)
            rare += not normal
            state += GOLDEN_GAMMA
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
                      emin_field, key_source, key_function):
        key = stream_key(key_source, key_function) if stochastic else np.uint64(0)
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
                state = splitmix64_state(key, base)
                for k in range(n2):
                    left = a_row[0] if left_scalar else a_row[k]
                    right = b_row[0] if right_scalar else b_row[k]
                    value, normal = normal_path(
                        float_bits(operation(left, right)), state, stochastic,
                        shift, top_shift, mask, half_below, lsb, lowest, largest,
                    )
                    out_row[k] = bits_float(value)
                    rare += not normal
                    state += GOLDEN_GAMMA
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
