"""LowPrecisionArray: plain NumPy code, every result rounded to the array's format."""

import pickle

import numpy as np
import pytest

from pipeline.precision import LowPrecisionArray, NumberFormat, round, stream_generator


@pytest.fixture
def operands():
    rng = np.random.default_rng(1)
    return rng.standard_normal((16, 16)), rng.standard_normal((16, 16))


def bits(x):
    return np.asarray(x, dtype=np.float64).view(np.uint64)


def test_arithmetic_operators_and_ufuncs_round_every_result(operands):
    a64, b64 = (round(x, "e5m10") for x in operands)
    fmt = NumberFormat.parse("e5m10")
    a, b = fmt.array(a64), fmt.array(b64)
    for emulated, exact in [(a + b, a64 + b64), (a - b, a64 - b64), (a * b, a64 * b64),
                            (a / b, a64 / b64), (np.exp(a), np.exp(a64)),
                            (np.sqrt(np.abs(a)), np.sqrt(np.abs(a64))), (a**2, a64**2),
                            (2.5 * a, 2.5 * a64), (-a, -a64)]:
        assert isinstance(emulated, LowPrecisionArray) and emulated.format == fmt
        assert np.array_equal(bits(emulated), bits(round(exact, "e5m10")))


def test_matrix_products_and_reductions_accumulate_wide_then_round_once(operands):
    a64, b64 = (round(x, "e8m7") for x in operands)
    fmt = NumberFormat.parse("e8m7")
    a, b = fmt.array(a64), fmt.array(b64)
    for emulated, exact in [(a @ b, a64 @ b64), (np.dot(a, b), np.dot(a64, b64)),
                            (a.sum(), a64.sum()), (np.sum(a, axis=0), np.sum(a64, axis=0)),
                            (np.mean(a), np.mean(a64)), (np.einsum("ij,jk", a, b), a64 @ b64),
                            (np.cumsum(a), np.cumsum(a64))]:
        assert isinstance(emulated, LowPrecisionArray)
        assert np.array_equal(bits(emulated), bits(round(exact, "e8m7")))


def test_in_place_updates_and_assignment_round_into_the_array(operands):
    a64, b64 = operands
    a = NumberFormat.parse("e5m4").array(a64)
    expected = round(round(a64, "e5m4") + b64, "e5m4")
    a += b64
    assert np.array_equal(bits(a), bits(expected))
    a[2:4, 1:3] = b64[:2, :2]
    assert np.array_equal(bits(a[2:4, 1:3]), bits(round(b64[:2, :2], "e5m4")))
    a[0, 0] = np.pi
    assert float(a[0, 0]) == 3.125  # spacing 1/8 in [2, 4)
    view = a[1:-1, 1:-1]
    view *= 3.0
    assert np.array_equal(bits(a), bits(round(a, "e5m4")))


def test_asarray_gives_plain_float64_values_that_are_exactly_representable(operands):
    a = NumberFormat.parse("e4m3").array(operands[0] * 10)
    plain = np.asarray(a)
    assert type(plain) is np.ndarray and plain.dtype == np.float64
    assert np.array_equal(bits(plain), bits(round(plain, "e4m3")))


def test_element_access_and_unpacking_keep_emulating():
    x, y, z = NumberFormat.parse("float16").array([1.1, 2.2, 3.3])
    product = x * y
    assert isinstance(product, LowPrecisionArray) and product.shape == ()
    assert float(product) == float(round(round(1.1, "float16") * round(2.2, "float16"), "float16"))


def test_mixed_formats_promote_to_the_containing_format_or_refuse():
    half = NumberFormat.parse("float16").array([1 + 2.0**-10])
    single = NumberFormat.parse("float32").array([2.0**-20])
    assert (half + single).format == NumberFormat.parse("float32")
    assert (single + half).format == NumberFormat.parse("float32")
    brain = NumberFormat.parse("bfloat16").array([1.0])
    with pytest.raises(TypeError, match="neither format contains the other"):
        half + brain
    out = NumberFormat.parse("e5m3").array([0.0])
    np.add(single, half, out=out)
    assert out.format == NumberFormat.parse("e5m3") and float(out[0]) == 1.0


