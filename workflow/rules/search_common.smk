# Functions of the adaptive search's rules (search.smk): settings, the chain of records.

import json


wildcard_constraints:
    rounding="nearest|stochastic",
    step="[0-9]+",


def search_settings(model):
    """The search's settings for one model: the global `search` block, then the model's."""
    settings = {"mode": "fixed", "low": 4, "high": 23, "exponent_bits": 11,
                "roundings": ["nearest", "stochastic"], **config.get("search", {})}
    settings.update(config["models"][model].get("search", {}))
    return settings


def searching(model):
    return search_settings(model)["mode"] == "bisect"


def probe_record(model, rounding, step):
    """The record of one finished step (raises Snakemake's IncompleteCheckpointException
    until that step has run, which makes Snakemake run it and ask again)."""
    path = checkpoints.probe.get(model=model, rounding=rounding, step=str(step)).output[0]
    with open(path) as stream:
        return json.load(stream)


def probe_bits(model, rounding, step):
    """The width step ``step`` probes: the first midpoint, else what the last step named."""
    from pipeline.analysis.probe import first_width

    settings = search_settings(model)
    if step == 0:
        return first_width(settings["low"], settings["high"])
    bits = probe_record(model, rounding, step - 1)["next"]
    if bits is None:
        raise WorkflowError(f"The search of {model} ({rounding}) ended before step {step}.")
    return bits


def probe_format_name(model, rounding, step):
    from pipeline.analysis.probe import probe_format

    settings = search_settings(model)
    return probe_format(settings["exponent_bits"], probe_bits(model, rounding, step),
                        rounding).name


def final_records(model):
    """Paths of the last record of each of a model's searches (walking the chain)."""
    paths = []
    for rounding in search_settings(model)["roundings"]:
        step = 0
        while probe_record(model, rounding, step)["next"] is not None:
            step += 1
        paths.append(f"results/{model}/search/{rounding}/probe-{step}.json")
    return paths


def searched_formats(model):
    """Every format the model's searches probed."""
    names = []
    for path in final_records(model):
        with open(path) as stream:
            names += [probe["format"] for probe in json.load(stream)["probes"]]
    return names
