"""Bad invocations of every `lowprec` stage: each is refused with one sentence, never a traceback.

The table below is the hostile-but-honest tour of issue 23 (defect 5): bad output paths
(checked before anything is computed), out-of-range numbers, files of the wrong kind, and
inputs to `analyse` that do not belong together. Each row is run in-process through
`pipeline.cli.main` (the same code the console script runs, minus the interpreter start-up),
so an uncaught exception shows up here as the traceback a user would have seen.

Every row must: exit with status 1 or 2, print no traceback, print one sentence (one line)
that contains the row's fragment (the argument or value it is about), and write nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import main
from tests.conftest import tool_environment

LORENZ = ["--set", "spinup=0.2", "--set", "length=0.5", "--set", "output_interval=0.1"]
SIMULATE = ["simulate", "lorenz63", "--members", "3", "--seed", "5"]
LORENZ64 = [*SIMULATE, "--format", "float64", *LORENZ]
PROBE = ["probe", "lorenz63", "--reference", "{reference}", "--null", "{null1}", "{null2}",
         "--rounding", "nearest", "--low", "4", "--high", "20"]


def lowprec(*arguments):
    subprocess.run([sys.executable, "-m", "pipeline", *map(str, arguments)], check=True,
                   env=tool_environment(), capture_output=True)


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """Good files of every kind (tiny), and bad ones, for the table's placeholders."""
    root = tmp_path_factory.mktemp("hardening")
    paths = {name: root / f"{name}.nc" for name in
             ("reference", "null1", "null2", "test", "short", "other_seed", "analysis", "search")}
    for name, ensemble, fmt, extra in (("reference", 0, "float64", []),
                                       ("null1", 1, "float64", []),
                                       ("null2", 2, "float64", []),
                                       ("test", 0, "e11m10", []),
                                       ("short", 3, "float64", ["--set", "length=0.3"])):
        lowprec(*SIMULATE, "--format", fmt, "--ensemble", ensemble, *LORENZ, *extra,
                "--out", paths[name])
    lowprec("simulate", "lorenz63", "--members", "3", "--seed", "6", "--format", "float64",
            "--ensemble", "4", *LORENZ, "--out", paths["other_seed"])
    lowprec("analyse", "lorenz63", "--reference", paths["reference"], "--null", paths["null1"],
            paths["null2"], "--test", paths["test"], "--out", paths["analysis"])
    lowprec("search", "theta", "--graph", "C5", "--solvers", "CLARABEL", "--degrees", "1",
            "--out", paths["search"])
    text = root / "text.nc"
    text.write_text("this is not NetCDF\n")
    truncated = root / "truncated.nc"
    truncated.write_bytes(paths["reference"].read_bytes()[:2000])
    plain = root / "plain"
    plain.write_text("a regular file, not a folder\n")
    (root / "folder").mkdir()
    literature = {
        "bad_yaml": "theta: {C5: [unclosed\n",
        "list_yaml": "- 1\n- 2\n",
        "flat_yaml": "theta: 3\n",
        "no_value_yaml": "theta: {C5: {source: somewhere}}\n",
        "text_value_yaml": "theta: {C5: {value: large, source: x}}\n",
        "unknown_problem_yaml": "thetta: {C5: {value: 2.2, source: x}}\n",
        "zero_value_yaml": "theta: {C5: {value: 0, source: x}}\n",
        "twice_yaml": "theta:\n  C5: {value: 2.2, source: x}\n  C5: {value: 3, source: y}\n",
        "unknown_graph_yaml": "theta: {C6: {value: 2.2, source: x}}\n",
    }
    for name, content in literature.items():
        (root / f"{name}.yaml").write_text(content)
    (root / "not_record.json").write_text('{"a": 1}\n')
    (root / "latin1.yaml").write_bytes(b"\xff\xfetheta: {}\n")
    lowprec("probe", "lorenz63", "--reference", paths["reference"], "--null", paths["null1"],
            paths["null2"], "--test", paths["test"], "--rounding", "nearest", "--low", "4",
            "--high", "20", "--out", root / "record.json")
    import xarray as xr

    with xr.open_dataset(paths["search"]) as search:
        search.drop_vars("seconds").to_netcdf(root / "no_seconds.nc")
    result = {name: str(path) for name, path in paths.items()}
    result.update(text=str(text), truncated=str(truncated), plain=str(plain),
                  folder=str(root / "folder"), missing=str(root / "missing.nc"),
                  not_record=str(root / "not_record.json"), latin1=str(root / "latin1.yaml"),
                  record=str(root / "record.json"), no_seconds=str(root / "no_seconds.nc"),
                  **{name: str(root / f"{name}.yaml") for name in literature})
    return result


