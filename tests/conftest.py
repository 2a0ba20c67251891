"""Shared fixtures: running the `lowprec` CLI as a user would, with the venv's tools on PATH."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def pytest_collection_modifyitems(config, items):
    """Tests that run a whole workflow (marked ``workflow``, a minute or more each) first:
    pytest-xdist hands tests out in collection order, and one collected last runs alone at
    the end while the other workers wait."""
    items.sort(key=lambda item: item.get_closest_marker("workflow") is None)


def tool_environment() -> dict:
    environment = dict(os.environ)
    environment["PATH"] = f"{BIN}{os.pathsep}{environment.get('PATH', '')}"
    for name in ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_ID"):
        environment.pop(name, None)
    return environment


@pytest.fixture
def run_tool():
    """Run a command with the venv's lowprec, mpiexec and snakemake first on PATH."""

    def run(*command, check=True, timeout=600, cwd=ROOT):
        result = subprocess.run([str(c) for c in command], capture_output=True, text=True,
                                env=tool_environment(), cwd=cwd, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"{command} failed ({result.returncode}):\n{result.stderr}")
        return result

    return run


SHIPPED_CONFIGS = sorted((ROOT / "config").glob("*.yaml"))


def usable_config(path: Path, folder: Path) -> Path:
    """A shipped config as a test can use it: one whose speedy reads SPEEDY's realistic
    boundaries (research-only files, never in the repository; the config names a folder the
    user fills) gets a copy in ``folder`` pointing at the test's copy of them
    ($LOWPREC_SPEEDY_BC or ../shared/data/speedy-t30), and the test skips without them."""
    import yaml

    from pipeline.models.speedy.boundary_files import default_directory

    config = yaml.safe_load(path.read_text())
    parameters = config.get("models", {}).get("speedy", {}).get("parameters", {})
    if parameters.get("boundaries", "aquaplanet") == "aquaplanet":
        return path
    directory = default_directory()
    if not os.path.isfile(os.path.join(directory, "surface.nc")):
        pytest.skip(f"{path.name} reads SPEEDY's T30 boundary files, which are not at "
                    f"{directory} (set LOWPREC_SPEEDY_BC)")
    parameters["boundaries"] = directory
    copy = folder / path.name
    copy.write_text(yaml.safe_dump(config, sort_keys=False))
    return copy
