"""Running one block of ensemble members of a model at one number format.

A block is the unit of parallel work: its members advance together (vectorised), and its
stochastic-rounding stream is keyed by (seed, model, format, ensemble, block), so its result
does not depend on which MPI rank runs it. Member m's initial perturbation comes from the
stream (seed, model, "perturbation", ensemble, m): every format of one ensemble starts from
the same perturbed states, and float64 ensembles with another ``ensemble`` index differ from
the reference only in those perturbations (the null of `pipeline.analysis`).
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass, field

import numpy as np

from pipeline.io import checkpoint as checkpoints
from pipeline.models.base import to_format, wide_dtype
from pipeline.precision import LowPrecisionArray, NumberFormat, stream_generator


@dataclass
class BlockResult:
    """Snapshots of one block: ``fields[name]`` has shape (members, time, ...)."""

    members: list[int]
    times: np.ndarray
    fields: dict[str, np.ndarray]
    blowup_time: np.ndarray = field(default_factory=lambda: np.zeros(0))


def run_block(model_class, config, fmt: NumberFormat, seed: int, ensemble: int,
              block: int, members: list[int], progress=None, checkpoint=None,
              checkpoint_every: int = 0) -> BlockResult:
    """Integrate ``members`` through spin-up and the run, sampling every output interval.

    A blow-up (NaN or infinity) is a result: the member's remaining snapshots are NaN and its
    ``blowup_time`` records the first output time at which it was seen (NaN if never).

    With a ``checkpoint`` path and ``checkpoint_every`` > 0, the block saves its state, its
    stochastic stream's position and its snapshots so far after spin-up and every
    ``checkpoint_every`` outputs; a later call with the same identity resumes there and
    gives bit-for-bit the result of an uninterrupted run.
    """
    model = model_class(config, fmt)
    rng = stream_generator(seed, model.name, fmt.name, ensemble, block) if fmt.stochastic else None
    spinup_steps, run_steps, per_output = config.run_length().steps()
    outputs = run_steps // per_output
    times = (np.arange(1, outputs + 1) * per_output) * config.run_length().dt
    identity = {"model": model.name, "format": fmt.name, "seed": seed, "ensemble": ensemble,
                "block": block, "members": list(members), "config": repr(config)}
    perturbation_rngs = [stream_generator(seed, model.name, "perturbation", ensemble, m)
                         for m in members]
    initial = tuple(model.initial_state(perturbation_rngs))  # float64; no stream drawn yet
    streams, formats = component_streams(model, fmt, rng, seed, ensemble, block, len(initial))
    resumed = resume(checkpoint, identity, formats, rng, streams, initial, model.variables,
                     outputs)
    if resumed is None:
        state = tuple(to_format(values, f, r) for values, (f, r) in zip(initial, formats))
        snapshots, blowup_time, done, spun_up = [], np.full(len(members), np.nan), 0, False
    else:
        state, snapshots, blowup_time, done = resumed
        spun_up = True

    where = (f"The plugin model {model.name} at {fmt.name}, members {members[0]} to "
             f"{members[-1]}" if _is_plugin(model) else f"Model {model.name} at {fmt.name}")
    advance = _checked(_stepper(model, state), model, state, where)
    shapes = {}

    def save(done):
        if checkpoint is not None and checkpoint_every > 0:
            checkpoints.save_checkpoint(checkpoint, identity, {
                "rng": None if rng is None else rng.bit_generator.state,
                "streams": {name: generator.bit_generator.state
                            for name, generator in own_streams(streams, rng).items()},
                "state": [np.array(a, dtype=wide_dtype(a)) for a in state],
                # One array per variable (outputs first), not one per snapshot: a save
                # writes a handful of npz members however long the run.
                "snapshots": {name: np.stack([s[name] for s in snapshots])
                              for name in (snapshots[0] if snapshots else ())},
                "blowup_time": blowup_time, "done": done})

    with np.errstate(all="ignore"):  # overflow in low precision is recorded, not raised
        if not spun_up:
            state = advance(state, spinup_steps)
            save(0)
        for index in range(done, outputs):
            if (~np.isnan(blowup_time)).all():
                # Every member has blown up: the rest of the run is NaN, no need to integrate.
                snapshots.append({k: np.full_like(v, np.nan) for k, v in snapshots[-1].items()})
                continue
            state = advance(state, per_output)
            snapshot = _snapshot(model, state, len(members), shapes, where)
            bad = np.zeros(len(members), dtype=bool)
            for values in snapshot.values():
                bad |= ~np.isfinite(values.reshape(len(members), -1)).all(axis=1)
            newly = bad & np.isnan(blowup_time)
            blowup_time[newly] = times[index]
            for values in snapshot.values():
                values[~np.isnan(blowup_time)] = np.nan
            snapshots.append(snapshot)
            if checkpoint_every > 0 and (index + 1) % checkpoint_every == 0:
                save(index + 1)
            if progress is not None:
                progress(index + 1, outputs)
    fields = {name: np.stack([s[name] for s in snapshots], axis=1) for name in model.variables}
    return BlockResult(list(members), times, fields, blowup_time)


class ModelRunError(ValueError):
    """A model that broke the protocol while running (a plugin's step or snapshot gave back
    the wrong thing, or raised): one sentence naming the model, the method and what was
    wrong."""


def _is_plugin(model) -> bool:
    return not type(model).__module__.startswith("pipeline.")


def _describe(value) -> str:
    """'an e5m10 array of shape (2, 3)', 'a float64 ndarray of shape (2,)', 'a float'."""
    if isinstance(value, LowPrecisionArray):
        article = "an" if value.format.name[0] in "aeio" else "a"
        return f"{article} {value.format.name} array of shape {value.shape}"
    if isinstance(value, np.ndarray):
        return f"a {value.dtype} ndarray of shape {value.shape}"
    if isinstance(value, (tuple, list)):
        return f"a {type(value).__name__} of {len(value)}"
    return f"a {type(value).__name__}"


def _user_frame(error: BaseException) -> str:
    """'file.py, line 12': where in the model's own code ``error`` was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    return f"{frames[-1].filename}, line {frames[-1].lineno}" if frames else "unknown place"


