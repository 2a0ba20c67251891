"""The headline: minimal passing significand bits per model, variable and rounding mode,
as CSV and NetCDF, and the plots that show how it was decided."""

from __future__ import annotations

import csv

import numpy as np
import xarray as xr

from pipeline.analysis.verdicts import minimal_bits
from pipeline.io.atomic import atomic_path
from pipeline.io.netcdf import global_attributes, write_dataset

ROUNDING_MODES = ("nearest", "stochastic")
CSV_COLUMNS = ("model", "variable", "rounding", "min_significand_bits")

# Water fluxes are shown as Paxton et al. (2022, fig. 4) show SPEEDY's precipitation: in mm
# per 6 h. 1 kg m-2 of liquid water is a 1 mm layer (density 1000 kg m-3), and 6 h is 21,600 s.
WATER_FLUX_UNITS = "kg m-2 s-1"
MM_PER_6H = 6 * 3600.0
# Paxton et al.'s tolerance: 10 significand bits keep the mean grid-point W1 of
# precipitation within 0.1 mm/6h of double precision.
PAXTON_PRECIPITATION_TOLERANCE = 0.1  # mm/6h


def display_scale(attrs: dict) -> tuple[float, str]:
    """Factor and units in which a variable's W1 is plotted: water fluxes in mm/6h."""
    units = attrs.get("units", "")
    if units == WATER_FLUX_UNITS:
        return MM_PER_6H, "mm/6h"
    return 1.0, units


def analysis_variables(analysis: xr.Dataset) -> list[str]:
    return [name.removeprefix("passes_") for name in analysis.data_vars
            if name.startswith("passes_")]


VERDICTS = ("null-spread", "holm")


def table_passes(analyses: list[xr.Dataset], verdict: str = "null-spread",
                 alpha: float = 0.05) -> list[dict]:
    """Pass flags per analysis and variable under one verdict for the whole table.

    null-spread: each analysis's own flags (score <= null mean + 3 sd). holm: every (model,
    variable, format) comparison of the table is one hypothesis, judged by its p-value
    against the null, and Holm's step-down keeps the chance that the table fails any format
    that is in truth as good as float64 at most ``alpha`` (pipeline/analysis/significance.py).
    """
    from pipeline.analysis.significance import holm_rejections

    if verdict not in VERDICTS:
        raise ValueError(f"Unknown verdict {verdict!r}; choose one of: {', '.join(VERDICTS)}.")
    if verdict == "null-spread":
        return [{v: np.asarray(a[f"passes_{v}"].values).astype(bool)
                 for v in analysis_variables(a)} for a in analyses]
    pvalues = []
    for analysis in analyses:
        for variable in analysis_variables(analysis):
            if f"pvalue_{variable}" not in analysis:
                raise ValueError(f"The analysis of {analysis.attrs['model']} has no p-values "
                                 f"for {variable} (the holm verdict needs null_ensembles >= 3).")
            pvalues.append(np.asarray(analysis[f"pvalue_{variable}"].values, dtype=float))
    sizes = np.cumsum([p.size for p in pvalues])[:-1]
    rejected = iter(np.split(holm_rejections(np.concatenate(pvalues), alpha), sizes))
    return [{v: ~next(rejected) for v in analysis_variables(a)} for a in analyses]


def minimal_bits_rows(analyses: list[xr.Dataset], verdict: str = "null-spread",
                      alpha: float = 0.05) -> list[dict]:
    """One row per model, variable and rounding mode (None where no tested format passed)."""
    rows = []
    flags = table_passes(analyses, verdict, alpha)
    for analysis, passing in zip(analyses, flags):
        model = analysis.attrs["model"]
        rounding = [str(r) for r in analysis["rounding"].values]
        bits = [int(b) for b in analysis["significand_bits"].values]
        for variable in analysis_variables(analysis):
            passes = [bool(p) for p in passing[variable]]
            for mode in ROUNDING_MODES:
                chosen = [i for i, r in enumerate(rounding) if r == mode]
                rows.append({
                    "model": model, "variable": variable, "rounding": mode,
                    "min_significand_bits": minimal_bits([bits[i] for i in chosen],
                                                         [passes[i] for i in chosen]),
                })
    return rows


