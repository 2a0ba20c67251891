"""Running one block of ensemble members of a model at one number format.

A block is the unit of parallel work: its members advance together (vectorised), and its
stochastic-rounding stream is keyed by (seed, model, format, ensemble, block), so its result
does not depend on which MPI rank runs it. Member m's initial perturbation comes from the
stream (seed, model, "perturbation", ensemble, m): every format of one ensemble starts from
the same perturbed states, and float64 ensembles with another ``ensemble`` index differ from
the reference only in those perturbations (the null of `pipeline.analysis`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipeline.models.base import to_format
from pipeline.precision import NumberFormat, stream_generator


@dataclass
class BlockResult:
    """Snapshots of one block: ``fields[name]`` has shape (members, time, ...)."""

    members: list[int]
    times: np.ndarray
    fields: dict[str, np.ndarray]
    blowup_time: np.ndarray = field(default_factory=lambda: np.zeros(0))


def run_block(model_class, config, fmt: NumberFormat, seed: int, ensemble: int,
              block: int, members: list[int], progress=None) -> BlockResult:
    """Integrate ``members`` through spin-up and the run, sampling every output interval.

    A blow-up (NaN or infinity) is a result: the member's remaining snapshots are NaN and its
    ``blowup_time`` records the first output time at which it was seen (NaN if never).
    """
    model = model_class(config, fmt)
    rng = stream_generator(seed, model.name, fmt.name, ensemble, block) if fmt.stochastic else None
    perturbation_rngs = [stream_generator(seed, model.name, "perturbation", ensemble, m)
                         for m in members]
    state = tuple(to_format(values, fmt, rng) for values in model.initial_state(perturbation_rngs))
    spinup_steps, run_steps, per_output = config.run_length().steps()
    outputs = run_steps // per_output
    times = (np.arange(1, outputs + 1) * per_output) * config.run_length().dt
    blowup_time = np.full(len(members), np.nan)
    with np.errstate(all="ignore"):  # overflow in low precision is recorded, not raised
        for step in range(spinup_steps):
            state = model.step(state)
        snapshots = []
        for index in range(outputs):
            for _ in range(per_output):
                state = model.step(state)
            snapshot = model.snapshot(state)
            bad = np.zeros(len(members), dtype=bool)
            for values in snapshot.values():
                bad |= ~np.isfinite(values.reshape(len(members), -1)).all(axis=1)
            newly = bad & np.isnan(blowup_time)
            blowup_time[newly] = times[index]
            for values in snapshot.values():
                values[~np.isnan(blowup_time)] = np.nan
            snapshots.append(snapshot)
            if progress is not None:
                progress(index + 1, outputs)
            if not np.isnan(blowup_time).any():
                continue
            if (~np.isnan(blowup_time)).all():
                # Every member has blown up: the rest of the run is NaN, no need to integrate.
                snapshots.extend({k: np.full_like(v, np.nan) for k, v in snapshot.items()}
                                 for _ in range(outputs - index - 1))
                break
    fields = {name: np.stack([s[name] for s in snapshots], axis=1) for name in model.variables}
    return BlockResult(list(members), times, fields, blowup_time)
