"""Side by side with speedy.f90: every physics scheme on the same grid-point columns.

    python benchmarks/compare_speedy_columns.py [--columns 400] [--seed 1]

Builds speedy.f90's objects from ../shared/anchors/speedy-f90/source (research-use code, read
there, never copied into lowprec) in /tmp, links them with benchmarks/speedy_f90/columns.f90
(lowprec's driver, which calls speedy.f90's public physics routines in the order of its
physics.f90), runs both on random soundings (tropical to polar, moist to dry, with
inversions and supersaturated layers) and prints, per quantity, the largest difference
relative to the largest magnitude across the columns, and the number of columns whose
discrete choices (cloud top, convection top) differ. Needs gfortran and netCDF-Fortran (the
anchor's build.sh installs them).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np

from pipeline.models.speedy.physics.clouds import clouds
from pipeline.models.speedy.physics.column import physics_constants
from pipeline.models.speedy.physics.convection import convection
from pipeline.models.speedy.physics.humidity import saturation_specific_humidity
from pipeline.models.speedy.physics.large_scale_condensation import large_scale_condensation
from pipeline.models.speedy.physics.levels import layer_mass
from pipeline.models.speedy.physics import longwave_radiation
from pipeline.models.speedy.physics.longwave_radiation import (longwave_downward,
                                                               longwave_transmissivity,
                                                               longwave_upward)
from pipeline.models.speedy.physics.shortwave_radiation import (shortwave_radiation,
                                                                solar_forcing, speedy_season)
from pipeline.models.speedy.physics.surface_fluxes import sea_surface_fluxes
from pipeline.models.speedy.physics.vertical_diffusion import vertical_diffusion
from pipeline.models.speedy.vertical import SPEEDY_HALF_LEVELS, SigmaLevels

HERE = Path(__file__).resolve().parent
ANCHOR = HERE.parents[1] / ".." / "shared" / "anchors" / "speedy-f90" / "source" / "source"
BUILD = Path(os.environ.get("SPEEDY_COLUMNS_BUILD", "/tmp/lowprec-speedy-columns"))
LEVELS = SigmaLevels(np.array(SPEEDY_HALF_LEVELS))
K = LEVELS.count
CP, R, G, LATENT = 1004.0, 287.0, 9.81, 2501.0
TYEAR = 0.2164  # 21 March: declination near zero


def anchor_sources() -> Path:
    for candidate in (ANCHOR, Path("/work/shared/anchors/speedy-f90/source/source")):
        if (candidate / "physics.f90").exists():
            return candidate.resolve()
    raise SystemExit("speedy.f90's sources are not where ../shared/anchors/speedy-f90 puts them.")


def build() -> Path:
    executable = BUILD / "columns"
    harness = HERE / "speedy_f90" / "columns.f90"
    if executable.exists() and executable.stat().st_mtime > harness.stat().st_mtime:
        return executable
    BUILD.mkdir(parents=True, exist_ok=True)
    for source in anchor_sources().glob("*.f90"):
        shutil.copy(source, BUILD)
    shutil.copy(anchor_sources() / "gfortran.makefile", BUILD)
    fflags = subprocess.run(["nf-config", "--fflags"], capture_output=True, text=True,
                            check=True).stdout.strip()
    flibs = subprocess.run(["nf-config", "--flibs"], capture_output=True, text=True,
                           check=True).stdout.strip()
    subprocess.run(["make", "-s", "-C", str(BUILD), "-f", "gfortran.makefile", "OPT=-O2",
                    f"INC={fflags}", f"LIB={flibs}"], check=True, capture_output=True)
    objects = [str(o) for o in sorted(BUILD.glob("*.o")) if o.name != "speedy.o"]
    subprocess.run(["gfortran", "-O2", "-fconvert=swap", "-I", str(BUILD), *fflags.split(),
                    str(harness), *objects, "-o", str(executable), *flibs.split()],
                   check=True, cwd=BUILD)
    return executable


def soundings(count: int, rng) -> dict:
    """Random columns: surface temperature 250-305 K, lapse rate 3-8 K/km with a tropopause,
    relative humidity profiles from 5 % to 100 % (some layers supersaturated), a boundary
    layer inversion in a quarter of them, winds up to 20 m/s, SST within 3 K of the air."""
    surface = rng.uniform(250.0, 305.0, count)
    lapse = rng.uniform(0.003, 0.008, count)
    temperature = surface[:, None] * LEVELS.full[None, :] ** (R * lapse[:, None] / G)
    temperature = np.maximum(temperature, rng.uniform(195.0, 215.0, count)[:, None])
    inversion = rng.random(count) < 0.25
    temperature[inversion, -1] -= rng.uniform(2.0, 8.0, inversion.sum())
    rh = np.clip(rng.uniform(0.05, 1.0, (count, K)) * 0.6
                 + np.linspace(0.0, 0.4, K)[None, :], 0.02, 1.0)
    rh[:, -1] = rng.uniform(0.6, 1.0, count)
    supersaturated = rng.random((count, K)) < 0.08
    rh[supersaturated] = rng.uniform(1.0, 1.2, supersaturated.sum())
    ps = rng.uniform(0.85, 1.03, count)
    q = rh * saturation_specific_humidity(
        physics_constants(LEVELS).saturation, temperature, LEVELS.full[None, :] * ps[:, None])
    phi = R * temperature @ LEVELS.hydrostatic.T
    return {"ps": ps, "sst": temperature[:, -1] + rng.uniform(-3.0, 3.0, count),
            "t": temperature, "q": q, "u": rng.normal(0.0, 10.0, (count, K)),
            "v": rng.normal(0.0, 6.0, (count, K)), "phi": phi}


def run_fortran(executable, columns) -> dict:
    n = columns["ps"].size
    lines = [f"{TYEAR} {n}"]
    for c in range(n):
        values = [columns["ps"][c], columns["sst"][c], *columns["t"][c], *columns["q"][c],
                  *columns["u"][c], *columns["v"][c], *columns["phi"][c]]
        lines.append(" ".join(f"{x:.17e}" for x in values))
    result = subprocess.run([str(executable)], input="\n".join(lines) + "\n", text=True,
                            capture_output=True, check=True, cwd=BUILD)
    table = np.array([[float(x) for x in line.split()] for line in result.stdout.splitlines()
                      if line.strip()])
    names = [("mu", 1), ("iptop", 1), ("cbmf", 1), ("precnv", 1), ("precls", 1), ("dfse", K),
             ("dfqa", K), ("dtlsc", K), ("dqlsc", K), ("icltop", 1), ("cloudc", 1),
             ("clstr", 1), ("ssrd", 1), ("ssr", 1), ("tsr", 1), ("tt_rsw", K), ("slrd", 1),
             ("olr", 1), ("slr", 1), ("tt_rlw", K), ("ustr", 1), ("vstr", 1), ("shf", 1),
             ("evap", 1), ("slru", 1), ("t0", 1), ("tt_vdf", K), ("qt_vdf", K), ("icnv", 1)]
    out, start = {}, 0
    for name, width in names:
        out[name] = table[:, start:start + width] if width > 1 else table[:, start]
        start += width
    return out


def run_python(columns, mu) -> dict:
    """The same order as the harness, calling lowprec's schemes one by one."""
    c = physics_constants(LEVELS)
    col = lambda x: x[:, :, None, None]  # noqa: E731
    flat = lambda x: x[:, None, None]  # noqa: E731
    t, q, u, v = (col(columns[k]) for k in ("t", "q", "u", "v"))
    phi = col(columns["phi"]) / CP
    ps, sst = flat(columns["ps"]), flat(columns["sst"])
    q = np.maximum(q, 0.0)
    s = t + phi
    qs = saturation_specific_humidity(c.saturation, t, LEVELS.full[None, :, None, None] * ps[:, None])
    rh = q / qs
    deep = convection(c.convection, ps, s, q, qs)
    lsc = large_scale_condensation(c.condensation, ps, q, qs, deep.cloud_top)
    cloud = clouds(c.clouds, q, rh, s, phi, deep.precipitation + lsc.precipitation, lsc.cloud_top)
    solar = solar_forcing(mu, **speedy_season(TYEAR))
    field = lambda x: x[:, None, None]  # noqa: E731
    sw = shortwave_radiation(c.shortwave, ps, q, cloud.cover, cloud.top, cloud.stratiform,
                             cloud.cloud_humidity, field(solar.insolation),
                             field(solar.ozone_lower), field(solar.ozone_upper),
                             field(solar.zenith_factor), 0.07)
    tau = longwave_transmissivity(c.longwave, ps, q, cloud.cover, cloud.top)
    down = longwave_downward(c.longwave, t, tau)
    surface = sea_surface_fluxes(c.surface, c.saturation, ps, u, v, t, q, phi, sst)
    lw = longwave_upward(c.longwave, t, tau, down, sst, surface.emission, ps,
                         field(solar.polar_night_cooling))
    vdf = vertical_diffusion(c.diffusion, ps, s, rh, q, qs, phi, deep.cloud_top < K)
    per_second = 1.0 / (layer_mass(LEVELS)[None, :] * columns["ps"][:, None])
    squeeze = lambda x: np.asarray(x)[..., 0, 0]  # noqa: E731
    return {
        "iptop": squeeze(lsc.cloud_top), "cbmf": squeeze(deep.base_mass_flux),
        "precnv": squeeze(deep.precipitation), "precls": squeeze(lsc.precipitation),
        "dfse": CP * squeeze(deep.energy), "dfqa": squeeze(deep.water),
        "dtlsc": squeeze(lsc.energy) * per_second, "dqlsc": squeeze(lsc.water) * per_second,
        "icltop": squeeze(cloud.top), "cloudc": squeeze(cloud.cover),
        "clstr": squeeze(cloud.stratiform), "ssrd": squeeze(sw.surface_downward),
        "ssr": squeeze(sw.surface_net), "tsr": squeeze(sw.top_net), "tt_rsw": squeeze(sw.absorbed),
        "slrd": squeeze(down.surface_downward), "olr": squeeze(lw.outgoing),
        "slr": squeeze(lw.surface_net_upward), "tt_rlw": squeeze(lw.absorbed),
        "ustr": squeeze(surface.u_stress), "vstr": squeeze(surface.v_stress),
        "shf": CP * squeeze(surface.sensible), "evap": squeeze(surface.evaporation),
        "slru": squeeze(surface.emission), "t0": squeeze(surface.near_surface_temperature),
        "tt_vdf": squeeze(vdf.energy) * per_second, "qt_vdf": squeeze(vdf.water) * per_second,
    }


