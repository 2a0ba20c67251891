"""`LowPrecisionArray`: a NumPy array whose every arithmetic result is rounded to its format.

Model code is written with plain NumPy operators and functions; handed these arrays it runs
at the emulated precision, handed float64 arrays it runs at double precision. The contract:

* Values are stored as float64 (or complex128) numbers that are exactly representable in
  the array's `NumberFormat`; ``np.asarray(a)`` returns them as a plain ndarray.
* Every ufunc result (``+ - * / **``, ``np.exp``, ``np.sqrt``, ..., and ``@``, which is the
  ufunc ``np.matmul``) is computed in float64 and then rounded once to the format. For the
  basic operations and M <= 25 this equals correctly rounded arithmetic in the format (double
  rounding is innocuous when 53 >= 2(M + 1) + 2: Figueroa 1995, ACM SIGNUM Newsl. 30(3)).
  For wider significands a result may differ from correct rounding in rare ties; transcendental
  functions are faithful, not correctly rounded, as in rpe and CPFloat.
* Reductions (``sum``, ``np.add.reduce``, ``mean``, ``prod``, ...), matrix products (``@``,
  ``np.dot``, ``np.einsum``) and any other NumPy function accumulate wide, in float64, and
  round the result once: this models hardware with a wide accumulator (fused dot products),
  not a chain of narrow additions. Cumulative sums round every partial sum of the wide
  accumulation. Functions that only move values (``np.roll``, ``np.concatenate``) round too,
  which leaves representable values unchanged (in either rounding mode).
* In-place updates (``a += b``, ``a[i] = v``, ``np.add(x, y, out=a)``) round into ``a``'s format.
* Mixed operands: plain arrays and Python or NumPy scalars are taken as exact float64 values
  and the result gets the emulated operand's format (convert constants once, at setup). Two
  emulated operands of different formats give the format that contains the other (as NumPy
  promotes float16 with float32 to float32); with equal widths, the left operand's rounding
  mode and stream; with neither containing the other (e5m10 with e8m7) a TypeError asks for
  an explicit conversion. An ``out=`` array decides the format, as assignment does.
* Stochastic rounding draws one 64-bit key per rounded result from the array's
  ``numpy.random.Generator`` (see `pipeline.precision.rounding`). Arrays derived from one
  another share that generator, so a run's results depend only on its seed, its stream
  identity and the order of its operations.
* Indexing a single element gives a 0-d array of the same format (not a float64 scalar), so
  ``x, y, z = state`` keeps emulating.
"""

from __future__ import annotations

import numpy as np

from pipeline.precision.formats import NumberFormat
from pipeline.precision.fused import fused_flat, fused_operation
from pipeline.precision.rounding import draw_key, round_inplace


def _round_inplace(values: np.ndarray, fmt: NumberFormat, rng) -> None:
    """Round a float64/complex128 ndarray (any layout) in place."""
    if fmt.is_float64 or values.size == 0:
        return
    key = draw_key(rng) if fmt.stochastic else None
    if values.flags.c_contiguous:
        round_inplace(values.reshape(-1).view(np.float64), fmt, key)
    else:
        contiguous = np.ascontiguousarray(values)
        round_inplace(contiguous.reshape(-1).view(np.float64), fmt, key)
        values[...] = contiguous


# Below this many elements the fused loop's setup costs more than the pass it saves.
FUSE_FROM_SIZE = 65536


def _is_inexact(value) -> bool:
    return isinstance(value, (np.ndarray, np.generic, float, complex)) and np.issubdtype(
        np.asarray(value).dtype, np.inexact
    )


def _all_within(values, fmt) -> bool:
    """True when ``values`` (an array or a sequence of them) are all emulated arrays whose
    formats ``fmt`` contains."""
    if isinstance(values, LowPrecisionArray):
        return fmt.contains(values.format)
    if isinstance(values, (list, tuple)) and values:
        return all(_all_within(v, fmt) for v in values)
    return False


def _unwrap(value):
    if isinstance(value, LowPrecisionArray):
        return value.view(np.ndarray)
    if isinstance(value, (list, tuple)):
        return type(value)(_unwrap(v) for v in value)
    return value


def _collect(values, found: list) -> None:
    for value in values:
        if isinstance(value, LowPrecisionArray):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            _collect(value, found)


