"""Delsarte's LP bound: exact Gegenbauer polynomials, published anchors, exact certificates."""

from fractions import Fraction

import numpy as np
import pytest
from scipy.special import eval_gegenbauer

from pipeline.bounds.delsarte import (
    delsarte_bound, gegenbauer_normalised, polynomial_value, upper_bound_on_interval,
    verify_delsarte_claim,
)


@pytest.mark.parametrize("n", [3, 4, 8, 24])
def test_gegenbauer_polynomials_match_scipy(n):
    t = np.linspace(-1, 1, 9)
    alpha = (n - 2) / 2
    for k, coefficients in enumerate(gegenbauer_normalised(n, 8)):
        expected = eval_gegenbauer(k, alpha, t) / eval_gegenbauer(k, alpha, 1.0)
        got = [float(polynomial_value(coefficients, Fraction(x))) for x in t]
        assert np.allclose(got, expected, atol=1e-12)


def test_bernstein_bound_is_above_the_maximum_and_tight():
    # p(t) = -(t - 0.3)^2 (t + 0.8) + 0.001 on [-1, 0.5]: maximum at t = 0.3 is 0.001.
    coefficients = [Fraction(x) for x in np.polynomial.polynomial.polyfromroots([0.3, 0.3, -0.8])]
    coefficients = [-c for c in coefficients]
    coefficients[0] += Fraction(1, 1000)
    bound = upper_bound_on_interval(coefficients, Fraction(-1), Fraction(1, 2))
    sampled = max(float(polynomial_value(coefficients, Fraction(x)))
                  for x in np.linspace(-1, 0.5, 20001))
    assert sampled <= float(bound) <= sampled + 1e-9


@pytest.mark.parametrize("dimension,degree,published", [
    (8, 6, 240),  # E8 kissing configuration, sharp (Levenshtein 1979; Odlyzko & Sloane 1979)
    (24, 11, 196560),  # Leech lattice, sharp
    (3, 12, 13.158),  # Odlyzko & Sloane (1979), Table 1: 13.158...
])
def test_kissing_bound_reaches_the_published_value_and_is_certified(dimension, degree, published):
    result = delsarte_bound(dimension, degree)
    assert result.status == "optimal"
    if isinstance(published, int):
        assert result.certified >= published  # a proof can never beat the truth
        assert result.certified == pytest.approx(published, rel=1e-6)
    else:
        assert result.certified == pytest.approx(published, abs=1e-3)
    assert result.certified >= result.value - 1e-6 * result.value


def test_a_perturbed_certificate_is_rejected():
    result = delsarte_bound(8, 6)
    f = [Fraction(x) for x in result.certificate["f"][1:]]
    claimed = Fraction(result.certificate["bound"])
    assert verify_delsarte_claim(8, f, Fraction(1, 2), claimed)
    # Claiming better than the certificate proves fails...
    assert not verify_delsarte_claim(8, f, Fraction(1, 2), 239)
    # ...and so does a spoiled certificate: F then rises above 0 on [-1, 1/2].
    spoiled = list(f)
    spoiled[2] *= Fraction(9, 10)
    assert not verify_delsarte_claim(8, spoiled, Fraction(1, 2), claimed)


@pytest.mark.parametrize("kwargs,message", [
    ({"dimension": 1, "degree": 4}, "dimension must be at least 2"),
    ({"dimension": 3, "degree": 0}, "degree must be at least 1"),
    ({"dimension": 3, "degree": 4, "inner_product": 1.0}, "inner_product must lie strictly"),
])
def test_bad_input_is_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        delsarte_bound(**kwargs)


def test_cli_prints_one_json_object_with_value_certified_status_and_seconds(run_tool):
    import json

    record = json.loads(run_tool("lowprec", "bound", "kissing-lp", "--dimension", "8",
                                 "--degree", "6", "--json").stdout)
    assert {"value", "certified", "status", "seconds"} <= set(record)
    assert record["certified"] == pytest.approx(240, rel=1e-6) and record["certified"] >= 240
    theta = json.loads(run_tool("lowprec", "bound", "theta", "--graph", "petersen", "--json").stdout)
    assert theta["certified"] == pytest.approx(4, abs=1e-6)


@pytest.mark.parametrize("arguments,message", [
    (["kissing-lp", "--dimension", "-3"], "--dimension must be at least 2 and at most 64 for kissing-lp, got -3"),
    (["kissing-lp", "--solver", "gurobi"], "Unknown solver 'gurobi'"),
    (["theta", "--graph", "K9"], "Unknown graph 'K9'"),
    (["kissing-lp", "--degree", "0"], "degree must be at least 1, got 0"),
    (["kissing-sdp", "--basis", "legendre"], "Unknown polynomial basis 'legendre'"),
    (["kissing-lp", "--basis", "monomial"], "the basis choice 'monomial' applies to kissing-sdp only"),
])
def test_cli_refuses_bad_input_in_one_sentence(run_tool, arguments, message):
    result = run_tool("lowprec", "bound", *arguments, "--json", check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
