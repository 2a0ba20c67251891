"""The paper-scale learning table (issue 18), kept in a ledger: T = 5000, 40 trials.

Khodak et al. (2024) report total iterations on the high-variance shifted-Laplacian sequence
over 40 trials of T = 5000 instances: about 9 core-hours here, more than one sitting. Each
(format, trial) is one `lowprec relax` run (``--first-trial``); when it ends, one row per
learner (its total iterations over the trial's instances and how many solves converged)
is appended to a small CSV ledger, `docs/data/relax-paper-trials.csv`, which is committed.
A (format, trial) already in the ledger is never redone, so the study resumes on any
machine, and anyone can check a row by rerunning that one trial: the runs are bit for bit
reproducible from the seed. Trials go in order, every format for trial k before k + 1, so
a partial table covers all formats; ``--worker I/N`` takes the trials k with k % N == I, so
N processes share the trials without meeting.

    python benchmarks/relax_paper_table.py                  # run / resume, one process
    python benchmarks/relax_paper_table.py --worker 0/2 &   # or two, one per core
    python benchmarks/relax_paper_table.py --worker 1/2 &
    python benchmarks/relax_paper_table.py --table-only     # the table of what is there

The table is the mean over trials of each learner's total iterations, and its ratios to the
best fixed omega and to the instance-optimal one, over the trials that every learner of
that format has finished: the quantities `lowprec relax-summary` gives for the same files
(tests/solvers/test_paper_ledger.py checks that they agree). Print the calibration figure
beside any time it records: bench_speedy.py --steps 30.
"""

from __future__ import annotations

import argparse
import csv
import fcntl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORMATS = ("float64", "e11m23", "e11m10")
LEARNERS = ("tsallis-inf", "chebcb", "best-fixed", "instance-optimal")
SEED = 2024
LEDGER = Path(__file__).resolve().parents[1] / "docs" / "data" / "relax-paper-trials.csv"
COLUMNS = ("number_format", "trial", "learner", "instances", "total_iterations",
           "converged_solves", "seconds", "lowprec_commit")


def relax_command(fmt: str, trial: int, instances: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "relax", "shifted-laplacian",
            "--learner", ",".join(LEARNERS), "--instances", str(instances), "--trials", "1",
            "--first-trial", str(trial), "--format", fmt, "--seed", str(SEED),
            "--set", "grid=10", "--set", "variance=high", "--out", str(out)]


def ledger_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def rows_of_run(dataset, fmt: str, seconds: float, commit: str) -> list[dict]:
    """One ledger row per learner of a one-trial `lowprec relax` file."""
    trial = int(dataset["trial"].values[0])
    rows = []
    for learner in dataset["learner"].values:
        iterations = dataset["iterations"].sel(learner=learner).values[0]
        converged = dataset["converged"].sel(learner=learner).values[0]
        rows.append({"number_format": fmt, "trial": trial, "learner": str(learner),
                     "instances": iterations.size, "total_iterations": int(iterations.sum()),
                     "converged_solves": int(converged.sum()), "seconds": f"{seconds:.0f}",
                     "lowprec_commit": commit})
    return rows


def append_rows(path: Path, rows: list[dict]) -> None:
    """Append under an exclusive lock, header first if the ledger is new: workers that
    finish together neither interleave lines nor write two headers."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", newline="") as stream:
        fcntl.flock(stream, fcntl.LOCK_EX)
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        if stream.tell() == 0:
            writer.writeheader()
        writer.writerows(rows)
        stream.flush()


def table(rows: list[dict], instances: int) -> list[dict]:
    """Per (format, learner): trials, mean total iterations and the two ratios, over the
    trials complete for every learner of that format."""
    totals = {}
    for row in rows:
        if int(row["instances"]) == instances:
            totals[(row["number_format"], int(row["trial"]), row["learner"])] = \
                (int(row["total_iterations"]), int(row["converged_solves"]))
    result = []
    for fmt in FORMATS:
        trials = sorted({t for (f, t, _) in totals if f == fmt
                         and all((fmt, t, learner) in totals for learner in LEARNERS)})
        if not trials:
            continue
        mean = {learner: sum(totals[(fmt, t, learner)][0] for t in trials) / len(trials)
                for learner in LEARNERS}
        for learner in LEARNERS:
            converged = sum(totals[(fmt, t, learner)][1] for t in trials)
            result.append({
                "number_format": fmt, "learner": learner, "trials": len(trials),
                "total_iterations": mean[learner],
                "ratio_to_best_fixed": mean[learner] / mean["best-fixed"],
                "ratio_to_instance_optimal": mean[learner] / mean["instance-optimal"],
                "converged_fraction": converged / (len(trials) * instances)})
    return result


def print_table(rows: list[dict]) -> None:
    print(f"{'format':8s} {'learner':17s} {'trials':>6s} {'mean total':>11s} "
          f"{'/ best fixed':>12s} {'/ inst.-opt.':>12s} {'converged':>9s}")
    for row in rows:
        print(f"{row['number_format']:8s} {row['learner']:17s} {row['trials']:6d} "
              f"{row['total_iterations']:11.0f} {row['ratio_to_best_fixed']:12.3f} "
              f"{row['ratio_to_instance_optimal']:12.3f} {row['converged_fraction']:9.4f}")


def worker(text: str) -> tuple[int, int]:
    index, _, count = text.partition("/")
    try:
        index, count = int(index), int(count)
    except ValueError:
        index = count = -1
    if not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"--worker must be I/N with 0 <= I < N, not {text!r}")
    return index, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ledger", type=Path, default=LEDGER)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--worker", type=worker, default=(0, 1), help="I/N: the trials k with k mod N == I")
    parser.add_argument("--formats", default=",".join(FORMATS),
                        help=f"comma-separated, of {', '.join(FORMATS)}")
    parser.add_argument("--keep", type=Path, help="keep each run's NetCDF file in this folder")
    parser.add_argument("--table-only", action="store_true")
    args = parser.parse_args()
    formats = args.formats.split(",")
    if not set(formats) <= set(FORMATS):
        parser.error(f"--formats takes {', '.join(FORMATS)}, not {args.formats!r}")
    if not args.table_only:
        import xarray as xr

        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, cwd=Path(__file__).parent).stdout.strip()
        index, count = args.worker
        for trial in range(index, args.trials, count):
            for fmt in formats:
                done = {(r["number_format"], int(r["trial"]), int(r["instances"]))
                        for r in ledger_rows(args.ledger)}
                if (fmt, trial, args.instances) in done:
                    continue
                folder = args.keep or Path(tempfile.mkdtemp(prefix="relax-paper-"))
                folder.mkdir(parents=True, exist_ok=True)
                out = folder / f"{fmt}-T{args.instances}-trial{trial:02d}.nc"
                start = time.perf_counter()
                subprocess.run(relax_command(fmt, trial, args.instances, out), check=True)
                seconds = time.perf_counter() - start
                with xr.open_dataset(out) as dataset:
                    append_rows(args.ledger, rows_of_run(dataset, fmt, seconds, commit))
                if args.keep is None:
                    out.unlink()
                    folder.rmdir()
                print(f"{fmt} trial {trial}: {seconds:.0f} s", flush=True)
    print_table(table(ledger_rows(args.ledger), args.instances))


if __name__ == "__main__":
    main()
