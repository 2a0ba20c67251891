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
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec analyse {wildcards.model} --reference {input.reference}"
        " --null {input.null} --test {input.test} --out {output} > {log} 2>&1"


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
    log:
        "results/logs/summarise.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec summarise {input} --csv {output.csv} --netcdf {output.netcdf} > {log} 2>&1"
