"""The probe's verdict (pipeline/analysis/probe.py): null-spread as the fixed list's, holm by
a Bonferroni limit over every probe the model's searches could make."""

import numpy as np
import pytest
import xarray as xr

from pipeline.analysis.probe import record
from pipeline.analysis.search import next_probe

LOW, HIGH = 4, 23


def analysis(fmt, passes, pvalues=None):
    """A one-format analysis dataset as `compare_ensembles` writes it (the fields a probe
    reads)."""
    data = {"format": ("format", [fmt])}
    for variable, ok in passes.items():
        data[f"passes_{variable}"] = ("format", [ok])
        data[f"score_{variable}"] = ("format", [0.2])
        data[f"threshold_{variable}"] = ((), 0.1)
        if pvalues is not None:
            data[f"pvalue_{variable}"] = ("format", [pvalues[variable]])
    return xr.Dataset(data)


def test_holm_passes_by_the_bonferroni_limit_over_the_searches_possible_probes():
    # 20 widths x 2 variables x 2 searches: limit 0.05 / 80 = 6.25e-4.
    made = record(None, analysis("e11m13", {"x": False, "y": False},
                                 {"x": 1e-3, "y": 1e-4}), "lorenz63", "nearest", 11, LOW,
                  HIGH, "holm", 0.05, 2)
    assert made["probes"][0]["passes"] == {"x": True, "y": False}
    assert made["probes"][0]["pvalues"] == {"x": 1e-3, "y": 1e-4}
    assert made["verdict"] == "holm" and made["alpha"] == 0.05
    spread = record(None, analysis("e11m13", {"x": False, "y": True}, {"x": 1e-3, "y": 1e-4}),
                    "lorenz63", "nearest", 11, LOW, HIGH)
    assert spread["probes"][0]["passes"] == {"x": False, "y": True}  # the analysis' own flags


def test_holm_searches_of_float64_like_formats_fail_no_more_often_than_alpha():
    # Formats as good as float64 have uniform p-values; every probe of both searches of a
    # model, three variables, judged as the probe judges them: some probe fails in at most
    # alpha of the models (about 0.0125 expected: 10 probes x 3 variables x 0.05 / 120).
    rng = np.random.default_rng(2026)
    variables, alpha, repetitions, failed = ("x", "y", "z"), 0.05, 600, 0
    for _ in range(repetitions):
        any_failure = False
        for rounding in ("nearest", "stochastic"):
            previous = None
            bits = next_probe({}, ["any"], LOW, HIGH)
            while bits is not None:
                fmt = f"e11m{bits}" + ("-sr" if rounding == "stochastic" else "")
                pvalues = dict(zip(variables, rng.uniform(size=3)))
                previous = record(previous, analysis(fmt, dict.fromkeys(variables, True),
                                                     pvalues), "m", rounding, 11, LOW, HIGH,
                                  "holm", alpha, 2)
                any_failure |= not all(previous["probes"][-1]["passes"].values())
                bits = previous["next"]
        failed += any_failure
    rate = failed / repetitions
    assert rate <= alpha  # binomial sd at 0.05 is 0.009; Bonferroni's bound is loose
    assert rate > 0  # the verdict can fail at all


def test_a_search_keeps_one_verdict_and_holm_needs_p_values():
    first = record(None, analysis("e11m13", {"x": True}), "m", "nearest", 11, LOW, HIGH)
    with pytest.raises(ValueError, match="a search keeps one verdict"):
        record(first, analysis("e11m18", {"x": True}, {"x": 0.5}), "m", "nearest", 11, LOW,
               HIGH, "holm", 0.05, 2)
    with pytest.raises(ValueError, match="need at least three null ensembles"):
        record(None, analysis("e11m13", {"x": True}), "m", "nearest", 11, LOW, HIGH, "holm")
