"""Bring your own model: a package installed beside lowprec, found through the
``lowprec.models`` entry points, and run exactly like a built-in model."""

import csv
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from tests.conftest import ROOT, tool_environment

DECAY = '''
"""dx/dt = -x / tau by forward Euler: the protocol's example model, as a plugin."""
from dataclasses import dataclass

import numpy as np

from pipeline.models import RunLength, Variable


@dataclass(frozen=True)
class DecayConfig:
    tau: float = 10.0  # s
    dt: float = 0.1  # s
    length: float = 20.0  # s
    output_interval: float = 1.0  # s

    def check(self):
        return None if self.dt > 0 else "dt must be positive"

    def run_length(self):
        return RunLength(self.dt, 0.0, self.length, self.output_interval)


class Decay:
    name = "decay"
    Config = DecayConfig
    time_units = "seconds since 2000-01-01 00:00:00"
    time_long_name = "time"
    variables = {"x": Variable("1", "decaying amount", ("member", "time"))}

    def __init__(self, config, fmt):
        self.factor = 1.0 - config.dt / config.tau

    def coordinates(self):
        return {}

    def initial_state(self, perturbation_rngs):
        return (np.array([1.0 + 0.01 * r.standard_normal() for r in perturbation_rngs]),)

    def step(self, state):
        (x,) = state
        return (x * self.factor,)

    def snapshot(self, state):
        return {"x": np.array(state[0], dtype=np.float64)}


class PlainStep(Decay):
    name = "plainstep"

    def step(self, state):
        return (np.asarray(state[0], dtype=np.float64) * self.factor,)


class Raises(Decay):
    name = "raises"

    def step(self, state):
        return (state[0] / 0 if self.factor < 2 else state[0],) if 1 // 0 else state


class NoSnapshot(Decay):
    name = "nosnapshot"

    def snapshot(self, state):
        return {"y": np.array(state[0], dtype=np.float64)}


class Reserved(Decay):
    name = "reserved"
    variables = {"time": Variable("1", "decaying amount", ("member", "time"))}


class NoStep:
    name = "nostep"
    Config = DecayConfig
    time_units = "seconds since 2000-01-01 00:00:00"
    time_long_name = "time"
    variables = Decay.variables
    coordinates = Decay.coordinates
    initial_state = Decay.initial_state
    snapshot = Decay.snapshot
'''

PYPROJECT = '''
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "decay-model"
version = "0.1"

[project.entry-points."lowprec.models"]
decay = "decaymodel:Decay"
nostep = "decaymodel:NoStep"
plainstep = "decaymodel:PlainStep"
raises = "decaymodel:Raises"
nosnapshot = "decaymodel:NoSnapshot"
reserved = "decaymodel:Reserved"
'''


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory):
    """The plugin package built and installed by pip into a directory of its own."""
    root = tmp_path_factory.mktemp("plugin")
    package = root / "decay-model"
    (package / "decaymodel").mkdir(parents=True)
    (package / "decaymodel" / "__init__.py").write_text(DECAY)
    (package / "pyproject.toml").write_text(PYPROJECT)
    site = root / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(site), str(package)],
                   check=True, capture_output=True, text=True)
    return site


def run(site, *command, cwd=ROOT, timeout=600):
    environment = tool_environment()
    environment["PYTHONPATH"] = os.pathsep.join([str(site), str(ROOT)])
    return subprocess.run([str(c) for c in command], capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=timeout)


def test_lowprec_models_lists_the_plugin_with_its_parameters(plugin_site):
    result = run(plugin_site, "lowprec", "models")
    assert result.returncode == 0, result.stderr
    assert "decay  (decaymodel)" in result.stdout
    assert "--set tau=10.0  # s" in result.stdout
    assert "output x [1] decaying amount" in result.stdout
    assert "heat_column" in result.stdout  # the built-in ones too
    assert "nostep: unusable:" in result.stdout and "step()" in result.stdout


def test_a_plugin_is_simulated_like_a_built_in_model(plugin_site, tmp_path):
    out = tmp_path / "decay.nc"
    result = run(plugin_site, "lowprec", "simulate", "decay", "--format", "float64",
                 "--members", "3", "--seed", "1", "--set", "tau=5", "--out", out)
    assert result.returncode == 0, result.stderr
    with xr.open_dataset(out, decode_times=False) as dataset:
        x = dataset["x"].values
        times = dataset["time"].values
    # Forward Euler: x_n = x_0 (1 - dt/tau)^n, 10 steps per output; against the exact decay.
    steps = np.round(np.asarray(times, dtype=float) / 0.1)
    expected = x[:, :1] / (1 - 0.1 / 5) ** steps[0] * (1 - 0.1 / 5) ** steps
    assert np.allclose(x, expected, rtol=1e-12)
    assert math.isclose(x[0, -1] / x[0, 0], math.exp(-19 / 5), rel_tol=0.05)


def test_a_plugin_that_breaks_the_protocol_is_one_sentence(plugin_site, tmp_path):
    result = run(plugin_site, "lowprec", "simulate", "nostep", "--format", "float64",
                 "--members", "2", "--seed", "1", "--out", tmp_path / "x.nc")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "does not follow the model protocol: it has no step()" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, message", [
    ("plainstep", "The plugin model plainstep at e5m6, members 0 to 1: step() returned a "
     "float64 ndarray of shape (2,) for state entry 0, not an e5m6 array of shape (2,)"),
    ("raises", "The plugin model raises at e5m6, members 0 to 1: its step() raised "
     "ZeroDivisionError: integer division or modulo by zero ("),
    ("nosnapshot", "snapshot() has no 'x', one of its declared variables"),
    ("reserved", "its variable 'time' has a name the ensemble file uses itself"),
])
def test_a_plugin_that_misbehaves_while_running_is_one_sentence(plugin_site, tmp_path, name,
                                                                  message):
    """Found by an audit: a plain float64 step ran to the end at the wrong precision (exit
    0), the others ended in tracebacks into lowprec."""
    out = tmp_path / "x.nc"
    result = run(plugin_site, "lowprec", "simulate", name, "--format", "e5m6",
                 "--members", "2", "--seed", "1", "--out", out)
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not out.exists()


@pytest.mark.extended
def test_the_workflow_studies_a_plugin_model(plugin_site, tmp_path):
    config = tmp_path / "decay.yaml"
    config.write_text(textwrap.dedent("""\
        seed: 3
        mpi_tasks: 1
        null_ensembles: 3
        formats: [float64, e11m12, e11m3, e11m12-sr]
        models:
          decay:
            members: 8
            members_per_task: 4
            parameters: {tau: 5, length: 10}
        """))
    result = run(plugin_site, "snakemake", "--snakefile", ROOT / "Snakefile", "--directory",
                 tmp_path, "--configfile", config, "--profile",
                 ROOT / "workflow" / "profiles" / "default", "--cores", "2", timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "results" / "summary" / "minimal_bits.csv") as stream:
        rows = {(r["variable"], r["rounding"]): r["min_significand_bits"]
                for r in csv.DictReader(stream) if r["model"] == "decay"}
    assert set(rows) == {("x", "nearest"), ("x", "stochastic")}
    # 3 bits (spacing 1/8 near 1) cannot hold a factor of 0.98 per step: x stalls at 1.
    assert rows[("x", "nearest")] in ("12", "52")
