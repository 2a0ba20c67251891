"""MPI ensembles: identical on 1 and 2 ranks, loud on a wrong world size, no hang on errors."""

import re

import numpy as np
import pytest
import xarray as xr

pytestmark = pytest.mark.mpi


@pytest.mark.parametrize("model,sets", [
    ("lorenz63", ["--set", "spinup=1", "--set", "length=2"]),
    ("heat_column", ["--set", "years=0.3"]),
])
def test_one_and_two_ranks_give_bit_identical_files(tmp_path, run_tool, model, sets):
    common = ["simulate", model, "--format", "e11m8-sr", "--members", "5",
              "--members-per-task", "2", "--seed", "11", *sets]
    run_tool("lowprec", *common, "--out", tmp_path / "one.nc")
    run_tool("mpiexec", "-n", "2", "lowprec", *common, "--tasks", "2", "--out", tmp_path / "two.nc")
    one, two = xr.open_dataset(tmp_path / "one.nc"), xr.open_dataset(tmp_path / "two.nc")
    for name in one.data_vars:
        assert np.array_equal(one[name].values, two[name].values, equal_nan=True), name
    assert list(two["member"].values) == [0, 1, 2, 3, 4]


def test_a_world_size_mismatch_fails_loudly(tmp_path, run_tool):
    result = run_tool("lowprec", "simulate", "lorenz63", "--format", "float64", "--members", "2",
                      "--seed", "1", "--tasks", "2", "--out", tmp_path / "x.nc", check=False)
    assert result.returncode == 2
    assert "MPI world size is 1 but 2 tasks were requested" in result.stderr
    assert not (tmp_path / "x.nc").exists()


def test_an_exception_on_one_rank_aborts_the_job_instead_of_hanging(tmp_path, run_tool):
    script = tmp_path / "fail_on_rank_one.py"
    script.write_text(
        "from pipeline.parallel.ensemble import abort_on_error, run_tasks, world\n"
        "comm = world()\n"
        "def task(i):\n"
        "    if comm.Get_rank() == 1:\n"
        "        raise RuntimeError('rank one fails')\n"
        "    return i\n"
        "abort_on_error(comm, lambda: run_tasks(4, task, comm))\n"
    )
    result = run_tool("mpiexec", "-n", "2", "python", script, check=False, timeout=120)
    assert result.returncode != 0
    assert "rank 1: Traceback" in result.stderr


def test_after_sigterm_a_rank_waits_for_every_other_to_report_its_files_removed(tmp_path,
                                                                               run_tool):
    """The wait before MPI_Abort ends as soon as every rank has cleaned up (rank 1 here
    cleans up a second late, longer than the old fixed pause), and a rank that never
    reports (blocked elsewhere) costs the grace, not a hang."""
    script = tmp_path / "clean_up.py"
    script.write_text(
        "import time\n"
        "from pipeline.parallel.ensemble import wait_for_the_others_to_clean_up, world\n"
        "comm = world()\n"
        "rank = comm.Get_rank()\n"
        "if rank == 1:\n"
        "    time.sleep(1.5)\n"
        "start = time.monotonic()\n"
        "reported = wait_for_the_others_to_clean_up(comm, grace=20.0)\n"
        "print(f'rank {rank} reported {reported} waited {time.monotonic() - start:.2f}')\n"
        "comm.Barrier()\n"
        "if rank == 0:\n"
        "    start = time.monotonic()\n"
        "    reported = wait_for_the_others_to_clean_up(comm, grace=0.5)\n"
        "    print(f'alone reported {reported} waited {time.monotonic() - start:.2f}')\n"
        "comm.Barrier()\n"
    )
    result = run_tool("mpiexec", "-n", "2", "python", script, timeout=120)
    # The ranks' lines may arrive interleaved on one line: read them by pattern.
    found = re.findall(r"(rank \d|alone) reported (\d) waited (\d+\.\d\d)", result.stdout)
    waits = {who: (int(count), float(seconds)) for who, count, seconds in found}
    assert len(waits) == 3, result.stdout
    assert waits["rank 0"][0] == 1 and 1.0 < waits["rank 0"][1] < 15.0
    assert waits["rank 1"][0] == 1
    assert waits["alone"][0] == 0 and 0.5 <= waits["alone"][1] < 5.0
