# Adaptive search (config `search: {mode: bisect, ...}`): per model and rounding mode, a chain
# of checkpoints, each judging one ensemble and naming the next width; the DAG grows as
# probes finish. The analysis then compares exactly the probed formats, so the minimal-bits
# table, plots and report are made as in the fixed-list mode (pipeline/analysis/search.py).

include: "search_common.smk"


checkpoint probe:
    input:
        reference="results/{model}/float64.nc",
        null=lambda wildcards: expand(
            "results/{model}/null/float64-ensemble{ensemble}.nc",
            model=wildcards.model, ensemble=null_ensembles(wildcards.model),
        ),
        test=lambda wildcards: "results/{}/{}.nc".format(
            wildcards.model,
            probe_format_name(wildcards.model, wildcards.rounding, int(wildcards.step)),
        ),
        previous=lambda wildcards: [] if int(wildcards.step) == 0 else
            "results/{}/search/{}/probe-{}.json".format(
                wildcards.model, wildcards.rounding, int(wildcards.step) - 1),
    output:
        "results/{model}/search/{rounding}/probe-{step}.json",
    params:
        previous=lambda wildcards, input: q("--previous", input.previous) if input.previous else "",
        settings=lambda wildcards: search_settings(wildcards.model),
        verdict=lambda wildcards: verdict_options(),
        searches=lambda wildcards: len(search_settings(wildcards.model)["roundings"]),
    log:
        "results/logs/probe/{model}/{rounding}-{step}.log",
    resources:
        **cluster_resources("probe"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec probe {wildcards.model:q} --reference {input.reference:q} --null {input.null:q}"
        " --test {input.test:q} {params.previous} --rounding {wildcards.rounding:q}"
        " --exponent-bits {params.settings[exponent_bits]:q} --low {params.settings[low]:q}"
        " --high {params.settings[high]:q} {params.verdict} --searches {params.searches:q}"
        " --out {output:q} > {log:q} 2>&1"


rule probes_summary:
    input:
        lambda wildcards: [path for model in model_names() if searching(model)
                           for path in final_records(model)],
    output:
        csv=report(
            "results/summary/probes.csv",
            caption="../report/probes.rst",
            category="Adaptive search",
        ),
        netcdf="results/summary/probes.nc",
        plot=report(
            "results/summary/search_path.png",
            caption="../report/probes.rst",
            category="Adaptive search",
        ),
    log:
        "results/logs/probes_summary.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec probes-summary {input:q} --csv {output.csv:q} --netcdf {output.netcdf:q}"
        " --plot {output.plot:q} > {log:q} 2>&1"
