# Small input/path helpers shared by the rule files.

import shlex


include: "cluster.smk"


wildcard_constraints:
    model="|".join(sorted(config["models"], key=len, reverse=True)),
    format="(float64|float32|float16|bfloat16|e[0-9]+m[0-9]+)(-sr)?",
    ensemble="[0-9]+",


def model_names():
    return list(config["models"])


def is_external(model):
    """A model the config declares as a program (models.<name>.external)."""
    return "external" in config["models"][model]


def model_pattern(external):
    """The model wildcard of the simulation rules: lowprec's own models (simulate) or the
    external programs (simulate_external); a pattern that matches nothing when there are
    none, so that exactly one rule makes each model's files."""
    names = [name for name in config["models"] if is_external(name) == external]
    return "|".join(sorted(names, key=len, reverse=True)) or "(?!)"


def external_arguments(wildcards):
    """``--command ... --variable NAME:DIMS ... --timeout S`` of an external model."""
    declared = config["models"][wildcards.model]["external"]
    words = ["--command", declared["command"]]
    for variable, dims in declared["variables"].items():
        words += ["--variable", f"{variable}:{','.join(dims)}"]
    return q(*words, "--timeout", declared.get("timeout", 3600))


def test_formats(model):
    """A model's formats (its own list, else the global one) under their canonical names;
    under the adaptive search, the formats its probes ran (search.smk)."""
    from pipeline.precision import NumberFormat

    if searching(model):
        return searched_formats(model)
    names = config["models"][model].get("formats", config["formats"])
    return list(dict.fromkeys(str(NumberFormat.parse(name)) for name in names))


def null_ensembles(model):
    """A model's null ensembles (its own count, else the global one)."""
    count = config["models"][model].get("null_ensembles", config["null_ensembles"])
    return range(1, count + 1)


def model_settings(wildcards):
    """The config subtree one model's simulations use (so they re-run when it changes); the
    float64 reference has ``reference_members`` members where the model sets it."""
    model = config["models"][wildcards.model]
    settings = {"seed": config["seed"], **model}
    if getattr(wildcards, "format", None) == "float64":
        settings["members"] = model.get("reference_members", model["members"])
    return settings


def q(*words):
    """Words for a rule's shell line, each quoted for the shell (shlex.quote).

    Config values are text a user (or a shared config file) chose: quoted, a value such as
    ``flat$(touch FILE)`` or ``a b`` reaches the program as one argument and is never run or
    split by the shell (issue 23, defect 2). Rules quote single values with ``{x:q}`` and
    build whole option lists with this helper.
    """
    return " ".join(shlex.quote(str(word)) for word in words)


def verdict_options():
    """``--verdict RULE --alpha A`` from config ``verdict`` (default: the null-spread rule)."""
    verdict = config.get("verdict", {})
    return q("--verdict", verdict.get("rule", "null-spread"), "--alpha", verdict.get("alpha", 0.05))


def set_options(parameters):
    """``--set key=value`` for every model parameter, each pair one quoted argument."""
    return q(*(word for key, value in sorted(parameters.items())
               for word in ("--set", f"{key}={value}")))


def set_arguments(wildcards, input=None):
    parameters = dict(config["models"][wildcards.model].get("parameters", {}))
    if input is not None and getattr(input, "spinup", None):
        parameters["initial_file"] = input.spinup
    return set_options(parameters)


def model_tasks(wildcards):
    """MPI ranks of a model's simulation jobs (its own mpi_tasks, else the global one)."""
    return config["models"][wildcards.model].get("mpi_tasks", config["mpi_tasks"])


def checkpoint_every(wildcards):
    return config["models"][wildcards.model].get("checkpoint_every", 0)


def spinup_input(wildcards):
    """The float64 spin-up run whose last state starts every run of a model, if configured."""
    if "spinup" in config["models"][wildcards.model]:
        return {"spinup": f"results/{wildcards.model}/spinup.nc"}
    return {}


def spinup_arguments(wildcards):
    model = config["models"][wildcards.model]
    parameters = {**model.get("parameters", {}), **model["spinup"]}
    return set_options(parameters)


def map_outputs():
    return [f"results/summary/maps_{model}_{variable}.png"
            for model, settings in config["models"].items()
            for variable in settings.get("map_variables", [])]


def profile_inputs(wildcards):
    """The reference and every test format of one model, each once."""
    names = dict.fromkeys(["float64", *test_formats(wildcards.model)])
    return [f"results/{wildcards.model}/{name}.nc" for name in names]


def profile_models():
    return [name for name, model in config["models"].items() if model.get("profile_variable")]


def summary_outputs():
    return (
        ["results/summary/minimal_bits.csv", "results/summary/minimal_bits.nc"]
        + [f"results/summary/w1_{model}.png" for model in model_names()]
        + [f"results/summary/profiles_{model}.png" for model in profile_models()]
        + map_outputs()
        + (["results/summary/probes.csv", "results/summary/probes.nc",
            "results/summary/search_path.png"] if any(map(searching, model_names())) else [])
        + [f"results/summary/component_bits_{model}.csv" for model in model_names()
           if search_components(model)]
    )


def bound_instances():
    """(problem, instance) for every search the config lists."""
    searches = config.get("bounds", {}).get("searches", {})
    pairs = []
    for problem, settings in searches.items():
        if problem == "theta":
            pairs += [(problem, graph) for graph in settings.get("graphs", ["C5"])]
        else:
            pairs += [(problem, str(n)) for n in settings.get("dimensions", [3])]
    return pairs


def bound_outputs():
    if not bound_instances():
        return []
    return ["results/summary/bounds.csv", "results/summary/bounds.png"]


def search_arguments(wildcards):
    settings = config["bounds"]["searches"][wildcards.problem]
    where = "--graph" if wildcards.problem == "theta" else "--dimension"
    degrees = ",".join(str(d) for d in settings.get("degrees", [4]))
    solvers = ",".join(settings.get("solvers", ["CLARABEL"]))
    budget = config["bounds"].get("budget_solves", 12)
    return q(where, wildcards.instance, "--degrees", degrees, "--solvers", solvers,
             "--budget-solves", budget)


def check_model_parameters():
    """Model parameters are checked by the model itself: one sentence for a bad one."""
    from pipeline.models import ModelParameterError, get_model
    from pipeline.models.base import parse_overrides

    for name, model in config["models"].items():
        if is_external(name):
            continue  # a program, checked with the config (pipeline/configuration.py)
        parameters = {key: str(value) for key, value in model.get("parameters", {}).items()}
        spinup = {key: str(value) for key, value in model.get("spinup", {}).items()}
        try:
            parse_overrides(get_model(name).Config, parameters, name)
            parse_overrides(get_model(name).Config, {**parameters, **spinup}, name)
        except ModelParameterError as error:
            raise WorkflowError(f"config models.{name}.parameters: {error}")
        if model["members_per_task"] > model["members"]:
            raise WorkflowError(
                f"config models.{name}.members_per_task ({model['members_per_task']}) "
                f"exceeds members ({model['members']})."
            )


check_model_parameters()
