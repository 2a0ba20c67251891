"""What a study costs on a cluster: jobs, core-hours, memory per job and output volume.

    python benchmarks/cost_model.py [--config config/paper.yaml] [--formats float64,e11m10-sr]

Measured, then extrapolated (docs/cluster.md has a run of it):
- jobs per rule from the workflow's own dry run of the config (in a scratch copy, so no
  other config is merged in);
- per model, one member block (members_per_task members, as a job's rank runs it) simulated
  for a short stretch of the config's run (PROBES below) at float64 and at an emulated format;
  the seconds per step then scale to the config's steps (spin-up included), and a job's
  wall time is the process start-up plus its blocks per rank one after the other;
- memory per job: the peak resident set of the probe plus the whole output in memory, which
  rank 0 gathers before it writes (uncompressed, from the probe file's variables);
- output volume: the probe file's bytes per member and output time, times the config's.
The calibration figure (benchmarks/bench_speedy.py's dry T30 float64 ms/step) is printed
beside the wall times, so figures from a slower or faster machine can be rescaled.
Bound searches and the relax study are counted, not timed: their cost depends on the solver
(docs/bounds.md and docs/solvers.md quote measured solve times).
Nothing here asserts a time: it prints figures.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

# Per model: the parameter that sets the run's length, the probe's value of it, and the
# one-output length that measures set-up (None: one output interval). Spin-ups are counted in
# steps from the config itself (run_length), so the probes leave them out.
PROBES = {
    "lorenz63": ("length", 50.0, None),
    "heat_column": ("years", 1.0, None),
    "shallow_water": ("days", 2.0, None),
    "speedy": ("days", 3.0, None),
    "heat2d": ("length", 0.2, None),
}


def calibration_ms_per_step() -> float:
    from bench_speedy import seconds_per_step
    from pipeline.models.base import parse_overrides
    from pipeline.models.speedy import Speedy

    config = parse_overrides(Speedy.Config, {"truncation": "30",
                                             "initial_state": "jablonowski-williamson"}, "speedy")
    return seconds_per_step(config, "float64", 1, 30) * 1e3


def with_boundary_files(config: dict) -> dict:
    """The config with speedy's boundary folder made absolute: as given when it exists from
    here, else the test data's ($LOWPREC_SPEEDY_BC or ../shared/data/speedy-t30)."""
    from pipeline.models.speedy.boundary_files import default_directory

    parameters = config.get("models", {}).get("speedy", {}).get("parameters", {})
    folder = parameters.get("boundaries", "aquaplanet")
    if folder != "aquaplanet":
        found = Path(folder) if Path(folder).is_dir() else Path(default_directory())
        if found != Path(folder):
            print(f"speedy's boundaries {folder!r} are not here; using {found}")
        parameters["boundaries"] = str(found.resolve())
    return config


def job_counts(config_path: Path) -> dict[str, int]:
    """Jobs per rule, from `snakemake -n` on the config alone."""
    with tempfile.TemporaryDirectory() as scratch:
        shutil.copy(ROOT / "Snakefile", scratch)
        for name in ("workflow", "envs"):
            shutil.copytree(ROOT / name, Path(scratch) / name)
        (Path(scratch) / "config").mkdir()
        shutil.copy(config_path, Path(scratch) / "config" / "study.yaml")
        result = subprocess.run(["snakemake", "-n", "--configfile", "config/study.yaml",
                                 "--cores", "1"], cwd=scratch, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"dry run of {config_path} failed:\n{result.stderr[-2000:]}")
    table = result.stdout.split("Job stats:", 1)[1]
    counts = {}
    for line in table.splitlines()[3:]:
        words = line.split()
        if len(words) != 2 or words[0] == "total":
            break
        counts[words[0]] = int(words[1])
    return counts


