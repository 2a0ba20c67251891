"""One learning run: a learner (or baseline) choosing omega along a sequence, per trial.

Trial k of a run meets the systems of `pipeline.solvers.sequences` keyed by (seed, trial);
the learner draws from the stream (seed, "learner", learner, sequence, trial) and stochastic
rounding from (seed, "rounding", sequence, learner, format, trial), so a trial's record
depends on its identity only, never on the MPI rank that ran it.

Solves at a reduced format are either ``refined`` (mixed-precision iterative refinement to
tol, `pipeline.solvers.refinement`, the cost being all inner iterations) or ``plain`` (one
solve in the format to the tolerance it can meet, max(tol, 2^(-M/2))). At float64 both are
one plain solve to tol.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.precision import NumberFormat, stream_generator
from pipeline.solvers.bandits import DEFAULT_ARMS, LEARNERS
from pipeline.solvers.baselines import golden_section_minimum
from pipeline.solvers.operator import SolverInputError, check_omega
from pipeline.solvers.refinement import inner_tolerance, refine_solve
from pipeline.solvers.relaxation import SolveResult, sor_solve, ssor_pcg_solve
from pipeline.solvers.sequences import SEQUENCES
from pipeline.solvers.spectral import jacobi_spectral_radius, optimal_sor_omega

BASELINES = ("best-fixed", "instance-optimal")
SOLVE_MODES = ("refined", "plain")
LEARNER_HELP = "tsallis-inf, tsallis-inf-cb, chebcb, fixed:OMEGA, best-fixed or instance-optimal"


def check_learner(name: str) -> str:
    """The learner's canonical name, or one sentence naming the allowed ones."""
    if name in LEARNERS or name in BASELINES:
        return name
    if name.startswith("fixed:"):
        try:
            omega = check_omega(name.partition(":")[2])
        except SolverInputError as error:
            raise SolverInputError(f"Learner {name!r}: {error}") from None
        return f"fixed:{_shortest(omega)}"
    raise SolverInputError(f"Unknown learner {name!r}; choose one of: {LEARNER_HELP}.")


def _shortest(omega: float) -> str:
    """omega as the label writes it: as ``:g`` does where that is exact (1.5, 1), else the
    shortest decimal that reads back as omega (1.9999999, which ``:g`` made 2)."""
    text = f"{omega:g}"
    return text if float(text) == omega else repr(omega)


def check_sequence_settings(name: str, settings: dict) -> None:
    """The sequence's name and settings checked without building it (config checks)."""
    if name not in SEQUENCES:
        raise SolverInputError(
            f"Unknown sequence {name!r}; choose one of: {', '.join(SEQUENCES)}.")
    try:
        SEQUENCES[name].check_settings(**settings)
    except TypeError:
        raise _unknown_setting(name, settings) from None


def make_sequence(name: str, seed: int, trial: int, settings: dict):
    check_sequence_settings(name, settings)
    return SEQUENCES[name](seed, trial, **settings)


def _unknown_setting(name: str, settings: dict) -> SolverInputError:
    allowed = {"shifted-laplacian": "grid, variance", "heat2d": "nx, dt"}[name]
    return SolverInputError(
        f"Unknown setting for sequence {name}: {', '.join(settings)}; allowed: {allowed}.")


@dataclass
class TrialRecord:
    """Per instance of one trial: omega chosen, iterations, final relative residual,
    whether tol was met, refinement steps and the context; ``cost_curve`` (instances x arms)
    holds every grid omega's iterations for the best-fixed baseline."""

    omega: np.ndarray
    iterations: np.ndarray
    residual: np.ndarray
    converged: np.ndarray
    outer_steps: np.ndarray
    context: np.ndarray
    cost_curve: np.ndarray | None = field(default=None)

    @classmethod
    def empty(cls, count: int) -> TrialRecord:
        return cls(np.zeros(count), np.zeros(count, np.int64), np.zeros(count),
                   np.zeros(count, np.int8), np.zeros(count, np.int64), np.zeros(count))

    def store(self, t: int, omega: float, result: SolveResult, context: float) -> None:
        self.omega[t], self.iterations[t], self.residual[t] = omega, result.iterations, \
            result.residual
        self.converged[t], self.outer_steps[t], self.context[t] = result.converged, \
            result.outer_steps, context


