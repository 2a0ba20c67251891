# Bound searches: one MPI job per (problem, instance), then a table beside the literature.


wildcard_constraints:
    problem="theta|kissing-lp|kissing-sdp|cohn-elkies",
    instance="[A-Za-z0-9]+",


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
    where = (f"--graph {wildcards.instance}" if wildcards.problem == "theta"
             else f"--dimension {wildcards.instance}")
    degrees = ",".join(str(d) for d in settings.get("degrees", [4]))
    solvers = ",".join(settings.get("solvers", ["CLARABEL"]))
    budget = config["bounds"].get("budget_solves", 12)
    return f"{where} --degrees {degrees} --solvers {solvers} --budget-solves {budget}"


rule bound_search:
    output:
        "results/bounds/{problem}_{instance}.nc",
    params:
        arguments=search_arguments,
        settings=lambda wildcards: config["bounds"]["searches"][wildcards.problem],
    log:
        "results/logs/bounds/{problem}_{instance}.log",
    benchmark:
        "results/benchmarks/bounds/{problem}_{instance}.tsv"
    resources:
        tasks=config["mpi_tasks"],
        mpi="mpiexec",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} -n {resources.tasks} lowprec search {wildcards.problem}"
        " {params.arguments} --tasks {resources.tasks} --out {output} > {log} 2>&1"


rule bound_literature:
    output:
        "results/bounds/literature.yaml",
    params:
        literature=config.get("bounds", {}).get("literature", {}),
    run:
        import yaml

        with open(output[0], "w") as handle:
            yaml.safe_dump(params.literature, handle, sort_keys=True)


rule bound_summary:
    input:
        searches=[f"results/bounds/{p}_{i}.nc" for p, i in bound_instances()],
        literature="results/bounds/literature.yaml",
    output:
        csv="results/summary/bounds.csv",
        png=report(
            "results/summary/bounds.png",
            caption="../report/bounds.rst",
            category="Bounds",
        ),
    log:
        "results/logs/bounds/summary.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec bounds-summary {input.searches} --literature {input.literature}"
        " --csv {output.csv} --png {output.png} > {log} 2>&1"
