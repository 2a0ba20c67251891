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
* Floating-point exceptions: results computed and rounded in one compiled loop (``+ - * /``
  on arrays of one shape, in-place updates, and every such operation on 65,536 values or
  more) give IEEE's infinities and NaNs without NumPy's warnings and without raising under
  ``np.errstate(... = "raise")``; operations NumPy computes first warn or raise as NumPy
  does. Check results with ``np.isfinite`` (the workflow records non-finite states and runs
  its models under ``np.errstate(all="ignore")``).
"""

from __future__ import annotations

import numpy as np

from pipeline.precision import rounding
from pipeline.precision.formats import NumberFormat
from pipeline.precision.fused import fused_operation
from pipeline.precision.rounding import draw_key, kernel_draws, signed_key

_FLOAT64 = np.dtype(np.float64)
_COMPLEX128 = np.dtype(np.complex128)
_FAST_UFUNCS = frozenset((np.add, np.subtract, np.multiply, np.true_divide))


class Emulation:
    """What an emulated array carries besides its values: its format and its stream (the
    generator of stochastic rounding, None under round to nearest), with the integers the
    compiled kernels take. Arrays derived from one another share one instance."""

    __slots__ = ("format", "rng", "significand_bits", "emin_field", "stochastic", "exact",
                 "key_function", "_source", "_raw")

    def __init__(self, fmt: NumberFormat, rng):
        self.format, self.rng = fmt, rng
        self.significand_bits, self.emin_field = fmt.significand_bits, fmt.emin + 1023
        self.stochastic = fmt.stochastic
        self.exact = fmt.is_float64  # rounding a float64 value to e11m52 changes nothing
        # Where the kernels get their keys from (`kernels.stream_key`): the generator's
        # state, drawn from by the kernel itself, or (source 0) keys drawn by `key`, whose
        # bound method is looked up once (Generator.bit_generator is a property).
        self._source, self.key_function = 0, 0
        self._raw = None if rng is None else rng.bit_generator.random_raw
        if self.stochastic and rng is not None:
            self._source, self.key_function = kernel_draws(rng) or (0, 0)

    def __reduce__(self):
        # The addresses belong to this process's generator: a copy elsewhere finds its own.
        return Emulation, (self.format, self.rng)

    def key(self) -> int:
        """The first of the two int64 by which a compiled kernel gets the key of one rounding
        (`kernels.stream_key`; the second is ``key_function``). Where the kernel draws the
        key itself it is the address of the generator's state and nothing is drawn here;
        otherwise the generator's next raw 64 bits, as `draw_key` gives them, as an int64
        (`signed_key`); 0 under round to nearest."""
        source = self._source
        if source:
            return source
        if not self.stochastic:
            return 0
        if self._raw is None:
            raise ValueError(f"Stochastic rounding to {self.format.name} needs a random "
                             "stream, and none was given.")
        return signed_key(self._raw())


def _round_inplace(values: np.ndarray, emulation: Emulation):
    """Round a float64/complex128 ndarray (any layout) in place; element i in C order draws
    SplitMix64(key, i). A key is drawn only when there is something to round. Returns the
    plain 1-D float64 view that was rounded when ``values`` is C-contiguous float64.

    Round to nearest treats every element alike whatever its index, so a result that NumPy
    laid out in Fortran or another dense order is rounded where it lies; stochastic rounding
    numbers elements in C order: a float64 array in another dense order is rounded where it
    lies by a kernel that gives each element its C-order index, anything else as a C-ordered
    copy."""
    if emulation.exact or values.size == 0:
        return None
    kernels = rounding._NUMBA if rounding._NUMBA is not None else rounding.numba_kernels()
    copied = False
    if values.flags.c_contiguous:
        contiguous = values
    elif (dense := _dense_view(values)) is not None and not emulation.stochastic:
        contiguous = dense  # a C-contiguous view of the same memory, axes permuted
    elif dense is not None and kernels and values.dtype is _FLOAT64 and dense.shape[-1] >= 16:
        # (rows shorter than that round faster as a C-ordered copy)
        _round_permuted(values, dense, emulation, kernels)
        return None
    else:
        contiguous, copied = np.ascontiguousarray(values), True
    flat = contiguous.ravel()
    if flat.dtype is not _FLOAT64:
        flat = flat.view(np.float64)
    if kernels:
        _round_with(flat, emulation, emulation.key())
    else:
        rounding.round_inplace(flat, emulation.format,
                               draw_key(emulation.rng) if emulation.stochastic else None)
    if copied:
        values[...] = contiguous  # a copy was rounded: put it back
        return None
    if contiguous is values and type(values) is np.ndarray and values.dtype is _FLOAT64:
        return flat
    return None


def _round_permuted(values: np.ndarray, dense: np.ndarray, emulation: Emulation, kernels):
    """Stochastic rounding of a float64 array whose memory is ``dense`` (its C-contiguous
    view, axes permuted), each element drawing by its C-order index in ``values``."""
    weights, weight = [], 1
    for extent in reversed(values.shape):
        weights.append(weight)
        weight *= extent
    weights.reverse()  # C-order weight of each axis of values
    by_stride = [weights[axis] for axis in
                 sorted(range(values.ndim), key=lambda axis: -values.strides[axis])]
    kernels.round_stochastic_permuted(
        dense.reshape(-1), np.array(dense.shape[:-1], dtype=np.int64),
        np.array(by_stride[:-1], dtype=np.int64), by_stride[-1], emulation.significand_bits,
        emulation.emin_field, emulation.key(), emulation.key_function)


def _dense_view(values: np.ndarray):
    """A C-contiguous view of ``values``'s memory with its axes permuted (largest stride
    first), if its elements fill one dense block in some axis order (as NumPy lays out the
    result of an operation on transposed operands), else None."""
    order = sorted(range(values.ndim), key=lambda axis: -values.strides[axis])
    view = values.transpose(order)
    return view if view.flags.c_contiguous else None


# Below this many elements the fused strided loop's setup costs more than the pass it saves.
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


def _promote(a: Emulation, b: Emulation) -> Emulation:
    """The emulation whose format holds the other's (see the module doc), else TypeError."""
    if a is b:
        return a
    fa, fb = a.format, b.format
    if (fa.exponent_bits, fa.significand_bits) == (fb.exponent_bits, fb.significand_bits) \
            or fa.contains(fb):
        return a
    if fb.contains(fa):
        return b
    raise TypeError(
        f"Cannot combine {fa} and {fb} arrays: neither format contains the other; "
        "convert one explicitly with NumberFormat.array(...)."
    )


