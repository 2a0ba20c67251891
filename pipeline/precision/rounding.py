"""Rounding float64 values to a `NumberFormat` by integer operations on their bit patterns.

The method is that of rpe (Dawson & Düben 2017, GMD 10, 2221, doi:10.5194/gmd-10-2221-2017)
and CPFloat (Fasi & Mikaitis 2023, ACM TOMS 49, doi:10.1145/3585515): a float64 value with
biased exponent field f and significand s (53 bits with the implicit one) is rounded to the
target grid at its exponent, 2**(max(e, emin) - M), by dropping

    k = 52 - M + max(0, emin - e)        low bits of s,   e = max(f, 1) - 1023.

Round to nearest keeps ties to even. Where the target result is normal the drop is done on
the float64 bit pattern itself, so a carry out of the significand correctly bumps the
exponent. Where it is subnormal the integer quotient is scaled back by 2**(emin - M),
exactly. A magnitude above the largest finite number after rounding becomes infinity
(IEEE 754-2019, 7.4: under round to nearest, overflow starts at
(2 - 2**-(M+1)) * 2**emax). NaN, ±inf and ±0 pass through; the sign of an underflow to zero
is kept.

Stochastic rounding (Croci et al. 2022, R. Soc. Open Sci. 9, 211631, doi:10.1098/rsos.211631,
"mode 1") rounds |x| up with probability r / 2**k, r being the k dropped bits, and down
otherwise: it draws a uniform k-bit integer t and rounds up when t < r, so the probability is
exact and an exactly representable value never moves. Overflow follows the same grid: a value
between the largest finite number xmax and 2**(emax+1) goes to xmax or, with probability
(|x| - xmax) / (2**(emax+1) - xmax), to infinity; values within range never become infinite.

Random bits: one 64-bit key is drawn from the caller's ``numpy.random.Generator`` per call,
and element i (C order) uses SplitMix64(key + (i + 1) * 0x9E3779B97F4A7C15) (Steele, Lea &
Flood 2014, "Fast splittable pseudorandom number generators", OOPSLA, doi:10.1145/2660193.2660195),
a counter-based hash computed inside the kernel, so no random array is stored.

Two implementations with identical results: the compiled kernels of
`pipeline.precision.kernels` (numba, when importable and not disabled by LOWPREC_NO_NUMBA=1)
and the pure NumPy one here, which is also the reference the tests hold the kernels to.
"""

from __future__ import annotations

import ctypes
import functools
import os

import numpy as np

from pipeline.precision.formats import NumberFormat

SIGN = np.uint64(0x8000000000000000)
ABS = np.uint64(0x7FFFFFFFFFFFFFFF)
FRACTION = np.uint64(0x000FFFFFFFFFFFFF)
IMPLICIT = np.uint64(0x0010000000000000)
INF = np.uint64(0x7FF0000000000000)
GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


@functools.lru_cache(maxsize=256)
def kernel_constants(fmt: NumberFormat) -> tuple[int, int, int, float]:
    """(bits dropped for normal results, biased float64 exponent of the format's emin,
    bit pattern of the largest finite number, subnormal quantum 2**(emin - M))."""
    largest = np.array(fmt.largest_finite, dtype=np.float64).view(np.uint64)
    return (
        52 - fmt.significand_bits,
        fmt.emin + 1023,
        int(largest),
        float(fmt.smallest_subnormal),
    )


def _splitmix64_numpy(key: np.uint64, n: int) -> np.ndarray:
    z = np.arange(1, n + 1, dtype=np.uint64)
    z *= GOLDEN_GAMMA
    z += key
    z ^= z >> np.uint64(30)
    z *= MIX1
    z ^= z >> np.uint64(27)
    z *= MIX2
    z ^= z >> np.uint64(31)
    return z


