#!/usr/bin/env bash
# Sustained ingest into PostgreSQL (issue #6 item 6, issue #20 item 2), against two baselines in
# the same run:
#   sarang   mosquitto with the Sarang plugins: readings journaled on the broker thread, COPYed
#            in batches by the telemetry worker straight into readings (sql/0024)
#   COPY     sarang-copy-baseline: one libpq client COPYing as many of the same rows into the
#            same readings table in the writer's batches (2 x BATCH_MAX rows), each its own
#            transaction (the ceiling on this machine)
#   INSERT   plain mosquitto (no plugins) and sarang-insert-subscriber: one QoS 1 subscriber
#            doing one synchronous INSERT per message, as the seeds' backends do; fed a QoS 1
#            burst of BURST (30,000) messages
# and the broker's publish -> deliver latency (probe every 10 ms, app-user subscriber) at half
# of Sarang's measured rate, with PostgreSQL up and then stopped; afterwards PostgreSQL starts
# again and the script waits for the journal to drain and checks that no reading was lost.
#
#   bench/ingest.sh [DEVICES] [SECONDS]      (defaults 99 and 60; latency phases SECONDS/3)
#   PHASES=landing bench/ingest.sh 99 300    (issue #20's benchmark: sarang and COPY only)
#
# Besides rates: lost and doubled readings (rows against 2 x acknowledged, and the minute and
# hour rollups' samples against the rows: a reading counted twice shows there even though
# readings' key keeps the row once), and disk bytes per reading of readings (all partitions,
# indexes included) for sarang's rows and for COPY's.
#
# PIN=1 puts the brokers on CPU 0 and PostgreSQL, the load tools and the INSERT subscriber on
# CPU 1. BATCH_MAX=N sets telemetry.batch_max (20000 messages). BURST=N changes the INSERT
# baseline's burst, WINDOW=N the QoS 1 messages in flight per connection (32), SUSTAIN_RATE=N
# has the sustained phase publish N messages/s (token bucket) instead of as fast as the broker
# acknowledges. The broker acknowledges once a message is in its journal, so "as fast as
# acknowledged" can run ahead of PostgreSQL: the landed rate (first publish to last row in
# PostgreSQL) is the figure, and the journal's peak shows the backlog. Needs a build with tests
# (tools/test). Prints every run, the ratios, and markdown table rows for bench/RESULTS.md.
#
# With history (issue #20 item 2, "the landed rate with 200 million readings of history"):
#   HISTORY_ROWS=N      before the runs, bench/history_fill.sh fills the database with N readings
#                       (500 hist-N devices, 89 days, with their rollups) ending on the UTC hour
#                       before the runs' first ts, so the runs' counts (rows in their own
#                       [start, next) window, rollups from the history's end on) exclude it.
#   HISTORY_STATE=DIR   the stack's state folder is DIR and is kept (PostgreSQL stopped). A DIR
#                       that is already filled (bench/history.sh with the same HISTORY_STATE, or
#                       an earlier fill here) is used as it is, without HISTORY_ROWS, but only by
#                       one run: the run's devices and rows stay in it (ingest.used marks it).
# The history's size is printed before the runs and in the landing table's last column.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
source "$SARANG_ROOT/tools/lib/stack.sh"
PHASES=${PHASES:-all}
DEVICES=${1:-99}
DURATION=${2:-60}
LATENCY_SECONDS=$(((DURATION + 2) / 3))
BURST=${BURST:-30000}
WINDOW=${WINDOW:-32}
TOOLS=$SARANG_BUILD/bench

HISTORY_ROWS=${HISTORY_ROWS:-0}
if [ -n "${HISTORY_STATE:-}" ]; then
    STATE=$HISTORY_STATE
    [ ! -e "$STATE/ingest.used" ] ||
        { echo "$STATE was used by an earlier ingest run; fill a new HISTORY_STATE" >&2; exit 1; }
    [ -f "$STATE/history.filled" ] || [ "$HISTORY_ROWS" -gt 0 ] ||
        { echo "HISTORY_STATE=$STATE holds no history and HISTORY_ROWS is not set" >&2; exit 1; }
    mkdir -p "$STATE"
else
    STATE=$(mktemp -d /tmp/sarang-ingest.XXXXXX)