def result_emulation(operands) -> Emulation:
    """The format and stream of a result from its emulated operands; see the module doc."""
    emulated: list[LowPrecisionArray] = []
    _collect(operands, emulated)
    chosen = emulated[0]._emulation
    for other in emulated[1:]:
        chosen = _promote(chosen, other._emulation)
    return chosen


def result_format(operands) -> tuple[NumberFormat, np.random.Generator | None]:
    """The format (and stream) of a result from its emulated operands; see the module doc."""
    chosen = result_emulation(operands)
    return chosen.format, chosen.rng


# Functions that only rearrange the numbers of their first argument.
VALUE_MOVING = {np.roll, np.concatenate, np.stack, np.flip, np.transpose, np.moveaxis,
                np.swapaxes, np.reshape, np.copy, np.take, np.repeat, np.tile, np.hstack,
                np.vstack, np.ravel, np.squeeze, np.expand_dims, np.diagonal}

_ndarray_getitem = np.ndarray.__getitem__
_ndarray_setitem = np.ndarray.__setitem__
_ndarray_view = np.ndarray.view


def _fast_binary(ufunc, left, right):
    """``ufunc(left, right)`` for + - * / in one compiled call that computes and rounds, or
    None when this lean path does not apply (the general path then gives the same bits).

    It applies to the common case: an emulated operand and another of the same widths, a
    float64 ndarray or a Python float or int, every array C-contiguous and of one shape (or
    of one element), and a format narrower than float64. Element k of the result (C order)
    draws SplitMix64(key, k), as the general path does.
    """
    left_type, right_type = type(left), type(right)
    emulation = _binary_emulation(left, left_type, right, right_type)
    if emulation is None:
        return None
    a, left_scalar = _flat_operand(left, left_type)
    b, right_scalar = _flat_operand(right, right_type)
    if a is None or b is None:
        return _strided_binary(ufunc, left, right, emulation)
    if left_scalar:
        if right_scalar or _has_more_axes(left, right):
            return None
        shape = right.shape
    elif right_scalar:
        if _has_more_axes(right, left):
            return None
        shape = left.shape
    elif left.shape == right.shape:
        shape = left.shape
    else:
        return None
    kernels = rounding._NUMBA
    if not kernels:
        return None
    out = np.empty(shape)
    flat = out.ravel()
    if flat.size == 0:
        return None
    kernels.FLAT[ufunc, emulation.stochastic, left_scalar, right_scalar](
        a, b, flat, emulation.significand_bits, emulation.emin_field,
        emulation.key(), emulation.key_function)
    result = _ndarray_view(out, LowPrecisionArray)
    result._emulation = emulation
    result._flat = flat
    return result


