#!/usr/bin/env bash
# Runs one libFuzzer target: its in-repo corpus first (every file once: the seeds, and the inputs
# of crashes that were fixed, so they stay fixed), then SECONDS of fuzzing with a working corpus
# kept under WORK_DIR/<name>/ (it grows from run to run). Fails on any crash, leak, timeout
# (10 s per input) or out-of-memory; the input that did it is saved as WORK_DIR/<name>/crash-*.
# Prints the run's figures (runs, execs/s, corpus) on its last line.
# Usage: run_fuzzer.sh FUZZER NAME SECONDS WORK_DIR   (SARANG_FUZZ_DIR: the fuzz/ folder)
set -euo pipefail
fuzzer=$1 name=$2 seconds=$3 work=$4
fuzz_dir=${SARANG_FUZZ_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
seeds=$fuzz_dir/corpus/$name
corpus=$work/$name/corpus
mkdir -p "$corpus"
options=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -print_final_stats=1
         "-artifact_prefix=$work/$name/")
[ ! -f "$fuzz_dir/dict/$name.dict" ] || options+=("-dict=$fuzz_dir/dict/$name.dict")
log=$work/$name/last-run.log

# 1. Replay: every in-repo input once, with no fuzzing.
if compgen -G "$seeds/*" >/dev/null; then
    "$fuzzer" "${options[@]}" -runs=0 "$seeds" >"$log.replay" 2>&1 ||
        { tail -n 60 "$log.replay"; echo "fuzz.$name: an in-repo input fails"; exit 1; }
fi
# 2. Fuzz for the time given; new inputs go to the working corpus only.
status=0
"$fuzzer" "${options[@]}" -max_total_time="$seconds" "$corpus" "$seeds" >"$log" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
    tail -n 80 "$log"
    echo "fuzz.$name: FAILED (exit $status); the input is in $work/$name/"
    exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
units=$(find "$corpus" -type f | wc -l)
seeded=$(find "$seeds" -type f 2>/dev/null | wc -l)
echo "fuzz.$name: ${seconds} s, $runs runs, $speed exec/s, corpus $units found + $seeded in-repo"