def write_minimal_bits(rows: list[dict], csv_path, netcdf_path, settings: dict) -> None:
    with atomic_path(csv_path) as temporary, open(temporary, "w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow({**row, "min_significand_bits": "" if row["min_significand_bits"]
                             is None else row["min_significand_bits"]})
    index = np.arange(len(rows), dtype=np.int32)
    dataset = xr.Dataset(
        {
            "model": ("row", np.array([r["model"] for r in rows], dtype=object),
                      {"long_name": "model name"}),
            "variable": ("row", np.array([r["variable"] for r in rows], dtype=object),
                         {"long_name": "model variable"}),
            "rounding": ("row", np.array([r["rounding"] for r in rows], dtype=object),
                         {"long_name": "rounding mode"}),
            "min_significand_bits": ("row", np.array(
                [-1 if r["min_significand_bits"] is None else r["min_significand_bits"]
                 for r in rows], dtype=np.int32), {
                "long_name": "fewest significand bits at which every wider tested format passes",
                "units": "1", "_FillValue": np.int32(-1)}),
        },
        coords={"row": ("row", index, {"long_name": "table row", "units": "1"})},
        attrs=global_attributes("lowprec: minimal passing significand bits", settings, {
            "verdict": settings.get("verdict", "null-spread"),
            "verdict_alpha": settings.get("alpha", "") if settings.get("verdict") == "holm"
            else ""}),
    )
    write_dataset(dataset, netcdf_path)


def plot_distances(analysis: xr.Dataset, path) -> None:
    """W1 score against significand bits, nearest and stochastic, with the null band."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    variables = analysis_variables(analysis)
    columns = min(len(variables), 4)
    rows = -(-len(variables) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.6 * rows),
                                squeeze=False)
    for axis in axes.flat[len(variables):]:
        axis.set_axis_off()
    bits = np.asarray(analysis["significand_bits"].values)
    rounding = np.asarray([str(r) for r in analysis["rounding"].values])
    for axis, variable in zip(axes.flat, variables):
        scale, units = display_scale(analysis[f"score_{variable}"].attrs)
        scores = np.asarray(analysis[f"score_{variable}"].values, dtype=float) * scale
        null = np.asarray(analysis[f"null_score_{variable}"].values, dtype=float) * scale
        threshold = float(analysis[f"threshold_{variable}"].values) * scale
        axis.set_title(f"{analysis.attrs['model']}: {variable}")
        shown = np.concatenate([scores, null, [threshold]])
        if not (np.isfinite(shown) & (shown > 0)).any():
            # Nothing a log axis can show: every run blew up (the float64 ones too), or every
            # distance is zero.
            axis.text(0.5, 0.5, "no finite positive W1 to show:\nevery run blew up"
                      if not np.isfinite(shown).any() else "every W1 is zero",
                      ha="center", va="center", transform=axis.transAxes)
            axis.set_xticks([])
            axis.set_yticks([])
            continue
        finite = scores[np.isfinite(scores)]
        ceiling = max([threshold, *finite]) * 3 if finite.size else threshold * 10
        axis.axhspan(max(min(null.min(), threshold) / 10, 1e-300), threshold, color="0.85",
                     label="null: mean + 3 sd")
        axis.axhline(null.mean(), color="0.5", linestyle=":", linewidth=1, label="null mean")
        if units == "mm/6h" and "precipitation" in variable and "global" not in variable:
            axis.axhline(PAXTON_PRECIPITATION_TOLERANCE, color="C3", linewidth=1,
                         label="0.1 mm/6h (Paxton et al. 2022)")
        for mode, style in (("nearest", "o-"), ("stochastic", "s--")):
            chosen = np.flatnonzero(rounding == mode)
            order = chosen[np.argsort(bits[chosen])]
            values = np.where(np.isfinite(scores[order]), scores[order], ceiling)
            # The reference compared with itself scores 0, which a log axis cannot show.
            values = np.where(values > 0, values, np.nan)
            axis.plot(bits[order], values, style, label=mode)
            blown = order[~np.isfinite(scores[order])]
            if blown.size:
                axis.plot(bits[blown], np.full(blown.size, ceiling), "rx", label="blew up")
        axis.set_yscale("log")
        axis.set_xlabel("significand bits")
        axis.set_ylabel(f"W1 to float64 [{units}]")
        axis.legend(fontsize="small")
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    plt.close(figure)


def plot_profiles(datasets: list[xr.Dataset], variable: str, path) -> None:
    """Ensemble-mean profile of ``variable`` at the last output time, one line per format."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(5.5, 5))
    for dataset in sorted(datasets, key=lambda d: (d.attrs["rounding"],
                                                   -int(d.attrs["significand_bits"]))):
        field = dataset[variable]
        vertical = field.dims[-1]
        profile = field.isel(time=-1).mean("member")
        style = "-" if dataset.attrs["rounding"] == "nearest" else "--"
        axis.plot(profile.values, dataset[vertical].values, style,
                  label=dataset.attrs["number_format"])
    last = datasets[0]["time"].values[-1]
    axis.invert_yaxis()
    axis.set_xlabel(f"{variable} [{datasets[0][variable].attrs.get('units', '')}]")
    axis.set_ylabel(f"{vertical} [{datasets[0][vertical].attrs.get('units', '')}]")
    axis.set_title(f"{datasets[0].attrs['model']}: ensemble mean at the last output,\n"
                   f"t = {last:g} {datasets[0]['time'].attrs.get('units', '')}", fontsize="small")
    axis.legend(fontsize="x-small", ncol=2)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=110)
    plt.close(figure)


