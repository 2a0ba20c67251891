"""The `lowprec relax`, `relax-summary` and `relax-plots` commands (parsers and logic).

`pipeline.cli` adds these subparsers; errors in what the user asked for become the CLI's
one-sentence `UsageError`. Imports are lazy so that `lowprec --help` stays fast.
"""

from __future__ import annotations


def add_commands(subparsers) -> None:
    parser = subparsers.add_parser(
        "relax", help="learn omega along a sequence of linear systems (MPI-parallel trials)",
        description="Solve a sequence of systems (shifted-laplacian: SOR; heat2d: SSOR-PCG) "
        "with omega chosen per instance by each learner, at one number format, and write one "
        "CF NetCDF file. Under mpiexec/srun the (learner, trial) tasks are spread over ranks.",
    )
    parser.add_argument("sequence", help="shifted-laplacian or heat2d")
    parser.add_argument("--learner", required=True,
                        help="comma-separated: tsallis-inf, tsallis-inf-cb, chebcb, "
                        "fixed:OMEGA, best-fixed, instance-optimal")
    parser.add_argument("--instances", type=int, required=True, help="systems per trial (T)")
    parser.add_argument("--trials", type=int, required=True, help="independent trials")
    parser.add_argument("--first-trial", type=int, default=0,
                        help="number of the first trial: the run solves trials K .. K+trials-1, "
                        "so a long study can be split over runs whose files relax-summary "
                        "combines (default 0)")
    parser.add_argument("--format", required=True, dest="format_name",
                        help="number format of the solves, e.g. float64, e11m10-sr")
    parser.add_argument("--seed", type=int, required=True, help="seed of all random streams")
    parser.add_argument("--out", required=True, help="NetCDF file to write")
    parser.add_argument("--solve", default="refined", choices=("refined", "plain"),
                        help="refined: float64 iterative refinement to --tolerance; plain: one "
                        "solve in the format to max(tol, 2^(-M/2)) (default refined)")
    parser.add_argument("--tolerance", type=float, default=1e-8)
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="sequence setting: grid=10, variance=high|low (shifted-laplacian); "
                        "nx=25, dt=0.001 (heat2d)")
    parser.add_argument("--tasks", type=int, default=None,
                        help="MPI world size this run expects; a different one is an error")
    parser.set_defaults(run=run_relax)

    parser = subparsers.add_parser(
        "relax-summary", help="total iterations per learner and ratios to the baselines",
        description="Reduce relax files to one row per sequence, format, solve mode and "
        "learner: total iterations (mean over trials) and their ratios to the best fixed "
        "and the instance-optimal omega.")
    parser.add_argument("inputs", nargs="+", help="files from 'lowprec relax'")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--netcdf", required=True)
    parser.set_defaults(run=run_summary)

    parser = subparsers.add_parser(
        "relax-plots", help="cumulative iterations, omega over time and the cost curve (PNG)")
    parser.add_argument("inputs", nargs="+", help="files from 'lowprec relax'")
    parser.add_argument("--cumulative", required=True, help="PNG: cumulative iterations")
    parser.add_argument("--omega", required=True, help="PNG: omega chosen over time")
    parser.add_argument("--cost", required=True, help="PNG: iterations against omega")
    parser.set_defaults(run=run_plots)


def _settings(pairs: list[str]) -> dict:
    from pipeline.cli import UsageError

    settings = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key.strip():
            raise UsageError(f"--set takes key=value, got {pair!r}.")
        key, value = key.strip(), value.strip()
        if key in ("grid", "nx"):
            try:
                settings[key] = int(value)
            except ValueError:
                raise UsageError(f"Setting {key!r} must be an integer, got {value!r}.") from None
        elif key == "dt":
            try:
                settings[key] = float(value)
            except ValueError:
                raise UsageError(f"Setting 'dt' must be a number, got {value!r}.") from None
        else:
            settings[key] = value
    return settings


