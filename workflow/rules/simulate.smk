# Simulation: one MPI job per model and number format (and per null ensemble).


rule spinup:
    output:
        "results/{model}/spinup.nc",
    params:
        settings=model_settings,
        sets=spinup_arguments,
    log:
        "results/logs/simulate/{model}/spinup.log",
    resources:
        **cluster_resources("spinup"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec simulate {wildcards.model:q} --format float64 --members 1"
        " --seed {params.settings[seed]:q} {params.sets} --out {output:q} > {log:q} 2>&1"


rule simulate:
    input:
        unpack(spinup_input),
    output:
        "results/{model}/{format}.nc",
    wildcard_constraints:
        model=model_pattern(external=False),
    params:
        settings=model_settings,
        sets=lambda wildcards, input: set_arguments(wildcards, input),
        checkpoint_every=checkpoint_every,
    log:
        "results/logs/simulate/{model}/{format}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/{format}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec simulate {wildcards.model:q}"
        " --format {wildcards.format:q} --members {params.settings[members]:q}"
        " --members-per-task {params.settings[members_per_task]:q}"
        " --seed {params.settings[seed]:q} --tasks {resources.tasks:q} {params.sets}"
        " --checkpoint-every {params.checkpoint_every:q} --out {output:q} > {log:q} 2>&1"


rule simulate_null:
    input:
        unpack(spinup_input),
    output:
        "results/{model}/null/float64-ensemble{ensemble}.nc",
    wildcard_constraints:
        model=model_pattern(external=False),
    params:
        settings=model_settings,
        sets=lambda wildcards, input: set_arguments(wildcards, input),
        checkpoint_every=checkpoint_every,
    log:
        "results/logs/simulate/{model}/null-{ensemble}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/null-{ensemble}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate_null"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec simulate {wildcards.model:q}"
        " --format float64 --ensemble {wildcards.ensemble:q}"
        " --members {params.settings[members]:q}"
        " --members-per-task {params.settings[members_per_task]:q}"
        " --seed {params.settings[seed]:q} --tasks {resources.tasks:q} {params.sets}"
        " --checkpoint-every {params.checkpoint_every:q} --out {output:q} > {log:q} 2>&1"


# External models (models.<name>.external): the program runs once per member, members spread
# over the MPI ranks; `lowprec external` checks each run's file and writes the same ensemble
# file as `lowprec simulate`, so the analysis and everything after it are the same rules.
# Their cluster resources are the simulate and simulate_null rules'.


rule simulate_external:
    output:
        "results/{model}/{format}.nc",
    wildcard_constraints:
        model=model_pattern(external=True),
    params:
        settings=model_settings,
        program=external_arguments,
    log:
        "results/logs/simulate/{model}/{format}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/{format}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec external {wildcards.model:q} {params.program}"
        " --format {wildcards.format:q} --members {params.settings[members]:q}"
        " --seed {params.settings[seed]:q} --tasks {resources.tasks:q}"
        " --out {output:q} > {log:q} 2>&1"


rule simulate_external_null:
    output:
        "results/{model}/null/float64-ensemble{ensemble}.nc",
    wildcard_constraints:
        model=model_pattern(external=True),
    params:
        settings=model_settings,
        program=external_arguments,
    log:
        "results/logs/simulate/{model}/null-{ensemble}.log",
    benchmark:
        "results/benchmarks/simulate/{model}/null-{ensemble}.tsv"
    threads: model_tasks
    resources:
        tasks=model_tasks,
        mpi=mpi_launcher(model_tasks),
        **cluster_resources("simulate_null"),
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} lowprec external {wildcards.model:q} {params.program}"
        " --format float64 --ensemble {wildcards.ensemble:q}"
        " --members {params.settings[members]:q} --seed {params.settings[seed]:q}"
        " --tasks {resources.tasks:q} --out {output:q} > {log:q} 2>&1"
