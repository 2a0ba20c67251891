# Analysis: Wasserstein distances to float64, the null, verdicts and the minimal-bits table.


rule analyse:
    input:
        reference="results/{model}/float64.nc",
        null=lambda wildcards: expand(
            "results/{model}/null/float64-ensemble{ensemble}.nc",
            model=wildcards.model, ensemble=null_ensembles(wildcards.model),
        ),
        test=lambda wildcards: expand(
            "results/{model}/{format}.nc", model=wildcards.model, format=test_formats(wildcards.model)
        ),
    output:
        "results/{model}/analysis.nc",
    log:
        "results/logs/analyse/{model}.log",
    resources:
        **cluster_resources("analyse"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec analyse {wildcards.model:q} --reference {input.reference:q}"
        " --null {input.null:q} --test {input.test:q} --out {output:q} > {log:q} 2>&1"


rule summarise:
    input:
        expand("results/{model}/analysis.nc", model=model_names()),
    output:
        csv=report(
            "results/summary/minimal_bits.csv",
            caption="../report/minimal_bits.rst",
            category="Minimal significand bits",
        ),
        netcdf="results/summary/minimal_bits.nc",
    params:
        verdict=lambda wildcards: verdict_options(),
    log:
        "results/logs/summarise.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec summarise {input:q} --csv {output.csv:q} --netcdf {output.netcdf:q}"
        " {params.verdict} > {log:q} 2>&1"
