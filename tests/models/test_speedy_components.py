"""Mixed precision by component in the speedy model (pipeline/models/speedy/components.py):
every component in float64 is the float64 run bit for bit, whatever the run's format; one
reduced component changes, at the first step, only what it and the schemes after it compute;
a component's own stochastic stream resumes bit for bit; bad mappings get one sentence."""

import numpy as np
import pytest
import xarray as xr

from pipeline.models.base import ModelParameterError, parse_overrides
from pipeline.models.run import run_block
from pipeline.models.speedy import Speedy
from pipeline.models.speedy.components import SCHEMES
from pipeline.models.speedy.physics import column as column_module
from pipeline.precision import LowPrecisionArray, NumberFormat
from tests.models.test_speedy_moist import assert_resumes_bit_for_bit

MOIST = dict(truncation=10, physics="speedy", steps_per_day=24, perturbation=0.1)
FLOAT64 = NumberFormat.parse("float64")
E11M10 = NumberFormat.parse("e11m10")


def config(**overrides):
    return parse_overrides(Speedy.Config, {k: str(v) for k, v in overrides.items()}, "speedy")


@pytest.mark.parametrize("run_format", ["e11m10", "e5m10-sr"])
def test_every_component_in_float64_is_the_float64_run_bit_for_bit(run_format):
    common = dict(MOIST, days=0.5, output_interval_hours=4)
    reference = run_block(Speedy, config(**common), FLOAT64, 3, 0, 0, [0, 1])
    mapped = run_block(Speedy, config(**common, dynamics_format="float64",
                                      transforms_format="float64", time_stepping_format="float64",
                                      physics_format="float64"),
                       NumberFormat.parse(run_format), 3, 0, 0, [0, 1])
    for name, values in reference.fields.items():
        assert np.array_equal(values, mapped.fields[name]), name
    # And reduced_components names nothing but float64 parts the same way.
    none_reduced = run_block(Speedy, config(**common, reduced_components="dynamics",
                                            dynamics_format="float64"),
                             NumberFormat.parse(run_format), 3, 0, 0, [0, 1])
    for name, values in reference.fields.items():
        assert np.array_equal(values, none_reduced.fields[name]), name


# The schemes whose first-step results may depend on each reduced scheme's (column.py's order:
# convection feeds condensation's cloud top, the clouds' precipitation and the vertical
# diffusion's shallow-convection mask; the clouds feed the radiation; the surface fluxes
# feed the longwave's upward pass).
DOWNSTREAM = {
    "convection": {"convection", "large_scale_condensation", "clouds", "shortwave_radiation",
                   "longwave_transmissivity", "longwave_downward", "longwave_upward",
                   "vertical_diffusion"},
    "clouds": {"clouds", "shortwave_radiation", "longwave_transmissivity",
               "longwave_downward", "longwave_upward"},
    "shortwave": {"shortwave_radiation"},
    "surface_fluxes": {"sea_surface_fluxes", "longwave_upward"},
    "vertical_diffusion": {"vertical_diffusion"},
}
OWNER = {"convection": "convection", "large_scale_condensation": "condensation",
         "clouds": "clouds", "shortwave_radiation": "shortwave",
         "longwave_transmissivity": "longwave", "longwave_downward": "longwave",
         "longwave_upward": "longwave", "sea_surface_fluxes": "surface_fluxes",
         "vertical_diffusion": "vertical_diffusion"}


def first_step_results(monkeypatch, cfg):
    """Every scheme's inputs' and results' arrays at the first step of a float64-format run
    of ``cfg``, by scheme function."""
    recorded = {}

    def recording(name, scheme):
        def wrapped(*args):
            result = scheme(*args)
            recorded[name] = (args[1:], result)
            return result
        return wrapped

    for name in OWNER:
        monkeypatch.setattr(column_module, name, recording(name, getattr(column_module, name)))
    model = Speedy(cfg, FLOAT64)
    model.use_streams({name: None for name in model.component_formats})
    state = tuple(model.initial_state([np.random.default_rng(5)]))
    model.step(state)
    monkeypatch.undo()
    return recorded


def arrays_of(result):
    if isinstance(result, (list, tuple)):
        return [a for item in result for a in arrays_of(item)]
    if hasattr(result, "__dataclass_fields__"):
        return arrays_of(list(vars(result).values()))
    return [result] if isinstance(result, np.ndarray) else []