def test_e11m52_runs_plain_code_identically_to_float64(operands):
    a64, b64 = operands
    fmt = NumberFormat.parse("e11m52")
    a, b = fmt.array(a64), fmt.array(b64)
    result = np.tanh(a @ b) * 0.5 + a.sum(axis=1) / 3
    assert np.array_equal(bits(result), bits(np.tanh(a64 @ b64) * 0.5 + a64.sum(axis=1) / 3))


@pytest.mark.parametrize("name,dtype", [("float32", np.float32), ("float16", np.float16)])
def test_native_dtype_fast_path_agrees_with_emulation_elementwise(operands, name, dtype):
    a64, b64 = (round(x, name) for x in operands)
    fmt = NumberFormat.parse(name)
    assert fmt.native_dtype is dtype
    a, b = fmt.array(a64), fmt.array(b64)
    an, bn = a64.astype(dtype), b64.astype(dtype)
    for emulated, native in [(a + b, an + bn), (a - b, an - bn), (a * b, an * bn),
                             (a / b, an / bn), (np.sqrt(np.abs(a)), np.sqrt(np.abs(an)))]:
        assert np.array_equal(bits(emulated), bits(native.astype(np.float64)))


def test_float16_stagnation_is_rescued_by_stochastic_rounding():
    # 1 + 2^-11 is a tie between 1 and 1 + 2^-10: round to nearest (to even) stays at 1.
    nearest = NumberFormat.parse("float16").array(1.0)
    for _ in range(1000):
        nearest = nearest + 2.0**-11
    assert float(nearest) == 1.0
    # Stochastic rounding is unbiased: each sum ends near 1 + 1000 * 2^-11 = 1.48828.
    stochastic = NumberFormat.parse("float16-sr")
    totals = []
    for member in range(200):
        total = stochastic.array(1.0, seed=2026, stream=("stagnation", member))
        for _ in range(1000):
            total += 2.0**-11
        totals.append(float(total))
    # Each total is 1 + 2^-10 * Binomial(1000, 1/2): sd 0.0154 per member, 0.0011 for the
    # mean of 200; 0.01 is nine standard deviations.
    assert abs(np.mean(totals) - (1 + 1000 * 2.0**-11)) < 0.01


def test_stochastic_arrays_reproduce_from_seed_and_stream():
    fmt = NumberFormat.parse("e5m6-sr")

    def run(seed, member):
        x = fmt.array(np.linspace(0, 1, 50), seed=seed, stream=("test", member))
        for _ in range(20):
            x = x * 1.01 + 0.001
        return np.asarray(x)

    assert np.array_equal(run(1, 0), run(1, 0))
    assert not np.array_equal(run(1, 0), run(1, 1))


def test_pickling_keeps_format_values_and_stream():
    x = NumberFormat.parse("e5m6-sr").array(np.linspace(0, 1, 5), seed=3)
    y = pickle.loads(pickle.dumps(x))
    assert y.format == x.format and np.array_equal(np.asarray(y), np.asarray(x))
    assert np.array_equal(np.asarray(y * 1.1), np.asarray(x * 1.1))


def test_stochastic_array_without_a_generator_is_refused():
    with pytest.raises(ValueError, match="needs rng"):
        LowPrecisionArray.from_values([1.0], "e5m10-sr")


def test_shared_stream_via_an_explicit_generator():
    fmt = NumberFormat.parse("e5m6-sr")
    rng = stream_generator(5, "model")
    u, v = fmt.array([0.3], rng=rng), fmt.array([0.3], rng=rng)
    assert u.rng is v.rng


def model_like_computation(fmt):
    """A few steps of a diffusion-advection update touching every code path of the array."""
    u = fmt.array(np.sin(np.linspace(0, 6, 300)).reshape(10, 30), seed=8, stream=("paths",))
    for _ in range(5):
        flux = 0.1 * (u[:, 2:] - 2.0 * u[:, 1:-1] + u[:, :-2])
        u[:, 1:-1] += flux
        u = u * 0.999 + np.exp(-u) / 1000
        u[0] = u.mean(axis=0)
    return np.asarray(u)


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e8m3-sr"])
def test_compiled_and_fused_paths_equal_the_pure_numpy_path(monkeypatch, name):
    from pipeline.precision import rounding

    fmt = NumberFormat.parse(name)
    compiled = model_like_computation(fmt)
    monkeypatch.setattr(rounding, "_NUMBA", False)
    numpy_only = model_like_computation(fmt)
    assert np.array_equal(bits(compiled), bits(numpy_only))
    assert np.array_equal(bits(numpy_only), bits(round(numpy_only, name.removesuffix("-sr"))))


