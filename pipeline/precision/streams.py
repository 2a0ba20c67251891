"""Counter-based random streams keyed by a seed and a run identity.

Every stochastic choice in lowprec draws from a NumPy ``Generator`` over the Philox 4x64-10
counter-based bit generator (Salmon et al. 2011, "Parallel random numbers: as easy as
1, 2, 3", SC'11, doi:10.1145/2063384.2063405). Its key is derived from the user's seed and
the identity of the run (model, format, member, ...), never from the MPI rank, so a member
gives the same numbers whichever process computes it and however many processes there are.
"""

from __future__ import annotations

import hashlib

import numpy as np


def identity_words(*identity) -> list[int]:
    """Stable 32-bit words for a run identity (Python's ``hash`` is salted per process)."""
    words = []
    for part in identity:
        digest = hashlib.sha256(repr(part).encode()).digest()
        words.append(int.from_bytes(digest[:4], "little"))
    return words


def stream_generator(seed: int, *identity) -> np.random.Generator:
    """A Philox generator for the stream ``identity`` of ``seed``.

    ``stream_generator(7, "lorenz63", "e5m10-sr", 3)`` is the stream of member 3 of the
    Lorenz '63 run at e5m10-sr under seed 7; equal arguments give equal streams.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    sequence = np.random.SeedSequence(int(seed), spawn_key=tuple(identity_words(*identity)))
    return np.random.Generator(np.random.Philox(sequence))
