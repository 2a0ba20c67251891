"""Which part of a model can go lowest: the adaptive search one component at a time, and a
confirmation run of the per-component minima together.

With ``search: {mode: bisect, components: [...]}`` the workflow bisects on significand bits
for each named component c and rounding mode r, the rest of the model in float64
(``--set reduced_components=c``), exactly as for the whole model
(`pipeline.analysis.search`). The component's minimal width is the widest of its variables'
minima, the fewest bits at which every variable passes:

    M_c,r = max_v M_c,r,v     (none when some variable passed no width up to ``high``).

The minima are then run together in one ensemble per rounding mode (the combination,
``<c>_format = e<E>m<M_c,r>[-sr]`` for every component with a minimum; components without
one, and every component not searched, stay in float64) and that ensemble is judged by the
same verdict against the same float64 reference and null: errors that each component keeps
below the null's spread alone may add up. Where searched components overlap (``physics`` and
one of its schemes), the scheme's own key wins (`pipeline.models.speedy.components`).

`lowprec component-summary` writes the table component x rounding -> minimal bits, and one
row per rounding mode for the combination with its verdict and the variables that failed.
"""

from __future__ import annotations

import csv
import json

COLUMNS = ("model", "component", "rounding", "min_significand_bits", "format", "probes",
           "widths_probed", "broken_monotonicity", "combined_passes", "failing_variables")


def component_minimum(record: dict) -> int | None:
    """M_c,r of one finished component search (see the module doc)."""
    if "minimal_bits" not in record:
        raise ValueError(f"The search of {record.get('component')} ({record.get('rounding')}) "
                         "has not finished.")
    widths = list(record["minimal_bits"].values())
    return None if not widths or any(bits is None for bits in widths) else max(widths)


def minimum_format(record: dict) -> str | None:
    """The format of a component's minimum, e.g. ``e11m10-sr``, or None."""
    from pipeline.analysis.probe import probe_format

    bits = component_minimum(record)
    if bits is None:
        return None
    return probe_format(record["exponent_bits"], bits, record["rounding"]).name


def read_records(paths) -> list[dict]:
    from pipeline.analysis.probe import record_problem

    records = []
    for path in paths:
        try:
            with open(path) as stream:
                record = json.load(stream)
        except (OSError, ValueError) as error:
            raise ValueError(f"Cannot read the probe record {path} ({error}).") from None
        problem = record_problem(record, {"model": str, "rounding": str, "probes": list},
                                 {"significand_bits": int})
        if problem:
            raise ValueError(f"{path} {problem}.")
        records.append(record)
    return records


def combined_settings(paths) -> dict[str, str]:
    """``{"<component>_format": format}`` of the combination, from the final records of one
    rounding mode's component searches."""
    records = read_records(paths)
    if len({record["rounding"] for record in records}) > 1:
        raise ValueError("A combination takes the searches of one rounding mode.")
    settings = {}
    for record in records:
        component = record.get("component", "all")
        if component == "all":
            raise ValueError("A combination takes component searches, not the whole model's.")
        name = minimum_format(record)
        if name is not None:
            settings[f"{component}_format"] = name
    return settings


