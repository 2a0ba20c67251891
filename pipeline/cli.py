"""`lowprec <stage> ...`: the only thing workflow rules call, and what users run by hand.

Errors in what the user asked for are printed as one sentence with exit status 2; a
traceback means a bug in lowprec.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import signal
import sys
from pathlib import Path

from pipeline import __version__


class UsageError(Exception):
    """A bad key or value from the user: printed as one sentence, never as a traceback."""


class Terminated(BaseException):
    """SIGTERM (scancel, a SLURM time limit, kill): unwinds the stage like an exception, so
    that `pipeline.io.atomic` removes the temporary file being written. A BaseException,
    so that no ``except Exception`` on the way swallows it."""

    def __init__(self, signal_number: int):
        super().__init__(signal_number)
        self.signal_number = signal_number


# Seeds and counts end up in NetCDF attributes and int32/int64 variables: say so up front.
LARGEST_SEED = 2**63 - 1
LARGEST_COUNT = 2**31 - 1
LARGEST_DIMENSION = 64  # of the bound problems, as the config's schema allows

# Every option that names a file a stage writes, by argparse dest.
OUTPUT_OPTIONS = {"out": "--out", "csv": "--csv", "netcdf": "--netcdf", "png": "--png",
                  "cumulative": "--cumulative", "omega": "--omega", "cost": "--cost",
                  "plot": "--plot"}


def check_range(option: str, value: int, lowest: int, highest: int | None = None) -> None:
    """One sentence if ``value`` lies outside [lowest, highest]."""
    if value < lowest:
        most = "" if highest is None else f" and at most {highest}"
        raise UsageError(f"{option} must be at least {lowest}{most}, got {value}.")
    if highest is not None and value > highest:
        raise UsageError(f"{option} must be at most {highest}, got {value}.")


# Every argument that names files a stage reads, by argparse dest.
INPUT_OPTIONS = ("inputs", "analyses", "analysis", "files", "reference", "null", "test",
                 "records", "previous", "literature")


def check_destinations(args) -> None:
    """Refuse an output path that cannot be written, or that another output or an input of
    the same command also names (the output would replace it), before the stage computes
    anything."""
    from pipeline.io.atomic import writable_problem

    written = {}
    for dest, option in OUTPUT_OPTIONS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if not str(value).strip():
            raise UsageError(f"{option} is empty; give the path of the file to write.")
        problem = writable_problem(value)
        if problem:
            raise UsageError(f"{option} {value} {problem}.")
        same = written.get(_identity(value))
        if same:
            raise UsageError(f"{same} and {option} both name {value}; give each output its "
                             "own file.")
        written[_identity(value)] = option
    for dest in INPUT_OPTIONS:
        values = getattr(args, dest, None)
        for value in [values] if isinstance(values, str) else values or ():
            option = written.get(_identity(value))
            if option:
                raise UsageError(f"{option} {value} is also an input of this command; "
                                 "write the output to a file of its own.")


def _identity(path) -> str:
    """The file a path names, however it is spelt (relative, with .., a link)."""
    return os.path.realpath(str(path))


def _add_formats(subparsers) -> None:
    parser = subparsers.add_parser(
        "formats", help="tabulate number formats (bits, range, epsilon) as CSV",
        description="Write one CSV row per number format: widths, rounding, epsilon and range.",
    )
    parser.add_argument("names", nargs="+", help="format names, e.g. float16 e11m12 e5m10-sr")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.set_defaults(run=_run_formats)


def _run_formats(args) -> None:
    from pipeline.io.atomic import atomic_path
    from pipeline.precision import NumberFormat

    try:
        formats = [NumberFormat.parse(name) for name in args.names]
    except ValueError as error:
        raise UsageError(str(error)) from None
    header = "number_format,exponent_bits,significand_bits,rounding,epsilon,smallest_subnormal,smallest_normal,largest_finite"
    with atomic_path(args.out) as path, open(path, "w") as stream:
        stream.write(header + "\n")
        for fmt in formats:
            stream.write(
                f"{fmt},{fmt.exponent_bits},{fmt.significand_bits},{fmt.rounding},"
                f"{fmt.epsilon!r},{fmt.smallest_subnormal!r},{fmt.smallest_normal!r},"
                f"{fmt.largest_finite!r}\n"
            )


def _parse_settings(pairs: list[str]) -> dict[str, str]:
    overrides = {}
    for pair in pairs or []:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise UsageError(f"--set takes key=value, got {pair!r}.")
        overrides[key.strip()] = value.strip()
    return overrides


def _add_simulate(subparsers) -> None:
    parser = subparsers.add_parser(
        "simulate", help="run one model's ensemble at one number format (MPI-parallel)",
        description="Run an ensemble of MODEL at number format NAME and write one CF NetCDF "
        "file. Under mpiexec/srun the member blocks are spread over the ranks.",
    )
    parser.add_argument("model", help="lorenz63, heat_column, shallow_water or speedy")
    parser.add_argument("--format", required=True, dest="format_name",
                        help="number format, e.g. float64, e11m10, e5m10-sr")
    parser.add_argument("--members", type=int, required=True, help="ensemble size")
    parser.add_argument("--seed", type=int, required=True, help="seed of all random streams")
    parser.add_argument("--out", required=True, help="NetCDF file to write")
    parser.add_argument("--ensemble", type=int, default=0,
                        help="initial-perturbation ensemble: 0 is the reference, 1.. the null")
    parser.add_argument("--members-per-task", type=int, default=None,
                        help="members per MPI task (default: all members in one task)")
    parser.add_argument("--tasks", type=int, default=None,
                        help="MPI world size this run expects; a different one is an error")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="override a model parameter, e.g. --set years=10 (repeatable)")
    parser.add_argument("--checkpoint-every", type=int, default=0, metavar="OUTPUTS",
                        help="save each block every OUTPUTS outputs in OUT.checkpoint/ and "
                        "resume from there when run again (0: never)")
    parser.set_defaults(run=_run_simulate)


def _run_simulate(args) -> None:
    from pipeline.models import ModelParameterError, get_model
    from pipeline.models.base import parse_overrides
    from pipeline.models.run import ModelRunError, run_block
    from pipeline.parallel.ensemble import (
        WorldSizeError, abort_on_error, check_world_size, is_root, run_tasks, split_blocks,
        world,
    )
    from pipeline.precision import NumberFormat

    try:
        model_class = get_model(args.model)
        fmt = NumberFormat.parse(args.format_name)
        config = parse_overrides(model_class.Config, _parse_settings(args.set), args.model)
        try:
            model_class(config, fmt)  # reads input files (orography, initial state), checks
        except (ValueError, ModelParameterError):
            raise
        except Exception as error:
            if model_class.__module__.startswith("pipeline."):
                raise  # lowprec's own models: a bug of ours, with its traceback
            raise UsageError(f"The plugin model {args.model} cannot be built as "
                             f"{model_class.__name__}(config, format): "
                             f"{type(error).__name__}: {error}.") from None
    except (ValueError, ModelParameterError) as error:
        raise UsageError(str(error)) from None
    for name, value, lowest, highest in (
            ("--members", args.members, 1, LARGEST_COUNT),
            ("--seed", args.seed, 0, LARGEST_SEED),
            ("--ensemble", args.ensemble, 0, LARGEST_COUNT),
            ("--checkpoint-every", args.checkpoint_every, 0, None),
            ("--members-per-task", args.members_per_task, 1, None),
            ("--tasks", args.tasks, 1, None)):
        if value is not None:
            check_range(name, value, lowest, highest)
    check_outputs_exist(model_class, config)
    per_task = args.members if args.members_per_task is None else args.members_per_task
    comm = world()
    try:
        check_world_size(comm, args.tasks)
    except WorldSizeError as error:
        raise UsageError(str(error)) from None
    blocks = split_blocks(args.members, per_task)
    show = progress_printer(f"{args.model} {fmt}", len(blocks)) if is_root(comm) else None

    checkpoints = Path(f"{args.out}.checkpoint")

    def task(index):
        report = (lambda done, total: show(index, done, total)) if show else None
        return run_block(model_class, config, fmt, args.seed, args.ensemble, index,
                         blocks[index], progress=report,
                         checkpoint=checkpoints / f"block-{index}.npz",
                         checkpoint_every=args.checkpoint_every)

    def simulate():
        results = run_tasks(len(blocks), task, comm)
        if results is not None:  # rank 0 alone writes, and alone imports xarray to do it
            from pipeline.io.ensemble_file import ensemble_dataset
            from pipeline.io.netcdf import write_dataset

            settings = {"model": args.model, "format": fmt.name, "members": args.members,
                        "seed": args.seed, "ensemble": args.ensemble,
                        "members_per_task": per_task, "parameters": config.__dict__}
            write_dataset(ensemble_dataset(model_class, config, fmt, results, settings),
                          args.out)
            shutil.rmtree(checkpoints, ignore_errors=True)  # the file is complete now
        return 0

    try:
        abort_on_error(comm, simulate)
    except ModelRunError as error:
        raise UsageError(str(error)) from None


def check_outputs_exist(model_class, config) -> None:
    """Refuse a run too short to reach its first output, or of too many steps."""
    from pipeline.models.base import run_length_problem

    problem = run_length_problem(model_class, config)
    if problem:
        raise UsageError(f"Model {model_class.name}: {problem}.")


def progress_printer(label: str, blocks: int):
    """A progress line on a terminal (rank 0's own blocks); silent when not a TTY."""
    if not sys.stderr.isatty():
        return None

    def show(block, done, total):
        print(f"\r{label}: block {block + 1}/{blocks}, output {done}/{total}", end="",
              file=sys.stderr, flush=True)
        if block + 1 == blocks and done == total:
            print(file=sys.stderr)

    return show


def open_outputs(paths: list[str]):
    """Open NetCDF files lowprec wrote, or say in one sentence which one cannot be read."""
    import xarray as xr

    datasets = []
    for path in paths:
        try:
            datasets.append(xr.load_dataset(path, decode_times=False))
        except FileNotFoundError:
            raise UsageError(f"No such file: {path}.") from None
        except IsADirectoryError:
            raise UsageError(f"{path} is a directory, not a NetCDF file.") from None
        except (OSError, ValueError):
            raise UsageError(f"Cannot read {path}: it is not a NetCDF file, or it is "
                             "truncated.") from None
    return datasets


def open_kind(paths: list[str], kind: str, option: str = "input"):
    """Open files and refuse any that is not of ``kind``: simulation, analysis or search."""
    from pipeline.analysis import inputs

    checks = {"simulation": ("a simulation file from 'lowprec simulate'", inputs.is_simulation),
              "analysis": ("an analysis file from 'lowprec analyse'", inputs.is_analysis),
              "search": ("a bound search file from 'lowprec search'", inputs.is_bound_search)}
    description, check = checks[kind]
    datasets = open_outputs(paths)
    try:
        inputs.require(description, check, paths, datasets, option)
    except inputs.InputError as error:
        raise UsageError(str(error)) from None
    return datasets


def _add_analyse(subparsers) -> None:
    parser = subparsers.add_parser(
        "analyse", help="Wasserstein distances of each format to float64, with the null",
        description="Compare each test-format ensemble of MODEL with the float64 reference "
        "and decide which formats pass (see pipeline/analysis/verdicts.py).",
    )
    parser.add_argument("model")
    parser.add_argument("--reference", required=True, help="float64 ensemble (ensemble 0)")
    parser.add_argument("--null", nargs="+", required=True,
                        help="float64 ensembles with other initial perturbations (at least 2)")
    parser.add_argument("--test", nargs="+", required=True, help="ensembles at test formats")
    parser.add_argument("--out", required=True, help="NetCDF file to write")
    parser.set_defaults(run=_run_analyse)


def _run_analyse(args) -> None:
    from pipeline.analysis.compare import compare_ensembles
    from pipeline.analysis.inputs import InputError, check_analysis_inputs
    from pipeline.io.netcdf import write_dataset

    if len(args.null) < 2:
        raise UsageError("--null needs at least two float64 ensembles to estimate the spread.")
    reference, = open_outputs([args.reference])
    nulls, tests = open_outputs(args.null), open_outputs(args.test)
    try:
        check_analysis_inputs(args.model, (args.reference, reference),
                              list(zip(args.null, nulls)), list(zip(args.test, tests)))
    except InputError as error:
        raise UsageError(str(error)) from None
    settings = {"model": args.model, "reference": reference.attrs.get("config_hash"),
                "null": [n.attrs.get("config_hash") for n in nulls],
                "test": [t.attrs.get("config_hash") for t in tests]}
    try:
        result = compare_ensembles(reference, nulls, tests, args.model, settings)
    except ValueError as error:
        raise UsageError(str(error)) from None
    write_dataset(result, args.out)


def _add_summarise(subparsers) -> None:
    parser = subparsers.add_parser(
        "summarise", help="the minimal passing significand bits table (CSV and NetCDF)",
        description="Collect the analyses of all models into the minimal-bits table.",
    )
    parser.add_argument("analyses", nargs="+", help="analysis files from 'lowprec analyse'")
    parser.add_argument("--csv", required=True, help="CSV file to write")
    parser.add_argument("--netcdf", required=True, help="NetCDF file to write")
    parser.add_argument("--verdict", choices=("null-spread", "holm"), default="null-spread",
                        help="null-spread: pass within the null's mean + 3 sd (default); "
                        "holm: p-values against the null, Holm-corrected over the whole table "
                        "(false-failure rate at most --alpha; docs/search.md)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="the holm verdict's family-wise false-failure rate (default 0.05)")
    parser.set_defaults(run=_run_summarise)


def _run_summarise(args) -> None:
    from pipeline.analysis.summary import minimal_bits_rows, write_minimal_bits

    if not 0.0 < args.alpha < 1.0:
        raise UsageError(f"--alpha must lie strictly between 0 and 1, got {args.alpha}.")
    analyses = open_kind(args.analyses, "analysis")
    try:
        rows = minimal_bits_rows(analyses, args.verdict, args.alpha)
    except ValueError as error:
        raise UsageError(str(error)) from None
    settings = {"analyses": [a.attrs.get("config_hash") for a in analyses],
                "verdict": args.verdict, "alpha": args.alpha}
    write_minimal_bits(rows, args.csv, args.netcdf, settings)
    for row in rows:
        bits = row["min_significand_bits"]
        print(f"{row['model']:12s} {row['variable']:12s} {row['rounding']:10s} "
              f"{'none passed' if bits is None else bits}")


def _add_plots(subparsers) -> None:
    parser = subparsers.add_parser(
        "plot-distances", help="PNG of W1 against significand bits with the null band")
    parser.add_argument("analysis", help="analysis file from 'lowprec analyse'")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.set_defaults(run=_run_plot_distances)
    parser = subparsers.add_parser(
        "plot-profiles", help="PNG of ensemble-mean vertical profiles at the last output")
    parser.add_argument("files", nargs="+", help="simulation files of one model")
    parser.add_argument("--variable", required=True, help="variable with a vertical dimension")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.set_defaults(run=_run_plot_profiles)
    parser = subparsers.add_parser(
        "plot-maps", help="PNG maps of per-point W1 of a 2-D field, one panel per format")
    parser.add_argument("analysis", help="analysis file from 'lowprec analyse'")
    parser.add_argument("--variable", required=True, help="a two-dimensional field, e.g. eta")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.set_defaults(run=_run_plot_maps)


def _run_plot_maps(args) -> None:
    from pipeline.analysis.summary import plot_maps

    analysis, = open_kind([args.analysis], "analysis")
    name = f"w1_{args.variable}"
    if name not in analysis or analysis[name].ndim < 3:
        raise UsageError(f"{args.analysis} has no two-dimensional field {args.variable!r}.")
    plot_maps(analysis, args.variable, args.out)


def _run_plot_distances(args) -> None:
    from pipeline.analysis.summary import plot_distances

    analysis, = open_kind([args.analysis], "analysis")
    plot_distances(analysis, args.out)


def _run_plot_profiles(args) -> None:
    from pipeline.analysis.summary import plot_profiles

    datasets = open_kind(args.files, "simulation")
    for path, dataset in zip(args.files, datasets):
        if args.variable not in dataset or dataset[args.variable].ndim < 3:
            raise UsageError(f"{path} has no variable {args.variable!r} with a vertical dimension.")
    plot_profiles(datasets, args.variable, args.out)


def _add_bound(subparsers) -> None:
    from pipeline.bounds.search import PROBLEMS, SOLVERS

    parser = subparsers.add_parser(
        "bound", help="solve one LP/SDP bound formulation and certify it exactly",
        description="Solve one bound formulation through cvxpy and check its certificate in "
        "exact rational arithmetic. theta: Lovász theta of --graph; kissing-lp: Delsarte's LP "
        "bound and kissing-sdp: the Bachoc-Vallentin three-point bound for the kissing number "
        "in --dimension at --degree; cohn-elkies: the sphere-packing density bound.",
    )
    parser.add_argument("problem", help=f"one of: {', '.join(PROBLEMS)}")
    parser.add_argument("--dimension", type=int, default=3)
    parser.add_argument("--degree", type=int, default=None,
                        help="polynomial degree (default: 10 kissing-lp, 4 kissing-sdp, "
                        "9 cohn-elkies)")
    parser.add_argument("--graph", default="C5", help="C5, C7 or petersen (for theta)")
    parser.add_argument("--solver", default="CLARABEL",
                        help=f"one of: {', '.join(SOLVERS)}; SDPA:BITS sets its precision")
    parser.add_argument("--basis", default=None,
                        help="polynomial basis of kissing-sdp: chebyshev (default; for double "
                        "precision) or monomial (sparser; faster in multiprecision SDPA)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(run=_run_bound)


DEFAULT_DEGREE = {"theta": 0, "kissing-lp": 10, "kissing-sdp": 4, "cohn-elkies": 9}


def _instance(problem: str, dimension: int, graph: str):
    from pipeline.bounds.graphs import GRAPHS
    from pipeline.bounds.search import PROBLEMS, Instance

    if problem not in PROBLEMS:
        raise UsageError(f"Unknown bound problem {problem!r}; choose one of: {', '.join(PROBLEMS)}.")
    if problem == "theta":
        if graph not in GRAPHS:
            raise UsageError(f"Unknown graph {graph!r}; choose one of: {', '.join(GRAPHS)}.")
        return Instance(problem, 0, graph)
    lowest = 1 if problem == "cohn-elkies" else (3 if problem == "kissing-sdp" else 2)
    if not lowest <= dimension <= LARGEST_DIMENSION:
        raise UsageError(f"--dimension must be at least {lowest} and at most "
                         f"{LARGEST_DIMENSION} for {problem}, got {dimension}.")
    return Instance(problem, dimension, "")


def _run_bound(args) -> None:
    import json

    from pipeline.bounds.search import Arm, solve

    from pipeline.bounds.search import degree_problem

    instance = _instance(args.problem, args.dimension, args.graph)
    degree = DEFAULT_DEGREE[args.problem] if args.degree is None else args.degree
    problem = degree_problem(args.problem, degree)
    if problem:
        raise UsageError(f"{args.problem}: --degree {problem}, got {degree}.")
    text = args.solver if args.basis is None else f"{args.solver.partition('/')[0]}/{args.basis}"
    try:
        arm = Arm.parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from None
    record = solve(instance, degree, arm)
    if record["status"].startswith("invalid: "):
        raise UsageError(record["status"][len("invalid: "):])
    for key in ("value", "certified"):
        record[key] = None if record[key] != record[key] else record[key]  # NaN -> null
    record["seconds"] = round(record["seconds"], 4)
    record["solver"] = str(arm)
    if args.problem == "theta":
        record.pop("dimension")
        record.pop("degree")
    else:
        record.pop("graph")
    if args.json:
        print(json.dumps(record))
    else:
        print(f"{args.problem} {instance.label()} degree {degree} ({arm}): value {record['value']}, "
              f"certified {record['certified']} ({record['status']}, {record['seconds']:.2f} s)")


def _int_list(text: str, name: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"{name} must be comma-separated integers, got {text!r}.") from None
    if not values or any(v < 1 for v in values):
        raise UsageError(f"{name} must list integers of at least 1, got {text!r}.")
    return values


def _add_search(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="successive-halving search over bound formulations (MPI-parallel)",
        description="Search formulation choices for one bound problem instance: solvers (and "
        "SDPA precision, and for kissing-sdp the polynomial basis) are arms, degrees the "
        "resource of successive halving. Every "
        "candidate goes to a CF NetCDF file. Launch under mpiexec to spread candidates.",
    )
    parser.add_argument("problem", help="theta, kissing-lp, kissing-sdp or cohn-elkies")
    parser.add_argument("--dimension", type=int, default=3)
    parser.add_argument("--graph", default="C5")
    parser.add_argument("--degrees", default="3,4,5", help="degree ladder, e.g. 3,4,5")
    parser.add_argument("--solvers", default="CLARABEL,SCS,SDPA:200",
                        help="arms, e.g. CLARABEL,SCS,SDPA:128,SDPA:256/monomial")
    parser.add_argument("--budget-solves", type=int, default=None)
    parser.add_argument("--budget-seconds", type=float, default=None)
    parser.add_argument("--tasks", type=int, default=None,
                        help="expected MPI world size (checked, to catch PMI mismatches)")
    parser.add_argument("--out", required=True, help="output NetCDF file")
    parser.set_defaults(run=_run_search)


def _run_search(args) -> None:
    from pipeline.bounds.records import write_search
    from pipeline.bounds.search import Arm, successive_halving
    from pipeline.parallel.ensemble import (
        WorldSizeError, abort_on_error, check_world_size, is_root, world,
    )

    from pipeline.bounds.search import degree_problem

    instance = _instance(args.problem, args.dimension, args.graph)
    degrees = _int_list(args.degrees, "--degrees")
    if any(later <= earlier for earlier, later in zip(degrees, degrees[1:])):
        raise UsageError(f"--degrees must increase (successive halving climbs the ladder), "
                         f"got {args.degrees!r}.")
    for degree in degrees:
        problem = degree_problem(args.problem, degree)
        if problem:
            raise UsageError(f"{args.problem}: --degrees {problem}, got {degree} "
                             f"(in {args.degrees!r}).")
    try:
        arms = list(dict.fromkeys(Arm.parse(x) for x in args.solvers.split(",") if x.strip()))
    except ValueError as error:
        raise UsageError(str(error)) from None
    if not arms:
        raise UsageError("--solvers must name at least one solver.")
    if args.budget_solves is not None and args.budget_solves < 1:
        raise UsageError(f"--budget-solves must be at least 1, got {args.budget_solves}.")
    if args.budget_seconds is not None and not 0 < args.budget_seconds < math.inf:
        raise UsageError(f"--budget-seconds must be a positive number, got "
                         f"{args.budget_seconds}.")
    if args.tasks is not None:
        check_range("--tasks", args.tasks, 1)
    comm = world()
    try:
        check_world_size(comm, args.tasks)
    except WorldSizeError as error:
        raise UsageError(str(error)) from None

    def search():
        records = successive_halving(instance, degrees, arms, args.budget_solves,
                                     args.budget_seconds, comm)
        if is_root(comm):
            settings = {"problem": instance.problem, "dimension": instance.dimension,
                        "graph": instance.graph, "degrees": degrees,
                        "solvers": [str(a) for a in arms], "budget_solves": args.budget_solves,
                        "budget_seconds": args.budget_seconds}
            write_search(records, args.out, settings)
        return 0

    abort_on_error(comm, search)


def _add_bounds_summary(subparsers) -> None:
    parser = subparsers.add_parser(
        "bounds-summary", help="best certified bounds beside literature values (CSV + PNG)")
    parser.add_argument("inputs", nargs="+", help="search NetCDF files")
    parser.add_argument("--literature", default=None,
                        help="YAML or JSON file: {problem: {instance: {value, source}}}")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--png", required=True)
    parser.set_defaults(run=_run_bounds_summary)


def _run_bounds_summary(args) -> None:
    import yaml

    from pipeline.bounds.records import best_rows, write_summary

    literature = read_literature(args.literature) if args.literature else {}
    open_kind(args.inputs, "search")
    rows = best_rows(args.inputs, literature)
    seen = {}
    for path, row in zip(args.inputs, rows):
        key = (row["problem"], row["instance"])
        if key in seen:
            raise UsageError(f"{seen[key]} and {path} both search {row['problem']} "
                             f"{row['instance']}; give each instance once.")
        seen[key] = path
    write_summary(rows, args.csv, args.png)


def read_literature(path: str) -> dict:
    """{problem: {instance: {value, source}}} from YAML or JSON, or one sentence on what is
    wrong with it (the file name, and for bad YAML the line)."""
    import math

    import yaml

    from pipeline.bounds.graphs import GRAPHS
    from pipeline.bounds.search import PROBLEMS
    from pipeline.configuration import _StrictLoader

    shape = "{problem: {instance: {value: NUMBER, source: TEXT}}}"
    try:
        with open(path) as handle:
            literature = yaml.load(handle, Loader=_StrictLoader) or {}
    except IsADirectoryError:
        raise UsageError(f"--literature {path} is a directory, not a YAML file.") from None
    except UnicodeDecodeError:
        raise UsageError(f"--literature {path} is not UTF-8 text (a YAML file).") from None
    except OSError as error:
        raise UsageError(f"--literature {path} cannot be read ({error.strerror}).") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None)
        detail = f": {problem}" if problem and "given twice" in problem else ""
        raise UsageError(f"--literature {path} is not valid YAML{where}{detail}.") from None
    if not isinstance(literature, dict):
        raise UsageError(f"--literature {path} must be a mapping {shape}.")
    result = {}
    for problem, entries in literature.items():
        if problem not in PROBLEMS:
            raise UsageError(f"--literature {path}: unknown problem {problem!r}; choose among "
                             f"{', '.join(PROBLEMS)}.")
        if not isinstance(entries, dict):
            raise UsageError(f"--literature {path}: {problem!r} must map instances to "
                             f"{{value, source}}, as in {shape}.")
        result[str(problem)] = {}
        for instance, entry in entries.items():
            value = entry.get("value") if isinstance(entry, dict) else None
            if (not isinstance(value, (int, float)) or isinstance(value, bool)
                    or not math.isfinite(value)):
                raise UsageError(f"--literature {path}: {problem}.{instance} needs a numeric "
                                 f"'value' (and a 'source'), as in {shape}.")
            if value <= 0:
                raise UsageError(f"--literature {path}: {problem}.{instance} has value "
                                 f"{value}; every bound here is a positive number.")
            name = str(instance)
            if problem != "theta":
                # The dimension, as `bound` labels it too (n3).
                name = name.removeprefix("n")
                if not name.isdigit():
                    raise UsageError(f"--literature {path}: {problem} takes dimensions as "
                                     f"instances (3 or n3), not {instance!r}.")
                name = str(int(name))
            elif name not in GRAPHS:
                raise UsageError(f"--literature {path}: unknown graph {instance!r}; choose "
                                 f"among {', '.join(GRAPHS)}.")
            if name in result[str(problem)]:
                raise UsageError(f"--literature {path}: {problem}.{instance} is given twice.")
            result[str(problem)][name] = {"value": float(value),
                                          "source": str(entry.get("source", ""))}
    return result


def _add_warm_up(subparsers) -> None:
    parser = subparsers.add_parser(
        "warm-up", help="compile the numba kernels into the disk cache (once, after installing)",
        description="Compile lowprec's numba kernels into numba's disk cache, so that the "
        "jobs of a study load them instead of each compiling them. make run and make test "
        "call this after installing.")
    parser.set_defaults(run=_run_warm_up)


def _run_warm_up(args) -> None:
    from pipeline.warmup import warm_up

    warm_up(lambda line: print(f"lowprec warm-up: {line}"))


def _add_solvers(subparsers) -> None:
    from pipeline.solvers.commands import add_commands

    add_commands(subparsers)  # relax, relax-summary, relax-plots


def _add_models(subparsers) -> None:
    from pipeline.models.external_command import add_command as add_external
    from pipeline.models.listing import add_command

    add_command(subparsers)  # models
    add_external(subparsers)  # external


def _add_probe(subparsers) -> None:
    from pipeline.analysis.probe import add_command
    from pipeline.analysis.component_search import add_command as add_components
    from pipeline.analysis.probes_summary import add_command as add_summary

    add_command(subparsers)  # probe
    add_summary(subparsers)  # probes-summary
    add_components(subparsers)  # component-summary


def _add_provenance(subparsers) -> None:
    from pipeline.analysis.provenance import add_command

    add_command(subparsers)  # provenance


def _add_check_config(subparsers) -> None:
    from pipeline.configuration import add_check_config

    add_check_config(subparsers, UsageError)  # the checks live in pipeline/configuration.py


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lowprec",
        description="Reduced-precision simulation stages: how many significand bits does a "
        "model need, and does stochastic rounding let it go lower?",
    )
    parser.add_argument("--version", action="version", version=f"lowprec {__version__}")
    subparsers = parser.add_subparsers(title="stages", metavar="STAGE", required=True)
    _add_formats(subparsers)
    _add_models(subparsers)
    _add_simulate(subparsers)
    _add_analyse(subparsers)
    _add_probe(subparsers)
    _add_summarise(subparsers)
    _add_plots(subparsers)
    _add_bound(subparsers)
    _add_search(subparsers)
    _add_bounds_summary(subparsers)
    _add_solvers(subparsers)
    _add_warm_up(subparsers)
    _add_provenance(subparsers)
    _add_check_config(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # xarray imports dask (about 0.8 s) whenever it is installed, only to recognise dask
    # arrays; lowprec makes none, and each of a study's many short jobs would pay it. Only
    # before xarray's first import: it caches what it found.
    if "xarray" not in sys.modules:
        sys.modules.setdefault("dask", None)
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        check_destinations(args)
        args.run(args)
    except UsageError as error:
        print(f"lowprec: error: {error}", file=sys.stderr)
        return 2
    except Terminated as stop:
        name = signal.Signals(stop.signal_number).name
        print(f"lowprec: stopped by {name} before the output was complete; nothing partial "
              "is left, and checkpoints (if any) are kept for the rerun.", file=sys.stderr)
        return 128 + stop.signal_number
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _terminate(signal_number, frame):
    raise Terminated(signal_number)


if __name__ == "__main__":
    sys.exit(main())
