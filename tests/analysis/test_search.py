"""Bisection over significand bits, shared by every variable of a probe."""

import math

import pytest

from pipeline.analysis.search import broken_monotonicity, minimal_bits, next_probe


def search(thresholds: dict, low: int, high: int, verdict=None, known=None):
    """Run the search against a synthetic verdict: v passes at bits >= thresholds[v]."""
    verdict = verdict or (lambda variable, bits: bits >= thresholds[variable])
    probes = {variable: dict(known or {}) for variable in thresholds}
    made = []
    while (bits := next_probe(probes, thresholds, low, high)) is not None:
        assert bits not in made and bits not in (known or {}) and low <= bits <= high
        made.append(bits)
        for variable in thresholds:
            probes[variable][bits] = verdict(variable, bits)
    return made, {v: minimal_bits(probes[v], low, high) for v in thresholds}, probes


@pytest.mark.parametrize("low, high", [(4, 23), (6, 52), (10, 10), (1, 2)])
def test_one_variable_is_found_in_ceil_log2_probes(low, high):
    outcomes = high - low + 2  # low .. high, or none passing
    counts = []
    for threshold in range(low, high + 2):
        made, found, _ = search({"x": threshold}, low, high)
        assert found["x"] == (threshold if threshold <= high else None)
        counts.append(len(made))
    assert max(counts) == math.ceil(math.log2(outcomes))


def test_variables_share_probes():
    thresholds = {"u": 12, "temperature": 16, "precipitation": 10, "eta": 30}
    made, found, _ = search(thresholds, 4, 23)
    assert found == {"u": 12, "temperature": 16, "precipitation": 10, "eta": None}
    alone = sum(len(search({v: t}, 4, 23)[0]) for v, t in thresholds.items())
    assert len(made) < alone


def test_a_broken_monotone_assumption_is_reported_and_read_conservatively():
    # Probes already made (e.g. a fixed list run before): 8 passed by luck, 12 failed.
    made, found, probes = search({"x": 10}, 4, 23, known={8: True, 12: False})
    assert found["x"] == 13  # the widest failure bounds the answer, not the lucky pass
    assert broken_monotonicity(probes["x"]) == [(8, 12)]
    assert broken_monotonicity({8: True, 12: False, 16: True}) == [(8, 12)]
    assert broken_monotonicity({8: False, 12: True}) == []


def test_bad_bounds_are_refused():
    with pytest.raises(ValueError, match="1 <= low <= high"):
        next_probe({}, ["x"], 12, 10)


def test_the_summary_flags_and_warns_of_a_broken_monotone_assumption():
    from pipeline.analysis.probes_summary import rows, warnings

    probes = [{"format": f"e11m{bits}", "significand_bits": bits, "passes": {"x": ok, "y": True},
               "scores": {"x": 1.0, "y": 0.1}, "thresholds": {"x": 0.5, "y": 0.5}}
              for bits, ok in ((12, False), (8, True), (16, True))]
    verdicts = {"x": {p["significand_bits"]: p["passes"]["x"] for p in probes},
                "y": {p["significand_bits"]: True for p in probes}}
    record = {"model": "lorenz63", "component": "all", "rounding": "nearest", "probes": probes,
              "broken_monotonicity": {v: broken_monotonicity(verdicts[v]) for v in verdicts}}
    flags = {(r["variable"], r["significand_bits"]): r["monotone"] for r in rows([record])}
    assert flags == {("x", 12): 0, ("x", 8): 0, ("x", 16): 1,
                     ("y", 12): 1, ("y", 8): 1, ("y", 16): 1}
    assert warnings([record]) == ["warning: lorenz63 (all, nearest): x passes 8 bits but fails "
                                  "12; the answer uses the widest failure."]
