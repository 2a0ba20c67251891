"""Wind-driven shallow-water flow over a ridge in a zonal channel: the second test bed of
Paxton et al. (2022, J. Climate 35, 1215, section 4), in the configuration of Klöwer, Düben &
Palmer (2020, "Number formats, error mitigation and scope for 16-bit arithmetics in weather
and climate modelling", J. Adv. Model. Earth Syst. 12, e2020MS002246,
doi:10.1029/2020MS002246) and its code ShallowWaters.jl.

Nonlinear shallow-water equations in vector-invariant form (Sadourny 1975, J. Atmos. Sci.
32, 680, doi:10.1175/1520-0469(1975)032<0680:TDOFDM>2.0.CO;2):

    du/dt =  q hv - dB/dx + tau(y) / (rho h) - c_D |u| u / h - nu4 Laplacian^2 u
    dv/dt = -q hu - dB/dy                     - c_D |u| v / h - nu4 Laplacian^2 v
    deta/dt = -d(hu)/dx - d(hv)/dy

with total depth h = eta + H(x), potential vorticity q = (f + zeta) / h, relative vorticity
zeta = dv/dx - du/dy, Bernoulli potential B = g eta + (u^2 + v^2) / 2, beta-plane
f = f0 + beta (y - Ly/2) at 45 N, and a meridional ridge H(x) = H0 - H1 exp(-(x - Lx/2)^2/s^2)
(H0 = 500 m, H1 = 50 m, s = 300 km). Wind stress tau = F0 cos^2(pi (y/Ly - 1/2)), F0 = 0.12 Pa.

Discretisation: Arakawa C-grid (eta at cell centres, u on west faces, v on south faces,
vorticity at corners), periodic in x, walls north and south (v = 0; no-slip or free-slip by
ghost points u_ghost = (1 - alpha) u, alpha = 2 or 0); Sadourny's enstrophy-conserving
q-times-flux averages; RK4 with dt = cfl * dx / sqrt(g H0). Biharmonic viscosity
nu4 = nuB dx^3 / 30 km, the linear scaling of ShallowWaters.jl (nuB = 500 m^2/s).

Precision: u and v are held scaled by s = 2**scale_exponent and every tendency is computed as
the increment over one time step, with dt, dx, g, s and the drag folded into constants that
are rounded to the format once at setup (Klöwer et al. 2020, section 2.4). With s = 2^4 the
default case runs at e5m10 (float16 widths) without overflow, its mass fluxes s u h staying
below 65504 for |u| up to about 7 m/s, and its per-step increments (wind about 2e-3) above
float16's smallest normal number, 6.1e-5.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from pipeline.models.base import RunLength, Variable
from pipeline.models.steppers import rk4
from pipeline.precision import NumberFormat
from pipeline.precision import round as round_to_format

SECONDS_PER_DAY = 86400.0
EARTH_ROTATION = 2 * math.pi / SECONDS_PER_DAY  # s-1, as in ShallowWaters.jl
EARTH_RADIUS = 6.371e6  # m
SLIP = {"no-slip": 2.0, "free-slip": 0.0}


@dataclass(frozen=True)
class ShallowWaterConfig:
    """Parameters (SI units unless named; defaults of Klöwer et al. 2020 / ShallowWaters.jl)."""

    resolution_km: float = 40.0  # grid spacing: 40 (50 x 25), 20 (100 x 50), 5 (400 x 200)
    channel_length_km: float = 2000.0
    channel_width_km: float = 1000.0
    latitude: float = 45.0  # degrees N, centre of the beta-plane
    gravity: float = 10.0  # m s-2
    depth: float = 500.0  # H0, m
    ridge_height: float = 50.0  # H1, m
    ridge_width_km: float = 300.0  # s
    wind_stress: float = 0.12  # F0, Pa
    density: float = 1000.0  # kg m-3
    drag: float = 1e-5  # quadratic bottom drag coefficient c_D
    biharmonic: float = 500.0  # nuB, m2 s-1 at 30 km (nu4 = nuB dx^3 / 30 km)
    boundary: str = "no-slip"  # or "free-slip"
    cfl: float = 0.9
    rotation: bool = True  # False: f = 0 (tests)
    beta_plane: bool = True  # False: f-plane (tests)
    forcing: bool = True  # False: no wind, drag or viscosity (tests)
    ridge: bool = True  # False: flat bottom (tests)
    days: float = 20.0
    spinup_days: float = 5.0
    output_interval_hours: float = 24.0
    scale_exponent: int = 4  # u, v held as u * 2**scale_exponent
    perturbation: float = 0.01  # m, sd of the members' initial surface noise
    initial_file: str = ""  # NetCDF with u, v, eta: start from its last snapshot of member 0

    def check(self) -> str | None:
        if self.boundary not in SLIP:
            return f"boundary must be 'no-slip' or 'free-slip', got {self.boundary!r}"
        for name in ("resolution_km", "channel_length_km", "channel_width_km", "gravity",
                     "depth", "ridge_width_km", "density", "cfl", "days"):
            if getattr(self, name) <= 0:
                return f"{name} must be positive"
        if self.ridge_height >= self.depth:
            return "ridge_height must be below depth (the ridge would pierce the surface)"
        if self.cfl > 1.0:
            return "cfl above 1 is beyond RK4's stability limit for gravity waves on this grid"
        nx, ny = self.channel_length_km / self.resolution_km, self.channel_width_km / self.resolution_km
        if not (float(nx).is_integer() and float(ny).is_integer()) or min(nx, ny) < 4:
            return ("resolution_km must divide channel_length_km and channel_width_km into at "
                    "least 4 cells each")
        if self.spinup_days < 0 or self.output_interval_hours <= 0 or self.perturbation < 0:
            return "spinup_days and perturbation must be non-negative, output_interval_hours positive"
        if not 0 <= self.scale_exponent <= 16:
            return "scale_exponent must be between 0 and 16"
        return None

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx) cells."""
        return (round(self.channel_width_km / self.resolution_km),
                round(self.channel_length_km / self.resolution_km))

    @property
    def dx(self) -> float:
        return self.resolution_km * 1e3

    @property
    def dt(self) -> float:
        """Time step, s: the largest that is at most cfl * dx / sqrt(g H0) (the CFL limit of
        gravity waves) and divides the output interval exactly, so that outputs land on the
        requested times (1, 2, 3 days, not 1.0017, 2.0035, ...)."""
        limit = self.cfl * self.dx / math.sqrt(self.gravity * self.depth)
        interval = self.output_interval_hours * 3600.0
        return interval / math.ceil(interval / limit * (1 - 1e-12))

    def run_length(self) -> RunLength:
        """In days: the file's time unit."""
        return RunLength(self.dt / SECONDS_PER_DAY, self.spinup_days, self.days,
                         self.output_interval_hours / 24)


