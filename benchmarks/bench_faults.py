"""Figures for docs/reliability.md: kills survived bit for bit, and how fast a fault ends a job.

    python benchmarks/bench_faults.py [--kills 5] [--repeats 3]

- kill -9: a shallow-water run (e11m10-sr, checkpoint after every output) is killed at a
  random moment after its first checkpoint, ``--kills`` times over, each time rerun with the
  same command; the finished file is compared bit for bit with an uninterrupted run.
- SIGTERM: seconds from the signal to the exit of `lowprec simulate` (one process, and under
  ``mpiexec -n 2``), its exit status, and whether anything partial was left.
- A rank killed (SIGKILL to rank 1 under ``mpiexec -n 2``) or raising (an exception on rank 1
  while rank 0 waits in a collective): seconds from the fault to the end of the whole job.

Wall times depend on the machine: quote them beside the calibration figure of
``benchmarks/bench_speedy.py`` (float64 ms/step), as docs/performance conventions ask.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import xarray as xr

BIN = Path(sys.executable).parent
RUN = ["simulate", "shallow_water", "--format", "e11m10-sr", "--seed", "3", "--members", "4",
       "--members-per-task", "1", "--set", "days=6", "--set", "spinup_days=0",
       "--set", "output_interval_hours=4", "--checkpoint-every", "1"]
RAISING = """
import time
from pipeline.parallel.ensemble import abort_on_error, run_tasks, world
comm = world()
def task(i):
    if comm.Get_rank() == 1:
        time.sleep(1.0)
        open({stamp!r}, "w").write(repr(time.time()))
        raise RuntimeError("rank one fails")
    return i
abort_on_error(comm, lambda: run_tasks(2, task, comm))
"""


def environment() -> dict:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    for name in ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_STEP_ID"):
        env.pop(name, None)
    return env


def start(arguments, cwd, ranks=None) -> subprocess.Popen:
    command = [str(BIN / "lowprec"), *map(str, arguments)]
    if ranks:
        command = [str(BIN / "mpiexec"), "-n", str(ranks), *command, "--tasks", str(ranks)]
    return subprocess.Popen(command, cwd=cwd, env=environment(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def wait_for_checkpoint(process, out: Path) -> bool:
    folder = Path(f"{out}.checkpoint")
    while process.poll() is None:
        if folder.is_dir() and any(not p.name.startswith(".tmp-") for p in folder.iterdir()):
            return True
        time.sleep(0.02)
    return False


def leftovers(folder: Path, out: Path) -> list[str]:
    """Temporary files of the run writing ``out`` (beside it or among its checkpoints)."""
    return [p.name for p in folder.rglob(".tmp-*") if out.name in str(p)]


def identical(first: Path, second: Path) -> bool:
    a, b = xr.load_dataset(first), xr.load_dataset(second)
    return all(np.array_equal(a[n].values, b[n].values, equal_nan=True) for n in a.data_vars)


def kills(folder: Path, count: int, rng: random.Random) -> tuple[int, bool]:
    whole = folder / "whole.nc"
    started = time.perf_counter()
    assert start([*RUN, "--out", whole], folder).wait() == 0
    duration = time.perf_counter() - started
    out, survived = folder / "killed.nc", 0
    while True:
        process = start([*RUN, "--out", out], folder)
        if survived < count and wait_for_checkpoint(process, out):
            time.sleep(rng.uniform(0.2, max(0.3, duration / 3)))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()
                survived += 1
                continue
        assert process.wait() == 0, process.stderr.read()
        break
    return survived, identical(whole, out)


def sigterm(folder: Path, ranks) -> tuple[float, int, bool]:
    out = folder / f"term-{ranks}-{time.monotonic_ns()}.nc"
    process = start([*RUN, "--out", out], folder, ranks)
    wait_for_checkpoint(process, out)
    time.sleep(0.5)
    sent = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    status = process.wait(timeout=60)
    return time.perf_counter() - sent, status, not out.exists() and not leftovers(folder, out)


def rank_killed(folder: Path) -> float:
    out = folder / f"rank-{time.monotonic_ns()}.nc"
    process = start([*RUN, "--out", out], folder, 2)
    wait_for_checkpoint(process, out)
    rank = next(pid for pid in children(process.pid)
                if b"PMI_RANK=1" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
    sent = time.perf_counter()
    os.kill(rank, signal.SIGKILL)
    process.wait(timeout=60)
    return time.perf_counter() - sent


def rank_raising(folder: Path) -> float:
    stamp, script = folder / "raised", folder / "raise.py"
    script.write_text(RAISING.format(stamp=str(stamp)))
    subprocess.run([str(BIN / "mpiexec"), "-n", "2", sys.executable, str(script)],
                   env=environment(), capture_output=True, timeout=60)
    return time.time() - float(stamp.read_text())


def children(pid: int) -> list[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            pass
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for child, its_parent in parents.items():
            if its_parent == parent:
                found.append(child)
                queue.append(child)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        survived, same = kills(folder, args.kills, rng)
        print(f"kill -9: {survived} kills survived, rerun identical bit for bit: {same}")
        for ranks in (None, 2):
            figures = [sigterm(folder, ranks) for _ in range(args.repeats)]
            label = "one process" if ranks is None else f"mpiexec -n {ranks}"
            print(f"SIGTERM ({label}): exit {sorted({f[1] for f in figures})}, "
                  f"{statistics.median(f[0] for f in figures):.2f} s median to exit "
                  f"(max {max(f[0] for f in figures):.2f}), nothing partial left: "
                  f"{all(f[2] for f in figures)}")
        killed = [rank_killed(folder) for _ in range(args.repeats)]
        print(f"rank 1 killed: job ended {statistics.median(killed):.2f} s median "
              f"(max {max(killed):.2f}) after the kill")
        raised = [rank_raising(folder) for _ in range(args.repeats)]
        print(f"rank 1 raised: job ended {statistics.median(raised):.2f} s median "
              f"(max {max(raised):.2f}) after the exception")


if __name__ == "__main__":
    main()
