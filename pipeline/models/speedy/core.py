"""A SPEEDY-like spectral primitive-equation dynamical core, generic over the number format.

Hydrostatic primitive equations on the sphere in sigma coordinates, in the vorticity-divergence
spectral-transform form of SPEEDY (Molteni 2003, Clim. Dyn. 20, 175) and of Hoskins & Simmons
(1975, Q. J. R. Meteorol. Soc. 101, 637). Prognostic: vorticity zeta, divergence D,
temperature T and ln(p_s / p0) in spherical harmonics (triangular truncation, Gaussian grid;
`pipeline.models.speedy.spectral`), on K sigma levels (`pipeline.models.speedy.vertical`):

    d zeta/dt = curl F,        d D/dt = div F - Laplacian(Phi + E + R T_ref ln p_s),
    F = ((zeta + f) v - sigmadot du/dsigma - R T' (1/(a cos phi)) d ln p_s/dlambda,
         -(zeta + f) u - sigmadot dv/dsigma - R T' (1/a) d ln p_s/dphi),
    dT/dt = -div(v T') + T' D - sigmadot dT/dsigma + kappa T omega/p,
    dq/dt = -div(v q) + q D - sigmadot dq/dsigma   (optional specific humidity, passive here),
    d ln p_s/dt = -sum_k dsigma_k (D_k + v_k . grad ln p_s),

with E = |v|^2 / 2, T' = T - T_ref(sigma), Phi = Phi_s + R G T (hydrostatic), plus the Held &
Suarez (1994) forcing (`pipeline.models.speedy.forcing`) and scale-selective hyperdiffusion
del^(2 n) with damping time tau at the largest wavenumber (SPEEDY: n = 4, tau = 2.4 h).

Time stepping: leapfrog (a forward step first) with the gravity-wave terms semi-implicit
(Robert, Henderson & Turnbull 1972; Hoskins & Simmons 1975): the terms linear in (D, T, ln p_s)
about a reference profile T_ref (SPEEDY's: 288 K max(0.2, sigma)^(R gamma / g), gamma = 6 K/km;
or isothermal, the choice of Simmons, Hoskins & Burridge 1978, Mon. Wea. Rev. 106, 405, who
show the scheme unstable where T exceeds T_ref by much) are averaged between t - dt and t + dt with weight alpha (SPEEDY: 0.5),
which leaves one K x K system per total wavenumber l. Hyperdiffusion is implicit; a
Robert-Asselin-Williams filter (Williams 2009, Mon. Wea. Rev. 137, 2538; SPEEDY: nu = 0.05,
alpha = 0.53) damps the computational mode.

Scaling for low precision (as in SpeedyWeather.jl, Klower et al. 2024): vorticity and
divergence are held times the radius a (m s-1), all operators act on the unit sphere, and
every tendency is computed as the increment over one time step, with dt / a folded into
constants rounded to the format once; pressure is held as ln(p_s / p0), near 0. So that
float16's range (6.1e-5 to 65504 for normal numbers) holds every table and every product:
the FFTs are normalised forward (Fourier coefficients no larger than the grid values), the
analysis tables hold dt/a times a power of two 2^p ~ 1/(8 dt/a) whose results are scaled back
by 2^-p (exact), and R T_ref (8e4 alone) enters only as dt/a l(l+1) R T_ref. The global
mean (l = 0) of temperature never enters the geopotential gradient, so it is left out of the
hydrostatic sum, where it alone would exceed the range of 5-exponent-bit formats. Specific
humidity is held in g kg-1, as in SPEEDY, so that its range (up to ~20) suits them too.

The humidity slot (``humidity=true``) carries q as a tracer advected by the dynamics, with
the hyperdiffusion of temperature. It starts from the DCMIP 2016 moist baroclinic-wave
profile (`initial.moist_baroclinic_humidity`) or from ``initial_file``.

``physics=speedy`` replaces the Held-Suarez forcing by SPEEDY's moist physics
(`pipeline.models.speedy.physics`, coupled in `pipeline.models.speedy.coupling`) on the
boundary conditions of `pipeline.models.speedy.boundaries`; it carries humidity.

Temperature is held as T' = T - T_ref(sigma) (``temperature_prognostic=anomaly``, the
default) or as T (``absolute``). The two are the same equations (T_ref is constant in time and
enters only the global-mean, l = 0, coefficient of each level), but in low precision the
anomaly form does not spend significand bits on the 200-290 K of the mean: the l = 0
coefficient, about 400 in absolute form (where 10 bits leave a spacing of 0.25 K and
round-to-nearest drops any global-mean increment below 0.125 K per step), is a few K.
Grid-point T is T' + T_ref wherever the equations need it.
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy as np

from pipeline.models.base import RunLength, Variable
from pipeline.models.speedy import components
from pipeline.models.speedy import coupling as moist_coupling
from pipeline.models.speedy import forcing as held_suarez
from pipeline.models.speedy import orographic
from pipeline.models.speedy.boundaries import SEASONS, climatology_on
from pipeline.models.speedy.initial import (jablonowski_williamson, moist_baroclinic_humidity,
                                             rossby_haurwitz_vorticity)
from pipeline.models.speedy.spectral import Grid, SpectralTransform, standard_grid
from pipeline.models.speedy.vertical import (SigmaLevels, check_half_levels, continuity,
                                             parse_half_levels, vertical_advection)
from pipeline.precision import NumberFormat
from pipeline.precision.components import Component
from pipeline.precision import round as round_to_format

SECONDS_PER_DAY = 86400.0
EARTH_RADIUS = 6.371e6  # m (SPEEDY)
EARTH_ROTATION = 7.292e-5  # s-1
GRAVITY = 9.81  # m s-2
STANDARD_GRAVITY = 9.80665  # m s-2, for geopotential height (WMO)
GAS_CONSTANT = 287.0  # J kg-1 K-1, dry air
HEAT_CAPACITY = 1004.0  # J kg-1 K-1, c_p of dry air
KAPPA = GAS_CONSTANT / HEAT_CAPACITY
REFERENCE_PRESSURE = 1e5  # p0, Pa
# SPEEDY's start from rest (speedy.f90 initialize_from_rest_state): p_s at z = 0, Pa, and
# the surface humidity refrh1 x 0.622 x esref / p0 in g kg-1 (RH 0.7 of 17 hPa at 1000 hPa).
SPEEDY_REST_PRESSURE = 1.013e5
SPEEDY_REST_HUMIDITY = 0.7 * 0.622 * 17.0
INITIAL_STATES = ("rest", "jablonowski-williamson", "jablonowski-williamson-balanced",
                  "rossby-haurwitz")
FORCINGS = ("held-suarez", "none")
PHYSICS = ("held-suarez", "speedy", "none")
TEMPERATURE_FORMS = ("anomaly", "absolute")
LAND_MODELS = ("slab", "prescribed")
DIFFUSION_LEVELS = ("top", "all")
GRAMS_PER_KILOGRAM = 1000.0  # q is held in g kg-1 (SPEEDY's unit)


@dataclass(frozen=True)
class SpeedyConfig:
    """Parameters (SI units unless named; defaults of SPEEDY and Held & Suarez 1994)."""

    truncation: int = 30  # T; 30 -> 96 x 48 grid, 21 -> 64 x 32
    nlon: int = 0  # 0: the standard grid of the truncation
    nlat: int = 0
    sigma_half_levels: str = ""  # comma-separated; empty: SPEEDY's 8 layers
    steps_per_day: int = 0  # 0: 36 at T30 (dt = 2400 s), scaled with 30/T
    days: float = 30.0
    spinup_days: float = 0.0
    output_interval_hours: float = 24.0
    forcing: str = "held-suarez"  # or "none"
    initial_state: str = "rest"  # rest, jablonowski-williamson(-balanced), rossby-haurwitz
    reference_temperature: float = 0.0  # K; 0: SPEEDY's profile, else isothermal T_ref
    # auto, flat, mountain, jablonowski-williamson, boundaries (SPEEDY's orog from
    # boundaries=DIR; what auto picks with them) or a NetCDF path
    orography: str = "auto"
    barotropic: bool = False  # True: vorticity equation only (tests)
    humidity: bool = False  # True: carry specific humidity (passive until the moist physics)
    hyperdiffusion_hours: float = 2.4  # damping time at the largest wavenumber (zeta, T)
    hyperdiffusion_divergence_hours: float = 2.4
    hyperdiffusion_order: int = 4  # del^(2 n)
    implicit_weight: float = 0.5  # alpha of the semi-implicit scheme
    robert_filter: float = 0.05
    williams_filter: float = 0.53
    perturbation: float = 0.1  # K, sd of the members' initial temperature noise
    pressure_levels_hpa: str = "500"  # geopotential height output levels
    output_levels: str = "all"  # sigma levels of u, v, T in the output: "all" or 1-based from the top
    initial_file: str = ""  # NetCDF of this model: start from its last snapshot of member 0
    physics: str = "held-suarez"  # held-suarez, speedy (SPEEDY's moist physics) or none
    boundaries: str = "aquaplanet"  # physics=speedy: aquaplanet, or a directory of SPEEDY's T30 files
    # physics=speedy: equinox (perpetual, the aquaplanet's), perpetual-january (Paxton's runs)
    # or annual (the date advances from 1 January); "" picks equinox over the aquaplanet and
    # perpetual-january with boundaries=DIR.
    season: str = ""
    # physics=speedy with boundaries=DIR: slab (SPEEDY's slab land model, its default
    # land_coupling_flag = 1) or prescribed (the land temperature climatology); "" is slab.
    land_model: str = ""
    radiation_steps: int = 3  # physics=speedy: shortwave radiation every this many steps (nstrad)
    solar_constant: float = 1368.0  # W m-2 (SPEEDY: 4 x 342)
    temperature_prognostic: str = "anomaly"  # anomaly: T - T_ref(sigma) held; absolute: T
    # physics=speedy: SPEEDY's damping of the top level (Molteni 2003): del^2 diffusion of
    # zeta, D and T (this damping time at the largest wavenumber) and drag on the zonal means
    # of zeta and D (0: off).
    stratospheric_diffusion_hours: float = 12.0
    # Levels that get that del^2 diffusion: "top" (SPEEDY ver41, hordif(1, ...), the code
    # Paxton et al. ran) or "all" (speedy.f90, which applies it at every level and so has
    # about a third of ver41's mid-latitude eddy kinetic energy: docs/speedy-f90-comparison.md).
    stratospheric_diffusion_levels: str = "top"
    stratospheric_drag_days: float = 30.0
    # physics=speedy: SPEEDY's orographic correction of the horizontal diffusion of T and q
    # (pipeline/models/speedy/orographic.py; nothing to correct on flat orography).
    orographic_correction: bool = True
    # physics=speedy: which of its output variables to write ("all", or names, comma-separated)
    physics_outputs: str = "all"
    # Mixed precision by component (pipeline/models/speedy/components.py): which components
    # take the run's format ("all", or names such as "convection" or "physics"; the others
    # run in float64), and a format per component ("" for the rule: physics_format for the
    # column and the schemes, then the run's format if reduced, else float64).
    reduced_components: str = "all"
    physics_format: str = ""
    dynamics_format: str = ""
    column_format: str = ""
    convection_format: str = ""
    condensation_format: str = ""
    clouds_format: str = ""
    shortwave_format: str = ""
    longwave_format: str = ""
    surface_fluxes_format: str = ""
    vertical_diffusion_format: str = ""
    land_format: str = ""
    transforms_format: str = ""
    time_stepping_format: str = ""

    @property
    def effective_season(self) -> str:
        """``season``, or its default: equinox over the aquaplanet, perpetual-january with
        SPEEDY's files."""
        if self.season:
            return self.season
        return "equinox" if self.boundaries == "aquaplanet" else "perpetual-january"

    @property
    def effective_land_model(self) -> str:
        """``land_model``, or its default: slab with SPEEDY's files, none otherwise."""
        if self.physics != "speedy" or self.boundaries == "aquaplanet":
            return "none"
        return self.land_model or "slab"

    def check(self) -> str | None:
        grid = self.grid
        problem = grid.check()
        if problem:
            return problem
        try:
            half = parse_half_levels(self.sigma_half_levels)
        except ValueError:
            return f"sigma_half_levels must be comma-separated numbers, got {self.sigma_half_levels!r}"
        problem = check_half_levels(half)
        if problem:
            return problem
        problem = components.check(self)
        if problem:
            return problem
        if self.initial_state not in INITIAL_STATES:
            return f"initial_state must be one of {', '.join(INITIAL_STATES)}, got {self.initial_state!r}"
        if self.forcing not in FORCINGS:
            return f"forcing must be one of {', '.join(FORCINGS)}, got {self.forcing!r}"
        if self.physics not in PHYSICS:
            return f"physics must be one of {', '.join(PHYSICS)}, got {self.physics!r}"
        if self.temperature_prognostic not in TEMPERATURE_FORMS:
            return (f"temperature_prognostic must be one of {', '.join(TEMPERATURE_FORMS)}, "
                    f"got {self.temperature_prognostic!r}")
        if self.physics == "speedy":
            if self.forcing == "none" or self.barotropic:
                return ("physics=speedy needs the baroclinic model with forcing=held-suarez (its "
                        "default; physics replaces it): use physics=none for an unforced run")
            if half.size - 1 < 6:
                return f"physics=speedy needs at least 6 sigma levels, got {half.size - 1}"
            if self.radiation_steps < 1:
                return f"radiation_steps must be at least 1, got {self.radiation_steps}"
            if self.stratospheric_diffusion_hours < 0 or self.stratospheric_drag_days < 0:
                return "stratospheric_diffusion_hours and stratospheric_drag_days must be >= 0"
            if self.stratospheric_diffusion_levels not in DIFFUSION_LEVELS:
                return (f"stratospheric_diffusion_levels must be one of "
                        f"{', '.join(DIFFUSION_LEVELS)}, got {self.stratospheric_diffusion_levels!r}")
            if self.solar_constant <= 0:
                return f"solar_constant must be positive, got {self.solar_constant}"
            unknown = [name for name in self.physics_output_names
                       if name not in moist_coupling.VARIABLES]
            if unknown:
                return (f"physics_outputs must be 'all' or names among "
                        f"{', '.join(moist_coupling.VARIABLES)}; got {', '.join(unknown)}")
            if self.boundaries != "aquaplanet" and not os.path.isdir(self.boundaries):
                return (f"boundaries must be 'aquaplanet' or a directory of SPEEDY's T30 "
                        f"boundary files (speedy.f90's data/bc/t30/clim), got "
                        f"{self.boundaries!r}, which is not a directory")
            if self.season not in ("",) + SEASONS:
                return (f"season must be one of {', '.join(SEASONS)}, got {self.season!r}")
            if self.boundaries == "aquaplanet" and self.effective_season != "equinox":
                return (f"season={self.season} needs boundaries=DIR (SPEEDY's files); the "
                        "aquaplanet is at perpetual equinox")
            if self.boundaries != "aquaplanet" and self.effective_season == "equinox":
                return ("season=equinox goes with the aquaplanet only; with boundaries=DIR use "
                        "perpetual-january or annual")
            if self.land_model not in ("",) + LAND_MODELS:
                return (f"land_model must be one of {', '.join(LAND_MODELS)}, "
                        f"got {self.land_model!r}")
            if self.land_model and self.boundaries == "aquaplanet":
                return (f"land_model={self.land_model} needs boundaries=DIR (SPEEDY's files); "
                        "the aquaplanet has no land")
            slab_only = [name for name in self.physics_output_names
                         if name in moist_coupling.LAND_VARIABLES]
            if slab_only and self.effective_land_model != "slab":
                return (f"physics_outputs {', '.join(slab_only)} needs the slab land model "
                        "(boundaries=DIR with land_model=slab)")
        elif self.season or self.land_model:
            return "season and land_model apply to physics=speedy only"
        if self.orography == "boundaries" and (self.physics != "speedy"
                                               or self.boundaries == "aquaplanet"):
            return "orography=boundaries needs physics=speedy with boundaries=DIR"
        if self.steps_per_day < 0 or self.days <= 0 or self.spinup_days < 0:
            return "steps_per_day must be non-negative, days positive and spinup_days non-negative"
        if self.output_interval_hours * self.step_count_per_day < 24 * 0.999:
            return "output_interval_hours must be at least one time step"
        if min(self.hyperdiffusion_hours, self.hyperdiffusion_divergence_hours) <= 0 \
                or not 1 <= self.hyperdiffusion_order <= 8:
            return "hyperdiffusion times must be positive and hyperdiffusion_order between 1 and 8"
        if not 0.5 <= self.implicit_weight <= 1.0:
            return "implicit_weight must be between 0.5 (centred) and 1 (backward)"
        if not (0 <= self.robert_filter < 1 and 0.5 <= self.williams_filter <= 1):
            return "robert_filter must be in [0, 1) and williams_filter in [0.5, 1]"
        if self.perturbation < 0 or self.reference_temperature < 0:
            return "perturbation and reference_temperature must be non-negative"
        try:
            levels = self.pressure_levels
        except ValueError:
            return f"pressure_levels_hpa must be comma-separated numbers, got {self.pressure_levels_hpa!r}"
        if any(not 0 < p <= 1100 for p in levels):
            return "pressure_levels_hpa must lie between 0 and 1100 hPa"
        try:
            chosen = self.output_level_indices
        except ValueError:
            chosen = None
        if chosen is None or any(not 0 <= i < half.size - 1 for i in chosen) or not chosen:
            return (f"output_levels must be 'all' or level numbers from 1 (top) to {half.size - 1}, "
                    f"got {self.output_levels!r}")
        if chosen != sorted(set(chosen)):
            # A repeated level would repeat a sigma coordinate value, and CF coordinates
            # must be strictly monotonic.
            return (f"output_levels must list each level once, top first (increasing), "
                    f"got {self.output_levels!r}")
        return None

    @property
    def physics_output_names(self) -> list[str]:
        if self.physics_outputs.strip() == "all":
            return [name for name in moist_coupling.VARIABLES
                    if name not in moist_coupling.LAND_VARIABLES
                    or self.effective_land_model == "slab"]
        return [name.strip() for name in self.physics_outputs.split(",") if name.strip()]

    @property
    def carries_humidity(self) -> bool:
        return self.humidity or self.physics == "speedy"

    @property
    def output_level_indices(self) -> list[int]:
        """0-based indices of the output sigma levels."""
        if self.output_levels.strip() == "all":
            return list(range(self.levels.count))
        return [int(part) - 1 for part in self.output_levels.split(",") if part.strip()]

    @property
    def grid(self) -> Grid:
        standard = standard_grid(self.truncation)
        return Grid(self.truncation, self.nlon or standard.nlon, self.nlat or standard.nlat)

    @property
    def levels(self) -> SigmaLevels:
        return SigmaLevels(parse_half_levels(self.sigma_half_levels))

    @property
    def pressure_levels(self) -> tuple[float, ...]:
        return tuple(float(p) for p in self.pressure_levels_hpa.split(",") if p.strip())

    @property
    def step_count_per_day(self) -> int:
        return self.steps_per_day or max(1, round(36 * self.truncation / 30))

    @property
    def dt(self) -> float:
        """Time step, s."""
        return SECONDS_PER_DAY / self.step_count_per_day

    def run_length(self) -> RunLength:
        """In days: the file's time unit."""
        return RunLength(self.dt / SECONDS_PER_DAY, self.spinup_days, self.days,
                         self.output_interval_hours / 24)