def _has_more_axes(one, other) -> bool:
    """Whether ``one``, an operand of one element, is an array with more axes than the
    array ``other``: broadcasting then gives the result its axes (``(1, 1, 1) + (30,)`` has
    shape (1, 1, 30)), so it is not a scalar to the lean path."""
    kind = type(one)
    return kind is not float and kind is not int and one.ndim > other.ndim


def _fast_unary(ufunc, x):
    """``ufunc(x)`` (np.sqrt, np.exp, -x, ...) of one C-contiguous float64 emulated array:
    NumPy computes into a new array and one compiled pass rounds it, without the general
    path's checks (the same result and key), or None. A result that is not float64 (np.isnan)
    comes back plain, as from the general path."""
    if type(x) is not LowPrecisionArray:
        return None
    emulation = x._emulation
    flat = x._flat
    kernels = rounding._NUMBA
    if flat is None or emulation.exact or not kernels or not 0 < flat.size < FUSE_FROM_SIZE:
        return None  # (an empty array draws no key: the general path)
    out = ufunc(flat)
    if out.dtype is not _FLOAT64:
        if out.dtype.kind in "fc":
            return None
        return out.reshape(x.shape) if x.ndim else out[0]
    _round_with(out, emulation, emulation.key())
    result = _ndarray_view(out.reshape(x.shape), LowPrecisionArray)
    result._emulation = emulation
    result._flat = out
    return result


def _binary_emulation(left, left_type, right, right_type):
    """The emulation of ``left op right`` when the lean paths apply: one emulated operand, or
    two of the same widths (the left one's stream, as `_promote` gives); None for float64
    emulation, promotion, or no emulated operand."""
    if left_type is LowPrecisionArray:
        emulation = left._emulation
        if right_type is LowPrecisionArray:
            other = right._emulation
            if other is not emulation and (other.significand_bits != emulation.significand_bits
                                           or other.emin_field != emulation.emin_field):
                return None  # promotion: the general path
    elif right_type is LowPrecisionArray:
        emulation = right._emulation
    else:
        return None
    return None if emulation.exact else emulation


def _lean_binary(ufunc, left, right):
    """Any other two-operand ufunc (np.matmul, np.maximum, np.power, comparisons) on
    float64 operands: NumPy computes, one compiled pass rounds a float64 result, a result
    that is not a number (a comparison's booleans) comes back plain; None where the general
    path must decide (promotion, other dtypes, scalar results)."""
    emulation = _binary_emulation(left, type(left), right, type(right))
    if emulation is None:
        return None
    return _strided_binary(ufunc, left, right, emulation)


