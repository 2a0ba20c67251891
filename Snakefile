# lowprec: how many significand bits does a model need, and does stochastic rounding help?
# This file only includes the rule files, validates the config and names the default target.

from snakemake.utils import min_version, validate

min_version("8.10")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/search.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/bounds.smk"
include: "workflow/rules/solvers.smk"


rule all:
    default_target: True
    input:
        summary_outputs(),
        bound_outputs(),
        relax_outputs(),