@dataclass(frozen=True)
class Grid:
    """Cell-centre, face and corner coordinates (m) of the C-grid, and fields on them."""

    x_centre: np.ndarray
    x_face: np.ndarray
    y_centre: np.ndarray
    y_face: np.ndarray
    depth: np.ndarray  # H(x) at cell centres, (ny, nx)
    coriolis: np.ndarray  # f at corners, (ny + 1, nx)
    wind: np.ndarray  # tau / rho at u points, (ny, 1)


def make_grid(config: ShallowWaterConfig) -> Grid:
    ny, nx = config.shape
    dx = config.dx
    x_face, x_centre = np.arange(nx) * dx, (np.arange(nx) + 0.5) * dx
    y_face, y_centre = np.arange(ny + 1) * dx, (np.arange(ny) + 0.5) * dx
    length, width = nx * dx, ny * dx
    depth = np.full((ny, nx), config.depth)
    if config.ridge:
        bump = config.ridge_height * np.exp(-((x_centre - length / 2) ** 2)
                                            / (config.ridge_width_km * 1e3) ** 2)
        depth = depth - bump[None, :]
    phi = math.radians(config.latitude)
    f0 = 2 * EARTH_ROTATION * math.sin(phi) if config.rotation else 0.0
    beta = 2 * EARTH_ROTATION * math.cos(phi) / EARTH_RADIUS if config.beta_plane else 0.0
    beta = beta if config.rotation else 0.0
    coriolis = np.repeat((f0 + beta * (y_face - width / 2))[:, None], nx, axis=1)
    wind = (config.wind_stress / config.density
            * np.cos(np.pi * (y_centre / width - 0.5)) ** 2)[:, None]
    if not config.forcing:
        wind = wind * 0.0
    return Grid(x_centre, x_face, y_centre, y_face, depth, coriolis, wind)


