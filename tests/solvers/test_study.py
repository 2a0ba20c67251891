"""Learning runs: the sequences, the baselines against independent references, the relax
file and its summary, and bad input refused in one sentence (the CLI in process)."""

import csv
import math

import numpy as np
import pytest
import scipy.sparse.linalg as spla
import xarray as xr

from pipeline.cli import main
from pipeline.precision import NumberFormat
from pipeline.solvers import jacobi_spectral_radius, optimal_sor_omega
from pipeline.solvers.sequences import Heat2DSequence, ShiftedLaplacian
from pipeline.solvers.study import Run, run_trial


def test_shifted_laplacian_instances_follow_the_papers_distribution():
    sequence = ShiftedLaplacian(seed=1, trial=0, grid=10, variance="high")
    shifts, norms = [], []
    for _ in range(400):
        instance = sequence.next_instance()
        shifts.append(instance.context)
        norms.append(np.linalg.norm(instance.b))
    shifts = np.array(shifts)
    assert shifts.min() >= -0.15 and shifts.max() <= 0.45 and max(norms) <= 10.0
    # -0.15 + 0.6 Beta(0.5, 1.5) has mean -0.15 + 0.6 / 4 = 0
    assert abs(shifts.mean()) < 0.03
    A = instance.operator.matrix
    np.testing.assert_allclose(A.diagonal(), 4 + instance.context)
    # rho_J of the shift from L's spectrum agrees with scipy's eigenvalues of the instance.
    assert sequence.jacobi_radius(instance) == pytest.approx(jacobi_spectral_radius(A), rel=1e-10)


def test_heat2d_instances_are_crank_nicolson_systems_warm_started_from_the_state():
    sequence = Heat2DSequence(seed=1, trial=0, nx=10)
    first = sequence.next_instance()
    solution = spla.spsolve(first.operator.matrix.tocsc(), first.b)
    sequence.advance(solution)
    second = sequence.next_instance()
    np.testing.assert_array_equal(second.x0, solution)
    assert second.context == pytest.approx(max(0.1 * math.sin(2 * math.pi * 0.0015), 0))


def test_baselines_and_learners_on_one_trial():
    run = Run("shifted-laplacian", {"grid": 6}, NumberFormat.parse("float64"), 2, 40)
    optimal = run_trial(run, "instance-optimal", 0)
    for omega, shift in zip(optimal.omega, optimal.context):
        radius = math.cos(math.pi / 7) * 4 / (4 + shift)
        assert omega == pytest.approx(optimal_sor_omega(radius))
    best = run_trial(run, "best-fixed", 0)
    totals = best.cost_curve.sum(axis=0)
    assert best.iterations.sum() == totals.min()
    assert np.all(best.omega == np.linspace(1, 1.95, 20)[totals.argmin()])
    fixed = run_trial(run, "fixed:1.3", 0)
    assert np.array_equal(fixed.iterations, best.cost_curve[:, 6])  # omega 1.3 is arm 6
    learned = run_trial(run, "tsallis-inf", 0)
    assert np.array_equal(learned.context, fixed.context)  # the same systems
    assert learned.converged.all() and set(learned.omega) <= set(np.linspace(1, 1.95, 20))


@pytest.mark.parametrize("name", ["e11m10-sr", "e5m10"])
def test_best_fixed_solves_each_instance_once_with_every_arm_on_its_own_stream(name):
    """Sharing the instances of an independent sequence across the grid must leave every
    arm's record as its own fixed:OMEGA run gives it, stochastic rounding included."""
    run = Run("shifted-laplacian", {"grid": 5}, NumberFormat.parse(name), 3, 6)
    best = run_trial(run, "best-fixed", 1)
    for arm in (0, 9, 19):
        omega = np.linspace(1, 1.95, 20)[arm]
        fixed = run_trial(run, f"fixed:{omega:g}", 1)
        assert np.array_equal(fixed.iterations, best.cost_curve[:, arm])
    chosen = run_trial(run, f"fixed:{best.omega[0]:g}", 1)
    assert np.array_equal(chosen.residual, best.residual)


def test_relax_writes_the_file_and_the_summary_its_ratios(tmp_path, capsys):
    out = tmp_path / "run.nc"
    assert main(["relax", "shifted-laplacian", "--learner", "chebcb,best-fixed,instance-optimal",
                 "--instances", "20", "--trials", "2", "--format", "e11m10-sr", "--seed", "4",
                 "--set", "grid=5", "--out", str(out)]) == 0
    dataset = xr.load_dataset(out)
    assert dataset["omega"].dims == ("learner", "trial", "instance")
    assert dataset["iterations"].shape == (3, 2, 20) and dataset.attrs["number_format"] == "e11m10-sr"
    assert int(dataset["converged"].min()) == 1 and int(dataset["outer_steps"].min()) > 1
    csv_path, netcdf_path = tmp_path / "summary.csv", tmp_path / "summary.nc"
    assert main(["relax-summary", str(out), "--csv", str(csv_path), "--netcdf",
                 str(netcdf_path)]) == 0
    rows = {row["learner"]: row for row in csv.DictReader(open(csv_path))}
    totals = dataset["iterations"].sum("instance").mean("trial")
    best, optimal = float(totals.sel(learner="best-fixed")), float(totals.sel(learner="instance-optimal"))
    assert float(rows["chebcb"]["ratio_to_best_fixed"]) == pytest.approx(
        float(totals.sel(learner="chebcb")) / best, rel=1e-5)
    assert float(rows["best-fixed"]["ratio_to_instance_optimal"]) == pytest.approx(best / optimal,
                                                                                    rel=1e-5)
    assert xr.load_dataset(netcdf_path)["learner"].size == 3
    assert main(["relax-plots", str(out), "--cumulative", str(tmp_path / "c.png"), "--omega",
                 str(tmp_path / "o.png"), "--cost", str(tmp_path / "k.png")]) == 0
    assert (tmp_path / "k.png").read_bytes()[:4] == b"\x89PNG"


