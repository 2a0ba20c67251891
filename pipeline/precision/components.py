"""Mixed precision by component: values crossing from one part of a model into another.

A model whose parts compute at different number formats (Paxton et al. 2022 kept SPEEDY's
convection in double while the rest ran reduced) passes arrays between them. Inside a
component every operation rounds to that component's format (`LowPrecisionArray`); at its
boundary an incoming array is taken into the component's format with its own stochastic
stream, exactly as a store into a variable of that type would:

* into float64: the plain float64 values (exact: every format's numbers are float64 numbers);
* from a format the target contains (e11m10 into e11m23, or the same format under another
  stream): the same values, re-labelled, without rounding and without drawing a key;
* otherwise: rounded once to the target, drawing from the target's stream.

Plain float64 arrays are values only where they come from a float64 component (then they
are rounded like any other). From an emulated component a plain array is one of its
constants or computed from constants alone, which the array type takes as exact (see
`pipeline.precision.array`), and it passes unchanged, as it would inside that component.

A component at the same format and stream as the array's is a no-op, so a model whose every
component shares one format runs bit for bit as a single-format model.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.precision.array import LowPrecisionArray
from pipeline.precision.formats import NumberFormat


def into_format(values, fmt: NumberFormat, rng, source: NumberFormat):
    """``values`` (an emulated or plain array, or a list of them) from a component at
    ``source`` as numbers of ``fmt`` with stream ``rng`` (see the module doc); integer and
    boolean arrays pass unchanged."""
    if isinstance(values, LowPrecisionArray):
        if fmt.is_float64:
            return np.asarray(values)
        if values.rng is rng and values.format == fmt:
            return values
        source = values.format
        if (source.exponent_bits, source.significand_bits) == (
                fmt.exponent_bits, fmt.significand_bits) or fmt.contains(source):
            return LowPrecisionArray._wrap(np.asarray(values), fmt, rng)
        return fmt.array(np.asarray(values), rng=rng)
    if isinstance(values, (list, tuple)):
        return type(values)(into_format(v, fmt, rng, source) for v in values)
    plain = np.asarray(values)
    if not np.issubdtype(plain.dtype, np.inexact) or fmt.is_float64 or not source.is_float64:
        return values
    return fmt.array(plain, rng=rng)


@dataclasses.dataclass
class Component:
    """One part of a model at its own format and stochastic stream (None: round to nearest
    or float64)."""

    name: str
    format: NumberFormat
    rng: np.random.Generator | None = None

    def take(self, *values, source: NumberFormat) -> tuple:
        """The arrays ``values`` from a component at ``source`` taken into this one."""
        return tuple(into_format(v, self.format, self.rng, source) for v in values)

    def take_fields(self, result, source: NumberFormat):
        """A dataclass result of a component at ``source`` with each of its array fields
        taken into this component."""
        return dataclasses.replace(result, **{
            f.name: into_format(getattr(result, f.name), self.format, self.rng, source)
            for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), (np.ndarray, list, tuple))})

    def constant(self, values):
        """Float64 constants rounded once to this component's format (to nearest, drawing
        nothing), as plain float64 arrays."""
        from pipeline.precision.rounding import round as round_to_format

        if self.format.is_float64:
            return np.asarray(values)
        return np.asarray(round_to_format(values, self.format.with_rounding("nearest")))
