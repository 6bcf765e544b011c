#!/usr/bin/env bash
# Side-by-side load: Sarang (mosquitto + access and telemetry plugins + PostgreSQL) against plain
# mosquitto with password_file + acl_file, same machine, same clients, same messages.
#
#   bench/run.sh [CLIENTS] [MESSAGES_PER_CLIENT]      (defaults 200 and 100)
#
# Needs a build with tests (tools/test builds bench/ too). Prints the figures and ratios that go
# into bench/RESULTS.md.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
source "$SARANG_ROOT/tools/lib/stack.sh"
CLIENTS=${1:-200}
MESSAGES=${2:-100}
BENCH=$SARANG_BUILD/bench/sarang-bench

STATE=$(mktemp -d /tmp/sarang-bench.XXXXXX)
BASELINE_PID=
cleanup() {
    [ -z "$BASELINE_PID" ] || kill "$BASELINE_PID" 2>/dev/null || true
    stack_stop "$STATE"
    rm -rf "$STATE"
}
trap cleanup EXIT

read -r PG_PORT SARANG_PORT BASELINE_PORT HTTP_PORT < <(free_ports 4)
stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
sed -i 's/^log.level = .*//' "$STATE/sarang.conf"
echo "log.level = warning" >>"$STATE/sarang.conf"
pg_start "$STATE" "$PG_PORT"
sarangctl_in "$STATE" migrate >/dev/null
broker_start "$STATE" "$SARANG_PORT"

echo "==> registering $CLIENTS devices in both brokers"
mkdir -p "$STATE/baseline"
: >"$STATE/sarang.creds"
: >"$STATE/baseline.creds"
: >"$STATE/baseline/passwd"
for i in $(seq 1 "$CLIENTS"); do
    id="pi-$i"
    password=$(sarangctl_in "$STATE" devices create --json --kind hydro-sensor --name "$id" 2>/dev/null |
        sed -n 's/.*"password":"\([^"]*\)".*/\1/p')
    echo "$id $password" >>"$STATE/sarang.creds"
    password=$(openssl rand -hex 16)
    mosquitto_passwd -b "$STATE/baseline/passwd" "$id" "$password"
    echo "$id $password" >>"$STATE/baseline.creds"
done
cat >"$STATE/baseline/acl" <<'ACL'
pattern write hydro/%u/reading
pattern write hydro/%u/status
pattern read hydro/%u/config
ACL
cat >"$STATE/baseline/mosquitto.conf" <<CONF
per_listener_settings false
listener $BASELINE_PORT 127.0.0.1
allow_anonymous false
persistence false
log_dest none
password_file $STATE/baseline/passwd
acl_file $STATE/baseline/acl
CONF
chmod -R a+rX "$STATE/baseline"
mosquitto -c "$STATE/baseline/mosquitto.conf" &
BASELINE_PID=$!
wait_for_port "$BASELINE_PORT" 10 "baseline mosquitto"
sleep 1 # let the Sarang snapshot take in the last devices

readings() {
    as_postgres "$(pg_bindir)/psql" -h "$STATE/run" -p "$PG_PORT" -U postgres -d sarang -qAt \
        -c "SELECT count(*) FROM readings"
}

run() { # name port credentials subtopic
    echo "==> $1, $4: $("$BENCH" --port "$2" --credentials "$3" --messages "$MESSAGES" \
        --subtopic "$4" | tr '\n' ' ')" | tee -a "$STATE/results"
}
field() { # line-pattern phase field
    grep "$1" "$STATE/results" | sed -n "s/.*$2:[^:]*$3=\([0-9.]*\).*/\1/p" | head -n 1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# Broker path only: status messages pass the ACL but no plugin stores them.
run baseline "$BASELINE_PORT" "$STATE/baseline.creds" status
run sarang "$SARANG_PORT" "$STATE/sarang.creds" status
# Readings: Sarang also validates them and writes them to PostgreSQL.
run baseline "$BASELINE_PORT" "$STATE/baseline.creds" reading
before=$(readings)
started_at=$(date +%s.%N)
run sarang "$SARANG_PORT" "$STATE/sarang.creds" reading
acked_at=$(date +%s.%N)
accepted=$(field "sarang, reading" publish accepted)
expected=$((before + accepted * 2))
until [ "$(readings)" -ge "$expected" ]; do
    if (($(date +%s) - ${acked_at%.*} > 120)); then
        echo "only $(readings) of $expected rows after 120 s" >&2
        exit 1
    fi
    sleep 0.05
done
drained_at=$(date +%s.%N)
echo "==> ingest: $((accepted * 2)) rows in PostgreSQL $(ratio "$(awk -v a="$acked_at" -v b="$drained_at" 'BEGIN { print b - a }')" 1) s after the last PUBACK; $(awk -v r="$((accepted * 2))" -v a="$started_at" -v b="$drained_at" 'BEGIN { printf "%.0f", r / (b - a) }') rows/s end to end"

echo "==> sarang / baseline (mosquitto $(mosquitto -h | sed -n 's/.*version \([0-9.]*\).*/\1/p'), password_file + acl_file)"
for subtopic in status reading; do
    echo "$subtopic: connect rate $(ratio "$(field "sarang, $subtopic" connect rate)" "$(field "baseline, $subtopic" connect rate)")," \
        "connect p50 $(ratio "$(field "sarang, $subtopic" connect p50)" "$(field "baseline, $subtopic" connect p50)")," \
        "publish rate $(ratio "$(field "sarang, $subtopic" publish rate)" "$(field "baseline, $subtopic" publish rate)")," \
        "publish p50 $(ratio "$(field "sarang, $subtopic" publish p50)" "$(field "baseline, $subtopic" publish p50)")," \
        "p99 $(ratio "$(field "sarang, $subtopic" publish p99)" "$(field "baseline, $subtopic" publish p99)")"
done
