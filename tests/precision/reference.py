"""An independent, slow reference for rounding: exact rational arithmetic, one value at a time.

Written from the definitions in IEEE 754-2019 (Sections 3.3, 4.3.1, 7.4), sharing no code
with `pipeline.precision.rounding`: the neighbours of x are the multiples of the quantum
2**(max(e, emin) - M) around it, e = floor(log2 |x|).
"""

import math
from fractions import Fraction


def neighbours(x: float, exponent_bits: int, significand_bits: int):
    """(lower, upper) format numbers around finite x, as Fractions (upper may exceed range)."""
    bias = 2 ** (exponent_bits - 1) - 1
    emin = 1 - bias
    exact = Fraction(x)
    if exact == 0:
        return exact, exact
    e = math.frexp(abs(x))[1] - 1
    quantum = Fraction(2) ** (max(e, emin) - significand_bits)
    lower = math.floor(exact / quantum) * quantum
    upper = math.ceil(exact / quantum) * quantum
    return lower, upper


def round_nearest(x: float, exponent_bits: int, significand_bits: int) -> float:
    """x rounded to nearest, ties to even, with overflow to infinity (IEEE 754-2019, 7.4)."""
    if math.isnan(x) or math.isinf(x) or x == 0:
        return x
    bias = 2 ** (exponent_bits - 1) - 1
    emax = bias
    lower, upper = neighbours(x, exponent_bits, significand_bits)
    exact = Fraction(x)
    if lower == upper:
        result = lower
    else:
        quantum = upper - lower
        below, above = exact - lower, upper - exact
        if below < above:
            result = lower
        elif above < below:
            result = upper
        else:
            result = lower if (lower / quantum) % 2 == 0 else upper
    largest = (2 - Fraction(2) ** -significand_bits) * Fraction(2) ** emax
    if abs(result) > largest:
        return math.copysign(math.inf, x)
    if result == 0:
        return math.copysign(0.0, x)
    return float(result)
