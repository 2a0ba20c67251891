"""Shared fixtures: running the `lowprec` CLI as a user would, with the venv's tools on PATH."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


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
