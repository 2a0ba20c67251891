"""Adaptive search for the fewest significand bits: bisection shared by every variable.

A fixed list of formats spends most of its runs far from the answer. Here, for one model and
one rounding mode, each probe is a whole ensemble at one width, judged by the W1 verdict for
every variable at once; the next width is chosen from what the probes so far say.

Per variable v, under the monotone assumption (more bits never fail where fewer pass), the
probes bound its minimal passing width M_v:

    fail_v = the widest probed width that failed v (or low - 1 if none),
    pass_v = the narrowest probed width above fail_v whose every probed wider width passed v
             (or high + 1, meaning "none in [low, high]", if none),

and M_v lies in (fail_v, pass_v]. A variable is settled when pass_v = fail_v + 1. The next probe
is the midpoint of the widest unsettled interval, floor((fail_v + pass_v) / 2), so that one
probe halves the largest uncertainty and informs every other variable too. For a single
variable this is plain bisection over the high - low + 2 outcomes {low, ..., high, none}:
ceil(log2(high - low + 2)) probes.

The answer per variable is pass_v, or None when pass_v = high + 1 (no width up to ``high``
passed). Probes that contradict the monotone assumption (a width that passes below one that
fails) are reported by `broken_monotonicity`; the intervals then use the widest failure, which
is the conservative reading (the fixed list's rule too: every wider format must pass).
"""

from __future__ import annotations

from collections.abc import Mapping


def bounds(probes: Mapping[int, bool], low: int, high: int) -> tuple[int, int]:
    """(fail, pass) bracketing the minimal passing width, from probes {bits: passed}."""
    failed = [bits for bits, passed in probes.items() if not passed]
    fail = max(failed, default=low - 1)
    passing = [bits for bits, passed in probes.items() if passed and bits > fail]
    return fail, min(passing, default=high + 1)


def next_probe(probes: Mapping[str, Mapping[int, bool]], variables, low: int,
               high: int) -> int | None:
    """The next width to probe, or None when every variable is settled.

    ``probes[variable]`` maps probed widths to that variable's verdict. A width already probed
    is never proposed again.
    """
    if not 1 <= low <= high:
        raise ValueError(f"The search needs 1 <= low <= high, not low = {low}, high = {high}.")
    widest, choice = 0, None
    for variable in variables:
        fail, passed = bounds(probes.get(variable, {}), low, high)
        if passed - fail > widest:
            widest, choice = passed - fail, (fail + passed) // 2
    return choice if widest > 1 else None


def minimal_bits(probes: Mapping[int, bool], low: int, high: int) -> int | None:
    """The search's answer for one variable: the narrowest width known to pass, or None."""
    fail, passed = bounds(probes, low, high)
    if passed - fail > 1:
        raise ValueError("The search has not settled this variable yet.")
    return None if passed > high else passed


def broken_monotonicity(probes: Mapping[int, bool]) -> list[tuple[int, int]]:
    """Pairs (passing width, wider failing width) that the monotone assumption forbids."""
    return [(narrow, wide) for narrow, ok in sorted(probes.items()) if ok
            for wide, wide_ok in sorted(probes.items()) if wide > narrow and not wide_ok]
