"""Loading and checking a workflow config before anything runs: one sentence per problem.

A config reaches three readers: Snakemake (which plans jobs from it), the rules (which paste
values into `lowprec` command lines) and the models (which parse their parameters). A value
that one of them reads differently from the others (``members: 4.0`` is an integer to JSON
Schema and an error to ``--members``) or only at run time (a missing ``initial_file`` found
an hour in) must be stopped here, with one sentence naming the key and what is allowed.

The checks, in order:

1. `load_config_file`: YAML with the file name and line of a syntax error; a key given twice
   in one mapping is an error (YAML would keep the last silently).
2. `check_config`, the schema (``workflow/schemas/config.schema.yaml``, JSON Schema 2020-12)
   with two changes to the standard validator: an integer is a whole number written as one
   (``4``, not ``4.0``, nor ``true``), and schema defaults are filled in, as Snakemake's
   ``validate`` does.
3. What a schema cannot say: degree ladders in increasing order; solver arms and learners as
   the code parses them (SDPA's precision range, omega in (0, 2)); members_per_task at most
   members; model parameters through the model's own config class (`parse_overrides`);
   files named by parameters (``initial_file``, an orography file) exist; a model with a
   spin-up run takes its initial file from it, not from ``parameters.initial_file``.

Errors are `ConfigError`; its text is one sentence, e.g. ``config/bad.yaml: config key
models.speedy.members: 4.0 is not an integer; use a whole number of at least 2.``
"""

from __future__ import annotations

import dataclasses
import functools
import os
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
_NAMED_OROGRAPHIES = ("auto", "flat", "mountain", "jablonowski-williamson")


class ConfigError(Exception):
    """A config that cannot run: one sentence naming the key and what is allowed."""


# --- 1. reading --------------------------------------------------------------------------

class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping."""


def _mapping_without_duplicates(loader, node, deep=False):
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is given twice (first on line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
                              _mapping_without_duplicates)


def load_config_file(path) -> dict:
    """The config in the YAML (or JSON) file ``path``, or a `ConfigError` naming the file,
    and for a syntax error its line and column."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config file {path} ({_first_line(error)}).") from None
    try:
        config = yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = error.problem or error.context or "invalid syntax"
        opened = error.context_mark if error.problem and error.context else None
        if opened is not None and mark is not None and opened.line != mark.line:
            problem += f" ({error.context} that starts on line {opened.line + 1})"
        raise ConfigError(f"{path}{where}: invalid YAML: {problem}.") from None
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: invalid YAML: {_first_line(error)}.") from None
    if not isinstance(config, dict):
        kind = "empty" if config is None else f"a {_kind(config)}"
        raise ConfigError(f"{path}: a config is a mapping of keys (seed, formats, models, "
                          f"...), but this file is {kind}.")
    return config


# --- 2. the schema -----------------------------------------------------------------------

