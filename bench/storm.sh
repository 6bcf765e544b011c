#!/usr/bin/env bash
# Connect storm and QoS 0 publish flood with many devices, three brokers side by side:
#   anonymous  plain mosquitto, allow_anonymous, no checks at all (the ceiling)
#   files      plain mosquitto with password_file (PBKDF2-SHA512, 101 iterations) + acl_file
#              (pattern ACL), the usual way to give devices their own credentials
#   sarang     mosquitto with the Sarang access and telemetry plugins and PostgreSQL
#
#   bench/storm.sh [DEVICES] [MESSAGES_PER_DEVICE] [ROUNDS]     (defaults 10000 100 2)
#
# PIN=1 puts the brokers on CPU 0 and PostgreSQL and the load tool on CPU 1, so each broker is
# measured on a core of its own instead of competing with its own load.
#
# Needs a build with tests (tools/test). All brokers log only warnings, so none pays for 10,000
# "New client connected" lines. Prints each run and the ratios for bench/RESULTS.md.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
source "$SARANG_ROOT/tools/lib/stack.sh"
source "$SARANG_ROOT/bench/plain_brokers.sh"
DEVICES=${1:-10000}
MESSAGES=${2:-100}
ROUNDS=${3:-2}
STORM=$SARANG_BUILD/bench/sarang-storm
ulimit -n "$(ulimit -Hn)" # as many descriptors as allowed: one per connection on each side
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((DEVICES + 100)) ]; then
    echo "open-file limit $(ulimit -n) is too low for $DEVICES connections" >&2
    exit 1
fi

STATE=$(mktemp -d /tmp/sarang-storm.XXXXXX)
PIDS=()
declare -A BROKER_PID
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    stack_stop "$STATE"
    rm -rf "$STATE"
}
trap cleanup EXIT

read -r PG_PORT HTTP_PORT ANON_PORT FILES_PORT SARANG_PORT < <(free_ports 5)
stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
echo "log.level = warning" >>"$STATE/sarang.conf"
pg_start "$STATE" "$PG_PORT"
sarangctl_in "$STATE" migrate >/dev/null
BROKER_CPUS=()
LOAD_CPUS=()
if [ "${PIN:-0}" = 1 ]; then
    BROKER_CPUS=(taskset -c 0)
    LOAD_CPUS=(taskset -c 1)
    # Backends fork from the postmaster and inherit its CPU.
    taskset -a -p -c 1 "$(head -n 1 "$STATE/pg/postmaster.pid")" >/dev/null
fi

echo "==> registering $DEVICES devices"
started=$(date +%s.%N)
sarangctl_in "$STATE" devices bulk-create --kind hydro-sensor --name-prefix pi- --from 1 \
    --to "$DEVICES" --csv "$STATE/sarang.csv" 2>/dev/null
echo "    sarangctl devices bulk-create: $(awk -v a="$started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
plain_broker_credentials

broker_conf anonymous "$ANON_PORT" "allow_anonymous true"
broker_conf files "$FILES_PORT" "allow_anonymous false" "password_file $STATE/passwd" \
    "acl_file $STATE/acl"
broker_conf sarang "$SARANG_PORT" "allow_anonymous false" \
    "plugin $SARANG_BUILD/plugins/access/sarang_access.so" "plugin_opt_config $STATE/sarang.conf" \
    "plugin $SARANG_BUILD/plugins/telemetry/sarang_telemetry.so" \
    "plugin_opt_config $STATE/sarang.conf" "plugin_opt_journal_dir $STATE/journal"
# The telemetry plugin's journal, as broker_start makes it (mosquitto drops root for its user).
mkdir -p "$STATE/journal"
chmod 700 "$STATE/journal"
[ "$(id -u)" -ne 0 ] || chown mosquitto "$STATE/journal"
chmod a+r "$STATE"/*.mosquitto.conf "$STATE/passwd" "$STATE/acl"
for name in anonymous files sarang; do
    port_var="${name^^}_PORT"
    [ "$name" = anonymous ] && port_var=ANON_PORT
    start_broker "$name" "${!port_var}"
done

run() { # name port credentials
    local line
    line=$("${LOAD_CPUS[@]}" "$STORM" --port "$2" --credentials "$3" --messages "$MESSAGES" --window "${WINDOW:-50}" \
        --broker-pid "${BROKER_PID[$1]}" | tr '\n' ' ')
    echo "$1: $line" | tee -a "$STATE/results"
}
# Each run ends with 10,000 DISCONNECTs that its broker (and for Sarang the presence writer
# and PostgreSQL) is still handling when the tool exits: let that settle before the next run,
# and rotate the order so no broker always follows the same one.
order=(anonymous files sarang)
for round in $(seq 1 "$ROUNDS"); do
    echo "==> round $round"
    for name in "${order[@]}"; do
        sleep 3
        case $name in
        anonymous) run anonymous "$ANON_PORT" "$STATE/sarang.creds" ;;
        files) run files "$FILES_PORT" "$STATE/plain.creds" ;;
        sarang) run sarang "$SARANG_PORT" "$STATE/sarang.creds" ;;
        esac
    done
    order=("${order[@]:1}" "${order[0]}")
done

median() { # name phase field
    grep "^$1:" "$STATE/results" | sed -n "s/.*$2:[^:]*$3=\([0-9.]*\).*/\1/p" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "==> medians over $ROUNDS rounds, $DEVICES devices, $MESSAGES QoS 0 messages each"
for name in anonymous files sarang; do
    echo "$name: connects $(median "$name" storm rate)/s (p99 $(median "$name" storm p99) ms, broker CPU $(median "$name" storm broker_cpu_us_per_connect) us each), publishes $(median "$name" flood rate)/s (broker CPU $(median "$name" flood broker_cpu_us_per_message) us each)"
done
echo "sarang / files:     connect rate $(ratio "$(median sarang storm rate)" "$(median files storm rate)"), publish rate $(ratio "$(median sarang flood rate)" "$(median files flood rate)")"
echo "broker CPU sarang / files:     per connect $(ratio "$(median sarang storm broker_cpu_us_per_connect)" "$(median files storm broker_cpu_us_per_connect)"), per message $(ratio "$(median sarang flood broker_cpu_us_per_message)" "$(median files flood broker_cpu_us_per_message)")"
echo "broker CPU sarang / anonymous: per connect $(ratio "$(median sarang storm broker_cpu_us_per_connect)" "$(median anonymous storm broker_cpu_us_per_connect)"), per message $(ratio "$(median sarang flood broker_cpu_us_per_message)" "$(median anonymous flood broker_cpu_us_per_message)")"
echo "sarang / anonymous: connect rate $(ratio "$(median sarang storm rate)" "$(median anonymous storm rate)"), publish rate $(ratio "$(median sarang flood rate)" "$(median anonymous flood rate)")"
grep -h "snapshot\|loaded" "$STATE/log/sarang.log" | tail -n 2 || true
