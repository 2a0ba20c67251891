# Plots for people, wrapped in report() for `snakemake --report report.html`.

import json


rule plot_distances:
    input:
        "results/{model}/analysis.nc",
    output:
        report(
            "results/summary/w1_{model}.png",
            caption="../report/distances.rst",
            category="Wasserstein distances",
            subcategory="{model}",
        ),
    log:
        "results/logs/plot_distances/{model}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec plot-distances {input:q} --out {output:q} > {log:q} 2>&1"


rule plot_profiles:
    input:
        profile_inputs,
    output:
        report(
            "results/summary/profiles_{model}.png",
            caption="../report/profiles.rst",
            category="Profiles",
            subcategory="{model}",
        ),
    params:
        variable=lambda wildcards: config["models"][wildcards.model]["profile_variable"],
    log:
        "results/logs/plot_profiles/{model}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec plot-profiles {input:q} --variable {params.variable:q} --out {output:q}"
        " > {log:q} 2>&1"


rule plot_maps:
    input:
        "results/{model}/analysis.nc",
    output:
        report(
            "results/summary/maps_{model}_{variable}.png",
            caption="../report/maps.rst",
            category="Maps of W1",
            subcategory="{model}",
        ),
    log:
        "results/logs/plot_maps/{model}_{variable}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec plot-maps {input:q} --variable {wildcards.variable:q} --out {output:q}"
        " > {log:q} 2>&1"


rule provenance:
    output:
        report(
            "results/summary/provenance.yaml",
            caption="../report/provenance.rst",
            category="Provenance",
        ),
    params:
        config=lambda wildcards: json.dumps(config, sort_keys=True, default=str),
    log:
        "results/logs/provenance.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec provenance --config-json {params.config:q} --out {output:q} > {log:q} 2>&1"