@functools.lru_cache(maxsize=4)
def _schema(path: str, modified: int) -> dict:
    """The schema at ``path`` (read once per modification: pure-Python YAML takes 0.3 s)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)


def _validator_class():
    """Draft 2020-12 with strict integers and default filling."""
    from jsonschema import Draft202012Validator, validators

    def is_integer(checker, instance):
        return isinstance(instance, int) and not isinstance(instance, bool)

    type_checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    properties = Draft202012Validator.VALIDATORS["properties"]

    def properties_with_defaults(validator, subschemas, instance, schema):
        if isinstance(instance, dict):
            for name, subschema in subschemas.items():
                if isinstance(subschema, dict) and "default" in subschema:
                    instance.setdefault(name, subschema["default"])
        yield from properties(validator, subschemas, instance, schema)

    return validators.extend(Draft202012Validator, {"properties": properties_with_defaults},
                             type_checker=type_checker)


def _schema_error(error) -> str:
    """One sentence for a jsonschema ValidationError: where, what, and what is allowed."""
    path = ".".join(str(part) for part in error.absolute_path)
    value, schema, keyword = error.instance, error.schema, error.validator
    where = f"config key {path}" if path else "top level"
    if keyword == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        unknown = sorted(set(value) - set(allowed))
        listed = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return f"{where}: unknown key {', '.join(map(repr, unknown))}{listed}."
    if keyword == "propertyNames":
        allowed = error.validator_value.get("enum", [])
        return f"{where}: unknown key {error.instance!r}; allowed: {', '.join(allowed)}."
    if keyword == "required":
        missing = [name for name in error.validator_value if name not in value]
        return (f"{where}: the required key {missing[0]!r} is missing (required: "
                f"{', '.join(error.validator_value)}).")
    if keyword == "type":
        return (f"{where}: {_show(value)} is not {_article(error.validator_value)}; use "
                f"{_hint(schema, value)}.")
    if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"{where}: {_show(value)} is out of range; use {_hint(schema, value)}."
    if keyword == "enum":
        return (f"{where}: {_show(value)} is not allowed; use one of: "
                f"{', '.join(map(str, error.validator_value))}.")
    if keyword == "pattern":
        allowed = schema.get("x-allowed") or f"a text matching {error.validator_value}"
        return f"{where}: {_show(value)} is not allowed; use {allowed}."
    if keyword == "minItems":
        return f"{where}: the list is empty; give at least {error.validator_value} item."
    if keyword == "uniqueItems":
        repeated = next(item for index, item in enumerate(value) if item in value[:index])
        return f"{where}: {_show(repeated)} is listed twice; list each once."
    if keyword == "minProperties":
        return f"{where}: it is empty; give at least {error.validator_value} entry."
    return f"{where}: {_first_line(error.message)}."


def _hint(schema: dict, value) -> str:
    kind = schema.get("type")
    if kind is None and any(k in schema for k in ("minimum", "maximum", "exclusiveMinimum")):
        kind = "integer" if isinstance(value, int) else "number"  # a range without a type
    kinds = kind if isinstance(kind, list) else [kind]
    low, high = schema.get("minimum"), schema.get("maximum")
    above = schema.get("exclusiveMinimum")
    if "integer" in kinds and len(kinds) == 1:
        noun = "a whole number"
    elif "number" in kinds and len(kinds) == 1:
        noun = "a number"
    elif kinds == [None]:
        return "a valid value"
    else:
        return " or ".join(_article(k) for k in kinds if k)
    if low is not None and high is not None:
        return f"{noun} from {low} to {high}"
    if low is not None:
        return f"{noun} of at least {low}"
    if above is not None:
        return f"{noun} greater than {above}"
    if high is not None:
        return f"{noun} of at most {high}"
    return noun


def _article(kind) -> str:
    if isinstance(kind, list):
        return " or ".join(_article(k) for k in kind)
    return {"integer": "an integer", "number": "a number", "string": "a text",
            "boolean": "true or false", "array": "a list", "object": "a mapping of keys",
            "null": "empty"}.get(kind, str(kind))


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value) -> str:
    return {list: "list", str: "text", int: "number", float: "number", bool: "boolean"}.get(
        type(value), type(value).__name__)


# --- 3. beyond the schema ----------------------------------------------------------------

def _check_bounds(config: dict) -> None:
    from pipeline.bounds.search import Arm

    for problem, settings in config.get("bounds", {}).get("searches", {}).items():
        where = f"config key bounds.searches.{problem}"
        degrees = settings.get("degrees", [])
        if degrees != sorted(degrees):
            raise ConfigError(f"{where}.degrees: {degrees} is not in increasing order; the "
                              f"ladder goes lowest first, e.g. {sorted(degrees)}.")
        for arm in settings.get("solvers", []):
            try:
                Arm.parse(arm)
            except ValueError as error:
                raise ConfigError(f"{where}.solvers: {_sentence_body(error)}.") from None


def _check_solvers(config: dict) -> None:
    from pipeline.solvers.operator import SolverInputError
    from pipeline.solvers.study import check_learner, check_sequence_settings

    for sequence, settings in config.get("solvers", {}).get("sequences", {}).items():
        try:
            check_sequence_settings(sequence, settings.get("settings", {}))
        except SolverInputError as error:
            raise ConfigError(f"config key solvers.sequences.{sequence}.settings: "
                              f"{_sentence_body(error)}.") from None
        canonical = []
        for learner in settings.get("learners", []):
            try:
                canonical.append(check_learner(learner))
            except SolverInputError as error:
                raise ConfigError(f"config key solvers.sequences.{sequence}.learners: "
                                  f"{_sentence_body(error)}.") from None
        repeated = [name for index, name in enumerate(canonical) if name in canonical[:index]]
        if repeated:
            raise ConfigError(f"config key solvers.sequences.{sequence}.learners: "
                              f"{repeated[0]!r} is listed twice; list each once.")


def _check_models(config: dict, base: Path) -> None:
    from pipeline.models import ModelParameterError, PluginError, get_model
    from pipeline.models.base import parse_overrides, run_length_problem

    for name, model in config["models"].items():
        where = f"config key models.{name}"
        if "external" in model:
            _check_external(name, model, base)
            continue
        if "members_per_task" not in model:
            raise ConfigError(f"{where}: members_per_task is required (members that advance "
                              f"together in one MPI task, 1 to {model['members']}).")
        if model["members_per_task"] > model["members"]:
            raise ConfigError(f"{where}.members_per_task: {model['members_per_task']} exceeds "
                              f"members ({model['members']}); use at most {model['members']}.")
        reference = model.get("reference_members", model["members"])
        if model["members_per_task"] > reference:
            raise ConfigError(f"{where}.reference_members: {reference} is fewer than "
                              f"members_per_task ({model['members_per_task']}); use at least "
                              f"{model['members_per_task']}.")
        parameters = {key: _text(value) for key, value in model.get("parameters", {}).items()}
        spinup = {key: _text(value) for key, value in model.get("spinup", {}).items()}
        if "spinup" in model and parameters.get("initial_file"):
            raise ConfigError(f"{where}.parameters.initial_file: a model with a spinup run "
                              f"starts from its last state; give either spinup or "
                              f"initial_file, not both.")
        try:
            model_class = get_model(name)  # built in, or a plugin (pipeline/models/registry.py)
        except ModelParameterError as error:
            if isinstance(error, PluginError):
                raise ConfigError(f"config key models: {_sentence_body(error)}.") from None
            raise ConfigError(f"config key models: {_sentence_body(error)}, or declare a "
                              f"program under models.{name}.external.") from None
        for part, values in (("parameters", parameters), ("spinup", {**parameters, **spinup})):
            try:
                parsed = parse_overrides(model_class.Config, values, name)
            except ModelParameterError as error:
                raise ConfigError(f"{where}.{part}: {_sentence_body(error)}.") from None
            problem = run_length_problem(model_class, parsed)
            if problem:
                raise ConfigError(f"{where}.{part}: {problem}.")
            if part == "parameters":
                run_config = parsed
        _check_plotted_variables(where, model, _output_variables(model_class, run_config))
        _check_search_components(config, name, model_class, parameters)
        for part, values in (("parameters", parameters), ("spinup", spinup)):
            for key, value in values.items():
                named = key == "orography" and value in _NAMED_OROGRAPHIES
                if (key.endswith("_file") or key == "orography") and value and not named:
                    if not (base / value).is_file():
                        raise ConfigError(
                            f"{where}.{part}.{key}: the file {value} does not exist "
                            f"(relative paths are from {base}).")


def _check_search_components(config: dict, name: str, model_class, parameters: dict) -> None:
    """Each component a model's search takes alone must be one the model declares and one its
    parameters allow (speedy's physics components need physics=speedy)."""
    from pipeline.models import ModelParameterError
    from pipeline.models.base import parse_overrides

    search = {**config.get("search", {}), **config["models"][name].get("search", {})}
    if search.get("mode") != "bisect":
        return
    declared = tuple(getattr(model_class, "component_names", ()))
    for component in search.get("components", []):
        if component not in declared:
            allowed = ", ".join(declared) or "none: it declares no components"
            raise ConfigError(f"config key models.{name}.search.components: {component!r} is "
                              f"not a component of {name} (its components: {allowed}); a "
                              f"global search.components applies to every model, so give "
                              f"it in models.<name>.search instead.")
        try:
            parse_overrides(model_class.Config, {**parameters, "reduced_components": component},
                            name)
        except ModelParameterError as error:
            raise ConfigError(f"config key models.{name}.search.components: "
                              f"{_sentence_body(error)}.") from None


# Keys of a model entry that configure lowprec's own models and mean nothing to a program.
_NOT_FOR_EXTERNAL = ("parameters", "spinup")


def _check_external(name: str, model: dict, base: Path) -> None:
    """An external model's declaration (pipeline/models/external.py): its template and
    variables, a program that exists, and none of the keys of lowprec's own models. Fills in
    members_per_task (1: each member is one run of the program)."""
    from pipeline.models import MODELS
    from pipeline.models.external import ExternalModel, ExternalModelError
    from pipeline.models.registry import plugin_entry_points

    where = f"config key models.{name}"
    if name in MODELS or name in plugin_entry_points():
        raise ConfigError(f"{where}.external: {name} is a model lowprec already has; give "
                          f"the external model a name of its own.")
    for key in _NOT_FOR_EXTERNAL:
        if key in model:
            raise ConfigError(f"{where}.{key}: an external model takes no {key} (its command "
                              f"template sets how it runs); remove the key.")
    if model.get("checkpoint_every", 0):
        raise ConfigError(f"{where}.checkpoint_every: an external model is not checkpointed "
                          f"by lowprec (each member is one run of the program); use 0.")
    if model.setdefault("members_per_task", 1) != 1:
        raise ConfigError(f"{where}.members_per_task: an external model runs one member per "
                          f"program run; use 1 or leave the key out.")
    declared = model["external"]
    try:
        external = ExternalModel.declare(name, declared["command"], declared["variables"],
                                         declared.get("timeout", 3600.0))
    except ExternalModelError as error:
        raise ConfigError(f"{where}.external: {_sentence_body(error)}.") from None
    problem = _program_problem(external.command[0], base)
    if problem:
        raise ConfigError(f"{where}.external.command: {problem}.")
    variables = {variable: Variable(("member", *dims))
                 for variable, dims in external.variables.items()}
    _check_plotted_variables(where, model, variables)


def _program_problem(program: str, base: Path) -> str | None:
    """Why ``program`` (the template's first word) cannot run here, or None. A program
    chosen per format (``./model-{format}``) is only found at run time."""
    import shutil

    if "{" in program:
        return None
    if "/" in program:
        path = base / program
        if path.is_file() and os.access(path, os.X_OK):
            return None
        return f"the program {program} is not an executable file (relative paths are from {base})"
    if shutil.which(program) is None:
        return f"the program {program} is not on PATH"
    return None


@dataclasses.dataclass(frozen=True)
class Variable:
    """The dimensions of a variable, as _check_plotted_variables reads them."""

    dims: tuple


def _output_variables(model_class, run_config) -> dict:
    if hasattr(model_class, "output_variables"):
        return model_class.output_variables(run_config)
    return model_class.variables


def _check_plotted_variables(where: str, model: dict, variables: dict) -> None:
    """map_variables and profile_variable name variables the run writes, with two
    dimensions beyond (member, time) for a map and one for a profile."""
    chosen = [(f"map_variables.{index}", name, 2)
              for index, name in enumerate(model.get("map_variables", []))]
    if "profile_variable" in model:
        chosen.append(("profile_variable", model["profile_variable"], 1))
    for key, name, extra in chosen:
        allowed = [name for name, variable in variables.items()
                   if len(variable.dims) - 2 >= extra]
        if name not in allowed:
            shape = "two-dimensional fields" if extra == 2 else "variables with a vertical dimension"
            raise ConfigError(f"{where}.{key}: {name!r} is not among this run's {shape}; "
                              f"use one of: {', '.join(allowed) or 'none'}.")


def _text(value) -> str:
    """A parameter as `lowprec simulate --set` receives it (YAML's true is 'true')."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _sentence_body(error: BaseException) -> str:
    return _first_line(error).rstrip(".")


def _first_line(error) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


# --- the whole check ---------------------------------------------------------------------

def check_config(config: dict, source: str | None = None, schema_path=SCHEMA,
                 base=None) -> dict:
    """``config``, checked and with the schema's defaults filled in (in place), or a
    `ConfigError` of one sentence, starting with ``source`` (a file name) when given.

    ``base`` is the folder relative file names are taken from (default: the working
    directory, where Snakemake and `lowprec` run).
    """
    base = Path(os.getcwd() if base is None else base)
    try:
        schema = _schema(str(schema_path), Path(schema_path).stat().st_mtime_ns)
        if not isinstance(config, dict):
            raise ConfigError("a config is a mapping of keys (seed, formats, models, ...), "
                              f"got {_show(config)}.")
        from jsonschema.exceptions import best_match

        error = best_match(_validator_class()(schema).iter_errors(config))
        if error is not None:
            raise ConfigError(_schema_error(error))
        _check_models(config, base)
        _check_bounds(config)
        _check_solvers(config)
    except ConfigError as error:
        raise ConfigError(f"{source}: {error}" if source else str(error)) from None
    return config


def check_config_file(path, schema_path=SCHEMA, base=None) -> dict:
    """`load_config_file` then `check_config`: what `lowprec check-config FILE` runs."""
    return check_config(load_config_file(path), str(path), schema_path, base)


def add_check_config(subparsers, usage_error) -> None:
    """`lowprec check-config FILE...`: the workflow's config checks, without Snakemake.
    A bad file raises ``usage_error`` (the CLI's one-sentence error) with the reason."""
    parser = subparsers.add_parser(
        "check-config", help="check workflow config files (YAML) as the workflow will",
        description="Check each config FILE against workflow/schemas/config.schema.yaml and "
        "the models, bound searches and solvers it names, as `snakemake --configfile FILE` "
        "does before planning any job; relative file names in it are taken from the working "
        "directory. Prints one line per good file; the first bad one ends with its reason.")
    parser.add_argument("files", nargs="+", metavar="FILE", help="config file (YAML or JSON)")
    parser.add_argument("--schema", default=str(SCHEMA), help="JSON Schema (YAML) to check with")

    def run(args) -> None:
        for path in args.files:
            try:
                check_config_file(path, args.schema)
            except ConfigError as error:
                raise usage_error(str(error)) from None
            print(f"{path}: a valid lowprec config.")

    parser.set_defaults(run=run)


# --- for the Snakefile -------------------------------------------------------------------

def command_line_configs(workflow) -> list[str]:
    """The ``--configfile`` files of a Snakemake run, named as the user sees them."""
    paths = getattr(workflow, "overwrite_configfiles", None)
    if paths is None:  # the attribute's older home
        paths = workflow.config_settings.configfiles
    shown = []
    for path in paths or []:
        relative = os.path.relpath(path)
        shown.append(str(path) if relative.startswith("..") else relative)
    return shown


def check_workflow_config(config: dict, files: list[str], default: str) -> None:
    """Check the config a Snakemake run planned from (``files`` from the command line, else
    ``default``): fill in its defaults, or print the one sentence and exit with status 1.

    Exiting, rather than raising Snakemake's WorkflowError, keeps the message one line: a
    WorkflowError comes with the Snakefile's file, line and a traceback line."""
    try:
        for path in files:
            load_config_file(path)  # keys given twice, which YAML would silently overwrite
        check_config(config, ", ".join(files or [default]))
    except ConfigError as error:
        _stop(error)


def check_default_config_file(path) -> None:
    """Read the default config ourselves first, so that a syntax error in it is reported
    with its line (Snakemake's own message names neither the file nor the line)."""
    try:
        load_config_file(path)
    except ConfigError as error:
        _stop(error)


def _stop(error: ConfigError):
    import sys

    print(f"lowprec: error: {error}", file=sys.stderr, flush=True)
    raise SystemExit(1)
