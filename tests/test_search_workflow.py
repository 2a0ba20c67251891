"""The adaptive search in the workflow: checkpoints grow the DAG probe by probe, the summary
is made from the probed formats, and an interrupted search resumes where it stopped."""

import csv
import json

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


def test_bisection_in_the_workflow_resumes_after_an_interruption(tmp_path, run_tool):
    config = tmp_path / "search.yaml"
    config.write_text(CONFIG)
    snakemake = ("snakemake", "--snakefile", ROOT / "Snakefile", "--directory", tmp_path,
                 "--configfile", config, "--profile", ROOT / "workflow" / "profiles" / "default",
                 "--cores", "2")
    search = tmp_path / "results" / "heat_column" / "search" / "nearest"
    # Interrupted after two probes: ask only for the second step's record.
    run_tool(*snakemake, "results/heat_column/search/nearest/probe-1.json", timeout=900)
    done = {path.name: path.stat().st_mtime_ns for path in search.glob("probe-*.json")}
    assert sorted(done) == ["probe-0.json", "probe-1.json"]
    run_tool(*snakemake, timeout=900)
    for name, mtime in done.items():
        assert (search / name).stat().st_mtime_ns == mtime  # not redone
    records = sorted(search.glob("probe-*.json"), key=lambda p: int(p.stem.split("-")[1]))
    last = json.loads(records[-1].read_text())
    assert last["next"] is None
    widths = [p["significand_bits"] for p in last["probes"]]
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