def reference_temperature(sigma):
    """SPEEDY's T_ref (K): 288 max(0.2, sigma)^(R gamma / g), gamma = 6 K/km."""
    return 288.0 * np.maximum(0.2, sigma) ** (GAS_CONSTANT * 0.006 / GRAVITY)


class Speedy:
    """Spectral primitive-equation ensemble block at one number format.

    Spectral arrays are (member, level, m, l) complex; grid arrays (member, level, lon, lat).
    The state is (previous time level..., current time level..., physics..., steps), the
    prognostics in the order of ``prognostics`` (specific humidity last, when carried); the
    physics entries (with ``physics=speedy`` only) are those of
    `pipeline.models.speedy.coupling.MoistPhysics`; ``steps`` counts the steps taken (0
    before the first, forward, step), held as plain float64 whatever the format.
    """

    name = "speedy"
    Config = SpeedyConfig
    # What `reduced_components` may name (a model declares its components so that the
    # workflow's search can take them one at a time; pipeline/analysis/component_search.py).
    component_names = components.COMPONENTS + ("physics",)
    prognostics = ("vorticity", "divergence", "temperature", "log_surface_pressure")
    # Hyperdiffusion of each prognostic (and of humidity): its damping time; ln p_s has none.
    diffused_as = ("vorticity", "divergence", "temperature", None, "humidity")
    humidity_variables = {
        "specific_humidity": Variable("kg kg-1", "specific humidity",
                                      ("member", "time", "sigma", "lat", "lon"),
                                      "specific_humidity"),
        "global_mean_specific_humidity": Variable("kg kg-1", "mass-weighted global mean "
                                                  "specific humidity", ("member", "time")),
    }
    time_units = "days since 2000-01-01 00:00:00"
    time_long_name = "time since the end of spin-up"
    variables = {
        "u": Variable("m s-1", "eastward wind", ("member", "time", "sigma", "lat", "lon"),
                      "eastward_wind"),
        "v": Variable("m s-1", "northward wind", ("member", "time", "sigma", "lat", "lon"),
                      "northward_wind"),
        "temperature": Variable("K", "air temperature", ("member", "time", "sigma", "lat", "lon"),
                                "air_temperature"),
        "surface_pressure": Variable("Pa", "surface pressure", ("member", "time", "lat", "lon"),
                                     "surface_air_pressure"),
        "geopotential_height": Variable("m", "geopotential height on pressure levels",
                                        ("member", "time", "pressure", "lat", "lon"),
                                        "geopotential_height"),
        "global_mean_temperature": Variable("K", "mass-weighted global mean air temperature",
                                            ("member", "time")),
        "global_mean_kinetic_energy": Variable("m2 s-2", "mass-weighted global mean kinetic "
                                               "energy per unit mass", ("member", "time")),
    }

    @staticmethod
    def output_variables(config: SpeedyConfig) -> dict:
        """The variables a run of ``config`` writes (humidity and the moist physics' own
        when on); a config check asks this without building the model."""
        variables = dict(Speedy.variables)
        if config.carries_humidity:
            variables.update(Speedy.humidity_variables)
        if config.physics == "speedy":
            variables.update({name: moist_coupling.VARIABLES[name]
                              for name in config.physics_output_names})
        return variables

    def __init__(self, config: SpeedyConfig, fmt: NumberFormat, native_dtype=None):
        """``native_dtype`` (benchmarks): hold constants in NumPy's own float32 or float16,
        for a state of that dtype, instead of emulating ``fmt``."""
        self.config = config
        self.fmt = fmt
        if config.carries_humidity:
            self.prognostics = Speedy.prognostics + ("specific_humidity",)
        self.variables = Speedy.output_variables(config)
        self.grid = config.grid
        self.levels = config.levels
        # The format of each component (pipeline/models/speedy/components.py); the state and
        # the core compute in the dynamics' format.
        self.component_formats = components.component_formats(config, fmt)
        self.dynamics = Component("dynamics", self.component_formats["dynamics"],
                                  None)  # its stream: use_streams
        dynamics = self.dynamics.format
        nearest = dynamics.with_rounding("nearest")
        if native_dtype is not None:
            self.component_formats = None  # NumPy's own dtype throughout
            def native(values):
                values = np.asarray(values)
                return values.astype(np.complex64 if values.dtype.kind == "c" else native_dtype)
            self._convert = native
        else:
            self._convert = lambda values: (np.asarray(values) if dynamics.is_float64
                                            else np.asarray(round_to_format(values, nearest)))
        self.float64 = SpectralTransform(self.grid)  # diagnostics and setup
        self._convert_transforms = self._convert_stepping = self._convert
        self.transforms = self.stepping = None
        if self.component_formats is not None:
            self.transforms = Component("transforms", self.component_formats["transforms"], None)
            self._convert_transforms = self.transforms.constant
            if self.component_formats["time_stepping"] != dynamics:
                # The state lives in the time stepping's format; the dynamics take it in.
                self.stepping = Component("time_stepping",
                                          self.component_formats["time_stepping"], None)
                self._convert_stepping = self.stepping.constant
        self.transform = SpectralTransform(self.grid, self._convert_transforms)
        if self.transforms is not None and self.transforms.format != dynamics:
            self.transform = components.ComponentTransform(self.transform, self.transforms,
                                                           self.dynamics)
        self._setup_constants()
        if config.initial_file:
            _initial_fields(config.initial_file, self.grid, self.levels.count)  # checked early

    # --- constants, rounded to the format once ---------------------------------------------

    def _setup_constants(self):
        config, levels, transform = self.config, self.levels, self.transform
        c = self._convert
        dt_scaled = config.dt / EARTH_RADIUS  # time step on the unit sphere, s m-1
        k = levels.count
        column = (k, 1, 1)
        mu = self.grid.mu
        self.t_ref = (np.full(levels.count, config.reference_temperature)
                      if config.reference_temperature > 0 else reference_temperature(levels.full))
        # Grid constants (broadcast against (member, level, lon, lat)).
        self.coriolis = c(2 * EARTH_ROTATION * EARTH_RADIUS * mu)  # a f
        self.inverse_coslat2 = c(1.0 / (1.0 - mu**2))
        self.half_interior = c(levels.half[1:-1].reshape((k - 1, 1, 1)))
        self.thickness = c(levels.thickness.reshape(column))
        self.full_column = c(levels.full.reshape(column))
        self.inverse_double_thickness = c(1.0 / (2 * levels.thickness).reshape(column))
        self.t_ref_column = c(self.t_ref.reshape(column))
        # The held temperature is T - offset: T_ref (anomaly form) or 0 (absolute form).
        self.anomaly_form = config.temperature_prognostic == "anomaly"
        self.temperature_offset = self.t_ref.reshape(column) * (1.0 if self.anomaly_form else 0.0)
        self.offset_column = c(self.temperature_offset)
        self.gas_constant = float(c(GAS_CONSTANT))
        self.kappa = float(c(KAPPA))
        self.log_sigma = c(np.log(levels.full).reshape(column))
        self.mu = c(mu)
        # Analysis tables with dt / a folded in: their results are increments per step. Held
        # times 2^p (dt/a 2^p ~ 1/8) and their results times 2^-p, both exact, so that the
        # tables stay clear of float16's subnormals (dt/a alone is ~5e-4) while their results
        # (at most ~6000 at T21 and T30, Held-Suarez or Jablonowski-Williamson) stay below 65504.
        self.increment_scale = 2.0 ** round(-math.log2(dt_scaled) - 3)
        self.unscale = 1.0 / self.increment_scale
        step_scaled = dt_scaled * self.increment_scale
        ct = self._convert_transforms  # the transforms' own tables
        self.vector_m = ct(step_scaled * self.float64.vector_m)
        self.vector_h = ct(step_scaled * self.float64.vector_h)
        self.analysis = ct(step_scaled * self.float64.analysis_table)
        xi = -self.float64.eigenvalues  # l (l + 1)
        self.laplace_step = c(dt_scaled * xi)  # dt/a l(l+1): Laplacian increment factor
        self.xi = c(xi)
        self.not_mean = (xi > 0).astype(np.float64)
        # Semi-implicit operators (per step, unit sphere).
        hydrostatic = GAS_CONSTANT * levels.hydrostatic
        tau = self._linear_temperature_operator()
        self.rg = c(hydrostatic)
        self.tau_step = c(step_scaled * tau)  # times 2^p, as the analysis tables
        self.thickness_step = c(step_scaled * levels.thickness)
        # dt/a l(l+1) R T_ref as one table (K, 1, L): R T_ref alone (8e4) overflows float16.
        self.laplace_rt_ref = c(dt_scaled * xi[0][None, None, :]  # xi[0]: l(l+1) for every l
                                * (GAS_CONSTANT * self.t_ref)[:, None, None])
        alpha = config.implicit_weight
        coupling = dt_scaled**2 * (hydrostatic @ tau + np.outer(GAS_CONSTANT * self.t_ref,
                                                                levels.thickness))
        degrees = np.arange(self.grid.truncation + 1)
        self.implicit = {}
        self.diffusion = {}
        largest = self.grid.truncation * (self.grid.truncation + 1.0)
        shape = (degrees * (degrees + 1.0) / largest) ** config.hyperdiffusion_order
        for s in (1, 2):
            matrices = np.eye(k)[None] + (alpha * s) ** 2 * (degrees * (degrees + 1.0))[:, None, None] \
                * coupling[None]
            self.implicit[s] = (c(s * np.linalg.inv(matrices)), float(c(alpha * s)),
                                float(c(alpha * s * self.unscale)))
            damping = {}
            rates = self._diffusion_rates(shape, degrees * (degrees + 1.0) / largest)
            for name, rate in rates.items():
                damping[name] = self._convert_stepping(1.0 / (1.0 + s * config.dt * rate))
            self.diffusion[s] = damping
        # Held-Suarez forcing.
        self.held_suarez = (config.forcing == "held-suarez" and config.physics == "held-suarez"
                            and not config.barotropic)
        self.friction = c((config.dt * held_suarez.friction_rate(levels.full)).reshape((k, 1, 1)))
        self.relaxation = c(EARTH_RADIUS * held_suarez.relaxation_rate(levels.full, mu)[:, None, :])
        self.phi_s = self._surface_geopotential()
        # SPEEDY's orographic correction of the diffusion (physics=speedy, orography not flat):
        # the temperature term here, the humidity term once a model day (`step`).
        self.orographic_temperature = self._orographic_humidity = None
        if config.physics == "speedy" and config.orographic_correction \
                and np.any(self.phi_s != 0):
            self.orographic_temperature = self._convert_stepping(
                orographic.temperature_term(self.phi_s, GRAVITY)
                * orographic.temperature_profile(levels.full, GAS_CONSTANT,
                                                 GRAVITY)[:, None, None])
        self.laplace_orography = c(dt_scaled * xi * self.phi_s)
        self.moist = None
        if config.physics == "speedy":
            coslat = np.sqrt(1.0 - mu**2)
            self.coslat = c(coslat)
            self.moist = moist_coupling.MoistPhysics(
                config, self.grid, levels, c, transform, self.float64.to_grid(self.phi_s[0])[0],
                self.offset_column, c(1.0 / coslat), EARTH_RADIUS, KAPPA, HEAT_CAPACITY,
                self.component_formats, self.dynamics)
        cs = self._convert_stepping
        self.robert = float(cs(config.robert_filter / 2))
        self.williams = float(cs(config.williams_filter))
        self.williams_minus_one = float(cs(config.williams_filter - 1))

    # --- mixed precision by component --------------------------------------------------

    def use_streams(self, streams: dict) -> None:
        """The stochastic stream of each component (`component_formats`), from the run."""
        self.dynamics.rng = streams["dynamics"]
        if self.transforms is not None:
            self.transforms.rng = streams["transforms"]
        if self.stepping is not None:
            self.stepping.rng = streams["time_stepping"]
        if self.moist is not None:
            self.moist.use_streams(streams)

    def state_components(self, count: int) -> list[str]:
        """The component holding each of the ``count`` state entries: the prognostics are
        the time stepping's (the dynamics' when both share a format), the radiation memory
        the column's, everything else the dynamics'."""
        owners = ["dynamics"] * count
        if self.stepping is not None:
            owners[:2 * len(self.prognostics)] = ["time_stepping"] * (2 * len(self.prognostics))
        if self.moist is not None:
            start = 2 * len(self.prognostics)
            owners[start:start + moist_coupling.MEMORY_FIELDS] = \
                ["column"] * moist_coupling.MEMORY_FIELDS
            land = start + moist_coupling.SUMS_END
            owners[land:count - 1] = ["land"] * (count - 1 - land)  # the steps stay last
        return owners

    def _diffusion_rates(self, hyper, laplacian) -> dict:
        """Implicit damping rates (s-1) per prognostic, shaped (M, L), or (K, M, L) where the
        top level (every level with stratospheric_diffusion_levels=all, as speedy.f90) has
        SPEEDY's stratospheric terms (physics=speedy): del^2 diffusion
        (``laplacian`` = l(l+1)/(T(T+1))) of zeta, D and T and drag on the zonal (m = 0)
        means of zeta and D. Humidity has the hyperdiffusion of vorticity alone."""
        config, k = self.config, self.levels.count
        orders = self.grid.truncation + 1
        ones = np.ones((orders, 1))
        rates = {"vorticity": config.hyperdiffusion_hours,
                 "divergence": config.hyperdiffusion_divergence_hours}
        rates = {name: (hyper / (hours * 3600.0))[None, :] * ones for name, hours in rates.items()}
        rates["temperature"] = rates["humidity"] = rates["vorticity"]
        if config.physics != "speedy":
            return rates
        top = np.zeros((k, 1, 1))
        top[0] = 1.0
        diffused = top if config.stratospheric_diffusion_levels == "top" else np.ones((k, 1, 1))
        diffusion = (laplacian / (config.stratospheric_diffusion_hours * 3600.0)
                     if config.stratospheric_diffusion_hours > 0 else 0.0 * laplacian)
        drag = 1.0 / (config.stratospheric_drag_days * 86400.0) \
            if config.stratospheric_drag_days > 0 else 0.0
        zonal = (np.arange(orders) == 0)[:, None] * np.ones((1, laplacian.size))
        for name in ("vorticity", "divergence", "temperature"):
            extra = diffusion[None, :] * ones + (drag * zonal if name != "temperature" else 0.0)
            rates[name] = (rates[name][None] + top * extra[None]
                           + (diffused - top) * (diffusion[None, :] * ones)[None])
        return rates

    def _linear_temperature_operator(self) -> np.ndarray:
        """tau with dT/dt = -tau D for the linearisation about (T_ref, rest), from the same
        discrete continuity and vertical advection as the full equations."""
        levels = self.levels
        k = levels.count
        column = (k, 1, 1)
        tau = np.zeros((k, k))
        for r in range(k):
            unit = np.zeros((1, k, 1, 1))
            unit[0, r] = 1.0
            _, sigmadot, omega = continuity(unit, levels.thickness.reshape(column),
                                            levels.half[1:-1].reshape((k - 1, 1, 1)),
                                            levels.full.reshape(column))
            tendency = (-vertical_advection(self.t_ref.reshape((1, k, 1, 1)), sigmadot,
                                            1.0 / (2 * levels.thickness).reshape(column))
                        + KAPPA * self.t_ref.reshape((1, k, 1, 1)) * omega)
            tau[:, r] = -tendency[0, :, 0, 0]
        return tau

    def _surface_geopotential(self) -> np.ndarray:
        """Phi_s (m2 s-2) as spectral coefficients (1, 1, m, l), from the orography setting."""
        config = self.config
        choice = config.orography
        if choice == "auto":
            choice = ("jablonowski-williamson" if config.initial_state.startswith("jablonowski")
                      else "boundaries" if (config.physics == "speedy"
                                            and config.boundaries != "aquaplanet")
                      else "flat")
        lon, mu = self._grid_coordinates()
        if choice == "flat":
            field = np.zeros_like(lon * mu)
        elif choice == "jablonowski-williamson":
            field = jablonowski_williamson(lon, mu, np.array([0.5]), EARTH_RADIUS, EARTH_ROTATION,
                                           GAS_CONSTANT, GRAVITY, perturbed=False)[3]
        elif choice == "mountain":
            field = GRAVITY * idealised_mountain(lon, mu)
        elif choice == "boundaries":  # SPEEDY's orog (surface.nc), remapped to this grid
            field = GRAVITY * climatology_on(config.boundaries, self.grid).orography
        else:
            field = _orography_file(choice, self.grid)
        return self.float64.to_spectral(field)[None, None]

    def _grid_coordinates(self):
        lon = np.radians(self.grid.longitude)[:, None]
        return lon, self.grid.mu[None, :]

    def coordinates(self) -> dict:
        g = self.grid
        return {
            "lat": (g.latitude, {"units": "degrees_north", "standard_name": "latitude",
                                 "long_name": "Gaussian latitude", "axis": "Y"}),
            "lon": (g.longitude, {"units": "degrees_east", "standard_name": "longitude",
                                  "long_name": "longitude", "axis": "X"}),
            "sigma": (self.levels.full[self.config.output_level_indices], {"units": "1", "long_name": "sigma at full levels",
                                         "standard_name": "atmosphere_sigma_coordinate",
                                         "positive": "down", "axis": "Z",
                                         "formula_terms": "sigma: sigma ps: surface_pressure ptop: ptop",
                                         "computed_standard_name": "air_pressure"}),
            "ptop": (np.float64(0.0), {"units": "Pa", "long_name": "pressure at the model top",
                                       "standard_name": "air_pressure_at_top_of_atmosphere_model"}),
            "pressure": (100.0 * np.array(self.config.pressure_levels),
                         {"units": "Pa", "standard_name": "air_pressure",
                          "long_name": "pressure of the geopotential height levels",
                          "positive": "down"}),
        }

    # --- the equations -----------------------------------------------------------------

    def increments(self, vorticity, divergence, temperature, log_ps, humidity=None, physics=None):
        """Explicit increments over one time step (dt times the tendencies) of all
        prognostics, spectral, at the current time level (humidity's too when carried);
        ``physics`` (grid-point tendencies times a, `PhysicsTendencies`) joins the dynamics'
        grid-point tendencies before the transform."""
        t = self.transform
        k = self.levels.count
        moist = humidity is not None
        spectral = (vorticity, divergence, temperature, log_ps) + ((humidity,) if moist else ())
        fields = t.to_grid(np.concatenate(spectral, axis=1))
        zeta, div = fields[:, :k], fields[:, k:2 * k]
        temp, log_ps_grid = fields[:, 2 * k:3 * k], fields[:, 3 * k:3 * k + 1]
        q = fields[:, 3 * k + 1:] if moist else None
        u, v = t.winds(vorticity, divergence)
        absolute = zeta + self.coriolis
        if self.config.barotropic:
            # Vorticity equation alone; humidity is carried by the non-divergent flow.
            a_parts, b_parts = [absolute * v], [-(absolute * u)]
            if moist:
                a_parts.append(u * q)
                b_parts.append(v * q)
            flux = t.grid_to_fourier(np.concatenate(a_parts + b_parts, axis=1))
            half = len(a_parts) * k
            div_f, curl_f = t.divergence_curl(flux[:, :half], flux[:, half:],
                                              self.vector_m, self.vector_h)
            div_f, curl_f = div_f * self.unscale, curl_f * self.unscale
            changes = (curl_f[:, :k], 0.0 * divergence, 0.0 * temperature, 0.0 * log_ps)
            return changes + ((-div_f[:, k:],) if moist else ())
        along, across = t.gradient(log_ps)
        advection_ps = (u * along + v * across) * self.inverse_coslat2  # v . grad ln p_s
        ps_tendency, sigmadot, omega_part = continuity(
            div + advection_ps, self.thickness, self.half_interior, self.full_column)
        if self.anomaly_form:
            anomaly, temp = temp, temp + self.offset_column
        else:
            anomaly = temp - self.t_ref_column
        rt = self.gas_constant * anomaly
        a_field = absolute * v - vertical_advection(u, sigmadot, self.inverse_double_thickness) \
            - rt * along
        b_field = -(absolute * u) - vertical_advection(v, sigmadot, self.inverse_double_thickness) \
            - rt * across
        kinetic = 0.5 * ((u * u + v * v) * self.inverse_coslat2)
        heating = anomaly * div - vertical_advection(temp, sigmadot, self.inverse_double_thickness) \
            + self.kappa * temp * (advection_ps + omega_part)
        if self.held_suarez:
            log_p = self.log_sigma + log_ps_grid
            equilibrium = held_suarez.equilibrium_temperature(log_p, self.mu, self.kappa)
            heating = heating - self.relaxation * (temp - equilibrium)
        if physics is not None:
            heating = heating + physics.temperature
            a_field = a_field + physics.u * self.coslat
            b_field = b_field + physics.v * self.coslat
        # Flux divergences -div(v X) come from the vector transform, the rest from scalars:
        # X in (T', q), their sources X D - sigmadot dX/dsigma (+ heating for T).
        a_parts, b_parts, sources = [a_field, u * anomaly], [b_field, v * anomaly], [heating]
        if moist:
            a_parts.append(u * q)
            b_parts.append(v * q)
            moistening = q * div - vertical_advection(q, sigmadot, self.inverse_double_thickness)
            sources.append(moistening if physics is None else moistening + physics.humidity)
        half = len(a_parts) * k
        vectors = t.grid_to_fourier(np.concatenate(a_parts + b_parts, axis=1))
        scalars = t.grid_to_fourier(np.concatenate([kinetic] + sources + [ps_tendency], axis=1))
        div_f, curl_f = t.divergence_curl(vectors[:, :half], vectors[:, half:],
                                          self.vector_m, self.vector_h)
        div_f, curl_f = div_f * self.unscale, curl_f * self.unscale
        scalar_increments = t.legendre(scalars, self.analysis) * self.unscale
        d_vorticity = curl_f[:, :k]
        # Laplacian terms: dt/a l(l+1) (Phi_s + R G T + E + R T_ref ln p_s); E arrives as an
        # increment already (dt/a E), so it takes l(l+1) alone.
        d_divergence = (div_f[:, :k] + self.laplace_orography
                        + self.pressure_laplacian(temperature, log_ps)
                        + self.xi * scalar_increments[:, :k])
        d_temperature = scalar_increments[:, k:2 * k] - div_f[:, k:2 * k]
        d_log_ps = scalar_increments[:, -1:]
        if self.held_suarez:
            d_vorticity = d_vorticity - self.friction * vorticity
            d_divergence = d_divergence - self.friction * divergence
        changes = (d_vorticity, d_divergence, d_temperature, d_log_ps)
        if moist:
            changes += (scalar_increments[:, 2 * k:3 * k] - div_f[:, 2 * k:3 * k],)
        return changes

    # --- time stepping -------------------------------------------------------------------

    def pressure_laplacian(self, temperature, log_ps):
        """dt/a l(l+1) (R G T + R T_ref ln p_s): minus the Laplacian of the geopotential (less
        Phi_s) and of the reference pressure-gradient term, as a per-step increment of D.
        The l = 0 mean of T is left out: it has no gradient, and alone it would overflow
        5-exponent-bit formats in R G T."""
        return (level_product(self.rg, self.laplace_step * (temperature * self.not_mean))
                + self.laplace_rt_ref * log_ps)

    def linear_increments(self, divergence, temperature, log_ps):
        """The semi-implicit linear terms (dt times L X) for (D, T, ln p_s):
        L_D = l(l+1)/a^2 (R G T + R T_ref ln p_s), L_T = -tau D, L_p = -dsigma . D."""
        d_divergence = self.pressure_laplacian(temperature, log_ps)
        scaled = divergence * self.unscale  # the tables hold 2^p
        d_temperature = -level_product(self.tau_step, scaled)
        d_log_ps = -level_product(self.thickness_step[None, :], scaled)
        return d_divergence, d_temperature, d_log_ps

    def step(self, state):
        """One leapfrog step (forward for the first) with semi-implicit gravity waves,
        implicit hyperdiffusion and the Robert-Asselin-Williams filter."""
        count = len(self.prognostics)
        previous, current, steps = state[:count], state[count:2 * count], state[-1]
        extra = state[2 * count:-1]
        taken = int(np.asarray(steps).ravel()[0])
        first = taken == 0
        s = 1 if first else 2
        physics = None
        stored_previous, stored_current = previous, current
        if self.stepping is not None:  # the state, from the time stepping into the dynamics
            source = self.stepping.format
            previous = self.dynamics.take(*previous, source=source)
            current = self.dynamics.take(*current, source=source)
        if self.moist is not None:  # on the previous level, as in SPEEDY
            physics, extra = self.moist.tendencies(previous, extra, taken)
            if self.orographic_temperature is not None and (
                    self._orographic_humidity is None or taken % self.moist.steps_per_day == 0):
                self._orographic_humidity = self._humidity_correction(extra)
        explicit = list(self.increments(*current, physics=physics))
        if not first and not self.config.barotropic:
            # G = F + L(X(t - dt) - X(t)): the linear terms move from t to the implicit average.
            difference = [p - c for p, c in zip(previous[1:4], current[1:4])]
            linear = self.linear_increments(*difference)
            explicit[1:4] = [e + l for e, l in zip(explicit[1:4], linear)]
        if self.config.barotropic:
            changes = [s * e for e in explicit]
        else:  # humidity (after the four) has no linear terms
            changes = [*self._implicit_solve(s, *explicit[:4]), *(s * e for e in explicit[4:])]
        previous, current = stored_previous, stored_current
        if self.stepping is not None:  # the increments, into the time stepping
            changes = self.stepping.take(*changes, source=self.dynamics.format)
        start = current if first else previous
        new = [x + d for x, d in zip(start, changes)]
        damping = self.diffusion[s]
        corrections = {} if self.orographic_temperature is None else {
            "temperature": self.orographic_temperature, "humidity": self._orographic_humidity}
        for index, name in enumerate(self.diffused_as[:len(new)]):
            if name in corrections:  # diffusion of X + C (SPEEDY's orographic correction)
                new[index] = (new[index] + corrections[name]) * damping[name] - corrections[name]
            elif name:
                new[index] = new[index] * damping[name]
        steps = np.asarray(steps, dtype=np.float64) + 1.0
        if first:
            return (*current, *new, *extra, steps)
        # Robert-Asselin-Williams: d = nu/2 (x_{n-1} - 2 x_n + x_{n+1}).
        filtered, advanced = [], []
        for old, now, ahead in zip(previous, current, new):
            displacement = self.robert * ((old - now) + (ahead - now))
            filtered.append(now + self.williams * displacement)
            advanced.append(ahead + self.williams_minus_one * displacement)
        return (*filtered, *advanced, *extra, steps)

    def _humidity_correction(self, extra):
        """SPEEDY's orographic humidity correction q_h q_v, spectral (member or 1, K, M, L), in
        the time stepping's format, from the surface temperature of the current day (the
        slab land's own when it runs, as SPEEDY's daily ``set_forcing``)."""
        surface = self.moist.surface_temperature(extra)
        term = orographic.humidity_term(surface, self.float64.to_grid(self.phi_s[0])[0],
                                        GAS_CONSTANT, GRAVITY)
        spectral = self.float64.to_spectral(term.reshape((-1,) + term.shape[-2:]))
        return self._convert_stepping(spectral[:, None]
                                      * orographic.humidity_profile(self.levels.full)[:, None, None])

    def _implicit_solve(self, s, d_vorticity, d_divergence, d_temperature, d_log_ps):
        """Changes over s time steps from increments G, solving per total wavenumber l
        (I + (alpha s)^2 dt^2 l(l+1) (R G tau + R T_ref dsigma^T)) delta_D = s (G_D + alpha s
        dt l(l+1) (R G G_T + R T_ref G_p)); then delta_T = s G_T - alpha s dt tau delta_D,
        delta_p = s G_p - alpha s dt dsigma . delta_D."""
        inverse, alpha_s, alpha_s_unscaled = self.implicit[s]
        rhs = d_divergence + alpha_s * self.pressure_laplacian(d_temperature, d_log_ps)
        # inverse: (l, K, K) times s; rhs (member, K, m, l) -> (member, l, K, m).
        delta_divergence = np.moveaxis(inverse @ np.moveaxis(rhs, -1, 1), 1, -1)
        delta_temperature = s * d_temperature - alpha_s_unscaled * level_product(self.tau_step,
                                                                                 delta_divergence)
        delta_log_ps = s * d_log_ps - alpha_s_unscaled * level_product(self.thickness_step[None, :],
                                                              delta_divergence)
        return s * d_vorticity, delta_divergence, delta_temperature, delta_log_ps

    # --- the model protocol ----------------------------------------------------------------

    def initial_state(self, perturbation_rngs):
        """Spectral (previous, current, physics..., steps) from the configured initial state,
        each member with perturbation * N(0, 1) added to temperature at every grid point.
        Humidity (g kg-1) comes from the initial file when it has some, else from SPEEDY's
        rest state on its boundaries, else from the DCMIP 2016 profile."""
        config, f64 = self.config, self.float64
        k = self.levels.count
        lon, mu = self._grid_coordinates()
        shape = (k,) + lon.shape[:1] + mu.shape[1:]
        humidity = None
        speedy_rest = False
        if config.initial_file:
            vorticity, divergence, temperature, log_ps, humidity = _initial_fields(
                config.initial_file, self.grid, k)
        else:
            temperature_grid = reference_temperature(self.levels.full)[:, None, None] * np.ones(shape)
            u_grid = v_grid = np.zeros(shape)
            log_ps_grid = np.zeros(shape[1:])
            speedy_rest = (config.initial_state == "rest" and self.moist is not None
                           and config.boundaries != "aquaplanet")
            if speedy_rest:
                # SPEEDY's start from rest over its orography (speedy.f90
                # initialize_from_rest_state): a surface temperature of 288 K - gamma z, T(sigma)
                # scaled from it as T_ref, p_s in hydrostatic balance with that lapse rate from
                # 1013 hPa at z = 0, and q = 0.7 x 0.622 x (17 hPa / 1000 hPa) (p_s/p0)^3 sigma^3
                # (7.4 g/kg (p_s/p0)^3 sigma^3) below the two top levels (the humidity's 2.5 km
                # scale height against the pressure's 7.5 km), dry above.
                height = f64.to_grid(self.phi_s[0])[0] / GRAVITY
                surface = 288.0 - 0.006 * height
                temperature_grid = temperature_grid * (surface / 288.0)[None]
                log_ps_grid = (np.log(SPEEDY_REST_PRESSURE / REFERENCE_PRESSURE)
                               + (GRAVITY / (GAS_CONSTANT * 0.006)) * np.log(surface / 288.0))
            if config.initial_state.startswith("jablonowski"):
                u_grid, v_grid, temperature_grid, _ = jablonowski_williamson(
                    lon, mu, self.levels.full, EARTH_RADIUS, EARTH_ROTATION, GAS_CONSTANT,
                    GRAVITY, perturbed=config.initial_state == "jablonowski-williamson")
            vorticity, divergence = self.vorticity_divergence(u_grid, v_grid)
            if config.initial_state == "rossby-haurwitz":
                vorticity = f64.to_spectral(EARTH_RADIUS * rossby_haurwitz_vorticity(lon, mu)
                                            * np.ones(shape))
            temperature = f64.to_spectral(temperature_grid)
            log_ps = f64.to_spectral(log_ps_grid)[None]
        temperature = temperature - f64.to_spectral(self.temperature_offset * np.ones(shape))
        prognostics = [vorticity, divergence, temperature, log_ps]
        if config.carries_humidity:
            if humidity is None and speedy_rest:
                surface_humidity = f64.to_spectral(
                    SPEEDY_REST_HUMIDITY * np.exp(3.0 * f64.to_grid(log_ps)[0]))
                exponents = np.where(np.arange(k) >= 2, 3.0, np.inf)  # sigma^inf = 0: dry top
                humidity = (self.levels.full ** exponents)[:, None, None] * surface_humidity[None]
            if humidity is None:
                pressure = REFERENCE_PRESSURE * np.exp(f64.to_grid(log_ps)) * self.levels.full[:, None, None]
                humidity = f64.to_spectral(GRAMS_PER_KILOGRAM * moist_baroclinic_humidity(mu, pressure))
            prognostics.append(humidity)
        members = len(perturbation_rngs)
        noise = np.array([f64.to_spectral(rng.standard_normal(shape)) for rng in perturbation_rngs])
        fields = [np.repeat(x[None], members, axis=0) for x in prognostics]
        fields[2] = fields[2] + config.perturbation * noise
        extra = []
        if self.moist is not None:
            land = None
            if config.initial_file and self.moist.land is not None:
                land = _initial_land_temperature(config.initial_file, self.grid)
            extra = self.moist.initial_fields(members, land)
        return (*fields, *[x.copy() for x in fields], *extra, np.zeros(members))

    def vorticity_divergence(self, u, v):
        """Spectral (a zeta, a D) from grid winds (m s-1), levels first: the curl and divergence
        of (u cos(phi), v cos(phi)) on the unit sphere."""
        f64 = self.float64
        coslat = np.sqrt(1.0 - self.grid.mu**2)
        divergence, curl = f64.divergence_curl(f64.grid_to_fourier(u * coslat),
                                               f64.grid_to_fourier(v * coslat),
                                               f64.vector_m, f64.vector_h)
        return curl, divergence

    def snapshot(self, state):
        """Grid diagnostics (float64) of the current time level."""
        count = len(self.prognostics)
        vorticity, divergence, temperature, log_ps = (np.asarray(a) for a in state[count:count + 4])
        f64 = self.float64
        coslat = np.sqrt(1.0 - self.grid.mu**2)
        u, v = f64.winds(vorticity, divergence)
        u, v = u / coslat, v / coslat
        temp = f64.to_grid(temperature) + self.temperature_offset
        log_ps_grid = f64.to_grid(log_ps)[:, 0]
        ps = REFERENCE_PRESSURE * np.exp(log_ps_grid)
        phi_s = f64.to_grid(self.phi_s[0])[0]
        geopotential = phi_s + GAS_CONSTANT * np.einsum("kr,brij->bkij", self.levels.hydrostatic, temp)
        height = geopotential_height(geopotential, phi_s, log_ps_grid, self.levels.full,
                                     np.array(self.config.pressure_levels) * 100.0)
        weights = self.grid.weights / (2.0 * self.grid.nlon)  # area fractions per point
        thickness = self.levels.thickness[:, None, None]
        mass = ps[:, None] * thickness  # (member, level, lon, lat), per unit area / g

        def global_mean(field):
            return (field * mass * weights).sum(axis=(1, 2, 3)) / (mass * weights).sum(axis=(1, 2, 3))

        def lat_lon(field):  # (..., lon, lat) -> (..., lat, lon)
            return np.swapaxes(field, -1, -2)

        chosen = self.config.output_level_indices
        out = {"u": lat_lon(u[:, chosen]), "v": lat_lon(v[:, chosen]),
               "temperature": lat_lon(temp[:, chosen]),
               "surface_pressure": lat_lon(ps), "geopotential_height": lat_lon(height),
               "global_mean_temperature": global_mean(temp),
               "global_mean_kinetic_energy": global_mean(0.5 * (u * u + v * v))}
        if self.config.carries_humidity:
            q = f64.to_grid(np.asarray(state[2 * count - 1])) / GRAMS_PER_KILOGRAM
            out["specific_humidity"] = lat_lon(q[:, chosen])
            out["global_mean_specific_humidity"] = global_mean(q)
        if self.moist is not None:
            physics = self.moist.snapshot(state[2 * count:-1], lat_lon)
            out.update({name: physics[name] for name in self.config.physics_output_names})
        return out