def _promote(a: LowPrecisionArray, b: LowPrecisionArray) -> LowPrecisionArray:
    """The operand whose format holds the other's (see the module doc), else TypeError."""
    if (a.format.exponent_bits, a.format.significand_bits) == (
            b.format.exponent_bits, b.format.significand_bits) or a.format.contains(b.format):
        return a
    if b.format.contains(a.format):
        return b
    raise TypeError(
        f"Cannot combine {a.format} and {b.format} arrays: neither format contains the other; "
        "convert one explicitly with NumberFormat.array(...)."
    )


def result_format(operands) -> tuple[NumberFormat, np.random.Generator | None]:
    """The format (and stream) of a result from its emulated operands; see the module doc."""
    emulated: list[LowPrecisionArray] = []
    _collect(operands, emulated)
    chosen = emulated[0]
    for other in emulated[1:]:
        chosen = _promote(chosen, other)
    return chosen.format, chosen.rng


# Functions that only rearrange the numbers of their first argument.
VALUE_MOVING = {np.roll, np.concatenate, np.stack, np.flip, np.transpose, np.moveaxis,
                np.swapaxes, np.reshape, np.copy, np.take, np.repeat, np.tile, np.hstack,
                np.vstack, np.ravel, np.squeeze, np.expand_dims, np.diagonal}


