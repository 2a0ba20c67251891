# Simulation: one MPI job per model and number format (and per null ensemble).


rule spinup:
    output:
        "results/{model}/spinup.nc",
    params:
        settings=model_settings,
        sets=spinup_arguments,
    log:
        "results/logs/simulate/{model}/spinup.log",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "lowprec simulate {wildcards.model} --format float64 --members 1"
        " --seed {params.settings[seed]} {params.sets} --out {output} > {log} 2>&1"


rule simulate:
    input:
        unpack(spinup_input),
    output:
        "results/{model}/{format}.nc",
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
        mpi="mpiexec",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} -n {resources.tasks} lowprec simulate {wildcards.model}"
        " --format {wildcards.format} --members {params.settings[members]}"
        " --members-per-task {params.settings[members_per_task]}"
        " --seed {params.settings[seed]} --tasks {resources.tasks} {params.sets}"
        " --checkpoint-every {params.checkpoint_every} --out {output} > {log} 2>&1"


rule simulate_null:
    input:
        unpack(spinup_input),
    output:
        "results/{model}/null/float64-ensemble{ensemble}.nc",
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
        mpi="mpiexec",
    conda:
        "../../envs/pipeline.yaml"
    shell:
        "{resources.mpi} -n {resources.tasks} lowprec simulate {wildcards.model}"
        " --format float64 --ensemble {wildcards.ensemble}"
        " --members {params.settings[members]}"
        " --members-per-task {params.settings[members_per_task]}"
        " --seed {params.settings[seed]} --tasks {resources.tasks} {params.sets}"
        " --checkpoint-every {params.checkpoint_every} --out {output} > {log} 2>&1"
