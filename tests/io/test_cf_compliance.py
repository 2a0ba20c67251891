"""Every kind of NetCDF file lowprec writes passes the IOOS compliance checker at CF-1.10.

Issue 23 (defect 7) found Lorenz '63 files with a time in units "1" and no calendar or
standard_name, speedy analyses whose sigma named absent formula terms, bound searches in
"MiB" (not UDUNITS) and warnings on shallow water's channel coordinates. One tiny file of
each kind is made here through the CLI (in-process, for speed) and checked; a failed check of
high priority (the checker's "errors") fails the test and is quoted.
"""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main

checker = pytest.importorskip(
    "compliance_checker.runner",
    reason="the IOOS compliance-checker is not installed (pip install -e '.[test]')")

LORENZ = ["--set", "spinup=0.2", "--set", "length=0.5", "--set", "output_interval=0.1"]
SHALLOW = ["--set", "resolution_km=200", "--set", "days=0.5", "--set", "spinup_days=0",
           "--set", "output_interval_hours=6"]
SPEEDY = ["--set", "truncation=10", "--set", "days=0.5", "--set", "spinup_days=0",
          "--set", "output_interval_hours=12"]
HEAT2D = ["--set", "nx=6", "--set", "length=0.02", "--set", "output_interval=0.01"]
ENSEMBLES = {"lorenz63": (3, LORENZ), "shallow_water": (2, SHALLOW), "speedy": (2, SPEEDY)}


def lowprec(*arguments) -> None:
    assert main([str(a) for a in arguments]) == 0, arguments


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict:
    """One small file of every kind lowprec writes, by kind."""
    root = tmp_path_factory.mktemp("cf")
    files = {}
    for model, (members, sets) in ENSEMBLES.items():
        common = ["simulate", model, "--members", members, "--seed", 1, *sets]
        runs = {"reference": ("float64", 0), "null-1": ("float64", 1),
                "null-2": ("float64", 2), "test": ("e11m10-sr", 0)}
        for name, (fmt, ensemble) in runs.items():
            lowprec(*common, "--format", fmt, "--ensemble", ensemble,
                    "--out", root / f"{model}-{name}.nc")
        files[f"{model} simulation"] = root / f"{model}-test.nc"
        files[f"{model} analysis"] = root / f"{model}-analysis.nc"
        lowprec("analyse", model, "--reference", root / f"{model}-reference.nc",
                "--null", root / f"{model}-null-1.nc", root / f"{model}-null-2.nc",
                "--test", root / f"{model}-test.nc", "--out", files[f"{model} analysis"])
    files["minimal-bits summary"] = root / "minimal_bits.nc"
    lowprec("summarise", files["lorenz63 analysis"], files["speedy analysis"],
            "--csv", root / "minimal_bits.csv", "--netcdf", files["minimal-bits summary"])
    files["heat_column simulation"] = root / "heat_column.nc"
    lowprec("simulate", "heat_column", "--format", "e11m10-sr", "--members", 2, "--seed", 1,
            "--set", "years=0.2", "--out", files["heat_column simulation"])
    files["heat2d simulation"] = root / "heat2d.nc"
    lowprec("simulate", "heat2d", "--format", "float64", "--members", 1, "--seed", 1, *HEAT2D,
            "--out", files["heat2d simulation"])
    files["bound search"] = root / "search.nc"
    lowprec("search", "theta", "--graph", "C5", "--solvers", "CLARABEL",
            "--out", files["bound search"])
    files["relax"] = root / "relax.nc"
    lowprec("relax", "shifted-laplacian", "--learner", "tsallis-inf,best-fixed",
            "--instances", 3, "--trials", 1, "--format", "e11m10-sr", "--seed", 1,
            "--set", "grid=4", "--out", files["relax"])
    files["relax summary"] = root / "relax_summary.nc"
    lowprec("relax-summary", files["relax"], "--csv", root / "relax_summary.csv",
            "--netcdf", files["relax summary"])
    return files


KINDS = ["lorenz63 simulation", "lorenz63 analysis", "shallow_water simulation",
         "shallow_water analysis", "speedy simulation", "speedy analysis",
         "heat_column simulation", "heat2d simulation", "minimal-bits summary", "bound search",
         "relax", "relax summary"]


def failed_checks(path, report) -> dict[str, list[str]]:
    """{priority: ["section: message", ...]} of the checks cf:1.10 failed on ``path``."""
    checker.CheckSuite().load_all_available_checkers()  # once per process; cheap after
    checker.ComplianceChecker.run_checker(str(path), ["cf:1.10"], verbose=0,
                                          criteria="normal", output_filename=str(report),
                                          output_format="json")
    results = json.loads(report.read_text())["cf:1.10"]
    failed = {}
    for priority in ("high_priorities", "medium_priorities", "low_priorities"):
        failed[priority] = [f"{item['name']}: {'; '.join(item['msgs'])}"
                            for item in results[priority] if item["value"][0] < item["value"][1]]
    return failed


@pytest.mark.parametrize("kind", KINDS)
def test_output_has_no_cf_errors(outputs, tmp_path, kind):
    failed = failed_checks(outputs[kind], tmp_path / "report.json")
    assert failed["high_priorities"] == [], "\n".join(failed["high_priorities"])


@pytest.mark.parametrize("kind", ["shallow_water simulation", "lorenz63 simulation",
                                  "speedy simulation", "bound search"])
def test_output_has_no_cf_warnings_either(outputs, tmp_path, kind):
    failed = failed_checks(outputs[kind], tmp_path / "report.json")
    assert failed["medium_priorities"] == [], "\n".join(failed["medium_priorities"])
