"""The benchmark scripts that docs/ quotes still run, on tiny settings (their figures are
not checked: timings are never asserted). `bench_speedy.py --physics speedy` once died at
e11m10-sr for weeks unnoticed, after the model's components got their own streams."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("arguments,expected", [
    (["bench_speedy.py", "--truncation", "10", "--steps", "1"], "e11m10-sr"),
    (["bench_speedy.py", "--physics", "speedy", "--truncation", "10", "--steps", "1"],
     "where the e11m10 time goes"),
    (["bench_emulation.py", "--repeat", "1", "--skip", "startup,models"], "a @ b.T"),
    (["bench_emulation.py", "--repeat", "1", "--skip", "startup,ops", "--models", "lorenz63"],
     "lorenz63"),
    (["bench_shallow_water.py", "--steps", "2", "--members", "1"], "e11m10-sr"),
    (["bench_solvers.py", "--instances", "3", "--trials", "1", "--grid", "4",
      "--sweep-grids", "10"], "instance-optimal"),
])
def test_a_benchmark_runs_to_its_table(arguments, expected):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / arguments[0]),
                           *arguments[1:]], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert expected in done.stdout and "Traceback" not in done.stderr