def _strided_binary(ufunc, left, right, emulation):
    """``ufunc(left, right)`` where an operand is a strided view (``a[:, 1:]``), or None:
    NumPy computes into a new array and one compiled pass rounds it, without the general
    path's checks (its result and stream draws are the same)."""
    a, b = _plain_operand(left), _plain_operand(right)
    kernels = rounding._NUMBA
    if a is None or b is None or not kernels or max(getattr(a, "size", 1),
                                                    getattr(b, "size", 1)) >= FUSE_FROM_SIZE:
        return None  # large arrays: the general path's fused strided loop is faster
    if ufunc in _FAST_UFUNCS and type(a) is np.ndarray and type(b) is np.ndarray \
            and a.ndim == 2 and a.shape == b.shape and a.size:
        out = np.empty(a.shape)  # two views of one shape: one compiled pass computes and rounds
        key = emulation.key()
        try:
            _fused_2d(ufunc, emulation)(a, b, out, emulation.significand_bits,
                                        emulation.emin_field, key, emulation.key_function)
        except TypeError:
            # A read-only operand (np.broadcast_to's), which the kernel's one signature
            # does not take: NumPy computes, and the same key rounds the result.
            ufunc(a, b, out=out)
            _round_with(out.reshape(-1), emulation, key)
        result = _ndarray_view(out, LowPrecisionArray)
        result._emulation = emulation
        result._flat = out.reshape(-1)
        return result
    out = ufunc(a, b)
    if type(out) is np.ndarray and out.dtype.kind not in "fc":
        return out  # booleans or integers: nothing to round, as on the general path
    if type(out) is not np.ndarray or out.dtype is not _FLOAT64 or out.size == 0 \
            or not out.flags.c_contiguous:
        return None if type(out) is not np.ndarray or out.dtype is not _FLOAT64 \
            else _from_emulation(out, emulation, _round_inplace(out, emulation))
    flat = out.ravel()
    _round_with(flat, emulation, emulation.key())
    result = _ndarray_view(out, LowPrecisionArray)
    result._emulation = emulation
    result._flat = flat
    return result


def _round_with(flat: np.ndarray, emulation: Emulation, key: int) -> None:
    """Round a 1-D C-contiguous float64 array in place with a key already taken by
    `Emulation.key` (with ``emulation.key_function``, where the kernel gets its key from)."""
    kernels = rounding._NUMBA
    if emulation.stochastic:
        kernels.round_stochastic_inplace(flat, emulation.significand_bits,
                                         emulation.emin_field, key, emulation.key_function)
    else:
        kernels.round_nearest_inplace(flat, emulation.significand_bits, emulation.emin_field)


def _plain_operand(x):
    """A plain float64 view of an emulated array, a float64 ndarray or a number, else None."""
    kind = type(x)
    if kind is LowPrecisionArray:
        return _ndarray_view(x, np.ndarray) if x.dtype is _FLOAT64 else None
    if kind is np.ndarray:
        return x if x.dtype is _FLOAT64 else None
    if kind is float or kind is int or kind is np.float64:
        return x
    return None


_STRIDED = None


def _fused_2d(ufunc, emulation):
    """The compiled 2-D kernel (`pipeline.precision.strided_kernels`, loaded on first use)."""
    global _STRIDED
    if _STRIDED is None:
        from pipeline.precision.strided_kernels import FUSED_2D

        _STRIDED = FUSED_2D
    return _STRIDED[ufunc, emulation.stochastic]


