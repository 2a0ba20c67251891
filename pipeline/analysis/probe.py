"""`lowprec probe`: one step of the adaptive search (`pipeline.analysis.search`).

A probe judges one test ensemble against the float64 reference and the null ensembles, by
the same W1 verdict as the fixed list (`pipeline.analysis.compare`), adds its verdicts to the
previous step's, and names the width the next step must run (or none: the search is done).
A search reduces the whole model (component ``all``) or one of its components, the rest
in float64 (`pipeline.analysis.component_search`). Its record is a small JSON file, which the workflow's checkpoint rule reads to grow the DAG:

    {"model", "component", "rounding", "exponent_bits", "low", "high", "step", "verdict", "alpha",
     "probes": [{"format", "significand_bits", "passes": {variable: bool},
                 "scores": {variable: W1}, "thresholds": {variable: threshold},
                 "pvalues": {variable: p} (verdict holm),
                 "repeat": {"ensemble", "passes", "scores", ...} (a repeated probe)}, ...],
     "next": bits or null, "minimal_bits": {variable: bits or null} (when done),
     "repeat": {"ensemble", "variables"} (when the next step repeats this width),
     "broken_monotonicity": {variable: [[passing, wider failing], ...]}}

The verdict is the workflow's (config ``verdict``): ``null-spread`` passes a variable while
its score is at most the nulls' mean + 3 sd; ``holm`` passes it while its p-value against the
null (`pipeline.analysis.significance`) exceeds alpha / m, with m = (high - low + 1) x the
number of variables x ``searches`` (the model's searches, one per rounding mode): every probe
the searches of one model could make, so Bonferroni's bound keeps the chance that any probe
of a format as good as float64 fails at most alpha, however the bisection chose them. (Holm's
step-down needs the whole family at once, which a sequential search does not have; the
summary's table then applies Holm to the probes made.)
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


def probe_passes(analysis, variables, verdict: str, alpha: float, low: int, high: int,
                 searches: int) -> tuple[dict, dict]:
    """({variable: passes}, {variable: p-value} (holm only)) of one probe's analysis under
    ``verdict`` (see the module doc)."""
    if verdict == "null-spread":
        return {v: bool(analysis[f"passes_{v}"].values[0]) for v in variables}, {}
    if verdict != "holm":
        raise ValueError(f"Unknown verdict {verdict!r}; choose null-spread or holm.")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must lie strictly between 0 and 1, not {alpha}.")
    missing = [v for v in variables if f"pvalue_{v}" not in analysis]
    if missing:
        raise ValueError(f"The holm verdict needs p-values, which need at least three null "
                         f"ensembles (null_ensembles >= 3); this analysis has none for "
                         f"{missing[0]}.")
    limit = alpha / ((high - low + 1) * len(variables) * searches)
    pvalues = {v: float(analysis[f"pvalue_{v}"].values[0]) for v in variables}
    return {v: p > limit for v, p in pvalues.items()}, pvalues


def narrow_failures(analysis, passes: dict, pvalues: dict, verdict: str, alpha: float,
                    low: int, high: int, searches: int) -> list[str]:
    """The variables that failed by a little: under null-spread a score at most one null
    standard deviation above the threshold (mean + 4 sd), under holm a p-value at least a
    tenth of the limit. Variables without null scores are never narrow."""
    narrow = []
    for variable, passed in passes.items():
        if passed:
            continue
        if verdict == "holm":
            limit = alpha / ((high - low + 1) * len(passes) * searches)
            if pvalues[variable] >= limit / 10:
                narrow.append(variable)
        elif f"null_score_{variable}" in analysis:
            nulls = analysis[f"null_score_{variable}"].values.astype(float)
            score = float(analysis[f"score_{variable}"].values[0])
            threshold = float(analysis[f"threshold_{variable}"].values)
            if nulls.size >= 2 and score <= threshold + nulls.std(ddof=1):
                narrow.append(variable)
    return narrow


def judged(analysis, variables, verdict, alpha, low, high, searches) -> dict:
    """One ensemble's verdicts, scores and thresholds (and p-values under holm)."""
    passes, pvalues = probe_passes(analysis, variables, verdict, alpha, low, high, searches)
    entry = {"passes": passes,
             "scores": {v: float(analysis[f"score_{v}"].values[0]) for v in variables},
             "thresholds": {v: float(analysis[f"threshold_{v}"].values) for v in variables}}
    if pvalues:
        entry["pvalues"] = pvalues
    return entry


