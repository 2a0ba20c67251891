"""The lowprec command line: stages listed, bad input refused in one sentence, nothing written."""

import subprocess

import pytest

from tests.conftest import tool_environment


def test_help_lists_the_stages(run_tool):
    output = run_tool("lowprec", "--help").stdout
    for stage in ("simulate", "analyse", "summarise", "plot-distances", "plot-profiles"):
        assert stage in output


def test_warm_up_compiles_every_kernel_group_and_a_second_run_only_loads_them(run_tool):
    run_tool("lowprec", "warm-up")
    env = {**tool_environment(), "NUMBA_DEBUG_CACHE": "1"}
    again = subprocess.run(["lowprec", "warm-up"], capture_output=True, text=True, env=env,
                           check=True)
    parts = {line.split(": ")[1] for line in again.stdout.splitlines()
             if line.startswith("lowprec warm-up: ")}
    assert parts == {"precision kernels", "compiled steps", "solver sweeps", "all"}
    assert "data loaded" in again.stdout and "data saved" not in again.stdout


@pytest.mark.parametrize("arguments,message", [
    (["simulate", "lorenz96", "--format", "float16"], "Unknown model 'lorenz96'; choose one of"),
    (["simulate", "lorenz63", "--format", "float8"], "Unknown number format 'float8'"),
    (["simulate", "lorenz63", "--format", "float16", "--set", "gamma=2"],
     "Unknown parameter 'gamma' for model lorenz63"),
    (["simulate", "speedy", "--format", "float16", "--set", "land_modle=slab"],
     "Unknown parameter 'land_modle' for model speedy; did you mean land_model? "
     "`lowprec models speedy` lists its"),
    (["simulate", "lorenz63", "--format", "float16", "--set", "dt=fast"],
     "Parameter 'dt' of model lorenz63 must be a float"),
    (["simulate", "lorenz63", "--format", "float16", "--set", "dt"], "--set takes key=value"),
    (["simulate", "heat_column", "--format", "float16", "--members", "0"],
     "--members must be at least 1"),
])
def test_bad_input_gets_one_sentence_and_writes_nothing(tmp_path, run_tool, arguments, message):
    out = tmp_path / "out.nc"
    base = {"--members": "2", "--seed": "1"}
    extra = [item for key, value in base.items() if key not in arguments for item in (key, value)]
    result = run_tool("lowprec", *arguments, *extra, "--out", out, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("lowprec: error: ") and message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_analyse_refuses_a_missing_file_in_one_sentence(tmp_path, run_tool):
    result = run_tool("lowprec", "analyse", "lorenz63", "--reference", tmp_path / "nope.nc",
                      "--null", tmp_path / "a.nc", tmp_path / "b.nc", "--test", tmp_path / "c.nc",
                      "--out", tmp_path / "x.nc", check=False)
    assert result.returncode == 2 and "No such file" in result.stderr


def test_simulate_with_checkpoints_removes_them_once_the_file_is_written(tmp_path, run_tool):
    out = tmp_path / "col.nc"
    run_tool("lowprec", "simulate", "heat_column", "--format", "e11m10-sr", "--members", "2",
             "--seed", "1", "--set", "years=0.2", "--checkpoint-every", "2", "--out", out)
    assert out.exists() and not (tmp_path / "col.nc.checkpoint").exists()