@dataclass(frozen=True)
class Run:
    """What a learning run solves: sequence, format, solve mode, tolerance, the omega grid."""

    sequence: str
    settings: dict
    fmt: NumberFormat
    seed: int
    instances: int
    mode: str = "refined"
    tol: float = 1e-8
    max_iterations: int = 10000
    arms: tuple = tuple(DEFAULT_ARMS)

    def solve(self, instance, method: str, omega: float, rng) -> SolveResult:
        operator = instance.operator.at(self.fmt)
        if self.mode == "refined":
            return refine_solve(operator, instance.b, omega, method=method, tol=self.tol,
                                x0=instance.x0, max_iterations=self.max_iterations, rng=rng)
        solve = sor_solve if method == "sor" else ssor_pcg_solve
        x0 = None if instance.x0 is None else operator.vector(instance.x0, "x0")
        return solve(operator, operator.vector(instance.b, "b"), omega,
                     tol=inner_tolerance(self.fmt, self.tol), x0=x0,
                     max_iterations=self.max_iterations, rng=rng)

    def rounding_stream(self, learner: str, trial: int, *extra):
        if not self.fmt.stochastic:
            return None
        return stream_generator(self.seed, "rounding", self.sequence, learner, self.fmt.name,
                                trial, *extra)


def run_trial(run: Run, learner: str, trial: int) -> TrialRecord:
    """Trial ``trial`` of ``learner`` on ``run``'s sequence (see the module doc)."""
    if learner == "best-fixed":
        return best_fixed_trial(run, trial)
    sequence = make_sequence(run.sequence, run.seed, trial, run.settings)
    rounding = run.rounding_stream(learner, trial)
    arms = np.asarray(run.arms)
    bandit = None
    if learner in LEARNERS:
        rng = stream_generator(run.seed, "learner", learner, run.sequence, trial)
        kind = LEARNERS[learner]
        bandit = kind(arms, rng) if learner == "tsallis-inf" else \
            kind(arms, rng, context_range=sequence.context_range)
    record = TrialRecord.empty(run.instances)
    for t in range(run.instances):
        instance = sequence.next_instance()
        if bandit is not None:
            omega = float(arms[bandit.choose(instance.context)])
        elif learner == "instance-optimal":
            omega, result = instance_optimal(run, sequence, instance, rounding)
        else:
            omega = float(learner.partition(":")[2])
        if learner != "instance-optimal":
            result = run.solve(instance, sequence.method, omega, rounding)
        if bandit is not None:
            bandit.update(result.iterations)
        record.store(t, omega, result, instance.context)
        sequence.advance(result.x)
    return record


def instance_optimal(run: Run, sequence, instance, rounding) -> tuple[float, SolveResult]:
    """SOR: Young's omega* of the instance; SSOR-PCG: golden-section search over measured
    iteration counts, started from the grid (`pipeline.solvers.baselines`)."""
    if sequence.method == "sor":
        radius = sequence.jacobi_radius(instance) if hasattr(sequence, "jacobi_radius") \
            else jacobi_spectral_radius(instance.operator.matrix)
        omega = optimal_sor_omega(radius)
        return omega, run.solve(instance, "sor", omega, rounding)
    results = {}

    def iterations(omega):
        results[omega] = run.solve(instance, sequence.method, omega, rounding)
        return results[omega].iterations

    grid = [float(w) for w in run.arms]
    omega, _, _ = golden_section_minimum(iterations, grid, [iterations(w) for w in grid])
    return omega, results[omega]


def best_fixed_trial(run: Run, trial: int) -> TrialRecord:
    """Every grid omega along its own copy of the sequence; the record of the one with the
    fewest total iterations, and all of them as the cost curve."""
    if SEQUENCES[run.sequence].independent:
        records = fixed_records_shared(run, trial)
    else:
        records = [run_trial(run, f"fixed:{omega:g}", trial) for omega in run.arms]
    totals = [record.iterations.sum() for record in records]
    best = records[int(np.argmin(totals))]
    best.cost_curve = np.stack([record.iterations for record in records], axis=1)
    return best


def fixed_records_shared(run: Run, trial: int) -> list[TrialRecord]:
    """The records of every ``fixed:OMEGA`` learner on a sequence whose systems do not depend
    on the solutions: each instance is built once and solved at every grid omega, each omega
    with its own rounding stream, so every record is the one `run_trial` gives that learner
    (the instances are the same for every learner of a trial)."""
    learners = [f"fixed:{omega:g}" for omega in run.arms]
    omegas = [float(learner.partition(":")[2]) for learner in learners]
    streams = [run.rounding_stream(learner, trial) for learner in learners]
    records = [TrialRecord.empty(run.instances) for _ in learners]
    sequence = make_sequence(run.sequence, run.seed, trial, run.settings)
    for t in range(run.instances):
        instance = sequence.next_instance()
        for omega, stream, record in zip(omegas, streams, records):
            record.store(t, omega, run.solve(instance, sequence.method, omega, stream),
                         instance.context)
    return records
