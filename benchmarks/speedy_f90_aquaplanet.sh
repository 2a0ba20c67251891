#!/usr/bin/env bash
# The Fortran speedy.f90 on the APE aquaplanet (Qobs SST, no land, no sea ice, no orography):
# its TOA and surface energy budget with prescribed SST, as an independent reference for the
# SPEEDY-like model's aquaplanet (docs/speedy-physics.md, "The float64 aquaplanet climate":
# TOA net +15.6 W/m2, OLR 224 W/m2, surface net +14.1 W/m2, 2.79 mm/day).
#
#   bash benchmarks/speedy_f90_aquaplanet.sh [--march-only] [--realistic] [--check-days N]
#
# Needs the anchor (shared/anchors/speedy-f90, research-use licence: nothing of it is copied
# here) and its build (/tmp/speedy-f90-build/diag/speedy; built with its build.sh when
# missing). Steps, all outside the repository:
#   1. builds a third variant "toa" in $SPEEDY_AQUA_BUILD/toa: the anchor's source, its
#      diagnostics patch, then benchmarks/speedy_f90/toa-output.patch (output only: interval
#      means of tsr, fsol, ssr, slr, shf, hfluxn(:,:,2), cloudc);
#   2. writes the aquaplanet boundary files into $SPEEDY_AQUA_BUILD/bc-aquaplanet-*
#      (benchmarks/speedy_f90/aquaplanet_boundaries.py: lsm = 0, orog = 0, SST = Qobs plus a
#      fixed 0.01 K white noise ($SST_NOISE, seed $SEED) for all 12 months, icec = 0;
#      land/snow/soil unchanged). The noise is needed: from its zonally symmetric rest state
#      on exactly zonal boundaries speedy.f90 stays zonally symmetric to the last bit (no
#      eddies: SST_NOISE=0 gives that axisymmetric climate);
#   3. checks on the aquaplanet that the toa variant is bit-identical to the diag binary in
#      u, v, t, q, phi, ps, precip, evap, olr, t0 over --check-days days (default 5; 0 skips);
#   4. runs the aquaplanet from rest at $START 00 UTC (default 1981-11-26: 100 days of
#      spin-up, as the SPEEDY-like model's figure) to 1982-10-09, daily output, and prints
#      the means over 1982-03-06 .. 04-05 and 1982-09-09 .. 10-09, the 30 days centred on
#      each equinox (speedy.f90 has a seasonal cycle of insolation and no perpetual-equinox
#      switch), and the mean of the two, which cancels the Earth-Sun distance factor
#      (+0.78 % in the March window, -0.69 % in the September one). --march-only stops on
#      1982-04-05 (130 days). START=1982-01-20 gives the March window after 45 days (too
#      short: the eddies and clouds are still settling). --realistic repeats the run on the
#      unchanged T30 files for context.
# Serial throughout (one model process at a time). Prints wall and CPU time and the load.
#
# Measured 2026-12-07 (gfortran 12.2 -O3, load 1.6-3.5 on 2 cores from another job; 317 days
# in 156-175 s, 13.6-15.2 ms/step CPU; the whole script ~3 min, ~6 min with --realistic).
# Mean of the two windows, Gaussian weights, W/m2 downward, mm/day:
#                       TOA net  tsr    OLR    sfc net  precip  cloud  (TOA net Mar / Sep)
#   aquaplanet, seed 1  +20.13  241.22 221.09  +18.76   2.582  0.689  (+21.49 / +18.77)
#   aquaplanet, seed 2  +19.86  240.98 221.12  +18.10   2.578  0.689  (+21.27 / +18.45)
#   SST_NOISE=0         +22.74  242.83 220.09  +22.07   2.397  0.666  (axisymmetric: no eddies)
#   realistic T30        +7.50  236.75 229.25   +8.92   2.588  0.597  (+9.97 / +5.03)
# speedy.f90 applies its del^2 "stratospheric" diffusion at every level; the SPEEDY-like
# model's default is ver41's top level (docs/speedy-f90-comparison.md). Like for like
# (T30, --set stratospheric_diffusion_levels=all, perpetual equinox, days 100-200) ours gave
# TOA net +21.4, OLR 221.2, surface net +20.4, 2.56 mm/day, cloud 0.69; with the default
# diffusion +15.5 (docs/speedy-physics.md).
#
# Environment: SPEEDY_ANCHOR (default ../shared/anchors/speedy-f90 next to the repository,
# else /work/shared/anchors/speedy-f90), SPEEDY_BC_DIR (the T30 files, default the anchor's
# ../../data/speedy-t30), SPEEDY_ANCHOR_BUILD (/tmp/speedy-f90-build), SPEEDY_AQUA_BUILD
# (/tmp/speedy-f90-aqua-build), SPEEDY_AQUA_RUNS (/tmp/speedy-f90-aqua-runs), START
# (YYYY-MM-DD, 1981-11-26; at most 1982-03-06), SST_NOISE (K, 0.01), SEED (1), OPT (-O3, as
# the anchor), PYTHON (the repository's .venv/bin/python by default: the boundary files take
# the project's own Qobs formula).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BOTH=1; REALISTIC=0; CHECK_DAYS=5
while [ $# -gt 0 ]; do
    case "$1" in
        --march-only) BOTH=0 ;;
        --both) BOTH=1 ;;
        --realistic) REALISTIC=1 ;;
        --check-days) CHECK_DAYS="${2:?--check-days N}"; shift ;;
        -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1' "${BASH_SOURCE[0]}"; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

