"""Learning runs as CF-1.10 NetCDF, their summary table (CSV + NetCDF) and plots.

A run's file holds, per learner, trial and instance, the omega chosen, the iterations the
solve took (all inner iterations under refinement), its final relative residual, whether it
met the tolerance, the refinement steps and the context; best-fixed runs add every grid
omega's iterations (the cost curve). The summary reduces files to one row per sequence,
format, solve mode and learner: the mean over trials of the total iterations, and its ratios
to the best fixed omega and to the instance-optimal omega of the same sequence and format.
"""

from __future__ import annotations

import csv
import json

import numpy as np
import xarray as xr

from pipeline.io.atomic import atomic_path
from pipeline.io.netcdf import global_attributes, write_dataset

REFERENCE = ("Khodak, M., E. Chow, M.-F. Balcan and A. Talwalkar, 2024: Learning to Relax: "
             "Setting Solver Parameters Across a Sequence of Linear System Instances. ICLR, "
             "arXiv:2310.02246")
CONTEXT_NAMES = {"shifted-laplacian": "diagonal shift c_t of A_t = L + c_t I",
                 "heat2d": "diffusivity kappa(t + dt/2) of the Crank-Nicolson step"}
SUMMARY_COLUMNS = ("sequence", "settings", "number_format", "solve", "learner", "trials",
                   "instances", "total_iterations", "ratio_to_best_fixed",
                   "ratio_to_instance_optimal", "converged_fraction")


def relax_dataset(run, learners: list[str], trials, records: dict, settings: dict):
    """The dataset of one run; ``trials`` are the trial numbers and ``records[learner]``
    lists their `TrialRecord`s in that order."""
    dims = ("learner", "trial", "instance")

    def stack(name, dtype):
        return np.array([[getattr(r, name) for r in records[learner]] for learner in learners],
                        dtype=dtype)

    data = {
        "omega": (dims, stack("omega", np.float64),
                  {"units": "1", "long_name": "relaxation parameter omega chosen"}),
        "iterations": (dims, stack("iterations", np.int32),
                       {"units": "1", "long_name": "iterations of the solve (all inner "
                        "iterations under refinement)"}),
        "residual": (dims, stack("residual", np.float64),
                     {"units": "1", "long_name": "final relative residual of the solve"}),
        "converged": (dims, stack("converged", np.int8),
                      {"units": "1", "long_name": "1 where the solve met the tolerance",
                       "flag_values": np.array([0, 1], np.int8),
                       "flag_meanings": "not_converged converged"}),
        "outer_steps": (dims, stack("outer_steps", np.int32),
                        {"units": "1", "long_name": "iterative refinement steps (0: plain)"}),
        "context": (dims, stack("context", np.float64),
                    {"units": "1", "long_name": CONTEXT_NAMES[run.sequence]}),
    }
    coords = {
        "learner": ("learner", np.array(learners, dtype=object),
                    {"long_name": "learner or baseline choosing omega"}),
        "trial": ("trial", np.asarray(trials, dtype=np.int32),
                  {"units": "1", "long_name": "trial number"}),
        "instance": ("instance", np.arange(run.instances, dtype=np.int32),
                     {"units": "1", "long_name": "position in the sequence of systems"}),
        "arm": ("arm", np.array(run.arms), {"units": "1", "long_name": "omega of the grid"}),
    }
    if "best-fixed" in learners:
        curve = np.stack([r.cost_curve for r in records["best-fixed"]]).astype(np.int32)
        data["cost_curve"] = (("trial", "instance", "arm"), curve, {
            "units": "1", "long_name": "iterations at every grid omega (best-fixed baseline)"})
    extra = {**run.fmt.attributes(), "sequence": run.sequence, "seed": run.seed,
             "solve": run.mode, "tolerance": run.tol, "max_iterations": run.max_iterations,
             "sequence_settings": json.dumps(run.settings, sort_keys=True)}
    attributes = global_attributes(f"lowprec relax {run.sequence} at {run.fmt}", settings, extra)
    attributes["references"] = REFERENCE
    return xr.Dataset(data, coords=coords, attrs=attributes)


