"""The speedy model's components and the number format each computes in.

Paxton et al. (2022, J. Climate) reduced SPEEDY's precision component by component (with
convection kept in double, for one). Here the model is cut into

* ``dynamics``: the spectral core's grid-point and spectral arithmetic, with the
  semi-implicit solve, giving each step's increments;
* ``time_stepping``: the leapfrog update, the implicit horizontal diffusion and the
  Robert-Asselin-Williams filter; it holds the prognostic state (SPEEDY's step_field);
* ``transforms``: the spectral transforms (FFTs and Legendre transforms, both ways, with
  their tables), which take the dynamics' values in and give theirs back in the dynamics'
  format (Hatfield et al. 2019 found SPEEDY's Legendre transforms among the parts most
  sensitive to precision);
* ``column``: the column physics' own arithmetic (humidity clipping, saturation humidity and
  relative humidity, dry static energy, the sum of the schemes' fluxes into tendencies) and
  what passes between the schemes, including the radiation kept between its calls;
* the schemes ``convection``, ``condensation`` (large-scale), ``clouds``, ``shortwave``,
  ``longwave``, ``surface_fluxes`` and ``vertical_diffusion``;
* ``land``: SPEEDY's slab land model (`pipeline.models.speedy.land_model`, with
  ``boundaries=DIR``): the net heat flux into the land, its daily sum and the daily step,
  and the land temperature it holds.

Each component's constants and boundary fields are rounded to its format once, at set-up;
its inputs are taken into its format on entry and its results reach the column in the
column's format (`pipeline.precision.components`); the physics' tendencies are taken into
the dynamics' format where the core adds them. A stochastic component has its own stream.

Which format each gets (``component_formats``): ``<component>_format`` when set; else, for
the column, the schemes and the land, ``physics_format`` when set; else the run's format if the
component is among ``reduced_components`` ("all" by default; "physics" names the column,
every scheme and the land), else float64. So ``--format e11m10 --set physics_format=float64`` reduces the
dynamics alone, and ``--format e11m10 --set reduced_components=convection`` reduces
convection alone, the rest in float64.
"""

from __future__ import annotations

from pipeline.precision import NumberFormat

SCHEMES = ("convection", "condensation", "clouds", "shortwave", "longwave", "surface_fluxes",
           "vertical_diffusion")
PHYSICS = ("column",) + SCHEMES + ("land",)
DYNAMICAL = ("dynamics", "transforms", "time_stepping")  # the dry model's too
COMPONENTS = DYNAMICAL + PHYSICS
FORMAT_KEYS = ("physics_format",) + tuple(f"{name}_format" for name in COMPONENTS)


def reduced_names(text: str, moist: bool) -> tuple[str, ...]:
    """The components ``reduced_components`` names ("all", or names and "physics",
    comma-separated); ValueError with the sentence for a user otherwise."""
    known = COMPONENTS if moist else DYNAMICAL
    if text.strip() == "all":
        return known
    names = [name.strip() for name in text.split(",") if name.strip()]
    allowed = known + (("physics",) if moist else ())
    unknown = [name for name in names if name not in allowed]
    if not names or unknown:
        got = ", ".join(unknown) if unknown else repr(text)
        dry = " (the physics components need physics=speedy)" if not moist and \
            any(name in COMPONENTS + ("physics",) for name in unknown) else ""
        raise ValueError(f"reduced_components must be 'all' or names among "
                         f"{', '.join(allowed)}, comma-separated; got {got}{dry}")
    expanded = []
    for name in names:
        expanded += PHYSICS if name == "physics" else (name,)
    return tuple(dict.fromkeys(expanded))


def parse_format(key: str, text: str) -> NumberFormat:
    try:
        return NumberFormat.parse(text)
    except ValueError as error:
        raise ValueError(f"{key} must be a number format such as float64, e11m10 or "
                         f"e11m10-sr, got {text!r} ({error})") from None


def check(config) -> str | None:
    """The sentence for a bad mapping in ``config`` (a `SpeedyConfig`), else None."""
    moist = config.physics == "speedy"
    for key in FORMAT_KEYS:
        text = getattr(config, key)
        if not text:
            continue
        if key not in tuple(f"{name}_format" for name in DYNAMICAL) and not moist:
            return f"{key} applies to physics=speedy only"
        try:
            parse_format(key, text)
        except ValueError as error:
            return str(error)
    try:
        reduced_names(config.reduced_components, moist)
    except ValueError as error:
        return str(error)
    return None


def component_formats(config, run_format: NumberFormat) -> dict[str, NumberFormat]:
    """Each component's format under ``config`` for a run at ``run_format`` (the dynamics
    alone without the moist physics); see the module doc."""
    moist = config.physics == "speedy"
    reduced = reduced_names(config.reduced_components, moist)
    float64 = NumberFormat.parse("float64")
    formats = {}
    for name in COMPONENTS if moist else DYNAMICAL:
        explicit = getattr(config, f"{name}_format")
        if explicit:
            formats[name] = parse_format(f"{name}_format", explicit)
        elif name in PHYSICS and config.physics_format:
            formats[name] = parse_format("physics_format", config.physics_format)
        else:
            formats[name] = run_format if name in reduced else float64
    return formats



class ComponentTransform:
    """A `SpectralTransform` whose arithmetic runs in the ``transforms`` component's format:
    each call takes its inputs from the dynamics' format into the transforms' (its own
    stream when stochastic), transforms them there with tables rounded to the transforms'
    format, and gives the results back in the dynamics' format
    (`pipeline.precision.components`). Used only where the two formats differ; with one
    format the plain transform runs, bit for bit as before."""

    def __init__(self, inner, transforms, dynamics):
        self.inner, self.transforms, self.dynamics = inner, transforms, dynamics
        self.grid = inner.grid

    def _through(self, method: str, values: tuple, *tables):
        """``method`` of the inner transform on ``values`` taken into the transforms' format
        (``tables``, already in that format, pass as they are), its results given back."""
        taken = self.transforms.take(*values, source=self.dynamics.format)
        result = getattr(self.inner, method)(*taken, *tables)
        back = self.dynamics.take(*(result if isinstance(result, tuple) else (result,)),
                                  source=self.transforms.format)
        return back if isinstance(result, tuple) else back[0]

    def legendre(self, coefficients, table):
        return self._through("legendre", (coefficients,), table)

    def fourier_to_grid(self, fourier):
        return self._through("fourier_to_grid", (fourier,))

    def grid_to_fourier(self, values):
        return self._through("grid_to_fourier", (values,))

    def to_grid(self, coefficients, table=None):
        return self._through("to_grid", (coefficients,), table)

    def to_spectral(self, values):
        return self._through("to_spectral", (values,))

    def gradient(self, coefficients):
        return self._through("gradient", (coefficients,))

    def winds(self, vorticity, divergence):
        return self._through("winds", (vorticity, divergence))

    def divergence_curl(self, a_fourier, b_fourier, vector_m, vector_h):
        return self._through("divergence_curl", (a_fourier, b_fourier), vector_m, vector_h)