ANCHOR="${SPEEDY_ANCHOR:-}"
if [ -z "$ANCHOR" ]; then
    for candidate in "$REPO/../shared/anchors/speedy-f90" /work/shared/anchors/speedy-f90; do
        [ -f "$candidate/build.sh" ] && { ANCHOR="$candidate"; break; }
    done
fi
[ -n "$ANCHOR" ] && [ -f "$ANCHOR/build.sh" ] || { echo "speedy.f90 anchor not found; set SPEEDY_ANCHOR" >&2; exit 1; }
ANCHOR="$(cd "$ANCHOR" && pwd)"
BC="$(cd "${SPEEDY_BC_DIR:-$ANCHOR/../../data/speedy-t30}" && pwd)"
ANCHOR_BUILD="${SPEEDY_ANCHOR_BUILD:-/tmp/speedy-f90-build}"
BUILD="${SPEEDY_AQUA_BUILD:-/tmp/speedy-f90-aqua-build}"
RUNS="${SPEEDY_AQUA_RUNS:-/tmp/speedy-f90-aqua-runs}"
START="${START:-1981-11-26}"
SST_NOISE="${SST_NOISE:-0.01}"
SEED="${SEED:-1}"
OPT="${OPT:--O3}"
PYTHON="${PYTHON:-$REPO/.venv/bin/python}"
"$PYTHON" -c "import netCDF4, numpy, pipeline" 2>/dev/null \
    || { echo "$PYTHON cannot import netCDF4, numpy and lowprec's pipeline: run 'make' first or set PYTHON" >&2; exit 1; }
STEPS_PER_DAY=36
WINDOWS=(--window march:1982-03-06:1982-04-05)
END=1982-04-05
if [ "$BOTH" = 1 ]; then WINDOWS+=(--window september:1982-09-09:1982-10-09); END=1982-10-09; fi
days_between() { echo $(( ($(date -u -d "$2 00:00 UTC" +%s) - $(date -u -d "$1 00:00 UTC" +%s)) / 86400 )); }
DAYS=$(days_between "$START" "$END")
[ "$(days_between "$START" 1982-03-06)" -ge 0 ] || { echo "START must be on or before 1982-03-06" >&2; exit 2; }

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "speedy.f90 aquaplanet reference: anchor $ANCHOR, boundaries $BC"
echo "machine: nproc $(nproc), load average $(load) at start"

# 1. The anchor's diag binary (for the bit-identity check) and the toa variant.
if [ ! -x "$ANCHOR_BUILD/diag/speedy" ] || [ ! -f "$ANCHOR_BUILD/bc/sea_surface_temperature_anomaly.nc" ]; then
    SPEEDY_BUILD_DIR="$ANCHOR_BUILD" OPT="$OPT" bash "$ANCHOR/build.sh" >&2
