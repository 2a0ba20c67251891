"""Checkpoint and resume: an interrupted run, resumed, equals the uninterrupted one bit for bit;
a checkpoint file never runs code and a bad one costs a recomputation, never the run."""

import pickle

import numpy as np
import pytest

from pipeline.models.base import parse_overrides
from pipeline.models.heat_column import HeatColumn
from pipeline.models.lorenz63 import Lorenz63
from pipeline.models.run import run_block
from pipeline.precision import NumberFormat


class Killed(Exception):
    pass


def kill_after(outputs):
    def progress(done, total):
        if done == outputs:
            raise Killed
    return progress


class Planted:
    """A pickle that, when loaded, creates the file ``marker`` (stands for any command)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


SMALL = {  # each model's run with a handful of outputs (as in config/test.yaml)
    "lorenz63": {"spinup": "1", "length": "1.2", "output_interval": "0.1"},
    "heat_column": {"years": "0.5", "output_interval_days": "15"},
    "shallow_water": {"resolution_km": "200", "days": "1", "spinup_days": "0",
                      "output_interval_hours": "2"},
    "speedy": {"truncation": "10", "days": "1", "spinup_days": "0",
               "output_interval_hours": "2", "humidity": "true"},
    "heat2d": {"nx": "6", "length": "0.06", "output_interval": "0.005"},
}


@pytest.mark.parametrize("model,overrides,name", [
    (Lorenz63, {"spinup": "1", "length": "3", "output_interval": "0.1"}, "e8m7-sr"),
    (HeatColumn, {"years": "0.5", "output_interval_days": "10"}, "e11m10-sr"),
])
def test_a_killed_run_resumes_to_the_uninterrupted_result(tmp_path, model, overrides, name):
    config = parse_overrides(model.Config, overrides, model.name)
    fmt = NumberFormat.parse(name)
    whole = run_block(model, config, fmt, 5, 0, 1, [2, 3])
    checkpoint = tmp_path / "block.pkl"
    with pytest.raises(Killed):
        run_block(model, config, fmt, 5, 0, 1, [2, 3], progress=kill_after(13),
                  checkpoint=checkpoint, checkpoint_every=4)
    assert checkpoint.exists()
    resumed = run_block(model, config, fmt, 5, 0, 1, [2, 3], checkpoint=checkpoint,
                        checkpoint_every=4)
    for variable in whole.fields:
        assert np.array_equal(whole.fields[variable], resumed.fields[variable])


def test_a_checkpoint_of_other_settings_is_not_used(tmp_path):
    config = parse_overrides(Lorenz63.Config, {"spinup": "0", "length": "1"}, "lorenz63")
    fmt = NumberFormat.parse("e8m7")
    checkpoint = tmp_path / "block.pkl"
    run_block(Lorenz63, config, fmt, 5, 0, 0, [0], checkpoint=checkpoint, checkpoint_every=2)
    other = run_block(Lorenz63, config, fmt, 6, 0, 0, [0], checkpoint=checkpoint,
                      checkpoint_every=2)
    fresh = run_block(Lorenz63, config, fmt, 6, 0, 0, [0])
    assert np.array_equal(other.fields["x"], fresh.fields["x"])


@pytest.mark.parametrize("name", SMALL)
@pytest.mark.parametrize("fmt", ["e11m10-sr", "float64"])
def test_every_model_resumes_from_its_checkpoint_bit_for_bit(tmp_path, capsys, name, fmt):
    """Resumed, not recomputed: the resumed run reports its first output after the saved
    ones, says nothing, and ends with the uninterrupted run's every bit."""
    from pipeline.models import get_model

    model = get_model(name)
    config = parse_overrides(model.Config, SMALL[name], name)
    fmt = NumberFormat.parse(fmt)
    whole = run_block(model, config, fmt, 3, 0, 1, [0, 1])
    outputs = next(iter(whole.fields.values())).shape[1]
    assert outputs >= 8
    checkpoint = tmp_path / "block-1.npz"
    with pytest.raises(Killed):
        run_block(model, config, fmt, 3, 0, 1, [0, 1], progress=kill_after(7),
                  checkpoint=checkpoint, checkpoint_every=3)
    seen = []
    resumed = run_block(model, config, fmt, 3, 0, 1, [0, 1], checkpoint=checkpoint,
                        checkpoint_every=3, progress=lambda done, total: seen.append(done))
    assert seen[0] == 7  # outputs 1-6 came from the checkpoint
    assert capsys.readouterr().err == ""
    assert set(resumed.fields) == set(whole.fields)
    for variable in whole.fields:
        assert resumed.fields[variable].tobytes() == whole.fields[variable].tobytes()
    assert np.array_equal(resumed.blowup_time, whole.blowup_time, equal_nan=True)


