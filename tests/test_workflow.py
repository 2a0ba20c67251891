"""The Snakemake workflow: schema and configs agree, lint is clean, and an end-to-end run of
config/test.yaml on 2 MPI ranks produces the summary and the report it must."""

import csv
from pathlib import Path

import pytest
import yaml
from snakemake.utils import validate

from pipeline.models import get_model
from pipeline.models.base import parse_overrides
from tests.conftest import ROOT, SHIPPED_CONFIGS, usable_config
from tests.report_html import assert_complete_report

@pytest.mark.parametrize("path", SHIPPED_CONFIGS, ids=lambda p: p.name)
def test_every_config_validates_against_the_schema_and_the_models(path, tmp_path):
    config = yaml.safe_load(usable_config(path, tmp_path).read_text())
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"))
    for name, model in config["models"].items():
        parse_overrides(get_model(name).Config,
                        {k: str(v) for k, v in model.get("parameters", {}).items()}, name)


def test_schema_defaults_fill_a_minimal_config():
    config = {"formats": ["e11m10"], "models": {"lorenz63": {"members": 2, "members_per_task": 1}}}
    validate(config, str(ROOT / "workflow" / "schemas" / "config.schema.yaml"), set_default=True)
    assert config["seed"] == 2026 and config["mpi_tasks"] == 2 and config["null_ensembles"] == 3


def test_a_bad_config_value_is_named_in_the_error(tmp_path, run_tool):
    bad = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    bad["models"]["heat_column"]["parameters"]["years"] = "many"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = run_tool("snakemake", "-n", "--configfile", path, "--directory", tmp_path,
                      "--snakefile", ROOT / "Snakefile", check=False)
    assert result.returncode != 0
    assert "Parameter 'years' of model heat_column must be a float" in result.stdout + result.stderr


def test_lint_has_nothing_to_say(run_tool):
    result = run_tool("snakemake", "--lint", check=False)
    assert result.returncode == 0
    assert "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr


@pytest.mark.workflow
def test_end_to_end_run_of_the_test_config_on_two_ranks(tmp_path, run_tool):
    arguments = ("--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
                 "--configfile", ROOT / "config" / "test.yaml",
                 "--profile", ROOT / "workflow" / "profiles" / "default")
    run_tool("snakemake", *arguments, "--cores", "2", timeout=1200)
    # The report of the run (`snakemake --report report.html`, as the README says).
    assert_complete_report(tmp_path, run_tool, arguments,
                           yaml.safe_load((ROOT / "config" / "test.yaml").read_text()))
    summary = tmp_path / "results" / "summary"
    with open(summary / "minimal_bits.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert set(rows[0]) == {"model", "variable", "rounding", "min_significand_bits"}
    keys = {(r["model"], r["variable"], r["rounding"]) for r in rows}
    expected = {(m, v, r) for m, vs in [("lorenz63", "xyz"), ("heat_column", ["temperature"]),
                                        ("shallow_water", ["u", "v", "eta", "kinetic_energy"]),
                                        ("speedy", ["u", "v", "temperature", "surface_pressure",
                                                    "geopotential_height", "global_mean_temperature",
                                                    "global_mean_kinetic_energy",
                                                    "specific_humidity",
                                                    "global_mean_specific_humidity"]),
                                        ("heat2d", ["temperature"])]
                for v in vs for r in ("nearest", "stochastic")}
    assert keys == expected
    for row in rows:
        assert row["min_significand_bits"] == "" or 1 <= int(row["min_significand_bits"]) <= 52
    for name in ("w1_lorenz63.png", "w1_heat_column.png", "profiles_heat_column.png",
                 "w1_shallow_water.png", "maps_shallow_water_eta.png", "w1_speedy.png",
                 "maps_speedy_surface_pressure.png"):
        assert (summary / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The relax study: every learner of every sequence and format in the summary.
    with open(summary / "relax.csv") as stream:
        relax = list(csv.DictReader(stream))
    assert {(r["sequence"], r["number_format"], r["learner"]) for r in relax} == {
        (s, f, l) for s, learners in [("shifted-laplacian", ["tsallis-inf", "chebcb",
                                                             "best-fixed", "instance-optimal"]),
                                      ("heat2d", ["tsallis-inf", "instance-optimal"])]
        for f in ("float64", "e11m10-sr") for l in learners}
    assert (summary / "relax_heat2d_cost.png").read_bytes()[:4] == b"\x89PNG"
    # Simulations ran on 2 ranks as configured, and every file is CF with a format.
    import xarray as xr
    dataset = xr.open_dataset(tmp_path / "results" / "heat_column" / "e11m10-sr.nc")
    assert dataset.attrs["number_format"] == "e11m10-sr" and dataset.sizes["member"] == 4
    analysis = xr.open_dataset(tmp_path / "results" / "heat_column" / "analysis.nc")
    # The column's slow warming stalls under round to nearest at 6 bits: it fails.
    passes = dict(zip(analysis["format"].values, analysis["passes_temperature"].values))
    assert passes["e11m6"] == 0
    # Shallow water started from its float64 spin-up and ran at float16 widths unharmed.
    water = xr.open_dataset(tmp_path / "results" / "shallow_water" / "float16.nc")  # e5m10
    assert water.attrs["model_initial_file"].endswith("results/shallow_water/spinup.nc")
    assert water.attrs["blown_up_members"] == 0
    # The atmosphere too, on its chosen output levels, and its analysis maps them per point.
    atmosphere = xr.open_dataset(tmp_path / "results" / "speedy" / "e11m10-sr.nc")
    assert atmosphere.attrs["model_initial_file"].endswith("results/speedy/spinup.nc")
    assert atmosphere.sizes["sigma"] == 2 and atmosphere.sizes["lat"] == 16
    w1 = xr.open_dataset(tmp_path / "results" / "speedy" / "analysis.nc")["w1_temperature"]
    assert w1.dims == ("format", "sigma", "lat", "lon")
    # Humidity rode along from the spin-up file (which held it on every level).
    spinup = xr.open_dataset(tmp_path / "results" / "speedy" / "spinup.nc")
    assert spinup["specific_humidity"].attrs["standard_name"] == "specific_humidity"
    assert spinup.sizes["sigma"] == 8 and atmosphere["specific_humidity"].sizes["sigma"] == 2
    assert 0.01 < float(atmosphere["specific_humidity"].max()) < 0.03