def _fast_into(ufunc, left, right, target):
    """``ufunc(left, right, out=target)`` for + - * / into an emulated float64 target of the
    operands' shape, computed and rounded in the target's format in one compiled call, or
    None. Each operand must be the target itself or share no memory with it: NumPy buffers
    partly overlapping operands, a fused loop would read values it has already written."""
    emulation = target._emulation
    if not rounding._NUMBA or target.size == 0 or not target.flags.writeable:
        return None  # (a read-only target: NumPy's own error, on the general path)
    plain = _ndarray_view(target, np.ndarray)
    operands = []
    for x in (left, right):
        kind = type(x)
        if kind is float or kind is int or kind is np.float64:
            return None  # a scalar operand: the general path (rare in updates)
        if x is target:
            operands.append(plain)
            continue
        if kind is LowPrecisionArray:
            x = _ndarray_view(x, np.ndarray)
        elif kind is not np.ndarray:
            return None
        if x.dtype is not _FLOAT64 or x.shape != target.shape \
                or np.may_share_memory(x, plain) or not x.flags.writeable:
            return None  # (the 2-D kernel's one signature takes writeable arrays only)
        operands.append(x)
    if plain.ndim == 2:
        _fused_2d(ufunc, emulation)(operands[0], operands[1], plain, emulation.significand_bits,
                                    emulation.emin_field, emulation.key(), emulation.key_function)
        return target
    if not (plain.flags.c_contiguous and all(x.flags.c_contiguous for x in operands)):
        return None
    flat = plain.ravel()
    rounding._NUMBA.FLAT[ufunc, emulation.stochastic, False, False](
        operands[0].ravel(), operands[1].ravel(), flat, emulation.significand_bits,
        emulation.emin_field, emulation.key(), emulation.key_function)
    return target


def _flat_operand(x, kind):
    """(1-D float64 C-contiguous plain view or float, is_scalar), or (None, False)."""
    if kind is LowPrecisionArray:
        flat = x._flat
        if flat is None:
            if x.dtype is not _FLOAT64 or not x.flags.c_contiguous:
                return None, False
            flat = _ndarray_view(x, np.ndarray).ravel()
        if flat.size == 1:
            return float(flat[0]), True
        return flat, False
    if kind is float:
        return x, True
    if kind is int:
        return float(x), True
    if kind is np.ndarray and x.dtype is _FLOAT64 and x.flags.c_contiguous:
        if x.size == 1:
            return float(x.reshape(-1)[0]), True
        return x.ravel(), False
    if kind is np.float64:
        return float(x), True
    return None, False


def _plain_operands(inputs):
    """(emulation of the result, the inputs with emulated arrays as plain views)."""
    if len(inputs) == 2:  # the common case, unrolled
        a, b = inputs
        if type(a) is LowPrecisionArray:
            if type(b) is LowPrecisionArray:
                return (_promote(a._emulation, b._emulation),
                        [_ndarray_view(a, np.ndarray), _ndarray_view(b, np.ndarray)])
            if not isinstance(b, (list, tuple, LowPrecisionArray)):
                return a._emulation, [_ndarray_view(a, np.ndarray), b]
        elif type(b) is LowPrecisionArray and not isinstance(a, (list, tuple, LowPrecisionArray)):
            return b._emulation, [a, _ndarray_view(b, np.ndarray)]
    emulation = None
    arguments = []
    for x in inputs:
        if type(x) is LowPrecisionArray:
            emulation = x._emulation if emulation is None else _promote(emulation, x._emulation)
            arguments.append(_ndarray_view(x, np.ndarray))
        else:
            arguments.append(x)
    if emulation is None:  # emulated arrays inside lists, or a subclass of this one
        emulation = result_emulation(inputs)
    return emulation, arguments