def _checked(advance, model, template, where: str):
    """For a plugin model, ``advance`` that refuses a step giving back other than its state
    took (as many arrays, each of the same kind, format and shape) and frames an exception
    in its step as one sentence naming the place in its code; lowprec's own models' steps as
    they are."""
    plugin, first = _is_plugin(model), [True]

    def checked(state, steps):
        if plugin and first[0] and steps > 1:
            # A plugin's first step alone, checked before the next one takes its result.
            state, steps = checked(state, 1), steps - 1
        try:
            result = advance(state, steps)
        except Exception as error:
            if not plugin:
                raise  # lowprec's own models: a bug of ours, with its traceback
            raise ModelRunError(f"{where}: its step() raised {type(error).__name__}: {error} "
                                f"({_user_frame(error)}).") from error
        if steps == 0 or not plugin:
            return result  # (lowprec's own models keep state in several kinds: tested)
        first[0] = False
        return _check_state(result, template, where)

    return checked


def _check_state(result, template, where: str):
    """``result`` of steps from a state like ``template``, or one sentence on how it differs."""
    if not isinstance(result, (tuple, list)) or len(result) != len(template):
        raise ModelRunError(f"{where}: step() returned {_describe(result)}, not a tuple of "
                            f"{len(template)} arrays like the state it was given.")
    for entry, (new, old) in enumerate(zip(result, template)):
        if type(new) is not type(old) or new.shape != old.shape or new.dtype != old.dtype \
                or (isinstance(old, LowPrecisionArray) and new.format != old.format):
            raise ModelRunError(f"{where}: step() returned {_describe(new)} for state "
                                f"entry {entry}, not {_describe(old)} as it was given.")
    return result


def _snapshot(model, state, members: int, shapes: dict, where: str) -> dict:
    """``model.snapshot(state)`` checked: every declared variable, numeric, with the members
    first and the same shape at every output (``shapes`` remembers the first)."""
    try:
        snapshot = model.snapshot(state)
    except Exception as error:
        if not _is_plugin(model):
            raise
        raise ModelRunError(f"{where}: its snapshot() raised {type(error).__name__}: {error} "
                            f"({_user_frame(error)}).") from error
    if not isinstance(snapshot, dict):
        raise ModelRunError(f"{where}: snapshot() returned {_describe(snapshot)}, not a dict "
                            "of its variables.")
    missing = [name for name in model.variables if name not in snapshot]
    if missing:
        raise ModelRunError(f"{where}: snapshot() has no {missing[0]!r}, one of its declared "
                            "variables.")
    for name in model.variables:
        values = snapshot[name]
        if not isinstance(values, np.ndarray) or values.dtype.kind not in "iuf" \
                or values.ndim < 1 or values.shape[0] != members:
            raise ModelRunError(f"{where}: snapshot() gave {name!r} as {_describe(values)}; "
                                f"it must be an array of numbers with the {members} members "
                                "first.")
        if shapes.setdefault(name, values.shape) != values.shape:
            raise ModelRunError(f"{where}: snapshot() gave {name!r} the shape {values.shape}, "
                                f"at the first output {shapes[name]}.")
    return snapshot