def _round_bits_numpy(bits: np.ndarray, fmt: NumberFormat, key) -> np.ndarray:
    """Round float64 bit patterns (uint64, 1-D) to ``fmt``; ``key`` is None for nearest."""
    shift_normal, emin_field, largest_bits, quantum = kernel_constants(fmt)
    one = np.uint64(1)
    sign = bits & SIGN
    magnitude = bits & ABS
    field = magnitude >> np.uint64(52)
    special = field == np.uint64(2047)
    subnormal_target = field < np.uint64(emin_field)
    random = None if key is None else _splitmix64_numpy(np.uint64(key), bits.size)

    # Results that are normal in the target: drop the low bits of the float64 pattern.
    result = magnitude.copy()
    if shift_normal > 0:
        k = np.uint64(shift_normal)
        mask = (one << k) - one
        kept = magnitude & ~mask
        dropped = magnitude & mask
        if random is None:
            half = one << (k - one)
            odd = (magnitude >> k) & one
            up = (dropped > half) | ((dropped == half) & (odd == one))
            result = kept + (up.astype(np.uint64) << k)
        else:
            # Up when dropped + t >= 2**k for a uniform k-bit t: probability dropped / 2**k.
            result = (magnitude + (random >> (np.uint64(64) - k))) & ~mask

    # Results in the target's subnormal range: integer quotient on the fixed quantum.
    if subnormal_target.any():
        f = field[subnormal_target]
        significand = magnitude[subnormal_target] & FRACTION
        significand[f > 0] |= IMPLICIT
        exponent_field = np.maximum(f, one).astype(np.int64)
        shift = 52 - fmt.significand_bits + (emin_field - exponent_field)
        small = shift < 64
        k = np.where(small, shift, 1).astype(np.uint64)
        quotient = np.where(small, significand >> k, np.uint64(0))
        dropped = np.where(small, significand & ((one << k) - one), significand)
        if random is None:
            half = one << (k - one)
            up = small & (
                (dropped > half) | ((dropped == half) & ((quotient & one) == one))
            )
        else:
            u = random[subnormal_target]
            up_small = (u >> (np.uint64(64) - k)) < dropped
            wide = np.clip(shift - 64, 0, 63).astype(np.uint64)
            up_wide = (shift < 128) & (u < (significand >> wide))
            up = np.where(small, up_small, up_wide)
        quotient = quotient + up.astype(np.uint64)
        values = quotient.astype(np.float64) * quantum
        result[subnormal_target] = values.view(np.uint64)

    result[result > np.uint64(largest_bits)] = INF
    result |= sign
    result[special] = bits[special]
    return result


def numba_kernels():
    """The compiled kernels (`pipeline.precision.kernels`), or False when numba is
    unavailable or disabled by LOWPREC_NO_NUMBA=1."""
    global _NUMBA
    if _NUMBA is None:
        _NUMBA = False
        if os.environ.get("LOWPREC_NO_NUMBA", "") not in ("1", "true", "yes"):
            try:
                from pipeline.precision import kernels
            except ImportError:
                pass
            else:
                _NUMBA = kernels
    return _NUMBA


_NUMBA = None


def round_into(source: np.ndarray, target: np.ndarray, fmt: NumberFormat, key,
               use_numba=None) -> None:
    """Round the C-contiguous float64 array ``source`` into ``target``: the same array, or
    one that does not overlap it.

    ``key`` is None for round to nearest, else the 64-bit key of the stochastic stream.
    """
    kernels = numba_kernels() if use_numba in (None, True) else False
    if use_numba and not kernels:
        raise RuntimeError("numba was asked for but is not available.")
    source_flat, target_flat = source.reshape(-1), target.reshape(-1)
    if kernels:
        emin_field = fmt.emin + 1023
        in_place = source_flat.ctypes.data == target_flat.ctypes.data
        if key is None:
            if in_place:
                kernels.round_nearest_inplace(target_flat, fmt.significand_bits, emin_field)
            else:
                kernels.round_nearest_into(source_flat, target_flat, fmt.significand_bits,
                                           emin_field)
        elif in_place:
            kernels.round_stochastic_inplace(target_flat, fmt.significand_bits, emin_field,
                                             signed_key(int(key)), 0)
        else:
            kernels.round_stochastic_into(source_flat, target_flat, fmt.significand_bits,
                                          emin_field, signed_key(int(key)), 0)
    else:
        target_flat.view(np.uint64)[...] = _round_bits_numpy(source_flat.view(np.uint64), fmt, key)


