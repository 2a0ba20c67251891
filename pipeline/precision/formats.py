"""Binary floating-point number formats of any width, IEEE 754 style.

A format has ``significand_bits`` stored fraction bits M (the implicit leading bit is
not counted, so IEEE binary16 has M = 10), ``exponent_bits`` E, and a rounding mode.
Its numbers are those of IEEE 754-2019 Section 3.3 with

    bias = 2**(E - 1) - 1,   emin = 1 - bias,   emax = bias,
    smallest subnormal = 2**(emin - M),   smallest normal = 2**emin,
    largest finite     = (2 - 2**-M) * 2**emax.

Names: ``float64`` (e11m52), ``float32`` (e8m23), ``float16`` (e5m10), ``bfloat16``
(e8m7), any ``e{E}m{M}``, each optionally suffixed ``-sr`` for stochastic rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

NAMED_FORMATS = {
    "float64": (11, 52),
    "float32": (8, 23),
    "float16": (5, 10),
    "bfloat16": (8, 7),
}
ROUNDING_MODES = ("nearest", "stochastic")
_NAME_PATTERN = re.compile(r"^e(\d+)m(\d+)$")
_ALLOWED_NAMES = (
    "float64, float32, float16, bfloat16 or e{E}m{M} with 2 <= E <= 11 and 1 <= M <= 52, "
    "optionally followed by -sr for stochastic rounding"
)


@dataclass(frozen=True)
class NumberFormat:
    """A floating-point format: significand bits M (1..52), exponent bits E (2..11), rounding."""

    significand_bits: int
    exponent_bits: int = 11
    rounding: str = "nearest"

    def __post_init__(self):
        if not (isinstance(self.significand_bits, int) and 1 <= self.significand_bits <= 52):
            raise ValueError(
                f"significand_bits must be an integer from 1 to 52, got {self.significand_bits!r}."
            )
        if not (isinstance(self.exponent_bits, int) and 2 <= self.exponent_bits <= 11):
            raise ValueError(
                f"exponent_bits must be an integer from 2 to 11, got {self.exponent_bits!r}."
            )
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(
                f"rounding must be 'nearest' or 'stochastic', got {self.rounding!r}."
            )

    @classmethod
    def parse(cls, name: str | NumberFormat) -> NumberFormat:
        """Parse ``float16``, ``bfloat16``, ``e5m10-sr`` and so on into a format."""
        if isinstance(name, NumberFormat):
            return name
        if not isinstance(name, str):
            raise ValueError(f"Number format {name!r} is not a name; use {_ALLOWED_NAMES}.")
        base, rounding = name.strip().lower(), "nearest"
        if base.endswith("-sr"):
            base, rounding = base[: -len("-sr")], "stochastic"
        if base in NAMED_FORMATS:
            exponent_bits, significand_bits = NAMED_FORMATS[base]
        else:
            match = _NAME_PATTERN.match(base)
            if match is None:
                raise ValueError(f"Unknown number format {name!r}; use {_ALLOWED_NAMES}.")
            exponent_bits, significand_bits = int(match[1]), int(match[2])
            if not (2 <= exponent_bits <= 11 and 1 <= significand_bits <= 52):
                raise ValueError(
                    f"Number format {name!r} is out of range; use {_ALLOWED_NAMES}."
                )
        return cls(significand_bits, exponent_bits, rounding)

    @property
    def name(self) -> str:
        """Canonical name: the IEEE/bfloat16 name where one exists, else ``e{E}m{M}``."""
        for known, widths in NAMED_FORMATS.items():
            if widths == (self.exponent_bits, self.significand_bits):
                base = known
                break
        else:
            base = f"e{self.exponent_bits}m{self.significand_bits}"
        return base + ("-sr" if self.rounding == "stochastic" else "")

    def __str__(self) -> str:
        return self.name

    @property
    def bias(self) -> int:
        return 2 ** (self.exponent_bits - 1) - 1

    @property
    def emin(self) -> int:
        """Exponent of the smallest normal number, 1 - bias."""
        return 1 - self.bias

    @property
    def emax(self) -> int:
        """Exponent of the largest finite number, equal to the bias."""
        return self.bias

    @property
    def largest_finite(self) -> float:
        return (2.0 - 2.0 ** -self.significand_bits) * 2.0**self.emax

    @property
    def smallest_normal(self) -> float:
        return 2.0**self.emin

    @property
    def smallest_subnormal(self) -> float:
        return 2.0 ** (self.emin - self.significand_bits)

    @property
    def epsilon(self) -> float:
        """Gap between 1 and the next larger number, 2**-M (machine epsilon)."""
        return 2.0 ** -self.significand_bits

    @property
    def is_float64(self) -> bool:
        """True for e11m52, where rounding a float64 value is the identity."""
        return self.exponent_bits == 11 and self.significand_bits == 52

    @property
    def stochastic(self) -> bool:
        return self.rounding == "stochastic"

    def with_rounding(self, rounding: str) -> NumberFormat:
        return NumberFormat(self.significand_bits, self.exponent_bits, rounding)

    def contains(self, other: NumberFormat) -> bool:
        """True when every number of ``other`` is a number of this format."""
        return (
            self.exponent_bits >= other.exponent_bits
            and self.significand_bits >= other.significand_bits
        )

    def attributes(self) -> dict:
        """Precision metadata for NetCDF files (ARCHITECTURE.md, output conventions)."""
        return {
            "number_format": self.name,
            "significand_bits": self.significand_bits,
            "exponent_bits": self.exponent_bits,
            "rounding": self.rounding,
        }

    @property
    def native_dtype(self):
        """NumPy's own dtype for this format under round to nearest, else None.

        Elementwise arithmetic in float32 or float16 gives the same results as the emulated
        type (tests check it); reductions differ, since NumPy's native ones accumulate narrow.
        """
        if self.stochastic:
            return None
        return {(11, 52): np.float64, (8, 23): np.float32, (5, 10): np.float16}.get(
            (self.exponent_bits, self.significand_bits)
        )

    def array(self, values, seed: int = 0, stream=(), rng=None):
        """Make an emulated array of this format from ``values`` (see `LowPrecisionArray`).

        Stochastic rounding draws from ``rng`` when given (share one generator among the
        arrays of one run), else from a new counter-based generator keyed by ``seed`` and
        ``stream``, a tuple of names or integers such as ``("lorenz63", 3)``.
        """
        from pipeline.precision.array import LowPrecisionArray
        from pipeline.precision.streams import stream_generator

        if rng is None and self.stochastic:
            rng = stream_generator(seed, self.name, *stream)
        return LowPrecisionArray.from_values(values, self, rng)
