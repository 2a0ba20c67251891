"""The summary's figures: water fluxes shown in mm/6h as Paxton et al. (2022) show them."""

import numpy as np
import pytest
import xarray as xr

from pipeline.analysis.summary import display_scale, plot_distances


def test_a_water_flux_is_shown_in_millimetres_per_six_hours():
    # 1 kg of liquid water (density 1000 kg m-3) over 1 m2 is a layer 1e-3 m thick, and
    # 6 h is 6 x 60 x 60 s: a flux of 1 kg m-2 s-1 piles up 1 mm x 21600 in 6 h.
    layer_per_kg = 1.0 / 1000.0 * 1000.0  # m3 per kg, in mm per m2
    factor, units = display_scale({"units": "kg m-2 s-1"})
    assert units == "mm/6h"
    assert factor == layer_per_kg * 6 * 60 * 60
    # SPEEDY's mean precipitation of about 3 mm/day is 0.75 mm/6h.
    assert np.isclose(3.0 / 86400 * factor, 0.75)
    assert display_scale({"units": "K"}) == (1.0, "K")


def _analysis(variables):
    names = ["e11m10", "e11m12", "e11m10-sr", "e11m12-sr"]
    data = {"significand_bits": ("format", [10, 12, 10, 12]),
            "rounding": ("format", ["nearest", "nearest", "stochastic", "stochastic"])}
    for variable, units in variables.items():
        data[f"score_{variable}"] = ("format", [3e-6, 1e-6, 2e-6, 1e-6], {"units": units})
        data[f"null_score_{variable}"] = ("null", [1e-6, 1.2e-6, 0.9e-6], {"units": units})
        data[f"threshold_{variable}"] = ((), 1.5e-6, {"units": units})
        data[f"passes_{variable}"] = ("format", np.array([0, 1, 0, 1], np.int8))
    return xr.Dataset(data, coords={"format": names}, attrs={"model": "speedy"})


def test_the_distance_figure_lays_many_variables_out_in_rows(tmp_path):
    import matplotlib.image

    variables = {f"var{k}": "K" for k in range(5)} | {"precipitation": "kg m-2 s-1"}
    path = tmp_path / "w1.png"
    plot_distances(_analysis(variables), path)
    height, width = matplotlib.image.imread(path).shape[:2]
    assert width > height  # 4 columns by 2 rows, not 6 panels in one row (6:1)
    assert width < 3 * height


@pytest.mark.parametrize("score,null", [(np.inf, np.inf), (0.0, 0.0)])
def test_the_distance_figure_is_drawn_when_every_run_blew_up_or_every_w1_is_zero(
        tmp_path, score, null):
    """A study whose float64 ensembles blew up too (a model too coarse for its time step)
    has no finite null threshold: the panel says so instead of a log axis failing."""
    analysis = _analysis({"x": "K", "y": "K"})
    analysis["score_x"][:] = score
    analysis["null_score_x"][:] = null
    analysis["threshold_x"] = ((), np.nan if np.isinf(null) else 0.0, {"units": "K"})
    path = tmp_path / "w1.png"
    plot_distances(analysis, path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def _judged(model, pvalues, passes):
    names = [f"e11m{b}" for b in (23, 16, 10)]
    return xr.Dataset({
        "significand_bits": ("format", [23, 16, 10]),
        "rounding": ("format", ["nearest"] * 3),
        "passes_x": ("format", np.array(passes, np.int8)),
        "pvalue_x": ("format", np.array(pvalues)),
    }, coords={"format": names}, attrs={"model": model})


def test_the_holm_verdict_corrects_over_the_whole_table():
    from pipeline.analysis.summary import minimal_bits_rows

    # Two models, three formats each: six hypotheses. Holm at 0.05: 0.001 <= 0.05/6 is
    # rejected, 0.02 > 0.05/5 is not, and everything after it stands.
    analyses = [_judged("a", [0.30, 0.02, 0.001], [1, 0, 0]),
                _judged("b", [0.50, 0.40, 0.03], [1, 1, 0])]
    holm = {r["model"]: r["min_significand_bits"]
            for r in minimal_bits_rows(analyses, "holm", 0.05) if r["rounding"] == "nearest"}
    fixed = {r["model"]: r["min_significand_bits"]
             for r in minimal_bits_rows(analyses) if r["rounding"] == "nearest"}
    assert holm == {"a": 16, "b": 10}
    assert fixed == {"a": 23, "b": 16}


def test_the_holm_verdict_needs_p_values():
    from pipeline.analysis.summary import minimal_bits_rows

    analysis = _judged("a", [0.3, 0.2, 0.1], [1, 1, 1]).drop_vars("pvalue_x")
    with pytest.raises(ValueError, match="needs null_ensembles >= 3"):
        minimal_bits_rows([analysis], "holm")


def test_summarise_takes_the_verdict_and_records_it(tmp_path):
    from pipeline.cli import main

    paths = []
    for model, pvalues, passes in (("a", [0.30, 0.02, 0.001], [1, 0, 0]),
                                   ("b", [0.50, 0.40, 0.03], [1, 1, 0])):
        path = tmp_path / f"{model}.nc"
        _judged(model, pvalues, passes).to_netcdf(path)
        paths.append(str(path))
    csv_path, nc_path = tmp_path / "bits.csv", tmp_path / "bits.nc"
    assert main(["summarise", *paths, "--csv", str(csv_path), "--netcdf", str(nc_path),
                 "--verdict", "holm", "--alpha", "0.05"]) == 0
    assert "a,x,nearest,16" in csv_path.read_text()
    with xr.open_dataset(nc_path) as table:
        assert table.attrs["verdict"] == "holm" and table.attrs["verdict_alpha"] == 0.05
    assert main(["summarise", *paths, "--csv", str(csv_path), "--netcdf", str(nc_path),
                 "--verdict", "holm", "--alpha", "1.5"]) == 2
