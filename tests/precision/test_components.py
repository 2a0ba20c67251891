"""Values crossing between components at different formats (pipeline/precision/components.py),
against IEEE conversions by NumPy."""

import numpy as np

from pipeline.precision import LowPrecisionArray, NumberFormat
from pipeline.precision.components import Component, into_format

FLOAT64 = NumberFormat.parse("float64")


def test_a_wider_format_into_a_narrower_one_rounds_as_ieee_conversion_does():
    values = np.random.default_rng(3).uniform(-6e4, 6e4, 2000)
    source = NumberFormat.parse("e11m23")
    wide = source.array(values)
    narrow = into_format(wide, NumberFormat.parse("e5m10"), None, source)
    assert isinstance(narrow, LowPrecisionArray) and narrow.format.name == "float16"
    expected = np.asarray(wide).astype(np.float16).astype(np.float64)
    assert np.array_equal(np.asarray(narrow), expected)
    # float64 values from a float64 component: as NumPy's float32 conversion.
    single = into_format(values, NumberFormat.parse("float32"), None, FLOAT64)
    assert np.array_equal(np.asarray(single), values.astype(np.float32).astype(np.float64))


def test_a_narrower_format_into_a_wider_stochastic_one_is_relabelled_without_a_draw():
    rng = np.random.default_rng(11)
    narrow = NumberFormat.parse("e5m10").array(np.linspace(-3, 3, 101))
    before = rng.bit_generator.state
    wide = Component("convection", NumberFormat.parse("e11m23-sr"), rng)
    taken, = wide.take(narrow, source=narrow.format)
    assert rng.bit_generator.state == before  # nothing to round, nothing drawn
    assert taken.format.name == "e11m23-sr" and taken.rng is rng
    assert np.array_equal(np.asarray(taken), np.asarray(narrow))
    # Its results now draw from the component's stream.
    (taken * 1.1).sum()
    assert rng.bit_generator.state != before


def test_into_float64_gives_plain_values_and_plain_constants_of_an_emulated_part_pass():
    fmt = NumberFormat.parse("e11m10")
    emulated = fmt.array([1.5, 2.25])
    plain = into_format(emulated, FLOAT64, None, fmt)
    assert type(plain) is np.ndarray and np.array_equal(plain, [1.5, 2.25])
    constant = np.array([0.1, 0.2])  # computed from an e11m10 part's constants alone
    assert into_format(constant, NumberFormat.parse("e5m10"), None, fmt) is constant
    # The same array from a float64 part is a float64 value: rounded.
    rounded = into_format(constant, NumberFormat.parse("e5m10"), None, FLOAT64)
    assert np.array_equal(np.asarray(rounded), constant.astype(np.float16).astype(np.float64))
    cloud_top = np.array([3, 7])
    assert into_format(cloud_top, fmt, None, FLOAT64) is cloud_top
