"""A cached kernel is compiled afresh when a source it inlines from another file changes.

Numba's own stamp covers a kernel's file only; `pipeline.numba_cache` adds the shared
sources. The test builds a two-module package in a temporary folder, compiles a kernel that
inlines a function of the other module into numba's disk cache, edits only that other
module, and checks in a new process that the kernel's result follows the edit.
"""

import os
import subprocess
import sys
import textwrap

import pipeline.solvers.kernels as solver_kernels
from pipeline import numba_cache

from tests.conftest import ROOT

RULE = """\
import numba

@numba.njit(cache=True, inline="always")
def rule(x):
    return x + {increment}
"""

USER = """\
import numba
from sharedsources.rule import rule

@numba.njit(cache=True)
def apply(x):
    return rule(x)
"""

PACKAGE_INIT = """\
from pathlib import Path
from pipeline import numba_cache
numba_cache.register(Path(__file__).parent, {shared!r})
"""


def _make_package(tmp_path, shared):
    package = tmp_path / "sharedsources"
    package.mkdir()
    (package / "__init__.py").write_text(PACKAGE_INIT.format(shared=shared))
    (package / "user.py").write_text(USER)
    return package


def _apply_in_new_process(tmp_path):
    """Run the cached kernel in a fresh interpreter: (result, cache hits)."""
    program = textwrap.dedent("""\
        from sharedsources.user import apply
        value = apply(1.0)
        print(value, sum(apply.stats.cache_hits.values()))
    """)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), str(ROOT)]),
                       NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"), PYTHONDONTWRITEBYTECODE="1")
    environment.pop("NUMBA_DISABLE_JIT", None)
    finished = subprocess.run([sys.executable, "-c", program], env=environment, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    value, hits = finished.stdout.split()
    return float(value), int(hits)


def test_an_edit_of_a_shared_source_recompiles_the_kernels_that_inline_it(tmp_path):
    package = _make_package(tmp_path, ("rule.py",))
    (package / "rule.py").write_text(RULE.format(increment="1.0"))
    assert _apply_in_new_process(tmp_path) == (2.0, 0)
    # Unchanged sources: the second process loads the kernel from the disk cache.
    assert _apply_in_new_process(tmp_path) == (2.0, 1)
    (package / "rule.py").write_text(RULE.format(increment="10.0"))
    assert _apply_in_new_process(tmp_path) == (11.0, 0)
    assert _apply_in_new_process(tmp_path) == (11.0, 1)


def test_lowprecs_kernels_that_inline_the_rounding_rule_are_stamped_with_it():
    locator = solver_kernels.sor_iterate._cache._impl._locator
    assert isinstance(locator, numba_cache.SharedSourcesLocator)
    stamp = locator.get_source_stamp()
    for name in numba_cache.LOWPREC_SHARED_SOURCES:
        assert numba_cache.source_hash(numba_cache.PACKAGE / name) in stamp[1:]


def test_files_outside_a_registered_folder_keep_numbas_own_locator(tmp_path):
    outside = tmp_path / "elsewhere.py"
    outside.write_text("def f():\n    return 1\n")
    assert numba_cache.SharedSourcesLocator.from_function(lambda: 1, str(outside)) is None
