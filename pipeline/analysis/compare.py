"""Compare every format's ensemble of one model with the float64 reference and the null."""

from __future__ import annotations

import numpy as np
import xarray as xr

from pipeline.analysis.significance import null_pvalues
from pipeline.analysis.verdicts import minimal_bits, null_threshold
from pipeline.analysis.wasserstein import wasserstein_1d
from pipeline.io.netcdf import global_attributes
from pipeline.precision import NumberFormat

SAMPLE_DIMS = ("member", "time")


def samples(dataset: xr.Dataset, variable: str) -> np.ndarray:
    """Values of ``variable`` with members and times pooled on axis 0: (samples, *grid)."""
    data = dataset[variable].transpose(*SAMPLE_DIMS, ...)
    values = np.asarray(data.values, dtype=np.float64)
    return values.reshape((-1,) + values.shape[2:])


def analysed_variables(dataset: xr.Dataset) -> list[str]:
    return [name for name, variable in dataset.data_vars.items()
            if variable.dims[:2] == SAMPLE_DIMS]


def grid_attributes(attributes) -> dict:
    """A simulation file's grid-coordinate attributes, fit for a file without its fields.

    A parametric vertical coordinate (speedy's sigma) names in ``formula_terms`` the fields
    that turn it into pressure (p = sigma ps + ptop); an analysis holds distances, not
    surface pressure, so CF-1.10 (section 4.3.3) would find those terms missing. The
    coordinate stays, as plain sigma: units, long name, axis and ``positive``.
    """
    attributes = dict(attributes)
    if "formula_terms" in attributes:
        for key in ("formula_terms", "computed_standard_name", "standard_name"):
            attributes.pop(key, None)
    return attributes


def compare_ensembles(reference: xr.Dataset, nulls: list[xr.Dataset],
                      tests: list[xr.Dataset], model: str, settings: dict) -> xr.Dataset:
    """W1 per variable and grid point, scores, the null threshold and pass flags."""
    formats = [NumberFormat.parse(test.attrs["number_format"]) for test in tests]
    names = [f.name for f in formats]
    if len(set(names)) != len(names):
        raise ValueError(f"A format appears twice among the test files: {names}.")
    coords = {
        "format": ("format", np.array(names, dtype=object), {"long_name": "number format"}),
        "null": ("null", np.arange(1, len(nulls) + 1, dtype=np.int32),
                 {"long_name": "index of the float64 null ensemble", "units": "1"}),
    }
    data = {
        "significand_bits": ("format", np.array([f.significand_bits for f in formats], np.int32),
                             {"long_name": "stored significand bits", "units": "1"}),
        "exponent_bits": ("format", np.array([f.exponent_bits for f in formats], np.int32),
                          {"long_name": "exponent bits", "units": "1"}),
        "rounding": ("format", np.array([f.rounding for f in formats], dtype=object),
                     {"long_name": "rounding mode (nearest or stochastic)"}),
        "blown_up_members": ("format", np.array(
            [int(np.isfinite(np.asarray(t["blowup_time"].values, dtype=np.float64)).sum())
             for t in tests], np.int32), {"long_name": "members that blew up", "units": "1"}),
    }
    minimal = {}
    for variable in analysed_variables(reference):
        grid_dims = reference[variable].dims[2:]
        for name, values in reference[variable].coords.items():
            if name in grid_dims:
                coords[name] = (name, values.values, grid_attributes(values.attrs))
        units = reference[variable].attrs.get("units", "1")
        long_name = reference[variable].attrs.get("long_name", variable)
        reference_samples = samples(reference, variable)
        test_w1 = np.stack([wasserstein_1d(samples(t, variable), reference_samples)
                            for t in tests]) if tests else np.zeros((0,) + reference_samples.shape[1:])
        null_w1 = np.stack([wasserstein_1d(samples(n, variable), reference_samples)
                            for n in nulls])
        grid_axes = tuple(range(1, test_w1.ndim))
        scores = test_w1.mean(axis=grid_axes) if grid_axes else test_w1
        null_scores = null_w1.mean(axis=grid_axes) if grid_axes else null_w1
        threshold = null_threshold(null_scores)
        passes = scores <= threshold
        data[f"w1_{variable}"] = (("format",) + grid_dims, test_w1, {
            "units": units, "long_name": f"1-Wasserstein distance of {long_name} to float64"})
        data[f"score_{variable}"] = ("format", scores, {
            "units": units, "long_name": f"W1 of {long_name} to float64, mean over grid points"})
        data[f"null_w1_{variable}"] = (("null",) + grid_dims, null_w1, {
            "units": units, "long_name": f"W1 of {long_name} between float64 ensembles"})
        data[f"null_score_{variable}"] = ("null", null_scores, {
            "units": units, "long_name": f"null W1 of {long_name}, mean over grid points"})
        data[f"threshold_{variable}"] = ((), threshold, {
            "units": units, "long_name": f"pass threshold for {long_name}: null mean + 3 sd"})
        data[f"passes_{variable}"] = ("format", passes.astype(np.int8), {
            "long_name": f"format passes for {long_name}", "flag_values": np.array([0, 1], np.int8),
            "flag_meanings": "fails passes"})
        if null_scores.size >= 3 and np.all(np.isfinite(null_scores) & (null_scores > 0)):
            data[f"pvalue_{variable}"] = ("format", null_pvalues(scores, null_scores), {
                "units": "1", "long_name": f"p-value of the score of {long_name} against the "
                "null (Student's t prediction of log W1; pipeline/analysis/significance.py)"})
        for mode in ("nearest", "stochastic"):
            chosen = [i for i, f in enumerate(formats) if f.rounding == mode]
            minimal[f"{variable}:{mode}"] = minimal_bits(
                [formats[i].significand_bits for i in chosen], [bool(passes[i]) for i in chosen])
    title = f"lowprec {model}: Wasserstein distances of each number format to float64"
    attributes = global_attributes(title, settings, {"model": model})
    for key, bits in minimal.items():
        attributes[f"min_significand_bits_{key.replace(':', '_')}"] = -1 if bits is None else bits
    dataset = xr.Dataset(data, coords=coords, attrs=attributes)
    return dataset
