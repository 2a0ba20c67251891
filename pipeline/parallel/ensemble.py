"""Spreading independent tasks over MPI ranks (mpi4py), or running them in one process.

Tasks are numbered 0..n-1 and rank r runs tasks r, r + size, r + 2 size, ... Rank 0 gathers
the results in task order. Results therefore never depend on the number of ranks, provided
each task's randomness is keyed by its own identity (see `pipeline.models.run`).

MPI is used only when a launcher started this process (mpiexec/mpirun/srun set PMI, PMIx,
Open MPI or SLURM step variables); otherwise the same code runs serially without importing
mpi4py. An exception on any rank is printed and aborts the whole job (MPI_Abort) instead of
leaving the other ranks waiting forever in a collective.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from typing import Callable, Sequence

LAUNCHER_VARIABLES = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                      "MPI_LOCALNRANKS", "HYDRA_CONTROL_FD")


# After SIGTERM, the longest a rank waits for the others to report their temporary files
# removed before MPI_Abort kills them (SLURM sends SIGKILL 30 s after SIGTERM by default). A
# rank blocked in a collective cannot run its handler and never reports: then the wait is
# this long.
TERMINATION_GRACE_SECONDS = 10.0
TERMINATION_TAG = 0x5EC  # the tag of "my temporary files are gone" messages


class WorldSizeError(RuntimeError):
    """The MPI world is not the size that was asked for (one sentence for the user)."""


def launched_by_mpi() -> bool:
    if any(name in os.environ for name in LAUNCHER_VARIABLES):
        return True
    # srun sets SLURM_STEP_ID for every task it starts; a batch script alone does not.
    return "SLURM_STEP_ID" in os.environ and "SLURM_PROCID" in os.environ


def world():
    """MPI.COMM_WORLD under a launcher, else None (serial)."""
    if not launched_by_mpi():
        return None
    from mpi4py import MPI

    return MPI.COMM_WORLD


def check_world_size(comm, requested: int | None) -> None:
    """Fail loudly when the world differs from the requested task count.

    The classic case is a PMI mismatch (an MPI library that cannot talk to the launcher):
    every process then believes it is rank 0 of 1 and the job silently runs N copies.
    """
    size = 1 if comm is None else comm.Get_size()
    if requested is not None and size != requested:
        raise WorldSizeError(
            f"MPI world size is {size} but {requested} tasks were requested; launch with "
            f"'mpiexec -n {requested}' (or 'srun --mpi=pmi2 -n {requested}') and check that "
            "the MPI library matches the launcher's PMI."
        )


def run_tasks(count: int, task: Callable[[int], object], comm=None) -> list | None:
    """Run ``task(i)`` for i in range(count) over the ranks of ``comm``.

    Returns the list of results in task order on rank 0 (or in a serial run), None elsewhere.
    """
    if comm is None or comm.Get_size() == 1:
        return [task(i) for i in range(count)]
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = [(i, task(i)) for i in range(rank, count, size)]
    gathered = comm.gather(mine, root=0)
    if rank != 0:
        return None
    results = dict(pair for part in gathered for pair in part)
    return [results[i] for i in range(count)]


def abort_on_error(comm, function: Callable[[], int]) -> int:
    """Run ``function``; under MPI an uncaught exception on any rank aborts every rank."""
    if comm is None or comm.Get_size() == 1:
        return function()
    try:
        return function()
    except SystemExit:
        raise
    except BaseException as error:
        signal_number = getattr(error, "signal_number", None)
        if signal_number is not None:
            # SIGTERM (`pipeline.cli.Terminated`): this rank's temporary file is already
            # removed (the exception passed through `atomic_path`); stop the others too,
            # which may be waiting for it in a collective, with the signal's exit status.
            sys.stderr.write(f"rank {comm.Get_rank()}: stopped by signal {signal_number}\n")
            sys.stderr.flush()
            wait_for_the_others_to_clean_up(comm)  # the launcher signals every rank
            comm.Abort(128 + signal_number)
            raise
        # One write, flushed before MPI_Abort kills the process: written line by line, the
        # launcher can lose the tail (the message itself) when the rank dies.
        sys.stderr.write(f"rank {comm.Get_rank()}: " + traceback.format_exc())
        sys.stderr.flush()
        comm.Abort(1)
        raise


def wait_for_the_others_to_clean_up(comm, grace: float = TERMINATION_GRACE_SECONDS) -> int:
    """After SIGTERM: tell every other rank that this one's temporary files are removed, and
    wait until each has said the same (or ``grace`` seconds), so that MPI_Abort kills no rank
    halfway through removing its own; a fixed pause was too short for a rank descheduled on
    a loaded node, which then left a temporary checkpoint behind. Returns how many ranks
    reported."""
    from mpi4py import MPI

    rank, size = comm.Get_rank(), comm.Get_size()
    requests = [comm.isend(rank, dest=other, tag=TERMINATION_TAG)
                for other in range(size) if other != rank]
    reported, deadline = set(), time.monotonic() + grace
    while len(reported) < size - 1 and time.monotonic() < deadline:
        if comm.iprobe(source=MPI.ANY_SOURCE, tag=TERMINATION_TAG):
            reported.add(comm.recv(source=MPI.ANY_SOURCE, tag=TERMINATION_TAG))
        else:
            time.sleep(0.01)
    del requests  # MPI_Abort follows: the sends need not complete
    return len(reported)


def split_blocks(members: int, members_per_task: int) -> list[list[int]]:
    """Member numbers 0..members-1 in consecutive blocks of ``members_per_task``."""
    return [list(range(start, min(start + members_per_task, members)))
            for start in range(0, members, members_per_task)]


def is_root(comm) -> bool:
    return comm is None or comm.Get_rank() == 0


__all__: Sequence[str] = ("world", "check_world_size", "run_tasks", "abort_on_error",
                          "split_blocks", "is_root", "WorldSizeError")
