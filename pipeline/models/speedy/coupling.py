"""SPEEDY's physics in the spectral core: columns from the previous leapfrog level, the
radiation kept between its calls, and output-window means of the physics diagnostics.

Each step (Molteni 2003, Clim. Dyn. 20, 175; speedy.f90 ``tendencies.f90``): the previous
(filtered) leapfrog level is transformed to the grid (T, q, ln p_s, and the winds of the
lowest level, the only ones the physics uses), the column physics
(`pipeline.models.speedy.physics.column`) returns tendencies times the Earth's radius a
(the core's scaling), and the core adds them to its own grid-point tendencies of the current
level before the transform to spectral space, so that they pass through the semi-implicit
step as SPEEDY's do: X(t + dt) = X(t - dt) + 2 dt (T_dyn(X(t)) + T_phy(X(t - dt))).

Beyond the prognostics the model state carries

* the radiation memory (shortwave fluxes, longwave transmissivities, cloud cover), in the
  run's format, recomputed every ``radiation_steps`` steps (SPEEDY's nstrad = 3);
* float64 sums of the diagnostics over the current output window and their count: the
  physics computes each step's fluxes in the run's format, the window means are exact. A
  window ends at each output time (every output interval after the spin-up), so a file's
  precipitation at time t is the mean rate over (t - interval, t];
* with SPEEDY's slab land model (``land_model=slab``, the default with ``boundaries=DIR``;
  `pipeline.models.speedy.land_model`): the land temperature of each member and the day's
  running mean of the heat flux into the land, in the land component's format. The land
  steps at the first physics call of each new model day, with the mean of the day before;
  the physics sees the land temperature of the state. A run from an ``initial_file`` takes
  the file's last land_surface_temperature when it has one, else the climatology.

Both live in the state so that a checkpointed run resumes bit for bit.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from pipeline.models.base import Variable
from pipeline.models.speedy import land_model
from pipeline.models.speedy.boundaries import climatology_on, load_boundaries
from pipeline.models.speedy.components import PHYSICS
from pipeline.models.speedy.physics.column import (ColumnState, PhysicsParts, PhysicsTendencies,
                                                   RadiationMemory, column_physics,
                                                   physics_constants)
from pipeline.precision.components import Component

GRAMS_PER_KILOGRAM = 1000.0
LATENT_HEAT = 2501.0  # J g-1
MAP = ("member", "time", "lat", "lon")
SERIES = ("member", "time")

MEAN = "time: mean"  # over the output interval ending at the time


def mean_map(units, long_name, standard_name):
    return Variable(units, long_name, MAP, standard_name, MEAN)


# Window means, in the order of the accumulators: (name, Variable, scale from the schemes' units).
WINDOW_MEANS = (
    ("convective_precipitation", mean_map("kg m-2 s-1", "convective precipitation rate",
                                          "convective_precipitation_flux"), 1e-3),
    ("large_scale_precipitation", mean_map("kg m-2 s-1", "large-scale precipitation rate",
                                           "stratiform_precipitation_flux"), 1e-3),
    ("evaporation", mean_map("kg m-2 s-1", "evaporation rate", "water_evapotranspiration_flux"),
     1e-3),
    ("sensible_heat_flux", mean_map("W m-2", "surface upward sensible heat flux",
                                    "surface_upward_sensible_heat_flux"), 1.0),
    ("outgoing_longwave_radiation", mean_map("W m-2", "outgoing longwave radiation at the top",
                                             "toa_outgoing_longwave_flux"), 1.0),
    ("toa_net_shortwave", mean_map("W m-2", "net downward shortwave flux at the top",
                                   "toa_net_downward_shortwave_flux"), 1.0),
    ("surface_net_shortwave", mean_map("W m-2", "net downward shortwave flux at the surface",
                                       "surface_net_downward_shortwave_flux"), 1.0),
    ("surface_net_longwave", mean_map("W m-2", "net upward longwave flux at the surface",
                                      "surface_net_upward_longwave_flux"), 1.0),
    ("surface_net_heat_flux", mean_map("W m-2", "net downward heat flux at the surface "
                                       "(radiation, sensible and latent)",
                                       "surface_downward_heat_flux_in_air"), 1.0),
    ("cloud_cover", mean_map("1", "total cloud cover", "cloud_area_fraction"), 1.0),
)
DIAGNOSTIC_FIELDS = ("convective_precipitation", "large_scale_precipitation", "evaporation",
                     "sensible_heat", "outgoing_longwave", "top_shortwave_net",
                     "surface_shortwave_net", "surface_longwave_net_upward", "surface_net_heat",
                     "cloud_cover")
DERIVED = {
    "precipitation": mean_map("kg m-2 s-1", "precipitation rate (convective and large-scale)",
                              "precipitation_flux"),
    "latent_heat_flux": mean_map("W m-2", "surface upward latent heat flux",
                                 "surface_upward_latent_heat_flux"),
    "toa_net_radiation": mean_map("W m-2", "net downward radiative flux at the top",
                                  "toa_net_downward_radiative_flux"),
    "surface_temperature": Variable("K", "surface temperature (sea, sea ice and land, "
                                    "mixed by the land fraction)", MAP, "surface_temperature"),
    # land_model=slab only: the prognostic land temperature (the float64 climatology where
    # the land fraction is below 1/3, over the sea too).
    "land_surface_temperature": Variable("K", "land surface temperature (SPEEDY's slab land "
                                         "model)", MAP, "surface_temperature"),
    "global_mean_precipitation": Variable("kg m-2 s-1", "global mean precipitation rate",
                                          SERIES, None, MEAN),
    "global_mean_evaporation": Variable("kg m-2 s-1", "global mean evaporation rate", SERIES,
                                        None, MEAN),
    "global_mean_toa_net_radiation": Variable("W m-2", "global mean net downward radiative "
                                              "flux at the top", SERIES, None, MEAN),
    "global_mean_surface_net_heat_flux": Variable("W m-2", "global mean net downward heat "
                                                  "flux at the surface", SERIES, None, MEAN),
}
VARIABLES = {**{name: variable for name, variable, _ in WINDOW_MEANS}, **DERIVED}
LAND_VARIABLES = ("land_surface_temperature",)  # written with land_model=slab only
MEMORY_FIELDS = 7  # RadiationMemory.fields()
SUMS_END = MEMORY_FIELDS + len(DIAGNOSTIC_FIELDS) + 1  # then the land model's two fields


class MoistPhysics:
    """SPEEDY's physics for one `Speedy` model: its constants, boundary conditions and the
    extra state it carries (see the module docstring)."""

    def __init__(self, config, grid, levels, convert, transform, surface_geopotential,
                 temperature_offset, inverse_coslat, radius, kappa, heat_capacity,
                 formats=None, dynamics=None):
        """``convert`` rounds float64 constants to the dynamics' format; ``transform`` is the
        core's (in that format); ``surface_geopotential`` (m2 s-2) is (lon, lat);
        ``temperature_offset`` is what turns the held temperature into T (K, per level);
        tendencies come out times ``radius``. ``formats`` (component -> `NumberFormat`,
        `pipeline.models.speedy.components`) and ``dynamics`` (the core's `Component`) run
        the column and each scheme at its own format; without them, everything at the
        dynamics' format (NumPy's own dtypes, in the benchmarks)."""
        self.config = config
        self.grid = grid
        self.count = levels.count
        self.transform = transform
        self.convert = convert
        self.surface_geopotential_grid = surface_geopotential
        self.season = config.effective_season
        self.steps_per_day = config.step_count_per_day
        self.boundaries = load_boundaries(config.boundaries, grid, config.solar_constant,
                                          self.season)
        self.dynamics = dynamics
        self.parts = None
        if formats is None:
            self.constants = physics_constants(levels, convert, scale=radius)
        else:
            self.components = {name: Component(name, formats[name]) for name in PHYSICS}
            by_width = {}  # constants rounded to nearest: one set per width
            for name, part in self.components.items():
                width = (part.format.exponent_bits, part.format.significand_bits)
                if width not in by_width:
                    by_width[width] = physics_constants(levels, part.constant, scale=radius)
            self._constants_by_width = by_width
            self.parts = PhysicsParts(self.components, {
                name: by_width[(part.format.exponent_bits, part.format.significand_bits)]
                for name, part in self.components.items()}, {})
        self.land = None  # the slab land model's constants, in the land's format
        if config.effective_land_model == "slab":
            climatology = climatology_on(config.boundaries, grid)
            self.land_part = None if formats is None else self.components["land"]
            self.land_modelled = land_model.modelled(climatology.land_fraction)
            self.land = land_model.land_model_constants(
                climatology.land_fraction, climatology.bare_albedo, self.steps_per_day,
                convert if formats is None else self.land_part.constant)
        if formats is None:
            self.surface = self.boundaries.surface(convert, surface_geopotential,
                                                   self.land is not None)
        else:
            self._set_surfaces()
            self.constants = self.parts.constants("column")
        self._set_land_climatology()
        self.forcing_day = 0
        self.kappa_hydrostatic = convert(kappa * levels.hydrostatic)  # Phi/c_p = kappa G T
        self.surface_geopotential = convert(np.asarray(surface_geopotential) / heat_capacity)
        self.temperature_offset = temperature_offset
        self.inverse_coslat = inverse_coslat
        spinup, _, per_output = config.run_length().steps()
        self.spinup_steps, self.window_steps = spinup, per_output
        self.weights = grid.weights / (2.0 * grid.nlon)  # area fractions per latitude

    def _set_surfaces(self) -> None:
        """Each component's boundary fields, rounded to its format (after a forcing update)."""
        slab = self.land is not None
        if self.parts is None:
            self.surface = self.boundaries.surface(self.convert, self.surface_geopotential_grid,
                                                   slab)
            return
        by_width = {}
        for name, part in self.components.items():
            width = (part.format.exponent_bits, part.format.significand_bits)
            if width not in by_width:
                by_width[width] = self.boundaries.surface(part.constant,
                                                          self.surface_geopotential_grid, slab)
            self.parts.boundaries[name] = by_width[width]
        self.fixed_boundaries = dict(self.parts.boundaries)
        self.surface = self.parts.boundary("column")

    def _set_land_climatology(self) -> None:
        """The land model's climatology of the current day, in the land's format."""
        if self.land is not None:
            convert = self.convert if self.parts is None else self.land_part.constant
            self.land_climatology = convert(np.asarray(self.boundaries.land_temperature,
                                                       dtype=np.float64))

    def _use_land_temperature(self, temperature) -> None:
        """The physics sees the state's land temperature (each scheme in its format)."""
        if self.parts is None:
            self.surface = dataclasses.replace(self.surface, land_temperature=temperature)
            return
        for name, part in self.components.items():
            taken, = part.take(temperature, source=self.land_part.format)
            self.parts.boundaries[name] = dataclasses.replace(self.fixed_boundaries[name],
                                                              land_temperature=taken)
        self.surface = self.parts.boundary("column")

    def surface_temperature(self, extra) -> np.ndarray:
        """The surface temperature (K) as SPEEDY's ``tsfc``: the SST (its sea ice included)
        mixed by land fraction with the land temperature, the slab land's own (member, lon,
        lat) from the extra state ``extra`` when it runs, else the climatology (lon, lat)."""
        boundaries = self.boundaries
        if self.land is None:
            return boundaries.surface_temperature
        sea = boundaries.sea_surface_temperature
        land = np.asarray(extra[SUMS_END], dtype=np.float64)
        return sea + boundaries.land_fraction * (land - sea)

    def use_streams(self, streams: dict) -> None:
        """Each component's stochastic stream (None: round to nearest or float64)."""
        if self.parts is not None:
            for name, part in self.components.items():
                part.rng = streams[name]

    # --- the extra state ---------------------------------------------------------------------

    def initial_fields(self, members: int, land_temperature=None) -> list:
        """Zero radiation memory (recomputed at the first step) and empty window sums; with
        the slab land, the land temperature (``land_temperature``, (lon, lat) K, or the
        climatology) and a zero daily flux."""
        grid, k = self.grid, self.count
        level = np.zeros((members, k, grid.nlon, grid.nlat))
        flat = np.zeros((members, grid.nlon, grid.nlat))
        bands = np.zeros((members, k, 4, grid.nlon, grid.nlat))
        memory = [level, flat, flat, flat, bands, flat, flat]
        fields = ([a.copy() for a in memory] + [flat.copy() for _ in DIAGNOSTIC_FIELDS]
                  + [np.zeros(members)])
        if self.land is not None:
            start = self.boundaries.land_temperature if land_temperature is None \
                else land_temperature
            fields += [flat + np.asarray(start, dtype=np.float64), flat.copy()]
        return fields

    def columns(self, vorticity, divergence, temperature, log_ps, humidity) -> ColumnState:
        """Grid-point columns of one (spectral) time level."""
        t, k = self.transform, self.count
        fields = t.to_grid(np.concatenate((temperature, humidity, log_ps), axis=1))
        absolute = fields[:, :k] + self.temperature_offset
        u, v = t.winds(vorticity[:, -1:], divergence[:, -1:])  # u cos(phi), lowest level
        shape = absolute.shape
        geopotential = (self.kappa_hydrostatic @ absolute.reshape(shape[:2] + (-1,))).reshape(shape) \
            + self.surface_geopotential
        return ColumnState(absolute, fields[:, k:2 * k], u * self.inverse_coslat,
                           v * self.inverse_coslat, geopotential, np.exp(fields[:, 2 * k]))

    def tendencies(self, previous, extra, steps_taken: int):
        """(tendencies times a, the new extra state) from the previous level's prognostics."""
        if self.season == "annual":
            self._update_forcing(steps_taken)
        memory = RadiationMemory.from_fields(extra[:MEMORY_FIELDS])
        sums = extra[MEMORY_FIELDS:SUMS_END]
        land = list(extra[SUMS_END:])
        if self.land is not None:
            land_temperature, daily_flux = land
            if steps_taken > 0 and steps_taken % self.steps_per_day == 0:
                land_temperature = land_model.advance(self.land, land_temperature, daily_flux,
                                                      self.land_climatology)
                daily_flux = daily_flux * 0.0
            self._use_land_temperature(land_temperature)
        radiation = steps_taken % self.config.radiation_steps == 0
        state = self.columns(*previous)
        if self.parts is not None:  # from the dynamics' format into the column's
            column, source = self.parts.column, self.dynamics.format
            state = ColumnState(*column.take(*vars(state).values(), source=source))
            # The memory is the column's own (in a resumed run, restored in its format).
            memory = RadiationMemory.from_fields(column.take(*memory.fields(),
                                                             source=column.format))
        tendencies, diagnostics, memory = column_physics(self.constants, state, self.surface,
                                                         memory, radiation, self.parts)
        if self.parts is not None:  # into the dynamics' format, where the core adds them
            tendencies = PhysicsTendencies(*self.dynamics.take(
                *vars(tendencies).values(), source=self.parts.column.format))
        # Window sums in float64: restart at the first step of each output window.
        restart = (steps_taken - self.spinup_steps) % self.window_steps == 0
        keep = 0.0 if restart else 1.0
        new_sums = [keep * np.asarray(total) + np.asarray(getattr(diagnostics, name), dtype=np.float64)
                    for total, name in zip(sums[:-1], DIAGNOSTIC_FIELDS)]
        new_sums.append(keep * np.asarray(sums[-1]) + 1.0)
        if self.land is not None:
            flux = diagnostics.extra["land_heat_flux"]
            if self.parts is not None:
                flux, = self.land_part.take(flux, source=self.parts.column.format)
            land = [land_temperature, land_model.accumulate(self.land, daily_flux, flux)]
        return tendencies, [*memory.fields(), *new_sums, *land]

    def _update_forcing(self, steps_taken: int) -> None:
        """season=annual: the boundaries of the current model day (from 1 January 00 UTC),
        recomputed once a day as SPEEDY's daily ``set_forcing``; a function of the step
        count alone, so a resumed run sees the same forcing."""
        day = steps_taken // self.steps_per_day
        if day != self.forcing_day:
            self.forcing_day = day
            self.boundaries = load_boundaries(self.config.boundaries, self.grid,
                                              self.config.solar_constant, self.season,
                                              float(day))
            self._set_surfaces()
            self._set_land_climatology()

    # --- output -------------------------------------------------------------------------

    def snapshot(self, extra, lat_lon) -> dict:
        """Window means (float64) of the physics diagnostics, and the derived fields."""
        sums = [np.asarray(a, dtype=np.float64) for a in extra[MEMORY_FIELDS:SUMS_END]]
        count = np.maximum(sums[-1], 1.0)[:, None, None]
        out = {}
        for (name, _, scale), total in zip(WINDOW_MEANS, sums[:-1]):
            out[name] = scale * total / count
        out["precipitation"] = out["convective_precipitation"] + out["large_scale_precipitation"]
        out["latent_heat_flux"] = LATENT_HEAT * GRAMS_PER_KILOGRAM * out["evaporation"]
        out["toa_net_radiation"] = out["toa_net_shortwave"] - out["outgoing_longwave_radiation"]
        members = count.shape[0]
        out["surface_temperature"] = np.broadcast_to(
            np.asarray(self.boundaries.surface_temperature, dtype=np.float64),
            (members, self.grid.nlon, self.grid.nlat)).copy()
        if self.land is not None:
            land = np.asarray(extra[SUMS_END], dtype=np.float64)
            sea = np.asarray(self.boundaries.sea_surface_temperature, dtype=np.float64)
            out["surface_temperature"] = sea + self.boundaries.land_fraction * (land - sea)
            # Where the land is not modelled (land fraction < 1/3) the file holds the
            # climatology itself, not its rounding: a prescribed value, not a model result, so
            # every format's W1 is zero there and the maps show the land alone.
            out["land_surface_temperature"] = np.where(
                self.land_modelled, land,
                np.asarray(self.boundaries.land_temperature, dtype=np.float64))

        def global_mean(field):
            return (field * self.weights).sum(axis=(1, 2))

        out["global_mean_precipitation"] = global_mean(out["precipitation"])
        out["global_mean_evaporation"] = global_mean(out["evaporation"])
        out["global_mean_toa_net_radiation"] = global_mean(out["toa_net_radiation"])
        out["global_mean_surface_net_heat_flux"] = global_mean(out["surface_net_heat_flux"])
        return {name: (lat_lon(values) if values.ndim == 3 else values)
                for name, values in out.items()}