class LowPrecisionArray(np.ndarray):
    """float64 storage, arithmetic rounded to ``format`` (a `NumberFormat`); see module doc.

    Besides the values each array holds its `Emulation` (format and stream) and, when it is
    C-contiguous float64 and made here, ``_flat``: a plain 1-D view of its data, kept so that
    the lean path (`_fast_binary`) need not make one per operation.
    """

    __slots__ = ("_emulation", "_flat")

    def __new__(cls, values, fmt, rng=None):
        return cls.from_values(values, fmt, rng)

    @property
    def format(self) -> NumberFormat:
        return self._emulation.format

    @property
    def rng(self) -> np.random.Generator | None:
        return self._emulation.rng

    @classmethod
    def from_values(cls, values, fmt, rng=None) -> LowPrecisionArray:
        """A new array holding ``values`` rounded to ``fmt`` (stochastic formats need ``rng``)."""
        fmt = NumberFormat.parse(fmt)
        if fmt.stochastic and not isinstance(rng, np.random.Generator):
            raise ValueError(f"Stochastic rounding to {fmt} needs rng, a numpy.random.Generator.")
        source = np.asarray(values)
        dtype = np.complex128 if np.iscomplexobj(source) else np.float64
        data = np.array(source, dtype=dtype, order="C", copy=True)
        emulation = Emulation(fmt, rng)
        _round_inplace(data, emulation)
        return _from_emulation(data, emulation)

    @classmethod
    def _wrap(cls, data: np.ndarray, fmt: NumberFormat, rng) -> LowPrecisionArray:
        """``data`` (numbers of ``fmt`` already) as an array of ``fmt`` with stream ``rng``."""
        return _from_emulation(data, Emulation(fmt, rng))

    def __array_finalize__(self, obj):
        self._emulation = obj._emulation if type(obj) is LowPrecisionArray else None
        self._flat = None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__":
            if not kwargs:
                if len(inputs) == 2 and ufunc in _FAST_UFUNCS:
                    result = _fast_binary(ufunc, inputs[0], inputs[1])
                    if result is not None:
                        return result
                elif len(inputs) == 2 and ufunc.nout == 1:
                    result = _lean_binary(ufunc, inputs[0], inputs[1])
                    if result is not None:
                        return result
                elif len(inputs) == 1 and ufunc.nout == 1:
                    result = _fast_unary(ufunc, inputs[0])
                    if result is not None:
                        return result
                return self._call_ufunc(ufunc, inputs)
            out = kwargs.get("out")
            if len(kwargs) == 1 and out is not None and len(out) == 1:
                result = self._call_into(ufunc, inputs, out[0])
                if result is not None:
                    return result
        out = kwargs.pop("out", None)
        return self._general_ufunc(ufunc, method, inputs, out, kwargs)

    def _call_ufunc(self, ufunc, inputs):
        """``ufunc(*inputs)`` with no ``out``: computed in float64, rounded once."""
        emulation, arguments = _plain_operands(inputs)
        if len(arguments) == 2 and max(getattr(arguments[0], "size", 1),
                                       getattr(arguments[1], "size", 1)) >= FUSE_FROM_SIZE:
            result = fused_operation(ufunc, arguments[0], arguments[1], emulation.format,
                                     emulation.rng)
            if result is not None:
                return _from_emulation(result, emulation)
        result = ufunc(*arguments)
        if type(result) is np.ndarray:
            dtype = result.dtype
            if dtype is _FLOAT64 or dtype is _COMPLEX128:
                return _from_emulation(result, emulation, _round_inplace(result, emulation))
            if dtype.kind in "fc":
                result = result.astype(np.result_type(result, np.float64))
                _round_inplace(result, emulation)
                return _from_emulation(result, emulation)
            return result
        if type(result) is tuple:
            return tuple(_rounded(r, emulation) for r in result)
        return _rounded(result, emulation)

    def _call_into(self, ufunc, inputs, target):
        """``ufunc(*inputs, out=target)`` for one emulated float64 target (``a += b``): the
        result computed and rounded as without ``out`` (but in ``target``'s format, as an
        assignment would), then copied in. None when the general path must do it."""
        if type(target) is not LowPrecisionArray or target.dtype is not _FLOAT64 \
                or target._emulation.exact:
            return None
        if len(inputs) == 2 and ufunc in _FAST_UFUNCS:
            result = _fast_into(ufunc, inputs[0], inputs[1], target)
            if result is not None:
                return result
        emulation = target._emulation
        arguments = [_ndarray_view(x, np.ndarray) if isinstance(x, LowPrecisionArray) else x
                     for x in inputs]
        if max(getattr(x, "size", 1) for x in arguments) >= FUSE_FROM_SIZE:
            return None
        result = ufunc(*arguments)
        if type(result) is not np.ndarray or result.dtype is not _FLOAT64 \
                or result.shape != target.shape:
            return None
        _round_inplace(result, emulation)
        _ndarray_setitem(_ndarray_view(target, np.ndarray), Ellipsis, result)
        return target

    def _general_ufunc(self, ufunc, method, inputs, out, kwargs):
        targets = [o for o in (out or ()) if isinstance(o, LowPrecisionArray)]
        emulation = result_emulation(targets or inputs)
        fmt, rng = emulation.format, emulation.rng
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        if (method == "__call__" and len(inputs) == 2 and set(kwargs) <= {"out"}
                and max(getattr(x, "size", 1) for x in inputs) >= FUSE_FROM_SIZE):
            # The basic operations compute and round in one compiled pass (fused.py).
            plain_out = kwargs["out"][0] if out is not None else None
            result = fused_operation(ufunc, *_unwrap(inputs), fmt, rng, out=plain_out)
            if result is not None:
                return out[0] if plain_out is not None else _from_emulation(result, emulation)
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if method == "at":
            # ufunc.at updates its first operand in place and returns None.
            operand = inputs[0]
            if isinstance(operand, LowPrecisionArray):
                emulation = operand._emulation
            _round_inplace(_unwrap(operand), emulation)
            return None
        if out is not None:
            for target in kwargs["out"]:
                if target is not None and np.issubdtype(target.dtype, np.inexact):
                    _round_inplace(target, emulation)
            if len(out) == 1:
                return out[0]
            return out
        if isinstance(result, tuple):
            return tuple(_rounded(r, emulation) for r in result)
        return _rounded(result, emulation)

    def __array_function__(self, func, types, args, kwargs):
        if func in VALUE_MOVING:
            moved = args[0]
            emulation = self._emulation
            if type(moved) in (tuple, list) and moved and all(
                    type(x) is LowPrecisionArray and x.format == self.format for x in moved):
                plain = type(moved)(x.view(np.ndarray) for x in moved)
            elif type(moved) is LowPrecisionArray and (moved._emulation is emulation
                                                       or moved.format == self.format):
                plain = moved.view(np.ndarray)
            else:
                plain = None
            if plain is not None:
                # Only moves numbers already in the format: no rounding pass needed.
                result = func(plain, *args[1:], **kwargs)
                return (_from_emulation(result, emulation) if type(result) is np.ndarray
                        else result)
        emulation = result_emulation(list(args) + list(kwargs.values()))
        plain_args = _unwrap(args)
        plain_kwargs = {k: _unwrap(v) for k, v in kwargs.items()}
        result = func(*plain_args, **plain_kwargs)
        if func in VALUE_MOVING and _all_within(args[0], emulation.format):
            # Moves numbers of formats that ``fmt`` contains: no rounding pass needed.
            return (_from_emulation(result, emulation) if isinstance(result, np.ndarray)
                    else result)
        # New, or a view of an operand (_rounded tells them apart), or an operand itself
        # (handed back unchanged: copy it before rounding).
        fresh = None if any(result is a for a in (*plain_args, *plain_kwargs.values())) else False
        if isinstance(result, tuple):
            rounded = [_rounded(r, emulation, fresh=fresh) for r in result]
            return type(result)(*rounded) if hasattr(result, "_fields") else tuple(rounded)
        if isinstance(result, list):
            return [_rounded(r, emulation, fresh=fresh) for r in result]
        return _rounded(result, emulation, fresh=fresh)

    def __setitem__(self, index, value):
        if type(value) is LowPrecisionArray and (value._emulation is self._emulation
                                                 or self.format.contains(value.format)):
            _ndarray_setitem(self, index, _ndarray_view(value, np.ndarray))
            return
        data = np.array(value, dtype=self.dtype, copy=True)
        _round_inplace(data, self._emulation)
        _ndarray_setitem(self, index, data)

    def __getitem__(self, index):
        item = _ndarray_getitem(self, index)
        if type(item) is LowPrecisionArray or isinstance(item, np.ndarray):
            return item
        return _from_emulation(np.array(item), self._emulation)

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


