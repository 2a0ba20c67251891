"""Bound searches: successive halving, Pareto fronts, NetCDF records, MPI and the CLI."""

import json
import math

import numpy as np
import pytest
import xarray as xr

from pipeline.bounds.search import Arm, Instance, pareto_front, successive_halving

pytestmark = pytest.mark.filterwarnings("ignore")


def test_arms_parse_and_reject_bad_solvers():
    assert Arm.parse("sdpa:128") == Arm("SDPA", 128)
    assert Arm.parse("SDPA") == Arm("SDPA", 200)
    assert Arm.parse("clarabel") == Arm("CLARABEL", 0)
    assert Arm.parse("SDPA:128/monomial") == Arm("SDPA", 128, "monomial")
    assert Arm.parse("CLARABEL/chebyshev") == Arm("CLARABEL", 0, "chebyshev")
    assert str(Arm.parse("sdpa:256/Monomial")) == "SDPA:256/monomial"
    for bad in ("gurobi", "SDPA:8", "SCS:64", "SDPA/legendre"):
        with pytest.raises(ValueError):
            Arm.parse(bad)


def test_the_basis_is_an_arm_of_the_three_point_search_and_is_recorded(tmp_path):
    from pipeline.bounds.records import best_rows, write_search

    arms = [Arm("SDPA", 128, "monomial"), Arm("SDPA", 128, "chebyshev")]
    records = successive_halving(Instance("kissing-sdp", 3), [4], arms)
    assert [r["basis"] for r in records] == ["monomial", "chebyshev"]
    # Two bases related by an invertible congruence: one SDP, one optimum.
    assert records[0]["value"] == pytest.approx(records[1]["value"], rel=1e-10)
    write_search(records, tmp_path / "search.nc", {})
    with xr.open_dataset(tmp_path / "search.nc") as dataset:
        assert list(dataset["basis"].values) == ["monomial", "chebyshev"]
    (row,) = best_rows([tmp_path / "search.nc"], {})
    assert row["solver"] in ("SDPA:128/monomial", "SDPA:128")


def test_successive_halving_keeps_the_better_half_and_respects_the_budget():
    arms = [Arm("CLARABEL"), Arm("SCS"), Arm("SDPA", 128)]
    records = successive_halving(Instance("kissing-lp", 3), [4, 8, 12], arms)
    rungs = [r["rung"] for r in records]
    assert rungs == [0, 0, 0, 1, 1, 2]  # 3 arms, then 2, then 1
    rung0 = records[:3]
    survivors = {(r["solver"], r["precision_bits"]) for r in records[3:5]}
    ranked = sorted(rung0, key=lambda r: r["certified"] if not math.isnan(r["certified"]) else math.inf)
    assert survivors == {(r["solver"], r["precision_bits"]) for r in ranked[:2]}
    assert all(r["degree"] == 8 for r in records[3:5])
    limited = successive_halving(Instance("kissing-lp", 3), [4, 8, 12], arms, budget_solves=4)
    assert len(limited) == 4


def test_pareto_front():
    records = [{"certified": 10.0, "seconds": 1.0}, {"certified": 9.0, "seconds": 5.0},
               {"certified": 9.5, "seconds": 6.0}, {"certified": math.nan, "seconds": 0.1}]
    assert pareto_front(records) == [0, 1]


def test_cli_bound_prints_one_json_object(run_tool):
    result = run_tool("lowprec", "bound", "kissing-sdp", "--dimension", "8", "--degree", "3", "--json")
    record = json.loads(result.stdout)
    assert {"value", "certified", "status", "seconds"} <= set(record)
    assert 240 <= record["certified"] < 240.001


def test_solver_chatter_on_stdout_is_kept_off_it(monkeypatch, capsys):
    # sdpap prints diagnostics such as "ARPACK error -1: No convergence" to stdout, which
    # would break `lowprec bound --json`; solve() sends them to stderr.
    import pipeline.bounds.threepoint as threepoint
    from pipeline.bounds.search import solve

    original = threepoint.three_point_bound

    def chatty(*args, **kwargs):
        print("ARPACK error -1: No convergence")
        return original(*args, **kwargs)

    monkeypatch.setattr(threepoint, "three_point_bound", chatty)
    record = solve(Instance("kissing-sdp", 8), 3, Arm("CLARABEL"))
    captured = capsys.readouterr()
    assert record["status"] == "optimal" and captured.out == ""
    assert "ARPACK" in captured.err


@pytest.mark.parametrize("arguments,message", [
    (["bound", "kissing-sdp", "--dimension", "-2"], "--dimension must be at least 3"),
    (["bound", "cohn-elkies", "--degree", "500"], "degree must be between 2 and 60"),
    (["bound", "theta", "--solver", "mosek"], "Unknown solver 'mosek'"),
    (["bound", "sphere"], "Unknown bound problem 'sphere'"),
    (["search", "kissing-lp", "--degrees", "4,x", "--out", "x.nc"], "--degrees must be"),
])
def test_bad_input_gets_one_sentence(run_tool, arguments, message):
    result = run_tool("lowprec", *arguments, check=False)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.extended
@pytest.mark.mpi
def test_a_search_gives_the_same_candidates_on_one_and_two_ranks(tmp_path, run_tool):
    common = ["search", "kissing-sdp", "--dimension", "3", "--degrees", "3,4",
              "--solvers", "CLARABEL,SDPA:128"]
    run_tool("lowprec", *common, "--out", tmp_path / "one.nc")
    run_tool("mpiexec", "-n", "2", "lowprec", *common, "--tasks", "2", "--out", tmp_path / "two.nc")
    one, two = xr.open_dataset(tmp_path / "one.nc"), xr.open_dataset(tmp_path / "two.nc")
    for name in ("degree", "solver", "precision_bits", "status", "value", "certified", "rung"):
        assert np.array_equal(one[name].values, two[name].values,
                              equal_nan=one[name].dtype.kind == "f"), name
    assert one.attrs["Conventions"] == "CF-1.10"
    assert one["seconds"].attrs["units"] == "s"
    assert np.nanmin(one["certified"].values) > 12


def test_literature_takes_dimensions_as_bound_labels_them(tmp_path):
    """`bound` labels a dimension n3; the literature file may key it so, or as 3."""
    from pipeline.cli import read_literature

    path = tmp_path / "literature.yaml"
    path.write_text("kissing-lp: {n3: {value: 12, source: Schutte}}\n"
                    "cohn-elkies: {'8': {value: 0.2536695079, source: Viazovska}}\n"
                    "theta: {petersen: {value: 4, source: Lovasz}}\n")
    assert read_literature(str(path)) == {
        "kissing-lp": {"3": {"value": 12.0, "source": "Schutte"}},
        "cohn-elkies": {"8": {"value": 0.2536695079, "source": "Viazovska"}},
        "theta": {"petersen": {"value": 4.0, "source": "Lovasz"}}}
