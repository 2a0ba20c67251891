"""Lovász theta against its closed forms, and certificates that must be exact."""

import math
from fractions import Fraction

import pytest

from pipeline.bounds.exact import is_positive_definite
from pipeline.bounds.graphs import named_graph
from pipeline.bounds.theta import lovasz_theta, theta_matrix


def test_exact_positive_definiteness_on_known_matrices():
    hilbert = [[Fraction(1, i + j + 1) for j in range(8)] for i in range(8)]
    assert is_positive_definite(hilbert)  # PD, and famously ill-conditioned
    assert not is_positive_definite([[1, 2], [2, 1]])  # eigenvalues 3 and -1
    assert not is_positive_definite([[1, 1], [1, 1]])  # singular: PSD but not PD
    with pytest.raises(ValueError, match="symmetric"):
        is_positive_definite([[1, 2], [0, 1]])


@pytest.mark.parametrize("graph,exact", [
    ("C5", math.sqrt(5)),
    # Lovász (1979), Corollary 5: theta(C_n) = n cos(pi/n) / (1 + cos(pi/n)) for odd n.
    ("C7", 7 * math.cos(math.pi / 7) / (1 + math.cos(math.pi / 7))),
    ("petersen", 4.0),
])
def test_theta_matches_the_closed_form_and_is_certified_above_it(graph, exact):
    result = lovasz_theta(*named_graph(graph))
    assert result.status == "optimal"
    assert result.value == pytest.approx(exact, abs=1e-6)
    assert exact <= result.certified <= exact + 1e-6


def test_a_perturbed_certificate_is_rejected():
    n, edges = named_graph("C5")
    result = lovasz_theta(n, edges)
    t = Fraction(result.certificate["t"])
    y = [Fraction(v) for v in result.certificate["y"]]
    assert is_positive_definite(theta_matrix(n, edges, t, y))
    # Below sqrt(5) no multipliers can work; these, lowered by 1e-4, certainly fail.
    assert not is_positive_definite(theta_matrix(n, edges, t - Fraction(1, 10**4), y))
    # Spoiling one multiplier breaks the certificate too.
    spoiled = [y[0] + Fraction(1, 10)] + y[1:]
    assert not is_positive_definite(theta_matrix(n, edges, t, spoiled))


def test_unknown_graph_is_named():
    with pytest.raises(ValueError, match="Unknown graph 'K4'"):
        named_graph("K4")
