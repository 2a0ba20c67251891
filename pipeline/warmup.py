"""Compile lowprec's numba kernels into numba's disk cache once, at installation.

Every kernel is compiled on first use and cached on disk (``cache=True``), so each later
process only loads it. In a fresh installation the first jobs of a study would each compile
the same kernels at once (a study starts two MPI jobs of two ranks side by side, and
compiling all of them takes a minute or more); `warm_up` compiles them once beforehand, with
the argument types the runs use. ``make run`` and ``make test`` call it after installing.
"""

from __future__ import annotations

import subprocess
import sys
import time
import warnings

import numpy as np


def _precision():
    from pipeline.precision import NumberFormat

    for name in ("e11m10", "e11m10-sr"):
        fmt = NumberFormat.parse(name)
        a = fmt.array(np.linspace(1.0, 2.0, 24).reshape(4, 6), seed=1)
        for operation in (np.add, np.subtract, np.multiply, np.true_divide):
            operation(a, a), operation(2.0, a), operation(a, 2.0)
            operation(a[:, 1:], a[:, :-1])
            interior = a[:, 1:-1]
            operation(interior, a[:, 2:], out=interior)  # the 2-D in-place kernels
        np.sqrt(a)


def _steps():
    from pipeline.precision import NumberFormat
    from pipeline.precision.tracing import compile_steps

    def step(state):
        (x,) = state
        y = np.sqrt(x * x + 1.0) - x[:, ::-1] / 3.0
        y[:, 1:] += -y[:, :-1]
        return (np.concatenate((y[:, -1:], y[:, :-1]), axis=-1),)

    for name in ("e11m10", "e11m10-sr"):
        fmt = NumberFormat.parse(name)
        state = (fmt.array(np.linspace(1.0, 2.0, 24).reshape(4, 6), seed=1),)
        compiled = compile_steps(step, state, check_steps=1)
        if compiled is not None:
            compiled(state, 2)


def _solvers():
    import scipy.sparse as sp

    from pipeline.precision import NumberFormat, stream_generator
    from pipeline.solvers import ssor_pcg, sor

    matrix = sp.diags([-1.0, 2.5, -1.0], [-1, 0, 1], shape=(12, 12), format="csr")
    b = np.ones(12)
    for solve in (sor, ssor_pcg):
        solve(matrix, b, 1.2)
        solve(matrix, b, 1.2, fmt=NumberFormat.parse("e11m10"))
        solve(matrix, b, 1.2, fmt=NumberFormat.parse("e11m10-sr"), rng=stream_generator(1, "w"))


PARTS = {"precision kernels": _precision, "compiled steps": _steps,
         "solver sweeps": _solvers}


def warm_up(report=print) -> None:
    """Compile (or load) every kernel group, reporting the seconds each took. The solver
    sweeps, the longest group, compile in a second process meanwhile: on two cores the
    warm-up takes the longest group's time rather than the sum (the cache files are written
    atomically, so two processes may store kernels side by side)."""
    from pipeline.precision.rounding import numba_kernels

    if not numba_kernels():
        report("numba is unavailable or disabled (LOWPREC_NO_NUMBA): nothing to compile")
        return
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import pipeline.warmup as w; print(f\"{w.run_part('solver sweeps'):.1f}\")"],
        stdout=subprocess.PIPE, text=True)
    for name in PARTS:
        if name != "solver sweeps":
            report(f"{name}: {run_part(name):.1f} s")
    lines = child.communicate()[0].splitlines()
    for line in lines[:-1]:  # whatever else the child printed (numba's cache messages)
        print(line)
    seconds = lines[-1].strip() if lines else "?"
    if child.returncode != 0:
        from pipeline.cli import UsageError

        raise UsageError(f"compiling the solver sweeps failed in a second process (exit "
                         f"status {child.returncode}); its messages are above.")
    report(f"solver sweeps: {seconds} s (in a second process, side by side)")
    report(f"all: {time.perf_counter() - start:.1f} s")


def run_part(name: str) -> float:
    """Compile one kernel group; returns the seconds it took."""
    start = time.perf_counter()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        PARTS[name]()
    return time.perf_counter() - start
