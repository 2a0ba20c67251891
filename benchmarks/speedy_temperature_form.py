"""The effect of the temperature prognostic's form in low precision: T held as T - T_ref(sigma)
(``anomaly``) or as T (``absolute``), each at a reduced format, against float64.

    python benchmarks/speedy_temperature_form.py --initial SPINUP.nc [--physics speedy]
        [--days 30] [--formats e11m10,e11m10-sr] [--truncation 21]

All runs start from the last snapshot of SPINUP.nc (a float64 spin-up of the same model), one
member, no perturbation. Printed per run: the global-mean temperature's departure from the
float64 run (mean over the run and at the end, K), and with physics=speedy the global-mean
precipitation over the run (mm/day). In float64 both forms are the same equations (equal to
round-off); in low precision, round-to-nearest drops any global-mean (l = 0) increment smaller
than half the spacing of that coefficient, which is ~400 K times sqrt(2) in absolute form.
"""

from __future__ import annotations

import argparse
import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402

from pipeline.models.base import parse_overrides  # noqa: E402
from pipeline.models.run import run_block  # noqa: E402
from pipeline.models.speedy import Speedy  # noqa: E402
from pipeline.precision import NumberFormat  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initial", required=True, help="a float64 spin-up file of this model")
    parser.add_argument("--physics", default="speedy")
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--formats", default="e11m10,e11m10-sr")
    parser.add_argument("--truncation", type=int, default=21)
    args = parser.parse_args()
    base = {"truncation": str(args.truncation), "physics": args.physics,
            "days": str(args.days), "output_interval_hours": "24", "perturbation": "0",
            "initial_file": args.initial, "output_levels": "all"}
    runs = {}
    for form in ("anomaly", "absolute"):
        config = parse_overrides(Speedy.Config, {**base, "temperature_prognostic": form}, "speedy")
        for name in ["float64", *args.formats.split(",")]:
            result = run_block(Speedy, config, NumberFormat.parse(name), 1, 0, 0, [0])
            runs[form, name] = result.fields
    reference = runs["anomaly", "float64"]["global_mean_temperature"][0]
    print(f"speedy T{args.truncation}, physics={args.physics}, {args.days:g} days from "
          f"{os.path.basename(args.initial)}; global-mean temperature minus float64 (anomaly form)")
    print(f"  {'form':9s} {'format':10s} {'mean dT':>9s} {'final dT':>9s} {'drift/day':>10s}"
          + ("  precipitation" if args.physics == "speedy" else ""))
    for (form, name), fields in runs.items():
        series = fields["global_mean_temperature"][0] - reference
        slope = np.polyfit(np.arange(series.size) + 1.0, series, 1)[0]
        line = (f"  {form:9s} {name:10s} {series.mean():9.4f} {series[-1]:9.4f} "
                f"{slope:10.5f}")
        if args.physics == "speedy":
            rain = fields["global_mean_precipitation"][0].mean() * 86400.0
            line += f"  {rain:6.3f} mm/day"
        print(line)


if __name__ == "__main__":
    main()
