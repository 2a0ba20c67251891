"""`lowprec probes-summary`: every probe of the adaptive search, as CSV and NetCDF, and the
search path of each model and rounding mode in one figure."""

from __future__ import annotations

import csv
import json

import numpy as np

COLUMNS = ("model", "component", "rounding", "step", "format", "significand_bits", "variable",
           "passes", "score", "threshold", "monotone", "repeated")


def broken_widths(record: dict) -> dict[str, set[int]]:
    """{variable: widths in a pair that breaks the monotone assumption} of one record."""
    return {variable: {bits for pair in pairs for bits in pair}
            for variable, pairs in record.get("broken_monotonicity", {}).items()}


def warnings(records: list[dict]) -> list[str]:
    """One sentence per broken pair: a width that passes below a wider one that fails."""
    return [f"warning: {record['model']} ({scope(record)}, {record['rounding']}): {variable} "
            f"passes {narrow} bits but fails {wide}; the answer uses the widest failure."
            for record in records
            for variable, pairs in sorted(record.get("broken_monotonicity", {}).items())
            for narrow, wide in pairs]


def rows(records: list[dict]) -> list[dict]:
    table = []
    for record in records:
        broken = broken_widths(record)
        for step, probe in enumerate(record["probes"]):
            for variable, passed in probe["passes"].items():
                table.append({"model": record["model"], "component": scope(record),
                              "rounding": record["rounding"],
                              "step": step, "format": probe["format"],
                              "significand_bits": probe["significand_bits"],
                              "variable": variable, "passes": int(passed),
                              "score": probe["scores"][variable],
                              "threshold": probe["thresholds"][variable],
                              "monotone": int(probe["significand_bits"]
                                              not in broken.get(variable, set())),
                              "repeated": int("repeat" in probe)})
    return table


def scope(record: dict) -> str:
    """What a search reduced: ``all`` (the whole model) or one component."""
    return record.get("component", "all")


def write_tables(records: list[dict], csv_path, netcdf_path) -> None:
    import xarray as xr

    from pipeline.io.atomic import atomic_path
    from pipeline.io.netcdf import global_attributes, write_dataset

    table = rows(records)
    with atomic_path(csv_path) as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(table)
    text = lambda key: np.array([r[key] for r in table], dtype=object)  # noqa: E731
    dataset = xr.Dataset(
        {
            "model": ("probe", text("model"), {"long_name": "model name"}),
            "component": ("probe", text("component"),
                          {"long_name": "what the probe reduced: all (the whole model) or "
                                        "one component, the rest in float64"}),
            "rounding": ("probe", text("rounding"), {"long_name": "rounding mode"}),
            "step": ("probe", np.array([r["step"] for r in table], np.int32),
                     {"long_name": "search step (0: first probe)", "units": "1"}),
            "number_format": ("probe", text("format"), {"long_name": "probed number format"}),
            "significand_bits": ("probe", np.array([r["significand_bits"] for r in table],
                                                   np.int32),
                                 {"long_name": "stored significand bits", "units": "1"}),
            "variable": ("probe", text("variable"), {"long_name": "model variable"}),
            "passes": ("probe", np.array([r["passes"] for r in table], np.int8),
                       {"long_name": "the probe passes for this variable",
                        "flag_values": np.array([0, 1], np.int8),
                        "flag_meanings": "fails passes"}),
            "score": ("probe", np.array([r["score"] for r in table]),
                      {"long_name": "W1 to float64, mean over grid points (variable's units)"}),
            "threshold": ("probe", np.array([r["threshold"] for r in table]),
                          {"long_name": "pass threshold: null mean + 3 sd (variable's units)"}),
            "monotone": ("probe", np.array([r["monotone"] for r in table], np.int8),
                         {"long_name": "the probe is in no pair that breaks the monotone "
                                       "assumption (a pass below a wider failure)",
                          "flag_values": np.array([0, 1], np.int8),
                          "flag_meanings": "breaks_monotonicity monotone"}),
            "repeated": ("probe", np.array([r["repeated"] for r in table], np.int8),
                         {"long_name": "a narrow failure at this width was judged again on "
                                       "a fresh ensemble",
                          "flag_values": np.array([0, 1], np.int8),
                          "flag_meanings": "single repeated"}),
        },
        coords={"probe": ("probe", np.arange(len(table), dtype=np.int32),
                          {"long_name": "row of the probe table", "units": "1"})},
        attrs=global_attributes("lowprec: probes of the adaptive precision search",
                                {"records": [":".join((r["model"], scope(r), r["rounding"]))
                                             for r in records]}),
    )
    write_dataset(dataset, netcdf_path)


def plot_path(records: list[dict], path) -> None:
    """Bits probed at each step, filled where every variable passed, hollow where one failed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.io.atomic import atomic_path

    figure, axis = plt.subplots(figsize=(6.5, 4))
    for record in sorted(records, key=lambda r: (r["model"], scope(r), r["rounding"])):
        bits = [p["significand_bits"] for p in record["probes"]]
        passed = [all(p["passes"].values()) for p in record["probes"]]
        part = "" if scope(record) == "all" else f" {scope(record)}"
        label = f"{record['model']}{part} ({record['rounding']})"
        line, = axis.plot(range(len(bits)), bits, "-", label=label)
        for step, (width, ok) in enumerate(zip(bits, passed)):
            axis.plot(step, width, "o", color=line.get_color(),
                      markerfacecolor=line.get_color() if ok else "white")
    axis.set_xlabel("search step")
    axis.set_ylabel("significand bits probed")
    axis.set_title("Adaptive search: filled = every variable passed, hollow = one failed",
                   fontsize="small")
    axis.legend(fontsize="x-small")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    plt.close(figure)


def add_command(subparsers) -> None:
    parser = subparsers.add_parser(
        "probes-summary", help="tabulate and plot the adaptive search's probes",
        description="Write every probe of the adaptive search (format, verdict, W1, threshold "
        "per variable) as CSV and NetCDF, and plot each search's path.")
    parser.add_argument("records", nargs="+", help="final probe records (JSON)")
    parser.add_argument("--csv", required=True)
    parser.add_argument("--netcdf", required=True)
    parser.add_argument("--plot", required=True)
    parser.set_defaults(run=run)


def run(args) -> None:
    from pipeline.analysis.probe import record_problem
    from pipeline.cli import UsageError

    records = []
    for name in args.records:
        try:
            with open(name) as stream:
                records.append(json.load(stream))
        except (OSError, ValueError) as error:
            raise UsageError(f"Cannot read the probe record {name} ({error}).") from None
        problem = record_problem(records[-1])
        if problem:
            raise UsageError(f"{name} {problem}.")
    write_tables(records, args.csv, args.netcdf)
    plot_path(records, args.plot)
    for line in warnings(records):
        print(line)
