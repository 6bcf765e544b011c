#!/usr/bin/env bash
# The parcel photo pipeline (issue #8 item 7) against the seed's library, in one run:
#   sarang   sarang-photo-bench: http::render_photo(), the function PhotoStore::store() calls
#            on every upload (libvips through vips-cpp, the system's libvips)
#   sharp    bench/photo_sharp.mjs: the seed's pipeline with npm sharp (its bundled libvips)
#   sharp-plain  the same with optimiseCoding off (sharp's jpeg() optimises Huffman tables by
#            default, libvips' jpegsave does not): the encoders doing the same work
# Both decode the same 1600x1200 JPEG (EXIF orientation 6), write it upright at JPEG quality 85
# and a 300x300 cover-cropped thumbnail at quality 70, one image at a time on one core
# (VIPS_CONCURRENCY=1 / sharp.concurrency(1), operation cache off), ITERATIONS images a round,
# alternately for ROUNDS rounds (the order swaps every round), and report the medians.
#
#   bench/photo.sh [ITERATIONS] [ROUNDS]      (defaults 60 and 3)
#
# INPUT=FILE benchmarks another photo instead of the generated one. PIN=1 runs both on CPU 1.
# SHARP_VERSION (0.33.5) is installed with npm under $SARANG_BUILD/bench/photo-sharp the first
# time, never into the repository. Needs a build with tests (tools/test). Prints every round,
# the ratio of the medians, and a markdown row for bench/RESULTS.md.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
ITERATIONS=${1:-60}
ROUNDS=${2:-3}
SHARP_VERSION=${SHARP_VERSION:-0.33.5}
TOOL=$SARANG_BUILD/bench/sarang-photo-bench
SHARP_DIR=$SARANG_BUILD/bench/photo-sharp

[ -x "$TOOL" ] || { echo "no $TOOL: build first (tools/test)" >&2; exit 1; }
if [ ! -f "$SHARP_DIR/node_modules/sharp/package.json" ] ||
    [ "$(node -p "require('$SHARP_DIR/node_modules/sharp/package.json').version")" != "$SHARP_VERSION" ]; then
    echo "==> installing sharp@$SHARP_VERSION into $SHARP_DIR"
    mkdir -p "$SHARP_DIR"
    [ -f "$SHARP_DIR/package.json" ] || echo '{"name":"sarang-photo-sharp","private":true}' >"$SHARP_DIR/package.json"
    (cd "$SHARP_DIR" && npm install --no-audit --no-fund --loglevel=error "sharp@$SHARP_VERSION")
fi

STATE=$(mktemp -d /tmp/sarang-photo.XXXXXX)
trap 'rm -rf "$STATE"' EXIT
CPU=()
[ "${PIN:-0}" = 1 ] && CPU=(taskset -c 1)

INPUT=${INPUT:-}
if [ -z "$INPUT" ]; then
    INPUT=$STATE/photo-1600x1200.jpg
    "$TOOL" --make "$INPUT" --width 1600 --height 1200 --orientation 6
fi

export VIPS_CONCURRENCY=1 UV_THREADPOOL_SIZE=1
run_sarang() { "${CPU[@]}" "$TOOL" --input "$INPUT" --iterations "$ITERATIONS" --out "$STATE/sarang"; }
run_sharp() { # [--plain]
    SHARP_DIR=$SHARP_DIR "${CPU[@]}" node "$SARANG_ROOT/bench/photo_sharp.mjs" --input "$INPUT" \
        --iterations "$ITERATIONS" --out "$STATE/sharp" "$@"
}
run_sharp-plain() { run_sharp --plain; }
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

WHO=(sarang sharp sharp-plain)
declare -A RATES CPU_RATES LINE
LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
echo "==> load average before: $LOAD_BEFORE ($(nproc) CPUs)"
for round in $(seq 1 "$ROUNDS"); do
    shift_by=$(((round - 1) % ${#WHO[@]})) # each contender takes each place in turn
    for who in "${WHO[@]:shift_by}" "${WHO[@]:0:shift_by}"; do
        out=$("run_$who")
        line=$(grep "^$who: " <<<"$out")
        echo "round $round $(grep '^output: ' <<<"$out") $line"
        RATES[$who]+="$(field "$line" images_per_s) "
        CPU_RATES[$who]+="$(field "$line" images_per_cpu_s) "
        LINE[$who]=$line
    done
done
LOAD_AFTER=$(uptime | sed 's/.*load average: //')
echo "==> load average after: $LOAD_AFTER"

declare -A MEDIAN CPU_MEDIAN
for who in "${WHO[@]}"; do
    # shellcheck disable=SC2086 # the rates are space-separated numbers
    MEDIAN[$who]=$(median ${RATES[$who]})
    # shellcheck disable=SC2086
    CPU_MEDIAN[$who]=$(median ${CPU_RATES[$who]})
    echo "==> $who: median ${MEDIAN[$who]} images/s (rounds: ${RATES[$who]% }), ${CPU_MEDIAN[$who]} images per CPU second, photo $(field "${LINE[$who]}" photo_bytes) bytes, thumbnail $(field "${LINE[$who]}" thumb_bytes) bytes"
done
RATIO=$(ratio "${MEDIAN[sarang]}" "${MEDIAN[sharp]}")
PLAIN_RATIO=$(ratio "${MEDIAN[sarang]}" "${MEDIAN[sharp-plain]}")
echo "==> sarang / sharp: $RATIO (per CPU second $(ratio "${CPU_MEDIAN[sarang]}" "${CPU_MEDIAN[sharp]}")); sarang / sharp-plain: $PLAIN_RATIO (per CPU second $(ratio "${CPU_MEDIAN[sarang]}" "${CPU_MEDIAN[sharp-plain]}"))"
echo
bytes() { echo "$(field "${LINE[$1]}" photo_bytes) / $(field "${LINE[$1]}" thumb_bytes)"; }
echo "| run | load before / after | sarang images/s (rounds) | sharp images/s (rounds) | sharp-plain images/s (rounds) | sarang / sharp | sarang / sharp-plain | photo / thumb bytes: sarang; sharp; sharp-plain |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $(date -u '+%Y-%m-%d %H:%M'), ${ITERATIONS} x ${ROUNDS}$([ "${PIN:-0}" = 1 ] && echo ', PIN=1') | ${LOAD_BEFORE%%,*} / ${LOAD_AFTER%%,*} | **${MEDIAN[sarang]}** (${RATES[sarang]% }) | **${MEDIAN[sharp]}** (${RATES[sharp]% }) | ${MEDIAN[sharp-plain]} (${RATES[sharp-plain]% }) | **$RATIO** | $PLAIN_RATIO | $(bytes sarang); $(bytes sharp); $(bytes sharp-plain) |"
