"""Compiled steps (pipeline.precision.tracing) give bit for bit the results, and draw the same
stochastic keys, as stepping the emulated arrays operation by operation; steps they cannot
reproduce are refused and run as before."""

import warnings

import numpy as np
import pytest

from pipeline.models import MODELS
from pipeline.models.base import parse_overrides, to_format
from pipeline.precision import NumberFormat, round, stream_generator
from pipeline.precision.tracing import _same_state, compile_steps, same_values


def bits(values):
    return np.asarray(values).view(np.uint64)


def block(name, fmt_name, members, overrides):
    model_class = MODELS[name]
    config = parse_overrides(model_class.Config, overrides, name)
    fmt = NumberFormat.parse(fmt_name)
    model = model_class(config, fmt)
    rng = stream_generator(5, name, fmt_name) if fmt.stochastic else None
    perturbations = [stream_generator(5, name, "perturbation", 0, m) for m in range(members)]
    return model, tuple(to_format(v, fmt, rng) for v in model.initial_state(perturbations))


@pytest.mark.parametrize("fmt_name", ["e11m10", "e11m10-sr", "e5m10-sr", "e8m3"])
@pytest.mark.parametrize("name, members, overrides, steps", [
    ("heat_column", 3, {}, 400),
    ("lorenz63", 5, {}, 300),
    ("shallow_water", 2, {"resolution_km": "200"}, 20),
])
def test_compiled_steps_equal_stepping_operation_by_operation(name, members, overrides, steps,
                                                              fmt_name):
    model, state = block(name, fmt_name, members, overrides)
    reference_model, reference = block(name, fmt_name, members, overrides)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a refused trace fails the test
        compiled = compile_steps(model.step, state)
    assert compiled is not None
    with np.errstate(all="ignore"):
        for _ in range(steps):
            reference = reference_model.step(reference)
        # In pieces, as run_block calls it between outputs.
        state = compiled(compiled(state, steps // 3), steps - steps // 3)
    for ours, theirs in zip(state, reference):
        assert ours.format == theirs.format
        assert same_values(ours, theirs)
    if state[0].rng is not None:
        assert _same_state(state[0].rng.bit_generator.state,
                           reference[0].rng.bit_generator.state)


def special_values():
    rng = np.random.default_rng(4)
    values = rng.standard_normal((3, 5, 8)) * 2.0 ** rng.integers(-30, 18, (3, 5, 8))
    values[0, 0, :8] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, 7e4, -6.5e4]
    return values


def many_operations(state):
    """Every operation a trace can hold: broadcasting, strides, scalars, constants, views,
    assignment of plain values, in-place updates and concatenation."""
    (a,) = state
    constant = np.linspace(-3.0, 3.0, 8)
    b = a[:, ::-1] * a[:, 1:2] - 2.5 / a
    c = np.sqrt(np.abs(b)) + b ** 2 - (-a) * constant
    d = np.concatenate((c[..., -3:], c[..., :-3]), axis=-1) / 1e-3
    d[0, 1:3] += a[1, :2] * 0.5
    d[1] = 1.0 / 3.0
    d[2, :, 0] = constant[:5]
    e = d.copy()
    e[:, 1:] = e[:, :-1]  # overlapping assignment: as if through a temporary
    return (e - 7.0 + a[:, :, :1],)


@pytest.mark.parametrize("fmt_name", ["e5m10", "e5m10-sr", "e3m2-sr", "e11m4"])
def test_every_traced_operation_rounds_as_the_emulated_array_on_special_values(fmt_name):
    fmt = NumberFormat.parse(fmt_name)
    state = (fmt.array(special_values(), seed=3, stream=("trace",)),)
    reference = (state[0].copy(),)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = compile_steps(many_operations, state, check_steps=1)
    assert compiled is not None
    rng = state[0].rng
    start = rng.bit_generator.state if rng is not None else None
    with np.errstate(all="ignore"):
        reference = many_operations(many_operations(reference))
        if rng is not None:  # the copy shares the stream: give the compiled run the same keys
            rng.bit_generator.state = start
        state = compiled(state, 2)
    assert same_values(state[0], reference[0])
    assert not np.isnan(np.asarray(state[0])).all()  # the case still tests numbers
    # And the emulated array itself holds numbers of the format.
    nearest = fmt.with_rounding("nearest")
    assert np.array_equal(bits(state[0]), bits(round(np.asarray(state[0]), nearest)))


@pytest.mark.parametrize("step, reason", [
    (lambda s: (np.exp(s[0]),), "ufunc exp"),
    (lambda s: (s[0] - s[0].sum(),), "sum"),
    (lambda s: (s[0] * 2.0 if float(s[0][0, 0]) > 0 else s[0],), "Python decision"),
    (lambda s: (s[0] @ s[0].T,), "matmul"),
])
def test_a_step_that_cannot_be_reproduced_is_refused_with_a_reason(step, reason):
    fmt = NumberFormat.parse("e5m10")
    state = (fmt.array(np.ones((4, 4))),)
    with pytest.warns(UserWarning, match="^The step not compiled \\("):
        assert compile_steps(step, state) is None
    with pytest.warns(UserWarning, match="^Model toy at e5m10: step not compiled"):
        assert compile_steps(step, state, name="Model toy at e5m10:") is None