def _stepper(model, state):
    """``advance(state, steps)``: the model's step applied ``steps`` times. For a model that
    declares ``compiled_steps = True`` (its step depends on nothing but the state and fixed
    attributes) at an emulated format, the step is traced and run as one compiled program
    (`pipeline.precision.tracing`), with bit-for-bit the results of stepping it here."""
    compiled = None
    if getattr(model, "compiled_steps", False) and all(
            isinstance(values, LowPrecisionArray) for values in state):
        from pipeline.precision.tracing import compile_steps

        compiled = compile_steps(model.step, state,
                                 name=f"Model {model.name} at {state[0].format.name}:")
    if compiled is not None:
        return compiled

    def advance(state, steps):
        for _ in range(steps):
            state = model.step(state)
        return state

    return advance


def component_streams(model, fmt: NumberFormat, rng, seed: int, ensemble: int, block: int,
                      count: int):
    """(streams, formats) of a model with components at their own formats (a
    ``component_formats`` mapping, as the speedy model's): each component's stochastic
    stream, handed to the model, and the (format, stream) of each of the ``count`` state
    entries. A component at the run's format shares the run's stream; one at another
    stochastic format has its own, keyed by (seed, model, its format, ensemble, block, its
    name), so mixed runs are as reproducible as plain ones. Other models: ({}, the run's
    format and stream for every entry)."""
    formats = getattr(model, "component_formats", None)
    if not formats:
        return {}, [(fmt, rng)] * count
    streams = {}
    for name, part in formats.items():
        if part == fmt:
            streams[name] = rng
        elif part.stochastic:
            streams[name] = stream_generator(seed, model.name, part.name, ensemble, block, name)
        else:
            streams[name] = None
    model.use_streams(streams)
    return streams, [(formats[owner], streams[owner])
                     for owner in model.state_components(count)]


def own_streams(streams: dict, rng) -> dict:
    """The components' streams that are not the run's (saved beside it in checkpoints)."""
    return {name: generator for name, generator in streams.items()
            if generator is not None and generator is not rng}


def restore_format(values, fmt: NumberFormat, rng):
    """Saved values (already numbers of ``fmt``) as the run's arrays, without rounding them
    again: a rounding call would draw a stochastic key and shift the stream."""
    values = np.array(values, dtype=wide_dtype(values))
    if fmt.is_float64:
        return values
    return LowPrecisionArray._wrap(values, fmt, rng)


def resume(path, identity: dict, formats: list, rng, streams: dict, initial, variables,
           outputs: int):
    """(state, snapshots, blowup_time, done) from the checkpoint at ``path`` if it holds
    this block (``identity``), with ``rng`` and the components' ``streams`` set to the
    saved stream positions and each state entry in its (format, stream) of ``formats``;
    else None.

    The file is read without running anything in it (`pipeline.io.checkpoint`). One of this
    identity whose contents do not fit the block (state shaped unlike the ``initial`` state,
    snapshots of other ``variables``) is ignored with a warning, as a foreign or corrupt one
    is: a bad file costs a recomputation, never the run.
    """
    saved = checkpoints.load_checkpoint(path, identity)
    if saved is None:
        return None
    try:
        state, stacked = saved["state"], saved["snapshots"]
        blowup_time, done = saved["blowup_time"], saved["done"]
        initial = [np.asarray(values) for values in initial]
        members = len(identity["members"])
        if not (isinstance(state, list) and len(state) == len(initial)
                and all(isinstance(a, np.ndarray) and a.shape == b.shape
                        and a.dtype == wide_dtype(b) for a, b in zip(state, initial))
                and isinstance(done, int) and 0 <= done <= outputs
                and isinstance(stacked, dict) and (set(variables) <= set(stacked) or not done)
                and all(isinstance(v, np.ndarray) and v.shape[:2] == (done, members)
                        for v in stacked.values())
                and isinstance(blowup_time, np.ndarray) and blowup_time.shape == (members,)):
            raise ValueError("its contents do not fit this block")
        snapshots = [{name: values[index] for name, values in stacked.items()}
                     for index in range(done)]
        own = own_streams(streams, rng)
        saved_streams = saved.get("streams", {})
        if not isinstance(saved_streams, dict) or set(saved_streams) != set(own):
            raise ValueError("its component streams do not fit this block")
        if rng is not None:
            rng.bit_generator.state = saved["rng"]
        for name, generator in own.items():
            generator.bit_generator.state = saved_streams[name]
    except (KeyError, TypeError, ValueError) as error:
        print(f"lowprec: warning: ignoring checkpoint {path}: {error}; the block starts "
              f"afresh.", file=sys.stderr, flush=True)
        return None
    state = tuple(restore_format(values, f, r) for values, (f, r) in zip(state, formats))
    return state, snapshots, blowup_time, done
