"""Lorenz '63 against an RK4 written independently here, at float64 and e11m52."""

import numpy as np

from pipeline.models.base import parse_overrides
from pipeline.models.lorenz63 import Lorenz63, attractor_point
from pipeline.models.run import run_block
from pipeline.precision import NumberFormat, stream_generator


def reference_rk4(point, steps, dt=0.01, sigma=10.0, rho=28.0, beta=8.0 / 3.0):
    """Scalar RK4 for Lorenz (1963), written out term by term."""
    def f(x, y, z):
        return sigma * (y - x), x * (rho - z) - y, x * y - beta * z

    x, y, z = point
    for _ in range(steps):
        a = f(x, y, z)
        b = f(x + dt / 2 * a[0], y + dt / 2 * a[1], z + dt / 2 * a[2])
        c = f(x + dt / 2 * b[0], y + dt / 2 * b[1], z + dt / 2 * b[2])
        d = f(x + dt * c[0], y + dt * c[1], z + dt * c[2])
        x += dt / 6 * (a[0] + 2 * b[0] + 2 * c[0] + d[0])
        y += dt / 6 * (a[1] + 2 * b[1] + 2 * c[1] + d[1])
        z += dt / 6 * (a[2] + 2 * b[2] + 2 * c[2] + d[2])
    return np.array([x, y, z])


def config(**overrides):
    return parse_overrides(Lorenz63.Config, {k: str(v) for k, v in overrides.items()}, "lorenz63")


def test_float64_run_follows_an_independent_rk4():
    cfg = config(spinup=0, length=2, output_interval=2, perturbation=0)
    result = run_block(Lorenz63, cfg, NumberFormat.parse("float64"), 1, 0, 0, [0])
    expected = reference_rk4(attractor_point(cfg), 200)
    got = np.array([result.fields[v][0, -1] for v in "xyz"])
    # Two correct RK4 codes agree to round-off over 2 time units (error growth e^(0.9 t)).
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-11)


def test_attractor_point_is_on_the_attractor():
    x, y, z = attractor_point(config())
    # The attractor lies within |x|, |y| < 30 and 0 < z < 50, away from the origin.
    assert abs(x) < 30 and abs(y) < 30 and 0 < z < 50 and x * x + y * y > 1


def test_e11m52_is_bit_identical_to_float64():
    cfg = config(spinup=1, length=3, output_interval=0.5)
    a = run_block(Lorenz63, cfg, NumberFormat.parse("e11m52"), 3, 0, 0, [0, 1, 2])
    b = run_block(Lorenz63, cfg, NumberFormat.parse("float64"), 3, 0, 0, [0, 1, 2])
    for v in "xyz":
        assert np.array_equal(a.fields[v], b.fields[v])


def test_members_start_from_the_attractor_point_with_their_own_perturbations():
    cfg = config(perturbation=1e-3)
    rngs = [stream_generator(5, "lorenz63", "perturbation", 0, m) for m in range(3)]
    x, y, z = Lorenz63(cfg, NumberFormat.parse("float64")).initial_state(rngs)
    start = attractor_point(cfg)
    offsets = np.stack([x, y, z], axis=1) - start
    assert 1e-5 < np.abs(offsets).max() < 6e-3
    assert not np.allclose(offsets[0], offsets[1])


def test_a_blow_up_is_recorded_not_raised():
    # dt = 0.2 is far beyond RK4's stability limit for Lorenz '63 at these amplitudes.
    cfg = config(dt=0.2, spinup=0, length=20, output_interval=0.2)
    result = run_block(Lorenz63, cfg, NumberFormat.parse("e5m10"), 1, 0, 0, [0, 1])
    assert np.isfinite(result.blowup_time).all()
    assert np.isnan(result.fields["x"][:, -1]).all()
