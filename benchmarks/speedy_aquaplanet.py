"""The float64 climate of the SPEEDY-like aquaplanet: a validation table and figures.

    lowprec simulate speedy --format float64 --members 1 --seed 1 --out aqua.nc \\
        --set truncation=21 --set physics=speedy --set spinup_days=100 --set days=200 \\
        --set output_interval_hours=120 --set output_levels=all
    python benchmarks/speedy_aquaplanet.py aqua.nc [--figures docs/figures] [--label T21]

Prints the global means (precipitation, evaporation, OLR, TOA and surface net fluxes, cloud
cover), the ITCZ, jets and Hadley cells; with --figures writes zonal-mean precipitation and
evaporation, zonal wind and temperature with the mean meridional streamfunction, and a map of
the last window's precipitation (PNG).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import xarray as xr

from pipeline.models.speedy.climate import aquaplanet_climate, area_mean, hadley_cells, jets


def figures(climate, data, directory: Path, label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    lat, sigma = climate.latitude, climate.sigma
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.plot(lat, climate.precipitation, label="precipitation")
    ax.plot(lat, climate.convective_precipitation, "--", label="convective")
    ax.plot(lat, climate.evaporation, label="evaporation")
    ax.set(xlabel="latitude", ylabel="mm/day", xlim=(-90, 90),
           title=f"aquaplanet {label}, zonal means (P {climate.global_precipitation:.2f}, "
                 f"E {climate.global_evaporation:.2f} mm/day)")
    ax.legend(frameon=False)
    fig.tight_layout()
    fig.savefig(directory / f"aquaplanet_{label}_precipitation.png", dpi=120)
    plt.close(fig)

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    levels = np.arange(-20, 61, 5)
    shade = axes[0].contourf(lat, sigma, climate.zonal_wind, levels=levels, cmap="RdBu_r", extend="both")
    fig.colorbar(shade, ax=axes[0], label="u (m/s)")
    psi = climate.streamfunction / 1e10
    axes[0].contour(lat, sigma, psi, levels=[-8, -4, -2, -1, 1, 2, 4, 8], colors="k", linewidths=0.7)
    axes[0].set(title="zonal wind, streamfunction (1e10 kg/s)", xlabel="latitude", ylabel="sigma")
    shade = axes[1].contourf(lat, sigma, climate.temperature, levels=np.arange(180, 305, 5), cmap="viridis")
    fig.colorbar(shade, ax=axes[1], label="T (K)")
    axes[1].set(title="temperature", xlabel="latitude")
    axes[0].invert_yaxis()
    fig.tight_layout()
    fig.savefig(directory / f"aquaplanet_{label}_circulation.png", dpi=120)
    plt.close(fig)

    rain = data["precipitation"].isel(member=0, time=-1).values * 86400.0
    fig, ax = plt.subplots(figsize=(7, 3.2))
    shade = ax.pcolormesh(data["lon"].values, lat, rain, cmap="Blues", vmin=0, vmax=30)
    fig.colorbar(shade, ax=ax, label="mm/day")
    ax.set(title=f"precipitation, last output window ({label})", xlabel="longitude", ylabel="latitude")
    fig.tight_layout()
    fig.savefig(directory / f"aquaplanet_{label}_precipitation_map.png", dpi=120)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file")
    parser.add_argument("--figures", type=Path)
    parser.add_argument("--label", default="T21")
    args = parser.parse_args()
    with xr.open_dataset(args.file, decode_times=False) as data:
        climate = aquaplanet_climate(data)
        times = data["time"].values
        print(f"{args.file}: {data.sizes['member']} member(s), days {times[0]:g}-{times[-1]:g} "
              f"after {float(data.attrs.get('model_spinup_days', 0)):g} days of spin-up")
        convective = area_mean(climate.convective_precipitation, climate.latitude)
        print(f"  precipitation {climate.global_precipitation:.3f} mm/day, evaporation "
              f"{climate.global_evaporation:.3f} (P/E - 1 = "
              f"{climate.global_precipitation / climate.global_evaporation - 1:+.4f}), "
              f"convective {convective:.3f}")
        print(f"  OLR {climate.outgoing_longwave:.1f} W/m2, TOA net {climate.toa_net:+.1f}, surface "
              f"net {climate.surface_net:+.1f} (difference {climate.toa_net - climate.surface_net:+.1f}),"
              f" cloud cover {climate.cloud_cover:.2f}")
        rain, lat = climate.precipitation, climate.latitude
        print(f"  ITCZ: {rain.max():.1f} mm/day at {lat[rain.argmax()]:+.1f} deg; "
              "jets at sigma 0.2: " + ", ".join(f"{s:.1f} m/s at {l:+.1f}" for l, s in jets(climate)))
        south, north = hadley_cells(climate)
        print(f"  Hadley cells {south / 1e10:.1f} and {north / 1e10:+.1f} x 1e10 kg/s")
        if args.figures:
            figures(climate, data, args.figures, args.label)


if __name__ == "__main__":
    main()
