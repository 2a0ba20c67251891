"""Soil heat-diffusion column: the "interlude" of Paxton et al. (2022, J. Climate 35, 1215,
doi:10.1175/JCLI-D-21-0343.1), after Dawson et al. (2018, "Reliable low precision simulations
in land surface models", Clim. Dyn. 51, 2657, doi:10.1007/s00382-017-4034-x): a slow
process where round to nearest stalls.

    dT/dt = D d2T/dz2,   D = 7e-7 m2 s-1,   0 <= z <= 60 m (depth, positive down),

discretised with centred differences on nodes z_i = i dz (dz = 1 m) and forward Euler in time
(dt = 1800 s):

    T_i^{n+1} = T_i^n + kappa (T_{i+1}^n - 2 T_i^n + T_{i-1}^n),   kappa = D dt / dz^2 = 1.26e-3,

with T_0 = 280 K fixed at the surface (Dirichlet) and zero flux at the bottom (a mirror node,
T_{N+1} = T_{N-1}). Initially T = 273.15 K plus a member offset.

Why it stalls: at T near 273 K a format with M significand bits has spacing 2**(8 - M) K; an
increment kappa * Laplacian smaller than half of that is rounded away every step (e.g. any
Laplacian below about 12 K at M = 10), while stochastic rounding keeps it on average.

Ensemble members differ by a uniform offset of the initial temperature, perturbation * N(0, 1)
per member: the column's slowest mode decays over decades (tau = (2L/pi)^2 / D, about 66 years
for L = 60 m), so members keep a spread that makes the float64 null distribution meaningful,
where a grid-scale perturbation would be diffused away within weeks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.models.base import RunLength, Variable
from pipeline.precision import NumberFormat
from pipeline.precision import round as round_to_format

SECONDS_PER_DAY = 86400.0
DAYS_PER_YEAR = 365.0


@dataclass(frozen=True)
class HeatColumnConfig:
    """Heat column parameters (SI units; defaults from Paxton et al. 2022, section 5)."""

    diffusivity: float = 7e-7  # m2 s-1
    column_depth: float = 60.0  # m
    dz: float = 1.0  # m
    dt: float = 1800.0  # s
    initial_temperature: float = 273.15  # K
    top_temperature: float = 280.0  # K
    years: float = 5.0
    spinup_years: float = 0.0
    output_interval_days: float = 30.0
    perturbation: float = 0.05  # K, standard deviation of the members' initial offsets

    def check(self) -> str | None:
        if self.diffusivity <= 0 or self.dz <= 0 or self.dt <= 0 or self.column_depth <= self.dz:
            return "diffusivity, dz and dt must be positive and column_depth larger than dz"
        if self.diffusivity * self.dt / self.dz**2 > 0.5:
            return (f"kappa = diffusivity * dt / dz**2 = {self.diffusivity * self.dt / self.dz**2:g} "
                    "exceeds 0.5, where forward Euler is unstable")
        if self.years <= 0 or self.spinup_years < 0:
            return "years must be positive and spinup_years non-negative"
        if self.output_interval_days * SECONDS_PER_DAY < self.dt:
            return "output_interval_days must be at least one time step"
        if self.perturbation < 0:
            return "perturbation must be non-negative"
        return None

    @property
    def levels(self) -> int:
        return int(round(self.column_depth / self.dz)) + 1

    @property
    def kappa(self) -> float:
        return self.diffusivity * self.dt / self.dz**2

    def run_length(self) -> RunLength:
        """In days: the file's time unit."""
        return RunLength(self.dt / SECONDS_PER_DAY, self.spinup_years * DAYS_PER_YEAR,
                         self.years * DAYS_PER_YEAR, self.output_interval_days)


class HeatColumn:
    """Soil heat column ensemble block at one number format; state rows are members."""

    name = "heat_column"
    compiled_steps = True  # step reads only the state and fixed attributes (see tracing)
    Config = HeatColumnConfig
    time_units = "days since 2000-01-01 00:00:00"
    time_long_name = "time since the end of spin-up"
    variables = {
        "temperature": Variable("K", "soil temperature", ("member", "time", "depth"),
                                "soil_temperature"),
    }

    def __init__(self, config: HeatColumnConfig, fmt: NumberFormat):
        self.config = config
        self.kappa = float(round_to_format(config.kappa, fmt.with_rounding("nearest")))

    def coordinates(self) -> dict:
        depth = np.arange(self.config.levels) * self.config.dz
        return {"depth": (depth, {"units": "m", "long_name": "depth below the surface",
                                   "standard_name": "depth", "positive": "down", "axis": "Z"})}

    def initial_state(self, perturbation_rngs) -> tuple[np.ndarray]:
        offsets = np.array([rng.standard_normal() for rng in perturbation_rngs])
        temperature = np.full((len(offsets), self.config.levels), self.config.initial_temperature)
        temperature += self.config.perturbation * offsets[:, None]
        temperature[:, 0] = self.config.top_temperature
        return (temperature,)

    def step(self, state):
        """One forward Euler step in place: interior centred differences, mirrored bottom."""
        (temperature,) = state
        kappa = self.kappa
        bottom = kappa * (2.0 * (temperature[:, -2] - temperature[:, -1]))
        temperature[:, 1:-1] += kappa * (
            temperature[:, 2:] - 2.0 * temperature[:, 1:-1] + temperature[:, :-2]
        )
        temperature[:, -1] += bottom
        return (temperature,)

    def snapshot(self, state) -> dict[str, np.ndarray]:
        return {"temperature": np.array(state[0], dtype=np.float64)}
