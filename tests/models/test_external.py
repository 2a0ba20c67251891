"""External models: a C program compiled here, with a rounding of its own, run once per
member and format by `lowprec external`, and judged by the same analysis."""

import csv
import shutil
import subprocess

import numpy as np
import pytest
import xarray as xr
import yaml

from pipeline.precision import NumberFormat
from pipeline.precision import round as round_to_format
from tests.conftest import ROOT, tool_environment

SOURCE = ROOT / "tests" / "models" / "external" / "cooling.c"


@pytest.fixture(scope="module")
def program(tmp_path_factory):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler (cc or gcc) on this machine to build the external model")
    binary = tmp_path_factory.mktemp("external") / "cooling"
    subprocess.run([compiler, "-O2", "-o", str(binary), str(SOURCE), "-lm"], check=True)
    return binary


class Result:
    def __init__(self, returncode, stderr):
        self.returncode, self.stderr = returncode, stderr


def external(program, out, fmt="e11m10", members=3, seed=1, ensemble=0, variable=
             "temperature:time", template=None, mpi=None, capsys=None):
    """`lowprec external ...`: under mpiexec in a subprocess, else in this process (the
    same code, without a process start per call)."""
    template = template or f"{program} {{significand_bits}} {{rounding}} {{seed}} {{output}}"
    arguments = ["external", "cooling", "--command", template, "--variable", variable,
                 "--format", fmt, "--members", str(members), "--seed", str(seed),
                 "--ensemble", str(ensemble), "--out", str(out)]
    if mpi:
        command = ["mpiexec", "-n", str(mpi), "lowprec", *arguments, "--tasks", str(mpi)]
        result = subprocess.run(command, capture_output=True, text=True,
                                env=tool_environment(), cwd=ROOT, timeout=300)
        return Result(result.returncode, result.stderr)
    from pipeline.cli import main

    code = main(arguments)
    return Result(code, capsys.readouterr().err if capsys else "")


def test_the_programs_own_rounding_agrees_with_the_precision_core(program, tmp_path, capsys):
    # The C program's rounding (frexp, nearbyint, ldexp) against lowprec's IEEE-checked one,
    # on the program's own recurrence: T <- r(T + r(f r(300 - T))).
    result = external(program, tmp_path / "e11m10.nc", fmt="e11m10", members=1,
                      capsys=capsys)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(tmp_path / "e11m10.nc", decode_times=False) as dataset:
        written = dataset["temperature"].values[0]
    fmt = NumberFormat.parse("e11m10")
    r = lambda x: float(round_to_format(np.float64(x), fmt))  # noqa: E731
    # The program's member 0 starts at 280 + 0.5 (u - 1/2); recover u from its first output
    # is not possible, so compare from the first output on: the recurrence is deterministic.
    factor, t, expected = r(r(0.1) / 20.0), written[0], [written[0]]
    for _ in range(59):
        for _ in range(10):
            t = r(t + r(factor * r(300.0 - t)))
        expected.append(t)
    assert np.array_equal(written, expected)


def test_members_are_assembled_into_one_ensemble_file(program, tmp_path, capsys):
    out = tmp_path / "e11m6.nc"
    result = external(program, out, fmt="e11m6", members=4, capsys=capsys)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out, decode_times=False) as dataset:
        assert dataset["temperature"].dims == ("member", "time")
        assert dataset["temperature"].shape == (4, 60)
        assert dataset.attrs["number_format"] == "e11m6"
        assert dataset["time"].attrs["units"] == "days since 2000-01-01 00:00:00"
        values = dataset["temperature"].values
    # 6 bits near 280 K: spacing 4 K, so increments of 0.1 K are rounded away: it stalls.
    assert np.all(values == values[:, :1])
    assert not (tmp_path / "e11m6.nc.members").exists()


def test_two_ranks_write_the_same_file_as_one(program, tmp_path):
    one, two = tmp_path / "one.nc", tmp_path / "two.nc"
    for out, ranks in ((one, None), (two, 2)):
        result = external(program, out, fmt="e11m16-sr", members=5, seed=4, mpi=ranks)
        assert result.returncode == 0, result.stderr
    with xr.open_dataset(one) as a, xr.open_dataset(two) as b:
        assert np.array_equal(a["temperature"].values, b["temperature"].values)
        assert len(np.unique(a["temperature"].values[:, 0])) == 5  # members differ


