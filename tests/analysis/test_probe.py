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


def null_analysis(fmt, scores, nulls=(0.10, 0.12, 0.14, 0.16)):
    """An analysis with null scores: threshold mean + 3 sd, as `compare_ensembles` makes it."""
    nulls = np.asarray(nulls)
    threshold = nulls.mean() + 3 * nulls.std(ddof=1)
    data = {"format": ("format", [fmt]), "null": ("null", np.arange(1, nulls.size + 1))}
    for variable, score in scores.items():
        data[f"passes_{variable}"] = ("format", [score <= threshold])
        data[f"score_{variable}"] = ("format", [score])
        data[f"threshold_{variable}"] = ((), threshold)
        data[f"null_score_{variable}"] = ("null", nulls)
    return xr.Dataset(data), threshold, nulls.std(ddof=1)


def test_a_narrow_failure_is_judged_again_on_a_fresh_ensemble():
    _, threshold, sd = null_analysis("e11m13", {})
    narrow, clear = threshold + 0.5 * sd, threshold + 2 * sd
    first, _, _ = null_analysis("e11m13", {"x": narrow, "y": clear, "z": 0.1})
    made = record(None, first, "lorenz63", "nearest", 11, LOW, HIGH, repeat_ensemble=5)
    # Only x failed within one null sd of the threshold: the same width again, ensemble 5.
    assert made["repeat"] == {"ensemble": 5, "variables": ["x"]}
    assert made["next"] == 13 and "minimal_bits" not in made
    again, _, _ = null_analysis("e11m13", {"x": 0.11, "y": 0.11, "z": 0.5})
    settled = record(made, again, "lorenz63", "nearest", 11, LOW, HIGH, repeat_ensemble=5)
    probe, = settled["probes"]
    # x passes on the repeat; y (a clear failure) and z (passed the first) keep their verdicts.
    assert probe["passes"] == {"x": True, "y": False, "z": True}
    assert probe["repeat"]["ensemble"] == 5 and probe["repeat"]["scores"]["x"] == 0.11
    assert "repeat" not in settled and settled["step"] == 1
    assert settled["next"] == next_probe(
        {v: {13: ok} for v, ok in probe["passes"].items()}, ["x", "y", "z"], LOW, HIGH)
    failed_again, _, _ = null_analysis("e11m13", {"x": clear, "y": 0.1, "z": 0.1})
    kept = record(made, failed_again, "lorenz63", "nearest", 11, LOW, HIGH, repeat_ensemble=5)
    assert kept["probes"][0]["passes"] == {"x": False, "y": False, "z": True}
    # Without a repeat ensemble, no probe is repeated.
    assert "repeat" not in record(None, first, "lorenz63", "nearest", 11, LOW, HIGH)


def test_under_holm_a_p_value_within_a_tenth_of_the_limit_is_narrow():
    limit = 0.05 / ((HIGH - LOW + 1) * 2 * 2)
    made = record(None, analysis("e11m13", {"x": False, "y": False},
                                 {"x": limit / 5, "y": limit / 20}), "lorenz63", "nearest", 11,
                  LOW, HIGH, verdict="holm", repeat_ensemble=4)
    assert made["repeat"] == {"ensemble": 4, "variables": ["x"]}