@pytest.mark.parametrize("bit_generator", [np.random.Philox, np.random.PCG64,
                                           np.random.PCG64DXSM, np.random.SFC64,
                                           np.random.MT19937])
def test_kernels_drawing_their_keys_draw_what_random_raw_gives(monkeypatch, bit_generator):
    """Compiled kernels draw each key from the generator's C state themselves (MT19937,
    whose raw output is 32 bits, is drawn from in Python): the same bits and the same
    number of draws as the pure NumPy path, which draws each key with ``random_raw()``."""
    from pipeline.precision import rounding

    fmt = NumberFormat.parse("e5m10-sr")

    def compute():
        rng = np.random.Generator(bit_generator(11))
        u = fmt.array(np.sin(np.linspace(0, 6, 300)).reshape(10, 30), rng=rng)
        for _ in range(3):
            flux = 0.1 * (u[:, 2:] - 2.0 * u[:, 1:-1] + u[:, :-2])
            u[:, 1:-1] += flux
            u = (u * 0.999 + np.exp(-u) / 1000) @ np.eye(30) + u.T.T
        return bits(np.asarray(u)), rng.bit_generator.random_raw()

    compiled = compute()
    monkeypatch.setattr(rounding, "_NUMBA", False)
    numpy_only = compute()
    assert np.array_equal(compiled[0], numpy_only[0]) and compiled[1] == numpy_only[1]


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr"])
@pytest.mark.parametrize("bit_generator", [np.random.Philox, np.random.MT19937])
def test_read_only_operands_give_the_general_paths_values_and_draws(monkeypatch, name,
                                                                    bit_generator):
    """np.broadcast_to gives read-only views, which the compiled 2-D kernel does not take."""
    from pipeline.precision import array as array_module

    fmt = NumberFormat.parse(name)

    def compute():
        rng = np.random.Generator(bit_generator(5))
        u = fmt.array(np.linspace(1, 2, 120).reshape(4, 30), rng=rng)
        row = np.linspace(0, 1, 30) / 7
        results = [u - np.broadcast_to(row, u.shape), np.broadcast_to(row, u.shape) * u,
                   u[:, 1:] / np.broadcast_to(row[1:], (4, 29))]
        u[:, 1:] += np.broadcast_to(row[1:], (4, 29))
        results.append(u * 1.0001)  # the stream's position after
        return [np.asarray(r).tobytes() for r in results]

    lean = compute()
    monkeypatch.setattr(array_module, "_strided_binary", lambda ufunc, x, y, emulation: None)
    monkeypatch.setattr(array_module, "_fast_into", lambda ufunc, x, y, target: None)
    assert lean == compute()


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr"])
def test_one_element_operands_broadcast_as_numpy_does(monkeypatch, name):
    """A one-element array is a scalar to the lean path only when it has no more axes than
    the other operand: (1, 1) + (30,) has NumPy's shape (1, 30)."""
    from pipeline.precision import array as array_module

    fmt = NumberFormat.parse(name)

    def compute():
        a = fmt.array(np.linspace(1, 2, 120).reshape(4, 30), seed=1)
        pairs = [(np.add, a[:1, :1], a[0]), (np.multiply, a[0], np.full((1, 1, 1), 2.0)),
                 (np.subtract, a[:1, :1][None], a), (np.true_divide, a, a[:1, :1]),
                 (np.add, a[0], a[1, 1]), (np.multiply, np.float64(2.0), a[:1, :1])]
        results = [ufunc(x, y) for ufunc, x, y in pairs]
        results += [x + y for ufunc, x, y in pairs[:3]]  # the operators' route
        results.append(a * 1.0001)  # the stream's position after
        return [(np.asarray(r).shape, np.asarray(r).tobytes()) for r in results]

    lean = compute()
    assert [shape for shape, _ in lean[:3]] == [(1, 30), (1, 1, 30), (1, 4, 30)]
    assert [shape for shape, _ in lean[6:9]] == [(1, 30), (1, 1, 30), (1, 4, 30)]
    monkeypatch.setattr(array_module, "_fast_binary", lambda ufunc, x, y: None)
    general = compute()  # (ufuncs only: the operators hold the lean function itself)
    assert lean[:6] == general[:6] and lean[-1] == general[-1]