def run_relax(args) -> None:
    from pipeline.cli import LARGEST_COUNT, LARGEST_SEED, UsageError, check_range
    from pipeline.io.netcdf import write_dataset
    from pipeline.parallel.ensemble import (WorldSizeError, abort_on_error, check_world_size,
                                            run_tasks, world)
    from pipeline.precision import NumberFormat
    from pipeline.solvers.operator import SolverInputError
    from pipeline.solvers.records import relax_dataset
    from pipeline.solvers.study import Run, check_learner, make_sequence, run_trial

    for name, value, lowest, highest in (("--instances", args.instances, 1, LARGEST_COUNT),
                                         ("--trials", args.trials, 1, LARGEST_COUNT),
                                         ("--seed", args.seed, 0, LARGEST_SEED),
                                         ("--first-trial", args.first_trial, 0,
                                          LARGEST_COUNT)):
        check_range(name, value, lowest, highest)
    last_trial = args.first_trial + args.trials - 1
    if last_trial > LARGEST_COUNT:
        raise UsageError(f"The last trial, --first-trial + --trials - 1 = {last_trial}, must be "
                         f"at most {LARGEST_COUNT} (trial numbers are stored as int32).")
    if args.tasks is not None:
        check_range("--tasks", args.tasks, 1)
    if not args.tolerance > 0:
        raise UsageError(f"--tolerance must be positive, got {args.tolerance}.")
    try:
        fmt = NumberFormat.parse(args.format_name)
        learners = list(dict.fromkeys(check_learner(name.strip())
                                      for name in args.learner.split(",") if name.strip()))
        settings = _settings(args.set)
        make_sequence(args.sequence, args.seed, 0, settings)  # checks sequence and settings
    except (ValueError, SolverInputError) as error:
        raise UsageError(str(error)) from None
    if not learners:
        raise UsageError("--learner must name at least one learner.")
    comm = world()
    try:
        check_world_size(comm, args.tasks)
    except WorldSizeError as error:
        raise UsageError(str(error)) from None
    run = Run(args.sequence, settings, fmt, args.seed, args.instances, args.solve,
              args.tolerance)
    trials = range(args.first_trial, args.first_trial + args.trials)
    tasks = [(learner, trial) for learner in learners for trial in trials]

    def relax():
        results = run_tasks(len(tasks), lambda i: run_trial(run, *tasks[i]), comm)
        if results is not None:
            records = {learner: [] for learner in learners}
            for (learner, _), record in zip(tasks, results):
                records[learner].append(record)
            provenance = {"sequence": args.sequence, "settings": settings, "format": fmt.name,
                          "learners": learners, "instances": args.instances,
                          "trials": args.trials, "first_trial": args.first_trial,
                          "seed": args.seed, "solve": args.solve,
                          "tolerance": args.tolerance}
            write_dataset(relax_dataset(run, learners, trials, records, provenance),
                          args.out)
        return 0

    abort_on_error(comm, relax)


def _open_runs(paths):
    from pipeline.cli import UsageError, open_outputs

    datasets = open_outputs(paths)
    for path, dataset in zip(paths, datasets):
        if "sequence" not in dataset.attrs or "iterations" not in dataset:
            raise UsageError(f"{path} is not a file from 'lowprec relax'.")
    return datasets


def run_summary(args) -> None:
    from pipeline.solvers.records import summary_rows, write_summary

    from pipeline.cli import UsageError

    datasets = _open_runs(args.inputs)
    try:
        rows = summary_rows(datasets)
    except ValueError as error:
        raise UsageError(str(error)) from None
    write_summary(rows, args.csv, args.netcdf,
                  {"inputs": [d.attrs.get("config_hash") for d in datasets]})
    for row in rows:
        print(f"{row['sequence']:18s} {row['number_format']:10s} {row['solve']:8s} "
              f"{row['learner']:17s} {row['total_iterations']:12.1f} "
              f"{row['ratio_to_best_fixed']:7.3f} {row['ratio_to_instance_optimal']:7.3f}")


def run_plots(args) -> None:
    from pipeline.solvers.records import plot_runs

    plot_runs(_open_runs(args.inputs), args.cumulative, args.omega, args.cost)
