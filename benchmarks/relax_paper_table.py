"""The paper-scale learning table (issue 18), resumable: T = 5000, 40 trials, one file each.

Khodak et al. (2024) report total iterations on the high-variance shifted-Laplacian sequence
over 40 trials of T = 5000 instances. Here each (format, trial) is one `lowprec relax` run
(``--first-trial``) writing its own file, so the study can be spread over processes, days
or cluster jobs, and a run that is stopped loses at most the trial it was solving: a file
that exists is never redone (files are written atomically). Trials go in order, every format
for trial k before trial k + 1, so a partial table covers all formats.

    python benchmarks/relax_paper_table.py --dir /work/relax-paper          # run / resume
    python benchmarks/relax_paper_table.py --dir /work/relax-paper --summary-only

The table is `lowprec relax-summary` of whatever files exist, with the number of trials
each row pools. Print the calibration figure beside it: bench_speedy.py --steps 30.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

FORMATS = ("float64", "e11m23", "e11m10")
LEARNERS = "tsallis-inf,chebcb,best-fixed,instance-optimal"


def relax_command(fmt: str, trial: int, instances: int, out: Path) -> list[str]:
    return [sys.executable, "-m", "pipeline.cli", "relax", "shifted-laplacian",
            "--learner", LEARNERS, "--instances", str(instances), "--trials", "1",
            "--first-trial", str(trial), "--format", fmt, "--seed", "2024",
            "--set", "grid=10", "--set", "variance=high", "--out", str(out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, type=Path, help="where the per-trial files go")
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--instances", type=int, default=5000)
    parser.add_argument("--summary-only", action="store_true")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    if not args.summary_only:
        for trial in range(args.trials):
            for fmt in FORMATS:
                out = args.dir / f"{fmt}-T{args.instances}-trial{trial:02d}.nc"
                if out.exists():
                    continue
                start = time.perf_counter()
                subprocess.run(relax_command(fmt, trial, args.instances, out), check=True)
                print(f"{out.name}: {time.perf_counter() - start:.0f} s", flush=True)
    files = sorted(str(path) for path in args.dir.glob(f"*-T{args.instances}-trial*.nc"))
    if files:
        subprocess.run([sys.executable, "-m", "pipeline.cli", "relax-summary", *files,
                        "--csv", str(args.dir / "summary.csv"),
                        "--netcdf", str(args.dir / "summary.nc")], check=True)


if __name__ == "__main__":
    main()
