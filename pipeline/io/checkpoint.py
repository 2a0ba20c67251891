"""Checkpoints that cannot run code when read: an npz of plain arrays plus JSON text.

A checkpoint sits beside a run's output (``OUT.checkpoint/block-N.npz``) where anyone who can
write to the results folder can plant a file, and every rank of every later job reads it.
Pickle would execute whatever such a file asks for, so checkpoints are written with
`numpy.savez` and read with ``numpy.load(..., allow_pickle=False)``: the only things a file
can yield are numeric or text arrays and JSON (no object arrays, which are pickles).

Layout of one file (a zip archive of ``.npy`` members):

* ``lowprec_checkpoint``: the layout version (``VERSION``), so a stray npz is recognised;
* ``identity``: JSON text naming the run the file belongs to (model, format, seed, ...).
  It is read and compared before any other member is touched: a file of another run is
  ignored without reading its contents;
* ``contents``: JSON text of the saved object's skeleton: dicts with string keys, lists,
  tuples, ``None``, booleans, integers of any size, floats (written by ``repr``, so exact)
  and strings are stored inline; every NumPy array, and every NumPy scalar (as a 0-d array,
  so its dtype survives), is a reference ``{"__array__": "a3"}`` to the member ``a3``.

That is enough for what a block holds (its state, a random generator's ``bit_generator.state``
with its 128-bit integers and uint64 arrays, snapshots as a list of dicts of arrays) and it
round-trips bit for bit. Reading never raises: a missing, foreign, corrupt, truncated or
hostile file gives ``None`` and one warning line on stderr, and the run starts afresh.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np

from pipeline.io.atomic import atomic_path, termination_deferred

VERSION = 1
_ARRAY, _SCALAR, _TUPLE, _DICT = "__array__", "__scalar__", "__tuple__", "__dict__"
_RESERVED = ("lowprec_checkpoint", "identity", "contents")


class CheckpointError(Exception):
    """A checkpoint file that cannot be used (why, in one phrase)."""


def save_checkpoint(path, identity: dict, contents) -> None:
    """Write ``contents`` (see the module docstring for what it may hold) under ``identity``
    to ``path`` atomically: a job killed mid-write leaves the previous checkpoint intact."""
    arrays: dict[str, np.ndarray] = {}
    skeleton = _encode(contents, arrays)
    members = {
        "lowprec_checkpoint": np.array(VERSION),
        "identity": np.array(_json(identity)),
        "contents": np.array(json.dumps(skeleton, allow_nan=True)),
        **arrays,
    }
    # Written through an open handle: given a name, numpy.savez would append ".npz" to the
    # temporary one, and the rename would miss it. SIGTERM waits for the write to finish
    # (a second or so): interrupted inside zipfile, numpy's clean-up raised a ValueError
    # over the signal's exception (a traceback, exit status 1), and a finished checkpoint
    # is what the rerun resumes from.
    with termination_deferred(), atomic_path(path) as temporary, \
            open(temporary, "wb") as stream:
        np.savez(stream, **members)


def load_checkpoint(path, identity: dict, warn=None):
    """The contents saved under ``identity`` at ``path``, or None.

    None, silently, when there is no file; None with one warning line (``warn``, default a
    line on stderr) when the file belongs to another run or cannot be read as a checkpoint.
    Nothing in the file can run code: pickled data is refused, never loaded.
    """
    if path is None or not Path(path).exists():
        return None
    try:
        return read_checkpoint(path, identity)
    except CheckpointError as error:
        (warn or _warn_on_stderr)(
            f"lowprec: warning: ignoring checkpoint {path}: {error}; the block starts afresh.")
        return None


def read_checkpoint(path, identity: dict):
    """Like `load_checkpoint`, but a file that cannot be used raises `CheckpointError`."""
    expected = json.loads(_json(identity))
    try:
        archive = np.load(path, allow_pickle=False)
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise CheckpointError("it is a single .npy array, not a lowprec checkpoint")
        with archive:
            names = set(archive.files)
            if not set(_RESERVED) <= names:
                raise CheckpointError("it is not a lowprec checkpoint (no identity in it)")
            if int(archive["lowprec_checkpoint"]) != VERSION:
                raise CheckpointError(
                    f"its layout version is {archive['lowprec_checkpoint']}, not {VERSION}")
            saved = json.loads(str(archive["identity"][()]))
            if saved != expected:
                differing = sorted(key for key in set(saved) | set(expected)
                                   if not isinstance(saved, dict)
                                   or saved.get(key) != expected.get(key))
                raise CheckpointError(
                    f"it belongs to another run (its {', '.join(differing)} "
                    f"{'differs' if len(differing) == 1 else 'differ'})")
            skeleton = json.loads(str(archive["contents"][()]))
            return _decode(skeleton, archive, names)
    except CheckpointError:
        raise
    except ValueError as error:
        if "pickle" in str(error):
            raise CheckpointError("it holds pickled data, which is never loaded") from None
        raise CheckpointError(f"it is not a readable checkpoint ({_short(error)})") from None
    except (OSError, EOFError, KeyError, TypeError, AttributeError, IndexError,
            zipfile.BadZipFile, zipfile.LargeZipFile, RecursionError) as error:
        raise CheckpointError(f"it is not a readable checkpoint ({_short(error)})") from None


def _encode(value, arrays: dict):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float) and not isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise TypeError("a checkpoint holds no object arrays (they would be pickled)")
        name = f"a{len(arrays)}"
        arrays[name] = np.array(array)  # a plain ndarray, not a view or subclass
        return {_ARRAY if isinstance(value, np.ndarray) else _SCALAR: name}
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(item, arrays) for item in value]}
    if isinstance(value, list):
        return [_encode(item, arrays) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("checkpoint dicts need string keys")
        return {_DICT: {key: _encode(item, arrays) for key, item in value.items()}}
    raise TypeError(f"a checkpoint cannot hold a {type(value).__name__}; convert it to "
                    f"a NumPy array first")


def _decode(skeleton, archive, names: set):
    if skeleton is None or isinstance(skeleton, (bool, int, float, str)):
        return skeleton
    if isinstance(skeleton, list):
        return [_decode(item, archive, names) for item in skeleton]
    if isinstance(skeleton, dict) and len(skeleton) == 1:
        (tag, inner), = skeleton.items()
        if tag in (_ARRAY, _SCALAR):
            if not isinstance(inner, str) or inner not in names or inner in _RESERVED:
                raise CheckpointError(f"it refers to a missing array {inner!r}")
            array = archive[inner]
            if not array.flags.writeable:  # some numpy versions read members read-only
                array = array.copy()
            return array if tag == _ARRAY else array[()]
        if tag == _TUPLE and isinstance(inner, list):
            return tuple(_decode(item, archive, names) for item in inner)
        if tag == _DICT and isinstance(inner, dict):
            return {key: _decode(item, archive, names) for key, item in inner.items()}
    raise CheckpointError("its contents are not in lowprec's layout")


def _json(value) -> str:
    """Canonical JSON of an identity (tuples become lists, as they will when read back)."""
    return json.dumps(value, sort_keys=True, allow_nan=True)


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


def _warn_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
