"""The order of SPEEDY's physics, written once: one call of `column_physics` turns grid-point
columns of the previous leapfrog level into tendencies and diagnostics (speedy.f90
``physics.f90``, Molteni 2003 section 3):

 1. humidity: q clipped at zero, saturation q_s and relative humidity per layer;
 2. deep convection (mass flux), then large-scale condensation: precipitation;
 3. every ``radiation_steps`` steps: clouds, shortwave radiation and the longwave
    transmissivities, kept in a `RadiationMemory` until the next call (SPEEDY's nstrad);
 4. longwave radiation, downward pass;
 5. surface fluxes (stress, sensible heat, evaporation, emission);
 6. longwave radiation, upward pass (it needs the surface emission);
 7. vertical diffusion (shallow convection, moisture diffusion, dry-adiabatic adjustment),
    plus the surface fluxes into the lowest layer;
 8. with land and its albedo in the boundary: the net heat flux into the land, for the slab
    land model (`pipeline.models.speedy.land_model`; a diagnostic, ``land_heat_flux``).

Every scheme returns flux convergences (see `pipeline.models.speedy.physics`); here they are
summed and converted once, dX/dt = s F g / (p_0 p_s dsigma_k), with s a scale the caller
chooses (1 for tendencies per second; the dynamical core passes the Earth's radius, for its
tendencies times a). Energy fluxes from radiation are in W m-2 and take a further 1 / c_p.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.models.speedy.land_model import land_heat_flux
from pipeline.models.speedy.physics.clouds import CloudParameters, cloud_constants, clouds
from pipeline.models.speedy.physics.convection import (ConvectionParameters, convection,
                                                       convection_constants)
from pipeline.models.speedy.physics.humidity import (relative_humidity, saturation_constants,
                                                     saturation_specific_humidity)
from pipeline.models.speedy.physics.large_scale_condensation import (
    CondensationParameters, condensation_constants, large_scale_condensation)
from pipeline.models.speedy.physics.levels import layer_mass
from pipeline.models.speedy.physics.longwave_radiation import (
    LongwaveParameters, longwave_constants, longwave_downward, longwave_transmissivity,
    longwave_upward)
from pipeline.models.speedy.physics.shortwave_radiation import (
    ShortwaveParameters, shortwave_constants, shortwave_radiation)
from pipeline.models.speedy.physics.surface_fluxes import (
    HEAT_CAPACITY, SurfaceFluxParameters, blend, land_surface_fluxes, net_surface_heat_flux,
    sea_surface_fluxes, surface_flux_constants)
from pipeline.models.speedy.physics.vertical_diffusion import (
    VerticalDiffusionParameters, vertical_diffusion, vertical_diffusion_constants)
from pipeline.models.speedy.vertical import SigmaLevels


@dataclass
class ColumnState:
    """Grid-point columns (member, K, lon, lat) of one time level; p_s / p_0 (member, lon, lat)."""

    temperature: object  # K
    humidity: object  # g/kg
    u: object  # m s-1
    v: object  # m s-1
    geopotential: object  # Phi / c_p, K (Phi_s included)
    surface_pressure: object  # p_s / p_0


@dataclass
class SurfaceBoundary:
    """What the physics needs of the boundary conditions, in the run's format, each field
    broadcast against (member, lon, lat) (see `pipeline.models.speedy.boundaries`)."""

    sea_surface_temperature: object  # K
    albedo: object
    land_fraction: object
    surface_geopotential: object  # Phi_s / c_p, K
    insolation: object  # W m-2
    ozone_lower: object
    ozone_upper: object
    zenith_factor: object
    polar_night_cooling: object
    # With land (realistic boundaries; None over an aquaplanet):
    land_temperature: object = None  # K
    soil_water: object = None  # availability, 0-1
    drag_factor: object = None  # orographic factor of the land drag
    land_albedo: object = None  # the land's own albedo (snow included), for its heat flux


@dataclass
class RadiationMemory:
    """What SPEEDY keeps from one shortwave call to the next."""

    shortwave_absorbed: object  # (member, K, lon, lat), W m-2
    surface_shortwave_down: object  # W m-2
    surface_shortwave_net: object
    top_shortwave_net: object
    transmissivity: object  # longwave, (member, K, 4, lon, lat)
    cloud_cover: object
    stratiform_cover: object

    def fields(self) -> list:
        """The memory as a flat list of arrays (for a model state)."""
        return [self.shortwave_absorbed, self.surface_shortwave_down, self.surface_shortwave_net,
                self.top_shortwave_net, self.transmissivity, self.cloud_cover,
                self.stratiform_cover]

    @classmethod
    def from_fields(cls, fields) -> RadiationMemory:
        return cls(*fields)


@dataclass
class PhysicsTendencies:
    """Tendencies times the chosen scale (member, K, lon, lat): K, g/kg and m s-1 per second."""

    temperature: object
    humidity: object
    u: object
    v: object


@dataclass
class PhysicsDiagnostics:
    """Fields (member, lon, lat) of one physics call, in the schemes' units."""

    convective_precipitation: object  # g m-2 s-1
    large_scale_precipitation: object  # g m-2 s-1
    evaporation: object  # g m-2 s-1
    sensible_heat: object  # W m-2 upward
    outgoing_longwave: object  # W m-2
    top_shortwave_net: object  # W m-2 downward
    surface_shortwave_net: object  # W m-2 downward
    surface_longwave_net_upward: object  # W m-2
    surface_net_heat: object  # W m-2 downward into the surface
    cloud_cover: object
    sea_surface_temperature: object = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PhysicsParameters:
    """Every scheme's parameters; SPEEDY's values by default."""

    convection: ConvectionParameters = ConvectionParameters()
    condensation: CondensationParameters = CondensationParameters()
    clouds: CloudParameters = CloudParameters()
    shortwave: ShortwaveParameters = ShortwaveParameters()
    longwave: LongwaveParameters = LongwaveParameters()
    surface: SurfaceFluxParameters = SurfaceFluxParameters()
    diffusion: VerticalDiffusionParameters = VerticalDiffusionParameters()