def plot_maps(analysis: xr.Dataset, variable: str, path) -> None:
    """Per-point W1 of a 2-D field, one panel per format, on one logarithmic colour scale."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    field = analysis[f"w1_{variable}"]
    bits = np.asarray(analysis["significand_bits"].values)
    exponents = np.asarray(analysis["exponent_bits"].values)
    rounding = np.asarray([str(r) for r in analysis["rounding"].values])
    passes = np.asarray(analysis[f"passes_{variable}"].values)
    columns = sorted(set(zip(bits.tolist(), exponents.tolist())), reverse=True)
    modes = [m for m in ROUNDING_MODES if m in rounding]
    scale, units = display_scale(field.attrs)
    values = np.asarray(field.values, dtype=float) * scale
    title = f"W1 of {variable} to float64\nat every grid point"
    if values.ndim > 3:  # (format, level..., y, x): the mean over levels
        values = values.reshape((values.shape[0], -1) + values.shape[-2:]).mean(axis=1)
        title = f"W1 of {variable} to float64,\nmean over {', '.join(field.dims[1:-2])}"
    positive = values[np.isfinite(values) & (values > 0)]
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.size else None
    height = 1.9 * len(modes) + 1.1
    figure, axes = plt.subplots(len(modes), len(columns), squeeze=False,
                                figsize=(max(2.6 * len(columns), 5.2), height))
    figure.subplots_adjust(top=1.0 - 0.85 / height)  # room for the two-line title
    image = None
    for row, mode in enumerate(modes):
        for column, (width, exponent) in enumerate(columns):
            axis = axes[row][column]
            axis.set_xticks([])
            axis.set_yticks([])
            chosen = np.flatnonzero((rounding == mode) & (bits == width) & (exponents == exponent))
            if not chosen.size:
                axis.set_axis_off()
                continue
            index = chosen[0]
            panel = np.where(values[index] > 0, values[index], np.nan)
            image = axis.pcolormesh(panel, norm=norm, cmap="viridis")
            verdict = "pass" if passes[index] else "fail"
            axis.set_title(f"{analysis['format'].values[index]} ({verdict})", fontsize="small")
    if image is not None:
        figure.colorbar(image, ax=axes, shrink=0.8, label=f"W1 of {variable} [{units}]")
    figure.suptitle(f"{analysis.attrs['model']}: {title}")
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
