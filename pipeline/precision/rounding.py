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

Two kernels with identical results: a compiled one (numba, when importable and not disabled
by LOWPREC_NO_NUMBA=1) and a pure NumPy one.
"""

from __future__ import annotations

import functools
import math
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


def _make_numba_kernels():
    import numba

    @numba.njit(cache=True, nogil=True, inline="always")
    def splitmix64(key, i):
        z = key + np.uint64(i + 1) * GOLDEN_GAMMA
        z = (z ^ (z >> np.uint64(30))) * MIX1
        z = (z ^ (z >> np.uint64(27))) * MIX2
        return z ^ (z >> np.uint64(31))

    @numba.njit(cache=True, nogil=True)
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

    @numba.njit(cache=True, nogil=True, inline="always")
    def constants(significand_bits, emin_field):
        """(k, 63 - k, dropped-bit mask, half a unit less one, lsb mask, smallest normal
        pattern) for dropping k = 52 - M bits."""
        one = np.uint64(1)
        zero = np.uint64(0)
        dropped_bits = 52 - significand_bits
        shift = np.uint64(dropped_bits)
        top_shift = np.uint64(63 - dropped_bits)
        mask = (one << shift) - one
        half_below = ((one << shift) >> one) - one if dropped_bits > 0 else zero
        lsb = one if dropped_bits > 0 else zero
        lowest = np.uint64(emin_field) << np.uint64(52)
        return shift, top_shift, mask, half_below, lsb, lowest

    @numba.njit(cache=True, nogil=True, inline="always")
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

    @numba.njit(cache=True, nogil=True)
    def finish_rare(target, significand_bits, emin_field, stochastic, key):
        """Second pass over NaN, inf and subnormal results, which the first left unchanged.
        Normal-path results are never rare except infinity, which stays unchanged here."""
        lowest = np.uint64(emin_field) << np.uint64(52)
        for i in range(target.size):
            b = target[i]
            magnitude = b & ABS
            if (magnitude < lowest and magnitude != 0) or magnitude >= INF:
                u = splitmix64(key, i) if stochastic else np.uint64(0)
                target[i] = rare_case(b, significand_bits, emin_field, stochastic, u)

    def make(stochastic, in_place):
        @numba.njit(cache=True, nogil=True)
        def round_bits(source, target, significand_bits, emin_field, largest_bits, key):
            shift, top_shift, mask, half_below, lsb, lowest = constants(
                significand_bits, emin_field)
            rare = 0
            # In place, one array is read and written: LLVM's alias check between two
            # arrays would otherwise see the overlap and fall back to a scalar loop.
            data = source if in_place else target
            for i in range(source.size):
                value, normal = normal_path(
                    source[i], i, stochastic, key, shift, top_shift, mask, half_below, lsb,
                    lowest, largest_bits,
                )
                data[i] = value
                rare += not normal
            if rare:
                finish_rare(data, significand_bits, emin_field, stochastic, key)

        return round_bits

    kernels = {(sr, in_place): make(sr, in_place) for sr in (False, True) for in_place in (False, True)}
    parts = {"normal_path": normal_path, "rare_case": rare_case, "splitmix64": splitmix64,
             "constants": constants, "finish_rare": finish_rare}
    return kernels, parts


def numba_kernels(parts: bool = False):
    """The compiled rounding kernels (or, with ``parts``, their building blocks), or False
    when numba is unavailable or disabled by LOWPREC_NO_NUMBA=1."""
    global _NUMBA
    if _NUMBA is None:
        _NUMBA = False
        if os.environ.get("LOWPREC_NO_NUMBA", "") not in ("1", "true", "yes"):
            try:
                _NUMBA = _make_numba_kernels()
            except ImportError:
                pass
    if not _NUMBA:
        return False
    return _NUMBA[1] if parts else _NUMBA[0]


_NUMBA = None


def round_into(source: np.ndarray, target: np.ndarray, fmt: NumberFormat, key,
               use_numba=None) -> None:
    """Round the C-contiguous float64 array ``source`` into ``target``: the same array, or
    one that does not overlap it.

    ``key`` is None for round to nearest, else the 64-bit key of the stochastic stream.
    """
    source_bits = source.reshape(-1).view(np.uint64)
    target_bits = target.reshape(-1).view(np.uint64)
    kernels = numba_kernels() if use_numba in (None, True) else False
    if use_numba and not kernels:
        raise RuntimeError("numba was asked for but is not available.")
    if kernels:
        _, emin_field, largest_bits, _ = kernel_constants(fmt)
        in_place = source_bits.ctypes.data == target_bits.ctypes.data
        kernels[key is not None, in_place](
            source_bits, target_bits, fmt.significand_bits, emin_field,
            np.uint64(largest_bits), np.uint64(0 if key is None else key)
        )
    else:
        target_bits[...] = _round_bits_numpy(source_bits, fmt, key)


@functools.lru_cache(maxsize=256)
def _kernel_arguments(fmt: NumberFormat) -> tuple:
    _, emin_field, largest_bits, _ = kernel_constants(fmt)
    return fmt.significand_bits, emin_field, np.uint64(largest_bits)


def round_inplace(values: np.ndarray, fmt: NumberFormat, key) -> None:
    """Round a C-contiguous float64 array in place (the emulated array's hot path)."""
    bits = values.reshape(-1).view(np.uint64)
    kernels = _NUMBA if _NUMBA is not None else numba_kernels()
    if kernels:
        kernels = kernels[0] if isinstance(kernels, tuple) else kernels
        kernels[key is not None, True](bits, bits, *_kernel_arguments(fmt), np.uint64(key or 0))
    else:
        bits[...] = _round_bits_numpy(bits, fmt, key)


def draw_key(rng: np.random.Generator) -> int:
    """One 64-bit key from ``rng`` for the per-element SplitMix64 stream of one rounding."""
    return int(rng.bit_generator.random_raw())


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