def level_product(matrix, values):
    """sum_r matrix[k, r] values[:, r, ...] for spectral values (member, K, m, l)."""
    shape = values.shape
    flat = values.reshape(shape[:2] + (-1,))
    return (matrix @ flat).reshape((shape[0], matrix.shape[0]) + shape[2:])


def geopotential_height(geopotential, phi_s, log_ps, sigma, pressures):
    """Geopotential height (m) on ``pressures`` (Pa), linear in ln p between full levels and,
    below the lowest one, between it and the surface (Phi_s at p_s); extrapolated linearly in
    ln p above the top level. Shapes: geopotential (member, K, lon, lat)."""
    log_p_levels = np.log(sigma)[None, :, None, None] + log_ps[:, None]  # ln(p/p0)
    log_p = np.concatenate((log_p_levels, log_ps[:, None]), axis=1)
    values = np.concatenate((geopotential, np.broadcast_to(phi_s, log_ps.shape)[:, None]), axis=1)
    targets = np.log(np.asarray(pressures) / REFERENCE_PRESSURE)
    out = np.empty((geopotential.shape[0], len(targets)) + geopotential.shape[2:])
    for index, target in enumerate(targets):
        # The first level (from the top) whose pressure reaches the target, at least 1.
        below = np.clip((log_p < target).sum(axis=1), 1, log_p.shape[1] - 1)
        above = below - 1
        lp1 = np.take_along_axis(log_p, above[:, None], 1)[:, 0]
        lp2 = np.take_along_axis(log_p, below[:, None], 1)[:, 0]
        v1 = np.take_along_axis(values, above[:, None], 1)[:, 0]
        v2 = np.take_along_axis(values, below[:, None], 1)[:, 0]
        out[:, index] = v1 + (v2 - v1) * (target - lp1) / (lp2 - lp1)
    return out / STANDARD_GRAVITY


