"""Which models there are: the built-in ones and those other packages install as plugins.

A plugin is any installed distribution that declares an entry point in the group
``lowprec.models``, naming a model class, e.g. in its pyproject.toml:

    [project.entry-points."lowprec.models"]
    ocean_box = "oceanbox.model:OceanBox"

The class follows the model protocol (`pipeline.models.protocol.Model`, the one the built-in
models follow): ``name``, a ``Config`` dataclass, ``variables`` (CF metadata), ``time_units``
and ``time_long_name``, and ``coordinates()``, ``initial_state(perturbation_rngs)``,
``step(state)`` and ``snapshot(state)``. The entry point's name must be the class's ``name``.
A plugin is then run exactly like a built-in model (``lowprec simulate NAME``, and
``models: NAME:`` in a workflow config).

Entry points are read only when a name is not built in (or when every model is listed), so
runs of the built-in models pay nothing for the scan.
"""

from __future__ import annotations

import dataclasses
from importlib.metadata import entry_points

from pipeline.models.base import ModelParameterError, Variable

GROUP = "lowprec.models"
REQUIRED_METHODS = ("coordinates", "initial_state", "step", "snapshot")
REQUIRED_ATTRIBUTES = ("name", "Config", "variables", "time_units", "time_long_name")
RESERVED_NAMES = ("time", "member", "blowup_time")  # the ensemble file's own


class PluginError(ModelParameterError):
    """A plugin that cannot be used: one sentence naming its entry point and what is wrong."""


def protocol_problem(model_class) -> str | None:
    """What ``model_class`` lacks of the model protocol, in a few words, or None."""
    missing = [name for name in REQUIRED_ATTRIBUTES if not hasattr(model_class, name)]
    missing += [f"{name}()" for name in REQUIRED_METHODS
                if not callable(getattr(model_class, name, None))]
    if missing:
        return f"it has no {', '.join(missing)}"
    if not dataclasses.is_dataclass(model_class.Config):
        return "its Config is not a dataclass"
    if not callable(getattr(model_class.Config, "run_length", None)):
        return "its Config has no run_length()"
    if not isinstance(model_class.variables, dict) or not model_class.variables:
        return "its variables are not a non-empty dict of Variable"
    for name, variable in model_class.variables.items():
        if not isinstance(variable, Variable):
            return (f"its variable {name!r} is a {type(variable).__name__}, not a "
                    "pipeline.models.base.Variable")
        if name in RESERVED_NAMES:
            return (f"its variable {name!r} has a name the ensemble file uses itself "
                    f"({', '.join(RESERVED_NAMES)}); rename it")
        if not isinstance(variable.units, str) or not isinstance(variable.long_name, str):
            return f"its variable {name!r} needs units and long_name as text"
    for attribute in ("time_units", "time_long_name"):
        if not isinstance(getattr(model_class, attribute), str):
            return f"its {attribute} is not text"
    return None


def plugin_entry_points() -> dict:
    """{name: entry point} of every installed plugin model."""
    return {point.name: point for point in entry_points(group=GROUP)}


def load_plugin(point, builtin_names) -> type:
    """The model class behind one entry point, checked against the protocol."""
    where = f"plugin model {point.name!r} (entry point {point.value!r})"
    if point.name in builtin_names:
        raise PluginError(f"The {where} has the name of a built-in model; rename it.")
    try:
        model_class = point.load()
    except Exception as error:  # a plugin's own import failure, whatever it is
        raise PluginError(f"The {where} cannot be imported: "
                          f"{type(error).__name__}: {error}.") from None
    problem = protocol_problem(model_class)
    if problem is None and model_class.name != point.name:
        problem = f"its class's name is {model_class.name!r}, not the entry point's"
    if problem is not None:
        raise PluginError(f"The {where} does not follow the model protocol: {problem}.")
    return model_class
