"""`lowprec external`: an external model's ensemble at one format, members over MPI ranks."""

from __future__ import annotations

import shutil
from pathlib import Path


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "external", help="run an external program once per member at a format (an ensemble)",
        description="Run an external model (a program lowprec does not link) once per member "
        "at one number format, from a command template, and assemble the NetCDF files it "
        "writes into one ensemble file like 'lowprec simulate' writes. Placeholders: {format} "
        "{significand_bits} {exponent_bits} {rounding} {seed} {member} {ensemble} {output}; "
        "see pipeline/models/external.py.",
    )
    parser.add_argument("model", help="the model's name (as the config's models: key)")
    parser.add_argument("--command", required=True, help="the command template")
    parser.add_argument("--variable", action="append", required=True, metavar="NAME:DIMS",
                        help="a variable to read and its dimensions, e.g. temperature:time,depth "
                        "(repeat for each; time first)")
    parser.add_argument("--format", dest="format_name", required=True)
    parser.add_argument("--members", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--ensemble", type=int, default=0,
                        help="0 for the reference and test runs, k >= 1 for the k-th null")
    parser.add_argument("--tasks", type=int, default=None,
                        help="expected MPI world size (checked against the launcher's)")
    parser.add_argument("--timeout", type=float, default=3600.0,
                        help="seconds one member may run (default 3600)")
    parser.add_argument("--out", required=True, help="NetCDF file to write")
    parser.set_defaults(run=run)


def parse_variables(items: list[str]) -> dict:
    from pipeline.cli import UsageError

    variables = {}
    for item in items:
        name, _, dims = item.partition(":")
        if not name or not dims:
            raise UsageError(f"--variable {item!r} must be NAME:DIM,DIM,... (e.g. x:time).")
        variables[name] = tuple(d for d in dims.split(",") if d)
    return variables


def run(args) -> None:
    from pipeline.cli import LARGEST_COUNT, LARGEST_SEED, UsageError, check_range
    from pipeline.models.external import ExternalModel, ExternalModelError
    from pipeline.parallel.ensemble import (WorldSizeError, abort_on_error, check_world_size,
                                            run_tasks, world)
    from pipeline.precision import NumberFormat

    try:
        fmt = NumberFormat.parse(args.format_name)
        model = ExternalModel.declare(args.model, args.command, parse_variables(args.variable),
                                      args.timeout)
    except ValueError as error:
        raise UsageError(str(error)) from None
    for name, value, lowest, highest in (("--members", args.members, 1, LARGEST_COUNT),
                                         ("--seed", args.seed, 0, LARGEST_SEED),
                                         ("--ensemble", args.ensemble, 0, LARGEST_COUNT)):
        check_range(name, value, lowest, highest)
    comm = world()
    try:
        check_world_size(comm, args.tasks)
    except WorldSizeError as error:
        raise UsageError(str(error)) from None
    directory = Path(f"{args.out}.members")
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} (where the members' files go) is a file; move it or "
                         "choose another --out.")
    directory.mkdir(parents=True, exist_ok=True)

    def task(member):
        try:
            return model.run_member(fmt, args.seed, args.ensemble, member, directory)
        except ExternalModelError as error:  # reported once, by rank 0, after the gather
            return error

    failure = []

    def simulate():
        outputs = run_tasks(args.members, task, comm)
        if outputs is None:
            return 0
        errors = [output for output in outputs if isinstance(output, ExternalModelError)]
        if errors:
            failure.append(str(errors[0]))
            return 1
        from pipeline.io.netcdf import write_dataset
        from pipeline.models.external import ensemble_dataset

        settings = {"model": args.model, "format": fmt.name, "members": args.members,
                    "seed": args.seed, "ensemble": args.ensemble, "command": args.command,
                    "variables": {k: list(v) for k, v in model.variables.items()}}
        try:
            dataset = ensemble_dataset(model, fmt, outputs, settings)
        except ExternalModelError as error:
            failure.append(str(error))
            return 1
        write_dataset(dataset, args.out)
        shutil.rmtree(directory, ignore_errors=True)
        return 0

    abort_on_error(comm, simulate)
    if failure:
        raise UsageError(failure[0])
