"""The per-component search's arithmetic: a component's minimum is the widest of its
variables' minima, and the combination sets each component's key to its minimum's format."""

import json

import pytest

from pipeline.analysis.component_search import (combined_settings, component_minimum,
                                                summary_rows)


def record(component, rounding, minima, exponent_bits=11):
    return {"model": "speedy", "component": component, "rounding": rounding,
            "exponent_bits": exponent_bits, "next": None, "minimal_bits": minima,
            "probes": [{"significand_bits": 14}, {"significand_bits": 10}]}


def write(tmp_path, *records):
    paths = []
    for index, entry in enumerate(records):
        path = tmp_path / f"record{index}.json"
        path.write_text(json.dumps(entry))
        paths.append(path)
    return paths


def test_a_component_needs_the_widest_of_its_variables_minima():
    assert component_minimum(record("dynamics", "nearest", {"u": 9, "T": 12, "ps": 7})) == 12
    # A variable that passed no width up to ``high``: the component has no minimum.
    assert component_minimum(record("dynamics", "nearest", {"u": 9, "T": None})) is None
    unfinished = record("dynamics", "nearest", {})
    del unfinished["minimal_bits"]
    with pytest.raises(ValueError, match="has not finished"):
        component_minimum(unfinished)


def test_the_combination_sets_each_component_to_its_minimum(tmp_path):
    paths = write(tmp_path, record("dynamics", "stochastic", {"u": 8, "T": 10}),
                  record("physics", "stochastic", {"u": 13, "T": 11}),
                  record("convection", "stochastic", {"u": None, "T": 11}),
                  record("clouds", "stochastic", {"u": 6}, exponent_bits=8))
    assert combined_settings(paths) == {"dynamics_format": "e11m10-sr",
                                        "physics_format": "e11m13-sr",
                                        "clouds_format": "e8m6-sr"}  # convection: float64


def test_a_combination_is_of_one_rounding_mode_and_of_components_only(tmp_path):
    mixed = write(tmp_path, record("dynamics", "nearest", {"u": 8}),
                  record("physics", "stochastic", {"u": 8}))
    with pytest.raises(ValueError, match="one rounding mode"):
        combined_settings(mixed)
    whole = write(tmp_path, record("all", "nearest", {"u": 8}))
    with pytest.raises(ValueError, match="component searches"):
        combined_settings(whole)


def test_the_table_has_a_row_per_search_and_one_per_combination():
    records = [record("physics", "nearest", {"u": 12, "T": 10}),
               {**record("dynamics", "nearest", {"u": None, "T": 10}),
                "broken_monotonicity": {"u": [[9, 11]], "T": []}}]
    combined = {"nearest": {"passes": {"u": True, "T": False},
                            "formats": {"physics": "e11m12"}}}
    rows = summary_rows("speedy", records, combined)
    assert [(r["component"], r["min_significand_bits"], r["format"]) for r in rows] == [
        ("dynamics", "", "float64"), ("physics", 12, "e11m12"),
        ("combined", "", "physics=e11m12")]
    assert rows[-1]["combined_passes"] == 0 and rows[-1]["failing_variables"] == "T"
    assert rows[0]["probes"] == 2 and rows[0]["widths_probed"] == "14 10"
    assert rows[0]["broken_monotonicity"] == "u" and rows[1]["broken_monotonicity"] == ""