def test_a_study_split_over_runs_by_first_trial_is_the_whole_run(tmp_path, capsys):
    """Trials 0 and 1 run apart (--first-trial) give the records of one two-trial run, and
    relax-summary pools them into the same table; a trial given twice is refused."""
    common = ["relax", "shifted-laplacian", "--learner", "tsallis-inf,best-fixed",
              "--instances", "12", "--format", "e11m10-sr", "--seed", "5", "--set", "grid=5"]
    whole, first, second = (tmp_path / name for name in ("whole.nc", "t0.nc", "t1.nc"))
    assert main([*common, "--trials", "2", "--out", str(whole)]) == 0
    assert main([*common, "--trials", "1", "--out", str(first)]) == 0
    assert main([*common, "--trials", "1", "--first-trial", "1", "--out", str(second)]) == 0
    joined = xr.concat([xr.load_dataset(first), xr.load_dataset(second)], dim="trial",
                       data_vars="minimal")
    for name in ("omega", "iterations", "residual", "cost_curve"):
        np.testing.assert_array_equal(joined[name].values, xr.load_dataset(whole)[name].values)
    tables = []
    for inputs in ([whole], [first, second]):
        csv_path = tmp_path / f"summary{len(inputs)}.csv"
        assert main(["relax-summary", *map(str, inputs), "--csv", str(csv_path), "--netcdf",
                     str(tmp_path / f"summary{len(inputs)}.nc")]) == 0
        tables.append(list(csv.DictReader(open(csv_path))))
    assert tables[0] == tables[1] and {row["trials"] for row in tables[0]} == {"2"}
    capsys.readouterr()
    assert main(["relax-summary", str(whole), str(second), "--csv", str(tmp_path / "x.csv"),
                 "--netcdf", str(tmp_path / "x.nc")]) == 2
    error = capsys.readouterr().err
    assert "Trial 1 of shifted-laplacian at e11m10-sr" in error and "more than one" in error
    assert len(error.strip().splitlines()) == 1 and not (tmp_path / "x.csv").exists()


@pytest.mark.parametrize("arguments,message", [
    (["shifted-laplacian", "--learner", "ucb"], "Unknown learner 'ucb'; choose one of"),
    (["shifted-laplacian", "--learner", "fixed:2"], "omega must lie in (0, 2)"),
    (["poisson", "--learner", "chebcb"], "Unknown sequence 'poisson'; choose one of"),
    (["shifted-laplacian", "--learner", "chebcb", "--set", "grid=1"], "The grid is too small"),
    (["heat2d", "--learner", "chebcb", "--set", "nx=3"], "the grid is too small: nx = 3"),
    (["shifted-laplacian", "--learner", "chebcb", "--set", "variance=huge"], "Unknown variance"),
    (["shifted-laplacian", "--learner", "chebcb", "--instances", "0"], "--instances must be at least 1"),
    (["shifted-laplacian", "--learner", "chebcb", "--format", "float8"], "Unknown number format"),
    (["shifted-laplacian", "--learner", "chebcb", "--set", "grid=100000"],
     "The grid is too large: grid = 100000; use at most 4000"),
    (["heat2d", "--learner", "chebcb", "--set", "dt=nan"], "heat2d: dt = nan must lie in"),
    (["heat2d", "--learner", "chebcb", "--set", "dt=1e-300"], "dt = 1e-300 must lie in"),
    (["heat2d", "--learner", "chebcb", "--set", "dt=20"], "dt = 20.0 must lie in"),
    (["shifted-laplacian", "--learner", "chebcb", "--first-trial", "2147483647", "--trials",
      "2"], "--first-trial + --trials - 1 = 2147483648, must be at most 2147483647"),
])
def test_bad_relax_input_gets_one_sentence_and_writes_nothing(tmp_path, capsys, arguments, message):
    base = {"--instances": "3", "--trials": "1", "--format": "float64", "--seed": "1"}
    extra = [item for key, value in base.items() if key not in arguments for item in (key, value)]
    assert main(["relax", *arguments, *extra, "--out", str(tmp_path / "x.nc")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("lowprec: error: ") and message in error
    assert len(error.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []


def test_a_fixed_omega_keeps_its_value_in_the_learners_name():
    """fixed:1.9999999 is inside (0, 2); its label once read fixed:2 (``:g``), outside."""
    from pipeline.solvers.study import check_learner

    assert check_learner("fixed:1.9999999") == "fixed:1.9999999"
    assert check_learner("fixed:1.50") == "fixed:1.5" and check_learner("fixed:1") == "fixed:1"
