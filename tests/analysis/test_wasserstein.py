"""wasserstein_1d against SciPy's, and its vectorisation over grid points."""

import numpy as np
import pytest
from scipy.stats import wasserstein_distance

from pipeline.analysis.wasserstein import wasserstein_1d


@pytest.mark.parametrize("n,m", [(50, 50), (37, 91), (1, 8), (200, 3)])
def test_matches_scipy_for_equal_and_unequal_sample_sizes(n, m):
    rng = np.random.default_rng(n * 100 + m)
    u, v = rng.standard_normal(n), rng.gamma(2.0, size=m)
    assert wasserstein_1d(u, v) == pytest.approx(wasserstein_distance(u, v), rel=1e-12, abs=1e-14)


def test_vectorised_over_grid_points_along_any_axis():
    rng = np.random.default_rng(3)
    u, v = rng.standard_normal((40, 5, 3)), rng.standard_normal((25, 5, 3)) + 0.5
    result = wasserstein_1d(u, v)
    assert result.shape == (5, 3)
    for i in range(5):
        for j in range(3):
            assert result[i, j] == pytest.approx(wasserstein_distance(u[:, i, j], v[:, i, j]))
    moved = wasserstein_1d(np.moveaxis(u, 0, 2), np.moveaxis(v, 0, 2), axis=2)
    assert np.allclose(moved, result)


def test_a_shift_moves_the_distance_by_the_shift_and_non_finite_samples_are_infinitely_far():
    u = np.linspace(0, 1, 101)
    assert wasserstein_1d(u, u + 0.25) == pytest.approx(0.25)
    assert wasserstein_1d(u, np.where(u > 0.5, np.nan, u)) == np.inf
