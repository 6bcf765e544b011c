#!/usr/bin/env bash
# Cost as history grows (issue #20 item 2): the dashboard's queries and the disk per reading on a
# database holding ROWS readings of history.
#
#   bench/history.sh [ROWS]        (default 200,000,000; try 5000000 first)
#
# 1. A stack's PostgreSQL, migrated, filled by bench/history_fill.sh: 500 devices x {tds, ph}
#    from 89 days ago up to three days ago (on a UTC hour), with their rollups, latest values
#    and presence (fill time printed). It ends there so that the same kept state can serve
#    `HISTORY_STATE=DIR bench/ingest.sh` afterwards, whose runs write from three days ago on;
#    the ranges queried below are those of the history, not of the empty last three days.
# 2. Disk: bytes per reading of readings (table + indexes, every partition), of the rollups, and
#    of raw COPY: a sample of SAMPLE (1,000,000) readings COPYed as text into a plain table with
#    no index (the floor for a row of four columns), and the COPY text itself.
# 3. EXPLAIN (ANALYZE, BUFFERS) of the handlers' SQL for the dashboard's queries, into
#    STATE/explain.txt (printed).
# 4. Through a running sarang-httpd with an app session (the user owns the 500 devices), each
#    page's calls ITERATIONS (1,000) times, random device and range each time, one keep-alive
#    connection, time from request to last byte (curl's time_total): p50, p99, max in ms.
#      fleet    GET /api/v1/readings/latest/ (latest of the 500 devices; the page's snapshot
#               reads the same latest_readings rows) and GET /api/v1/devices/?page_size=500
#      device   GET /api/v1/devices/{id}/readings/?bucket=minute one day, ?bucket=hour 30 days,
#               /presence?page_size=20, /commands?page_size=20, /devices/{id}/
#
# HISTORY_STATE=DIR keeps the state folder (database included) in DIR; run again with the same
# DIR, the fill is skipped and only steps 2-4 run. bench/ingest.sh with the same HISTORY_STATE
# lands its run into that database (once: it adds its own devices and rows). HISTORY_DEVICES,
# HISTORY_DAYS: see history_fill.sh. Needs a build (tools/build). Prints markdown rows for
# bench/RESULTS.md.
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SARANG_BUILD=${SARANG_BUILD:-$SARANG_ROOT/build}
source "$SARANG_ROOT/tools/lib/stack.sh"
source "$SARANG_ROOT/bench/history_fill.sh"
ROWS=${1:-200000000}
ITERATIONS=${ITERATIONS:-1000}
SAMPLE=${SAMPLE:-1000000}
USER_NAME=bench-history
PASSWORD='Bench#History-2026'

if [ -n "${HISTORY_STATE:-}" ]; then
    STATE=$HISTORY_STATE
    mkdir -p "$STATE"
else
    STATE=$(mktemp -d /tmp/sarang-history.XXXXXX)
fi
cleanup() {
    stack_stop "$STATE"
    [ -n "${HISTORY_STATE:-}" ] || rm -rf "$STATE"
}
trap cleanup EXIT

read -r PG_PORT HTTP_PORT < <(free_ports 2)
if [ -f "$STATE/sarang.conf" ]; then # a kept state folder: its ports are this run's
    sed -i -e "s/ port=[0-9]* / port=$PG_PORT /" -e "s/^http.port = .*/http.port = $HTTP_PORT/" \
        "$STATE/sarang.conf"
fi
stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
grep -q '^log.level' "$STATE/sarang.conf" || echo "log.level = warning" >>"$STATE/sarang.conf"
pg_start "$STATE" "$PG_PORT"
sarangctl_in "$STATE" migrate >/dev/null
psql_q() { history_psql "$STATE" "$PG_PORT" "$@"; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

if [ ! -f "$STATE/history.filled" ]; then
    one_time=$(sarangctl_in "$STATE" users create "$USER_NAME" --role user 2>&1 |
        sed -n 's/.*one-time password: //p')
    [ -n "$one_time" ] || { echo "could not create $USER_NAME" >&2; exit 1; }
    HISTORY_END=$((($(date +%s) - 3 * 86400) / 3600 * 3600)) \
        history_fill "$STATE" "$PG_PORT" "$ROWS" "$USER_NAME" | tee "$STATE/fill.log"
    touch "$STATE/history.filled"
fi
FILL_LINE=$(grep '^history:' "$STATE/fill.log")
# The history's end (fills before it ended now; then end=now is what they queried up to).
END=$(sed -n 's/.* end=\([0-9]*\).*/\1/p' <<<"$FILL_LINE")
[ -n "$END" ] || END=$(stat -c %Y "$STATE/fill.log")
echo "load average after the fill: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "==> disk"
HISTORY_ROWS=$(sed -n 's/.*rows=\([0-9]*\).*/\1/p' <<<"$FILL_LINE")
sizes() { # TABLE: heap+toast bytes, index bytes, rows (from the statistics), every partition
    psql_q -c "SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid)),
        sum((SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = relid))::bigint
        FROM (SELECT relid FROM pg_partition_tree('$1') WHERE isleaf
              UNION SELECT oid FROM pg_class WHERE oid = '$1'::regclass AND relkind = 'r') t" |
        tr '|' ' '
}
read -r R_HEAP R_INDEX R_ROWS < <(sizes readings)
read -r U_HEAP U_INDEX U_ROWS < <(sizes reading_rollups)
# Raw COPY of a sample: the text as COPY writes it, and loaded into a plain unindexed table.
psql_q -c "COPY (SELECT device_id, metric, at, value FROM readings
    WHERE at >= to_timestamp($END) - interval '3 days' AND at < to_timestamp($END)
    AND device_id LIKE 'hist-%' LIMIT $SAMPLE) TO STDOUT" >"$STATE/sample.copy"
