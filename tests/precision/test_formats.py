"""NumberFormat: names, ranges and the constants IEEE 754 gives for each width."""

import ml_dtypes
import numpy as np
import pytest

from pipeline.precision import NumberFormat


@pytest.mark.parametrize("name,exponent_bits,significand_bits,rounding", [
    ("float64", 11, 52, "nearest"),
    ("float32", 8, 23, "nearest"),
    ("float16", 5, 10, "nearest"),
    ("bfloat16", 8, 7, "nearest"),
    ("e5m10-sr", 5, 10, "stochastic"),
    ("e11m12", 11, 12, "nearest"),
    ("E4M3", 4, 3, "nearest"),
])
def test_parse_reads_widths_and_rounding(name, exponent_bits, significand_bits, rounding):
    fmt = NumberFormat.parse(name)
    assert (fmt.exponent_bits, fmt.significand_bits, fmt.rounding) == (
        exponent_bits, significand_bits, rounding)


@pytest.mark.parametrize("name,canonical", [
    ("e5m10", "float16"), ("e11m52", "float64"), ("e8m23-sr", "float32-sr"), ("e8m7", "bfloat16"),
    ("e11m12-sr", "e11m12-sr"), ("float16", "float16"),
])
def test_str_gives_the_canonical_name_back(name, canonical):
    fmt = NumberFormat.parse(name)
    assert str(fmt) == canonical
    assert NumberFormat.parse(str(fmt)) == fmt


@pytest.mark.parametrize("dtype,name", [
    (np.float16, "float16"), (np.float32, "float32"), (np.float64, "float64"),
    (ml_dtypes.bfloat16, "bfloat16"),
])
def test_constants_match_the_ieee_types(dtype, name):
    info = ml_dtypes.finfo(dtype) if dtype is ml_dtypes.bfloat16 else np.finfo(dtype)
    fmt = NumberFormat.parse(name)
    assert fmt.largest_finite == float(info.max)
    assert fmt.smallest_normal == float(info.smallest_normal)
    assert fmt.smallest_subnormal == float(info.smallest_subnormal)
    assert fmt.epsilon == float(info.eps)


@pytest.mark.parametrize("bad", ["float8", "e1m3", "e12m3", "e5m0", "e5m53", "e5m10-rn", "", 16])
def test_bad_names_raise_one_sentence_saying_what_is_allowed(bad):
    with pytest.raises(ValueError) as error:
        NumberFormat.parse(bad)
    message = str(error.value)
    assert "e{E}m{M}" in message and message.count("\n") == 0


def test_direct_construction_checks_each_field():
    with pytest.raises(ValueError, match="significand_bits must be an integer from 1 to 52"):
        NumberFormat(0, 5)
    with pytest.raises(ValueError, match="exponent_bits must be an integer from 2 to 11"):
        NumberFormat(10, 12)
    with pytest.raises(ValueError, match="rounding must be 'nearest' or 'stochastic'"):
        NumberFormat(10, 5, "up")


def test_attributes_carry_precision_metadata():
    assert NumberFormat.parse("e5m10-sr").attributes() == {
        "number_format": "float16-sr", "significand_bits": 10, "exponent_bits": 5,
        "rounding": "stochastic",
    }