@dataclass(frozen=True)
class PhysicsConstants:
    count: int
    sigma: object  # (K, 1, 1)
    saturation: object
    convection: object
    condensation: object
    clouds: object
    shortwave: object
    longwave: object
    surface: object
    diffusion: object
    flux_to_tendency: object  # s g / (p_0 dsigma_k), (K, 1, 1)
    radiation_to_tendency: object  # s g / (p_0 c_p dsigma_k), (K, 1, 1)
    heat_capacity: float


def physics_constants(levels: SigmaLevels, convert=np.asarray, scale: float = 1.0,
                      parameters: PhysicsParameters = PhysicsParameters()) -> PhysicsConstants:
    """Every scheme's constants rounded once through ``convert``; ``scale`` multiplies the
    returned tendencies (see the module docstring)."""
    column = (levels.count, 1, 1)
    factor = (scale / layer_mass(levels)).reshape(column)
    p = parameters
    return PhysicsConstants(
        levels.count, convert(levels.full.reshape(column)), saturation_constants(convert),
        convection_constants(levels, p.convection, convert),
        condensation_constants(levels, p.condensation, convert),
        cloud_constants(levels.count, p.clouds, convert),
        shortwave_constants(levels, p.shortwave, convert),
        longwave_constants(levels, p.longwave, convert),
        surface_flux_constants(levels, p.surface, convert),
        vertical_diffusion_constants(levels, p.diffusion, convert),
        convert(factor), convert(factor / HEAT_CAPACITY), float(convert(np.float64(HEAT_CAPACITY))))


class SingleFormat:
    """Every part of the physics at one format: constants and boundary fields shared,
    nothing to convert (what `column_physics` assumes without ``parts``)."""

    def __init__(self, constants: PhysicsConstants, boundary: SurfaceBoundary):
        self._constants, self._boundary = constants, boundary

    def constants(self, name: str) -> PhysicsConstants:
        return self._constants

    def boundary(self, name: str) -> SurfaceBoundary:
        return self._boundary

    def take(self, name: str, *values) -> tuple:
        return values

    def back(self, result, name: str):
        return result

    def back_values(self, name: str, *values) -> tuple:
        return values