DISCRETE = ("iptop", "icltop")
# SPEEDY counts levels from 1, lowprec from 0; "none" is K + 1 there and K here.
OFFSET = {"iptop": 1, "icltop": 1}
# Quantities whose columns depend on a discrete choice that may differ (skip those columns).
DEPENDS = {"cloudc": "icltop", "clstr": "icltop", "ssrd": "icltop", "ssr": "icltop",
           "tsr": "icltop", "tt_rsw": "icltop", "slrd": "icltop", "olr": "icltop",
           "slr": "icltop", "tt_rlw": "icltop"}


# What depends on the large-scale precipitation (through the clouds).
AFTER_CONDENSATION = ("precls", "dqlsc", *DEPENDS)


def compare(fortran: dict, python: dict) -> list[tuple[str, float, int]]:
    rows = []
    same = {name: (fortran[name] - OFFSET[name]).astype(int) == python[name].astype(int)
            for name in DISCRETE}
    # speedy.f90 caps the heating of large-scale condensation, lowprec the condensation
    # (see large_scale_condensation): compare the drying where the cap does not bind.
    uncapped = np.all(np.abs(fortran["dtlsc"] + LATENT / CP * fortran["dqlsc"])
                      <= 1e-9 * np.abs(fortran["dtlsc"]).max(), axis=1)
    for name in DISCRETE:
        rows.append((name, float("nan"), int((~same[name]).sum())))
    for name, mine in python.items():
        if name in DISCRETE:
            continue
        theirs = np.asarray(fortran[name])
        keep = same["iptop"] & (same[DEPENDS[name]] if name in DEPENDS else True)
        if name in AFTER_CONDENSATION:
            keep = keep & uncapped
        if name in ("tsr", "tt_rsw"):
            # With the cloud top in layer 1 (condensation near sigma = 0.1), speedy.f90 adds
            # the cloud albedo itself, 0.43 CC (not times a flux), to the upward beam there.
            keep = keep & (python["icltop"] != 1)
        scale = np.abs(theirs[keep]).max()
        difference = np.abs(np.asarray(mine)[keep] - theirs[keep]).max()
        rows.append((name, difference / scale if scale > 0 else difference, int((~keep).sum())))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--columns", type=int, default=400)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    executable = build()
    columns = soundings(args.columns, np.random.default_rng(args.seed))
    fortran = run_fortran(executable, columns)
    python = run_python(columns, fortran["mu"])
    # The one deliberate difference in the longwave: SPEEDY's band fractions at whole kelvins.
    continuous = longwave_radiation.band_fractions
    longwave_radiation.band_fractions = lambda c, t: continuous(c, np.rint(t))
    tabulated = run_python(columns, fortran["mu"])
    longwave_radiation.band_fractions = continuous
    print(f"{args.columns} columns (seed {args.seed}), tyear = {TYEAR}; largest difference "
          "relative to the largest |value| of speedy.f90, over the columns whose convection "
          "and cloud tops agree")
    convective = int((fortran["precnv"] > 0).sum())
    print(f"  ({convective} columns convect, {int((fortran['precls'] > 0).sum())} condense)")
    print("  (precls, dqlsc, clouds and radiation: where speedy.f90's heating cap does not bind; tsr, tt_rsw: where "
          "the cloud top is not in layer 1;\n   *: with the band fractions at whole kelvins, "
          "as speedy.f90 tabulates them)")
    with_table = {name: relative for name, relative, _ in compare(fortran, tabulated)}
    for name, relative, skipped in compare(fortran, python):
        text = "differs in" if np.isnan(relative) else f"{relative:9.2e}   skipped"
        extra = (f"   * {with_table[name]:9.2e}" if name in ("slrd", "olr", "slr", "tt_rlw")
                 else "")
        print(f"  {name:8s} {text} {skipped} columns{extra}")


if __name__ == "__main__":
    main()
