"""Every stepper against exact solutions, at its order of accuracy."""

import math

import numpy as np
import pytest

from pipeline.models.steppers import ORDERS, STEPPERS


def decay(state):
    (y,) = state
    return (-y,)


def oscillator(state):
    position, velocity = state
    return velocity, -position


def integrate(stepper, tendency, state, dt, steps):
    step = stepper(tendency, dt)
    for _ in range(steps):
        state = step(state)
    return state


@pytest.mark.parametrize("name", sorted(STEPPERS))
def test_stepper_converges_at_its_order_on_decay_and_oscillator(name):
    stepper, order = STEPPERS[name], ORDERS[name]
    errors = []
    for steps in (40, 80):
        dt = 2.0 / steps
        (y,) = integrate(stepper, decay, (np.array([1.0]),), dt, steps)
        position, velocity = integrate(stepper, oscillator, (np.array([1.0]), np.array([0.0])),
                                       dt, steps)
        errors.append((abs(y[0] - math.exp(-2.0)), abs(position[0] - math.cos(2.0))
                       + abs(velocity[0] + math.sin(2.0))))
    for coarse, fine in zip(*errors):
        observed = math.log2(coarse / fine)
        assert order - 0.3 < observed < order + 0.5
