"""Number formats and rounding: the arithmetic core everything in lowprec stands on.

    >>> from pipeline.precision import NumberFormat, round
    >>> fmt = NumberFormat.parse("float16")
    >>> float(round(1.0 + 2.0**-11, fmt)[()])     # a tie, to even
    1.0
"""

from pipeline.precision.array import LowPrecisionArray
from pipeline.precision.formats import NumberFormat
from pipeline.precision.rounding import round
from pipeline.precision.streams import stream_generator

__all__ = ["LowPrecisionArray", "NumberFormat", "round", "stream_generator"]