@pytest.mark.parametrize("reduced", sorted(DOWNSTREAM))
def test_one_reduced_component_changes_only_what_it_and_its_followers_compute(monkeypatch,
                                                                               reduced):
    # The reduced scheme's results change; those of every scheme not after it are the
    # float64 run's bit for bit.
    common = dict(MOIST, days=0.1, output_interval_hours=1)
    plain = first_step_results(monkeypatch, config(**common))
    mixed = first_step_results(monkeypatch, config(**common, **{f"{reduced}_format": "e11m10"}))
    assert set(plain) == set(mixed) == set(OWNER)
    for name in OWNER:
        inputs, result = mixed[name]
        same = all(np.array_equal(a, b) for a, b in zip(arrays_of(plain[name][1]),
                                                         arrays_of(result)))
        if OWNER[name] == reduced:
            assert not same, f"{name} should change when {reduced} is reduced"
        elif name not in DOWNSTREAM[reduced]:
            assert same, f"{name} changed when only {reduced} was reduced"
        # The reduced scheme computes at e11m10: its inputs are e11m10 arrays, its floating
        # results too; every other scheme computes in float64 (plain arrays).
        floats = [a for a in arrays_of(inputs) + arrays_of(result)
                  if np.issubdtype(np.asarray(a).dtype, np.floating)]
        if OWNER[name] == reduced:
            emulated = [a for a in floats if isinstance(a, LowPrecisionArray)]
            assert emulated and all(a.format == E11M10 for a in emulated), name
            values = np.concatenate([np.asarray(a).ravel() for a in emulated])
            assert np.array_equal(values, E11M10.array(values)), name
        else:
            assert not any(isinstance(a, LowPrecisionArray) for a in floats), name


def test_reduced_dynamics_hands_the_physics_float64_values(monkeypatch):
    # physics_format=float64 under an e11m10 run: the state and core are e11m10, the column
    # physics receives its inputs as plain float64 and its tendencies reach the core as e11m10.
    from pipeline.models.speedy import coupling

    model = Speedy(config(**MOIST, days=0.1, physics_format="float64"), E11M10)
    assert model.component_formats["dynamics"] == E11M10
    assert {model.component_formats[name] for name in SCHEMES + ("column",)} == {FLOAT64}
    seen = {}
    original = coupling.column_physics

    def spy(c, state, boundary, memory, radiation, parts=None):
        seen["state"] = state
        result = original(c, state, boundary, memory, radiation, parts)
        seen["tendencies"] = result[0]
        return result

    monkeypatch.setattr(coupling, "column_physics", spy)
    model.use_streams({name: None for name in model.component_formats})
    state = tuple(E11M10.array(a) for a in model.initial_state([np.random.default_rng(1)]))
    new = model.step(state)
    assert not any(isinstance(a, LowPrecisionArray) for a in vars(seen["state"]).values())
    assert not any(isinstance(a, LowPrecisionArray) for a in vars(seen["tendencies"]).values())
    prognostics = len(model.prognostics)
    assert all(isinstance(a, LowPrecisionArray) and a.format == E11M10
               for a in new[:2 * prognostics])


def test_a_component_with_its_own_stochastic_stream_resumes_bit_for_bit(tmp_path):
    cfg = config(**MOIST, days=0.5, output_interval_hours=4, convection_format="e11m12-sr",
                 column_format="e11m23-sr", shortwave_format="e5m10-sr")
    fmt = NumberFormat.parse("e11m10-sr")
    whole = assert_resumes_bit_for_bit(cfg, fmt, tmp_path / "c.npz")
    # The components' streams are their own: another stream for the convection alone
    # (another seed for it cannot be asked for, so compare with convection at the run's
    # format and stream) gives another run.
    shared = run_block(Speedy, config(**MOIST, days=0.5, output_interval_hours=4,
                                      column_format="e11m23-sr", shortwave_format="e5m10-sr"),
                       fmt, 5, 0, 1, [2])
    assert not np.array_equal(whole.fields["precipitation"], shared.fields["precipitation"])


@pytest.mark.parametrize("overrides,words", [
    ({"physics": "speedy", "convection_format": "e11m99"},
     "convection_format must be a number format"),
    ({"physics": "speedy", "reduced_components": "convektion"},
     "reduced_components must be 'all' or names among"),
    ({"physics": "speedy", "reduced_components": ","},
     "reduced_components must be 'all' or names among"),
    ({"physics": "held-suarez", "physics_format": "float64"},
     "physics_format applies to physics=speedy only"),
    ({"physics": "held-suarez", "reduced_components": "convection"},
     "reduced_components must be 'all' or names among dynamics, transforms, time_stepping, "
     "comma-separated; got convection"),
])
def test_bad_mappings_get_one_sentence(overrides, words):
    with pytest.raises(ModelParameterError, match=words):
        parse_overrides(Speedy.Config, overrides, "speedy")


