"""Faults a cluster job meets: SIGTERM (scancel, a time limit), kill -9, a rank that dies.

What must hold (issues 23 and 24):
- SIGTERM is a clean exit (status 143, one line) that leaves neither the output nor any
  temporary file, on one process and on MPI ranks;
- after kill -9 mid-run, running the same command again gives the uninterrupted result bit for
  bit (through ``--checkpoint-every``; the checkpoint format is not looked at here);
- a rank killed or raising ends the whole job instead of leaving the others waiting: the tests
  give it a generous timeout (60 s), not a timing assertion.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from pipeline.cli import main
from tests.conftest import BIN, tool_environment

HANG = 60  # seconds: a job still running after this is hanging, and the test fails
# A shallow-water run of about 5-10 s on a laptop core, checkpointing after every output.
RUN = ["simulate", "shallow_water", "--format", "e11m10-sr", "--seed", "3",
       "--set", "days=3", "--set", "spinup_days=0", "--set", "output_interval_hours=4",
       "--checkpoint-every", "1"]


def start(arguments, cwd, mpi_ranks=None):
    command = [str(BIN / "lowprec"), *arguments]
    if mpi_ranks:
        command = [str(BIN / "mpiexec"), "-n", str(mpi_ranks), *command, "--tasks",
                   str(mpi_ranks)]
    return subprocess.Popen(command, cwd=cwd, env=tool_environment(), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def wait_for_checkpoint(process, out: Path, blocks: int = 1) -> None:
    """Until ``blocks`` checkpoint files exist beside ``out``: the run is under way."""
    folder = Path(f"{out}.checkpoint")
    deadline = time.monotonic() + HANG
    while time.monotonic() < deadline and process.poll() is None:
        saved = [p for p in folder.glob("*") if not p.name.startswith(".tmp-")] \
            if folder.is_dir() else []
        if len(saved) >= blocks:
            time.sleep(0.5)  # a few outputs into the run
            return
        time.sleep(0.05)
    pytest.fail(f"no checkpoint appeared (exit status {process.poll()}): "
                f"{process.stderr.read() if process.poll() is not None else ''}")


def finish(process) -> tuple[int, str]:
    try:
        _, stderr = process.communicate(timeout=HANG)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"the job was still running {HANG} s after the fault: it hangs")
    return process.returncode, stderr


def temporary_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.startswith(".tmp-")]


def descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (from /proc), e.g. the ranks under mpiexec."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def rank_process(launcher: int, rank: int) -> int:
    for pid in descendants(launcher):
        try:
            environment = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PMI_RANK={rank}".encode() in environment:
            return pid
    pytest.fail(f"no process of rank {rank} under mpiexec {launcher}")


def test_sigterm_mid_run_exits_143_in_one_line_and_leaves_nothing_partial(tmp_path):
    out = tmp_path / "run.nc"
    process = start([*RUN, "--members", "2", "--out", out], tmp_path)
    wait_for_checkpoint(process, out)
    process.send_signal(signal.SIGTERM)
    status, stderr = finish(process)
    assert status == 143, stderr
    assert stderr.strip().splitlines() == [stderr.strip()] and "stopped by SIGTERM" in stderr
    assert "Traceback" not in stderr
    assert not out.exists() and temporary_files(tmp_path) == []


def test_sigterm_mid_write_removes_the_temporary_file(tmp_path, monkeypatch, capsys):
    """The signal arrives while the NetCDF file is being written (here: just after the
    library wrote it under its temporary name, before the rename)."""
    original = xr.Dataset.to_netcdf

    def write_then_get_terminated(self, path, *args, **kwargs):
        result = original(self, path, *args, **kwargs)
        assert Path(path).name.startswith(".tmp-") and Path(path).exists()
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here
        raise AssertionError("SIGTERM did not interrupt the write")

    def not_handled_by_lowprec(signal_number, frame):
        raise AssertionError("lowprec did not handle SIGTERM")

    monkeypatch.setattr(xr.Dataset, "to_netcdf", write_then_get_terminated)
    handler = signal.signal(signal.SIGTERM, not_handled_by_lowprec)
    out = tmp_path / "lorenz.nc"
    try:
        status = main(["simulate", "lorenz63", "--format", "float64", "--members", "2",
                       "--seed", "1", "--set", "spinup=0.1", "--set", "length=0.3",
                       "--out", str(out)])
        assert signal.getsignal(signal.SIGTERM) is not_handled_by_lowprec  # put back
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert status == 143
    assert "stopped by SIGTERM" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_outputs_get_the_mode_of_the_umask_not_0600(tmp_path):
    previous = os.umask(0o027)
    try:
        assert main(["formats", "float16", "--out", str(tmp_path / "a.csv")]) == 0
    finally:
        os.umask(previous)
    assert (tmp_path / "a.csv").stat().st_mode & 0o777 == 0o640


@pytest.mark.mpi
def test_sigterm_to_mpiexec_stops_every_rank_and_leaves_nothing_partial(tmp_path):
    out = tmp_path / "run.nc"
    process = start([*RUN, "--members", "4", "--members-per-task", "1", "--out", out],
                    tmp_path, mpi_ranks=2)
    wait_for_checkpoint(process, out, blocks=2)
    process.send_signal(signal.SIGTERM)
    status, stderr = finish(process)
    assert status != 0 and "Traceback" not in stderr, stderr
    assert not out.exists() and temporary_files(tmp_path) == []


def test_a_rerun_after_kill_9_gives_the_uninterrupted_file_bit_for_bit(tmp_path):
    arguments = [*RUN, "--members", "2"]
    whole = tmp_path / "whole.nc"
    assert finish(start([*arguments, "--out", whole], tmp_path))[0] == 0
    out = tmp_path / "killed.nc"
    process = start([*arguments, "--out", out], tmp_path)
    wait_for_checkpoint(process, out)
    process.send_signal(signal.SIGKILL)
    assert finish(process)[0] == -signal.SIGKILL
    assert not out.exists(), "the run ended before the kill: lengthen RUN"
    status, stderr = finish(start([*arguments, "--out", out], tmp_path))
    assert status == 0, stderr
    first, second = xr.load_dataset(whole), xr.load_dataset(out)
    for name in first.data_vars:
        assert np.array_equal(first[name].values, second[name].values, equal_nan=True), name
    assert not Path(f"{out}.checkpoint").exists()


@pytest.mark.mpi
def test_a_rank_killed_mid_run_ends_the_job(tmp_path):
    out = tmp_path / "run.nc"
    process = start([*RUN, "--members", "4", "--members-per-task", "1", "--out", out],
                    tmp_path, mpi_ranks=2)
    wait_for_checkpoint(process, out, blocks=2)
    os.kill(rank_process(process.pid, 1), signal.SIGKILL)
    status, stderr = finish(process)
    assert status != 0, stderr
    assert not out.exists()


class _Stopped(Exception):
    pass


def test_sigterm_while_the_temporary_file_is_created_leaves_nothing(tmp_path, monkeypatch):
    """A signal landing inside mkstemp (the file exists, its name not yet returned) is held
    back until the clean-up can see the file, which it then removes."""
    import tempfile

    from pipeline.io.atomic import atomic_path

    create = tempfile.mkstemp

    def create_then_get_terminated(*args, **kwargs):
        made = create(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # an undeferred handler would raise here, the name unreturned
        return made

    def stop(signal_number, frame):
        raise _Stopped

    monkeypatch.setattr(tempfile, "mkstemp", create_then_get_terminated)
    handler = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(_Stopped), atomic_path(tmp_path / "out.nc") as path:
            Path(path).write_text("never reached")
    finally:
        signal.signal(signal.SIGTERM, handler)
    assert list(tmp_path.iterdir()) == []


def test_sigterm_during_a_checkpoint_write_waits_for_the_checkpoint(tmp_path, monkeypatch):
    """Interrupted inside zipfile, numpy's clean-up raised a ValueError over the signal (a
    traceback and exit status 1): the signal now waits until the checkpoint is complete."""
    from pipeline.io import checkpoint

    real_savez = np.savez

    def savez_then_get_terminated(stream, **members):
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)  # an undeferred handler would raise here, mid-write
        real_savez(stream, **members)

    def stop(signal_number, frame):
        raise _Stopped

    monkeypatch.setattr(checkpoint.np, "savez", savez_then_get_terminated)
    path = tmp_path / "run.checkpoint.npz"
    handler = signal.signal(signal.SIGTERM, stop)
    try:
        with pytest.raises(_Stopped):
            checkpoint.save_checkpoint(path, {"run": 1}, {"state": [np.arange(3.0)]})
    finally:
        signal.signal(signal.SIGTERM, handler)
    monkeypatch.setattr(checkpoint.np, "savez", real_savez)
    saved = checkpoint.load_checkpoint(path, {"run": 1})
    assert np.array_equal(saved["state"][0], np.arange(3.0))
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