fi
DIR="$BUILD/toa"
rm -rf "$DIR"
mkdir -p "$DIR" "$BUILD/bc"
cp "$ANCHOR"/source/source/*.f90 "$ANCHOR"/source/source/gfortran.makefile "$DIR"/
patch -s -p1 -d "$DIR" < "$ANCHOR/patches/diagnostics-output.patch"
patch -s -p1 -d "$DIR" < "$HERE/speedy_f90/toa-output.patch"
echo "compiling the toa variant (gfortran $OPT) in $DIR"
if ! make -s -C "$DIR" -f gfortran.makefile OPT="$OPT" INC="$(nf-config --fflags)" \
        LIB="$(nf-config --flibs)" > "$DIR/build.log" 2>&1; then
    tail -40 "$DIR/build.log" >&2; echo "compilation failed; see $DIR/build.log" >&2; exit 1
fi
rm -f "$DIR"/*.o "$DIR"/*.mod
"$PYTHON" "$ANCHOR/make_anomaly.py" "$BUILD/bc/sea_surface_temperature_anomaly.nc" >/dev/null

# 2. Aquaplanet boundary files.
TAG="noise${SST_NOISE}-seed${SEED}"
AQUA_BC="$BUILD/bc-aquaplanet-$TAG"
"$PYTHON" "$HERE/speedy_f90/aquaplanet_boundaries.py" "$BC" "$AQUA_BC" --sst-noise "$SST_NOISE" \
    --seed "$SEED"

# run BIN BCDIR OUTDIR DAYS: from rest at $START 00 UTC, daily output, timed (after run.sh).
run() {
    local bin="$1" bcdir="$2" out="$3" days="$4"
    mkdir -p "$out"
    find "$out" -maxdepth 1 -type f -name '[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9].nc' -delete
    for f in surface.nc sea_surface_temperature.nc sea_ice.nc land.nc snow.nc soil.nc; do
        ln -sfn "$bcdir/$f" "$out/$f"
    done
    ln -sfn "$BUILD/bc/sea_surface_temperature_anomaly.nc" "$out/sea_surface_temperature_anomaly.nc"
    local sy sm sd ey em ed
    read -r sy sm sd < <(date -u -d "$START 00:00 UTC" '+%Y %-m %-d')
    read -r ey em ed < <(date -u -d "$START 00:00 UTC + $days days" '+%Y %-m %-d')
    cat > "$out/namelist.nml" <<EOF
&params
nsteps_out = $STEPS_PER_DAY
nstdia     = 1800
/
&date
start_datetime%year   = $sy
start_datetime%month  = $sm
start_datetime%day    = $sd
start_datetime%hour   = 0
start_datetime%minute = 0
end_datetime%year     = $ey
end_datetime%month    = $em
end_datetime%day      = $ed
end_datetime%hour     = 0
end_datetime%minute   = 0
/
EOF
    local load0 rc wall user sys written
    load0="$(load)"
    (
        cd "$out"
        TIMEFORMAT='%3R %3U %3S'
        { time "$bin" > speedy.log 2>&1; } 2> time.txt
    ) && rc=0 || rc=$?
    read -r wall user sys < "$out/time.txt"
    written=$(find "$out" -maxdepth 1 -type f -name '[0-9]*.nc' | wc -l)
    if [ "$rc" -ne 0 ] || [ "$written" -ne $((1 + days)) ]; then
        tail -20 "$out/speedy.log" >&2
        echo "speedy failed (exit $rc, $written of $((1 + days)) files); log $out/speedy.log" >&2
        exit 1
    fi
    awk -v w="$wall" -v u="$user" -v s="$sys" -v n=$((days * STEPS_PER_DAY)) -v d="$days" \
        -v out="$out" -v l0="$load0" -v l1="$(load)" -v bin="$bin" 'BEGIN {
        printf "run %s: %s, %d days (%d steps), wall %.1f s, CPU %.1f s (%.2f ms/step), load %s -> %s\n",
            out, bin, d, n, w, u + s, 1000 * (u + s) / n, l0, l1 }' | tee "$out/timing.txt"
}

# 3. Output only: the toa variant against the anchor's diag binary on the aquaplanet.
if [ "$CHECK_DAYS" -gt 0 ]; then
    run "$DIR/speedy" "$AQUA_BC" "$RUNS/check-toa" "$CHECK_DAYS"
    run "$ANCHOR_BUILD/diag/speedy" "$AQUA_BC" "$RUNS/check-diag" "$CHECK_DAYS"
    "$PYTHON" "$ANCHOR/analyse.py" "$RUNS/check-toa" --compare "$RUNS/check-diag" \
        || { echo "the toa variant is not bit-identical to diag" >&2; exit 1; }
fi

# 4. The aquaplanet (and, for context, the realistic boundaries), then the budgets.
run "$DIR/speedy" "$AQUA_BC" "$RUNS/aquaplanet-$TAG-${START}-${DAYS}d" "$DAYS"
if [ "$REALISTIC" = 1 ]; then
    run "$DIR/speedy" "$BC" "$RUNS/realistic-${START}-${DAYS}d" "$DAYS"
fi
echo
echo "=== aquaplanet (Qobs SST + $SST_NOISE K noise, seed $SEED; all sea, no ice), speedy.f90 T30 from rest on $START"
"$PYTHON" "$HERE/speedy_f90/aquaplanet_analyse.py" "$RUNS/aquaplanet-$TAG-${START}-${DAYS}d" "${WINDOWS[@]}" --series 15
if [ "$REALISTIC" = 1 ]; then
    echo
    echo "=== realistic T30 boundaries (land, ice, orography), same dates"
    "$PYTHON" "$HERE/speedy_f90/aquaplanet_analyse.py" "$RUNS/realistic-${START}-${DAYS}d" "${WINDOWS[@]}" --series 15
fi
echo
echo "machine: nproc $(nproc), load average $(load) at end"