psql_q >/dev/null <<SQL
DROP TABLE IF EXISTS history_copy_sample;
CREATE TABLE history_copy_sample (LIKE readings);
\\copy history_copy_sample FROM '$STATE/sample.copy'
VACUUM ANALYZE history_copy_sample;
SQL
read -r C_ROWS C_BYTES < <(psql_q -c "SELECT count(*), pg_total_relation_size('history_copy_sample') FROM history_copy_sample" | tr '|' ' ')
C_TEXT=$(stat -c %s "$STATE/sample.copy")
psql_q -c "DROP TABLE history_copy_sample" >/dev/null
rm -f "$STATE/sample.copy"
per() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0) ? a / b : 0 }'; }
echo "readings: $R_ROWS rows; heap $R_HEAP B, indexes $R_INDEX B; $(per $((R_HEAP + R_INDEX)) "$R_ROWS") B/reading ($(per "$R_HEAP" "$R_ROWS") heap + $(per "$R_INDEX" "$R_ROWS") index)"
echo "rollups: $U_ROWS rows; $(per $((U_HEAP + U_INDEX)) "$R_ROWS") B/reading"
echo "raw COPY: $C_ROWS rows; plain table $(per "$C_BYTES" "$C_ROWS") B/reading, COPY text $(per "$C_TEXT" "$C_ROWS") B/reading"

echo "==> the handlers' SQL, EXPLAIN (ANALYZE, BUFFERS)"
NOW=$END # query ranges end at the history's end at the latest
FIRST=$(($(stat -c %Y "$STATE/fill.log") - HISTORY_DAYS * 86400))
explain_sql() { # the SQL of http-sidecar/src/handlers/{readings,device_readings}.cpp
    local device=hist-$1 day_to=$2 month_to=$3
    local metrics="ARRAY(SELECT metric FROM latest_readings WHERE device_id = '$device')"
    cat <<SQL
SET TIME ZONE 'UTC';
\\echo '--- fleet latest (readings.cpp latest_sql)'
EXPLAIN (ANALYZE, BUFFERS) SELECT d.id, d.name, d.kind, d.online, r.metric, r.value, r.at
 FROM devices d JOIN latest_readings r ON r.device_id = d.id
 LEFT JOIN metric_thresholds t ON t.device_id = r.device_id AND t.metric = r.metric
 WHERE d.owner_id = (SELECT id FROM users WHERE username = '$USER_NAME') ORDER BY d.id, r.metric;
\\echo '--- one day per minute (device_readings.cpp series)'
EXPLAIN (ANALYZE, BUFFERS) SELECT metric, bucket, total / samples, low, high, samples FROM reading_rollups
 WHERE device_id = '$device' AND metric = ANY($metrics) AND bucket_seconds = 60
 AND bucket >= to_timestamp($((day_to - 86400 - (day_to - 86400) % 60))) AND bucket <= to_timestamp($day_to)
 ORDER BY metric, bucket;
\\echo '--- the same before a36cdb4 and 4878d18 (any metric; bounds planned as expressions)'
EXPLAIN (ANALYZE, BUFFERS) SELECT metric, bucket, total / samples, low, high, samples FROM reading_rollups
 WHERE device_id = '$device' AND bucket_seconds = 60 AND (NULL::text IS NULL OR metric = NULL::text)
 AND bucket >= date_trunc('minute', timestamptz 'epoch' + $(((day_to - 86400) * 1000000)) * interval '1 microsecond')
 AND bucket <= timestamptz 'epoch' + $((day_to * 1000000)) * interval '1 microsecond'
 ORDER BY metric, bucket;
\\echo '--- 30 days per hour (device_readings.cpp series)'
EXPLAIN (ANALYZE, BUFFERS) SELECT metric, bucket, total / samples, low, high, samples FROM reading_rollups
 WHERE device_id = '$device' AND metric = ANY($metrics) AND bucket_seconds = 3600
 AND bucket >= to_timestamp($((month_to - 30 * 86400 - (month_to - 30 * 86400) % 3600))) AND bucket <= to_timestamp($month_to)
 ORDER BY metric, bucket;
\\echo '--- presence (device_presence.cpp)'
EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM device_presence WHERE device_id = '$device';
EXPLAIN (ANALYZE, BUFFERS) SELECT online, node, at FROM device_presence WHERE device_id = '$device'
 ORDER BY at DESC, id DESC LIMIT 20 OFFSET 0;
SQL
}
explain_sql 137 $((NOW - 40 * 86400)) $((NOW - 20 * 86400)) | psql_q >"$STATE/explain.txt" 2>&1 || true
cat "$STATE/explain.txt"

