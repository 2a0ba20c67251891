"""The adaptive search in the workflow: checkpoints grow the DAG probe by probe, the summary
is made from the probed formats, and an interrupted search resumes where it stopped."""

import csv
import json

import pytest

from tests.conftest import ROOT

CONFIG = """\
seed: 5
mpi_tasks: 1
null_ensembles: 3
formats: [float64]
search: {mode: bisect, low: 8, high: 23, roundings: [nearest]}
models:
  heat_column:
    members: 4
    members_per_task: 4
    parameters: {years: 1, output_interval_days: 30}
"""


@pytest.mark.workflow
def test_bisection_in_the_workflow_resumes_after_an_interruption(tmp_path, run_tool):
    config = tmp_path / "search.yaml"
    config.write_text(CONFIG)
    snakemake = ("snakemake", "--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
                 "--configfile", config, "--profile", ROOT / "workflow" / "profiles" / "default",
                 "--cores", "2")
    search = tmp_path / "results" / "heat_column" / "search" / "all" / "nearest"
    # Interrupted after two probes: ask only for the second step's record.
    run_tool(*snakemake, "results/heat_column/search/all/nearest/probe-1.json", timeout=900)
    done = {path.name: path.stat().st_mtime_ns for path in search.glob("probe-*.json")}
    assert sorted(done) == ["probe-0.json", "probe-1.json"]
    run_tool(*snakemake, timeout=900)
    for name, mtime in done.items():
        assert (search / name).stat().st_mtime_ns == mtime  # not redone
    records = sorted(search.glob("probe-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    last = json.loads(records[-1].read_text())
    assert last["next"] is None
    widths = [p["significand_bits"] for p in last["probes"]]
    for probe in last["probes"]:  # a narrow failure is judged again on a fresh ensemble
        if "repeat" in probe:
            assert (tmp_path / "results" / "heat_column" / "repeat" / "all" /
                    f"{probe['format']}-ensemble4.nc").is_file()
    assert len(widths) == len(set(widths)) <= 5  # ceil(log2(23 - 8 + 2)) = 5 for one variable
    with open(tmp_path / "results" / "summary" / "minimal_bits.csv") as stream:
        rows = {(r["variable"], r["rounding"]): r["min_significand_bits"]
                for r in csv.DictReader(stream)}
    expected = last["minimal_bits"]["temperature"]
    assert rows[("temperature", "nearest")] == ("" if expected is None else str(expected))
    # The answer is bracketed by the probes: it passes and one bit fewer fails (or is low).
    verdicts = {p["significand_bits"]: p["passes"]["temperature"] for p in last["probes"]}
    if expected is not None:
        assert verdicts[expected] and (expected == 8 or verdicts[expected - 1] is False)
    with open(tmp_path / "results" / "summary" / "probes.csv") as stream:
        probes = list(csv.DictReader(stream))
    assert [int(p["significand_bits"]) for p in probes] == widths
    assert (tmp_path / "results" / "summary" / "search_path.png").read_bytes()[:4] == b"\x89PNG"


COMPONENT_CONFIG = """\
seed: 5
mpi_tasks: 1
null_ensembles: 3
formats: [float64]
models:
  speedy:
    members: 4
    members_per_task: 4
    search: {mode: bisect, low: 8, high: 20, roundings: [nearest],
             components: [dynamics, physics]}
    parameters: {truncation: 10, physics: speedy, steps_per_day: 24, days: 1, spinup_days: 0,
                 output_interval_hours: 12, perturbation: 0.1}
"""


@pytest.mark.extended
def test_each_component_is_searched_alone_and_the_minima_are_run_together(tmp_path, run_tool):
    import xarray as xr

    config = tmp_path / "components.yaml"
    config.write_text(COMPONENT_CONFIG)
    run_tool("snakemake", "--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
             "--configfile", config, "--profile", ROOT / "workflow" / "profiles" / "default",
             "--cores", "2", timeout=1200)
    results = tmp_path / "results"
    with open(results / "summary" / "component_bits_speedy.csv") as stream:
        rows = {r["component"]: r for r in csv.DictReader(stream)}
    assert sorted(rows) == ["combined", "dynamics", "physics"]
    physics = ("column", "convection", "condensation", "clouds", "shortwave", "longwave",
               "surface_fluxes", "vertical_diffusion", "land")
    expected = {}
    for component, reduced in (("dynamics", ("dynamics",)), ("physics", physics)):
        last = json.loads((results / "speedy" / "search" / component / "nearest" /
                           "final.json").read_text())
        assert last["component"] == component and last["next"] is None
        minima = last["minimal_bits"].values()
        bits = None if None in minima else max(minima)
        assert rows[component]["min_significand_bits"] == ("" if bits is None else str(bits))
        # Each probe ran the component alone at the probed width, the rest in float64, as
        # the model itself records in the file.
        for probe in last["probes"]:
            run = results / "speedy" / "components" / component / f"{probe['format']}.nc"
            with xr.open_dataset(run) as dataset:
                formats = dict(pair.split("=") for pair in
                               dataset.attrs["component_formats"].split(", "))
            assert {name for name, fmt in formats.items() if fmt != "float64"} == set(reduced)
            assert {formats[name] for name in reduced} == {probe["format"]}
        for probe in last["probes"]:  # a narrow failure is judged again on ensemble 3 + 1
            if "repeat" in probe:
                assert probe["repeat"]["ensemble"] == 4
                assert (results / "speedy" / "repeat" / component /
                        f"{probe['format']}-ensemble4.nc").is_file()
        if bits is not None:
            expected.update({name: f"e11m{bits}" for name in reduced})
    # The confirmation run holds every component at its own minimum.
    with xr.open_dataset(results / "speedy" / "components" / "combined-nearest.nc") as dataset:
        formats = dict(pair.split("=") for pair in dataset.attrs["component_formats"].split(", "))
    assert {name: fmt for name, fmt in formats.items() if fmt != "float64"} == expected
    assert rows["combined"]["combined_passes"] in ("0", "1")
    assert (rows["combined"]["combined_passes"] == "1") == (rows["combined"]["failing_variables"]
                                                           == "")
    with open(results / "summary" / "probes.csv") as stream:
        scopes = {r["component"] for r in csv.DictReader(stream)}
    assert scopes == {"all", "dynamics", "physics"}
