"""What each stage of a workflow run cost, from Snakemake's own log.

    python benchmarks/stage_costs.py [.snakemake/log/LATEST.snakemake.log] [--markdown]

Snakemake stamps every job's start ("[date]" then "rule NAME:" with its jobid and wildcards)
and its end ("[date]" then "Finished jobid: N"). This sums the jobs' wall seconds per stage:
one stage per model (its spin-up, runs, nulls and analysis), the solver study, the bound
searches, and the summaries and plots. Jobs run side by side on the run's cores, so the
stages' job-seconds add up to about cores x elapsed. Timestamps have one-second resolution.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

STAMP = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d \d{4})\]$")
RULE = re.compile(r"^(?:local)?rule (\w+):$")
JOBID = re.compile(r"^\s+jobid: (\d+)$")
WILDCARDS = re.compile(r"^\s+wildcards: (.*)$")
FINISHED = re.compile(r"^Finished jobid: (\d+)")
MODEL_RULES = {"spinup", "simulate", "simulate_null", "analyse", "plot_maps", "plot_distances",
               "plot_profiles"}


def parse(lines):
    """Jobs as dicts: rule, wildcards, start and end (datetimes)."""
    jobs, stamp, current = {}, None, None
    for line in lines:
        if match := STAMP.match(line.strip()):
            stamp = datetime.strptime(" ".join(match.group(1).split()), "%a %b %d %H:%M:%S %Y")
        elif match := RULE.match(line):
            current = {"rule": match.group(1), "wildcards": {}, "start": stamp}
        elif current is not None and (match := JOBID.match(line)):
            jobs[int(match.group(1))] = current
        elif current is not None and (match := WILDCARDS.match(line)):
            current["wildcards"] = dict(item.split("=", 1) for item in match.group(1).split(", "))
        elif match := FINISHED.match(line):
            job = jobs.get(int(match.group(1)))
            if job is not None:
                job["end"] = stamp
    return [job for job in jobs.values() if "end" in job and job["rule"] != "all"]


def stage(job) -> str:
    if job["rule"] in MODEL_RULES and "model" in job["wildcards"]:
        return job["wildcards"]["model"]
    if job["rule"].startswith("relax"):
        return "solvers (relax)"
    if job["rule"].startswith("bound"):
        return "bounds"
    return "summaries and plots"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", nargs="?", help="a Snakemake log (default: the newest)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args()
    path = Path(args.log) if args.log else max(Path(".snakemake/log").glob("*.log"),
                                               key=lambda p: p.stat().st_mtime)
    jobs = parse(path.read_text().splitlines())
    if not jobs:
        raise SystemExit(f"stage_costs: no finished jobs in {path}.")
    totals, counts = defaultdict(float), defaultdict(int)
    for job in jobs:
        totals[stage(job)] += (job["end"] - job["start"]).total_seconds()
        counts[stage(job)] += 1
    elapsed = (max(j["end"] for j in jobs) - min(j["start"] for j in jobs)).total_seconds()
    everything = sum(totals.values())
    rows = sorted(totals, key=totals.get, reverse=True)
    if args.markdown:
        print("| stage | jobs | job-seconds | share |\n| --- | --- | --- | --- |")
        for name in rows:
            print(f"| {name} | {counts[name]} | {totals[name]:.0f} | {totals[name] / everything:.0%} |")
        print(f"| all ({elapsed:.0f} s elapsed) | {len(jobs)} | {everything:.0f} | 100% |")
    else:
        for name in rows:
            print(f"{name:24s} {counts[name]:4d} jobs {totals[name]:7.0f} s "
                  f"{totals[name] / everything:6.1%}")
        print(f"{'all':24s} {len(jobs):4d} jobs {everything:7.0f} s, {elapsed:.0f} s elapsed")


if __name__ == "__main__":
    main()
