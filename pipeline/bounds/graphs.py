"""Named graphs for the Lovász theta function: vertices 0..n-1 and an edge list."""

from __future__ import annotations

from itertools import combinations


def cycle(n: int) -> tuple[int, list[tuple[int, int]]]:
    return n, [(i, (i + 1) % n) for i in range(n)]


def petersen() -> tuple[int, list[tuple[int, int]]]:
    """The Petersen graph as the Kneser graph K(5, 2): 2-subsets of {0..4}, adjacent when
    disjoint (Godsil & Royle 2001, Algebraic Graph Theory, section 1.6)."""
    vertices = list(combinations(range(5), 2))
    edges = [(i, j) for i, j in combinations(range(10), 2)
             if not set(vertices[i]) & set(vertices[j])]
    return 10, edges


GRAPHS = {"C5": lambda: cycle(5), "C7": lambda: cycle(7), "petersen": petersen}


def named_graph(name: str) -> tuple[int, list[tuple[int, int]]]:
    try:
        return GRAPHS[name]()
    except KeyError:
        raise ValueError(f"Unknown graph {name!r}; choose one of: {', '.join(GRAPHS)}.") from None