BAD_OUTPUTS = [("", "--out"), ("{folder}", "is a directory"), ("{plain}/out.nc", "{plain}"),
               ("/proc/lowprec-test/out.nc", "/proc")]

SHALLOW = ["simulate", "shallow_water", "--format", "e5m10", "--members", "2", "--seed", "1",
           "--set", "days=1", "--set", "spinup_days=0"]
SPEEDY = ["simulate", "speedy", "--format", "e11m10", "--members", "1", "--seed", "1",
          "--set", "truncation=10", "--set", "days=0.5", "--set", "spinup_days=0"]
ANALYSE = ["analyse", "lorenz63"]
GOOD_ANALYSE = ["--null", "{null1}", "{null2}", "--test", "{test}"]
RELAX = ["relax", "shifted-laplacian", "--learner", "tsallis-inf", "--instances", "2",
         "--trials", "1", "--format", "float64", "--seed", "1", "--set", "grid=4"]

CASES = {
    # Output paths, checked before anything is computed (issue 23: simulate found out only
    # after the whole run).
    **{f"formats --out {bad!r}": (["formats", "float16", "--out", bad], fragment)
       for bad, fragment in BAD_OUTPUTS},
    **{f"simulate --out {bad!r}": ([*SIMULATE, "--format", "float64", *LORENZ, "--out", bad],
                                   fragment) for bad, fragment in BAD_OUTPUTS},
    **{f"analyse --out {bad!r}": ([*ANALYSE, "--reference", "{reference}", *GOOD_ANALYSE,
                                   "--out", bad], fragment) for bad, fragment in BAD_OUTPUTS},
    **{f"search --out {bad!r}": (["search", "theta", "--solvers", "CLARABEL", "--out", bad],
                                 fragment) for bad, fragment in BAD_OUTPUTS},
    **{f"relax --out {bad!r}": ([*RELAX, "--out", bad], fragment)
       for bad, fragment in BAD_OUTPUTS},
    **{f"provenance --out {bad!r}": (["provenance", "--config-json", '{{"seed": 1}}', "--out",
                                     bad], fragment) for bad, fragment in BAD_OUTPUTS},
    "provenance --config-json not JSON": (["provenance", "--config-json", "{{seed: 1",
                                           "--out", "{out}"], "--config-json"),
    "provenance --config-json a list": (["provenance", "--config-json", "[1, 2]",
                                         "--out", "{out}"], "--config-json"),
    "summarise --csv folder": (["summarise", "{analysis}", "--csv", "{folder}", "--netcdf",
                                "{out}"], "--csv"),
    "summarise --netcdf empty": (["summarise", "{analysis}", "--csv", "{out}", "--netcdf", ""],
                                 "--netcdf"),
    "bounds-summary --png folder": (["bounds-summary", "{search}", "--csv", "{out}", "--png",
                                     "{folder}"], "--png"),
    "plot-distances --out folder": (["plot-distances", "{analysis}", "--out", "{folder}"],
                                    "--out"),
    "relax-plots --omega empty": (["relax-plots", "{search}", "--cumulative", "{out}",
                                   "--omega", "", "--cost", "{out}"], "--omega"),
    # Numbers out of range.
    "simulate seed 2^80": ([*SIMULATE[:-1], str(2**80), "--format", "float64", *LORENZ,
                            "--out", "{out}"], "--seed"),
    "simulate seed -1": ([*SIMULATE[:-1], "-1", "--format", "float64", *LORENZ,
                          "--out", "{out}"], "--seed"),
    "relax seed 2^80": ([*RELAX[:-3], str(2**80), *RELAX[-2:], "--out", "{out}"], "--seed"),
    "simulate --members-per-task 0": ([*LORENZ64, "--members-per-task",
                                       "0", "--out", "{out}"], "--members-per-task"),
    "simulate --members-per-task -2": ([*LORENZ64,
                                        "--members-per-task", "-2", "--out", "{out}"],
                                       "--members-per-task"),
    "simulate --members 2^80": (["simulate", "lorenz63", "--members", str(2**80), "--seed", "1",
                                 "--format", "float64", "--out", "{out}"], "--members"),
    "simulate --ensemble -1": ([*LORENZ64, "--ensemble", "-1",
                                "--out", "{out}"], "--ensemble"),
    "simulate --checkpoint-every -1": ([*LORENZ64,
                                        "--checkpoint-every", "-1", "--out", "{out}"],
                                       "--checkpoint-every"),
    "simulate --tasks 0": ([*LORENZ64, "--tasks", "0", "--out", "{out}"],
                           "--tasks"),
    "simulate --members not a number": (["simulate", "lorenz63", "--members", "many", "--seed",
                                         "1", "--format", "float64", "--out", "{out}"],
                                        "--members"),
    # Zero output times ("need at least one array to stack").
    "lorenz63 length below one output": ([*SIMULATE, "--format", "float64", "--set",
                                          "length=0.05", "--out", "{out}"], "output"),
    "lorenz63 length 0": ([*SIMULATE, "--format", "float64", "--set", "length=0",
                           "--out", "{out}"], "length"),
    "heat_column years below one output": (["simulate", "heat_column", "--format", "float64",
                                            "--members", "2", "--seed", "1", "--set",
                                            "years=0.01", "--out", "{out}"], "output"),
    "shallow_water days below one output": ([*SHALLOW[:-4], "--set", "days=0.5",
                                             "--out", "{out}"], "output"),
    "heat2d length below one output": (["simulate", "heat2d", "--format", "float64",
                                        "--members", "1", "--seed", "1", "--set", "nx=6",
                                        "--set", "length=0.005", "--set",
                                        "output_interval=0.01", "--out", "{out}"], "output"),
    # shallow water's initial_file (issue 23: 6 of 6 gave tracebacks); speedy's for contrast.
    "shallow_water initial_file not NetCDF": ([*SHALLOW, "--set", "initial_file={text}",
                                               "--out", "{out}"], "initial_file"),
    "shallow_water initial_file truncated": ([*SHALLOW, "--set", "initial_file={truncated}",
                                              "--out", "{out}"], "initial_file"),
    "shallow_water initial_file of another model": ([*SHALLOW, "--set",
                                                     "initial_file={reference}", "--out",
                                                     "{out}"], "initial_file"),
    "shallow_water initial_file missing": ([*SHALLOW, "--set", "initial_file={missing}",
                                            "--out", "{out}"], "initial_file"),
    "shallow_water initial_file a folder": ([*SHALLOW, "--set", "initial_file={folder}",
                                             "--out", "{out}"], "initial_file"),
    "shallow_water initial_file an analysis": ([*SHALLOW, "--set", "initial_file={analysis}",
                                                "--out", "{out}"], "initial_file"),
    "speedy initial_file not NetCDF": ([*SPEEDY, "--set", "initial_file={text}",
                                        "--out", "{out}"], "initial_file"),
    "speedy initial_file truncated": ([*SPEEDY, "--set", "initial_file={truncated}",
                                       "--out", "{out}"], "initial_file"),
    "speedy initial_file of another model": ([*SPEEDY, "--set", "initial_file={reference}",
                                              "--out", "{out}"], "initial_file"),
    "speedy initial_file missing": ([*SPEEDY, "--set", "initial_file={missing}",
                                     "--out", "{out}"], "initial_file"),
    # analyse given inputs that do not belong together.
    "analyse a null as the reference": ([*ANALYSE, "--reference", "{null1}", "--null",
                                         "{null2}", "{short}", "--test", "{test}", "--out",
                                         "{out}"], "--reference"),
    "analyse a test format as the reference": ([*ANALYSE, "--reference", "{test}",
                                                *GOOD_ANALYSE, "--out", "{out}"],
                                               "--reference"),
    "analyse the same null twice": ([*ANALYSE, "--reference", "{reference}", "--null", "{null1}",
                                     "{null1}", "--test", "{test}", "--out", "{out}"], "--null"),
    "analyse the reference as a null": ([*ANALYSE, "--reference", "{reference}", "--null",
                                         "{reference}", "{null1}", "--test", "{test}", "--out",
                                         "{out}"], "--null"),
    "analyse a test format as a null": ([*ANALYSE, "--reference", "{reference}", "--null",
                                         "{null1}", "{test}", "--test", "{test}", "--out",
                                         "{out}"], "--null"),
    "analyse a null of another length": ([*ANALYSE, "--reference", "{reference}", "--null",
                                          "{null1}", "{short}", "--test", "{test}", "--out",
                                          "{out}"], "{short}"),
    "analyse a null of another seed": ([*ANALYSE, "--reference", "{reference}", "--null",
                                        "{null1}", "{other_seed}", "--test", "{test}", "--out",
                                        "{out}"], "{other_seed}"),
    "analyse a null as a test": ([*ANALYSE, "--reference", "{reference}", *GOOD_ANALYSE[:-1],
                                  "{null1}", "--out", "{out}"], "--test"),
    "analyse an analysis as the reference": ([*ANALYSE, "--reference", "{analysis}",
                                              *GOOD_ANALYSE, "--out", "{out}"], "{analysis}"),
    "analyse a text file as a test": ([*ANALYSE, "--reference", "{reference}",
                                       *GOOD_ANALYSE[:-1], "{text}", "--out", "{out}"],
                                      "{text}"),
    "analyse a truncated null": ([*ANALYSE, "--reference", "{reference}", "--null", "{null1}",
                                  "{truncated}", "--test", "{test}", "--out", "{out}"],
                                 "{truncated}"),
    "analyse one null": ([*ANALYSE, "--reference", "{reference}", "--null", "{null1}",
                          "--test", "{test}", "--out", "{out}"], "--null"),
    "analyse of another model": (["analyse", "heat_column", "--reference", "{reference}",
                                  *GOOD_ANALYSE, "--out", "{out}"], "lorenz63"),
    # summarise / bounds-summary / plots / relax summaries given the wrong kind of file.
    "summarise a simulation file": (["summarise", "{reference}", "--csv", "{out}", "--netcdf",
                                     "{out}"], "{reference}"),
    "summarise a search file": (["summarise", "{search}", "--csv", "{out}", "--netcdf",
                                 "{out}"], "{search}"),
    "summarise a text file": (["summarise", "{text}", "--csv", "{out}", "--netcdf", "{out}"],
                              "{text}"),
    "summarise a missing file": (["summarise", "{missing}", "--csv", "{out}", "--netcdf",
                                  "{out}"], "{missing}"),
    "bounds-summary a simulation file": (["bounds-summary", "{reference}", "--csv", "{out}",
                                          "--png", "{out}"], "{reference}"),
    "bounds-summary an analysis file": (["bounds-summary", "{analysis}", "--csv", "{out}",
                                         "--png", "{out}"], "{analysis}"),
    "bounds-summary a text file": (["bounds-summary", "{text}", "--csv", "{out}", "--png",
                                    "{out}"], "{text}"),
    "bounds-summary a truncated file": (["bounds-summary", "{truncated}", "--csv", "{out}",
                                         "--png", "{out}"], "{truncated}"),
    "plot-distances a simulation file": (["plot-distances", "{reference}", "--out", "{out}"],
                                         "{reference}"),
    "plot-maps a simulation file": (["plot-maps", "{reference}", "--variable", "x", "--out",
                                     "{out}"], "{reference}"),
    "plot-profiles an analysis file": (["plot-profiles", "{analysis}", "--variable", "x",
                                        "--out", "{out}"], "{analysis}"),
    "relax-summary a simulation file": (["relax-summary", "{reference}", "--csv", "{out}",
                                         "--netcdf", "{out}"], "{reference}"),
    # A bad literature file.
    **{f"bounds-summary --literature {name}": (["bounds-summary", "{search}", "--literature",
                                                "{%s}" % name, "--csv", "{out}", "--png",
                                                "{out}"], "--literature")
       for name in ("bad_yaml", "list_yaml", "flat_yaml", "no_value_yaml", "text_value_yaml",
                    "missing", "folder")},
    # search and bound agree on what a degree may be.
    "search kissing-sdp --degrees 17": (["search", "kissing-sdp", "--degrees", "17",
                                         "--solvers", "CLARABEL", "--out", "{out}"], "17"),
    "search kissing-sdp --degrees 3,17": (["search", "kissing-sdp", "--degrees", "3,17",
                                           "--solvers", "CLARABEL", "--out", "{out}"], "17"),
    "search cohn-elkies --degrees 1": (["search", "cohn-elkies", "--degrees", "1", "--solvers",
                                        "CLARABEL", "--out", "{out}"], "--degrees"),
    "search --degrees 0": (["search", "kissing-lp", "--degrees", "0", "--out", "{out}"],
                           "--degrees"),
    "search --degrees words": (["search", "kissing-lp", "--degrees", "three", "--out",
                                "{out}"], "--degrees"),
    "search --degrees decreasing": (["search", "kissing-lp", "--degrees", "5,4", "--solvers",
                                     "CLARABEL", "--out", "{out}"], "--degrees"),
    "search --solvers unknown": (["search", "theta", "--solvers", "NOPE", "--out", "{out}"],
                                 "NOPE"),
    "search --graph unknown": (["search", "theta", "--graph", "K9", "--out", "{out}"], "K9"),
    "search --dimension 0": (["search", "kissing-lp", "--dimension", "0", "--out", "{out}"],
                             "--dimension"),
    "search --budget-solves 0": (["search", "theta", "--budget-solves", "0", "--out", "{out}"],
                                 "--budget-solves"),
    "bound kissing-sdp --degree 17": (["bound", "kissing-sdp", "--degree", "17"], "17"),
    "bound kissing-lp --degree 0": (["bound", "kissing-lp", "--degree", "0"], "degree"),
    "bound cohn-elkies --degree 61": (["bound", "cohn-elkies", "--degree", "61"], "61"),
    # relax.
    "relax --instances 0": ([*RELAX[:5], "0", *RELAX[6:], "--out", "{out}"], "--instances"),
    "relax --tolerance 0": ([*RELAX, "--tolerance", "0", "--out", "{out}"], "--tolerance"),
    "relax --set grid=0": ([*RELAX[:-1], "grid=0", "--out", "{out}"], "grid"),
    "relax --learner unknown": ([*RELAX[:2], "--learner", "guess", *RELAX[4:], "--out",
                                 "{out}"], "guess"),
    "relax --format unknown": ([*RELAX[:8], "--format", "float8", *RELAX[10:], "--out",
                                "{out}"], "float8"),
    # Things that were already refused (kept, so they stay refused).
    "formats unknown": (["formats", "float8", "--out", "{out}"], "float8"),
    "simulate unknown model": (["simulate", "lorenz96", "--format", "float64", "--members", "1",
                                "--seed", "1", "--out", "{out}"], "lorenz96"),
    "simulate --set unknown key": ([*LORENZ64, "--set", "gamma=1",
                                    "--out", "{out}"], "gamma"),
    "shallow_water --set cfl=2": ([*SHALLOW, "--set", "cfl=2", "--out", "{out}"], "cfl"),
    # From an audit of hand-typed commands (2026-12-07).
    "simulate 10^302 steps": ([*LORENZ64, "--set", "length=1e300", "--out", "{out}"],
                              "time steps"),
    "summarise one file twice": (["summarise", "{analysis}", "--csv", "{folder}/same.out",
                                  "--netcdf", "{folder}/same.out"], "both name"),
    "analyse over its input": (["analyse", "lorenz63", "--reference", "{reference}", "--null",
                                "{null1}", "{null2}", "--test", "{test}", "--out",
                                "{reference}"], "also an input"),
    "formats to /dev/null": (["formats", "e5m10", "--out", "/dev/null"],
                             "not a regular file"),
    "probe a non-simulation": ([*PROBE, "--test", "{analysis}", "--out", "{out}"],
                               "not a simulation file"),
    "probe --previous not a record": ([*PROBE, "--test", "{test}", "--previous",
                                       "{not_record}", "--out", "{out}"],
                                      "not a probe record"),
    "probe --component unknown": ([*PROBE, "--test", "{test}", "--component", "foo", "--out",
                                   "{out}"], "--component foo"),
    "probe --repeat-ensemble 1": ([*PROBE, "--test", "{test}", "--repeat-ensemble", "1",
                                   "--out", "{out}"], "--repeat-ensemble"),
    "probes-summary --plot over its input": (["probes-summary", "{record}", "--csv", "{out}",
                                              "--netcdf", "{out}", "--plot", "{record}"],
                                             "also an input"),
    "probes-summary not a record": (["probes-summary", "{not_record}", "--csv", "{out}",
                                     "--netcdf", "{out}", "--plot", "{out}"],
                                    "not a probe record"),
    "search --dimension 3e9": (["search", "kissing-lp", "--dimension", "3000000000",
                                "--degrees", "1", "--solvers", "CLARABEL", "--out", "{out}"],
                               "--dimension"),
    "search --budget-seconds nan": (["search", "theta", "--graph", "C5", "--degrees", "1",
                                     "--solvers", "CLARABEL", "--budget-seconds", "nan",
                                     "--out", "{out}"], "--budget-seconds"),
    "bounds-summary latin-1 literature": (["bounds-summary", "{search}", "--literature",
                                           "{latin1}", "--csv", "{out}", "--png", "{out}"],
                                          "not UTF-8"),
    "bounds-summary unknown literature problem": (["bounds-summary", "{search}",
                                                   "--literature", "{unknown_problem_yaml}",
                                                   "--csv", "{out}", "--png", "{out}"],
                                                  "unknown problem 'thetta'"),
    "bounds-summary literature value 0": (["bounds-summary", "{search}", "--literature",
                                           "{zero_value_yaml}", "--csv", "{out}", "--png",
                                           "{out}"], "positive"),
    "bounds-summary literature key twice": (["bounds-summary", "{search}", "--literature",
                                             "{twice_yaml}", "--csv", "{out}", "--png",
                                             "{out}"], "given twice"),
    "bounds-summary literature unknown graph": (["bounds-summary", "{search}", "--literature",
                                                 "{unknown_graph_yaml}", "--csv", "{out}",
                                                 "--png", "{out}"], "unknown graph 'C6'"),
    "bounds-summary one search twice": (["bounds-summary", "{search}", "{search}", "--csv",
                                         "{out}", "--png", "{out}"], "give each instance once"),
    "provenance nested 600 deep": (["provenance", "--config-json",
                                    '{{"a":' * 600 + "1" + "}}" * 600, "--out", "{out}"],
                                   "nested too deeply"),
    "bounds-summary search without seconds": (["bounds-summary", "{no_seconds}", "--csv",
                                               "{out}", "--png", "{out}"],
                                              "not a bound search file"),
    "component-summary --low 60": (["component-summary", "lorenz63", "--reference",
                                    "{reference}", "--null", "{null1}", "{null2}", "--records",
                                    "{record}", "--combined", "nearest={test}", "--low", "60",
                                    "--high", "2", "--out", "{out}"], "--low and --high"),
    "component-summary of another model": (["component-summary", "heat_column", "--reference",
                                            "{reference}", "--null", "{null1}", "{null2}",
                                            "--records", "{record}", "--combined",
                                            "nearest={test}", "--low", "4", "--high", "20",
                                            "--out", "{out}"], "not 'heat_column'"),
    "component-summary a search as reference": (["component-summary", "lorenz63",
                                                 "--reference", "{search}", "--null", "{null1}",
                                                 "{null2}", "--records", "{record}",
                                                 "--combined", "nearest={test}", "--low", "4",
                                                 "--high", "20", "--out", "{out}"],
                                                "not a simulation file"),
}