echo "==> the dashboard's calls through sarang-httpd, $ITERATIONS each"
sidecar_start "$STATE" "$HTTP_PORT"
api() { # path json [token]: the response body
    curl -s -X POST "http://127.0.0.1:$HTTP_PORT$1" -H 'Content-Type: application/json' \
        ${3:+-H "Authorization: Bearer $3"} -d "$2"
}
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
if [ -n "${one_time:-}" ]; then
    TOKEN=$(api /api/auth/login "{\"username\":\"$USER_NAME\",\"password\":\"$one_time\"}" | json_field token)
    api /api/auth/first-setup "{\"newPassword\":\"$PASSWORD\",\"newPin\":\"583920\"}" "$TOKEN" >/dev/null
fi
TOKEN=$(api /api/auth/login "{\"username\":\"$USER_NAME\",\"password\":\"$PASSWORD\"}" | json_field token)
[ -n "$TOKEN" ] || { echo "could not sign in" >&2; exit 1; }

# One curl config per call: ITERATIONS URLs with a random device and range each.
urls() { # name
    awk -v name="$1" -v n="$ITERATIONS" -v devices="$HISTORY_DEVICES" -v first="$FIRST" \
        -v now="$NOW" -v base="http://127.0.0.1:$HTTP_PORT" -v seed="$RANDOM" '
    function iso(t) { return strftime("%Y-%m-%dT%H:%M:%SZ", t, 1) }
    BEGIN {
        srand(seed)
        for (i = 0; i < n; i++) {
            id = "hist-" (1 + int(rand() * devices))
            day_to = first + 86400 + int(rand() * (now - first - 86400))
            month_to = first + 30 * 86400 + int(rand() * (now - first - 30 * 86400))
            if (name == "fleet_latest") path = "/api/v1/readings/latest/?page_size=500"
            else if (name == "fleet_devices") path = "/api/v1/devices/?page_size=500"
            else if (name == "day_minute") path = "/api/v1/devices/" id "/readings/?bucket=minute&from=" iso(day_to - 86400) "&to=" iso(day_to)
            else if (name == "month_hour") path = "/api/v1/devices/" id "/readings/?bucket=hour&from=" iso(month_to - 30 * 86400) "&to=" iso(month_to)
            else if (name == "presence") path = "/api/v1/devices/" id "/presence?page_size=20"
            else if (name == "commands") path = "/api/v1/devices/" id "/commands?page_size=20"
            else path = "/api/v1/devices/" id "/"
            printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, path
        }
    }'
}
ROWS_MD=()
for call in fleet_latest fleet_devices day_minute month_hour presence commands device; do
    urls "$call" >"$STATE/$call.curl"
    curl -s -K "$STATE/$call.curl" -H "Authorization: Bearer $TOKEN" \
        -w '%{http_code} %{time_total}\n' >"$STATE/$call.times"
    load=$(cut -d' ' -f1 /proc/loadavg)
    line=$(awk -v call="$call" '
        $1 != 200 { bad++ }
        { t[++n] = $2 * 1000 }
        END {
            for (i = 2; i <= n; i++) { v = t[i]; j = i - 1; while (j > 0 && t[j] > v) { t[j + 1] = t[j]; j-- } t[j + 1] = v }
            p50 = t[int(n * 0.50 + 0.999999)]; p99 = t[int(n * 0.99 + 0.999999)]
            printf "%s: n=%d not_200=%d p50=%.1f p99=%.1f max=%.1f ms\n", call, n, bad, p50, p99, t[n]
        }' "$STATE/$call.times")
    echo "$line load=$load"
    ROWS_MD+=("| $call | $(sed -n 's/.*p50=\([0-9.]*\) p99=\([0-9.]*\) max=\([0-9.]*\).*/\1 | \2 | \3/p' <<<"$line") | $(sed -n 's/.*not_200=\([0-9]*\).*/\1/p' <<<"$line") | $load |")
done

echo
echo "markdown for bench/RESULTS.md:"
echo "$FILL_LINE; readings $(per $((R_HEAP + R_INDEX)) "$R_ROWS") B/reading (heap $(per "$R_HEAP" "$R_ROWS"), indexes $(per "$R_INDEX" "$R_ROWS")), rollups $(per $((U_HEAP + U_INDEX)) "$R_ROWS") B/reading ($U_ROWS rows), raw COPY into a plain table $(per "$C_BYTES" "$C_ROWS") B/reading, COPY text $(per "$C_TEXT" "$C_ROWS") B/reading; history rows $HISTORY_ROWS"
echo "| call | p50 ms | p99 ms | max ms | not 200 | load (1 min) |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${ROWS_MD[@]}"
