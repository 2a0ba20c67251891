"""Every command of the README runs (issue 22, part 3), so that none goes stale.

Each fenced ``sh`` block runs in a fresh directory holding what a user's clone holds
(Snakefile, workflow/, envs/, config/, the example C model), with the project's tools on
PATH; ``yaml`` blocks are configs and must pass ``lowprec check-config``; ``python`` blocks
run as written (their asserts are the claims the text makes). Two kinds of line are not run
here, and the test names where they are: a ``snakemake`` line that would run a whole study
is planned only (``-n``: the workflow tests run it), and the report command is run on a
finished workflow by tests/test_workflow.py. The two commands a new user types (``make run``,
``make test``) are checked to call what the Makefile promises; CI runs ``make test`` itself.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.models.speedy.boundary_files import default_directory
from tests.conftest import ROOT, tool_environment

README = (ROOT / "README.md").read_text()
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
BLOCKS = [(language, body) for language, body in FENCE.findall(README)]
# line prefix: (test file, what it calls to run and check that line)
COVERED_ELSEWHERE = {"snakemake --report": (ROOT / "tests" / "test_workflow.py",
                                            "assert_complete_report(")}


def logical_lines(body: str) -> list[str]:
    """The block's commands: continuation lines joined, comments and blank lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", body)
    lines = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines


def as_run_here(line: str) -> str | None:
    """The line as this test runs it: studies planned only, the report left to its test."""
    for prefix, (test, call) in COVERED_ELSEWHERE.items():
        if line.startswith(prefix):
            assert call in test.read_text(), f"{test} should run '{line}'"
            return None
    if line.startswith("snakemake ") and "--report" not in line:
        return line.split("#", 1)[0].rstrip() + " -n"
    return line


def user_directory(tmp_path: Path) -> Path:
    """A user's checkout: the workflow, the configs, the example C model and, as
    docs/speedy-boundaries.md tells a user to fetch them, SPEEDY's T30 files in speedy-t30/
    (this machine's test copy; config/paper.yaml reads them)."""
    for name in ("workflow", "envs", "config"):
        shutil.copytree(ROOT / name, tmp_path / name)
    files = Path(default_directory())
    if (files / "surface.nc").is_file():
        (tmp_path / "speedy-t30").symlink_to(files, target_is_directory=True)
    shutil.copy(ROOT / "Snakefile", tmp_path / "Snakefile")
    (tmp_path / "tests" / "models").mkdir(parents=True)
    shutil.copytree(ROOT / "tests" / "models" / "external", tmp_path / "tests" / "models" / "external")
    return tmp_path


SH_BLOCKS = [body for language, body in BLOCKS if language == "sh"][1:]  # first: the two commands


def test_the_readme_starts_with_the_two_commands():
    language, body = BLOCKS[0]
    assert language == "sh"
    words = [line.split()[:2] for line in logical_lines(body)]
    assert words == [["make", "run"], ["make", "test"]]
    plan = {target: subprocess.run(["make", "-n", "-C", str(ROOT), target], capture_output=True,
                                   text=True, check=True).stdout for target in ("run", "test")}
    assert "snakemake --profile workflow/profiles/default" in plan["run"]
    assert 'pytest -m "not slow and not extended"' in plan["test"]


def block_name(body: str) -> str:
    """``lowprec-simulate``, ``snakemake-profile``, ``cc``: the block's first command."""
    words = [word.lstrip("-") for word in logical_lines(body)[0].split()[:2]]
    return "-".join(words if words[0] in ("lowprec", "snakemake", "mpiexec") else words[:1])


@pytest.mark.parametrize("body", SH_BLOCKS, ids=[block_name(b) for b in SH_BLOCKS])
def test_each_shell_block_of_the_readme_runs(body, tmp_path):
    lines = [as_run_here(line) for line in logical_lines(body)]
    script = "\n".join(["set -euo pipefail"] + [line for line in lines if line])
    if "workflow/profiles/slurm" in script:
        pytest.importorskip("snakemake_executor_plugin_slurm",
                            reason="the cluster block needs lowprec[slurm] (.ci/run installs it)")
    directory = user_directory(tmp_path)
    if "config/paper.yaml" in script and not (directory / "speedy-t30").exists():
        pytest.skip(f"config/paper.yaml reads SPEEDY's T30 files, which are not at "
                    f"{default_directory()} (set LOWPREC_SPEEDY_BC)")
    if ("cc " in script or script.startswith("cc")) and not shutil.which("cc"):
        pytest.skip("no C compiler (cc) for the external-model example")
    result = subprocess.run(["bash", "-c", script], cwd=directory, env=tool_environment(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{script}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"


@pytest.mark.parametrize("body", [b for language, b in BLOCKS if language == "yaml"])
def test_each_config_of_the_readme_is_accepted(body, tmp_path):
    path = user_directory(tmp_path) / "readme.yaml"
    path.write_text(body)
    if "external:" in body:  # the README's cooling study: built as its shell block builds it
        if not shutil.which("cc"):
            pytest.skip("no C compiler (cc) for the external-model example")
        subprocess.run(["cc", "-O2", "-o", "cooling", "tests/models/external/cooling.c", "-lm"],
                       cwd=tmp_path, check=True)
    result = subprocess.run(["lowprec", "check-config", str(path)], cwd=tmp_path,
                            env=tool_environment(), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("body", [b for language, b in BLOCKS if language == "python"])
def test_each_python_example_of_the_readme_runs(body, tmp_path):
    result = subprocess.run([sys.executable, "-c", body], cwd=tmp_path, env=tool_environment(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
