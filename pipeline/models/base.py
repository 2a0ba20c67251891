"""What every model shares: its config dataclass with ``--set`` overrides, CF variable
metadata, and how a member block is run.

A model is a small class with a ``Config`` dataclass, ``variables`` (CF metadata, one table),
``coordinates(config)`` (extra output coordinates such as depth), ``initial_state(members,
perturbations)``, ``step(state)`` and ``diagnostics(state)``. It never touches files or MPI.
States hold one row per ensemble member, so one block of members advances together.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from pipeline.precision import NumberFormat


class ModelParameterError(ValueError):
    """A bad ``--set`` key or value: one sentence naming it and what is allowed."""


@dataclass(frozen=True)
class Variable:
    """CF metadata of one output variable (CF-1.10 standard names where one exists)."""

    units: str
    long_name: str
    dims: tuple[str, ...]
    standard_name: str | None = None
    cell_methods: str | None = None  # e.g. "time: mean" for means over each output interval


@dataclass(frozen=True)
class RunLength:
    """Time stepping and sampling shared by all models, in the model's time unit."""

    dt: float
    spinup: float
    length: float
    output_interval: float

    def steps(self) -> tuple[int, int, int]:
        """(spin-up steps, steps after spin-up, steps between outputs)."""
        per_output = max(1, round(self.output_interval / self.dt))
        return round(self.spinup / self.dt), round(self.length / self.dt), per_output


LARGEST_STEPS = 2**31 - 1  # time steps of one run, spin-up included


def run_length_problem(model_class, config) -> str | None:
    """What makes a run of ``config`` impossible, in words, or None: no output time (a run
    shorter than one output interval, which would have no times to write) or more steps than
    a run can count (``LARGEST_STEPS``)."""
    if not hasattr(config, "run_length"):
        return None
    run = config.run_length()
    unit = model_class.time_units.split(" ")[0]
    unit = " model time units" if unit == "1" else f" {unit}"
    steps = (run.spinup + run.length) / run.dt
    if not steps <= LARGEST_STEPS:
        return (f"the run takes {steps:.3g} time steps of dt = {run.dt:g}{unit} (spin-up and "
                f"run), more than the {LARGEST_STEPS} a run can count; shorten the run or "
                "lengthen dt")
    _, run_steps, per_output = run.steps()
    if run_steps // per_output < 1:
        return (f"the run length ({run.length:g}{unit} after spin-up) is shorter than one "
                f"output interval ({per_output * run.dt:g}{unit}), so it would have no "
                "output; lengthen the run or shorten the output interval")
    return None


def allowed_keys(known) -> str:
    """The parameter names for a message; a model's per-component ``<name>_format`` keys
    (the speedy model has ten) as one entry, so the sentence stays short."""
    formats = sorted(name[:-len("_format")] for name in known if name.endswith("_format"))
    names = sorted(name for name in known if not name.endswith("_format"))
    if len(formats) > 2:
        names.append(f"NAME_format for NAME in {'/'.join(formats)}")
    else:
        names = sorted(known)
    return ", ".join(names)


def unknown_parameter(key: str, known, model: str, longest: int = 600) -> str:
    """The sentence for an unknown parameter: every allowed name while that stays under
    ``longest`` characters, else the closest names and where the whole list is (speedy
    has some forty parameters)."""
    sentence = f"Unknown parameter {key!r} for model {model}; allowed: {allowed_keys(known)}."
    if len(sentence) <= longest:
        return sentence
    import difflib

    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.6)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    return (f"Unknown parameter {key!r} for model {model}; {hint}`lowprec models {model}` "
            f"lists its {len(known)} parameters with their defaults.")


def parse_overrides(config_class, overrides: dict[str, str] | None, model: str):
    """Build ``config_class`` from string overrides such as ``{"years": "10"}``.

    Unknown keys and values of the wrong type get one sentence naming them.
    """
    known = {field.name: field for field in fields(config_class)}
    values: dict[str, Any] = {}
    for key, text in (overrides or {}).items():
        if key not in known:
            raise ModelParameterError(unknown_parameter(key, known, model)
            )
        default = known[key].default
        kind = type(default)
        try:
            if kind is bool:
                if str(text).lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = str(text).lower() in ("true", "1", "yes")
            elif kind is int:
                value = int(text)
            elif kind is float:
                value = float(text)
                if not math.isfinite(value):
                    raise ValueError
            else:
                value = kind(text)
        except (TypeError, ValueError):
            raise ModelParameterError(
                f"Parameter {key!r} of model {model} must be a {kind.__name__}, got {text!r}."
            ) from None
        values[key] = value
    config = config_class(**values)
    problem = config.check() if hasattr(config, "check") else None
    if problem is not None and not isinstance(problem, str):
        raise ModelParameterError(f"Model {model}: its Config.check() returned {problem!r}; it "
                                  "must return a phrase saying what is wrong, or None.")
    if problem:
        raise ModelParameterError(f"Model {model}: {problem}.")
    return config


def config_attributes(config) -> dict[str, Any]:
    """Model parameters as NetCDF attributes (``model_<name>``), so a file can rebuild them."""
    return {f"model_{key}": value for key, value in dataclasses.asdict(config).items()}


def to_format(values, fmt: NumberFormat, rng):
    """Plain float64 (or complex128) values as an array of ``fmt`` (float64 itself stays a
    plain ndarray)."""
    if fmt.is_float64:
        return np.array(values, dtype=wide_dtype(values))
    return fmt.array(values, rng=rng)


def wide_dtype(values):
    """complex128 for complex values (spectral coefficients), else float64."""
    return np.complex128 if np.iscomplexobj(values) else np.float64


def is_blown_up(*arrays) -> bool:
    """True when any value is NaN or infinite: a low-precision blow-up, recorded, not raised."""
    return any(not np.isfinite(np.asarray(a)).all() for a in arrays)
