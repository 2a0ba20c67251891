"""Whole time steps compiled: a model's ``step`` traced once and run as one numba call.

On small arrays an emulated operation costs more in Python dispatch than in arithmetic
(a 16 x 60 float64 subtraction takes about 1 microsecond, its emulated dispatch several).
A step of the heat column, Lorenz '63 or shallow water is hundreds of such operations, so
instead of paying the dispatch on every one, `compile_steps` runs the model's own ``step``
once on tracer arrays and records every operation it makes as a table of instructions over
one arena of float64 memory (`pipeline.precision.interpreter`); one compiled interpreter,
cached on disk, then runs many steps of that table in a single call. Model code stays plain
NumPy, written once; nothing in it changes, and no program needs compiling of its own.

The compiled program rounds exactly where the emulated array type does (see
`pipeline.precision.array`): every ufunc result once, in C order of the result, with one
stochastic key per rounded result drawn from the run's generator in the same order, so the
results are bit-for-bit those of the operation-by-operation run (`compile_steps` checks this on
the first steps and falls back when they differ), up to the sign and payload of NaNs (see
`same_values`). Keys for n steps are drawn at once, which
a Philox generator gives in the same sequence as n separate draws.

What can be traced: ``+ - * /`` (operators, in place too), ``np.square``, ``np.sqrt``,
``np.negative``, ``np.absolute``, whose float64 results are correctly rounded IEEE operations
in NumPy and in LLVM alike; basic indexing (integers, slices, ``...``, ``None``) and
assignment into views; ``np.concatenate`` and the other pure value moves of the array type;
Python floats and float64 arrays as constants (their values at trace time, so a step must not
depend on anything but its state and fixed attributes: models say so with
``compiled_steps = True``). Anything else (transcendental functions, whose NumPy and libm
versions may differ in the last bit; reductions, whose summation orders differ; matrix
products; a Python decision on a value) stops the trace, and the model runs operation by
operation as before.

Memory: each operation's result gets a region of the arena that is reused once the result
is dead (its last reader has run), so a step's working set stays near that of NumPy's own
temporaries.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.lib.mixins import NDArrayOperatorsMixin

from pipeline.precision import rounding
from pipeline.precision.array import LowPrecisionArray, _from_emulation

# Operation codes of the interpreter (kept equal to pipeline.precision.interpreter's, which
# imports numba and so is only imported when a program runs).
ADD, SUBTRACT, MULTIPLY, DIVIDE, NEGATIVE, SQUARE, SQRT, ABSOLUTE, COPY = range(9)
BINARY = {np.add: ADD, np.subtract: SUBTRACT, np.multiply: MULTIPLY, np.true_divide: DIVIDE}
UNARY = {np.negative: NEGATIVE, np.square: SQUARE, np.sqrt: SQRT, np.absolute: ABSOLUTE}
MAX_DIMENSIONS = 4
_ORIGIN = np.zeros(1)  # the address arena offsets are measured from, in the probes below
_ORIGIN_ADDRESS = _ORIGIN.__array_interface__["data"][0]


class TraceError(Exception):
    """The step does something a compiled program cannot reproduce bit for bit."""


class Region:
    """A piece of the arena: a state array, a constant, a temporary result or a staging
    area. Temporaries live from their first write to their last use."""

    def __init__(self, kind: str, size: int, data=None):
        self.kind, self.size, self.data = kind, size, data
        self.first = self.last = None
        self.offset = None


class View:
    """A strided view of a region, as NumPy would index it. ``probe`` is a NumPy view over
    nothing (zero-size base, never read) whose address and strides give this view's offset
    and strides, so all indexing and broadcasting follow NumPy's own rules."""

    def __init__(self, region: Region, probe: np.ndarray):
        self.region, self.probe = region, probe
        self.shape = probe.shape
        self.offset = (probe.__array_interface__["data"][0] - _ORIGIN_ADDRESS) // 8
        self.strides = tuple(s // 8 for s in probe.strides)

    @classmethod
    def whole(cls, region: Region, shape: tuple) -> View:
        strides = tuple(int(np.prod(shape[i + 1:], dtype=np.int64)) * 8 for i in range(len(shape)))
        return cls(region, np.lib.stride_tricks.as_strided(_ORIGIN, shape, strides))

    def index(self, index) -> View:
        child = self.probe[index]
        if not isinstance(child, np.ndarray):  # an element: NumPy gives a scalar, not a view
            child = self.probe[(index if isinstance(index, tuple) else (index,)) + (Ellipsis,)]
        return View(self.region, child)

    def broadcast(self, shape: tuple) -> View:
        return View(self.region, np.broadcast_to(self.probe, shape))

    def same(self, other: View) -> bool:
        return (self.region is other.region and self.offset == other.offset
                and self.shape == other.shape and self.strides == other.strides)


class Program:
    """The instructions of one traced step over named regions of an arena."""

    def __init__(self):
        self.instructions: list[tuple] = []  # (op, slot, result view, a view, b view)
        self.regions: list[Region] = []
        self.scalars: dict[int, View] = {}
        self.keys = 0

    def region(self, kind: str, shape: tuple, data=None) -> View:
        region = Region(kind, int(np.prod(shape, dtype=np.int64)), data)
        self.regions.append(region)
        return View.whole(region, shape)

    def operand(self, value) -> View:
        """The view of an operand: a tracer, a Python or NumPy float, or a float64 array."""
        if isinstance(value, Tracer):
            if value.program is not self:
                raise TraceError("a tracer of another trace")
            return value.view
        if type(value) in (float, int, np.float64) and not isinstance(value, bool):
            number = float(value)
            bits = int(np.float64(number).view(np.uint64))
            if bits not in self.scalars:
                self.scalars[bits] = self.region("constant", (), np.array([number]))
            return self.scalars[bits]
        if isinstance(value, LowPrecisionArray):
            raise TraceError("an emulated array that is not part of the state")
        if isinstance(value, np.ndarray) and value.dtype == np.float64:
            return self.region("constant", value.shape, np.ascontiguousarray(value).ravel())
        raise TraceError(f"an operand of type {type(value).__name__}")

    def emit(self, op: int, result: View, a: View, b: View | None = None,
             rounded: bool = False) -> None:
        """Append one instruction; a rounded one (its result a fresh region) takes the next
        stochastic key, unless it has no elements (then nothing runs and no key is drawn)."""
        if int(np.prod(result.shape, dtype=np.int64)) == 0:
            return
        if len(result.shape) > MAX_DIMENSIONS:
            raise TraceError(f"an array of more than {MAX_DIMENSIONS} dimensions")
        slot = -1
        if rounded:
            slot, self.keys = self.keys, self.keys + 1
        self.instructions.append((op, slot, result, a.broadcast(result.shape),
                                  None if b is None else b.broadcast(result.shape)))

    def compute(self, op: int, operands: list, shape: tuple) -> Tracer:
        """A new rounded result of ``op`` on the operands' views."""
        result = self.region("temporary", shape)
        self.emit(op, result, *operands, rounded=True)
        return Tracer(self, result)

    def copy_into(self, target: View, source: View) -> None:
        """target[...] = source, as NumPy does it: through a temporary when they may overlap."""
        if source.region is target.region:
            staged = self.region("temporary", source.shape)
            self.emit(COPY, staged, source)
            source = staged
        self.emit(COPY, target, source)


class Tracer(NDArrayOperatorsMixin):
    """A stand-in for a state array during tracing: it records what is done with it."""

    __array_priority__ = 1000

    def __init__(self, program: Program, view: View):
        self.program, self.view = program, view
        if not view.shape:
            raise TraceError("a zero-dimensional array (an element taken out)")

    shape = property(lambda self: self.view.shape)
    ndim = property(lambda self: len(self.view.shape))
    size = property(lambda self: int(np.prod(self.view.shape, dtype=np.int64)))
    dtype = property(lambda self: np.dtype(np.float64))

    def __len__(self):
        return self.shape[0]

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        program = self.program
        out = kwargs.pop("out", None)
        if method != "__call__" or kwargs:
            raise TraceError(f"ufunc {ufunc.__name__}.{method} or its keywords")
        if ufunc is np.power and len(inputs) == 2 and isinstance(inputs[0], Tracer) \
                and type(inputs[1]) in (int, float) and inputs[1] in (2, 0.5):
            # NumPy's own shortcut for array ** 2 and ** 0.5 (fast_scalar_power).
            ufunc, inputs = (np.square if inputs[1] == 2 else np.sqrt), inputs[:1]
        if ufunc in BINARY and len(inputs) == 2:
            operands = [program.operand(x) for x in inputs]
            op = BINARY[ufunc]
        elif ufunc in UNARY and len(inputs) == 1:
            operands = [program.operand(inputs[0])]
            op = UNARY[ufunc]
        else:
            raise TraceError(f"ufunc {ufunc.__name__}")
        shape = np.broadcast_shapes(*(v.shape for v in operands))
        if not shape:
            raise TraceError("an operation on scalars only")
        result = program.compute(op, operands, shape)
        if out is None:
            return result
        if len(out) != 1 or not isinstance(out[0], Tracer) or out[0].shape != tuple(shape):
            raise TraceError("an out= that is not one traced array of the result's shape")
        program.copy_into(out[0].view, result.view)
        return out[0]

    def __array_function__(self, func, types, args, kwargs):
        if func is np.copy and len(args) == 1 and not kwargs:
            return self.copy()
        if func is not np.concatenate:
            raise TraceError(f"NumPy function {func.__name__}")
        arrays = args[0]
        if not isinstance(arrays, (list, tuple)) or not all(isinstance(a, Tracer) for a in arrays):
            raise TraceError("concatenate of anything but traced arrays")
        axis = kwargs.get("axis", args[1] if len(args) > 1 else 0)
        if set(kwargs) - {"axis"} or len(args) > 2 or not isinstance(axis, int):
            raise TraceError("concatenate's keywords")
        shape = np.concatenate([np.broadcast_to(0.0, a.shape) for a in arrays], axis=axis).shape
        axis = axis % len(shape)
        result = self.program.region("temporary", shape)
        start = 0
        for piece in arrays:
            length = piece.shape[axis]
            target = result.index((slice(None),) * axis + (slice(start, start + length),))
            self.program.emit(COPY, target, piece.view)
            start += length
        return Tracer(self.program, result)

    def __getitem__(self, index):
        _check_basic(index)
        return Tracer(self.program, self.view.index(index))

    def __setitem__(self, index, value):
        _check_basic(index)
        target = self.view.index(index)
        if isinstance(value, Tracer):
            if not value.view.same(target):  # a view written back onto itself moves nothing
                self.program.copy_into(target, value.view)
            return
        # A plain value is rounded first (one key), as the emulated array's assignment does.
        constant = self.program.operand(value)
        staged = self.program.region("temporary", constant.shape or (1,))
        self.program.emit(COPY, staged, constant, rounded=True)
        self.program.emit(COPY, target, staged if constant.shape else staged.index(0))

    @property
    def T(self):
        return Tracer(self.program, View(self.view.region, self.view.probe.T))

    def __getattr__(self, name):
        if name.startswith("__"):  # protocols NumPy and Python probe for: not there
            raise AttributeError(name)
        raise TraceError(f"the array attribute or method {name!r}")

    def copy(self):
        result = self.program.region("temporary", self.shape)
        self.program.emit(COPY, result, self.view)
        return Tracer(self.program, result)

    def _refuse(self, *args, **kwargs):
        raise TraceError("a Python decision on an array's values")

    __bool__ = __float__ = __int__ = __index__ = __complex__ = _refuse
    __array__ = _refuse

    def __iter__(self):
        return (self[i] for i in range(len(self)))


def _check_basic(index) -> None:
    """TraceError unless ``index`` is basic indexing (integers, slices, ..., None)."""
    for part in index if isinstance(index, tuple) else (index,):
        if part is Ellipsis or part is None or isinstance(part, slice):
            continue
        if isinstance(part, (int, np.integer)) and not isinstance(part, bool):
            continue
        raise TraceError(f"an index of type {type(part).__name__}")


# --- from a trace to a runnable table -----------------------------------------------------

def _layout(program: Program, inputs: list[View], outputs: list[View]):
    """Append the copies that carry a step's outputs into its inputs for the next step,
    then give every region its arena offset: inputs, constants and staging areas for good,
    each temporary from its first write to its last use, reusing freed regions of its size.
    Returns the arena size."""
    staged = []
    for source, target in zip(outputs, inputs):
        if not source.same(target):
            staging = program.region("staging", target.shape)
            program.emit(COPY, staging, source)
            staged.append((staging, target))
    for staging, target in staged:
        program.emit(COPY, target, staging)
    for index, (_, _, result, a, b) in enumerate(program.instructions):
        for view in (result, a, b):
            if view is not None and view.region.kind == "temporary":
                region = view.region
                region.first = index if region.first is None else region.first
                region.last = index
    end = len(program.instructions)
    for view in outputs:  # live until the carrying copies have run
        if view.region.kind == "temporary":
            view.region.last = end
    size = 0
    for region in program.regions:
        if region.kind != "temporary":
            region.offset, size = size, size + max(region.size, 1)
    starts: dict[int, list[Region]] = {}
    for region in program.regions:
        if region.kind == "temporary" and region.first is not None:
            starts.setdefault(region.first, []).append(region)
    free: dict[int, list[int]] = {}
    live: list[Region] = []
    for index in range(end + 1):
        for region in [r for r in live if r.last < index]:
            free.setdefault(region.size, []).append(region.offset)
            live.remove(region)
        for region in starts.get(index, ()):
            if free.get(region.size):
                region.offset = free[region.size].pop()
            else:
                region.offset, size = size, size + region.size
            live.append(region)
    return size


def _collapse(shape: tuple, views: list) -> tuple[list, list]:
    """Merge adjacent dimensions that every view walks as one (stride[i] = stride[i + 1] *
    shape[i + 1]), as NumPy's iterator does, so that inner loops run as long as they can."""
    shape = list(shape)
    strides = [list(v.strides) for v in views]
    i = len(shape) - 2
    while i >= 0:
        if all(s[i] == s[i + 1] * shape[i + 1] for s in strides):
            shape[i] *= shape[i + 1]
            del shape[i + 1]
            for s in strides:
                s[i] = s[i + 1]
                del s[i + 1]
        i -= 1
    return shape, strides


def _encode(program: Program) -> np.ndarray:
    from pipeline.precision.interpreter import COLUMNS

    code = np.zeros((len(program.instructions), COLUMNS), dtype=np.int64)
    for row, (op, slot, result, a, b) in enumerate(program.instructions):
        views = [v for v in (result, a, b) if v is not None]
        shape, strides = _collapse(result.shape, views)
        pad = MAX_DIMENSIONS - len(shape)
        code[row, 0], code[row, 1] = op, slot
        code[row, 2:6] = [1] * pad + shape
        if slot >= 0:  # the interpreter writes a rounded result as one contiguous run
            assert result.region.kind == "temporary" and strides[0][-1] == 1 and \
                result.offset == 0 and result.shape == result.probe.shape
        for column, view, view_strides in zip((6, 11, 16), views, strides):
            code[row, column] = view.region.offset + view.offset
            code[row, column + 1:column + 5] = [0] * pad + view_strides
    return code


class CompiledSteps:
    """``advance(state, steps)``: ``steps`` applications of a traced step, in one call."""

    def __init__(self, program: Program, inputs: list[View], outputs: list[View], emulation):
        size = _layout(program, inputs, outputs)
        self.code = _encode(program)
        self.memory = np.zeros(size)
        for region in program.regions:
            if region.kind == "constant":
                self.memory[region.offset:region.offset + region.size] = region.data
        self.inputs = [(view.region.offset, view.shape) for view in inputs]
        self.keys_per_step = program.keys
        self.emulation = emulation
        self.instructions = len(program.instructions)

    def __call__(self, state, steps: int):
        from pipeline.precision.interpreter import execute

        if steps <= 0:
            return state
        emulation = self.emulation
        memory = self.memory
        for (offset, shape), values in zip(self.inputs, state):
            memory[offset:offset + values.size] = np.ndarray.view(values, np.ndarray).ravel()
        count = steps * self.keys_per_step
        if emulation.stochastic and count:
            keys = emulation.rng.bit_generator.random_raw(count).reshape(steps, -1)
        else:
            keys = np.zeros((steps, max(self.keys_per_step, 1)), dtype=np.uint64)
        execute(memory, self.code, keys, steps, emulation.significand_bits,
                emulation.emin_field, emulation.stochastic)
        size = [int(np.prod(shape, dtype=np.int64)) for _, shape in self.inputs]
        return tuple(_from_emulation(memory[offset:offset + n].reshape(shape).copy(), emulation)
                     for (offset, shape), n in zip(self.inputs, size))


def compile_steps(step, state, check_steps: int = 2, *, name: str = "The"):
    """A `CompiledSteps` for ``step`` on states like ``state`` (a tuple of emulated arrays of
    one format and stream), or None, with a warning saying why, when the step cannot be
    traced or its program does not reproduce ``check_steps`` steps of the
    operation-by-operation run bit for bit. ``state`` itself is not changed. ``name`` (such
    as "Model shallow_water at e11m10-sr:") opens the warning."""
    if not rounding.numba_kernels():
        return None
    if not state or any(type(s) is not LowPrecisionArray or s.dtype != np.float64
                        for s in state):
        return None
    first = state[0]._emulation
    if first.exact or any(s._emulation.rng is not first.rng or s.format != first.format
                          for s in state):
        return None
    program = Program()
    inputs = [program.region("input", s.shape) for s in state]
    try:
        with np.errstate(all="ignore"):
            result = step(tuple(Tracer(program, view) for view in inputs))
        if not isinstance(result, tuple) or len(result) != len(state) or not all(
                isinstance(r, Tracer) and r.shape == s.shape for r, s in zip(result, state)):
            raise TraceError("a step that does not return a state of the same shapes")
        compiled = CompiledSteps(program, inputs, [r.view for r in result], first)
    except Exception as reason:  # noqa: BLE001 - anything a tracer cannot follow
        # TraceError names what cannot be traced; any other error is the model's code
        # meeting a tracer where it expects an array, and the plain run will show whether
        # it is an error of its own.
        warnings.warn(f"{name} step not compiled ({reason}); running it operation by operation "
                      "(the same results, more slowly)", stacklevel=2)
        return None
    if not _reproduces(step, compiled, state, check_steps):
        warnings.warn(f"{name} compiled step differs from the operation-by-operation run; "
                      "running it operation by operation (more slowly)", stacklevel=2)
        return None
    return compiled


def _reproduces(step, compiled: CompiledSteps, state, steps: int) -> bool:
    """Whether ``steps`` compiled steps give the same bits and draw the same keys as the
    operation-by-operation run, both from copies of ``state``."""
    rng = compiled.emulation.rng
    start = None if rng is None else rng.bit_generator.state
    eager = tuple(s.copy() for s in state)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            eager = step(eager)
    after_eager = None if rng is None else rng.bit_generator.state
    if rng is not None:
        rng.bit_generator.state = start
    fast = compiled(tuple(s.copy() for s in state), steps)
    after_fast = None if rng is None else rng.bit_generator.state
    if rng is not None:
        rng.bit_generator.state = start
    same = all(same_values(a, b) for a, b in zip(eager, fast))
    return same and _same_state(after_eager, after_fast)


def same_values(a, b) -> bool:
    """Bit for bit equal, except that any two NaNs count as equal: when two NaNs meet in a
    commutative operation IEEE 754 leaves open whose sign and payload the result keeps, and
    compilers (NumPy's loops and LLVM alike) swap such operands freely. A NaN is a blow-up,
    which a run records as NaN whatever its bits."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    return bool(np.all((a.view(np.uint64) == b.view(np.uint64)) | (np.isnan(a) & np.isnan(b))))


def _same_state(a, b) -> bool:
    """Equality of two bit-generator states (nested dicts holding arrays)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_state(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(a, b)
    return a == b
