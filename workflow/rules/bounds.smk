# Bound searches: one MPI job per (problem, instance), then a table beside the literature.


wildcard_constraints:
    problem="theta|kissing-lp|kissing-sdp|cohn-elkies",
    instance="[A-Za-z0-9]+",


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
    threads: config["mpi_tasks"]
    resources:
        tasks=config["mpi_tasks"],
        mpi=mpi_launcher(lambda wildcards: config["mpi_tasks"]),
        **cluster_resources("bound_search"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec search {wildcards.problem:q}"
        " {params.arguments} --tasks {resources.tasks:q} --out {output:q} > {log:q} 2>&1"


rule bound_literature:
    output:
        "results/bounds/literature.yaml",
    params:
        literature=config.get("bounds", {}).get("literature", {}),
    log:
        "results/logs/bounds/literature.log",
    run:
        import yaml

        with open(output[0], "w") as handle:
            yaml.safe_dump(params.literature, handle, sort_keys=True)


rule bound_summary:
    input:
        searches=[f"results/bounds/{p}_{i}.nc" for p, i in bound_instances()],
        literature="results/bounds/literature.yaml",
    output:
        csv=report(
            "results/summary/bounds.csv",
            caption="../report/bounds_table.rst",
            category="Bounds",
        ),
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
        "lowprec bounds-summary {input.searches:q} --literature {input.literature:q}"
        " --csv {output.csv:q} --png {output.png:q} > {log:q} 2>&1"
