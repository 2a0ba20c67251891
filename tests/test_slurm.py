"""The SLURM path, tested against a real single-node SLURM (issues 23 and 24).

`tests/slurm/single_node.sh start` installs Debian's slurm-wlm and munge where it can (root,
apt reachable) and starts munged, slurmctld and slurmd with no accounting daemon, so the
executor plugin must poll with squeue as the shipped profile says. The workflow then runs as
the README tells users to, with `--profile workflow/profiles/slurm`, and must give the local
run's results byte for byte. A machine that cannot start SLURM skips these tests and says why.
"""

import csv
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, tool_environment

SCRIPT = ROOT / "tests" / "slurm" / "single_node.sh"
PROFILE = ROOT / "workflow" / "profiles" / "slurm"
RULES = ROOT / "workflow" / "rules"
# Rules that run as SLURM jobs for config/test.yaml; the others are localrules (cluster.smk).
SLURM_RULES = {"spinup", "simulate", "simulate_null", "analyse", "relax", "bound_search"}


def _rules():
    text = "\n".join(path.read_text() for path in sorted(RULES.glob("*.smk")))
    rules = re.split(r"^rule (\w+):", text, flags=re.MULTILINE)
    return dict(zip(rules[1::2], rules[2::2]))


def test_every_mpi_rule_takes_its_launcher_from_the_executor_and_one_cpu_per_rank():
    profile = yaml.safe_load((PROFILE / "config.yaml").read_text())
    mpi_rules = {name for name, body in _rules().items() if "{resources.mpi}" in body}
    assert {"simulate", "simulate_null", "bound_search", "relax"} <= mpi_rules
    for rule in mpi_rules:
        assert "mpi=mpi_launcher(" in _rules()[rule], rule  # srun under SLURM (cluster.smk)
        assert profile["set-resources"][rule]["cpus_per_task"] == 1, rule
    # Polling that works without accounting (issue 24), and a first poll MinJobAge can cover.
    assert profile["slurm-status-command"] == "squeue"
    assert profile["slurm-init-seconds-before-status-checks"] <= 60