def summary_rows(datasets: list[xr.Dataset]) -> list[dict]:
    """One row per (sequence, settings, format, solve, learner); see the module doc.

    Files of one group may hold different trials of the same study (``lowprec relax
    --first-trial``): their trials are pooled. A trial met twice for one learner, or runs of
    one group with different numbers of instances, are refused in one sentence (ValueError).
    """
    per_trial, instances, converged = {}, {}, {}
    for dataset in datasets:
        group = (dataset.attrs["sequence"], dataset.attrs["sequence_settings"],
                 dataset.attrs["number_format"], dataset.attrs["solve"])
        trials = [int(t) for t in dataset["trial"].values]
        for learner in dataset["learner"].values:
            key = group + (str(learner),)
            values = dataset["iterations"].sel(learner=learner).values
            if instances.setdefault(key, values.shape[1]) != values.shape[1]:
                raise ValueError(
                    f"Runs of {key[0]} at {key[2]} for learner {key[4]} differ in their number "
                    f"of instances ({instances[key]} and {values.shape[1]}); summarise them "
                    "apart.")
            totals = per_trial.setdefault(key, {})
            flags = converged.setdefault(key, [])
            for trial, total, flag in zip(trials, values.sum(axis=1),
                                          dataset["converged"].sel(learner=learner).values):
                if trial in totals:
                    raise ValueError(f"Trial {trial} of {key[0]} at {key[2]} for learner "
                                     f"{key[4]} is in more than one input file.")
                totals[trial] = float(total)
                flags.append(flag)
    totals = {key: float(np.mean(list(values.values()))) for key, values in per_trial.items()}
    rows = []
    for key, total in totals.items():
        group = key[:4]
        best = totals.get(group + ("best-fixed",))
        optimal = totals.get(group + ("instance-optimal",))
        rows.append({
            "sequence": key[0], "settings": key[1], "number_format": key[2], "solve": key[3],
            "learner": key[4], "trials": len(per_trial[key]), "instances": instances[key],
            "total_iterations": total,
            "ratio_to_best_fixed": total / best if best else float("nan"),
            "ratio_to_instance_optimal": total / optimal if optimal else float("nan"),
            "converged_fraction": float(np.mean(np.concatenate(converged[key]))),
        })
    return sorted(rows, key=lambda r: tuple(str(r[c]) for c in SUMMARY_COLUMNS[:5]))


def write_summary(rows: list[dict], csv_path, netcdf_path, settings: dict) -> None:
    with atomic_path(csv_path) as path, open(path, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=SUMMARY_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v)
                             for k, v in row.items()})
    columns = {name: ("row", np.array([row[name] for row in rows],
                                      dtype=object if name in SUMMARY_COLUMNS[:5] else None))
               for name in SUMMARY_COLUMNS}
    units = {"total_iterations": "mean over trials of the iterations summed over instances",
             "ratio_to_best_fixed": "total iterations / those of the best fixed omega",
             "ratio_to_instance_optimal": "total iterations / those of the instance-optimal omega",
             "converged_fraction": "fraction of solves that met the tolerance",
             "trials": "trials", "instances": "instances per trial"}
    data = {}
    for name, (dim, values) in columns.items():
        attributes = {"long_name": units.get(name, name.replace("_", " "))}
        if name not in SUMMARY_COLUMNS[:5]:
            attributes["units"] = "1"
        data[name] = (dim, values, attributes)
    dataset = xr.Dataset(data, coords={"row": ("row", np.arange(len(rows), dtype=np.int32),
                                               {"units": "1", "long_name": "table row"})},
                         attrs=global_attributes("lowprec relax summary", settings))
    dataset.attrs["references"] = REFERENCE
    write_dataset(dataset, netcdf_path)


def plot_runs(datasets: list[xr.Dataset], cumulative_path, omega_path, cost_path) -> None:
    """The paper's cumulative-iterations curves, omega over time and the cost curve, one
    panel per (sequence, format, solve)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = {}
    for dataset in datasets:
        key = (dataset.attrs["sequence"], dataset.attrs["number_format"], dataset.attrs["solve"])
        groups.setdefault(key, []).append(dataset)
    keys = sorted(groups)
    for path, kind in ((cumulative_path, "cumulative"), (omega_path, "omega"),
                       (cost_path, "cost")):
        figure, axes = plt.subplots(1, len(keys), figsize=(4.5 * len(keys), 3.6), squeeze=False)
        for axis, key in zip(axes[0], keys):
            for dataset in groups[key]:
                _draw(axis, dataset, kind)
            axis.set_title(f"{key[0]}, {key[1]} ({key[2]})", fontsize=9)
            axis.legend(fontsize=7)
        figure.tight_layout()
        with atomic_path(path) as temporary:
            figure.savefig(temporary, format="png", dpi=110)
        plt.close(figure)


def _draw(axis, dataset, kind) -> None:
    instances = dataset["instance"].values
    for learner in dataset["learner"].values:
        if kind == "cumulative":
            cumulative = dataset["iterations"].sel(learner=learner).values.cumsum(axis=1)
            axis.plot(cumulative.mean(axis=0), instances.size - instances - 1, label=str(learner))
            axis.set_xlabel("total iterations")
            axis.set_ylabel("instances remaining")
        elif kind == "omega":
            axis.plot(instances, dataset["omega"].sel(learner=learner).values.mean(axis=0),
                      label=str(learner), lw=0.8)
            axis.set_xlabel("instance")
            axis.set_ylabel("omega (mean over trials)")
    if kind == "cost" and "cost_curve" in dataset:
        axis.plot(dataset["arm"].values, dataset["cost_curve"].values.mean(axis=(0, 1)), "o-",
                  label="mean over instances")
        axis.set_xlabel("omega")
        axis.set_ylabel("iterations")
