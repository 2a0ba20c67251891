"""The model protocol: what a class must have to be run, analysed and written by lowprec.

Every built-in model follows it, and so must a plugin (see `pipeline.models.registry`). A
model never touches files, MPI or rounding modes: it is plain NumPy code on its state, and
the run hands it arrays of the study's number format, so every operation it makes is rounded
there (`pipeline.precision`). States hold one row per ensemble member, so one block of
members advances together.

A minimal model, dx/dt = -x / tau by forward Euler (see tests/models/test_plugins.py for it
installed as a plugin and run through the whole workflow):

    @dataclass(frozen=True)
    class DecayConfig:
        tau: float = 10.0          # s
        dt: float = 0.1            # s
        length: float = 20.0       # s
        output_interval: float = 1.0

        def check(self):           # one phrase saying what is wrong, or None
            return None if self.dt > 0 else "dt must be positive"

        def run_length(self):      # in the file's time unit
            return RunLength(self.dt, 0.0, self.length, self.output_interval)

    class Decay:
        name = "decay"
        Config = DecayConfig
        time_units = "seconds since 2000-01-01 00:00:00"
        time_long_name = "time"
        variables = {"x": Variable("1", "decaying amount", ("member", "time"))}

        def __init__(self, config, fmt):
            self.factor = 1.0 - config.dt / config.tau

        def coordinates(self):
            return {}

        def initial_state(self, perturbation_rngs):
            return (np.array([1.0 + 0.01 * r.standard_normal() for r in perturbation_rngs]),)

        def step(self, state):
            (x,) = state
            return (x * self.factor,)

        def snapshot(self, state):
            return {"x": np.array(state[0], dtype=np.float64)}
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol, runtime_checkable

from pipeline.models.base import Variable


@runtime_checkable
class Model(Protocol):
    """A model class (instances are one member block at one number format)."""

    #: The name users type (``lowprec simulate NAME``, ``models: NAME:`` in a config).
    name: ClassVar[str]
    #: A frozen dataclass of parameters with defaults; ``--set key=value`` overrides them.
    #: It has ``run_length() -> RunLength`` (dt, spin-up, length, output interval in the
    #: file's time unit) and may have ``check() -> str | None``.
    Config: ClassVar[type]
    #: Output variables and their CF metadata; dims start with ("member", "time").
    variables: ClassVar[dict[str, Variable]]
    #: CF units of the time coordinate, e.g. "days since 2000-01-01 00:00:00".
    time_units: ClassVar[str]
    time_long_name: ClassVar[str]
    #: Optional: True when ``step`` reads nothing but its state and fixed attributes, so
    #: that it may be traced and compiled (`pipeline.precision.tracing`).
    compiled_steps: ClassVar[bool]

    def __init__(self, config: Any, fmt: Any) -> None: ...

    def coordinates(self) -> dict:
        """Extra output coordinates: {name: (values, CF attributes)}."""

    def initial_state(self, perturbation_rngs) -> tuple:
        """The state's arrays (float64), one row per member; member m draws its
        perturbation from ``perturbation_rngs[m]`` only (so files do not depend on ranks)."""

    def step(self, state) -> tuple:
        """One time step; may update the arrays in place and must return the state."""

    def snapshot(self, state) -> dict:
        """{variable: float64 array (members, ...)} at an output time."""