def fill(text: str, files: dict, out: str) -> str:
    return text.format(out=out, **files) if "{" in text else text


@pytest.mark.parametrize("arguments,fragment", CASES.values(), ids=list(CASES))
def test_bad_invocation_is_refused_in_one_sentence(files, tmp_path, capsys, arguments, fragment):
    out = str(tmp_path / "out" / "result.nc")
    # Each output option its own file (one file named twice is refused for itself).
    argv = [fill(a, files, out.replace("result", f"result-{k}")) for k, a in enumerate(arguments)]
    fragment = fill(fragment, files, out)
    before = set(Path(files["reference"]).parent.iterdir())
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse's own errors
        status = exit.code
    except Exception as error:  # what a user would see as a traceback
        pytest.fail(f"traceback: {type(error).__name__}: {error}")
    stderr = capsys.readouterr().err
    assert status in (1, 2), f"exit status {status}; stderr: {stderr!r}"
    lines = stderr.strip().splitlines()
    message = lines[-1] if lines else ""
    assert "error: " in message, stderr
    if message.startswith("lowprec: error: "):
        assert len(lines) == 1, stderr
    assert fragment in message, f"{fragment!r} not in {message!r}"
    assert not Path(out).exists() and not (tmp_path / "out").exists()
    assert set(Path(files["reference"]).parent.iterdir()) == before
    assert not [p for p in Path(files["folder"]).iterdir()], "something written in folder"
