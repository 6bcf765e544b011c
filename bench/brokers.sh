#!/usr/bin/env bash
# Broker CPU per QoS 1 reading, four brokers side by side in one run (issue #20 item 3):
#   anonymous  plain mosquitto, allow_anonymous, no checks at all (the floor)
#   files      plain mosquitto with password_file (PBKDF2-SHA512) + acl_file (pattern ACL)
#   dynsec     plain mosquitto with its dynamic-security plugin: one client and one role with
#              the client's own publish ACL per device, created through the $CONTROL API
#   sarang     mosquitto with all six Sarang plugins (broker-config/mosquitto.dev.conf.in) and
#              PostgreSQL: every acknowledged reading journaled, then landed (checked)
# The same DEVICES connections publish QoS 1 {"ph":..,"tds":..,"ts":..} on their own topic
# hydro/<id>/reading at the same offered rate to each broker (sarang-ingest, WINDOW in flight per
# connection). Per broker: acked msgs/s, and the broker process's CPU (utime + stime of every
# thread, /proc/PID/stat) from before the load until the run is over divided by the acked
# messages; for Sarang "over" is once every acknowledged reading is in PostgreSQL, so the
# telemetry writer's landing is counted too. The broker thread alone (/proc/PID/task/PID/stat)
# is printed beside it.
#
#   bench/brokers.sh [DEVICES] [SECONDS] [RATE]      (defaults 100, 20 and 15000 messages/s;
#                                                    RATE 0: as fast as each broker acknowledges)
#
# BEFORE=BUILD_DIR adds a fifth broker, "before": Sarang with the plugins of that build (say, of
# the commit before a change) beside this build's, on the same PostgreSQL and devices, with its
# own journal and node name, so a change is measured against its baseline in the same run.
# ROUNDS=N repeats the four runs N times (the order rotates) and reports medians. PIN=1 puts the
# brokers on CPU 0 and PostgreSQL and the load tool on CPU 1. PERF=DIR records each broker's
# run with `perf record -g` into DIR/NAME.perf (for `perf report -i`; root or
# perf_event_paranoid <= 1); perf's own overhead then counts in the CPU figures.
# ONLY="sarang dynsec" runs just those (a ratio without both prints 0.00). Needs a build with
# tests (tools/test). Prints every run, the table and the ratios for bench/RESULTS.md.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
source "$SARANG_ROOT/tools/lib/stack.sh"
source "$SARANG_ROOT/bench/plain_brokers.sh"
DEVICES=${1:-100}
DURATION=${2:-20}
RATE=${3:-15000}
ROUNDS=${ROUNDS:-1}
WINDOW=${WINDOW:-32}
INGEST=$SARANG_BUILD/bench/sarang-ingest
DYNSEC_SO=${DYNSEC_SO:-$(ls /usr/lib/*/mosquitto_dynamic_security.so 2>/dev/null | head -n 1)}
[ -n "$DYNSEC_SO" ] || { echo "mosquitto_dynamic_security.so not found (set DYNSEC_SO)" >&2; exit 1; }
TICKS=$(getconf CLK_TCK)

STATE=$(mktemp -d /tmp/sarang-brokers.XXXXXX)
PIDS=()
declare -A BROKER_PID
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    [ -z "${BEFORE_STATE:-}" ] || stop_pidfile "$BEFORE_STATE/run/mosquitto.pid"
    stack_stop "$STATE"
    rm -rf "$STATE"
}
trap cleanup EXIT

BROKER_CPUS=()
LOAD_CPUS=()
[ "${PIN:-0}" != 1 ] || { BROKER_CPUS=(taskset -c 0); LOAD_CPUS=(taskset -c 1); }

read -r PG_PORT HTTP_PORT ANON_PORT FILES_PORT DYNSEC_PORT SARANG_PORT BEFORE_PORT < <(free_ports 7)
stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
echo "log.level = warning" >>"$STATE/sarang.conf"
pg_start "$STATE" "$PG_PORT"
# Backends fork from the postmaster and inherit its CPU.
[ "${PIN:-0}" != 1 ] || taskset -a -p -c 1 "$(head -n 1 "$STATE/pg/postmaster.pid")" >/dev/null
sarangctl_in "$STATE" migrate >/dev/null
DSN=$(conf_value "$STATE" db.dsn)

echo "==> registering $DEVICES devices"
sarangctl_in "$STATE" devices bulk-create --kind hydro-sensor --name-prefix pi- --from 1 \
    --to "$DEVICES" --csv "$STATE/sarang.csv" >/dev/null 2>&1
plain_broker_credentials

broker_conf anonymous "$ANON_PORT" "allow_anonymous true"
broker_conf files "$FILES_PORT" "allow_anonymous false" "password_file $STATE/passwd" \
    "acl_file $STATE/acl"
# The plugin writes its file back on every change: it must be the mosquitto user's.
# The plugin writes its file back (a new file, renamed) on every change: the folder must be the
# mosquitto user's.
mkdir -p "$STATE/dynsec"
mosquitto_ctrl dynsec init "$STATE/dynsec/dynsec.json" bench-admin bench-admin-pw >/dev/null
[ "$(id -u)" -ne 0 ] || chown -R mosquitto "$STATE/dynsec"
broker_conf dynsec "$DYNSEC_PORT" "allow_anonymous false" "plugin $DYNSEC_SO" \
    "plugin_opt_config_file $STATE/dynsec/dynsec.json"
chmod a+r "$STATE"/*.mosquitto.conf "$STATE/passwd" "$STATE/acl"

for name in anonymous files dynsec; do
    port_var="${name^^}_PORT"
    [ "$name" = anonymous ] && port_var=ANON_PORT
    start_broker "$name" "${!port_var}"
done

echo "==> dynsec: $DEVICES clients, each with a role allowing its own topics, via \$CONTROL"
# One request with every command; the plugin answers with one response listing them all.
{
    printf '{"commands":['
    awk '{
        if (NR > 1) printf ","
        printf "{\"command\":\"createRole\",\"rolename\":\"r-%s\",\"acls\":[", $1
        printf "{\"acltype\":\"publishClientSend\",\"topic\":\"hydro/%s/reading\",\"allow\":true},", $1
        printf "{\"acltype\":\"publishClientSend\",\"topic\":\"hydro/%s/status\",\"allow\":true},", $1
        printf "{\"acltype\":\"subscribePattern\",\"topic\":\"hydro/%s/config\",\"allow\":true}]},", $1
        printf "{\"command\":\"createClient\",\"username\":\"%s\",\"password\":\"%s\",", $1, $2
        printf "\"roles\":[{\"rolename\":\"r-%s\"}]}", $1
    }' "$STATE/plain.creds"
    printf ']}'
} >"$STATE/dynsec.request"
mosquitto_rr -p "$DYNSEC_PORT" -h 127.0.0.1 -u bench-admin -P bench-admin-pw -W 30 \
    -t '$CONTROL/dynamic-security/v1' -e '$CONTROL/dynamic-security/v1/response' \
    -m "$(cat "$STATE/dynsec.request")" >"$STATE/dynsec.response" # -f sends it mangled (2.0.11)
if grep -q '"error"' "$STATE/dynsec.response"; then
    echo "dynsec refused some commands:" >&2
    head -c 600 "$STATE/dynsec.response" >&2
    exit 1
fi

broker_start "$STATE" "$SARANG_PORT"
BROKER_PID[sarang]=$(cat "$STATE/run/mosquitto.pid")
[ "${PIN:-0}" != 1 ] || taskset -a -p -c 0 "${BROKER_PID[sarang]}" >/dev/null
# Every plugin's init has returned once the listener is open (access waits there for the
# device list), so the devices can connect now.

if [ -n "${BEFORE:-}" ]; then
    BEFORE_STATE=$STATE/before
    mkdir -p "$BEFORE_STATE/log" "$BEFORE_STATE/run"
    chmod 755 "$BEFORE_STATE"
    [ "$(id -u)" -ne 0 ] || { chgrp mosquitto "$BEFORE_STATE/log"; chmod 775 "$BEFORE_STATE/log"; }
    cp -p "$STATE/sarang.conf" "$BEFORE_STATE/sarang.conf"
    echo "broker.node_name = bench-before" >>"$BEFORE_STATE/sarang.conf"
    SARANG_PLUGIN_BUILD=$BEFORE broker_start "$BEFORE_STATE" "$BEFORE_PORT"
    BROKER_PID[before]=$(cat "$BEFORE_STATE/run/mosquitto.pid")
    [ "${PIN:-0}" != 1 ] || taskset -a -p -c 0 "${BROKER_PID[before]}" >/dev/null
fi

cpu_ticks() { awk '{ print $14 + $15 }' "$1"; } # /proc stat file: utime + stime in ticks
# Every thread of PID as "name ticks" lines, threads of one name summed (comm is field 2; the
# fields after it count from its closing parenthesis, since a name may hold spaces).
thread_ticks() {
    local stat
    for stat in /proc/"$1"/task/*/stat; do
        sed -n 's/^[0-9]* (\(.*\)) \(.*\)$/\1\t\2/p' "$stat" 2>/dev/null
    done | awk -F'\t' '{ split($2, f, " "); gsub(/ /, "_", $1); t[$1] += f[12] + f[13] }
                       END { for (n in t) print n, t[n] }' | sort
}
# "name=us_per_message ..." from two thread_ticks snapshots, the busiest first.
thread_breakdown() { # before after acked
    join -a 2 -e 0 -o 0,1.2,2.2 "$1" "$2" | awk -v a="$3" -v hz="$TICKS" \
        '{ d = $3 - $2; if (d > 0) printf "%s %s=%.2f\n", d, $1, d * 1e6 / hz / a }' |
        sort -rn | cut -d' ' -f2 | tr '\n' ' '
}
TS=$(($(date +%s) * 1000 - 3 * 24 * 3600 * 1000)) # each run starts where the previous ended
run() {                                            # name port credentials [ingest args...]
    local name=$1 port=$2 creds=$3 pid out before thread_before after thread_after load
    shift 3
    pid=${BROKER_PID[$name]}
    load=$(cut -d' ' -f1 /proc/loadavg)
    local perf_pid=
    if [ -n "${PERF:-}" ]; then
        mkdir -p "$PERF"
        perf record -q -g -F 1999 -p "$pid" -o "$PERF/$name.perf" 2>>"$STATE/log/perf.log" &
        perf_pid=$!
        sleep 0.5
    fi
    before=$(cpu_ticks "/proc/$pid/stat")
    thread_before=$(cpu_ticks "/proc/$pid/task/$pid/stat")
    thread_ticks "$pid" >"$STATE/threads.before"
    out=$("${LOAD_CPUS[@]}" "$INGEST" --port "$port" --credentials "$creds" --seconds "$DURATION" \
        --rate "$RATE" --window "$WINDOW" --ts-start "$TS" "$@" | tr '\n' ' ') || true
    after=$(cpu_ticks "/proc/$pid/stat")
    thread_after=$(cpu_ticks "/proc/$pid/task/$pid/stat")
    thread_ticks "$pid" >"$STATE/threads.after"
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
    fi
    TS=$(sed -n 's/.*ts: start=[0-9]* next=\([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$TS" ] || { echo "$name: the load tool failed: $out" >&2; exit 1; }
    local acked
    acked=$(sed -n 's/.*ingest: .* acked=\([0-9]*\).*/\1/p' <<<"$out")
    echo "$name: $out cpu: load1=$load process_us_per_message=$(awk -v t="$((after - before))" \
        -v a="$acked" -v hz="$TICKS" 'BEGIN { printf "%.2f", t * 1e6 / hz / a }') \
broker_thread_us_per_message=$(awk -v t="$((thread_after - thread_before))" -v a="$acked" \
        -v hz="$TICKS" 'BEGIN { printf "%.2f", t * 1e6 / hz / a }') threads: \
$(thread_breakdown "$STATE/threads.before" "$STATE/threads.after" "$acked")" | tee -a "$STATE/results"
}

read -ra BROKERS <<<"${ONLY:-anonymous files dynsec sarang${BEFORE:+ before}}"
order=("${BROKERS[@]}")
for round in $(seq 1 "$ROUNDS"); do
    echo "==> round $round: $DEVICES devices, $DURATION s, QoS 1, window $WINDOW, offered ${RATE/#0/as fast as acknowledged} msgs/s"
    for name in "${order[@]}"; do
        sleep 2 # let the previous broker's last PUBACKs and DISCONNECTs settle
        case $name in
        anonymous) run anonymous "$ANON_PORT" "$STATE/plain.creds" ;;
        files) run files "$FILES_PORT" "$STATE/plain.creds" ;;
        dynsec) run dynsec "$DYNSEC_PORT" "$STATE/plain.creds" ;;
        sarang) run sarang "$SARANG_PORT" "$STATE/sarang.creds" --dsn "$DSN" --quiet 30 ;;
        before) run before "$BEFORE_PORT" "$STATE/sarang.creds" --dsn "$DSN" --quiet 30 ;;
        esac
    done
    order=("${order[@]:1}" "${order[0]}")
