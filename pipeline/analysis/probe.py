"""`lowprec probe`: one step of the adaptive search (`pipeline.analysis.search`).

A probe judges one test ensemble against the float64 reference and the null ensembles, by
the same W1 verdict as the fixed list (`pipeline.analysis.compare`), adds its verdicts to the
previous step's, and names the width the next step must run (or none: the search is done).
Its record is a small JSON file, which the workflow's checkpoint rule reads to grow the DAG:

    {"model", "rounding", "exponent_bits", "low", "high", "step",
     "probes": [{"format", "significand_bits", "passes": {variable: bool},
                 "scores": {variable: W1}, "thresholds": {variable: threshold}}, ...],
     "next": bits or null, "minimal_bits": {variable: bits or null} (when done),
     "broken_monotonicity": {variable: [[passing, wider failing], ...]}}
"""

from __future__ import annotations

import json

from pipeline.analysis.search import broken_monotonicity, minimal_bits, next_probe
from pipeline.precision import NumberFormat


def probe_format(exponent_bits: int, significand_bits: int, rounding: str) -> NumberFormat:
    suffix = "-sr" if rounding == "stochastic" else ""
    return NumberFormat.parse(f"e{exponent_bits}m{significand_bits}{suffix}")


def first_width(low: int, high: int, variables=("any",)) -> int:
    """The width of step 0 (no probes yet)."""
    return next_probe({}, variables, low, high)


def record(previous: dict | None, analysis, model: str, rounding: str, exponent_bits: int,
           low: int, high: int) -> dict:
    """The next record: ``previous`` (None at step 0) plus the verdicts of ``analysis``
    (an analysis dataset of one test format)."""
    from pipeline.analysis.summary import analysis_variables

    variables = analysis_variables(analysis)
    fmt = NumberFormat.parse(str(analysis["format"].values[0]))
    if fmt.rounding != rounding or fmt.exponent_bits != exponent_bits:
        raise ValueError(f"The probe's test file is {fmt.name}, not a {rounding} format with "
                         f"{exponent_bits} exponent bits.")
    entry = {"format": fmt.name, "significand_bits": fmt.significand_bits,
             "passes": {v: bool(analysis[f"passes_{v}"].values[0]) for v in variables},
             "scores": {v: float(analysis[f"score_{v}"].values[0]) for v in variables},
             "thresholds": {v: float(analysis[f"threshold_{v}"].values) for v in variables}}
    probes = list(previous["probes"]) if previous else []
    if any(p["significand_bits"] == entry["significand_bits"] for p in probes):
        raise ValueError(f"{fmt.name} was probed already.")
    probes.append(entry)
    verdicts = {v: {p["significand_bits"]: p["passes"][v] for p in probes} for v in variables}
    following = next_probe(verdicts, variables, low, high)
    result = {"model": model, "rounding": rounding, "exponent_bits": exponent_bits,
              "low": low, "high": high, "step": len(probes) - 1, "probes": probes,
              "next": following,
              "broken_monotonicity": {v: broken_monotonicity(verdicts[v]) for v in variables}}
    if following is None:
        result["minimal_bits"] = {v: minimal_bits(verdicts[v], low, high) for v in variables}
    return result


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "probe", help="one step of the adaptive precision search (bisection on bits)",
        description="Judge one test ensemble against the float64 reference and the null, add "
        "its verdicts to the previous step's record and name the next width to probe "
        "(pipeline/analysis/search.py).",
    )
    parser.add_argument("model")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--null", nargs="+", required=True)
    parser.add_argument("--test", required=True, help="the ensemble at this step's format")
    parser.add_argument("--previous", help="the previous step's record (none at step 0)")
    parser.add_argument("--rounding", choices=("nearest", "stochastic"), required=True)
    parser.add_argument("--exponent-bits", type=int, default=11)
    parser.add_argument("--low", type=int, required=True)
    parser.add_argument("--high", type=int, required=True)
    parser.add_argument("--out", required=True, help="JSON record to write")
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.analysis.compare import compare_ensembles
    from pipeline.cli import UsageError, open_outputs
    from pipeline.io.atomic import atomic_path

    if not 1 <= args.low <= args.high <= 52:
        raise UsageError(f"--low and --high must satisfy 1 <= low <= high <= 52, not "
                         f"{args.low} and {args.high}.")
    previous = None
    if args.previous:
        try:
            with open(args.previous) as stream:
                previous = json.load(stream)
        except (OSError, ValueError) as error:
            raise UsageError(f"Cannot read the previous record {args.previous} ({error}).") \
                from None
    reference, = open_outputs([args.reference])
    nulls, (test,) = open_outputs(args.null), open_outputs([args.test])
    settings = {"model": args.model, "probe": args.test}
    try:
        analysis = compare_ensembles(reference, nulls, [test], args.model, settings)
        result = record(previous, analysis, args.model, args.rounding, args.exponent_bits,
                        args.low, args.high)
    except ValueError as error:
        raise UsageError(str(error)) from None
    with atomic_path(args.out) as path, open(path, "w") as stream:
        json.dump(result, stream, indent=1)
