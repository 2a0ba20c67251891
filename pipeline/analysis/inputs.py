"""Which files may go into an analysis, and into the summaries built on it.

An analysis compares each test format's ensemble with the float64 reference (ensemble 0)
and calibrates the verdict with the null: float64 ensembles that differ from the reference
only in their initial perturbation (ensembles 1, 2, ...). That is only meaningful when all
files come from the same model parameters and seed, the reference is what it claims to be,
and every null is a different ensemble: a null equal to the reference has W1 = 0 and shrinks
the threshold, a null given twice counts its distance twice, and a run of another length
compares two different climates. Each check raises `InputError` with one sentence naming
the file and what was expected.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


class InputError(ValueError):
    """A file that does not belong where it was given (one sentence for the user)."""


def is_simulation(dataset: xr.Dataset) -> bool:
    return all(key in dataset.attrs for key in ("model", "number_format", "ensemble", "seed"))


def is_analysis(dataset: xr.Dataset) -> bool:
    return ("model" in dataset.attrs and "significand_bits" in dataset
            and any(name.startswith("passes_") for name in dataset.data_vars))


def is_bound_search(dataset: xr.Dataset) -> bool:
    """Every field a search file's summary reads (`pipeline.bounds.records`)."""
    from pipeline.bounds.records import NUMBER_FIELDS, STRING_FIELDS

    return all(name in dataset for name in (*STRING_FIELDS, *NUMBER_FIELDS))


def require(kind: str, check, paths: list[str], datasets: list[xr.Dataset], option: str) -> None:
    """Refuse the first of ``datasets`` for which ``check`` fails, naming ``kind``."""
    for path, dataset in zip(paths, datasets):
        if not check(dataset):
            raise InputError(f"{option} {path} is not {kind}.")


def _precision_key(key: str) -> bool:
    """A model parameter that chooses formats (mixed precision by component: the speedy
    model's ``<component>_format`` and ``reduced_components``), free to differ like the
    format itself."""
    return key.endswith("_format") or key == "model_reduced_components"


def _run_settings(dataset: xr.Dataset) -> dict:
    """What must agree between the files of one analysis: model parameters (but those that
    choose formats) and seed."""
    settings = {key: value for key, value in dataset.attrs.items()
                if key.startswith("model_") and not _precision_key(key)}
    settings["seed"] = dataset.attrs.get("seed")
    return settings


def _reduced_components(dataset: xr.Dataset) -> list[str]:
    """The components of a mixed-precision file that did not run in float64."""
    text = str(dataset.attrs.get("component_formats", ""))
    pairs = [item.split("=") for item in text.split(", ") if "=" in item]
    return [name for name, fmt in pairs if fmt != "float64"]


def _plain(value):
    """An attribute value as the user wrote it (7, not np.int64(7))."""
    return repr(np.asarray(value).tolist()) if value is not None else "nothing"


def _same(first, second) -> bool:
    """Equal attribute values (NetCDF hands back arrays for list-valued ones)."""
    if first is None or second is None:
        return first is second
    return np.array_equal(np.asarray(first), np.asarray(second))


def check_analysis_inputs(model: str, reference: tuple[str, xr.Dataset],
                          nulls: list[tuple[str, xr.Dataset]],
                          tests: list[tuple[str, xr.Dataset]], test_ensemble: int = 0) -> None:
    """Refuse inputs to `lowprec analyse` that do not belong together (see the module); the
    tests must be ensemble ``test_ensemble`` (a repeated probe's is above the nulls')."""
    for option, entries in (("--reference", [reference]), ("--null", nulls), ("--test", tests)):
        require("a simulation file from 'lowprec simulate'", is_simulation,
                [p for p, _ in entries], [d for _, d in entries], option)
        for path, dataset in entries:
            if dataset.attrs["model"] != model:
                raise InputError(f"{option} {path} holds model {dataset.attrs['model']!r}, "
                                 f"not {model!r}.")
    path, dataset = reference
    if dataset.attrs["number_format"] != "float64" or int(dataset.attrs["ensemble"]) != 0:
        raise InputError(
            f"--reference {path} is ensemble {dataset.attrs['ensemble']} at "
            f"{dataset.attrs['number_format']}; the reference must be ensemble 0 at float64.")
    for option, entries in (("--reference", [reference]), ("--null", nulls)):
        for path, dataset in entries:
            if reduced := _reduced_components(dataset):
                raise InputError(f"{option} {path} ran {', '.join(reduced)} below float64 "
                                 f"({dataset.attrs['component_formats']}); the reference "
                                 "and the nulls must be float64 throughout.")
    seen = {0: reference[0]}
    for path, dataset in nulls:
        ensemble = int(dataset.attrs["ensemble"])
        if dataset.attrs["number_format"] != "float64" or ensemble < 1:
            raise InputError(
                f"--null {path} is ensemble {ensemble} at {dataset.attrs['number_format']}; a "
                "null must be a float64 ensemble numbered 1 or more (--ensemble 1, 2, ...).")
        if ensemble in seen:
            raise InputError(f"--null {path} is ensemble {ensemble}, like {seen[ensemble]}; "
                             "each null must be a different ensemble.")
        seen[ensemble] = path
    for path, dataset in tests:
        if int(dataset.attrs["ensemble"]) != test_ensemble:
            if test_ensemble:
                raise InputError(
                    f"--test {path} is ensemble {dataset.attrs['ensemble']}; the previous "
                    f"record asks for its probe to be repeated with ensemble {test_ensemble}.")
            raise InputError(
                f"--test {path} is ensemble {dataset.attrs['ensemble']}; a test format must "
                "start from the reference's perturbations (ensemble 0).")
    expected = _run_settings(reference[1])
    for option, entries in (("--null", nulls), ("--test", tests)):
        for path, dataset in entries:
            settings = _run_settings(dataset)
            for key in sorted(set(expected) | set(settings)):
                if not _same(settings.get(key), expected.get(key)):
                    name = key.removeprefix("model_")
                    raise InputError(
                        f"{option} {path} was run with {name} = {_plain(settings.get(key))}, "
                        f"the reference {reference[0]} with {_plain(expected.get(key))}; every "
                        "file of an "
                        "analysis must come from the same parameters and seed.")