fi
PIDS=()
cleanup() {
    # Only our own children: the broker and the sidecar are stack_stop's.
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    stack_stop "$STATE"
    [ -n "${HISTORY_STATE:-}" ] || rm -rf "$STATE"
}
trap cleanup EXIT

BROKER_CPUS=()
LOAD_CPUS=()
if [ "${PIN:-0}" = 1 ]; then
    BROKER_CPUS=(taskset -c 0)
    LOAD_CPUS=(taskset -c 1)
fi
pin_postgres() { # backends fork from the postmaster and inherit its CPU
    [ "${PIN:-0}" = 1 ] || return 0
    taskset -a -p -c 1 "$(head -n 1 "$STATE/pg/postmaster.pid")" >/dev/null
}

read -r PG_PORT HTTP_PORT SARANG_PORT PLAIN_PORT < <(free_ports 4)
if [ -f "$STATE/sarang.conf" ]; then # a kept state folder: its ports are this run's
    sed -i -e "s/ port=[0-9]* / port=$PG_PORT /" -e "s/^http.port = .*/http.port = $HTTP_PORT/" \
        -e '/^telemetry.batch_max/d' "$STATE/sarang.conf"
fi
stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
sed -i 's/^log.level = .*//' "$STATE/sarang.conf"
echo "log.level = warning" >>"$STATE/sarang.conf"
BATCH_MAX=${BATCH_MAX:-20000} # telemetry.batch_max: messages per landing transaction
echo "telemetry.batch_max = $BATCH_MAX" >>"$STATE/sarang.conf"
pg_start "$STATE" "$PG_PORT"
pin_postgres
sarangctl_in "$STATE" migrate >/dev/null
DSN=$(conf_value "$STATE" db.dsn)
psql_sarang() {
    as_postgres "$(pg_bindir)/psql" -h "$STATE/run" -p "$PG_PORT" -U postgres -d sarang -qAt -c "$1"
}

TS=$(($(date +%s) * 1000 - 3 * 24 * 3600 * 1000)) # each run starts where the previous ended
HISTORY_END=0                                     # epoch s: the runs' rows and rollups are after it
if [ -f "$STATE/history.filled" ] || [ "$HISTORY_ROWS" -gt 0 ]; then
    source "$SARANG_ROOT/bench/history_fill.sh"
    if [ ! -f "$STATE/history.filled" ]; then
        echo "    load average before the fill: $(cut -d' ' -f1-3 /proc/loadavg)"
        HISTORY_END=$((TS / 1000 / 3600 * 3600)) history_fill "$STATE" "$PG_PORT" "$HISTORY_ROWS" |
            tee "$STATE/fill.log"
        touch "$STATE/history.filled"
    fi
    HISTORY_END=$(sed -n 's/^history:.* end=\([0-9]*\).*/\1/p' "$STATE/fill.log")
    [ -n "$HISTORY_END" ] && [ $((HISTORY_END * 1000)) -le "$TS" ] ||
        { echo "the history in $STATE does not end before $TS ms" >&2; exit 1; }
    touch "$STATE/ingest.used"
fi
readings_bytes() { # readings and, once partitioned, all its partitions; indexes included
    psql_sarang "SELECT sum(pg_total_relation_size(t)) FROM (SELECT 'readings'::regclass AS t
        UNION SELECT relid FROM pg_partition_tree('readings')) tree"
}
HISTORY_SIZE=none
if [ "$HISTORY_END" -gt 0 ]; then
    read -r h_rows h_bytes < <(psql_sarang "SELECT (SELECT count(*) FROM readings
        WHERE at < to_timestamp($HISTORY_END)), (SELECT sum(pg_total_relation_size(relid))
        FROM pg_partition_tree('reading_rollups'))" | tr '|' ' ')
    h_bytes=$((h_bytes + $(readings_bytes)))
    HISTORY_SIZE="$h_rows readings, $(awk -v b="$h_bytes" 'BEGIN { printf "%.1f", b / 1e9 }') GB"
    echo "==> history: $HISTORY_SIZE with rollups and indexes, up to $(date -u -d "@$HISTORY_END" +%FT%TZ) ($(grep '^history:' "$STATE/fill.log"))"
fi

