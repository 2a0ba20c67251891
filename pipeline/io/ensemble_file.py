"""The simulation file: one model at one number format, all members, as a CF dataset."""

from __future__ import annotations

import dataclasses

import numpy as np
import xarray as xr

from pipeline.io.netcdf import global_attributes
from pipeline.models.base import config_attributes
from pipeline.models.run import BlockResult
from pipeline.precision import NumberFormat


def ensemble_dataset(model_class, config, fmt: NumberFormat, blocks: list[BlockResult],
                     settings: dict) -> xr.Dataset:
    """Assemble block results (in member order) into a CF-1.10 dataset."""
    model = model_class(config, fmt)
    members = np.array([m for block in blocks for m in block.members], dtype=np.int32)
    times = blocks[0].times
    coords = {
        "member": ("member", members, {"standard_name": "realization",
                                       "long_name": "ensemble member number", "units": "1"}),
        "time": ("time", times, time_attributes(model)),
    }
    for name, (values, attributes) in model.coordinates().items():
        coords[name] = (() if np.ndim(values) == 0 else name, values, attributes)
    data = {}
    for name, variable in model.variables.items():
        values = np.concatenate([block.fields[name] for block in blocks], axis=0)
        attributes = {"units": variable.units, "long_name": variable.long_name}
        if variable.standard_name:
            attributes["standard_name"] = variable.standard_name
        if variable.cell_methods:
            attributes["cell_methods"] = variable.cell_methods
        data[name] = (variable.dims, values, attributes)
    blowup = np.concatenate([block.blowup_time for block in blocks])
    data["blowup_time"] = ("member", blowup, {
        "units": model.time_units,
        "long_name": "first output time with a non-finite value (NaN: the member never blew up)",
    })
    title = f"lowprec {model_class.name} ensemble at {fmt}"
    extra = {
        **fmt.attributes(),
        "model": model_class.name,
        "seed": settings["seed"],
        "ensemble": settings["ensemble"],
        "members_per_task": settings["members_per_task"],
        "blown_up_members": int(np.isfinite(blowup).sum()),
        **config_attributes(config),
    }
    components = getattr(model, "component_formats", None)
    if components:  # mixed precision by component: what each part computed in
        extra["component_formats"] = ", ".join(f"{name}={part.name}"
                                               for name, part in components.items())
    return xr.Dataset(data, coords=coords, attrs=global_attributes(title, settings, extra))


# CF-1.10 (section 4.4) asks a time coordinate for "UNIT since EPOCH"; a nondimensional
# model (Lorenz '63, the unit-square heat equation) keeps its numbers, one model time unit
# written as one second, and says so.
DIMENSIONLESS_TIME_UNITS = "seconds since 2000-01-01 00:00:00"


def time_attributes(model) -> dict:
    """CF attributes of the time coordinate: model days, or nondimensional model time."""
    attributes = {"units": model.time_units, "long_name": model.time_long_name, "axis": "T",
                  "standard_name": "time", "calendar": "365_day"}
    if model.time_units == "1":
        attributes["units"] = DIMENSIONLESS_TIME_UNITS
        attributes["comment"] = ("the model is nondimensional: time values are model time "
                                 "units, written as seconds because CF needs a time unit")
    return attributes


def read_config(model_class, dataset: xr.Dataset):
    """Rebuild the model config a file was made with, from its ``model_*`` attributes."""
    names = {field.name for field in dataclasses.fields(model_class.Config)}
    values = {name: dataset.attrs[f"model_{name}"] for name in names
              if f"model_{name}" in dataset.attrs}
    return model_class.Config(**{k: type(getattr(model_class.Config(), k))(v)
                                 for k, v in values.items()})
