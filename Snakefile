# lowprec: how many significand bits does a model need, and does stochastic rounding help?
# This file only includes the rule files, checks the config and names the default target.

from snakemake.utils import min_version

min_version("8.10")

from pipeline.configuration import (
    check_default_config_file,
    check_workflow_config,
    command_line_configs,
)

# A config given on the command line replaces the default one. Snakemake would deep-merge
# `--configfile` into the `configfile:` below, so a small config still planned the default's
# models and bound searches, and no key could ever be missing from it.
COMMAND_LINE_CONFIGS = command_line_configs(workflow)
if not COMMAND_LINE_CONFIGS:
    check_default_config_file("config/config.yaml")

    configfile: "config/config.yaml"


# One sentence and exit status 1 for a bad config (pipeline/configuration.py); its defaults
# (workflow/schemas/config.schema.yaml) filled in.
check_workflow_config(config, COMMAND_LINE_CONFIGS, "config/config.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/bounds.smk"
include: "workflow/rules/solvers.smk"


# Rules that take a second or two: as SLURM jobs each would cost a queue wait and a Snakemake
# start-up (about 10 s) for nothing (issue 24). They run in the main Snakemake process.
localrules:
    bound_literature,
    bound_summary,
    summarise,
    relax_summary,
    relax_plots,
    plot_distances,
    plot_profiles,
    plot_maps,
    probes_summary,
    component_summary,
    search_result,
    provenance,


# Before anything is submitted: a SLURM run stops if its status command fails (cluster.smk).
onstart:
    slurm_preflight()


rule all:
    default_target: True
    input:
        summary_outputs(),
        bound_outputs(),
        relax_outputs(),
        "results/summary/provenance.yaml",
