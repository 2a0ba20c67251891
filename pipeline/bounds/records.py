"""Bound-search outputs: a CF NetCDF of every candidate, and the summary table and plot of
the best certified bounds beside the literature values the config carries."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import xarray as xr

from pipeline.bounds.search import pareto_front
from pipeline.io.atomic import atomic_path
from pipeline.io.netcdf import global_attributes, write_dataset

QUANTITY = {"theta": "Lovasz theta number", "kissing-lp": "kissing number (Delsarte LP bound)",
            "kissing-sdp": "kissing number (three-point SDP bound)",
            "cohn-elkies": "sphere-packing density (Cohn-Elkies bound)"}

STRING_FIELDS = ("problem", "graph", "solver", "basis", "status")
NUMBER_FIELDS = {
    "dimension": ("1", "dimension n of the problem (0 for graphs)"),
    "degree": ("1", "polynomial degree of the formulation"),
    "precision_bits": ("1", "SDPA multiprecision mantissa bits (0: double precision solver)"),
    "rung": ("1", "successive-halving rung"),
    "value": ("1", "solver's floating-point optimum"),
    "certified": ("1", "rigorous upper bound proved by the exact certificate (NaN: none)"),
    "seconds": ("s", "wall-clock time of formulation, solve and certification"),
    # MiB, written the way UDUNITS reads it (it knows no binary prefixes).
    "peak_rss_mb": ("1048576 byte", "peak resident memory of the process after the solve, MiB"),
}


def search_dataset(records: list[dict], settings: dict) -> xr.Dataset:
    front = set(pareto_front(records))
    data = {}
    for name in STRING_FIELDS:
        data[name] = ("candidate", np.array([str(r[name]) for r in records], dtype=object),
                      {"long_name": name.replace("_", " ")})
    for name, (units, long_name) in NUMBER_FIELDS.items():
        dtype = float if name in ("value", "certified", "seconds", "peak_rss_mb") else np.int32
        data[name] = ("candidate", np.array([r[name] for r in records], dtype=dtype),
                      {"units": units, "long_name": long_name})
    data["pareto"] = ("candidate", np.array([i in front for i in range(len(records))], np.int8),
                      {"long_name": "on the Pareto front of certified bound against seconds",
                       "flag_values": np.array([0, 1], np.int8),
                       "flag_meanings": "dominated pareto_optimal"})
    problem = records[0]["problem"] if records else "bound"
    dataset = xr.Dataset(data, coords={"candidate": ("candidate", np.arange(len(records)),
                                                     {"long_name": "candidate index"})})
    dataset.attrs = global_attributes(f"lowprec bound search: {QUANTITY.get(problem, problem)}",
                                      settings, {"featureType": "point"})
    return dataset


def write_search(records: list[dict], path, settings: dict) -> None:
    write_dataset(search_dataset(records, settings), path)


def best_rows(paths, literature: dict) -> list[dict]:
    """One row per (problem, instance): best certified bound, its choices, the literature."""
    rows = []
    for path in paths:
        with xr.open_dataset(path) as dataset:
            frame = {name: dataset[name].values for name in dataset.data_vars}
        count = len(frame["problem"])
        if count == 0:
            continue
        certified = np.asarray(frame["certified"], dtype=float)
        problem, dimension, graph = str(frame["problem"][0]), int(frame["dimension"][0]), str(frame["graph"][0])
        instance = graph if problem == "theta" else str(dimension)
        known = literature.get(problem, {}).get(instance, {})
        row = {"problem": problem, "instance": instance, "candidates": count,
               "best_certified": math.nan, "degree": "", "solver": "", "seconds": math.nan,
               "literature": known.get("value", math.nan), "literature_source": known.get("source", "")}
        if np.isfinite(certified).any():
            best = int(np.nanargmin(certified))
            row.update(best_certified=float(certified[best]),
                       degree="" if problem == "theta" else int(frame["degree"][best]),
                       solver=str(frame["solver"][best]) + (
                           f":{int(frame['precision_bits'][best])}" if frame["precision_bits"][best] else "") + (
                           f"/{frame['basis'][best]}" if "basis" in frame
                           and str(frame["basis"][best]) != "chebyshev" else ""),
                       seconds=float(frame["seconds"][best]))
        rows.append(row)
    return rows


def write_summary(rows: list[dict], csv_path, png_path) -> None:
    fields = ["problem", "instance", "candidates", "best_certified", "degree", "solver",
              "seconds", "literature", "literature_source"]
    with atomic_path(Path(csv_path)) as temporary:
        with open(temporary, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)
    plot_summary(rows, png_path)


def plot_summary(rows: list[dict], path) -> None:
    """Best certified bound over literature value, per problem and instance."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    problems = sorted({r["problem"] for r in rows})
    figure, axes = plt.subplots(1, max(1, len(problems)), figsize=(4 * max(1, len(problems)), 3.4),
                                squeeze=False)
    for axis, problem in zip(axes[0], problems):
        chosen = [r for r in rows if r["problem"] == problem]
        labels = [r["instance"] for r in chosen]
        ratio = [r["best_certified"] / r["literature"] if r["literature"] else math.nan
                 for r in chosen]
        positions = np.arange(len(chosen))
        axis.bar(positions, np.nan_to_num(ratio, nan=0.0), color="tab:blue")
        axis.axhline(1.0, color="0.3", linestyle=":", linewidth=1, label="literature")
        axis.set_xticks(positions, labels)
        axis.set_title(problem)
        axis.set_ylabel("best certified / literature")
        finite = [x for x in ratio if np.isfinite(x)]
        if finite:
            axis.set_ylim(min(0.98, min(finite) - 0.01), max(finite) + 0.02)
        axis.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(Path(path)) as temporary:
        figure.savefig(temporary, format="png", dpi=120)
    plt.close(figure)