def timed_run(arguments: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one `lowprec` run (a child process)."""
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(["lowprec", *arguments], capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"lowprec {' '.join(arguments)} failed:\n{result.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024  # ru_maxrss is in KiB on Linux


def probe_model(name: str, settings: dict, formats: list[str], seed: int, scratch: Path):
    """Seconds per step of one member block at each format, and its file's bytes.

    The block runs in this process through the workflow's own code (run_block), once for a
    one-output stretch (model set-up, compiled kernels loaded) and once for the probe stretch;
    the difference over the difference in steps is the cost of a step. One subprocess run of
    `lowprec simulate` gives the file (bytes per member and output), the peak memory and the
    process start-up.
    """
    import xarray as xr

    from pipeline.models import get_model
    from pipeline.models.base import parse_overrides
    from pipeline.models.run import run_block
    from pipeline.precision import NumberFormat

    key, probe_length, tiny = PROBES[name]
    model_class = get_model(name)
    parameters = {k: str(v) for k, v in settings.get("parameters", {}).items()}
    full = parse_overrides(model_class.Config, parameters, name)
    spinup_steps, run_steps, per_output = full.run_length().steps()
    short = {**parameters, **{k: "0" for k in ("spinup_days", "spinup") if k in parameters}}
    members = list(range(settings["members_per_task"]))

    def steps(length):
        config = parse_overrides(model_class.Config, {**short, key: str(length)}, name)
        spin, run, _ = config.run_length().steps()
        return config, spin + run

    interval = _output_interval(name, parameters) if tiny is None else tiny
    figures = {"steps": spinup_steps + run_steps, "outputs": run_steps // per_output}
    for fmt in formats:
        timings = []
        # the first call loads this format's compiled kernels: warm up, then time
        run_block(model_class, steps(interval)[0], NumberFormat.parse(fmt), seed, 0, 0, members)
        for length in (interval, probe_length):
            config, count = steps(length)
            start = time.perf_counter()
            run_block(model_class, config, NumberFormat.parse(fmt), seed, 0, 0, members)
            timings.append((time.perf_counter() - start, count))
        (t0, n0), (t1, n1) = timings
        figures[fmt] = {"s_per_step": max(t1 - t0, 0.0) / max(n1 - n0, 1), "setup_s": t0}
    out = scratch / f"{name}.nc"
    arguments = ["simulate", name, "--format", formats[0], "--members", str(len(members)),
                 "--seed", str(seed), "--out", str(out)]
    for k, v in sorted({**short, key: str(probe_length)}.items()):
        arguments += ["--set", f"{k}={v}"]
    wall, peak = timed_run(arguments)
    with xr.open_dataset(out) as data:
        times = data.sizes.get("time", 1)
        raw = sum(v.nbytes for v in data.data_vars.values())
    figures["process_s"] = wall
    figures["peak_mib"] = peak
    figures["file_bytes_per_member_output"] = out.stat().st_size / (len(members) * times)
    figures["raw_bytes_per_member_output"] = raw / (len(members) * times)
    return figures


def _output_interval(name: str, parameters: dict) -> float:
    """One output interval in the unit of the model's length parameter."""
    if name == "heat_column":
        return float(parameters.get("output_interval_days", 10)) / 365.0
    if name in ("shallow_water", "speedy"):
        return float(parameters.get("output_interval_hours", 24)) / 24.0
    return float(parameters.get("output_interval", 0.1))


def gib(value: float) -> str:
    return f"{value / 2**30:,.1f} GiB"


def main() -> None:
    import yaml

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config" / "paper.yaml")
    parser.add_argument("--models", default=None, help="probe only these models (comma list)")
    parser.add_argument("--formats", default="float64,e11m10-sr",
                        help="a reference and an emulated format to time")
    args = parser.parse_args()
    config = with_boundary_files(yaml.safe_load(args.config.read_text()))
    formats = args.formats.split(",")

    calibration = calibration_ms_per_step()
    print(f"calibration: dry T30 float64 {calibration:.2f} ms/step "
          "(benchmarks/bench_speedy.py; scale wall times by yours / this)")
    with tempfile.TemporaryDirectory() as scratch:
        study = Path(scratch) / args.config.name
        study.write_text(yaml.safe_dump(config, sort_keys=False))
        counts = job_counts(study)
    print(f"\njobs of {args.config.name} (snakemake -n): {sum(counts.values())} in all")
    print("  " + ", ".join(f"{rule} {count}" for rule, count in counts.items()))

    print("\nper model, extrapolated from one member block (members_per_task members) at the "
          f"dearer of {' and '.join(formats)} for every run (an upper bound):")
    print(f"  {'model':14s} {'jobs':>5s} {'ranks':>5s} {'wall/job':>9s} {'core-h':>9s} "
          f"{'mem/job':>10s} {'file/job':>10s} {'output':>10s}")
    total_core_hours = total_bytes = 0.0
    with tempfile.TemporaryDirectory() as scratch:
        for name, settings in config["models"].items():
            if args.models and name not in args.models.split(","):
                continue
            figures = probe_model(name, settings, formats, config["seed"], Path(scratch))
            model_formats = settings.get("formats", config["formats"])
            nulls = settings.get("null_ensembles", config["null_ensembles"])
            # the formats but the float64 reference, and the null ensembles: members each;
            # the reference: reference_members (default members)
            runs = len(set(model_formats) - {"float64"}) + nulls
            reference_members = settings.get("reference_members", settings["members"])
            ranks = settings.get("mpi_tasks", config["mpi_tasks"])
            blocks = math.ceil(settings["members"] / settings["members_per_task"])
            reference_blocks = math.ceil(reference_members / settings["members_per_task"])
            # the dearer of the formats timed (an upper bound for the cheaper ones)
            dearest = max(formats, key=lambda fmt: figures[fmt]["s_per_step"])
            block_seconds = (figures[dearest]["setup_s"]
                             + figures[dearest]["s_per_step"] * figures["steps"])
            wall = figures["process_s"] + math.ceil(blocks / ranks) * block_seconds
            reference_wall = (figures["process_s"]
                              + math.ceil(reference_blocks / ranks) * block_seconds)
            core_hours = ranks * (runs * wall + reference_wall) / 3600
            member_outputs = figures["outputs"] * max(settings["members"], reference_members)
            file_bytes = figures["file_bytes_per_member_output"] * member_outputs
            memory = figures["peak_mib"] * 2**20 + figures["raw_bytes_per_member_output"] * member_outputs
            model_bytes = figures["file_bytes_per_member_output"] * figures["outputs"] * (
                runs * settings["members"] + reference_members)
            runs += 1
            total_core_hours += core_hours
            total_bytes += model_bytes
            print(f"  {name:14s} {runs:5d} {ranks:5d} {wall / 3600:8.2f}h {core_hours:9.1f} "
                  f"{gib(memory):>10s} {gib(file_bytes):>10s} {gib(model_bytes):>10s}")
            print(f"  {'':14s} measured: " + ", ".join(
                f"{fmt} {figures[fmt]['s_per_step'] * 1e3:.3g} ms/step" for fmt in formats)
                + f"; {figures['steps']} steps and {figures['outputs']} outputs per run, "
                  f"{blocks} blocks of {settings['members_per_task']} per job "
                  f"({block_seconds / 3600:.2f} h each), process {figures['process_s']:.1f} s, "
                  f"peak {figures['peak_mib']:.0f} MiB")
    print(f"\nsimulations: {total_core_hours:,.0f} core-hours, {gib(total_bytes)} of output "
          f"(spin-ups, analyses, bounds and relax jobs not included)")
    for rule in ("bound_search", "relax"):
        if rule in counts:
            print(f"{rule}: {counts[rule]} jobs (not timed here; see docs/cluster.md)")


if __name__ == "__main__":
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    main()
