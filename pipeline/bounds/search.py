"""Bound searches: successive halving over formulation choices, spread over MPI ranks.

A search explores, for one problem instance (a kissing dimension, a packing dimension, a graph),
the discrete choices of its formulation: the solver and its arithmetic (Clarabel and SCS in
double precision, SDPA in multiprecision at a chosen number of mantissa bits) and, for the
three-point bound, the polynomial basis (Chebyshev or monomial) form the *arms*,
and the polynomial degree is the *resource*. Successive halving (Jamieson & Talwalkar 2016,
"Non-stochastic best arm identification and hyperparameter optimization", AISTATS; Li et al.
2018, Hyperband, JMLR 18) runs every arm at the lowest degree, keeps the better half by
certified bound, and moves the survivors to the next degree, until the degrees or the budget
(a number of solves, or seconds) run out. Ranking uses only certified values and the arms'
fixed order, never timings, so a search gives the same candidates on 1 rank or on many.

Every candidate is recorded: choices, solver status, float value, certified value, solve time
and the process's peak resident memory after the solve. The best certified bound and the
Pareto front of certified bound against solve time summarise a search.
"""

from __future__ import annotations

import contextlib
import math
import resource
import sys
import time
from dataclasses import asdict, dataclass

from pipeline.parallel.ensemble import run_tasks

PROBLEMS = ("theta", "kissing-lp", "kissing-sdp", "cohn-elkies")
SOLVERS = ("CLARABEL", "SCS", "SDPA")
# Degrees each formulation accepts (lowest, highest or None), as its module enforces them
# (delsarte_bound, three_point_bound, cohn_elkies_bound); the CLI checks a search's whole
# ladder against them before solving, as `lowprec bound` does for one degree.
DEGREES = {"kissing-lp": (1, None), "kissing-sdp": (1, 16), "cohn-elkies": (2, 60)}


def degree_problem(problem: str, degree: int) -> str | None:
    """What ``degree`` must be for ``problem``, if it is not (None if it is; theta has
    none), worded to follow the option's name: "must be between 2 and 60"."""
    if problem not in DEGREES:
        return None
    lowest, highest = DEGREES[problem]
    if degree < lowest or (highest is not None and degree > highest):
        allowed = f"at least {lowest}" if highest is None else f"between {lowest} and {highest}"
        return f"must be {allowed}"
    return None


BASES = ("chebyshev", "monomial")


@dataclass(frozen=True)
class Arm:
    """A solver and its arithmetic (SDPA's precision in mantissa bits, 0 for double), and the
    polynomial basis of the three-point SDP."""

    solver: str
    precision_bits: int = 0
    basis: str = "chebyshev"

    @classmethod
    def parse(cls, text: str) -> "Arm":
        """'CLARABEL', 'SCS', 'SDPA' (200 bits) or 'SDPA:128', each optionally followed by
        '/monomial' or '/chebyshev' (the default)."""
        text, _, basis = text.partition("/")
        basis = basis.lower() or "chebyshev"
        if basis not in BASES:
            raise ValueError(f"Unknown polynomial basis {basis!r} in {text + '/' + basis!r}; "
                             f"choose one of: {', '.join(BASES)}.")
        arm = cls._parse_solver(text)
        return cls(arm.solver, arm.precision_bits, basis)

    @classmethod
    def _parse_solver(cls, text: str) -> "Arm":
        name, _, bits = text.upper().partition(":")
        if name not in SOLVERS:
            raise ValueError(f"Unknown solver {text!r}; choose one of: {', '.join(SOLVERS)} "
                             "(SDPA may carry its precision in bits, e.g. SDPA:128).")
        if name != "SDPA":
            if bits:
                raise ValueError(f"Only SDPA takes a precision; got {text!r}.")
            return cls(name, 0)
        value = int(bits) if bits.isdigit() else (200 if not bits else -1)
        if not 64 <= value <= 1024:
            raise ValueError(f"SDPA precision must be 64..1024 bits, got {bits!r} in {text!r}.")
        return cls(name, value)

    def __str__(self) -> str:
        solver = f"SDPA:{self.precision_bits}" if self.solver == "SDPA" else self.solver
        return solver if self.basis == "chebyshev" else f"{solver}/{self.basis}"