def west(a):
    """a[..., i - 1] (periodic in x); like np.roll(a, 1, -1), with less overhead."""
    return np.concatenate((a[..., -1:], a[..., :-1]), axis=-1)


def east(a):
    """a[..., i + 1] (periodic in x)."""
    return np.concatenate((a[..., 1:], a[..., :1]), axis=-1)


class ShallowWater:
    """Shallow-water ensemble block at one number format; arrays are (member, y, x)."""

    name = "shallow_water"
    compiled_steps = True  # step reads only the state and fixed attributes (see tracing)
    Config = ShallowWaterConfig
    time_units = "days since 2000-01-01 00:00:00"
    time_long_name = "time since the end of spin-up"
    variables = {
        "u": Variable("m s-1", "eastward velocity on cell west faces", ("member", "time", "y", "x_face"),
                      "sea_water_x_velocity"),
        "v": Variable("m s-1", "northward velocity on cell south faces",
                      ("member", "time", "y_face", "x"), "sea_water_y_velocity"),
        "eta": Variable("m", "surface displacement", ("member", "time", "y", "x"),
                        "sea_surface_height_above_mean_sea_level"),
        "kinetic_energy": Variable("m2 s-2", "domain-mean kinetic energy per unit mass",
                                   ("member", "time")),
    }

    def __init__(self, config: ShallowWaterConfig, fmt: NumberFormat):
        self.config = config
        self.fmt = fmt
        self.grid = make_grid(config)
        if config.initial_file:
            _initial_fields(config.initial_file, *config.shape)  # checked early, then cached
        nearest = fmt.with_rounding("nearest")
        s, dt, dx = 2.0**config.scale_exponent, config.dt, config.dx
        forcing = 1.0 if config.forcing else 0.0
        nu4 = forcing * config.biharmonic * dx**3 / 30e3
        # Per-step constants, converted to the format once (constants of the tendencies below).
        self.c_flux = self._constant(dt / (dx * s), nearest)  # continuity and q-flux terms
        self.c_half_flux = self._constant(dt / (2 * dx * s), nearest)  # kinetic energy gradient
        self.c_pressure = self._constant(dt * s * config.gravity / dx, nearest)
        self.c_drag = self._constant(forcing * dt * config.drag / s, nearest)
        self.c_viscosity = self._constant(dt * nu4 / dx**4, nearest)
        self.slip = 1.0 - SLIP[config.boundary]  # ghost-point factor (1 - alpha)
        self.scale = s
        self.depth = self._field(self.grid.depth)
        self.coriolis = self._field(self.grid.coriolis * s * dx)  # f s dx at corners
        self.wind = self._field(self.grid.wind * dt * s)  # per-step wind increment * h
        self._step = rk4(self.tendency, 1.0)

    def _constant(self, value, nearest):
        return float(round_to_format(value, nearest))

    def _field(self, values):
        return np.asarray(round_to_format(values, self.fmt.with_rounding("nearest")))

    def coordinates(self) -> dict:
        g = self.grid
        metres = {"units": "m"}
        return {
            # Cartesian channel coordinates: CF's projection_x/y_coordinate (not latitude
            # and longitude), on both the centres and the faces of the C-grid.
            "x": (g.x_centre, {**metres, "long_name": "along-channel distance of cell centres",
                               "axis": "X", "standard_name": "projection_x_coordinate"}),
            "x_face": (g.x_face, {**metres, "long_name": "along-channel distance of west faces",
                                  "axis": "X", "standard_name": "projection_x_coordinate"}),
            "y": (g.y_centre, {**metres, "long_name": "cross-channel distance of cell centres",
                               "axis": "Y", "standard_name": "projection_y_coordinate"}),
            "y_face": (g.y_face, {**metres, "long_name": "cross-channel distance of south faces",
                                  "axis": "Y", "standard_name": "projection_y_coordinate"}),
        }

    # --- the equations -------------------------------------------------------------------

    def tendency(self, state):
        """Increments of (u s, v s, eta) over one time step (see the module docstring)."""
        u, v, eta = state
        h = eta + self.depth
        h_u = 0.5 * (h + west(h))
        h_v = 0.5 * (h[..., 1:, :] + h[..., :-1, :])  # interior v rows
        mass_u = u * h_u
        mass_v = v[..., 1:-1, :] * h_v
        # Continuity: -(d(hu)/dx + d(hv)/dy) dt, with the walls closed (v = 0 there).
        divergence_y = self._pad_rows(mass_v)
        d_eta = -self.c_flux * ((east(mass_u) - mass_u)
                                + (divergence_y[..., 1:, :] - divergence_y[..., :-1, :]))
        # Potential vorticity at corners (scaled by s dx): (f s dx + zeta s dx) / h.
        vorticity = self._vorticity(u, v)
        h_corner = self._corner_depth(h)
        q = (self.coriolis + vorticity) / h_corner
        # Bernoulli potential: g eta and the kinetic energy at centres.
        kinetic = 0.5 * (u * u + east(u) * east(u)) + 0.5 * (v[..., 1:, :] * v[..., 1:, :]
                                                              + v[..., :-1, :] * v[..., :-1, :])
        d_u = (self.c_flux * (0.5 * (q[..., 1:, :] + q[..., :-1, :]))
               * self._flux_at_u(self._pad_rows(mass_v))
               - self.c_pressure * (eta - west(eta))
               - self.c_half_flux * (kinetic - west(kinetic)))
        q_v = 0.5 * (q[..., 1:-1, :] + east(q[..., 1:-1, :]))
        d_v_interior = (-self.c_flux * q_v * self._flux_at_v(mass_u)
                        - self.c_pressure * (eta[..., 1:, :] - eta[..., :-1, :])
                        - self.c_half_flux * (kinetic[..., 1:, :] - kinetic[..., :-1, :]))
        if self.config.forcing:
            speed_u = np.sqrt(u * u + self._v_at_u(v) ** 2)
            d_u = d_u + self.wind / h_u - self.c_drag * (speed_u * u) / h_u
            v_i = v[..., 1:-1, :]
            speed_v = np.sqrt(v_i * v_i + self._u_at_v(u) ** 2)
            d_v_interior = d_v_interior - self.c_drag * (speed_v * v_i) / h_v
            d_u = d_u - self.c_viscosity * self._laplace_u(self._laplace_u(u))
            d_v_interior = d_v_interior - self.c_viscosity * self._laplace_v(self._laplace_v(v))[..., 1:-1, :]
        d_v = self._pad_rows(d_v_interior)
        return d_u, d_v, d_eta

    def _pad_rows(self, interior):
        """Add the two wall rows (zero) around interior v-row values."""
        zero = 0.0 * interior[..., :1, :]
        return np.concatenate([zero, interior, zero], axis=-2)

    def _ghost_rows(self, u):
        """u with ghost rows beyond the walls: u_ghost = (1 - alpha) u (no-slip: -u)."""
        return np.concatenate([self.slip * u[..., :1, :], u, self.slip * u[..., -1:, :]],
                              axis=-2)

    def _vorticity(self, u, v):
        """zeta s dx at corners: (v_i - v_{i-1}) - (u_j - u_{j-1}), ghost rows at walls."""
        padded = self._ghost_rows(u)
        return (v - west(v)) - (padded[..., 1:, :] - padded[..., :-1, :])

    def _corner_depth(self, h):
        """h at corners: mean of the adjacent centres (two at the walls)."""
        h_x = 0.5 * (h + west(h))
        interior = 0.5 * (h_x[..., 1:, :] + h_x[..., :-1, :])
        return np.concatenate([h_x[..., :1, :], interior, h_x[..., -1:, :]], axis=-2)

    # Four-point means are taken as means of pair means, so that no intermediate exceeds
    # twice a value: mass fluxes s u h reach 10^4 and float16 ends at 65504.

    def _flux_at_u(self, mass_v):
        """Four-point mean of the meridional mass flux around u points."""
        pair = 0.5 * (mass_v[..., 1:, :] + mass_v[..., :-1, :])
        return 0.5 * (pair + west(pair))

    def _flux_at_v(self, mass_u):
        """Four-point mean of the zonal mass flux around interior v points."""
        pair = 0.5 * (mass_u[..., 1:, :] + mass_u[..., :-1, :])
        return 0.5 * (pair + east(pair))

    def _v_at_u(self, v):
        return self._flux_at_u(v)

    def _u_at_v(self, u):
        return self._flux_at_v(u)

    def _laplace_u(self, u):
        """5-point Laplacian (times dx^2) at u points, ghost rows at the walls."""
        padded = self._ghost_rows(u)
        return ((east(u) + west(u)) + (padded[..., 2:, :] + padded[..., :-2, :])) - 4.0 * u

    def _laplace_v(self, v):
        """5-point Laplacian (times dx^2) at v points; wall rows stay zero."""
        inner = ((east(v) + west(v))[..., 1:-1, :] + (v[..., 2:, :] + v[..., :-2, :])
                 - 4.0 * v[..., 1:-1, :])
        return self._pad_rows(inner)

    # --- the model protocol --------------------------------------------------------------

    def initial_state(self, perturbation_rngs):
        """Rest (or the last state of ``initial_file``) plus perturbation * N(0, 1) on eta."""
        ny, nx = self.config.shape
        members = len(perturbation_rngs)
        u, v, eta = _initial_fields(self.config.initial_file, ny, nx)
        noise = np.array([rng.standard_normal((ny, nx)) for rng in perturbation_rngs])
        eta = eta[None] + self.config.perturbation * noise
        return (np.repeat(u[None] * self.scale, members, axis=0),
                np.repeat(v[None] * self.scale, members, axis=0), eta)

    def step(self, state):
        return self._step(state)

    def snapshot(self, state):
        u, v, eta = (np.array(a, dtype=np.float64) for a in state)
        u, v = u / self.scale, v / self.scale
        kinetic = 0.5 * ((u**2).mean(axis=(-2, -1)) + (v[..., 1:-1, :] ** 2).sum(axis=(-2, -1))
                         / (u.shape[-2] * u.shape[-1]))
        return {"u": u, "v": v, "eta": eta, "kinetic_energy": kinetic}


