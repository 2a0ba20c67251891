"""The 2-D heat equation: Crank-Nicolson against the decaying eigenmode (second order in dt),
the Khodak et al. coefficients, and runs at reduced formats through the model machinery."""

import math

import numpy as np
import pytest

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.heat2d import Heat2D, Heat2DConfig, bump, diffusivity, negative_laplacian
from pipeline.models.run import run_block
from pipeline.precision import NumberFormat

FLOAT64 = NumberFormat.parse("float64")


def eigenmode_error(nx, dt, kappa=0.5, length=0.2, reference="continuous"):
    config = Heat2DConfig(nx=nx, dt=dt, length=length, output_interval=length,
                          forcing_amplitude=0.0, constant_diffusivity=kappa,
                          initial="eigenmode", tolerance=1e-13)
    model = Heat2D(config, FLOAT64)
    state = model.initial_state([np.random.default_rng(0)])
    for _ in range(round(length / dt)):
        state = model.step(state)
    mode = np.sin(np.pi * model.points[:, 0]) * np.sin(np.pi * model.points[:, 1])
    if reference == "continuous":
        rate = 2 * math.pi**2
    else:  # the semi-discrete mode decays at the discrete Laplacian's eigenvalue
        rate = 8 * nx**2 * math.sin(math.pi / (2 * nx)) ** 2
    exact = mode * math.exp(-rate * kappa * length)
    return np.abs(state[0][0] - exact).max() / np.abs(exact).max()


def test_crank_nicolson_follows_the_decaying_eigenmode():
    # exp(-2 pi^2 kappa t), to the grid's O(h^2) (plus O(dt^2)) accuracy
    assert eigenmode_error(32, 0.002) < 5e-3


def test_crank_nicolson_is_second_order_in_dt():
    errors = [eigenmode_error(16, dt, kappa=1.0, reference="semi-discrete")
              for dt in (0.02, 0.01, 0.005)]
    orders = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all((orders > 1.9) & (orders < 2.1)), orders


def test_the_discrete_laplacian_has_the_analytic_eigenvalue():
    nx = 12
    model = Heat2D(Heat2DConfig(nx=nx), FLOAT64)
    mode = np.sin(np.pi * model.points[:, 0]) * np.sin(np.pi * model.points[:, 1])
    expected = 8 * nx**2 * math.sin(math.pi / (2 * nx)) ** 2
    np.testing.assert_allclose(negative_laplacian(nx) @ mode, expected * mode, rtol=1e-12)


def test_coefficients_are_those_of_khodak_et_al():
    assert diffusivity(0.25) == pytest.approx(0.1) and diffusivity(0.75) == pytest.approx(10.0)
    assert min(diffusivity(t) for t in np.linspace(0, 5, 5001)) >= 0.0
    assert bump(np.array([[0.5, 0.5]]), (0.5, 0.5), 0.25)[0] == pytest.approx(1.0)
    assert bump(np.array([[0.5, 0.76]]), (0.5, 0.5), 0.25)[0] == 0.0


@pytest.mark.parametrize("name", ["e11m10", "e11m10-sr"])
def test_a_reduced_format_run_stays_close_to_float64_and_in_the_format(name):
    config = parse_overrides(Heat2DConfig, {"nx": "10", "length": "0.1",
                                            "output_interval": "0.05"}, "heat2d")
    fmt = NumberFormat.parse(name)
    reference = run_block(Heat2D, config, FLOAT64, seed=1, ensemble=0, block=0, members=[0, 1])
    reduced = run_block(Heat2D, config, fmt, seed=1, ensemble=0, block=0, members=[0, 1])
    a, b = reference.fields["temperature"], reduced.fields["temperature"]
    assert a.shape == b.shape == (2, 2, 9, 9)
    assert 0 < np.abs(a - b).max() < 0.02 * np.abs(a).max()
    assert np.array_equal(b, np.asarray(fmt.with_rounding("nearest").array(b)))
    # Members differ by their source strengths.
    assert np.abs(a[0] - a[1]).max() > 1e-3


def test_a_grid_too_small_is_one_sentence():
    with pytest.raises(ModelParameterError, match="the grid is too small: nx = 3"):
        parse_overrides(Heat2DConfig, {"nx": "3"}, "heat2d")