echo "==> registering $DEVICES devices, an app user and its probe device"
sarangctl_in "$STATE" devices bulk-create --kind hydro-sensor --name-prefix pi- --from 1 \
    --to "$DEVICES" --csv "$STATE/devices.csv" >/dev/null 2>&1
tail -n +2 "$STATE/devices.csv" | awk -F, '{ print $1, $4 }' >"$STATE/devices.creds"
sidecar_start "$STATE" "$HTTP_PORT"
one_time=$(sarangctl_in "$STATE" users create bench-watch --role user 2>&1 |
    sed -n 's/.*one-time password: //p')
api() { # path json [token]: the response body
    curl -s -X POST "http://127.0.0.1:$HTTP_PORT$1" -H 'Content-Type: application/json' \
        ${3:+-H "Authorization: Bearer $3"} -d "$2"
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
TOKEN=$(api /api/auth/login "{\"username\":\"bench-watch\",\"password\":\"$one_time\"}" | json_field token)
api /api/auth/first-setup '{"newPassword":"Bench#Watch-2026","newPin":"583920"}' "$TOKEN" >/dev/null
probe_json=$(sarangctl_in "$STATE" devices create --kind hydro-sensor --name probe \
    --owner bench-watch --json 2>/dev/null)
PROBE="$(json_field id <<<"$probe_json") $(json_field password <<<"$probe_json")"
WATCH="bench-watch $TOKEN"
[ -n "$TOKEN" ] && [ -n "${PROBE// /}" ] || { echo "could not set up the probe" >&2; exit 1; }

broker_start "$STATE" "$SARANG_PORT"
[ "${PIN:-0}" != 1 ] || taskset -a -p -c 0 "$(cat "$STATE/run/mosquitto.pid")" >/dev/null
sleep 2 # the access plugin loads the devices and the app user's session

ingest() {                                        # label args...: one sarang-ingest run
    local label=$1 out
    shift
    out=$("${LOAD_CPUS[@]}" "$TOOLS/sarang-ingest" --window "$WINDOW" --ts-start "$TS" "$@" |
        tr '\n' ' ') || true
    echo "$label: $out" | tee -a "$STATE/results"
    TS=$(sed -n 's/.*ts: start=[0-9]* next=\([0-9]*\).*/\1/p' <<<"$out")
    [ -n "$TS" ] || { echo "$label failed" >&2; exit 1; }
}
field() { # label phase field
    grep "^$1:" "$STATE/results" | sed -n "s/.* $2: [^:]*\b$3=\([0-9.]*\).*/\1/p" | head -n 1
}
per_reading() { awk -v b="$1" -v r="$2" 'BEGIN { printf "%.1f", (r > 0) ? b / r : 0 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }'; }
stat_value() { awk -v m="sarang_telemetry_$1" '$1 == m { print $2 }' "$STATE/journal/stats.prom" 2>/dev/null; }

# The journal's peak backlog, sampled from stats.prom every 0.2 s while a phase runs.
start_sampler() {
    (
        peak=0
        while :; do
            p=$(stat_value journal_pending_messages)
            [ "${p:-0}" -le "$peak" ] || peak=$p
            echo "$peak" >"$STATE/journal.peak"
            sleep 0.2
        done
    ) &
    SAMPLER_PID=$!
    PIDS+=("$SAMPLER_PID")
}
stop_sampler() { # sets journal_peak (journal_bytes would count landed segments not yet removed)
    sleep 1 # the writer rewrites stats.prom about once a second
    kill "$SAMPLER_PID"
    wait "$SAMPLER_PID" 2>/dev/null || true
    read -r journal_peak <"$STATE/journal.peak"
}

echo "==> sarang: $DEVICES devices, ${DURATION} s, QoS 1, window $WINDOW, ${SUSTAIN_RATE:-as fast as acknowledged}${SUSTAIN_RATE:+ messages/s}"
echo "    load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bytes_before=$(readings_bytes)
start_sampler
ingest sarang --port "$SARANG_PORT" --credentials "$STATE/devices.creds" --seconds "$DURATION" \
    --rate "${SUSTAIN_RATE:-0}" --dsn "$DSN" --quiet 60
stop_sampler
sustain_peak=$journal_peak
sustain_load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "    journal peak: $journal_peak messages waiting; refused (journal full): $(stat_value refused_journal_full_total); load average after: $sustain_load"
echo "    batches: $(stat_value batches_total), of them deduplicated: $(stat_value batches_deduplicated_total)"
rows=$(field sarang landed rows)
s_bytes=$(per_reading "$(($(readings_bytes) - bytes_before))" "$rows")
# Only sarang has written readings after the history so far: each must be in exactly one minute
# and one hour bucket (the history ends on an hour, so no bucket holds both).
read -r all_rows minute_samples hour_samples < <(psql_sarang "SELECT
    (SELECT count(*) FROM readings WHERE at >= to_timestamp($HISTORY_END)),
    (SELECT coalesce(sum(samples), 0) FROM reading_rollups WHERE bucket_seconds = 60
        AND bucket >= to_timestamp($HISTORY_END)),
    (SELECT coalesce(sum(samples), 0) FROM reading_rollups WHERE bucket_seconds = 3600
        AND bucket >= to_timestamp($HISTORY_END))" | tr '|' ' ')
doubled=$(($(field sarang landed extra) + minute_samples - all_rows + hour_samples - all_rows))
echo "sarang-check: rows=$all_rows minute_samples=$minute_samples hour_samples=$hour_samples doubled=$doubled bytes_per_reading=$s_bytes" |
    tee -a "$STATE/results"

echo "==> baseline A: COPY of as many rows into the same table in $((2 * BATCH_MAX))-row batches (the writer's)"
echo "    load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
bytes_before=$(readings_bytes)
out=$("${LOAD_CPUS[@]}" "$TOOLS/sarang-copy-baseline" --dsn "$DSN" --credentials "$STATE/devices.creds" \
    --rows "$((rows > 100000 ? rows : 100000))" --batch "$((2 * BATCH_MAX))" --ts-start "$TS" | tr '\n' ' ')
c_bytes=$(per_reading "$(($(readings_bytes) - bytes_before))" "$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$out")")
copy_load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "copy: $out bytes_per_reading=$c_bytes" | tee -a "$STATE/results"
echo "    load average after: $copy_load"
TS=$(sed -n 's/.*ts: start=[0-9]* next=\([0-9]*\).*/\1/p' <<<"$out")

if [ "$PHASES" = landing ]; then
    s_rows=$(field sarang landed rows_per_s)
    c_rows=$(field copy copy rate)
    echo "==> ratio"
    echo "sarang landed rows/s / COPY rows/s: $(ratio "$s_rows" "$c_rows")"
    echo
    echo "| run | devices x s | acked msgs/s | landed readings/s | lost | doubled | journal peak | COPY readings/s | landed / COPY | bytes per reading sarang / COPY | load average after sarang / COPY | history |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    echo "| $(date -u '+%F %H:%M') | $DEVICES x $DURATION | $(field sarang ingest rate) | $s_rows | $(field sarang landed lost) | $doubled | $sustain_peak msgs | $c_rows | **$(ratio "$s_rows" "$c_rows")** | $s_bytes / $c_bytes | $sustain_load / $copy_load | $HISTORY_SIZE |"
    exit 0
fi

echo "==> baseline B: plain mosquitto, one INSERT per message, QoS 1 burst of $BURST"
cat >"$STATE/plain.conf" <<CONF
listener $PLAIN_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
connection_messages false
CONF
chmod a+r "$STATE/plain.conf"
"${BROKER_CPUS[@]}" mosquitto -c "$STATE/plain.conf" >>"$STATE/log/plain.log" 2>&1 &
PIDS+=($!)
plain_pid=$!
wait_for_port "$PLAIN_PORT" 20 "plain mosquitto"
"${LOAD_CPUS[@]}" "$TOOLS/sarang-insert-subscriber" --port "$PLAIN_PORT" --dsn "$DSN" \
    >"$STATE/subscriber.out" 2>>"$STATE/log/subscriber.log" &
PIDS+=($!)
subscriber_pid=$!
for _ in $(seq 1 100); do grep -q subscribed "$STATE/subscriber.out" && break; sleep 0.1; done
ingest insert --port "$PLAIN_PORT" --credentials "$STATE/devices.creds" --messages "$BURST" \
    --seconds 600 --dsn "$DSN" --quiet 5
kill -TERM "$subscriber_pid"
wait "$subscriber_pid" || true
kill -TERM "$plain_pid"
wait "$plain_pid" || true
echo "subscriber: $(grep subscriber: "$STATE/subscriber.out")" | tee -a "$STATE/results"

RATE=$(awk -v r="$(field sarang landed messages_per_s)" 'BEGIN { printf "%d", r / 2 }')
echo "==> latency: sarang at $RATE messages/s (half the sustained rate), probe every 10 ms, ${LATENCY_SECONDS} s, PostgreSQL up"
ingest healthy --port "$SARANG_PORT" --credentials "$STATE/devices.creds" --rate "$RATE" \
    --seconds "$LATENCY_SECONDS" --probe "$PROBE" --watch "$WATCH" --dsn "$DSN" --quiet 30

echo "==> latency: the same with PostgreSQL stopped"
pg_stop "$STATE"
outage_start=$TS
start_sampler
ingest stopped --port "$SARANG_PORT" --credentials "$STATE/devices.creds" --rate "$RATE" \
    --seconds "$LATENCY_SECONDS" --probe "$PROBE" --watch "$WATCH"
stop_sampler
echo "    journal peak: $journal_peak messages waiting; database_up=$(stat_value database_up)"

echo "==> PostgreSQL started again: waiting for the journal to drain"
pg_start "$STATE" "$PG_PORT"
pin_postgres
restarted=$(date +%s.%N)
until [ "$(stat_value database_up)" = 1 ] && [ "$(stat_value journal_pending_messages)" = 0 ]; do
    if (($(date +%s) - ${restarted%.*} > 300)); then
        echo "journal not drained 300 s after PostgreSQL came back" >&2
        break
    fi
    sleep 0.1
done
drain=$(awk -v a="$restarted" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
acked=$(field stopped ingest acked)
landed=$(psql_sarang "SELECT count(*) FROM readings WHERE at >= timestamptz 'epoch' + $outage_start * interval '1 millisecond' AND at < timestamptz 'epoch' + $TS * interval '1 millisecond'")
outage_lost=$((acked * 2 - landed))
echo "outage: acked=$acked rows=$landed expected=$((acked * 2)) lost=$outage_lost drain_seconds=$drain journal_peak=$journal_peak" |
    tee -a "$STATE/results"
echo "    telemetry counters: $(grep -v '^#' "$STATE/journal/stats.prom" | tr '\n' ' ')"

echo "==> ratios"
s_rows=$(field sarang landed rows_per_s)
s_msgs=$(field sarang landed messages_per_s)
c_rows=$(field copy copy rate)
i_msgs=$(field insert landed messages_per_s)
p99_up=$(field healthy latency p99)
p99_down=$(field stopped latency p99)
echo "sarang landed rows/s / COPY rows/s:           $(ratio "$s_rows" "$c_rows")"
echo "sarang landed msgs/s / INSERT-per-message:    $(ratio "$s_msgs" "$i_msgs")"
echo "p99 publish->deliver, PostgreSQL stopped / up: $(ratio "$p99_down" "$p99_up")"
echo
echo "| run | devices x s | sarang acked msgs/s | sarang landed rows/s | sarang landed msgs/s | sarang lost rows | journal peak | COPY rows/s | INSERT landed msgs/s (subscriber's own) | INSERT lost of $BURST | sarang / COPY | sarang / INSERT |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "| $(date +%F) | $DEVICES x $DURATION | $(field sarang ingest rate) | $s_rows | $s_msgs | $(field sarang landed lost) | $sustain_peak msgs | $c_rows | $i_msgs ($(field subscriber subscriber rate)) | $(($(field insert landed lost || true) / 2)) | **$(ratio "$s_rows" "$c_rows")** | **$(ratio "$s_msgs" "$i_msgs")** |"
echo
echo "| run | rate | p50 / p99 / max up | p50 / p99 / max PostgreSQL stopped | p99 stopped / up | journal peak | drain | lost after drain |"
echo "|---|---|---|---|---|---|---|---|"
echo "| $(date +%F) | $RATE/s | $(field healthy latency p50) / $p99_up / $(field healthy latency max) ms | $(field stopped latency p50) / $p99_down / $(field stopped latency max) ms | **$(ratio "$p99_down" "$p99_up")** | $journal_peak msgs | $drain s | $outage_lost |"