@functools.lru_cache(maxsize=4)
def _initial_fields(path: str, ny: int, nx: int):
    if not path:
        return np.zeros((ny, nx)), np.zeros((ny + 1, nx)), np.zeros((ny, nx))
    import xarray as xr

    from pipeline.models.base import ModelParameterError

    try:
        opened = xr.open_dataset(path, decode_times=False)
    except FileNotFoundError:
        raise ModelParameterError(f"initial_file {path!r} does not exist.") from None
    except (OSError, ValueError):
        raise ModelParameterError(f"initial_file {path!r} is not a readable NetCDF file.") from None
    with opened as data:
        model = data.attrs.get("model", "")
        missing = [name for name in ("u", "v", "eta") if name not in data]
        if model != ShallowWater.name or missing:
            raise ModelParameterError(
                f"initial_file {path} holds {'model ' + repr(model) if model else 'no model'}"
                f"{' and lacks ' + ', '.join(missing) if missing else ''}: it must be a "
                "shallow_water output file.")
        dims = {name: data[name].dims for name in ("u", "v", "eta")}
        if any(dims[name][:2] != ("member", "time") for name in dims):
            raise ModelParameterError(f"initial_file {path} does not have (member, time, ...) "
                                      "fields: it must be a shallow_water output file.")
        fields = tuple(np.asarray(data[name].isel(member=0, time=-1).values, dtype=np.float64)
                       for name in ("u", "v", "eta"))
    expected = ((ny, nx), (ny + 1, nx), (ny, nx))
    if tuple(f.shape for f in fields) != expected:
        raise ModelParameterError(
            f"initial_file {path} holds fields of shapes {[f.shape for f in fields]}, "
            f"but this grid needs {list(expected)}."
        )
    return fields
