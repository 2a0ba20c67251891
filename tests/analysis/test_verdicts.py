"""The pass criterion and the monotone minimal-bits rule."""

import numpy as np
import pytest

from pipeline.analysis.verdicts import minimal_bits, null_threshold


def test_null_threshold_is_mean_plus_three_sample_standard_deviations():
    assert null_threshold([1.0, 2.0, 3.0]) == pytest.approx(2.0 + 3.0 * 1.0)
    with pytest.raises(ValueError, match="at least two"):
        null_threshold([1.0])


def test_minimal_bits_needs_every_wider_format_to_pass():
    assert minimal_bits([23, 16, 12, 10, 8], [True, True, True, False, True]) == 12
    assert minimal_bits([8, 23, 12], [True, True, True]) == 8
    assert minimal_bits([23, 16], [False, True]) is None
    assert minimal_bits([], []) is None