class PhysicsParts:
    """The column and each scheme at its own format (mixed precision by component, see
    `pipeline.models.speedy.components`): per component its `Component` (format and stream),
    its constants and boundary fields rounded to its format; `column_physics` takes a
    scheme's inputs into it and its results back into the column's format."""

    def __init__(self, components: dict, constants: dict, boundaries: dict):
        """``components``: name -> `pipeline.precision.components.Component`;
        ``constants`` and ``boundaries``: name -> `PhysicsConstants` / `SurfaceBoundary` in
        that component's format."""
        self.components, self._constants, self.boundaries = components, constants, boundaries
        self.column = components["column"]

    def constants(self, name: str) -> PhysicsConstants:
        return self._constants[name]

    def boundary(self, name: str) -> SurfaceBoundary:
        return self.boundaries[name]

    def take(self, name: str, *values) -> tuple:
        """``values`` from the column into component ``name``."""
        return self.components[name].take(*values, source=self.column.format)

    def back(self, result, name: str):
        """A result of component ``name`` into the column."""
        return self.column.take_fields(result, self.components[name].format)

    def back_values(self, name: str, *values) -> tuple:
        return self.column.take(*values, source=self.components[name].format)


def column_physics(c: PhysicsConstants, state: ColumnState, boundary: SurfaceBoundary,
                   memory: RadiationMemory | None, radiation: bool, parts=None):
    """(tendencies, diagnostics, memory) of SPEEDY's physics for one time level; with
    ``radiation`` false the shortwave fluxes and longwave transmissivities come from
    ``memory``. See the module docstring for the order.

    ``parts`` (a `PhysicsParts`) runs each scheme at its own format: ``c``, ``boundary``,
    ``state`` and ``memory`` are then the column's, and each scheme computes with its own
    constants and boundary fields on its inputs taken into its format."""
    k = parts if parts is not None else SingleFormat(c, boundary)
    t, ps, phi = state.temperature, state.surface_pressure, state.geopotential
    q = np.maximum(state.humidity, 0.0)
    s = t + phi  # dry static energy / c_p
    # 1. Humidity.
    qs = saturation_specific_humidity(c.saturation, t, c.sigma * ps[:, None])
    rh = relative_humidity(q, qs)
    # 2. Precipitation.
    deep = k.back(convection(k.constants("convection").convection,
                             *k.take("convection", ps, s, q, qs)), "convection")
    large_scale = k.back(large_scale_condensation(
        k.constants("condensation").condensation,
        *k.take("condensation", ps, q, qs, deep.cloud_top)), "condensation")
    # 3. Clouds, shortwave radiation and longwave transmissivities.
    if radiation or memory is None:
        cloud = k.back(clouds(
            k.constants("clouds").clouds,
            *k.take("clouds", q, rh, s, phi, deep.precipitation + large_scale.precipitation,
                    large_scale.cloud_top), k.boundary("clouds").land_fraction), "clouds")
        sw = k.boundary("shortwave")
        shortwave = k.back(shortwave_radiation(
            k.constants("shortwave").shortwave,
            *k.take("shortwave", ps, q, cloud.cover, cloud.top, cloud.stratiform,
                    cloud.cloud_humidity),
            sw.insolation, sw.ozone_lower, sw.ozone_upper, sw.zenith_factor, sw.albedo), "shortwave")
        transmissivity, = k.back_values("longwave", longwave_transmissivity(
            k.constants("longwave").longwave, *k.take("longwave", ps, q, cloud.cover, cloud.top)))
        memory = RadiationMemory(
            shortwave.absorbed, shortwave.surface_downward, shortwave.surface_net,
            shortwave.top_net, transmissivity, cloud.cover, cloud.stratiform)
    # 4.-6. Longwave down, surface fluxes, longwave up: the longwave passes its downward
    # fluxes to its upward pass in its own format.
    lw, lwc = k.boundary("longwave"), k.constants("longwave").longwave
    t_lw, transmissivity_lw = k.take("longwave", t, memory.transmissivity)
    down = longwave_downward(lwc, t_lw, transmissivity_lw)
    sf, sfc = k.boundary("surface_fluxes"), k.constants("surface_fluxes")
    inputs = k.take("surface_fluxes", ps, state.u, state.v, t, q, phi)
    surface = sea_surface_fluxes(sfc.surface, sfc.saturation, *inputs,
                                 sf.sea_surface_temperature, sf.surface_geopotential)
    land = None
    if sf.land_temperature is not None:
        land = land_surface_fluxes(sfc.surface, sfc.saturation, *inputs, sf.land_temperature,
                                   sf.soil_water, sf.drag_factor, sf.surface_geopotential)
        surface = blend(surface, land, sf.land_fraction)
        land = k.back(land, "surface_fluxes")
    surface = k.back(surface, "surface_fluxes")
    surface_temperature = lw.sea_surface_temperature
    if lw.land_temperature is not None:
        surface_temperature = surface_temperature + lw.land_fraction * (
            lw.land_temperature - surface_temperature)
    longwave = k.back(longwave_upward(
        lwc, t_lw, transmissivity_lw, down,
        *k.take("longwave", surface_temperature, surface.emission, ps),
        lw.polar_night_cooling), "longwave")
    # 7. Vertical diffusion.
    diffusion = k.back(vertical_diffusion(
        k.constants("vertical_diffusion").diffusion,
        *k.take("vertical_diffusion", ps, s, rh, q, qs, phi, deep.cloud_top < c.count)),
        "vertical_diffusion")
    # Sum the flux convergences (the surface's into the lowest layer) and convert them.
    inverse_ps = (1.0 / ps)[:, None]
    energy = at_bottom(deep.energy + large_scale.energy + diffusion.energy, surface.sensible)
    water = at_bottom(deep.water + large_scale.water + diffusion.water, surface.evaporation)
    radiative = memory.shortwave_absorbed + longwave.absorbed
    factor = c.flux_to_tendency * inverse_ps
    zero = 0.0 * t[:, :-1]
    tendencies = PhysicsTendencies(
        factor * energy + (c.radiation_to_tendency * inverse_ps) * radiative, factor * water,
        np.concatenate((zero, factor[:, -1:] * surface.u_stress[:, None]), axis=1),
        np.concatenate((zero, factor[:, -1:] * surface.v_stress[:, None]), axis=1))
    extra = {"convective_top": deep.cloud_top, "near_surface_temperature":
             surface.near_surface_temperature, "surface_longwave_down": longwave.surface_downward,
             "stratiform_cover": memory.stratiform_cover}
    if land is not None and boundary.land_albedo is not None:
        # 8. The net heat flux into the land, for the slab land model (its component's).
        lc, la = k.constants("land").surface, k.boundary("land")
        shortwave_down, longwave_down, emission, sensible, evaporation = k.take(
            "land", memory.surface_shortwave_down, longwave.surface_downward, land.emission,
            land.sensible, land.evaporation)
        extra["land_heat_flux"], = k.back_values("land", land_heat_flux(
            shortwave_down, la.land_albedo, longwave_down, emission,
            lc.heat_capacity * sensible, lc.latent_heat * evaporation))
    diagnostics = PhysicsDiagnostics(
        deep.precipitation, large_scale.precipitation, surface.evaporation,
        c.heat_capacity * surface.sensible, longwave.outgoing, memory.top_shortwave_net,
        memory.surface_shortwave_net, longwave.surface_net_upward,
        net_surface_heat_flux(c.surface, memory.surface_shortwave_net,
                              longwave.surface_net_upward, surface),
        memory.cloud_cover, boundary.sea_surface_temperature, extra)
    return tendencies, diagnostics, memory


def at_bottom(fluxes, surface_flux):
    """``fluxes`` (member, K, lon, lat) with ``surface_flux`` added to the lowest layer."""
    return np.concatenate((fluxes[:, :-1], fluxes[:, -1:] + surface_flux[:, None]), axis=1)