def record(previous: dict | None, analysis, model: str, rounding: str, exponent_bits: int,
           low: int, high: int, verdict: str = "null-spread", alpha: float = 0.05,
           searches: int = 2, component: str = "all", repeat_ensemble: int | None = None) -> dict:
    """The next record: ``previous`` (None at step 0) plus the verdicts of ``analysis``
    (an analysis dataset of one test ensemble) under ``verdict``.

    With ``repeat_ensemble``, a probe where some variable failed narrowly
    (`narrow_failures`) is not settled yet: the record names the same width again, with
    ``"repeat": {"ensemble": repeat_ensemble, "variables": [...]}``, and the next step's
    analysis, of that fresh ensemble at the same width, judges those variables again: they
    fail only if they fail there too. A repeat can only turn a failure into a pass, so the
    chance that a format as good as float64 fails stays at most the stated rate; it spends
    one ensemble on each narrow failure to spare the search a chance failure near the
    threshold (the monotonicity breaks and lost wide formats of a single ensemble).
    """
    from pipeline.analysis.summary import analysis_variables

    variables = analysis_variables(analysis)
    fmt = NumberFormat.parse(str(analysis["format"].values[0]))
    if fmt.rounding != rounding or fmt.exponent_bits != exponent_bits:
        raise ValueError(f"The probe's test file is {fmt.name}, not a {rounding} format with "
                         f"{exponent_bits} exponent bits.")
    if previous and (previous.get("verdict", "null-spread"), previous.get("alpha", alpha)) \
            != (verdict, alpha):
        raise ValueError(f"The previous record was judged by {previous.get('verdict')} "
                         f"(alpha {previous.get('alpha')}), not {verdict} (alpha {alpha}); "
                         "a search keeps one verdict (remove its records to change it).")
    if previous and previous.get("component", "all") != component:
        raise ValueError(f"The previous record is of the search of "
                         f"{previous.get('component', 'all')}, not {component}.")
    pending = previous.get("repeat") if previous else None
    probes = list(previous["probes"]) if previous else []
    result_of = judged(analysis, variables, verdict, alpha, low, high, searches)
    narrow = []
    if pending:
        entry = dict(probes.pop())
        if entry["significand_bits"] != fmt.significand_bits:
            raise ValueError(f"The previous record asks to repeat {entry['format']}, not "
                             f"{fmt.name}.")
        entry["repeat"] = {"ensemble": pending["ensemble"], **result_of}
        entry["passes"] = {v: entry["passes"][v] or
                           (v in pending["variables"] and result_of["passes"][v])
                           for v in variables}
    else:
        entry = {"format": fmt.name, "significand_bits": fmt.significand_bits, **result_of}
        if any(p["significand_bits"] == entry["significand_bits"] for p in probes):
            raise ValueError(f"{fmt.name} was probed already.")
        if repeat_ensemble is not None:
            narrow = narrow_failures(analysis, result_of["passes"], result_of.get("pvalues", {}),
                                     verdict, alpha, low, high, searches)
    probes.append(entry)
    verdicts = {v: {p["significand_bits"]: p["passes"][v] for p in probes} for v in variables}
    following = fmt.significand_bits if narrow else next_probe(verdicts, variables, low, high)
    result = {"model": model, "component": component, "rounding": rounding,
              "exponent_bits": exponent_bits, "low": low, "high": high,
              "step": previous["step"] + 1 if previous else 0, "verdict": verdict,
              "alpha": alpha, "probes": probes,
              "next": following,
              "broken_monotonicity": {v: broken_monotonicity(verdicts[v]) for v in variables}}
    if narrow:
        result["repeat"] = {"ensemble": repeat_ensemble, "variables": narrow}
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
    parser.add_argument("--verdict", choices=("null-spread", "holm"), default="null-spread",
                        help="how a probe passes (see pipeline/analysis/probe.py)")
    parser.add_argument("--alpha", type=float, default=0.05,
                        help="the holm verdict's family-wise false-failure rate (default 0.05)")
    parser.add_argument("--searches", type=int, default=2,
                        help="the model's searches (rounding modes), for the holm family")
    parser.add_argument("--repeat-ensemble", type=int, metavar="N",
                        help="repeat a probe where a variable failed narrowly with ensemble N "
                        "(above the null's indices); without it no probe is repeated")
    parser.add_argument("--component", default="all",
                        help="what the test file reduced: all (the whole model, default) or "
                        "one component, the rest in float64")
    parser.add_argument("--out", required=True, help="JSON record to write")
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.analysis.compare import compare_ensembles
    from pipeline.analysis.inputs import InputError, check_analysis_inputs
    from pipeline.cli import UsageError, open_outputs
    from pipeline.io.atomic import atomic_path

    if not 1 <= args.low <= args.high <= 52:
        raise UsageError(f"--low and --high must satisfy 1 <= low <= high <= 52, not "
                         f"{args.low} and {args.high}.")
    if len(args.null) < 2:
        raise UsageError("--null needs at least two float64 ensembles to estimate the spread.")
    previous = None
    if args.previous:
        try:
            with open(args.previous) as stream:
                previous = json.load(stream)
        except (OSError, ValueError) as error:
            raise UsageError(f"Cannot read the previous record {args.previous} ({error}).") \
                from None
        problem = _record_problem(previous, args.model)
        if problem:
            raise UsageError(f"--previous {args.previous} {problem}.")
    reference, = open_outputs([args.reference])
    nulls, (test,) = open_outputs(args.null), open_outputs([args.test])
    try:
        repeat = previous.get("repeat") if previous else None
        ensemble = repeat.get("ensemble") if isinstance(repeat, dict) else 0
        check_analysis_inputs(args.model, (args.reference, reference),
                              list(zip(args.null, nulls)), [(args.test, test)],
                              test_ensemble=ensemble if isinstance(ensemble, int) else 0)
    except InputError as error:
        raise UsageError(str(error)) from None
    ran = str(test.attrs.get("model_reduced_components", ""))
    if args.component != "all" and ran != args.component:
        raise UsageError(f"--component {args.component}: the test file {args.test} was not run "
                         f"with reduced_components={args.component} "
                         f"({'reduced_components=' + ran if ran else 'the whole model'}); "
                         "give the component the test file reduced, or all.")
    largest_null = max(int(n.attrs["ensemble"]) for n in nulls)
    if args.repeat_ensemble is not None and args.repeat_ensemble <= largest_null:
        raise UsageError(f"--repeat-ensemble must be above the nulls' ensemble numbers (the "
                         f"largest is {largest_null}), got {args.repeat_ensemble}.")
    settings = {"model": args.model, "probe": args.test}
    try:
        analysis = compare_ensembles(reference, nulls, [test], args.model, settings)
        if args.searches < 1:
            raise ValueError(f"--searches must be at least 1, not {args.searches}.")
        result = record(previous, analysis, args.model, args.rounding, args.exponent_bits,
                        args.low, args.high, args.verdict, args.alpha, args.searches,
                        args.component, args.repeat_ensemble)
    except ValueError as error:
        raise UsageError(str(error)) from None
    with atomic_path(args.out) as path, open(path, "w") as stream:
        json.dump(result, stream, indent=1)


RECORD_FIELDS = {"model": str, "rounding": str, "step": int, "probes": list}
PROBE_FIELDS = {"format": str, "significand_bits": int, "passes": dict}


def record_problem(record, fields=RECORD_FIELDS, probe_fields=PROBE_FIELDS) -> str | None:
    """Why ``record`` (a parsed JSON file) is not a probe record (see the module doc), in
    words, or None: the ``fields`` a reader takes from it and ``probe_fields`` from each of
    its probes, with their types (by default all that the next step and the summaries
    read)."""
    if not isinstance(record, dict) or any(not isinstance(record.get(key), kind)
                                           for key, kind in fields.items()) \
            or any(not isinstance(probe, dict) or any(
                not isinstance(probe.get(key), kind) for key, kind in probe_fields.items())
                   for probe in record["probes"]):
        return "is not a probe record from 'lowprec probe'"
    return None


def _record_problem(previous, model: str) -> str | None:
    """Why ``previous`` is not a record of a search of ``model``."""
    problem = record_problem(previous)
    if problem:
        return problem
    if previous["model"] != model:
        return f"is the record of a search of {previous['model']!r}, not {model!r}"
    return None
