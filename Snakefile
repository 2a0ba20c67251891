# lowprec: how many significand bits does a model need, and does stochastic rounding help?
# This file only includes the rule files, checks the config and names the default target.

import os
import sys

from snakemake.utils import min_version

min_version("8.10")

from pipeline.configuration import ConfigError, check_config, load_config_file


def stop(error):
    """A bad config: its one sentence, and no traceback (tracebacks are for bugs)."""
    print(f"lowprec: error: {error}", file=sys.stderr)
    sys.exit(1)


# A config given on the command line replaces the default one. Snakemake would deep-merge
# `--configfile` into the `configfile:` below, so a small config still planned the default's
# models and bound searches, and no key could ever be missing from it.
def shown(path):
    """A config file's name as the user wrote it: relative when inside the workflow."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


COMMAND_LINE_CONFIGS = [shown(path) for path in workflow.overwrite_configfiles]
if not COMMAND_LINE_CONFIGS:
    try:
        load_config_file("config/config.yaml")  # a syntax error with its line, not Snakemake's
    except ConfigError as error:
        stop(error)

    configfile: "config/config.yaml"


try:
    for path in COMMAND_LINE_CONFIGS:
        load_config_file(path)  # keys given twice, which YAML would silently overwrite
    check_config(config, ", ".join(COMMAND_LINE_CONFIGS or ["config/config.yaml"]))
except ConfigError as error:
    stop(error)


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/analyse.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/bounds.smk"
include: "workflow/rules/solvers.smk"


rule all:
    default_target: True
    input:
        summary_outputs(),
        bound_outputs(),
        relax_outputs(),
