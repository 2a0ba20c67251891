# Adaptive search (config `search: {mode: bisect, ...}`): per model and rounding mode, a chain
# of checkpoints, each judging one ensemble and naming the next width; the DAG grows as
# probes finish. The analysis then compares exactly the probed formats, so the minimal-bits
# table, plots and report are made as in the fixed-list mode (pipeline/analysis/search.py).
# With `search.components`, each named component is searched the same way with the rest of
# the model in float64, the per-component minima are run together once to confirm them, and
# results/summary/component_bits.csv gives component x rounding -> bits and the combined
# verdict (pipeline/analysis/component_search.py).

include: "search_common.smk"


checkpoint probe:
    input:
        reference="results/{model}/float64.nc",
        null=lambda wildcards: expand(
            "results/{model}/null/float64-ensemble{ensemble}.nc",
            model=wildcards.model, ensemble=null_ensembles(wildcards.model),
        ),
        test=lambda wildcards: probe_test_path(
            wildcards.model, wildcards.component, wildcards.rounding, int(wildcards.step)),
        previous=lambda wildcards: [] if int(wildcards.step) == 0 else probe_record_path(
            wildcards.model, wildcards.component, wildcards.rounding, int(wildcards.step) - 1),
    output:
        "results/{model}/search/{component}/{rounding}/probe-{step}.json",
    params:
        previous=lambda wildcards, input: q("--previous", input.previous) if input.previous else "",
        settings=lambda wildcards: search_settings(wildcards.model),
        verdict=lambda wildcards: verdict_options(),
        searches=lambda wildcards: search_count(wildcards.model),
        repeat=lambda wildcards: repeat_options(wildcards.model),
    log:
        "results/logs/probe/{model}/{component}/{rounding}-{step}.log",
    resources:
        **cluster_resources("probe"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec probe {wildcards.model:q} --reference {input.reference:q} --null {input.null:q}"
        " --test {input.test:q} {params.previous} --rounding {wildcards.rounding:q}"
        " --exponent-bits {params.settings[exponent_bits]:q} --low {params.settings[low]:q}"
        " --high {params.settings[high]:q} {params.verdict} --searches {params.searches:q}"
        " {params.repeat} --component {wildcards.component:q} --out {output:q} > {log:q} 2>&1"


# The last record of one search under a fixed name: rules that need every search's answer ask
# for these, so that each chain is its own job and the chains run side by side (an input
# function that walked them all would stop at the first unfinished step).
rule search_result:
    input:
        lambda wildcards: probe_record_path(
            wildcards.model, wildcards.component, wildcards.rounding,
            final_step(wildcards.model, wildcards.component, wildcards.rounding)),
    output:
        "results/{model}/search/{component}/{rounding}/final.json",
    log:
        "results/logs/search_result/{model}/{component}/{rounding}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "cp {input:q} {output:q} 2> {log:q}"


rule probes_summary:
    input:
        lambda wildcards: [result_path(model, component, rounding)
                           for model in model_names() if searching(model)
                           for component in search_scopes(model)
                           for rounding in search_settings(model)["roundings"]],
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


use rule simulate as simulate_component with:
    output:
        "results/{model}/components/{component}/{format}.nc",
    params:
        settings=model_settings,
        sets=component_arguments,
        checkpoint_every=checkpoint_every,
    log:
        "results/logs/simulate/{model}/components/{component}/{format}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/components/{component}/{format}.tsv"


# A fresh ensemble at a probed format (index above the null's), where a probe failed narrowly.
rule simulate_repeat:
    input:
        unpack(spinup_input),
    output:
        "results/{model}/repeat/{component}/{format}-ensemble{ensemble}.nc",
    wildcard_constraints:
        model=model_pattern(external=False),
    params:
        settings=model_settings,
        sets=component_arguments,
        checkpoint_every=checkpoint_every,
    log:
        "results/logs/simulate/{model}/repeat/{component}/{format}-ensemble{ensemble}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/repeat/{component}/{format}-ensemble{ensemble}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec simulate {wildcards.model:q}"
        " --format {wildcards.format:q} --ensemble {wildcards.ensemble:q}"
        " --members {params.settings[members]:q}"
        " --members-per-task {params.settings[members_per_task]:q}"
        " --seed {params.settings[seed]:q} --tasks {resources.tasks:q} {params.sets}"
        " --checkpoint-every {params.checkpoint_every:q} --out {output:q} > {log:q} 2>&1"


rule simulate_combined:
    input:
        unpack(spinup_input),
        records=component_records,
    output:
        "results/{model}/components/combined-{rounding}.nc",
    wildcard_constraints:
        model=model_pattern(external=False),
    params:
        settings=model_settings,
        sets=combined_arguments,
        checkpoint_every=checkpoint_every,
    log:
        "results/logs/simulate/{model}/components/combined-{rounding}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/components/combined-{rounding}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec simulate {wildcards.model:q} --format float64"
        " --members {params.settings[members]:q}"
        " --members-per-task {params.settings[members_per_task]:q}"
        " --seed {params.settings[seed]:q} --tasks {resources.tasks:q} {params.sets}"
        " --checkpoint-every {params.checkpoint_every:q} --out {output:q} > {log:q} 2>&1"


rule component_summary:
    input:
        reference="results/{model}/float64.nc",
        null=lambda wildcards: expand(
            "results/{model}/null/float64-ensemble{ensemble}.nc",
            model=wildcards.model, ensemble=null_ensembles(wildcards.model),
        ),
        records=lambda wildcards: [
            result_path(wildcards.model, component, rounding)
            for component in search_components(wildcards.model)
            for rounding in search_settings(wildcards.model)["roundings"]],
        combined=lambda wildcards: [
            f"results/{wildcards.model}/components/combined-{rounding}.nc"
            for rounding in search_settings(wildcards.model)["roundings"]],
    output:
        report(
            "results/summary/component_bits_{model}.csv",
            caption="../report/component_bits.rst",
            category="Adaptive search",
        ),
    params:
        settings=lambda wildcards: search_settings(wildcards.model),
        verdict=lambda wildcards: verdict_options(),
        searches=lambda wildcards: search_count(wildcards.model),
        combined=lambda wildcards, input: q(*(
            f"{rounding}={path}" for rounding, path in
            zip(search_settings(wildcards.model)["roundings"], input.combined))),
    log:
        "results/logs/component_summary/{model}.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec component-summary {wildcards.model:q} --reference {input.reference:q}"
        " --null {input.null:q} --records {input.records:q} --combined {params.combined}"
        " --low {params.settings[low]:q} --high {params.settings[high]:q} {params.verdict}"
        " --searches {params.searches:q} --out {output:q} > {log:q} 2>&1"
