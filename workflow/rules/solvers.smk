# Learning to relax: omega learned along sequences of linear systems, per number format,
# then one summary table and the paper's plots (pipeline/solvers, docs/solvers.md).


wildcard_constraints:
    sequence="shifted-laplacian|heat2d",


include: "solvers_common.smk"


rule relax:
    output:
        "results/solvers/{sequence}/{format}.nc",
    params:
        settings=relax_settings,
        arguments=relax_arguments,
    log:
        "results/logs/solvers/{sequence}/{format}.log",
    benchmark:
        "results/benchmarks/solvers/{sequence}/{format}.tsv"
    threads: config.get("solvers", {}).get("mpi_tasks", 1)
    resources:
        tasks=config.get("solvers", {}).get("mpi_tasks", 1),
        mpi=mpi_launcher(lambda wildcards: config.get("solvers", {}).get("mpi_tasks", 1)),
        **cluster_resources("relax"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec relax {wildcards.sequence:q}"
        " --format {wildcards.format:q} {params.arguments} --tasks {resources.tasks:q}"
        " --out {output:q} > {log:q} 2>&1"


rule relax_summary:
    input:
        expand("results/solvers/{sequence}/{format}.nc", sequence=relax_sequences(),
               format=relax_formats()),
    output:
        csv=report(
            "results/summary/relax.csv",
            caption="../report/relax.rst",
            category="Learning to relax",
        ),
        netcdf="results/summary/relax.nc",
    log:
        "results/logs/solvers/summary.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec relax-summary {input:q} --csv {output.csv:q} --netcdf {output.netcdf:q}"
        " > {log:q} 2>&1"


rule relax_plots:
    input:
        lambda wildcards: expand("results/solvers/{sequence}/{format}.nc",
                                 sequence=wildcards.sequence, format=relax_formats()),
    output:
        cumulative=report(
            "results/summary/relax_{sequence}_cumulative.png",
            caption="../report/relax.rst",
            category="Learning to relax",
            subcategory="{sequence}",
        ),
        omega=report(
            "results/summary/relax_{sequence}_omega.png",
            caption="../report/relax_omega.rst",
            category="Learning to relax",
            subcategory="{sequence}",
        ),
        cost=report(
            "results/summary/relax_{sequence}_cost.png",
            caption="../report/relax_cost.rst",
            category="Learning to relax",
            subcategory="{sequence}",
        ),
    log:
        "results/logs/solvers/plots_{sequence}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec relax-plots {input:q} --cumulative {output.cumulative:q}"
        " --omega {output.omega:q} --cost {output.cost:q} > {log:q} 2>&1"