@pytest.mark.parametrize("every", [0, 4])
def test_a_planted_pickle_at_the_checkpoint_path_is_never_executed(tmp_path, capsys, every):
    config = parse_overrides(Lorenz63.Config, {"spinup": "0", "length": "1"}, "lorenz63")
    fmt = NumberFormat.parse("e8m7-sr")
    marker, checkpoint = tmp_path / "pwned", tmp_path / "block-0.npz"
    checkpoint.write_bytes(pickle.dumps(Planted(marker)))
    result = run_block(Lorenz63, config, fmt, 5, 0, 0, [0], checkpoint=checkpoint,
                       checkpoint_every=every)
    assert not marker.exists()
    assert np.array_equal(result.fields["x"], run_block(Lorenz63, config, fmt, 5, 0, 0, [0]).fields["x"])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "ignoring checkpoint" in lines[0] and "pickled data" in lines[0]


def test_a_checkpoint_of_this_identity_that_does_not_fit_the_block_is_ignored(tmp_path, capsys):
    from pipeline.io.checkpoint import read_checkpoint, save_checkpoint

    config = parse_overrides(Lorenz63.Config, {"spinup": "0", "length": "1"}, "lorenz63")
    fmt = NumberFormat.parse("e8m7-sr")
    checkpoint = tmp_path / "block-0.npz"
    run_block(Lorenz63, config, fmt, 5, 0, 0, [0], checkpoint=checkpoint, checkpoint_every=3)
    identity = {"model": "lorenz63", "format": fmt.name, "seed": 5, "ensemble": 0,
                "block": 0, "members": [0], "config": repr(config)}
    saved = read_checkpoint(checkpoint, identity)
    saved["state"][0] = np.zeros(7)  # a state of another shape under the right identity
    save_checkpoint(checkpoint, identity, saved)
    result = run_block(Lorenz63, config, fmt, 5, 0, 0, [0], checkpoint=checkpoint)
    assert np.array_equal(result.fields["x"], run_block(Lorenz63, config, fmt, 5, 0, 0, [0]).fields["x"])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "do not fit this block" in lines[0]


def test_simulate_never_runs_a_planted_checkpoint_even_when_not_checkpointing(tmp_path, run_tool):
    """The attack of issue 23: pickles planted where `lowprec simulate` looks for its
    checkpoints (the old .pkl name and the new .npz one), with --checkpoint-every 0."""
    out, marker = tmp_path / "l63.nc", tmp_path / "pwned"
    folder = tmp_path / "l63.nc.checkpoint"
    folder.mkdir()
    for name in ("block-0.pkl", "block-0.npz"):
        (folder / name).write_bytes(pickle.dumps(Planted(marker)))
    result = run_tool("lowprec", "simulate", "lorenz63", "--format", "e8m7-sr", "--members", "2",
                      "--seed", "1", "--set", "spinup=0", "--set", "length=1",
                      "--checkpoint-every", "0", "--out", out)
    assert out.exists() and not marker.exists()
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "block-0.npz" in lines[0] and "pickled data" in lines[0], lines
    assert "Traceback" not in result.stderr


def test_simulate_killed_with_sigkill_resumes_to_the_uninterrupted_file(tmp_path, run_tool):
    """kill -9 mid-run leaves no output file, only checkpoints; the rerun resumes from them
    and writes the values of an uninterrupted run, bit for bit."""
    import json
    import signal
    import subprocess
    import time

    import xarray as xr

    from tests.conftest import BIN, tool_environment

    def command(out):
        return [str(BIN / "lowprec"), "simulate", "heat_column", "--format", "e11m10-sr",
                "--members", "2", "--seed", "3", "--set", "years=3",
                "--set", "output_interval_days=10", "--checkpoint-every", "1", "--out", str(out)]

    whole, out = tmp_path / "whole.nc", tmp_path / "killed.nc"
    run_tool(*command(whole))
    checkpoint = tmp_path / "killed.nc.checkpoint" / "block-0.npz"
    job = subprocess.Popen(command(out), env=tool_environment(), stderr=subprocess.PIPE)
    done = 0
    deadline = time.monotonic() + 120
    while done < 5 and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            with np.load(checkpoint) as archive:
                done = json.loads(str(archive["contents"][()]))["__dict__"]["done"]
        except (OSError, ValueError, KeyError):
            pass  # not written yet
    job.send_signal(signal.SIGKILL)
    job.wait()
    assert job.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert done >= 5 and not out.exists() and checkpoint.exists()
    result = run_tool(*command(out))
    assert "warning" not in result.stderr
    expected, resumed = xr.load_dataset(whole), xr.load_dataset(out)
    assert set(expected.data_vars) == set(resumed.data_vars)
    for name in expected.data_vars:
        assert expected[name].values.tobytes() == resumed[name].values.tobytes(), name
    assert not checkpoint.parent.exists()
