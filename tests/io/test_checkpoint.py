"""Checkpoint files: exact round trips, and nothing in a file can run code when it is read."""

import os
import pickle
import zipfile

import numpy as np
import pytest

from pipeline.io.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint

IDENTITY = {"model": "lorenz63", "format": "e8m7-sr", "seed": 2**80, "ensemble": 0,
            "block": 1, "members": [2, 3], "config": "Lorenz63Config(dt=0.01)"}


class Planted:
    """A pickle that, when loaded, creates the file ``marker`` (stands for any command)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def warnings_of(path, identity=IDENTITY):
    """(contents, warning lines) of loading ``path``."""
    lines = []
    return load_checkpoint(path, identity, warn=lines.append), lines


def same(a, b) -> bool:
    """Equal in type, dtype, shape and every bit (NaN payloads and -0.0 included)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return a == b


def test_every_kind_of_block_contents_round_trips_bit_for_bit(tmp_path):
    philox = np.random.Generator(np.random.Philox(7))
    philox.random(5)
    pcg = np.random.Generator(np.random.PCG64(7))  # its state holds 128-bit integers
    pcg.integers(0, 10, 3)
    contents = {
        "rng": philox.bit_generator.state, "pcg": pcg.bit_generator.state,
        "state": [np.array([1.0, -0.0, np.nan, np.inf, 5e-324]),
                  np.arange(6, dtype=np.complex128).reshape(2, 3) * (1 + 2j),
                  np.zeros((0, 3)), np.array(3.5)],
        "snapshots": [{"x": np.float32([1, 2]), "flag": np.array([True, False])},
                      {"x": np.float32([3, 4]), "flag": np.array([False, True])}],
        "nested": {"tuple": (1, 2.5, "three", None, True), "big": -2**100,
                   "nan": float("nan"), "scalar": np.float32(0.1), "count": np.uint64(2**64 - 1),
                   "text": np.array(["a", "bc"])},
        "done": 2,
    }
    path = tmp_path / "block-1.npz"
    save_checkpoint(path, IDENTITY, contents)
    assert os.listdir(tmp_path) == ["block-1.npz"]  # no stray temporary, no ".npz.npz"
    loaded, lines = warnings_of(path)
    assert lines == []
    assert same(loaded, contents)


def test_a_restored_generator_continues_the_same_stream(tmp_path):
    rng = np.random.Generator(np.random.Philox(11))
    rng.random(3)
    save_checkpoint(tmp_path / "c.npz", IDENTITY, {"rng": rng.bit_generator.state})
    expected = rng.integers(0, 2**63, 100)
    other = np.random.Generator(np.random.Philox(0))
    other.bit_generator.state = load_checkpoint(tmp_path / "c.npz", IDENTITY)["rng"]
    assert np.array_equal(other.integers(0, 2**63, 100), expected)


def test_a_checkpoint_cannot_hold_objects_that_would_be_pickled(tmp_path):
    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "c.npz", IDENTITY, {"x": np.array([object()])})
    with pytest.raises(TypeError):
        save_checkpoint(tmp_path / "c.npz", IDENTITY, {"x": {1, 2}})
    assert not (tmp_path / "c.npz").exists()


@pytest.mark.parametrize("protocol", [0, pickle.HIGHEST_PROTOCOL])
def test_a_planted_pickle_is_never_executed(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "block-0.npz"
    path.write_bytes(pickle.dumps(Planted(marker), protocol=protocol))
    pickle.loads(pickle.dumps(Planted(tmp_path / "check")))  # the payload does work...
    assert (tmp_path / "check").exists()
    loaded, lines = warnings_of(path)  # ...but reading the checkpoint never runs it
    assert loaded is None and not marker.exists()
    assert len(lines) == 1 and "pickled data" in lines[0] and str(path) in lines[0]


def test_a_pickled_array_inside_an_npz_of_the_right_identity_is_never_executed(tmp_path):
    """The hardest case: the identity matches, and an array member is an object array, which
    numpy stores as a pickle."""
    import json

    marker = tmp_path / "pwned"
    path = tmp_path / "block-0.npz"
    payload = np.empty(1, dtype=object)
    payload[0] = Planted(marker)
    with open(path, "wb") as stream:
        np.savez(stream, lowprec_checkpoint=np.array(1),
                 identity=np.array(json.dumps(IDENTITY, sort_keys=True)),
                 contents=np.array(json.dumps({"__dict__": {"x": {"__array__": "a0"}}})),
                 a0=payload)
    loaded, lines = warnings_of(path)
    assert loaded is None and not marker.exists()
    assert len(lines) == 1 and "pickled data" in lines[0]


def genuine(tmp_path):
    path = tmp_path / "genuine.npz"
    save_checkpoint(path, IDENTITY, {"state": [np.arange(1000.0)], "done": 3})
    return path.read_bytes()


def zip_without_identity(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a checkpoint")
    return path.read_bytes()


def npz_without_identity(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3))
    return path.read_bytes()


def single_npy(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(3))
    return path.read_bytes()


def bad_skeleton(tmp_path):
    import json

    path = tmp_path / "bad.npz"
    np.savez(path, lowprec_checkpoint=np.array(1),
             identity=np.array(json.dumps(IDENTITY, sort_keys=True)),
             contents=np.array(json.dumps({"__array__": "a9"})))
    return path.read_bytes()


CORRUPT = {
    "empty": lambda tmp: b"",
    "random bytes": lambda tmp: np.random.default_rng(1).bytes(4096),
    "text": lambda tmp: b"state: [1, 2, 3]\n",
    "truncated to half": lambda tmp: genuine(tmp)[: len(genuine(tmp)) // 2],
    "truncated by one byte": lambda tmp: genuine(tmp)[:-1],
    "a flipped byte in an array": lambda tmp: (lambda b: b[:200] + bytes([b[200] ^ 0xFF])
                                               + b[201:])(genuine(tmp)),
    "a zip of something else": zip_without_identity,
    "an npz of something else": npz_without_identity,
    "a single .npy array": single_npy,
    "a reference to a missing array": bad_skeleton,
}


@pytest.mark.parametrize("kind", CORRUPT)
def test_a_corrupt_or_foreign_file_is_ignored_with_one_warning(tmp_path, kind):
    path = tmp_path / "block-0.npz"
    path.write_bytes(CORRUPT[kind](tmp_path))
    loaded, lines = warnings_of(path)
    assert loaded is None
    assert len(lines) == 1 and lines[0].startswith(f"lowprec: warning: ignoring checkpoint {path}")
    assert "\n" not in lines[0]


def test_a_checkpoint_of_another_run_is_ignored_naming_what_differs(tmp_path):
    path = tmp_path / "block-0.npz"
    save_checkpoint(path, IDENTITY, {"done": 1})
    loaded, lines = warnings_of(path, {**IDENTITY, "seed": 5})
    assert loaded is None and len(lines) == 1 and "another run (its seed differs)" in lines[0]
    assert read_checkpoint(path, IDENTITY) == {"done": 1}


def test_a_directory_in_place_of_the_file_is_ignored_with_one_warning(tmp_path):
    (tmp_path / "block-0.npz").mkdir()
    loaded, lines = warnings_of(tmp_path / "block-0.npz")
    assert loaded is None and len(lines) == 1


def test_no_file_is_no_warning(tmp_path):
    assert warnings_of(tmp_path / "absent.npz") == (None, [])
    assert warnings_of(None) == (None, [])