def round_inplace(values: np.ndarray, fmt: NumberFormat, key) -> None:
    """Round a C-contiguous float64 array in place."""
    round_into(values, values, fmt, key)


def draw_key(rng: np.random.Generator) -> int:
    """One 64-bit key from ``rng`` for the per-element SplitMix64 stream of one rounding."""
    return int(rng.bit_generator.random_raw())


def signed_key(key: int) -> int:
    """A 64-bit key as the int64 with the same bits, as compiled kernels take it (a Python
    int reaches numba as int64 in a fraction of the time a NumPy uint64 scalar takes)."""
    return (key ^ _TOP_BIT) - _TOP_BIT


_TOP_BIT = 1 << 63
# Bit generators whose ``random_raw()`` is their ``next_uint64`` (MT19937's raw output is
# 32 bits: its keys are drawn in Python), with the address of that C function, per type.
_NEXT_UINT64 = dict.fromkeys((np.random.Philox, np.random.PCG64, np.random.PCG64DXSM,
                              np.random.SFC64))


def key_arguments(rng: np.random.Generator) -> tuple[int, int]:
    """How a compiled kernel gets the key of one stochastic rounding from ``rng``: the two
    int64 it takes for it (`pipeline.precision.kernels.stream_key`).

    For the bit generators of NumPy whose raw output is 64 bits (Philox, lowprec's streams,
    and PCG64, ``default_rng``'s) the kernel draws the key itself, through the C interface
    NumPy provides for numba (``BitGenerator.ctypes``: the state's address and its
    ``next_uint64``): the same bits as `draw_key`, without the half microsecond a draw from
    Python and its conversion cost. Nothing is drawn here then: the kernel draws on entry,
    whatever the array's size, so a caller with nothing to round calls neither. That draw does not take the bit generator's lock: lowprec
    does not share a generator between threads. Other bit generators: the key is drawn here.
    """
    direct = kernel_draws(rng)
    return direct if direct is not None else (signed_key(draw_key(rng)), 0)


def kernel_draws(rng: np.random.Generator) -> tuple[int, int] | None:
    """(address of the state, address of ``next_uint64``) of ``rng``'s bit generator, by
    which a compiled kernel draws the key itself, or None if its raw output is not 64 bits."""
    bit_generator = rng.bit_generator
    kind = type(bit_generator)
    if kind not in _NEXT_UINT64:
        return None
    interface = bit_generator.ctypes
    function = _NEXT_UINT64[kind]
    if function is None:
        function = _NEXT_UINT64[kind] = ctypes.cast(interface.next_uint64, ctypes.c_void_p).value
    return interface.state_address, function


def round(x, fmt, rng: np.random.Generator | None = None, *, use_numba=None) -> np.ndarray:
    """Round ``x`` (float64 or complex128 values) to ``fmt``; returns a new float64 array.

    ``fmt`` is a `NumberFormat` or a name such as ``"e5m10-sr"``. Stochastic rounding needs
    ``rng``, a ``numpy.random.Generator``, so that no hidden global state decides results.
    Complex values round their real and imaginary parts separately.
    """
    fmt = NumberFormat.parse(fmt)
    array = np.asarray(x)
    dtype = np.complex128 if np.iscomplexobj(array) else np.float64
    source = np.asarray(array, dtype=dtype, order="C")
    if fmt.is_float64:
        return source.copy() if source is array else source
    key = None
    if fmt.stochastic:
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"Stochastic rounding to {fmt} needs rng, a numpy.random.Generator."
            )
        key = draw_key(rng)
    result = np.empty_like(source)
    round_into(source.view(np.float64), result.view(np.float64), fmt, key, use_numba)
    return result