def test_files_name_their_component_formats_and_the_analysis_takes_them_as_tests_only(
        tmp_path, run_tool):
    settings = ("truncation=10", "physics=speedy", "steps_per_day=24", "days=0.25",
                "output_interval_hours=2", "physics_outputs=precipitation")

    def simulate(name, fmt, *extra, ensemble=0):
        out = tmp_path / f"{name}.nc"
        run_tool("lowprec", "simulate", "speedy", "--format", fmt, "--members", "2",
                 "--seed", "3", "--ensemble", str(ensemble),
                 *[word for setting in settings + extra for word in ("--set", setting)],
                 "--out", str(out))
        return out

    reference = simulate("float64", "float64")
    nulls = [simulate(f"null{k}", "float64", ensemble=k) for k in (1, 2)]
    mixed = simulate("mixed", "e11m10", "reduced_components=convection", "column_format=e11m12")
    with xr.open_dataset(mixed) as dataset:
        assert dataset.attrs["model_column_format"] == "e11m12"
        assert dataset.attrs["component_formats"] == (
            "dynamics=float64, transforms=float64, time_stepping=float64, column=e11m12, convection=e11m10, condensation=float64, "
            "clouds=float64, shortwave=float64, longwave=float64, surface_fluxes=float64, "
            "vertical_diffusion=float64, land=float64")
    out = tmp_path / "analysis.nc"
    run_tool("lowprec", "analyse", "speedy", "--reference", reference, "--null", *nulls,
             "--test", mixed, "--out", out)
    assert out.exists()
    bad_null = simulate("bad-null", "float64", "convection_format=e11m10", ensemble=3)
    refused = run_tool("lowprec", "analyse", "speedy", "--reference", reference, "--null",
                       nulls[0], bad_null, "--test", mixed, "--out", tmp_path / "no.nc", check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "ran convection below float64" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1


def test_reduced_transforms_compute_in_their_format_and_hand_back_the_dynamics_values():
    """With the transforms alone at e11m10, a synthesis from the float64 dynamics is the
    precision core's e11m10 synthesis (tables and input rounded to e11m10, every product
    and sum rounded) and reaches the dynamics as plain float64 numbers; with one format for
    both the plain transform runs (bit for bit the single-format model)."""
    from pipeline.models.speedy.components import ComponentTransform
    from pipeline.models.speedy.spectral import SpectralTransform
    from pipeline.precision import round as round_to_format

    model = Speedy(config(**MOIST, reduced_components="transforms"), E11M10)
    assert model.component_formats["transforms"] == E11M10
    assert model.component_formats["dynamics"] == FLOAT64
    assert isinstance(model.transform, ComponentTransform)
    grid = model.grid
    spectral = model.float64.to_spectral(
        np.random.default_rng(1).standard_normal((3, grid.nlon, grid.nlat)))
    values = model.transform.to_grid(spectral)
    assert type(values) is np.ndarray and values.dtype == np.float64
    emulated = SpectralTransform(grid, lambda table: np.asarray(round_to_format(table, E11M10)))
    expected = np.asarray(emulated.to_grid(E11M10.array(round_to_format(spectral, E11M10))))
    assert np.array_equal(values, expected)
    assert not np.array_equal(values, model.float64.to_grid(spectral))
    # The winds and the analysis go the same way.
    u, v = model.transform.winds(spectral[:1], spectral[1:2])
    assert np.array_equal(u, round_to_format(u, E11M10))
    assert not isinstance(Speedy(config(**MOIST), E11M10).transform, ComponentTransform)


def test_transforms_on_their_own_stochastic_stream_resume_bit_for_bit(tmp_path):
    from tests.models.test_speedy_moist import assert_resumes_bit_for_bit

    cfg = config(**MOIST, days=0.5, output_interval_hours=4, transforms_format="e11m8-sr")
    assert_resumes_bit_for_bit(cfg, NumberFormat.parse("e11m10-sr"), tmp_path / "c.npz")


def test_reduced_time_stepping_holds_the_state_in_its_format_and_the_dynamics_run_in_theirs(
        monkeypatch):
    """With the time stepping alone at e11m10 the prognostic state is e11m10 numbers after
    every step, while the dynamics receive it as plain float64 values and compute exactly
    what a float64 model computes from them (the increments of the same inputs agree bit
    for bit)."""
    from pipeline.models.base import to_format
    from pipeline.models.run import component_streams
    from pipeline.precision import LowPrecisionArray
    from pipeline.precision import round as round_to_format

    model = Speedy(config(**MOIST, reduced_components="time_stepping"), E11M10)
    float64_model = Speedy(config(**MOIST), FLOAT64)
    initial = model.initial_state([np.random.default_rng(0)])
    _, formats = component_streams(model, E11M10, None, 1, 0, 0, len(initial))
    state = tuple(to_format(values, f, r) for values, (f, r) in zip(initial, formats))
    seen = []
    original = Speedy.increments

    def recording(self, *fields, **options):
        seen.append(fields)
        return original(self, *fields, **options)

    monkeypatch.setattr(Speedy, "increments", recording)
    for _ in range(3):
        state = model.step(state)
    prognostics = 2 * len(model.prognostics)
    for values in state[:prognostics]:
        assert isinstance(values, LowPrecisionArray) and values.format == E11M10
        plain = np.asarray(values)
        assert np.array_equal(plain, round_to_format(plain, E11M10))
    inputs = seen[-1]
    assert all(type(x) is np.ndarray and x.dtype.kind == "c" for x in inputs)
    monkeypatch.setattr(Speedy, "increments", original)
    for ours, theirs in zip(model.increments(*inputs), float64_model.increments(*inputs)):
        assert np.array_equal(ours, theirs)


def test_time_stepping_on_its_own_stochastic_stream_resumes_bit_for_bit(tmp_path):
    from tests.models.test_speedy_moist import assert_resumes_bit_for_bit

    cfg = config(**MOIST, days=0.5, output_interval_hours=4, time_stepping_format="e11m12-sr")
    assert_resumes_bit_for_bit(cfg, NumberFormat.parse("e11m10-sr"), tmp_path / "c.npz")