def test_per_rule_and_per_model_resources_and_the_launcher_come_from_the_config(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    config["resources"] = {"default": {"slurm_partition": "short"},
                           "simulate": {"runtime": 45, "mem_mb": 3000},
                           "bound_search": {"runtime": 600, "slurm_account": "proj1"}}
    config["models"]["speedy"]["resources"] = {"runtime": 900}
    config["mpi_launcher"] = "srun --mpi=pmix"
    directory = _workflow_copy(tmp_path / "run", config)
    result = _snakemake(directory, "-n", "-p", "--profile", "workflow/profiles/default",
                        "--configfile", "config/test.yaml", timeout=300)
    jobs = {}
    for block in result.stdout.split("\nrule ")[1:]:
        name = block.split(":", 1)[0]
        wildcards = re.search(r"wildcards: (.*)", block)
        resources = re.search(r"resources: (.*)", block)
        command = re.search(r"Shell command: (.*)", block)
        jobs[(name, wildcards.group(1) if wildcards else "")] = (
            resources.group(1) if resources else "", command.group(1) if command else "")
    speedy, _ = jobs[("simulate", "model=speedy, format=e11m10-sr")]
    water, water_command = jobs[("simulate", "model=shallow_water, format=float16")]
    search, _ = jobs[("bound_search", "problem=theta, instance=C5")]
    analyse, _ = jobs[("analyse", "model=speedy")]
    assert "runtime=900" in speedy and "mem_mb=3000" in speedy  # the model's, then the rule's
    assert "runtime=45" in water and "slurm_partition=short" in water
    assert "runtime=600" in search and "slurm_account=proj1" in search
    assert "slurm_partition=short" in analyse and "runtime=45" not in analyse
    assert water_command.startswith("srun --mpi=pmix -n 2 lowprec simulate")


@pytest.fixture(scope="module")
def slurm():
    """A running single-node SLURM, or a skip that says why there is none."""
    try:
        import snakemake_executor_plugin_slurm  # noqa: F401
    except ImportError:
        pytest.skip("the SLURM executor plugin is not installed (pip install -e '.[slurm]')")
    if os.geteuid() != 0 and shutil.which("slurmctld") is None:
        pytest.skip("SLURM is not installed and installing it needs root")
    result = subprocess.run(["bash", SCRIPT, "start"], capture_output=True, text=True,
                            timeout=900)
    if result.returncode == 2:
        pytest.skip(f"no single-node SLURM on this machine: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    return result.stderr


def _workflow_copy(directory: Path, config: dict | None = None) -> Path:
    """The workflow as a user has it, in a fresh directory: Snakefile, workflow/, envs/ and
    config/test.yaml (or the given config as config/test.yaml)."""
    directory.mkdir(parents=True)
    shutil.copy(ROOT / "Snakefile", directory / "Snakefile")
    for name in ("workflow", "envs"):
        shutil.copytree(ROOT / name, directory / name)
    (directory / "config").mkdir()
    if config is None:
        shutil.copy(ROOT / "config" / "test.yaml", directory / "config" / "test.yaml")
    else:
        (directory / "config" / "test.yaml").write_text(yaml.safe_dump(config))
    return directory


def _snakemake(directory, *arguments, timeout=2400, check=True):
    result = subprocess.run(["snakemake", *map(str, arguments)], cwd=directory,
                            capture_output=True, text=True, env=tool_environment(),
                            timeout=timeout)
    (Path(directory) / "snakemake.out").write_text(result.stdout + result.stderr)
    if check:
        assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result


SLURM_RUN = ("--profile", "workflow/profiles/slurm", "--slurm-no-account")


@pytest.mark.slow
def test_srun_gives_the_mpich_wheel_the_world_size_and_a_mismatch_is_one_sentence(slurm, tmp_path):
    environment = tool_environment()
    sizes = subprocess.run(
        ["srun", "--mpi=pmi2", "-n", "2", "python", "-c",
         "from mpi4py import MPI; print(MPI.COMM_WORLD.Get_size())"],
        capture_output=True, text=True, env=environment, timeout=300)
    assert sizes.returncode == 0, sizes.stderr
    assert sizes.stdout.split() == ["2", "2"]
    # Without PMI every rank is a world of one: lowprec refuses instead of running twice,
    # and writes nothing (the --out is writable, so the world size is what stops it).
    never = tmp_path / "never.nc"
    wrong = subprocess.run(
        ["srun", "--mpi=none", "-n", "2", "lowprec", "simulate", "lorenz63", "--format",
         "float64", "--members", "2", "--seed", "1", "--tasks", "2", "--set", "length=1",
         "--out", never],
        capture_output=True, text=True, env=environment, timeout=300)
    assert wrong.returncode != 0
    assert "MPI world size is 1 but 2 tasks were requested" in wrong.stderr
    assert not never.exists() and not list(tmp_path.iterdir())


@pytest.mark.slow
def test_the_status_preflight_names_a_failing_sacct_instead_of_hanging(slurm, tmp_path):
    """With accounting off, sacct fails: the run stops at once with one sentence."""
    directory = _workflow_copy(tmp_path / "run")
    result = _snakemake(directory, *SLURM_RUN, "--configfile", "config/test.yaml",
                        "--slurm-status-command", "sacct", timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "The SLURM status command 'sacct" in output
    assert "--slurm-status-command squeue" in output
    assert not (directory / "results" / "lorenz63").exists()  # nothing was submitted


@pytest.mark.slow
@pytest.mark.workflow
def test_the_test_workflow_on_slurm_gives_the_local_results_byte_for_byte(slurm, tmp_path):
    on_slurm = _workflow_copy(tmp_path / "slurm")
    _snakemake(on_slurm, *SLURM_RUN, "--configfile", "config/test.yaml", timeout=2400)
    local = _workflow_copy(tmp_path / "local")
    _snakemake(local, "--profile", "workflow/profiles/default", "--cores", "2",
               "--configfile", "config/test.yaml", timeout=2400)
    assert_same_results(on_slurm, local)
    assert_ran_on_slurm(on_slurm)


def _rows_without_timings(path: Path) -> list[dict]:
    with open(path) as stream:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(stream)]


def assert_same_results(on_slurm: Path, local: Path) -> None:
    """The summaries byte for byte; the bounds table but for its wall-clock column."""
    summary, reference = on_slurm / "results" / "summary", local / "results" / "summary"
    for name in ("minimal_bits.csv", "relax.csv"):
        assert (summary / name).read_bytes() == (reference / name).read_bytes(), name
    with open(summary / "minimal_bits.csv") as stream:
        assert len(list(csv.DictReader(stream))) > 10
    assert _rows_without_timings(summary / "bounds.csv") == \
        _rows_without_timings(reference / "bounds.csv")


def assert_ran_on_slurm(on_slurm: Path) -> None:
    """Every rule but the localrules ran as a SLURM job, with its log kept per job; the MPI
    rules' ranks came through srun inside the allocation, and each program checked its world
    size (--tasks) against the ranks it was given."""
    logs = on_slurm / ".snakemake" / "slurm_logs"
    assert {path.name.removeprefix("rule_") for path in logs.iterdir()} == SLURM_RULES
    for rule in ("simulate", "simulate_null"):
        for log in (logs / f"rule_{rule}").rglob("*.log"):
            text = log.read_text()
            assert re.search(r"srun --mpi=pmi2 -n (\d+) lowprec simulate .* --tasks \1 ", text), log
    assert "mpiexec" not in "".join(p.read_text() for p in logs.rglob("*.log"))
    assert "srun --mpi=pmi2 -n 2 lowprec search" in (on_slurm / "snakemake.out").read_text()


def _running(job_comment: str, timeout: float, run: subprocess.Popen) -> str:
    """The id of the SLURM job whose comment matches the pattern ``job_comment`` once it
    runs; the snakemake ``run`` that submits it must still be running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if run.poll() is not None:
            raise AssertionError(f"snakemake ended before {job_comment} ran:\n"
                                 f"{run.stdout.read()[-4000:]}")
        listing = subprocess.run(["squeue", "-h", "-t", "RUNNING", "-o", "%i %k"],
                                 capture_output=True, text=True).stdout
        for line in listing.splitlines():
            job, _, comment = line.partition(" ")
            if re.search(job_comment, comment):
                return job
        time.sleep(2)
    raise AssertionError(f"no running SLURM job for {job_comment} within {timeout} s")


@pytest.mark.slow
def test_a_job_scancel_ends_leaves_nothing_complete_and_the_rerun_finishes(slurm, tmp_path):
    config = {"seed": 5, "mpi_tasks": 1, "null_ensembles": 2, "formats": ["e11m10"],
              "models": {"heat_column": {
                  "members": 2, "members_per_task": 1, "checkpoint_every": 5,
                  "parameters": {"years": 300, "output_interval_days": 30}}}}
    directory = _workflow_copy(tmp_path / "run", config)
    target = "results/heat_column/e11m10.nc"
    output = directory / target
    # The target first: --configfile takes every file name that follows it.
    run = subprocess.Popen(["snakemake", target, *SLURM_RUN, "--configfile", "config/test.yaml"],
                           cwd=directory, env=tool_environment(), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    try:
        # The plugin joins the wildcard values with "_" (2.8) or "-" (earlier).
        job = _running(r"rule_simulate_wildcards_heat_column[-_]e11m10", timeout=300, run=run)
        checkpoints = Path(f"{output}.checkpoint")
        deadline = time.monotonic() + 600
        while not (checkpoints.is_dir() and any(checkpoints.iterdir())):
            assert time.monotonic() < deadline and run.poll() is None, "no checkpoint written"
            time.sleep(1)
        subprocess.run(["scancel", job], check=True)
        log, _ = run.communicate(timeout=600)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode != 0, log
    # Nothing that looks complete: no output under its final name.
    assert not output.exists()
    rerun = _snakemake(directory, target, *SLURM_RUN, "--configfile", "config/test.yaml",
                       timeout=1200)
    assert output.exists(), rerun.stdout
    assert not checkpoints.exists()  # removed once the file was complete
    # The resumed run holds exactly what one uninterrupted run writes.
    fresh = tmp_path / "fresh.nc"
    subprocess.run(["lowprec", "simulate", "heat_column", "--format", "e11m10", "--members", "2",
                    "--members-per-task", "1", "--seed", "5", "--set", "years=300",
                    "--set", "output_interval_days=30", "--out", fresh],
                   check=True, env=tool_environment(), capture_output=True, timeout=1200)
    import xarray as xr

    with xr.open_dataset(output) as resumed, xr.open_dataset(fresh) as uninterrupted:
        xr.testing.assert_identical(resumed["temperature"], uninterrupted["temperature"])