@dataclass(frozen=True)
class Instance:
    problem: str
    dimension: int = 0
    graph: str = ""

    def label(self) -> str:
        return self.graph if self.problem == "theta" else f"n{self.dimension}"


def solve(instance: Instance, degree: int, arm: Arm) -> dict:
    """Solve one formulation; a solver failure or bad choice is an outcome, not a crash."""
    from pipeline.bounds.cohn_elkies import cohn_elkies_bound
    from pipeline.bounds.delsarte import delsarte_bound
    from pipeline.bounds.graphs import named_graph
    from pipeline.bounds.theta import lovasz_theta
    from pipeline.bounds.threepoint import three_point_bound

    options = {"mpfPrecision": arm.precision_bits} if arm.solver == "SDPA" else {}
    start = time.perf_counter()
    # sdpap prints its own diagnostics (e.g. "ARPACK error -1: No convergence") to stdout,
    # which must stay clean for `lowprec bound --json`.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            if arm.basis != "chebyshev" and instance.problem != "kissing-sdp":
                raise ValueError(f"the basis choice {arm.basis!r} applies to kissing-sdp only.")
            if instance.problem == "theta":
                result = lovasz_theta(*named_graph(instance.graph), solver=arm.solver)
            elif instance.problem == "kissing-lp":
                result = delsarte_bound(instance.dimension, degree, 0.5, solver=arm.solver)
            elif instance.problem == "kissing-sdp":
                result = three_point_bound(instance.dimension, degree, solver=arm.solver,
                                           solver_options=options, basis=arm.basis)
            else:
                result = cohn_elkies_bound(instance.dimension, degree, solver=arm.solver,
                                           solver_options=options)
            value, certified, status = result.value, result.certified, result.status
        except ValueError as error:
            value, certified, status = None, None, f"invalid: {error}"
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {**asdict(instance), "degree": degree, "solver": arm.solver,
            "precision_bits": arm.precision_bits, "basis": arm.basis, "status": status,
            "value": math.nan if value is None else value,
            "certified": math.nan if certified is None else certified,
            "seconds": seconds, "peak_rss_mb": peak}


def _score(record: dict) -> float:
    """Lower is better; an uncertified candidate ranks last."""
    return record["certified"] if not math.isnan(record["certified"]) else math.inf


def successive_halving(instance: Instance, degrees: list[int], arms: list[Arm],
                       budget_solves: int | None = None, budget_seconds: float | None = None,
                       comm=None) -> list[dict]:
    """All candidates of a successive-halving search, in the order they were run (every
    rank returns the same list)."""
    if not degrees:
        raise ValueError("a search needs at least one degree.")
    if not arms:
        raise ValueError("a search needs at least one solver.")
    if budget_solves is not None and budget_solves < 1:
        raise ValueError(f"budget_solves must be at least 1, got {budget_solves}.")
    if instance.problem == "theta":
        degrees = degrees[:1]  # theta has no degree: one rung
    records: list[dict] = []
    alive = list(arms)
    started = time.perf_counter()
    for rung, degree in enumerate(degrees):
        if budget_solves is not None:
            alive = alive[:max(0, budget_solves - len(records))]
        if not alive:
            break
        results = run_tasks(len(alive), lambda i: solve(instance, degree, alive[i]), comm)
        if comm is not None and comm.Get_size() > 1:
            results = comm.bcast(results, root=0)
        for record in results:
            record["rung"] = rung
        records.extend(results)
        order = sorted(range(len(alive)), key=lambda i: (_score(results[i]), i))
        alive = [alive[i] for i in order[:max(1, math.ceil(len(alive) / 2))]]
        elapsed = time.perf_counter() - started
        if comm is not None and comm.Get_size() > 1:
            elapsed = comm.bcast(elapsed, root=0)
        if budget_seconds is not None and elapsed >= budget_seconds:
            break
    return records


def pareto_front(records: list[dict]) -> list[int]:
    """Indices of certified candidates that no other beats on both bound and seconds."""
    certified = [i for i, r in enumerate(records) if not math.isnan(r["certified"])]
    front = []
    for i in certified:
        dominated = any(
            records[j]["certified"] <= records[i]["certified"]
            and records[j]["seconds"] <= records[i]["seconds"]
            and (records[j]["certified"] < records[i]["certified"]
                 or records[j]["seconds"] < records[i]["seconds"])
            for j in certified if j != i)
        if not dominated:
            front.append(i)
    return front
