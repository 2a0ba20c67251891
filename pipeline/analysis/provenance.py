"""What a study ran with: the configuration as the workflow used it and the software versions.

`lowprec provenance` writes both as one YAML file, `results/summary/provenance.yaml`, which
the report shows beside the tables and figures, so that the one file a user sends a
colleague says how its results were made. Versions come from the installed distributions'
metadata (``importlib.metadata``), so nothing heavy is imported; the MPI library is the one
mpi4py was built against (its ``Get_library_version``), asked for only in this process.
"""

from __future__ import annotations

import json
import platform
from importlib import metadata

import yaml

from pipeline import __version__
from pipeline.io.atomic import atomic_path

# The distributions a study's results depend on (precision core, models, analysis, solvers,
# bounds, workflow); a missing optional one is reported as "not installed".
DISTRIBUTIONS = ("numpy", "scipy", "numba", "xarray", "netCDF4", "POT", "cvxpy", "clarabel",
                 "scs", "pyamg", "mpi4py", "mpich", "snakemake",
                 "snakemake-executor-plugin-slurm")


def software_versions() -> dict:
    """{name: version} of Python, lowprec, the dependencies and the MPI library."""
    versions = {"python": platform.python_version(), "lowprec": __version__}
    for name in DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["mpi_library"] = mpi_library_version()
    return versions


def mpi_library_version() -> str:
    """The first line of the MPI library's version string, or why it is unknown."""
    try:
        from mpi4py import MPI
    except ImportError:
        return "mpi4py not installed"
    return MPI.Get_library_version().strip().splitlines()[0]


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "provenance", help="write the study's configuration and software versions (YAML)",
        description="Write the configuration the workflow used and the versions of Python, "
        "lowprec, its dependencies and the MPI library, as one YAML file for the report.")
    parser.add_argument("--config-json", required=True,
                        help="the workflow's configuration as a JSON object")
    parser.add_argument("--out", required=True, help="YAML file to write")
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.cli import UsageError

    try:
        config = json.loads(args.config_json)
    except ValueError as error:
        raise UsageError(f"--config-json is not JSON ({error}).") from None
    if not isinstance(config, dict):
        raise UsageError("--config-json must be a JSON object (the workflow's config).")
    document = {"software": software_versions(), "config": config}
    try:
        text = yaml.safe_dump(document, sort_keys=False)
    except RecursionError:
        raise UsageError("--config-json is nested too deeply to write as YAML; a workflow "
                         "configuration is a few levels deep.") from None
    with atomic_path(args.out) as temporary:
        with open(temporary, "w") as stream:
            stream.write(text)
