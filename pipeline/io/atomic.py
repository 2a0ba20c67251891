"""Atomic file writes: write under a temporary name in the same folder, then rename.

A job killed mid-write leaves only a ``.tmp-*`` file behind, never a file with the final
name that looks complete (``os.replace`` is atomic within one file system, POSIX rename(2)).
A job stopped by SIGTERM (scancel, a time limit) leaves nothing: `pipeline.cli` turns the
signal into an exception, which passes through here and removes the temporary file.

The temporary file is created by ``mkstemp`` with mode 0600 (so that no one else can read it
while it is being written); the finished file gets the mode an ordinary ``open`` would have
given it, 0666 less the umask, as users and shared project folders expect.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from pathlib import Path


def current_umask() -> int:
    """The process's umask (read by setting it and putting it back: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(target):
    """Yield a temporary path beside ``target``; on success rename it to ``target``.

    SIGTERM is held back (recorded, then delivered) while the temporary file is created and
    while it is removed: a signal arriving between ``mkstemp`` and the ``try`` that cleans up,
    or in the middle of the clean-up, left the file behind (seen under ``mpiexec`` on a
    loaded machine)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = None
    try:
        with termination_deferred():
            handle, temporary = tempfile.mkstemp(prefix=f".tmp-{target.name}-",
                                                 dir=target.parent)
            try:
                os.fchmod(handle, 0o666 & ~current_umask())
            finally:
                os.close(handle)
        yield temporary
        os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            with termination_deferred(), contextlib.suppress(FileNotFoundError):
                os.remove(temporary)
        raise


@contextlib.contextmanager
def termination_deferred():
    """Hold SIGTERM back for the duration: a signal arriving meanwhile is only recorded, and
    the handler that was installed gets it at the end. Done with Python handlers rather than
    a signal mask, because the process's other threads (MPI's, numba's) could receive the
    signal for it; only the main thread can install handlers, elsewhere this is a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending = []
    previous = signal.signal(signal.SIGTERM, lambda number, frame: pending.append(number))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if pending:
            if callable(previous):
                previous(signal.SIGTERM, None)
            elif previous == signal.SIG_DFL:
                os.kill(os.getpid(), signal.SIGTERM)


def writable_problem(target) -> str | None:
    """Why ``target`` cannot be written as a file, in words (None if it can).

    Checked before a stage computes anything, so that a bad destination is found in a
    second, not after an hour's run. Nothing is created: the nearest existing folder is
    probed with a temporary file that is removed at once (``os.access`` is not enough: it
    says yes to root even where the file system says no, as in /proc).
    """
    target = Path(target)
    if target.is_dir():
        return "is a directory; give the path of a file to write"
    if target.exists() and not target.is_file():
        # A device or a pipe (/dev/null): the finished file would be renamed over it.
        return "is not a regular file; give the path of a file to write"
    if target.name in ("", ".", ".."):
        return "does not name a file"
    ancestor = target.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        return f"cannot be written: {ancestor} is a file, not a folder"
    if target.exists() and not os.access(target, os.W_OK):
        return "cannot be replaced: the existing file is not writable"
    try:
        with tempfile.TemporaryFile(prefix=".lowprec-probe-", dir=ancestor):
            pass
        if ancestor != target.parent:
            probe = tempfile.mkdtemp(prefix=".lowprec-probe-", dir=ancestor)
            os.rmdir(probe)
    except OSError as error:
        return f"cannot be written: cannot create files in {ancestor} ({error.strerror})"
    return None
