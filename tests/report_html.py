"""`snakemake --report report.html` on a finished study: the one file a user sends a colleague
(issue 22), checked on the end-to-end run of tests/test_workflow.py. It must hold the
minimal-bits table as a table, every figure with its caption, the provenance (configuration
and software versions) and a description that states the verdict rule the study used.

The report is a self-contained HTML page whose results are one JSON object,
``var results = {...};``, each entry holding the file's name, caption (HTML), MIME type and
its content as a base64 ``data:`` URI; the test reads them back from there, as a browser would.
"""

import base64
import csv
import io
import json
import re
from importlib import metadata

import yaml


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


def assert_complete_report(directory, run_tool, snakemake_arguments, config: dict) -> None:
    """Make the report of the finished study in ``directory`` (the same snakemake arguments
    as its run) and check it holds what a colleague needs."""
    run_tool("snakemake", *snakemake_arguments, "--report", directory / "report.html",
             timeout=300)
    html = (directory / "report.html").read_text()
    results = report_results(html)

    # The table, as a table, with the rows the study wrote.
    table = results["minimal_bits.csv"]
    assert table["mime_type"] == "text/csv"
    rows = list(csv.DictReader(io.StringIO(decoded(table).decode())))
    assert decoded(table) == (directory / "results" / "summary" / "minimal_bits.csv").read_bytes()
    assert {row["model"] for row in rows} == set(config["models"])
    assert "significand" in table["caption"]

    # Every table and figure the study made, each with a caption.
    for name in ("bounds.csv", "relax.csv"):
        if (directory / "results" / "summary" / name).exists():
            assert results[name]["mime_type"] == "text/csv", name
            assert decoded(results[name]) == \
                (directory / "results" / "summary" / name).read_bytes(), name
    figures = {path.name for path in (directory / "results" / "summary").glob("*.png")}
    assert len(figures) >= len(config["models"])
    for name in figures:
        assert decoded(results[name])[:8] == b"\x89PNG\r\n\x1a\n", name
        assert results[name]["mime_type"] == "image/png"
        assert len(re.sub(r"<[^>]+>", "", results[name]["caption"]).strip()) > 40, name

    # The provenance: the configuration as used (the study's own values, defaults filled in)
    # and the versions of what ran, as the installed distributions say.
    provenance = yaml.safe_load(decoded(results["provenance.yaml"]))
    assert provenance["config"]["seed"] == config["seed"]
    for name, model in config["models"].items():
        assert provenance["config"]["models"][name]["members"] == model["members"]
        assert "checkpoint_every" in provenance["config"]["models"][name]  # a default
    for name in ("numpy", "xarray", "snakemake"):
        assert provenance["software"][name] == metadata.version(name), name
    assert provenance["software"]["mpi_library"].startswith("MPICH")

    # The description names the verdict rule the study used, its seed and its models.
    text = re.sub(r"<[^>]+>", "", html)
    assert "Verdict: null spread." in text and "Verdict: holm." not in text
    assert f"seed {config['seed']}" in text
    for name, model in config["models"].items():
        assert f"{name} ({model['members']} members)" in text, name
