"""Config values reach the programs as single arguments, never as shell code (issue 23, defect 2).

Before the fix a model parameter ``orography: flat$(touch${IFS}FILE)`` ran ``touch`` inside the
rule's shell and a value with a space became two arguments.
"""

import shlex
import shutil

import yaml

from tests.conftest import ROOT

HOSTILE = "flat$(touch${IFS}PWNED) and `touch${IFS}PWNED2`; touch PWNED3"
SPACED = "results/my initial state.nc"


def _workflow_copy(tmp_path, config):
    """The workflow as a user has it (Snakefile, workflow/, envs/, a config), in a fresh directory."""
    shutil.copy(ROOT / "Snakefile", tmp_path / "Snakefile")
    shutil.copytree(ROOT / "workflow", tmp_path / "workflow")
    shutil.copytree(ROOT / "envs", tmp_path / "envs")
    (tmp_path / "config").mkdir()
    path = tmp_path / "config" / "hostile.yaml"
    path.write_text(yaml.safe_dump(config))
    # The files the hostile values name exist (not NetCDF), so that the config checks, which
    # refuse a missing file before any job, let the values reach the rules' shell lines.
    (tmp_path / HOSTILE).write_text("not NetCDF\n")
    (tmp_path / SPACED).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / SPACED).write_text("not NetCDF\n")
    return path


def _hostile_config():
    return {
        "seed": 3, "mpi_tasks": 1, "null_ensembles": 2, "formats": ["e11m10"],
        "models": {
            "speedy": {"members": 2, "members_per_task": 1,
                       "parameters": {"truncation": 10, "days": 1, "spinup_days": 0,
                                      "orography": HOSTILE}},
            "shallow_water": {"members": 2, "members_per_task": 1,
                              "parameters": {"initial_file": SPACED}},
        },
    }


def test_every_printed_shell_command_keeps_a_hostile_value_as_one_argument(tmp_path, run_tool):
    configfile = _workflow_copy(tmp_path, _hostile_config())
    result = run_tool("snakemake", "-n", "-p", "--configfile", configfile,
                      "--profile", ROOT / "workflow" / "profiles" / "default", cwd=tmp_path)
    commands = [line.split("Shell command: ", 1)[1] for line in result.stdout.splitlines()
                if line.startswith("Shell command: ")]
    speedy = [shlex.split(c) for c in commands if "simulate speedy" in c]
    water = [shlex.split(c) for c in commands if "simulate shallow_water" in c]
    assert speedy and water
    for words in speedy:
        assert f"orography={HOSTILE}" in words
    for words in water:
        assert f"initial_file={SPACED}" in words


def test_hostile_plotted_variable_names_are_refused_before_any_rule(tmp_path, run_tool):
    """Variable names never reach a shell line: the config check wants names the run writes."""
    config = _hostile_config()
    config["models"]["speedy"]["map_variables"] = ["surface_pressure;touch PWNED4"]
    configfile = _workflow_copy(tmp_path, config)
    result = run_tool("snakemake", "-n", "-p", "--configfile", configfile,
                      "--profile", ROOT / "workflow" / "profiles" / "default", cwd=tmp_path,
                      check=False)
    assert result.returncode == 1 and "Shell command" not in result.stdout
    assert "models.speedy.map_variables.0: 'surface_pressure;touch PWNED4' is not among" in (
        result.stderr)
    assert not (tmp_path / "PWNED4").exists()


def test_a_hostile_value_is_never_run_by_the_shell_of_a_real_job(tmp_path, run_tool):
    configfile = _workflow_copy(tmp_path, _hostile_config())
    result = run_tool("snakemake", "--configfile", configfile, "--cores", "1",
                      "--profile", ROOT / "workflow" / "profiles" / "default",
                      "results/speedy/e11m10.nc", cwd=tmp_path, check=False)
    assert result.returncode != 0  # the model rejects the orography file, in one sentence
    for name in ("PWNED", "PWNED2", "PWNED3"):
        assert not (tmp_path / name).exists()
    log = (tmp_path / "results" / "logs" / "simulate" / "speedy" / "e11m10.log").read_text()
    assert f"orography '{HOSTILE}' is neither" in log
    assert not (tmp_path / "results" / "speedy" / "e11m10.nc").exists()
