"""Lorenz '63: the three-variable convection model (Lorenz 1963, J. Atmos. Sci. 20, 130,
doi:10.1175/1520-0469(1963)020<0130:DNF>2.0.CO;2), equations (25)-(27):

    dx/dt = sigma (y - x),   dy/dt = x (rho - z) - y,   dz/dt = x y - beta z,

with the classical sigma = 10, rho = 28, beta = 8/3, integrated with RK4. Time is
dimensionless. Paxton et al. (2022, J. Climate 35, 1215, doi:10.1175/JCLI-D-21-0343.1,
section 3) use it as the first test bed for low-precision climate: the attractor's
distribution of x, y, z, not a trajectory, is what must survive rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.base import RunLength, Variable
from pipeline.models.steppers import rk4
from pipeline.precision import NumberFormat
from pipeline.precision import round as round_to_format

# A point on the attractor: (1, 1, 20) integrated in float64 with RK4 (dt = 0.01) for 50
# time units; computed by `attractor_point` and checked in the tests.
SETTLE_TIME = 50.0


@dataclass(frozen=True)
class Lorenz63Config:
    """Lorenz '63 parameters (dimensionless; defaults from Lorenz 1963)."""

    sigma: float = 10.0
    rho: float = 28.0
    beta: float = 8.0 / 3.0
    dt: float = 0.01
    spinup: float = 10.0
    length: float = 100.0
    output_interval: float = 0.1
    perturbation: float = 1e-3

    def check(self) -> str | None:
        if self.dt <= 0 or self.output_interval < self.dt:
            return "dt must be positive and output_interval at least dt"
        if self.spinup < 0 or self.length <= 0:
            return "spinup must be non-negative and length positive"
        if self.perturbation < 0:
            return "perturbation must be non-negative"
        return None

    def run_length(self) -> RunLength:
        return RunLength(self.dt, self.spinup, self.length, self.output_interval)


def tendency(state, sigma, rho, beta):
    """(dx/dt, dy/dt, dz/dt) of Lorenz (1963), equations (25)-(27)."""
    x, y, z = state
    return sigma * (y - x), x * (rho - z) - y, x * y - beta * z


def attractor_point(config: Lorenz63Config) -> np.ndarray:
    """A point on the attractor, reached from (1, 1, 20) after SETTLE_TIME in float64."""
    step = rk4(lambda s: tendency(s, config.sigma, config.rho, config.beta), config.dt)
    state = (1.0, 1.0, 20.0)
    for _ in range(round_steps(SETTLE_TIME, config.dt)):
        state = step(state)
    return np.array(state, dtype=np.float64)


def round_steps(duration: float, dt: float) -> int:
    return int(np.rint(duration / dt))


class Lorenz63:
    """Lorenz '63 ensemble block at one number format; state rows are members."""

    name = "lorenz63"
    compiled_steps = True  # step reads only the state and fixed attributes (see tracing)
    Config = Lorenz63Config
    time_units = "1"
    time_long_name = "dimensionless model time since the end of spin-up"
    variables = {
        "x": Variable("1", "Lorenz '63 x (convective intensity)", ("member", "time")),
        "y": Variable("1", "Lorenz '63 y (temperature difference, rising and sinking)",
                      ("member", "time")),
        "z": Variable("1", "Lorenz '63 z (distortion of the vertical temperature profile)",
                      ("member", "time")),
    }

    def __init__(self, config: Lorenz63Config, fmt: NumberFormat):
        self.config = config
        # Constants are converted once, at setup, to numbers of the format.
        self.sigma, self.rho, self.beta = (
            float(round_to_format(value, fmt.with_rounding("nearest")))
            for value in (config.sigma, config.rho, config.beta)
        )
        self._step = rk4(lambda s: tendency(s, self.sigma, self.rho, self.beta), config.dt)

    def coordinates(self) -> dict:
        return {}

    def initial_state(self, perturbation_rngs) -> tuple[np.ndarray, ...]:
        """The attractor point plus perturbation * N(0, 1) per member and variable."""
        start = attractor_point(self.config)
        noise = np.array([rng.standard_normal(3) for rng in perturbation_rngs])
        values = start[None, :] + self.config.perturbation * noise
        return tuple(values[:, i].copy() for i in range(3))

    def step(self, state):
        return self._step(state)

    def snapshot(self, state) -> dict[str, np.ndarray]:
        return {name: np.asarray(value, dtype=np.float64) for name, value in zip("xyz", state)}