def test_an_update_of_a_read_only_array_gets_numpys_error():
    a = NumberFormat.parse("e5m10-sr").array(np.linspace(1, 2, 120).reshape(4, 30), seed=1)
    for target in (a.copy(), a[0].copy()):
        target.setflags(write=False)
        with pytest.raises(ValueError, match="read-only"):
            target += target.copy()


def test_a_copied_emulation_draws_from_its_own_generator():
    fmt = NumberFormat.parse("e5m6-sr")
    x = fmt.array(np.linspace(1, 2, 40), seed=3)
    copy = pickle.loads(pickle.dumps(x._emulation))
    assert copy.rng is not x.rng and copy.key() != x._emulation.key()
    y = LowPrecisionArray._wrap(np.asarray(x).copy(), fmt, copy.rng)
    assert np.array_equal(np.asarray(y * 1.1), np.asarray(x * 1.1))


def special_operands():
    rng = np.random.default_rng(4)
    values = rng.standard_normal((6, 40)) * 2.0 ** rng.integers(-30, 18, (6, 40))
    values[0, :8] = [0.0, -0.0, np.nan, np.inf, -np.inf, 1e-30, 7e4, -6.5e4]
    return values


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e3m2-sr", "e11m4"])
@pytest.mark.parametrize("operation", [np.add, np.subtract, np.multiply, np.true_divide])
def test_fused_operations_on_special_values_strides_and_broadcasts(monkeypatch, name, operation):
    from pipeline.precision import rounding

    values = special_operands()

    def compute():
        fmt = NumberFormat.parse(name)
        a = fmt.array(values, seed=1, stream=("fused",))
        with np.errstate(all="ignore"):
            results = [operation(a, a[::-1]), operation(a[:, 1:], a[:, :-1]),
                       operation(a, a[0]), operation(a[:, :1], a), operation(2.5, a),
                       operation(a, 1e-3), operation(a.T, a.T)]
            inplace = a.copy()
            operation(inplace[:, 2:], a[:, :-2], out=inplace[:, 2:])
            # In-place updates of a view by itself, into either operand, into a 3-D array,
            # and with operands overlapping the target only in part (NumPy buffers those).
            interior = a.copy()
            view = interior[:, 1:-1]
            operation(view, a[:, 2:], out=view)
            right = a.copy()
            operation(a[::-1], right, out=right)
            cube = a.reshape(3, 2, 40).copy()
            operation(cube, a.reshape(3, 2, 40), out=cube)
            shifted = a.copy()
            operation(shifted[:, :-1], shifted[:, 1:], out=shifted[:, 1:])
        return [bits(r) for r in results + [inplace, interior, right, cube, shifted]]

    compiled = compute()
    monkeypatch.setattr(rounding, "_NUMBA", False)
    for fast, reference in zip(compiled, compute()):
        assert np.array_equal(fast, reference)


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e3m2-sr"])
def test_the_lean_unary_path_gives_the_general_paths_values_types_and_draws(monkeypatch, name):
    from pipeline.precision import array as array_module

    def compute():
        fmt = NumberFormat.parse(name)
        a = fmt.array(np.linspace(-3, 5, 60).reshape(6, 10), seed=2, stream=("unary",))
        results = []
        with np.errstate(all="ignore"):
            for function in (np.sqrt, np.exp, np.negative, np.sin, np.log, np.isnan, np.floor):
                for operand in (a, a[2, 3], a[:0]):
                    result = function(operand)
                    results.append((type(result), np.asarray(result).dtype,
                                    np.asarray(result).shape, np.asarray(result).tobytes()))
        results.append(np.asarray(a * 1.0001).tobytes())  # the stream's position after
        return results

    lean = compute()
    monkeypatch.setattr(array_module, "_fast_unary", lambda ufunc, x: None)
    assert lean == compute()


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e3m2-sr"])
def test_the_lean_two_operand_path_gives_the_general_paths_values_types_and_draws(
        monkeypatch, name):
    from pipeline.precision import array as array_module

    def compute():
        fmt = NumberFormat.parse(name)
        a = fmt.array(np.linspace(-3, 5, 60).reshape(6, 10), seed=2, stream=("binary",))
        b = fmt.array(np.linspace(1, 2, 60).reshape(6, 10), seed=2, stream=("other",))
        plain = np.linspace(0.5, 1.5, 60).reshape(6, 10)
        results = []
        with np.errstate(all="ignore"):
            for function in (np.maximum, np.power, np.greater, np.arctan2, np.hypot):
                for x, y in ((a, b), (b, a), (a, plain), (plain, a), (a, 2), (0.5, a),
                             (a[:, 1:], a[:, :-1]), (a.T, b.T), (a[2, 3], b[1, 1]),
                             (a[:0], b[:0])):
                    result = function(x, y)
                    results.append((type(result), np.asarray(result).dtype,
                                    np.asarray(result).shape, np.asarray(result).tobytes()))
            for x, y in ((a, b.T), (a.T, plain), (a[0], b[0]), (a[:3, :3], a[:3, :3])):
                result = x @ y
                results.append((type(result), np.asarray(result).tobytes()))
        results.append(np.asarray(a * 1.0001).tobytes())  # the streams' positions after
        results.append(np.asarray(b * 1.0001).tobytes())
        return results

    lean = compute()
    monkeypatch.setattr(array_module, "_lean_binary", lambda ufunc, x, y: None)
    assert lean == compute()


