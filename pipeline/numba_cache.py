"""Numba's disk cache, told which other source files a cached kernel is compiled from.

Numba stamps a cached kernel with the hash of its own source file only (the documented limit
of ``cache=True``: "changes in functions defined in other files" are not seen). A kernel that
calls or inlines a compiled function of another module, or reads that module's constants,
has their machine code and values baked into its cache entry. After an edit of the other
module alone (a ``git pull`` that changes ``pipeline/precision/kernels.py`` but not
``pipeline/solvers/kernels.py``), numba would load the stale entry and round by the old rule,
silently.

`register` names, for a package folder, the shared sources its kernels compile in; every
kernel cached from a file in that folder is then stamped with the hashes of its own file and
of each shared source, so an edit of either makes numba compile it afresh:

    stamp(kernel) = (numba's own stamp, sha256(shared_1), ..., sha256(shared_n)).

Where the cache lives is unchanged: the stamp is the only thing this locator adds, and it
delegates the rest to the locator numba would have chosen (``NUMBA_CACHE_DIR``, the
``__pycache__`` beside the source, or the user-wide cache).

lowprec's shared sources are the rounding kernels and the constants they read
(`LOWPREC_SHARED_SOURCES`); `pipeline.precision.kernels` imports this module before its
first kernel, and every module that inlines from it imports it first.
"""

from __future__ import annotations

import functools
import hashlib
import os
import warnings
from pathlib import Path

import numba
from numba.core import caching

PACKAGE = Path(__file__).resolve().parent
LOWPREC_SHARED_SOURCES = ("precision/rounding.py", "precision/kernels.py")

_shared_sources: dict[Path, tuple[Path, ...]] = {}
# Numba 0.59-0.64 spell these with a leading underscore.
_CacheImpl = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl", None)
_CacheLocator = getattr(caching, "_CacheLocator", object)


@functools.lru_cache(maxsize=None)
def _file_hash(path: str, mtime_ns: int, size: int) -> bytes:
    """The sha256 of a file's bytes (memoised on its modification time and size)."""
    with open(path, "rb") as source:
        return hashlib.sha256(source.read()).digest()


def source_hash(path: Path) -> bytes:
    """The sha256 of ``path`` now, re-read whenever the file changes."""
    status = os.stat(path)
    return _file_hash(str(path), status.st_mtime_ns, status.st_size)


class SharedSourcesLocator(_CacheLocator):
    """Numba's own locator for a kernel, with the shared sources' hashes added to its stamp."""

    def __init__(self, inner, shared: tuple[Path, ...]):
        self._inner = inner
        self._shared = shared

    def ensure_cache_path(self):
        self._inner.ensure_cache_path()

    def get_cache_path(self):
        return self._inner.get_cache_path()

    def get_disambiguator(self):
        return self._inner.get_disambiguator()

    def get_source_stamp(self):
        return (self._inner.get_source_stamp(),) + tuple(source_hash(path) for path in self._shared)

    @classmethod
    def from_function(cls, py_func, py_file):
        folder = _registered_folder(py_file)
        if folder is None:
            return None
        for other in _CacheImpl._locator_classes:
            if other is cls:
                continue
            inner = other.from_function(py_func, py_file)
            if inner is not None:
                return cls(inner, _shared_sources[folder])
        return None


def _registered_folder(py_file) -> Path | None:
    """The registered package folder that holds ``py_file``, if any."""
    try:
        path = Path(py_file).resolve()
    except (OSError, RuntimeError):
        return None
    for folder in _shared_sources:
        if folder == path.parent or folder in path.parents:
            return folder
    return None


def register(folder: Path, shared: tuple[str, ...]) -> None:
    """Stamp every kernel cached from a file under ``folder`` with the hashes of ``shared``
    (paths relative to ``folder``) as well as its own file's."""
    folder = Path(folder).resolve()
    _shared_sources[folder] = tuple(folder / name for name in shared)
    try:
        locators = _CacheImpl._locator_classes
    except AttributeError:  # a numba whose cache internals moved
        warnings.warn("lowprec could not add its shared kernel sources to numba's cache stamp "
                      f"(numba {numba.__version__}); after an edit of {', '.join(shared)} delete the "
                      "caches: find pipeline -name '*.nbi' -delete", stacklevel=2)
        return
    if SharedSourcesLocator not in locators:
        locators.insert(0, SharedSourcesLocator)


register(PACKAGE, LOWPREC_SHARED_SOURCES)
