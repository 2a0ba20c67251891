"""lowprec's physics schemes against speedy.f90's on the same random columns (an independent
implementation of the same equations). Needs gfortran, netCDF-Fortran and speedy.f90's
sources at ../shared/anchors/speedy-f90 (skipped otherwise); slow: it builds speedy.f90."""

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
compare_speedy_columns = pytest.importorskip("compare_speedy_columns")

pytestmark = pytest.mark.slow


def available() -> bool:
    try:
        compare_speedy_columns.anchor_sources()
    except SystemExit:
        return False
    return shutil.which("gfortran") is not None and shutil.which("nf-config") is not None


@pytest.mark.skipif(not available(), reason="speedy.f90 or gfortran is not available here")
def test_every_scheme_matches_speedy_f90_on_random_columns():
    executable = compare_speedy_columns.build()
    columns = compare_speedy_columns.soundings(300, np.random.default_rng(11))
    fortran = compare_speedy_columns.run_fortran(executable, columns)
    python = compare_speedy_columns.run_python(columns, fortran["mu"])
    rows = {name: (relative, skipped) for name, relative, skipped
            in compare_speedy_columns.compare(fortran, python)}
    assert rows["iptop"][1] == 0 and rows["icltop"][1] == 0  # the same discrete choices
    assert (fortran["precnv"] > 0).sum() > 10 and (fortran["precls"] > 0).sum() > 100
    # speedy.f90 writes many constants as single-precision literals: agreement to ~1e-5.
    for name in ("cbmf", "precnv", "precls", "dfse", "dfqa", "dtlsc", "dqlsc", "ssrd", "ssr",
                 "tsr", "tt_rsw", "slru", "t0", "tt_vdf", "qt_vdf"):
        assert rows[name][0] < 2e-5, name
    # Cloud cover grows with sqrt(precipitation), which magnifies those differences where it
    # barely rains.
    for name in ("cloudc", "clstr"):
        assert rows[name][0] < 1e-4, name
    # Surface fluxes: R = 287 here, 286.86 there (2/7 of c_p): 5e-4 in the air density.
    for name in ("ustr", "vstr", "shf", "evap"):
        assert rows[name][0] < 6e-4, name
    # Longwave: band fractions at T here, at whole kelvins there; with them rounded here too,
    # the same to ~1e-6.
    for name in ("slrd", "olr", "slr", "tt_rlw"):
        assert rows[name][0] < 1e-2, name
    longwave = compare_speedy_columns.longwave_radiation
    continuous = longwave.band_fractions
    try:
        longwave.band_fractions = lambda c, t: continuous(c, np.rint(t))
        tabulated = compare_speedy_columns.run_python(columns, fortran["mu"])
    finally:
        longwave.band_fractions = continuous
    rows = {name: relative for name, relative, _
            in compare_speedy_columns.compare(fortran, tabulated)}
    for name in ("slrd", "olr", "slr", "tt_rlw"):
        assert rows[name] < 2e-5, name