done

median() { # name phase field
    grep "^$1:" "$STATE/results" | sed -n "s/.* $2: [^:]*\b$3=\([0-9.]*\).*/\1/p" | sort -n |
        awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
total() { grep "^$1:" "$STATE/results" | sed -n "s/.* $2: [^:]*\b$3=\([0-9.]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
cpu() { median "$1" cpu process_us_per_message; }
thread() { median "$1" cpu broker_thread_us_per_message; }
echo
echo "==> medians over $ROUNDS round(s); load average $(cut -d' ' -f1-3 /proc/loadavg)"
lost_rows=0
echo "| broker | acked msgs/s | broker CPU per message (process) | broker thread only | load1 | stores the data |"
echo "|---|---|---|---|---|---|"
for name in "${BROKERS[@]}"; do
    stores=no
    if [ "$name" = sarang ] || [ "$name" = before ]; then
        stores="yes: $(total "$name" landed rows) of $(total "$name" landed expected) rows, $(total "$name" landed lost) lost"
        lost_rows=$((lost_rows + $(total "$name" landed lost)))
    fi
    echo "| $name | $(median "$name" ingest rate) | $(cpu "$name") µs | $(thread "$name") µs | $(median "$name" cpu load1) | $stores |"
done
echo
echo "broker CPU per message sarang / dynsec:    $(ratio "$(cpu sarang)" "$(cpu dynsec)") (broker thread $(ratio "$(thread sarang)" "$(thread dynsec)"))"
echo "broker CPU per message sarang / files:     $(ratio "$(cpu sarang)" "$(cpu files)") (broker thread $(ratio "$(thread sarang)" "$(thread files)"))"
echo "broker CPU per message sarang / anonymous: $(ratio "$(cpu sarang)" "$(cpu anonymous)")"
[ -z "${BEFORE:-}" ] || {
    echo "broker CPU per message before / dynsec:    $(ratio "$(cpu before)" "$(cpu dynsec)") (broker thread $(ratio "$(thread before)" "$(thread dynsec)"))"
    echo "broker CPU per message sarang / before:    $(ratio "$(cpu sarang)" "$(cpu before)")"
}
stat_value() { awk -v m="sarang_telemetry_$1" '$1 == m { print $2 }' "$STATE/journal/stats.prom" 2>/dev/null; }
sleep 1.5 # the writer rewrites stats.prom about once a second
if [[ " ${BROKERS[*]} " == *" sarang "* ]]; then
    echo "sarang telemetry writer: $(stat_value messages_landed_total) messages landed in $(stat_value batches_total) batches ($(ratio "$(stat_value messages_landed_total)" "$(stat_value batches_total)") a batch)"
fi
[ "$lost_rows" = 0 ] || { echo "sarang lost $lost_rows acknowledged rows" >&2; exit 1; }