# Python's arithmetic operators, taken straight to the lean paths. ``a + b`` on an ndarray
# subclass otherwise goes ndarray.__add__ -> np.add -> NumPy's search for overrides ->
# __array_ufunc__(np.add, "__call__", a, b), 0.65-0.95 us of each operation on 16 x 60
# (measured 2026-12-07). The operators call the same lean path that __array_ufunc__ calls
# first for those arguments (the same result and stream draws); for any other operand type,
# or where the lean path declines, they fall back to ndarray's operator, which takes the
# usual route (deferring to other types' reflected operators as NumPy does).
_OPERAND_TYPES = frozenset((LowPrecisionArray, np.ndarray, float, int, np.float64))


def _operator(ufunc, name, reflected=False):
    lean = _fast_binary if ufunc in _FAST_UFUNCS else _lean_binary
    fallback = getattr(np.ndarray, name)

    def operator(self, other):
        if type(other) in _OPERAND_TYPES:
            result = lean(ufunc, other, self) if reflected else lean(ufunc, self, other)
            if result is not None:
                return result
        return fallback(self, other)

    operator.__name__ = name
    operator.__doc__ = f"{name}: {ufunc.__name__} through the lean path, else NumPy's operator."
    return operator


# Not ``**``: ndarray.__pow__ turns a ** 2, a ** 0.5 and a ** -1 into np.square, np.sqrt and
# np.reciprocal, whose float64 results np.power need not match to the last bit.
for _ufunc, _name in ((np.add, "add"), (np.subtract, "sub"), (np.multiply, "mul"),
                      (np.true_divide, "truediv"), (np.matmul, "matmul")):
    setattr(LowPrecisionArray, f"__{_name}__", _operator(_ufunc, f"__{_name}__"))
    setattr(LowPrecisionArray, f"__r{_name}__", _operator(_ufunc, f"__r{_name}__", True))


