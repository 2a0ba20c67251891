"""`lowprec models`: every available model (built in and plugins), its parameters, defaults
and units, and its output variables."""

from __future__ import annotations

import dataclasses
import inspect
import re

COMMENT = re.compile(r"^\s*(\w+)\s*:[^=]*=.*?#\s*(.+?)\s*$")


def parameter_notes(config_class) -> dict[str, str]:
    """Units or notes of each parameter: a field's ``metadata["units"]``, else the comment
    that ends its line in the class's source (the built-in models write units there)."""
    notes = {}
    try:
        for line in inspect.getsource(config_class).splitlines():
            if match := COMMENT.match(line):
                notes[match.group(1)] = match.group(2)
    except (OSError, TypeError):  # no source (e.g. a class made at run time)
        pass
    for field in dataclasses.fields(config_class):
        if "units" in field.metadata:
            notes[field.name] = str(field.metadata["units"])
    return notes


def describe(model_class) -> list[str]:
    """Lines describing one model."""
    origin = model_class.__module__
    lines = [f"{model_class.name}  ({origin})"]
    notes = parameter_notes(model_class.Config)
    for field in dataclasses.fields(model_class.Config):
        default = field.default if field.default is not dataclasses.MISSING else "(required)"
        note = f"  # {notes[field.name]}" if field.name in notes else ""
        lines.append(f"  --set {field.name}={default}{note}")
    for name, variable in model_class.variables.items():
        lines.append(f"  output {name} [{variable.units}] {variable.long_name}, "
                     f"dims {', '.join(variable.dims)}")
    return lines


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "models", help="list every model (built in and plugins) with its parameters",
        description="List every model lowprec can run: the built-in ones and those installed "
        "packages declare in the 'lowprec.models' entry-point group, each with its parameters "
        "(defaults, units) and output variables.",
    )
    parser.add_argument("names", nargs="*", help="only these models")
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.cli import UsageError
    from pipeline.models import available_models

    models, broken = available_models()
    unknown = [name for name in args.names if name not in models and name not in broken]
    if unknown:
        raise UsageError(f"Unknown model {unknown[0]!r}; choose one of: "
                         f"{', '.join(sorted(models))}.")
    for name in sorted(set(args.names or [*models, *broken])):
        if name in models:  # (a built-in model, even where a plugin takes its name)
            print("\n".join(describe(models[name])))
        if name in broken:
            print(f"{name}: unusable: {broken[name]}")
