"""`snakemake --report report.html` on a finished study: the one file a user sends a colleague
(issue 22). It must hold the minimal-bits table as a table, every figure with its caption, the
provenance (configuration and software versions) and a description that states the verdict
rule the study used.

The report is a self-contained HTML page whose results are one JSON object,
``var results = {...};``, each entry holding the file's name, caption (HTML), MIME type and
its content as a base64 ``data:`` URI; the test reads them back from there, as a browser would.
"""

import base64
import csv
import io
import json
import re
import shutil
from importlib import metadata

import yaml

from tests.conftest import ROOT

# A study small enough for seconds: two models, two formats, the report's every kind of output
# (table, W1 figures, a profile figure).
CONFIG = {"seed": 11, "mpi_tasks": 1, "null_ensembles": 2, "formats": ["e11m6", "e11m10-sr"],
          "models": {"lorenz63": {"members": 3, "members_per_task": 3,
                                  "parameters": {"spinup": 1, "length": 2,
                                                 "output_interval": 0.1}},
                     "heat_column": {"members": 3, "members_per_task": 3,
                                     "profile_variable": "temperature",
                                     "parameters": {"years": 1, "output_interval_days": 30}}}}


def report_results(html: str) -> dict:
    """The report's results: {file name: entry} from its embedded JSON."""
    match = re.search(r"var results = (\{.*?\});\n", html, flags=re.DOTALL)
    assert match, "the report embeds no results"
    results = json.loads(match.group(1))
    return {entry["name"]: entry for entry in _entries(results)}


def _entries(node):
    """Every result entry (a dict with a data URI), however the report nests categories."""
    if isinstance(node, dict):
        if "data_uri" in node and "name" in node:
            yield node
        else:
            for value in node.values():
                yield from _entries(value)
    elif isinstance(node, list):
        for value in node:
            yield from _entries(value)


def decoded(entry: dict) -> bytes:
    header, _, payload = entry["data_uri"].partition(",")
    assert header.endswith(";base64"), header
    return base64.b64decode(payload)


def test_the_report_holds_the_table_the_figures_the_provenance_and_the_verdict(tmp_path,
                                                                               run_tool):
    for name in ("workflow", "envs"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "Snakefile", tmp_path / "Snakefile")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "study.yaml").write_text(yaml.safe_dump(CONFIG))
    common = ("--configfile", "config/study.yaml", "--profile", "workflow/profiles/default")
    run_tool("snakemake", *common, "--cores", "2", cwd=tmp_path, timeout=900)
    run_tool("snakemake", *common, "--report", "report.html", cwd=tmp_path, timeout=300)
    html = (tmp_path / "report.html").read_text()
    results = report_results(html)

    # The table, as a table, with the rows the study wrote.
    table = results["minimal_bits.csv"]
    assert table["mime_type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(decoded(table).decode())))
    on_disk = (tmp_path / "results" / "summary" / "minimal_bits.csv").read_bytes()
    assert decoded(table) == on_disk
    assert {row["model"] for row in rows} == {"lorenz63", "heat_column"}
    assert "significand" in table["caption"]

    # Every figure the study made, each with a caption.
    figures = {path.name for path in (tmp_path / "results" / "summary").glob("*.png")}
    assert {"w1_lorenz63.png", "w1_heat_column.png", "profiles_heat_column.png"} <= figures
    for name in figures:
        assert decoded(results[name])[:8] == b"\x89PNG\r\n\x1a\n", name
        assert results[name]["mime_type"] == "image/png"
        assert len(re.sub(r"<[^>]+>", "", results[name]["caption"]).strip()) > 40, name

    # The provenance: the configuration as used (the study's own values, defaults filled in)
    # and the versions of what ran, as the installed distributions say.
    provenance = yaml.safe_load(decoded(results["provenance.yaml"]))
    assert provenance["config"]["seed"] == 11
    assert provenance["config"]["models"]["lorenz63"]["members"] == 3
    assert provenance["config"]["models"]["heat_column"]["checkpoint_every"] == 0  # a default
    for name in ("numpy", "xarray", "snakemake"):
        assert provenance["software"][name] == metadata.version(name), name
    assert provenance["software"]["mpi_library"].startswith("MPICH")

    # The description names the verdict rule the study used, its seed and its models.
    text = re.sub(r"<[^>]+>", "", html)
    assert "Verdict: null spread." in text and "Verdict: holm." not in text
    assert "seed 11" in text
    assert "lorenz63 (3 members)" in text and "heat_column (3 members)" in text