def idealised_mountain(lon, mu, height=2000.0, centre=(np.pi / 2, np.pi / 6), width=1.5e6):
    """Surface height (m) of an isolated Gaussian mountain, h0 exp(-(r/w)^2), r the
    great-circle distance from ``centre`` (lambda, phi): 2 km at 90 E, 30 N, w = 1500 km."""
    lam_c, phi_c = centre
    cos = np.sqrt(1.0 - mu**2)
    arc = np.clip(np.sin(phi_c) * mu + np.cos(phi_c) * cos * np.cos(lon - lam_c), -1, 1)
    return height * np.exp(-((EARTH_RADIUS * np.arccos(arc) / width) ** 2))


def _orography_file(path: str, grid: Grid) -> np.ndarray:
    """Surface geopotential (m2 s-2) on the model grid, (lon, lat), from a NetCDF file with
    ``surface_geopotential`` (or ``orography`` in m) on dimensions (lat, lon)."""
    import xarray as xr

    from pipeline.models.base import ModelParameterError

    try:
        data = xr.open_dataset(path, decode_times=False)
    except (OSError, ValueError):
        raise ModelParameterError(
            f"orography {path!r} is neither flat, mountain, jablonowski-williamson, auto nor a "
            "readable NetCDF file.") from None
    with data:
        if "surface_geopotential" in data:
            field = np.asarray(data["surface_geopotential"].values, dtype=np.float64)
        elif "orography" in data:
            field = GRAVITY * np.asarray(data["orography"].values, dtype=np.float64)
        else:
            raise ModelParameterError(
                f"orography file {path} has neither surface_geopotential nor orography.")
    if field.shape != (grid.nlat, grid.nlon):
        raise ModelParameterError(
            f"orography file {path} holds a {field.shape} field; this grid needs "
            f"({grid.nlat}, {grid.nlon}) (lat, lon).")
    return field.T


