# Input/path helpers of the relax rules (solvers.smk).


def relax_sequences():
    return list(config.get("solvers", {}).get("sequences", {}))


def relax_formats():
    from pipeline.precision import NumberFormat

    names = config.get("solvers", {}).get("formats", ["float64"])
    return list(dict.fromkeys(str(NumberFormat.parse(name)) for name in names))


def relax_settings(wildcards):
    """The config subtree one relax run uses (so it re-runs exactly when that changes)."""
    solvers = config["solvers"]
    return {"seed": config["seed"], "solve": solvers.get("solve", "refined"),
            **solvers["sequences"][wildcards.sequence]}


def relax_arguments(wildcards):
    """The relax options, every value quoted for the shell (q and set_options, common.smk)."""
    settings = relax_settings(wildcards)
    return " ".join([
        q("--learner", ",".join(settings["learners"]), "--instances", settings["instances"],
          "--trials", settings["trials"], "--seed", settings["seed"], "--solve", settings["solve"]),
        set_options(settings.get("settings", {})),
    ])


def relax_outputs():
    if not relax_sequences():
        return []
    plots = [f"results/summary/relax_{sequence}_{kind}.png" for sequence in relax_sequences()
             for kind in ("cumulative", "omega", "cost")]
    return ["results/summary/relax.csv", "results/summary/relax.nc", *plots]
