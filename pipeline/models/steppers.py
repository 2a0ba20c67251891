"""Explicit time steppers as factories: ``stepper(tendency, dt) -> step(state) -> state``.

A state is a tuple of arrays; ``tendency(state)`` returns a tuple of the same shapes. The
steppers are written with plain NumPy operators, so they run at whatever number format the
state's arrays carry (`pipeline.precision.LowPrecisionArray`). Constants such as ``dt / 6``
are computed once, in float64, and enter each product as exact float64 operands.
"""

from __future__ import annotations

from typing import Callable, Sequence

State = Sequence
Tendency = Callable[[State], State]


def forward_euler(tendency: Tendency, dt: float) -> Callable[[State], tuple]:
    """y_{n+1} = y_n + dt f(y_n): first order (Euler 1768)."""

    def step(state):
        return tuple(y + dt * dy for y, dy in zip(state, tendency(state)))

    return step


def rk4(tendency: Tendency, dt: float) -> Callable[[State], tuple]:
    """Classical fourth-order Runge–Kutta (Kutta 1901):

        k1 = f(y), k2 = f(y + dt/2 k1), k3 = f(y + dt/2 k2), k4 = f(y + dt k3),
        y_{n+1} = y_n + dt/6 (k1 + 2 k2 + 2 k3 + k4).
    """
    half, sixth = dt / 2, dt / 6

    def step(state):
        k1 = tendency(state)
        k2 = tendency(tuple(y + half * k for y, k in zip(state, k1)))
        k3 = tendency(tuple(y + half * k for y, k in zip(state, k2)))
        k4 = tendency(tuple(y + dt * k for y, k in zip(state, k3)))
        return tuple(
            y + sixth * (a + 2.0 * b + 2.0 * c + d)
            for y, a, b, c, d in zip(state, k1, k2, k3, k4)
        )

    return step


STEPPERS = {"forward_euler": forward_euler, "rk4": rk4}
ORDERS = {"forward_euler": 1, "rk4": 4}
