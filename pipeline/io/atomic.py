"""Atomic file writes: write under a temporary name in the same folder, then rename.

A job killed mid-write leaves only a ``.tmp-*`` file behind, never a file with the final
name that looks complete (``os.replace`` is atomic within one file system, POSIX rename(2)).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(target):
    """Yield a temporary path beside ``target``; on success rename it to ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".tmp-{target.name}-", dir=target.parent)
    os.close(handle)
    try:
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