@pytest.mark.parametrize("variable, template, message", [
    ("pressure:time", None, "member 0 at e11m10: member-0.nc has no variable pressure"),
    ("temperature:time,depth", None,
     "variable temperature has dimensions ['time'], not the declared ['time', 'depth']"),
    ("temperature:time", "{program} {{significand_bits}} {{output}}",
     "member 0 at e11m10: the program exited with status 2 (usage: cooling"),
    ("temperature:time", "/nonexistent/model {{output}}", "no such program '/nonexistent/model'"),
    ("temperature:time", "{program} {{sbits}} {{output}}", "unknown placeholder {sbits}"),
    ("temperature:time", "{program} 10 nearest 1 out.nc", "must name its output file"),
])
def test_a_bad_run_or_declaration_is_one_sentence(program, tmp_path, capsys, variable,
                                                  template, message):
    template = template.format(program=program) if template else None
    out = tmp_path / "bad.nc"
    result = external(program, out, variable=variable, template=template, capsys=capsys)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_the_analysis_judges_an_external_model(program, tmp_path, capsys):
    files = {}
    for name, fmt, ensemble in [("reference", "float64", 0), ("null1", "float64", 1),
                                ("null2", "float64", 2), ("null3", "float64", 3),
                                ("e11m23", "e11m23", 0), ("e11m6", "e11m6", 0)]:
        files[name] = tmp_path / f"{name}.nc"
        result = external(program, files[name], fmt=fmt, members=6, ensemble=ensemble,
                          capsys=capsys)
        assert result.returncode == 0, result.stderr
    out = tmp_path / "analysis.nc"
    from pipeline.cli import main

    assert main(["analyse", "cooling", "--reference", str(files["reference"]), "--null",
                 *(str(files[f"null{k}"]) for k in (1, 2, 3)), "--test", str(files["e11m23"]),
                 str(files["e11m6"]), "--out", str(out)]) == 0
    with xr.open_dataset(out) as analysis:
        passes = dict(zip(analysis["format"].values, analysis["passes_temperature"].values))
    assert passes == {"e11m23": 1, "e11m6": 0}


@pytest.mark.extended
@pytest.mark.workflow
def test_the_workflow_runs_an_external_model_from_its_config(program, tmp_path, run_tool):
    """An external model declared in the config runs through the whole workflow: per format
    and null ensemble on two ranks, the same analysis, a row in the minimal-bits table."""
    for name in ("workflow", "envs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Snakefile", tmp_path / "Snakefile")
    (tmp_path / "bin").mkdir()
    shutil.copy(program, tmp_path / "bin" / "cooling")
    config = {"seed": 3, "mpi_tasks": 2, "null_ensembles": 2,
              "formats": ["e11m10", "e11m23", "e11m10-sr"],
              "models": {"cooling": {"members": 4, "external": {
                  "command": "bin/cooling {significand_bits} {rounding} {seed} {output}",
                  "variables": {"temperature": ["time"]}}}}}
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "cooling.yaml").write_text(yaml.safe_dump(config))
    run = run_tool("snakemake", "--configfile", "config/cooling.yaml", "--profile",
                   "workflow/profiles/default", "--cores", "2", "--printshellcmds",
                   cwd=tmp_path, timeout=900)
    assert "mpiexec -n 2 lowprec external cooling --command" in run.stdout + run.stderr
    results = tmp_path / "results"
    # The program got each format's bits. Analytic: forward Euler for dT/dt = (300 - T)/20
    # with dt = 0.1 from T0 = 280 +- 0.25 leaves a deficit of 20 (1 - 0.005)^600 after 600
    # steps; at 10 stored bits the spacing near 280 K is 0.25 K, so every increment (at most
    # 0.1 K) rounds away and each member keeps its rounded start, a multiple of 0.25 K.
    with xr.open_dataset(results / "cooling" / "float64.nc", decode_times=False) as exact:
        final = exact["temperature"].values[:, -1]
        assert exact.attrs["number_format"] == "float64" and exact.sizes["member"] == 4
    assert np.allclose(final, 300 - 20 * (1 - 0.005) ** 600, atol=0.02)
    with xr.open_dataset(results / "cooling" / "e11m10.nc", decode_times=False) as stalled:
        values = stalled["temperature"].values
    assert np.all(values == values[:, :1])
    assert np.all(values % 0.25 == 0) and np.all(np.abs(values - 280) <= 0.25)
    # Null ensembles differ from the reference (their own member seeds).
    with xr.open_dataset(results / "cooling" / "null" / "float64-ensemble1.nc") as null:
        assert not np.array_equal(null["temperature"].values[:, -1], final)
    # The same analysis: the stalled format fails, 23 bits pass, and the table says so.
    with xr.open_dataset(results / "cooling" / "analysis.nc") as analysis:
        passes = dict(zip(analysis["format"].values, analysis["passes_temperature"].values))
    assert passes["e11m10"] == 0 and passes["e11m23"] == 1
    with open(results / "summary" / "minimal_bits.csv") as stream:
        rows = {(row["model"], row["rounding"]): row for row in csv.DictReader(stream)}
    assert rows[("cooling", "nearest")]["min_significand_bits"] == "23"
    assert ("cooling", "stochastic") in rows
    assert (results / "summary" / "w1_cooling.png").read_bytes()[:4] == b"\x89PNG"
    log = (results / "logs" / "simulate" / "cooling" / "e11m10.log").read_text()
    assert "Traceback" not in log


