"""Checkpoint and resume: an interrupted run, resumed, equals the uninterrupted one bit for bit."""

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
