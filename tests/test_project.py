"""The project's promises to a new user: two commands, a conda env for clusters, clean CLI errors."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def requirement_name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[;]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_conda_environment_names_every_runtime_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {requirement_name(r) for r in project["dependencies"]}
    environment = yaml.safe_load((ROOT / "envs" / "pipeline.yaml").read_text())
    conda = {requirement_name(d) for d in environment["dependencies"] if isinstance(d, str)}
    pip = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict)]
    from_pypi = {requirement_name(r) for r in (pip[0] if pip else []) if not r.startswith("-e")}
    assert runtime - conda - from_pypi == set()
    assert "conda-forge" in environment["channels"]


def test_readme_opens_with_the_two_commands():
    lines = [line for line in (ROOT / "README.md").read_text().splitlines() if line.strip()]
    commands = [line.split("#")[0].strip() for line in lines[1:6] if line.startswith("make ")]
    assert commands == ["make run", "make test"]


def test_cli_reports_a_bad_format_in_one_sentence_without_a_traceback(tmp_path):
    out = tmp_path / "formats.csv"
    result = subprocess.run([sys.executable, "-m", "pipeline", "formats", "e12m3", "--out", str(out)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("lowprec: error: Number format 'e12m3' is out of range")
    assert not out.exists()


def test_cli_formats_table_matches_the_formats(tmp_path):
    out = tmp_path / "formats.csv"
    subprocess.run([sys.executable, "-m", "pipeline", "formats", "float16", "e11m12-sr",
                    "--out", str(out)], check=True, cwd=ROOT)
    rows = out.read_text().splitlines()
    assert rows[1].startswith("float16,5,10,nearest,0.0009765625,5.960464477539063e-08,")
    assert rows[2].startswith("e11m12-sr,11,12,stochastic,0.000244140625,")