def test_value_moving_functions_keep_values_and_format_without_drawing_random_bits():
    fmt = NumberFormat.parse("e5m6-sr")
    x = fmt.array(np.linspace(0, 1, 12).reshape(3, 4), seed=1)
    def position(rng):
        state = rng.bit_generator.state
        return state["state"]["counter"].tolist(), state["buffer_pos"]

    before = position(x.rng)
    for moved, plain in [(np.roll(x, 1, axis=-1), np.roll(np.asarray(x), 1, axis=-1)),
                         (np.concatenate([x, x]), np.concatenate([np.asarray(x)] * 2)),
                         (np.transpose(x), np.asarray(x).T)]:
        assert isinstance(moved, LowPrecisionArray) and moved.format == fmt
        assert np.array_equal(np.asarray(moved), plain)
    assert position(x.rng) == before
    mixed = np.concatenate([x, np.full((1, 4), 0.1)])  # a plain operand is rounded
    assert np.array_equal(np.asarray(mixed), np.asarray(round(mixed, "e5m6")))


@pytest.mark.parametrize("name", ["e11m10", "e11m10-sr"])
def test_results_laid_out_in_any_dense_axis_order_round_as_in_c_order(name):
    # NumPy lays out the result of an operation on transposed operands in their memory
    # order, neither C nor Fortran; nearest rounding rounds it where it lies, stochastic
    # rounding in C order (keys follow C order), both equal to rounding the C-ordered result.
    fmt = NumberFormat.parse(name)
    values = np.random.default_rng(3).standard_normal((3, 4, 5, 6))
    generator = stream_generator(5, "dense") if fmt.stochastic else None
    a = fmt.array(values, rng=generator).transpose(2, 0, 3, 1)
    result = np.exp(a)
    assert not result.flags.c_contiguous and not result.flags.f_contiguous
    replay = stream_generator(5, "dense") if fmt.stochastic else None
    start = round(values, fmt, replay).transpose(2, 0, 3, 1)  # the key drawn on creation
    expected = round(np.ascontiguousarray(np.exp(start)), fmt, replay)
    assert np.array_equal(bits(result), bits(expected))


@pytest.mark.parametrize("name", ["e11m10-sr", "e5m10-sr"])
@pytest.mark.parametrize("shape,order,permuted_pass", [
    ((3, 4, 5, 16), (2, 0, 3, 1), True), ((1, 8, 7, 20), (0, 1, 3, 2), True),
    ((40, 30), (1, 0), True), ((5, 1, 17), (2, 1, 0), True),
    ((3, 4, 5, 6), (2, 0, 3, 1), False)])  # rows of 6: a C-ordered copy is faster