@functools.lru_cache(maxsize=4)
def _initial_fields(path: str, grid: Grid, levels: int):
    """Spectral (a zeta, a D, T, ln p_s, q in g kg-1 or None) from the last snapshot of
    member 0 of a speedy file (q when the file has specific humidity)."""
    import xarray as xr

    from pipeline.models.base import ModelParameterError

    needed = ("u", "v", "temperature", "surface_pressure")
    try:
        opened = xr.open_dataset(path, decode_times=False)
    except FileNotFoundError:
        raise ModelParameterError(f"initial_file {path!r} does not exist.") from None
    except (OSError, ValueError):
        raise ModelParameterError(f"initial_file {path!r} is not a readable NetCDF file.") from None
    with opened as data:
        missing = [name for name in needed if name not in data]
        if missing:
            raise ModelParameterError(
                f"initial_file {path} lacks {', '.join(missing)}: it must be a speedy output file.")
        last = {name: np.asarray(data[name].isel(member=0, time=-1).values, dtype=np.float64)
                for name in needed + ("specific_humidity",) if name in data}
    expected = (levels, grid.nlat, grid.nlon)
    for name in ("u", "specific_humidity"):
        if name in last and last[name].shape != expected:
            raise ModelParameterError(
                f"initial_file {path} holds {name} of shape {last[name].shape}, but this model "
                f"needs {expected} (sigma, lat, lon): write it with output_levels=all.")
    transform = SpectralTransform(grid)
    coslat = np.sqrt(1.0 - grid.mu**2)
    u, v, temperature = (np.swapaxes(last[name], -1, -2) for name in ("u", "v", "temperature"))
    divergence, curl = transform.divergence_curl(transform.grid_to_fourier(u * coslat),
                                                 transform.grid_to_fourier(v * coslat),
                                                 transform.vector_m, transform.vector_h)
    log_ps = transform.to_spectral(np.log(np.swapaxes(last["surface_pressure"], -1, -2)
                                          / REFERENCE_PRESSURE))[None]
    humidity = None
    if "specific_humidity" in last:
        humidity = transform.to_spectral(GRAMS_PER_KILOGRAM
                                         * np.swapaxes(last["specific_humidity"], -1, -2))
    return curl, divergence, transform.to_spectral(temperature), log_ps, humidity


def _initial_land_temperature(path: str, grid: Grid):
    """The last land_surface_temperature (K, (lon, lat)) of member 0 in a speedy file, or None
    when the file has none (the slab land model then starts from the climatology)."""
    import xarray as xr

    with xr.open_dataset(path, decode_times=False) as data:
        if "land_surface_temperature" not in data:
            return None
        values = np.asarray(data["land_surface_temperature"].isel(member=0, time=-1).values,
                            dtype=np.float64)
    if values.shape != (grid.nlat, grid.nlon):
        from pipeline.models.base import ModelParameterError

        raise ModelParameterError(
            f"initial_file {path} holds land_surface_temperature of shape {values.shape}, but "
            f"this model needs {(grid.nlat, grid.nlon)} (lat, lon).")
    return np.swapaxes(values, -1, -2)
