"""CF-1.10 NetCDF output with provenance, written atomically.

Every file carries the global attributes ARCHITECTURE.md asks for (``Conventions``,
``title``, ``source``, ``history``, ``institution``, ``references``), the precision metadata
of its number format, the package version, the seed and a SHA-256 hash of the configuration
that produced it; every variable its ``units`` and ``long_name`` (and ``standard_name`` where
CF has one). Data variables are zlib-compressed. Files are written under a temporary name and
renamed (`pipeline.io.atomic`), so a killed job never leaves a complete-looking file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import shlex
import sys
from pathlib import Path

import numpy as np
import xarray as xr

from pipeline import __version__
from pipeline.io.atomic import atomic_path

INSTITUTION = "lowprec (reduced-precision climate-model study pipeline)"
REFERENCES = (
    "Paxton, E. A., M. Chantry, M. Klöwer, L. Saffin and T. Palmer, 2022: Climate modeling in "
    "low precision: effects of both deterministic and stochastic rounding. J. Climate, 35, "
    "1215-1229, doi:10.1175/JCLI-D-21-0343.1"
)


def config_hash(settings: dict) -> str:
    """SHA-256 of the settings as canonical JSON: equal settings, equal hash."""
    text = json.dumps(settings, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def history_line(argv: list[str] | None = None) -> str:
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    command = shlex.join(["lowprec", *(sys.argv[1:] if argv is None else argv)])
    return f"{stamp}: {command}"


def global_attributes(title: str, settings: dict, extra: dict | None = None) -> dict:
    attributes = {
        "Conventions": "CF-1.10",
        "title": title,
        "institution": INSTITUTION,
        "source": f"lowprec-pipeline {__version__}",
        "history": history_line(),
        "references": REFERENCES,
        "lowprec_version": __version__,
        "config_hash": config_hash(settings),
        "config_json": json.dumps(settings, sort_keys=True, default=str),
    }
    attributes.update(extra or {})
    return {key: _netcdf_value(value) for key, value in attributes.items()}


def _netcdf_value(value):
    if isinstance(value, bool):
        return int(value)
    if value is None:
        return ""
    return value


def write_dataset(dataset: xr.Dataset, path) -> None:
    """Write ``dataset`` to ``path`` atomically, zlib-compressing data variables."""
    encoding = {}
    for name, variable in dataset.data_vars.items():
        if np.issubdtype(variable.dtype, np.number):
            encoding[name] = {"zlib": True, "complevel": 4}
    for name in dataset.coords:
        encoding[name] = {"_FillValue": None}  # CF: coordinates hold no missing values
    with atomic_path(Path(path)) as temporary:
        dataset.to_netcdf(temporary, format="NETCDF4", encoding=encoding)