def summary_rows(model: str, records: list[dict], combined: dict[str, dict]) -> list[dict]:
    """The table: one row per component and rounding mode, then one per combination.

    ``combined[rounding]`` is ``{"passes": {variable: bool}, "formats": {component: name}}``.
    """
    rows = []
    for record in sorted(records, key=lambda r: (r["rounding"], r.get("component", ""))):
        bits = component_minimum(record)
        rows.append({"model": model, "component": record.get("component", "all"),
                     "rounding": record["rounding"],
                     "min_significand_bits": "" if bits is None else bits,
                     "format": minimum_format(record) or "float64",
                     "probes": len(record["probes"]),
                     "widths_probed": " ".join(str(p["significand_bits"])
                                               for p in record["probes"]),
                     "broken_monotonicity": " ".join(sorted(
                         v for v, pairs in record.get("broken_monotonicity", {}).items()
                         if pairs)),
                     "combined_passes": "", "failing_variables": ""})
    for rounding, result in combined.items():
        failing = [v for v, passed in result["passes"].items() if not passed]
        rows.append({"model": model, "component": "combined", "rounding": rounding,
                     "min_significand_bits": "",
                     "format": " ".join(f"{c}={f}" for c, f in result["formats"].items())
                     or "float64",
                     "probes": 1, "widths_probed": "", "broken_monotonicity": "",
                     "combined_passes": int(not failing),
                     "failing_variables": " ".join(failing)})
    return rows


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "component-summary", help="tabulate the per-component search and judge the combination",
        description="Write component x rounding -> minimal significand bits from the final "
        "records of the component searches, and judge each rounding mode's combination run "
        "(pipeline/analysis/component_search.py).")
    parser.add_argument("model")
    parser.add_argument("--reference", required=True)
    parser.add_argument("--null", nargs="+", required=True)
    parser.add_argument("--records", nargs="+", required=True,
                        help="final probe records of the component searches (JSON)")
    parser.add_argument("--combined", nargs="+", required=True, metavar="ROUNDING=PATH",
                        help="each rounding mode's combination run")
    parser.add_argument("--low", type=int, required=True)
    parser.add_argument("--high", type=int, required=True)
    parser.add_argument("--verdict", choices=("null-spread", "holm"), default="null-spread")
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--searches", type=int, default=2,
                        help="the model's searches, for the holm family")
    parser.add_argument("--out", required=True, help="CSV table to write")
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.analysis.compare import compare_ensembles
    from pipeline.analysis.inputs import InputError, check_analysis_inputs
    from pipeline.analysis.probe import probe_passes
    from pipeline.analysis.summary import analysis_variables
    from pipeline.cli import UsageError, open_outputs
    from pipeline.io.atomic import atomic_path

    pairs = {}
    for text in args.combined:
        rounding, _, path = text.partition("=")
        if rounding not in ("nearest", "stochastic") or not path:
            raise UsageError(f"--combined takes ROUNDING=PATH with ROUNDING nearest or "
                             f"stochastic, not {text!r}.")
        pairs[rounding] = path
    if not 1 <= args.low <= args.high <= 52:
        raise UsageError(f"--low and --high must satisfy 1 <= low <= high <= 52, not "
                         f"{args.low} and {args.high}.")
    try:
        records = read_records(args.records)
    except ValueError as error:
        raise UsageError(str(error)) from None
    for path, record in zip(args.records, records):
        if record["model"] != args.model:
            raise UsageError(f"--records {path} is the record of a search of "
                             f"{record['model']!r}, not {args.model!r}.")
    reference, = open_outputs([args.reference])
    nulls = open_outputs(args.null)
    tests = {rounding: open_outputs([path])[0] for rounding, path in pairs.items()}
    try:
        check_analysis_inputs(args.model, (args.reference, reference),
                              list(zip(args.null, nulls)),
                              [(pairs[rounding], test) for rounding, test in tests.items()])
    except InputError as error:
        raise UsageError(str(error)) from None
    combined = {}
    try:
        for rounding, path in pairs.items():
            test = tests[rounding]
            ours = [r for r in records if r["rounding"] == rounding]
            formats = {r.get("component", "all"): minimum_format(r) for r in ours}
            analysis = compare_ensembles(reference, nulls, [test], args.model,
                                         {"model": args.model, "combination": path})
            passes, _ = probe_passes(analysis, analysis_variables(analysis), args.verdict,
                                     args.alpha, args.low, args.high, args.searches)
            combined[rounding] = {"passes": passes,
                                  "formats": {c: f for c, f in formats.items() if f}}
        rows = summary_rows(args.model, records, combined)
    except ValueError as error:
        raise UsageError(str(error)) from None
    with atomic_path(args.out) as path, open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
