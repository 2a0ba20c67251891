"""The workflow's config as users give it: `snakemake --configfile FILE` from the repository
root (as the README says) plans FILE's jobs alone, and a bad FILE stops it with one line."""

import copy
import re

import pytest
import yaml

from tests.conftest import ROOT

TEST_CONFIG = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())


def planned_jobs(output: str) -> dict[str, int]:
    """{rule: count} from the 'Job stats' table of a dry run."""
    table = output[output.index("Job stats:"):]
    counts = {}
    for line in table.splitlines()[3:]:
        match = re.match(r"^(\S+)\s+(\d+)$", line.strip())
        if not match or match.group(1) == "total":
            break
        counts[match.group(1)] = int(match.group(2))
    return counts


def dry_run(run_tool, *arguments):
    return run_tool("snakemake", "-n", *arguments, check=False, cwd=ROOT, timeout=300)


def test_a_configfile_from_the_repository_root_replaces_the_default(run_tool):
    result = dry_run(run_tool, "--configfile", "config/test.yaml")
    assert result.returncode == 0, result.stderr
    jobs = planned_jobs(result.stdout)
    # test.yaml's single theta search, not the default's seven bound searches...
    assert jobs["bound_search"] == 1
    assert "kissing" not in result.stdout and "cohn-elkies" not in result.stdout
    # ...its null ensembles (2 per model), not lorenz63's 8 from config/config.yaml...
    assert jobs["simulate_null"] == 2 * len(TEST_CONFIG["models"])
    # ...and its own models and formats.
    simulations = sum(len({*model.get("formats", TEST_CONFIG["formats"]), "float64"})
                      for model in TEST_CONFIG["models"].values())
    assert jobs["simulate"] == simulations
    assert jobs["spinup"] == sum("spinup" in m for m in TEST_CONFIG["models"].values())


def test_without_a_configfile_the_default_is_planned(run_tool):
    result = dry_run(run_tool)
    assert result.returncode == 0, result.stderr
    assert planned_jobs(result.stdout)["bound_search"] == 7


def test_a_config_can_drop_models_and_bounds_the_default_has(tmp_path, run_tool):
    small = copy.deepcopy(TEST_CONFIG)
    small["models"] = {"lorenz63": small["models"]["lorenz63"]}
    del small["bounds"], small["solvers"]
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(small))
    result = dry_run(run_tool, "--configfile", path)
    assert result.returncode == 0, result.stderr
    jobs = planned_jobs(result.stdout)
    assert "bound_search" not in jobs and "relax" not in jobs
    assert set(jobs) == {"simulate", "simulate_null", "analyse", "plot_distances", "summarise",
                         "provenance", "all"}


@pytest.mark.parametrize("change,expected", [
    (lambda c: c.pop("formats"), "top level: the required key 'formats' is missing"),
    (lambda c: c["models"]["speedy"].update(members=4.0),
     "config key models.speedy.members: 4.0 is not an integer; use a whole number"),
    (lambda c: c["bounds"]["searches"].update(
        {"kissing-sdp": {"dimensions": [3], "degrees": [20]}}),
     "config key bounds.searches.kissing-sdp.degrees.0: 20 is out of range; use a whole "
     "number from 1 to 16."),
])
def test_snakemake_stops_a_bad_config_with_one_line(tmp_path, run_tool, change, expected):
    """Three of issue 23's findings through Snakemake itself (tests/test_configuration.py
    has the whole table through the same check)."""
    bad = copy.deepcopy(TEST_CONFIG)
    change(bad)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = dry_run(run_tool, "--configfile", path)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and lines[0].startswith(f"lowprec: error: {path}: "), result.stderr
    assert expected in lines[0], lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_snakemake_names_a_key_given_twice_with_its_line(tmp_path, run_tool):
    path = tmp_path / "twice.yaml"
    path.write_text((ROOT / "config" / "test.yaml").read_text() + "seed: 8\n")
    result = dry_run(run_tool, "--configfile", path)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert re.search(rf"{path}, line \d+, column 1: invalid YAML: key 'seed' is given twice",
                     result.stderr), result.stderr


@pytest.mark.extended
def test_a_larger_float64_reference_runs_with_reference_members(tmp_path, run_tool):
    """Paxton et al. (2022) ran 10 float64 members against 5 per format: the reference has
    reference_members, the formats and the null ensembles members, and the analysis takes
    the unequal samples (W1 between empirical distributions of n and m values)."""
    import xarray as xr

    small = copy.deepcopy(TEST_CONFIG)
    small["models"] = {"lorenz63": {**small["models"]["lorenz63"], "reference_members": 6}}
    del small["bounds"], small["solvers"]
    path = tmp_path / "reference.yaml"
    path.write_text(yaml.safe_dump(small))
    run_tool("snakemake", "--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
             "--configfile", path, "--cores", "2", "results/lorenz63/analysis.nc",
             timeout=600)
    results = tmp_path / "results" / "lorenz63"
    members = {}
    for name in ("float64", "e11m6", "e11m10-sr", "null/float64-ensemble1"):
        with xr.open_dataset(results / f"{name}.nc") as dataset:
            members[name] = dataset.sizes["member"]
    assert members == {"float64": 6, "e11m6": 4, "e11m10-sr": 4, "null/float64-ensemble1": 4}
    with xr.open_dataset(results / "analysis.nc") as analysis:
        assert analysis["score_x"].sel(format="e11m6") > 0


def test_reference_members_below_members_per_task_is_one_sentence(tmp_path, run_tool):
    bad = copy.deepcopy(TEST_CONFIG)
    bad["models"]["lorenz63"]["reference_members"] = 2
    bad["models"]["lorenz63"]["members_per_task"] = 3
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad))
    result = run_tool("lowprec", "check-config", path, check=False)
    assert result.returncode == 2
    assert "reference_members: 2 is fewer than members_per_task (3)" in result.stderr
    assert result.stderr.count("\n") == 1
