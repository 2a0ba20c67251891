# Cluster settings of the rules (docs/cluster.md): per-rule resources from the config, the MPI
# launcher, and a preflight of the SLURM executor's status command.

import os
import subprocess


# What a config may request per rule (docs/cluster.md); runtime in minutes, memory in MB.
CLUSTER_RESOURCES = ("runtime", "mem_mb", "mem_mb_per_cpu", "slurm_partition",
                     "slurm_account", "slurm_extra", "constraint", "qos")
SIMULATION_RULES = ("spinup", "simulate", "simulate_null")


def cluster_resources(stage):
    """Resources of the rule named ``stage`` from the config (``**cluster_resources(stage)``).

    ``resources: {<rule>: {runtime: 240, mem_mb: 4000, slurm_partition: ...}}`` sets them per
    rule, ``resources: {default: {...}}`` for every rule, and ``models.<name>.resources`` for
    that model's simulation rules (spinup, simulate, simulate_null), which differ by hours
    between models. Keys the config leaves out fall back to the profile's default-resources;
    the profile's set-resources and ``--set-resources`` on the command line override all.
    """
    table = config.get("resources", {})
    chosen = {**table.get("default", {}), **table.get(stage, {})}
    if stage not in SIMULATION_RULES:
        return {name: value for name, value in chosen.items() if name in CLUSTER_RESOURCES}
    names = set(chosen) | {name for model in config["models"].values()
                           for name in model.get("resources", {})}

    def per_model(name):
        return lambda wildcards: (config["models"][wildcards.model].get("resources", {})
                                  .get(name, chosen.get(name)))

    return {name: per_model(name) for name in sorted(names) if name in CLUSTER_RESOURCES}


def mpi_launcher(tasks):
    """The ``mpi`` resource of an MPI rule: the shell prefix that starts its ranks.

    ``<launcher> -n <ranks>`` with the rank count ``tasks(wildcards)``; the launcher is config
    ``mpi_launcher`` if given (a site MPI: ``srun --mpi=pmix``, or a module's ``mpiexec``),
    else ``srun --mpi=pmi2`` under the SLURM executor or inside a SLURM allocation (the
    job's, with the mpich wheel's PMI) and ``mpiexec`` elsewhere (the wheel's, on PATH). Empty for one rank:
    the program then runs serially (no MPI start-up), and the SLURM plugin submits a plain
    job (it rejects an MPI job of one task). A resource, not a param, so that moving a study
    between a laptop and a cluster does not make Snakemake rerun every job.
    """

    def prefix(wildcards):
        if tasks(wildcards) <= 1:
            return ""
        # Asked when the job is planned (the executor is known only once the Snakefile is
        # read): srun for the SLURM executor in the main process, and wherever the command
        # runs inside a SLURM allocation (the job's own Snakemake runs the local executor).
        executor = getattr(workflow.executor_plugin, "name", "local")
        in_slurm = executor in ("slurm", "slurm-jobstep") or "SLURM_JOB_ID" in os.environ
        default = "srun --mpi=pmi2" if in_slurm else "mpiexec"
        return f"{config.get('mpi_launcher', default)} -n {tasks(wildcards)}"

    return prefix


def slurm_preflight():
    """Stop with one sentence when the SLURM executor could not see its jobs finish.

    The plugin polls job states with sacct or squeue and, when that command fails, logs it at
    debug level only and keeps waiting: with accounting off (sacct exits 1, "accounting
    storage is disabled") a run hung forever while SLURM finished its jobs (issue 24). The
    plugin uses squeue only when MinJobAge >= 3 x init-seconds-before-status-checks (so a
    finished job stays visible between polls) and falls back to sacct otherwise; this check
    runs the command it will use once, before anything is submitted.
    """
    plugin = workflow.executor_plugin
    if plugin is None or plugin.name != "slurm" or workflow.dryrun:
        return
    settings = workflow.executor_settings
    wanted = getattr(settings, "status_command", None) or "sacct"
    initial = getattr(settings, "init_seconds_before_status_checks", None) or 40
    from snakemake_executor_plugin_slurm.job_status_query import get_min_job_age

    min_job_age = get_min_job_age()
    command = wanted
    if wanted == "squeue" and (min_job_age is None or min_job_age < 3 * initial):
        command = "sacct"
    probe = {"sacct": ["sacct", "-X", "--noheader", "--format=JobIdRaw,State", "-j", "1"],
             "squeue": ["squeue", "--noheader", "--states=all", "--format=%i|%T"]}[command]
    try:
        result = subprocess.run(probe, capture_output=True, text=True, timeout=60)
        failure = None if result.returncode == 0 else (result.stderr.strip() or
                                                         f"exit status {result.returncode}")
    except (OSError, subprocess.TimeoutExpired) as error:
        failure = str(error)
    if failure is None:
        return
    if command == "sacct" and wanted == "squeue":
        advice = (f"the plugin falls back to sacct because MinJobAge ({min_job_age} s) is below "
                  f"3 x --slurm-init-seconds-before-status-checks ({initial} s): lower that "
                  "setting or ask for MinJobAge >= 3 times it")
    elif command == "sacct":
        advice = ("on a cluster without job accounting run with --slurm-status-command squeue "
                  "(as workflow/profiles/slurm does) and MinJobAge >= 3 x "
                  "--slurm-init-seconds-before-status-checks")
    else:
        advice = "check that slurmctld answers (scontrol ping)"
    raise WorkflowError(
        f"The SLURM status command '{' '.join(probe)}' fails here ({failure}), so no job "
        f"would ever be seen to finish; {advice} (docs/cluster.md)."
    )