def test_stochastic_rounding_in_place_of_a_permuted_layout_is_that_of_a_c_ordered_copy(
        monkeypatch, name, shape, order, permuted_pass):
    """The compiled pass that rounds a permuted dense layout where it lies (each element by
    its C-order index) against rounding a C-ordered copy: the same bits, subnormal results,
    zeros, infinities and NaN (the second, rare pass) included, and the same draws after."""
    from pipeline.precision import array as array_module

    fmt = NumberFormat.parse(name)
    values = np.random.default_rng(4).standard_normal(shape) * 10.0 ** np.random.default_rng(
        5).integers(-9, 6, shape)
    flat = values.reshape(-1)
    flat[::7], flat[1::11], flat[2::13] = 0.0, 3e-6, np.inf
    flat[3] = np.nan

    def compute():
        a = LowPrecisionArray._wrap(values.transpose(order), fmt, stream_generator(9, "perm"))
        with np.errstate(all="ignore"):
            result = a * 0.37  # NumPy lays the result out as a is laid out
        assert not result.flags.c_contiguous
        return bits(result), bits(a * 1.5), bits(np.ascontiguousarray(a) * 1.5)

    calls = []
    kernel = array_module._round_permuted
    monkeypatch.setattr(array_module, "_round_permuted",
                        lambda *args: calls.append(1) or kernel(*args))
    in_place = compute()
    assert bool(calls) == permuted_pass  # the permuted pass ran where its rows are long
    monkeypatch.setattr(array_module, "_dense_view", lambda values: None)  # copy instead
    copied = compute()
    for got, expected in zip(in_place, copied):
        assert np.array_equal(got, expected)


@pytest.mark.parametrize("name", ["e5m10", "e5m10-sr", "e11m10-sr"])
def test_arithmetic_operators_give_what_the_ufuncs_give(name):
    """a + b, 2.0 * a, a @ b.T, -a ... go to the lean paths directly (LowPrecisionArray's
    operators); they must give what the ufunc route gives: values, result types and the
    streams' positions after, reflected operands, promotion and other types included."""
    import operator

    import xarray as xr

    pairs = [(operator.add, np.add), (operator.sub, np.subtract), (operator.mul, np.multiply),
             (operator.truediv, np.true_divide), (operator.matmul, np.matmul)]

    def compute(by_operator):
        fmt = NumberFormat.parse(name)
        a = fmt.array(np.linspace(-3, 5, 60).reshape(6, 10), seed=2, stream=("ops",))
        b = fmt.array(np.linspace(1, 2, 60).reshape(6, 10), seed=2, stream=("other",))
        wide = NumberFormat.parse("e11m23").array(np.linspace(1, 3, 60).reshape(6, 10))
        plain = np.linspace(0.5, 1.5, 60).reshape(6, 10)
        results = []
        with np.errstate(all="ignore"):
            for python, ufunc in pairs:
                function = python if by_operator else ufunc
                operands = ([(a, b.T), (a.T, plain), (plain.T, a), (a[:3], b[:3].T)]
                            if ufunc is np.matmul else
                            [(a, b), (b, a), (a, plain), (plain, a), (a, 2.0), (3, a),
                             (a[:, 1:], a[:, :-1]), (a.T, b.T), (a, wide), (wide, a),
                             (a, np.float32(2.0)), (a[:0], b[:0]), (a[2, 3], b[1, 1])])
                for x, y in operands:
                    result = function(x, y)
                    results.append((type(result), np.asarray(result).dtype,
                                    np.asarray(result).tobytes()))
            for x in (a, a.T, a[:, 1:]):
                result = -x if by_operator else np.negative(x)
                results.append((type(result), np.asarray(result).tobytes()))
            frame = xr.DataArray(plain)
            result = a + frame if by_operator else np.add(a, frame)
            results.append((type(result), np.asarray(result).tobytes()))
        results.append(np.asarray(a * 1.0001).tobytes())  # the streams' positions after
        results.append(np.asarray(b * 1.0001).tobytes())
        return results

    assert compute(True) == compute(False)
