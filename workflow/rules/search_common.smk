# Functions of the adaptive search's rules (search.smk): settings, the chain of records.
#
# A search has a scope: `all` (the whole model at the probed format, results/<model>/<format>.nc)
# or one of the model's components (the component at the probed format, the rest in float64:
# `--set reduced_components=<component>`, results/<model>/components/<component>/<format>.nc).

import json
import os


wildcard_constraints:
    rounding="nearest|stochastic",
    step="[0-9]+",
    component="[a-z][a-z0-9_]*",


def search_settings(model):
    """The search's settings for one model: the global `search` block, then the model's."""
    settings = {"mode": "fixed", "low": 4, "high": 23, "exponent_bits": 11,
                "roundings": ["nearest", "stochastic"], "components": [], "repeat": True,
                **config.get("search", {})}
    settings.update(config["models"][model].get("search", {}))
    return settings


def searching(model):
    return search_settings(model)["mode"] == "bisect"


def search_components(model):
    """The components a model's searches take one at a time (config `search.components`),
    each a name the model declares (checked with the config: pipeline/configuration.py)."""
    if not searching(model):
        return []
    return list(dict.fromkeys(search_settings(model)["components"]))


def search_scopes(model):
    """`all` (the whole model), then each searched component."""
    return ["all", *search_components(model)]


def search_count(model):
    """The model's searches (every scope and rounding mode): the holm verdict's family."""
    return len(search_scopes(model)) * len(search_settings(model)["roundings"])


def probe_test_file(model, component, format_name):
    if component == "all":
        return f"results/{model}/{format_name}.nc"
    return f"results/{model}/components/{component}/{format_name}.nc"


def repeat_ensemble(model):
    """The ensemble index of a repeated probe: the first above the null's."""
    return len(null_ensembles(model)) + 1


def repeat_options(model):
    """``--repeat-ensemble N`` when the model's search repeats narrow failures (`repeat`)."""
    return q("--repeat-ensemble", repeat_ensemble(model)) if search_settings(model)["repeat"] \
        else ""


def probe_test_path(model, component, rounding, step):
    """The ensemble step ``step`` judges: the probed format's run, or, where the last step
    asks for a repeat, a fresh ensemble at the same format."""
    name = probe_format_name(model, component, rounding, step)
    if step > 0:
        pending = probe_record(model, component, rounding, step - 1).get("repeat")
        if pending:
            return (f"results/{model}/repeat/{component}/{name}"
                    f"-ensemble{pending['ensemble']}.nc")
    return probe_test_file(model, component, name)


def probe_record_path(model, component, rounding, step):
    return f"results/{model}/search/{component}/{rounding}/probe-{step}.json"


def result_path(model, component, rounding):
    """The copy of one search's last record (rule search_result)."""
    return f"results/{model}/search/{component}/{rounding}/final.json"


def probe_record(model, component, rounding, step):
    """The record of one finished step (raises Snakemake's IncompleteCheckpointException
    until that step has run, which makes Snakemake run it and ask again)."""
    path = checkpoints.probe.get(model=model, component=component, rounding=rounding,
                                 step=str(step)).output[0]
    with open(path) as stream:
        return json.load(stream)


def probe_bits(model, component, rounding, step):
    """The width step ``step`` probes: the first midpoint, else what the last step named."""
    from pipeline.analysis.probe import first_width

    settings = search_settings(model)
    if step == 0:
        return first_width(settings["low"], settings["high"])
    bits = probe_record(model, component, rounding, step - 1)["next"]
    if bits is None:
        raise WorkflowError(f"The search of {model} ({component}, {rounding}) ended before "
                            f"step {step}.")
    return bits


def probe_format_name(model, component, rounding, step):
    from pipeline.analysis.probe import probe_format

    settings = search_settings(model)
    return probe_format(settings["exponent_bits"], probe_bits(model, component, rounding, step),
                        rounding).name


def final_records(model, component="all"):
    """Paths of the last record of each of a model's searches in one scope (walking the
    chain)."""
    return [probe_record_path(model, component, rounding, final_step(model, component, rounding))
            for rounding in search_settings(model)["roundings"]]


def searched_formats(model):
    """Every format the model's whole-model searches probed."""
    names = []
    for path in final_records(model):
        with open(path) as stream:
            names += [probe["format"] for probe in json.load(stream)["probes"]]
    return names


def component_records(wildcards):
    """The last record of every component search of one model and rounding mode."""
    return [probe_record_path(wildcards.model, component, wildcards.rounding,
                              final_step(wildcards.model, component, wildcards.rounding))
            for component in search_components(wildcards.model)]


def final_step(model, component, rounding):
    """The number of the last step of one search (walking its chain)."""
    step = 0
    while probe_record(model, component, rounding, step)["next"] is not None:
        step += 1
    return step


def component_arguments(wildcards, input):
    """A component probe's ``--set`` options: the model's, and the component alone reduced
    (none added for the whole model, ``all``)."""
    parameters = dict(config["models"][wildcards.model].get("parameters", {}))
    if getattr(input, "spinup", None):
        parameters["initial_file"] = input.spinup
    if wildcards.component != "all":
        parameters["reduced_components"] = wildcards.component
    return set_options(parameters)


def final_step_if_done(model, component, rounding):
    """The last step of one search if its records on disk show it finished, else None (read
    from the files, without asking Snakemake for the steps)."""
    step = 0
    while os.path.exists(path := probe_record_path(model, component, rounding, step)):
        with open(path) as stream:
            if json.load(stream)["next"] is None:
                return step
        step += 1
    return None


def combined_arguments(wildcards, input):
    """``--set <component>_format=<its minimal format>`` for the confirmation run.

    While a search is unfinished Snakemake holds the job with a stand-in input (a checkpoint's
    output, possibly another search's record) and plans it again once that step has run; the
    arguments are made only when the inputs are the finished searches' last records."""
    from pipeline.analysis.component_search import combined_settings

    records = [input.records] if isinstance(input.records, str) else list(input.records)
    expected = [probe_record_path(wildcards.model, component, wildcards.rounding, step)
                for component in search_components(wildcards.model)
                for step in [final_step_if_done(wildcards.model, component, wildcards.rounding)]
                if step is not None]
    if records != expected or len(expected) != len(search_components(wildcards.model)):
        return "--pending"
    parameters = dict(config["models"][wildcards.model].get("parameters", {}))
    if getattr(input, "spinup", None):
        parameters["initial_file"] = input.spinup
    parameters.update(combined_settings(records))
    return set_options(parameters)