MISBEHAVING = """\
import sys
import numpy as np
import xarray as xr
mode, out = sys.argv[1], sys.argv[2]
times = {"decreasing": [3.0, 2.0, 1.0], "none": [], "nan": [1.0, float("nan")]}.get(mode, [1.0])
if mode == "bytes":
    sys.stderr.buffer.write(b"\\xff\\xfe not UTF-8\\n")
    sys.exit(3)
if mode == "text":
    xr.Dataset({"x": ("time", np.array(["a"]))}, coords={"time": [1.0]}).to_netcdf(out)
else:
    xr.Dataset({"x": ("time", np.ones(len(times)))}, coords={"time": times}).to_netcdf(out)
"""


@pytest.mark.parametrize("mode, command, message", [
    ("decreasing", None, "the time coordinate of member-0.nc must be one or more finite "
     "numbers, increasing"),
    ("none", None, "must be one or more finite numbers"),
    ("nan", None, "must be one or more finite numbers"),
    ("text", None, "variable x holds <U1 values, not numbers"),
    ("bytes", None, "the program exited with status 3 (\ufffd\ufffd not UTF-8)"),
    ("ok", "{python} {script} ok {{member", "malformed placeholder in '{member'"),
    ("ok", "{python} {script} ok {{output!r}}", "with a conversion or format"),
    ("ok", "{python} {script} ok {{{{output}}}}", "must name its output file with {output}"),
])
def test_a_misbehaving_program_is_one_sentence(tmp_path, capsys, mode, command, message):
    """Found by an audit: each of these gave a traceback (or passed) before."""
    import sys

    from pipeline.cli import main

    script = tmp_path / "model.py"
    script.write_text(MISBEHAVING)
    command = (command or "{python} {script} " + mode + " {{output}}").format(
        python=sys.executable, script=script)
    out = tmp_path / "bad.nc"
    code = main(["external", "mine", "--command", command, "--variable", "x:time",
                 "--format", "e5m10", "--members", "2", "--seed", "1", "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2 and message in error and len(error.strip().splitlines()) == 1, error
    assert not out.exists()


def test_a_timeout_stops_the_program_and_what_it_started(tmp_path, capsys):
    import time

    from pipeline.cli import main

    marker = tmp_path / "child-alive"
    script = tmp_path / "hang.sh"
    script.write_text(f"#!/bin/sh\n(sleep 3; touch {marker}) &\nsleep 60\n")
    script.chmod(0o755)
    started = time.monotonic()
    code = main(["external", "mine", "--command", f"{script} {{output}}", "--variable",
                 "x:time", "--format", "e5m10", "--members", "1", "--seed", "1",
                 "--timeout", "1", "--out", str(tmp_path / "h.nc")])
    assert code == 2 and "still running after 1 s" in capsys.readouterr().err
    assert time.monotonic() - started < 30
    time.sleep(4)
    assert not marker.exists()  # the script's child was stopped with it