def _negative(self):
    """-a through the lean path, else NumPy's operator."""
    result = _fast_unary(np.negative, self)
    return np.ndarray.__neg__(self) if result is None else result


LowPrecisionArray.__neg__ = _negative


def _from_emulation(data: np.ndarray, emulation: Emulation, flat=None) -> LowPrecisionArray:
    """The plain array ``data`` (numbers of the format already) as an emulated array;
    ``flat``, when known, its plain 1-D view."""
    array = _ndarray_view(data, LowPrecisionArray)
    array._emulation = emulation
    if flat is not None:
        array._flat = flat
    elif data.dtype is _FLOAT64 and type(data) is np.ndarray and data.flags.c_contiguous:
        array._flat = data.ravel()
    return array


def _rounded(result, emulation: Emulation, fresh=True):
    """Round a float result into an emulated array; pass other results through.

    A ``fresh`` result (a new ufunc output) is rounded in place; with ``fresh=False`` (a
    NumPy function's result) one that owns its memory is too, and one that does not may be a
    view of an operand and is copied first; with ``fresh=None`` it is always copied.
    """
    if not _is_inexact(result):
        return result
    wide = np.result_type(result, np.float64)
    if isinstance(result, np.ndarray) and result.dtype == wide and (fresh or (
            fresh is False and result.flags.owndata and type(result) is np.ndarray)):
        data = result  # a new array of its own, not a view of an operand
    else:
        data = np.array(result, dtype=wide, copy=True)
    _round_inplace(data, emulation)
    return _from_emulation(data, emulation)


def _rebuild(values, fmt, rng):
    return LowPrecisionArray._wrap(np.array(values), fmt, rng)
