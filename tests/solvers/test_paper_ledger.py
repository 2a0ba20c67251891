"""The paper-table ledger (benchmarks/relax_paper_table.py): two workers share the trials,
its table is relax-summary's for the same runs, and a finished (format, trial) is not redone."""

import importlib.util
import sys
from pathlib import Path

import pytest
import xarray as xr

from pipeline.solvers.records import summary_rows

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "relax_paper_table.py"


@pytest.fixture(scope="module")
def paper_table():
    spec = importlib.util.spec_from_file_location("relax_paper_table", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(module, monkeypatch, *arguments):
    monkeypatch.setattr(sys, "argv", ["relax_paper_table.py", *arguments])
    module.main()


def test_two_workers_fill_the_ledger_and_its_table_is_relax_summarys(
        paper_table, monkeypatch, tmp_path, capsys):
    ledger, kept = tmp_path / "ledger.csv", tmp_path / "runs"
    common = ["--ledger", str(ledger), "--keep", str(kept), "--trials", "3",
              "--instances", "6", "--formats", "float64"]
    run_script(paper_table, monkeypatch, *common, "--worker", "1/2")
    assert {int(r["trial"]) for r in paper_table.ledger_rows(ledger)} == {1}
    run_script(paper_table, monkeypatch, *common, "--worker", "0/2")
    rows = paper_table.ledger_rows(ledger)
    assert sorted(int(r["trial"]) for r in rows) == [0] * 4 + [1] * 4 + [2] * 4
    assert ledger.read_text().count("number_format") == 1  # one header

    files = sorted(kept.glob("*.nc"))
    assert len(files) == 3
    datasets = [xr.load_dataset(path) for path in files]
    expected = {row["learner"]: row for row in summary_rows(datasets)}
    table = paper_table.table(rows, 6)
    assert {row["learner"] for row in table} == set(paper_table.LEARNERS)
    for row in table:
        reference = expected[row["learner"]]
        assert row["trials"] == reference["trials"] == 3
        for name in ("total_iterations", "ratio_to_best_fixed", "ratio_to_instance_optimal",
                     "converged_fraction"):
            assert row[name] == pytest.approx(reference[name], rel=1e-12), name

    before = ledger.read_text()
    capsys.readouterr()
    run_script(paper_table, monkeypatch, *common)  # everything is in the ledger already
    assert ledger.read_text() == before
    assert capsys.readouterr().out.startswith("format")  # the table, and no run reported


def test_a_bad_worker_gets_one_sentence(paper_table, monkeypatch, tmp_path, capsys):
    with pytest.raises(SystemExit):
        run_script(paper_table, monkeypatch, "--ledger", str(tmp_path / "l.csv"),
                   "--worker", "2/2")
    assert "--worker must be I/N with 0 <= I < N, not '2/2'" in capsys.readouterr().err
    assert not (tmp_path / "l.csv").exists()