class LowPrecisionArray(np.ndarray):
    """float64 storage, arithmetic rounded to ``format`` (a `NumberFormat`); see module doc."""

    format: NumberFormat
    rng: np.random.Generator | None

    def __new__(cls, values, fmt, rng=None):
        return cls.from_values(values, fmt, rng)

    @classmethod
    def from_values(cls, values, fmt, rng=None) -> LowPrecisionArray:
        """A new array holding ``values`` rounded to ``fmt`` (stochastic formats need ``rng``)."""
        fmt = NumberFormat.parse(fmt)
        if fmt.stochastic and not isinstance(rng, np.random.Generator):
            raise ValueError(f"Stochastic rounding to {fmt} needs rng, a numpy.random.Generator.")
        source = np.asarray(values)
        dtype = np.complex128 if np.iscomplexobj(source) else np.float64
        data = np.array(source, dtype=dtype, order="C", copy=True)
        _round_inplace(data, fmt, rng)
        return cls._wrap(data, fmt, rng)

    @classmethod
    def _wrap(cls, data: np.ndarray, fmt: NumberFormat, rng) -> LowPrecisionArray:
        array = data.view(cls)
        array.format = fmt
        array.rng = rng
        return array

    def __array_finalize__(self, obj):
        self.format = getattr(obj, "format", None)
        self.rng = getattr(obj, "rng", None)

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        if method == "__call__" and out is None and not kwargs:
            return self._call_ufunc(ufunc, inputs)
        return self._general_ufunc(ufunc, method, inputs, out, kwargs)

    def _call_ufunc(self, ufunc, inputs):
        """The hot path: ``ufunc(*inputs)`` with no ``out``, rounded once."""
        arguments = []
        chosen = None
        for x in inputs:
            if type(x) is LowPrecisionArray:
                if chosen is None or (x.format != chosen.format
                                      and not chosen.format.contains(x.format)):
                    chosen = x if chosen is None else _promote(chosen, x)
                arguments.append(x.view(np.ndarray))
            else:
                arguments.append(x)
        fmt, rng = chosen.format, chosen.rng
        if len(arguments) == 2:
            result = fused_flat(ufunc, arguments[0], arguments[1], fmt, rng)
            if result is not None:
                return self._wrap(result, fmt, rng)
        if len(arguments) == 2 and max(getattr(x, "size", 1) for x in arguments) >= FUSE_FROM_SIZE:
            result = fused_operation(ufunc, arguments[0], arguments[1], fmt, rng)
            if result is not None:
                return self._wrap(result, fmt, rng)
        result = ufunc(*arguments)
        if type(result) is tuple:
            return tuple(self._rounded(r, fmt, rng) for r in result)
        if type(result) is np.ndarray and result.dtype.kind in "fc":
            if result.dtype.itemsize not in (8, 16):
                result = result.astype(np.result_type(result, np.float64))
            _round_inplace(result, fmt, rng)
            return self._wrap(result, fmt, rng)
        return self._rounded(result, fmt, rng)

    def _general_ufunc(self, ufunc, method, inputs, out, kwargs):
        targets = [o for o in (out or ()) if isinstance(o, LowPrecisionArray)]
        fmt, rng = result_format(targets or inputs)
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        if (method == "__call__" and len(inputs) == 2 and set(kwargs) <= {"out"}
                and max(getattr(x, "size", 1) for x in inputs) >= FUSE_FROM_SIZE):
            # The basic operations compute and round in one compiled pass (fused.py).
            plain_out = kwargs["out"][0] if out is not None else None
            result = fused_operation(ufunc, *_unwrap(inputs), fmt, rng, out=plain_out)
            if result is not None:
                return out[0] if plain_out is not None else self._wrap(result, fmt, rng)
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if method == "at":
            # ufunc.at updates its first operand in place and returns None.
            operand = inputs[0]
            if isinstance(operand, LowPrecisionArray):
                fmt, rng = operand.format, operand.rng
            _round_inplace(_unwrap(operand), fmt, rng)
            return None
        if out is not None:
            for target in kwargs["out"]:
                if target is not None and np.issubdtype(target.dtype, np.inexact):
                    _round_inplace(target, fmt, rng)
            if len(out) == 1:
                return out[0]
            return out
        if isinstance(result, tuple):
            return tuple(self._rounded(r, fmt, rng) for r in result)
        return self._rounded(result, fmt, rng)

    def __array_function__(self, func, types, args, kwargs):
        if func in VALUE_MOVING:
            moved = args[0]
            if type(moved) in (tuple, list) and moved and all(
                    type(x) is LowPrecisionArray and x.format == self.format for x in moved):
                plain = type(moved)(x.view(np.ndarray) for x in moved)
            elif type(moved) is LowPrecisionArray and moved.format == self.format:
                plain = moved.view(np.ndarray)
            else:
                plain = None
            if plain is not None:
                # Only moves numbers already in the format: no rounding pass needed.
                result = func(plain, *args[1:], **kwargs)
                return self._wrap(result, self.format, self.rng) if type(result) is np.ndarray else result
        fmt, rng = result_format(list(args) + list(kwargs.values()))
        result = func(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()})
        if func in VALUE_MOVING and _all_within(args[0], fmt):
            # Moves numbers of formats that ``fmt`` contains: no rounding pass needed.
            return self._wrap(result, fmt, rng) if isinstance(result, np.ndarray) else result
        if isinstance(result, tuple):
            rounded = [self._rounded(r, fmt, rng, fresh=False) for r in result]
            return type(result)(*rounded) if hasattr(result, "_fields") else tuple(rounded)
        if isinstance(result, list):
            return [self._rounded(r, fmt, rng, fresh=False) for r in result]
        return self._rounded(result, fmt, rng, fresh=False)

    @classmethod
    def _rounded(cls, result, fmt, rng, fresh=True):
        """Round a float result into an emulated array; pass other results through.

        A ``fresh`` result (a new ufunc output) is rounded in place; otherwise it may be a
        view of an operand and is copied first.
        """
        if not _is_inexact(result):
            return result
        wide = np.result_type(result, np.float64)
        if fresh and isinstance(result, np.ndarray) and result.dtype == wide:
            data = result
        else:
            data = np.array(result, dtype=wide, copy=True)
        _round_inplace(data, fmt, rng)
        return cls._wrap(data, fmt, rng)

    def __setitem__(self, index, value):
        if isinstance(value, LowPrecisionArray) and self.format.contains(value.format):
            super().__setitem__(index, value.view(np.ndarray))
            return
        data = np.array(value, dtype=self.dtype, copy=True)
        _round_inplace(data, self.format, self.rng)
        super().__setitem__(index, data)

    def __getitem__(self, index):
        item = super().__getitem__(index)
        if isinstance(item, np.ndarray):
            return item
        return self._wrap(np.array(item), self.format, self.rng)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __str__(self):
        return str(np.asarray(self))

    def __repr__(self):
        return f"LowPrecisionArray({np.asarray(self)!r}, format={self.format})"

    def __reduce__(self):
        # Pickle (for MPI) as a plain array plus format; the generator travels with it.
        return (_rebuild, (np.asarray(self), self.format, self.rng))


def _rebuild(values, fmt, rng):
    return LowPrecisionArray._wrap(np.array(values), fmt, rng)
