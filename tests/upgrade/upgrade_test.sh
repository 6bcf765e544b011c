#!/usr/bin/env bash
# An online upgrade from the previous release (issue #19 item 5, docs/upgrading.md):
#   1. the previous release's plugins, sarang-httpd and sarangctl, built from git history into a
#      cache folder (tests/upgrade/old_release.sh), run a stack on their own migrations;
#   2. with the old sarangctl and API: a user, parcel boxes, a package with its photo;
#   3. the boxes publish readings at QoS 1 without pause (mosquitto_pub -l, one connection each);
#   4. the operator step (sql/superuser/pg_partman.sql as the superuser), then the CURRENT
#      `sarangctl migrate` runs while the old broker and sidecar serve: no box disconnects,
#      readings keep landing, the old sidecar still reads and writes;
#   5. the sidecar, then the broker are restarted with the current binaries: the boxes reconnect
#      with their old credentials, and every reading sent across it all lands exactly once;
#      the data made before the upgrade, and the old session, work through the new API.
# Usage: tests/upgrade/upgrade_test.sh (tools/test's stage "upgrade" runs it). Needs the current
# build's plugins, sarang-httpd and sarangctl in SARANG_BUILD (default build/). Exit 77 (ctest's
# skip code) when the previous release is not in this clone (a shallow CI checkout).
# SARANG_UPGRADE_FROM: the release commit; SARANG_UPGRADE_CACHE: the cache folder
# (build-v0.1.0/); SARANG_UPGRADE_DEVICES: publishing boxes (4).
set -euo pipefail
SARANG_ROOT=${SARANG_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CUR_ROOT=$SARANG_ROOT
CUR_BUILD=${SARANG_BUILD:-$CUR_ROOT/build}
# v0.1.0. The hash works without tags (CI clones often have none); the tag, where present, must
# still name it.
OLD_TAG=v0.1.0
OLD_COMMIT=${SARANG_UPGRADE_FROM:-1f6f04a87198314ae95a7ded12acc80c97877114}
OLD_ROOT=${SARANG_UPGRADE_CACHE:-$CUR_ROOT/build-$OLD_TAG}
OLD_BUILD=$OLD_ROOT/build
DEVICES=${SARANG_UPGRADE_DEVICES:-4}
# Longest pause in a box's landed readings while its broker keeps running, and across the
# broker's own restart (the devices' reconnect delay plus the journal's replay).
MAX_GAP_S=5
MAX_RESTART_GAP_S=15
source "$CUR_ROOT/tools/lib/stack.sh"
source "$CUR_ROOT/tests/upgrade/old_release.sh"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
step() { printf '[%4d s] %s\n' "$SECONDS" "$*"; }

for binary in tools/sarangctl http-sidecar/sarang-httpd plugins/telemetry/sarang_telemetry.so; do
    [ -e "$CUR_BUILD/$binary" ] ||
        fail "$CUR_BUILD/$binary is missing: build the current tree first (tools/test builds it)"
done
if tag_commit=$(git -C "$CUR_ROOT" rev-parse -q --verify "$OLD_TAG^{commit}" 2>/dev/null) &&
    [ -z "${SARANG_UPGRADE_FROM:-}" ] && [ "$tag_commit" != "$OLD_COMMIT" ]; then
    fail "tag $OLD_TAG names $tag_commit, not $OLD_COMMIT: update OLD_COMMIT with the release"
fi

step "building $OLD_TAG ($OLD_COMMIT) into $OLD_ROOT"
build_started=$SECONDS
status=0
SARANG_ROOT=$CUR_ROOT old_release_build "$OLD_COMMIT" "$OLD_ROOT" || status=$?
[ "$status" -eq 0 ] || exit "$status"
build_seconds=$((SECONDS - build_started))
step "$OLD_TAG built in $build_seconds s"
test_started=$SECONDS

STATE=$(mktemp -d /tmp/sarang-upgrade.XXXXXX)
WORK=$STATE/upgrade
mkdir -p "$WORK"
cleanup() {
    local status=$?
    set +e # a publisher that already exited must not change the test's status
    touch "$WORK/stop"
    for pidfile in "$WORK"/*/pid "$WORK/sampler.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
    done
    stack_stop "$STATE"
    if [ "$status" -ne 0 ]; then
        for log in "$STATE"/log/*.log "$WORK"/upg-1/client.log; do
            [ -f "$log" ] || continue
            echo "---- last lines of $log ----"
            tail -n 30 "$log"
        done
    fi
    if [ "${SARANG_UPGRADE_KEEP:-0}" = 1 ]; then echo "state kept in $STATE"; else rm -rf "$STATE"; fi
    release_ports "${PG_PORT:-}" "${MQTT_PORT:-}" "${HTTP_PORT:-}"
    exit "$status"
}
trap cleanup EXIT
read -r PG_PORT MQTT_PORT HTTP_PORT < <(free_ports 3)
H=http://127.0.0.1:$HTTP_PORT

# Which release runs a part of the stack: stack.sh's functions read SARANG_ROOT (the broker
# configuration template) and SARANG_BUILD (the binaries).
as_old() { SARANG_ROOT=$OLD_ROOT SARANG_BUILD=$OLD_BUILD "$@"; }
as_current() { SARANG_ROOT=$CUR_ROOT SARANG_BUILD=$CUR_BUILD "$@"; }
old_ctl() { "$OLD_BUILD/tools/sarangctl" --config "$STATE/sarang.conf" "$@" 2>>"$WORK/sarangctl.log"; }
sql() { psql "$(conf_value "$STATE" db.dsn)" -qAtX -v ON_ERROR_STOP=1 -c "$1"; }

# ---- 1. The old stack on the old schema ---------------------------------------------------
export SARANG_PG_FSYNC=off
as_old stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
sed -i '/^http.web_dir *=/d' "$STATE/sarang.conf" # no dashboard build needed here
cat >>"$STATE/sarang.conf" <<CONF
access.connect_failures_per_minute = 100000
http.public_url = $H
CONF
pg_start "$STATE" "$PG_PORT"
# As the superuser, through standard input (the checkout need not be readable by postgres).
superuser_sql() { as_postgres "$(pg_bindir)/psql" -h "$STATE/run" -p "$PG_PORT" -U postgres \
    -d sarang -qAtX -v ON_ERROR_STOP=1 "$@"; }
# A v0.1.0 install has no pg_partman; the current pg_start installs it: take it away, so that
# the operator step before the migration (step 4) is what brings it.
superuser_sql -c 'DROP EXTENSION IF EXISTS pg_partman' -c 'DROP SCHEMA IF EXISTS partman' >/dev/null
old_ctl migrate --dir "$OLD_ROOT/sql" >/dev/null
as_old broker_start "$STATE" "$MQTT_PORT"
as_old sidecar_start "$STATE" "$HTTP_PORT"
step "old stack up: schema $(sql "SELECT max(version) FROM schema_migrations" 2>/dev/null ||
    echo '?') from $OLD_ROOT/sql"

# ---- 2. Data made by the old release ------------------------------------------------------
one_time=$(old_ctl users create alice | sed -n 's/.*one-time password: *//p')
[ -n "$one_time" ] || fail "old sarangctl users create printed no one-time password"
TOKEN=$(curl -s "$H/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"alice","password":"'"$one_time"'"}' | jq -r .token)
setup=$(curl -s -o /dev/null -w '%{http_code}' "$H/api/auth/first-setup" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"newPassword":"Fresh#Pass-2026","newPin":"583920"}')
[ "$setup" = 200 ] || fail "old first-setup answered $setup"
declare -A CRED
for n in $(seq 1 "$DEVICES"); do
    CRED[upg-$n]=$(old_ctl devices create --kind parcel-box --name "Box $n" --id "upg-$n" \
        --owner alice --json | jq -r .password)
done
# A small PNG (the upload takes JPEG or PNG) made without image tools.
python3 - "$WORK/photo.png" <<'PY'
import struct, sys, zlib
w, h = 32, 24
raw = b"".join(b"\0" + b"".join(bytes((x * 8 % 256, y * 10 % 256, 128)) for x in range(w)) for y in range(h))
chunk = lambda t, d: struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
PY
upload() { # the box upg-1 uploads a package: prints the package id
    curl -s "$H/api/v1/packages" -H "X-API-Key: ${CRED[upg-1]}" \
        -F 'meta={"deviceId":"upg-1","reason":"upgrade-test","distanceCm":12}' \
        -F "photo=@$WORK/photo.png;type=image/png" | jq -r '.id // empty'
}
api() { curl -s -o "$WORK/body.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$H$1"; }
PACKAGE_BEFORE=$(upload)
[ -n "$PACKAGE_BEFORE" ] || fail "the old sidecar took no package upload"
step "old release made: user alice, $DEVICES parcel boxes, package $PACKAGE_BEFORE"

# ---- 3. Boxes publishing without pause ----------------------------------------------------
# Each reading carries ts = BASE_MS + its sequence number (milliseconds), so its row names the
# reading that made it, and a QoS 1 redelivery lands once (docs/telemetry.md).
BASE_MS=$(($(date +%s%3N) - 60000))
publish() { # ID: one connection (-l), QoS 1, a persistent session (-c), 10 readings a second
    local id=$1 dir=$WORK/$1
    mkdir -p "$dir"
    (
        seq=0
        while [ ! -e "$WORK/stop" ]; do
            seq=$((seq + 1))
            printf '{"cm":%d,"ts":%d}\n' $((seq % 1000)) $((BASE_MS + seq))
            echo "$seq" >>"$dir/sent"
            sleep 0.1
        done
    ) | mosquitto_pub -d -l -q 1 -c -i "$id" -u "$id" -P "${CRED[$id]}" -h 127.0.0.1 \
        -p "$MQTT_PORT" -t "smartparcel/$id/sensor/distance" >"$dir/client.log" 2>&1 &
    echo $! >"$dir/pid"
}
for n in $(seq 1 "$DEVICES"); do publish "upg-$n"; done
# Landed readings per box, every 0.25 s: "epoch_seconds box count".
(
    while :; do
        sql "SELECT extract(epoch FROM clock_timestamp()), device_id, count(*) FROM readings
             WHERE device_id LIKE 'upg-%' GROUP BY device_id" 2>/dev/null | tr '|' ' ' || true
        sleep 0.25
    done
) >"$WORK/samples" &
echo $! >"$WORK/sampler.pid"

landed() { sql "SELECT count(*) FROM readings WHERE device_id = '$1'"; }
wait_landing() { # MORE SECONDS WHEN: every box lands MORE readings beyond what it has now
    local more=$1 deadline=$((SECONDS + $2)) id
    declare -A want
    for id in "${!CRED[@]}"; do want[$id]=$(($(landed "$id") + more)); done
    for id in "${!CRED[@]}"; do
        until [ "$(landed "$id")" -ge "${want[$id]}" ]; do
            [ $SECONDS -lt "$deadline" ] || fail "$id landed fewer than $more new readings in $2 s $3"
            sleep 0.2
        done
    done
}
connects() { grep -c " as $1 " "$STATE/log/mosquitto.log" || true; }
client_connects() { grep -c "sending CONNECT" "$WORK/$1/client.log" || true; }
wait_landing 20 30 "before the migration"
for id in "${!CRED[@]}"; do
    [ "$(connects "$id")" = 1 ] || fail "$id connected $(connects "$id") times before the migration"
done
step "boxes publishing: $(sql "SELECT count(*) FROM readings WHERE device_id LIKE 'upg-%'") readings landed"

# ---- 4. The current migrations under the running old release ------------------------------
broker_log_at=$(stat -c %s "$STATE/log/mosquitto.log")
httpd_log_at=$(stat -c %s "$STATE/log/httpd.log")
before=$(sql "SELECT string_agg(version::text, ' ' ORDER BY version) FROM schema_migrations" \
    2>/dev/null || echo '?')
# The operator step of docs/upgrading.md: pg_partman into the database, as the superuser.
superuser_sql -v role=sarang <"$CUR_ROOT/sql/superuser/pg_partman.sql" >/dev/null ||
    fail "sql/superuser/pg_partman.sql failed"
step "operator step: pg_partman $(superuser_sql -c \
    "SELECT extversion FROM pg_extension WHERE extname = 'pg_partman'") installed by the superuser"
migrate_started=$(date +%s.%N)
"$CUR_BUILD/tools/sarangctl" --config "$STATE/sarang.conf" migrate --dir "$CUR_ROOT/sql" \
    >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log"; fail "current migrate failed"; }
migrate_ended=$(date +%s.%N)
after=$(sql "SELECT string_agg(version::text, ' ' ORDER BY version) FROM schema_migrations" \
    2>/dev/null || echo '?')
step "current migrate took $(echo "$migrate_ended - $migrate_started" | bc) s;" \
    "new migrations: $(comm -13 <(tr ' ' '\n' <<<"$before" | sort) <(tr ' ' '\n' <<<"$after" | sort) |
        tr '\n' ' ')"
# Rolling back to a release whose migrations end earlier: its migrate (from this release on)
# has nothing to do, rather than refusing and keeping sarang-migrate.service's dependants down.
if [ "$before" != "$after" ]; then
    "$CUR_BUILD/tools/sarangctl" --config "$STATE/sarang.conf" migrate --dir "$OLD_ROOT/sql" \
        2>&1 | grep -q "newer than this release" ||
        fail "migrate with the old release's folder refused the newer schema"
fi
wait_landing 30 30 "after the migration (old broker on the new schema)"
old_answers() { # the old sidecar reads and writes on the new schema
    [ "$(api /api/packages)" = 200 ] || fail "old sidecar: GET /api/packages after the migration"
    jq -e --argjson id "$PACKAGE_BEFORE" '.packages | map(.id) | index($id) != null' \
        "$WORK/body.json" >/dev/null || fail "old sidecar lost package $PACKAGE_BEFORE"
    [ "$(api '/api/v1/devices/upg-1/readings?limit=5')" = 200 ] ||
        fail "old sidecar: readings after the migration"
    PACKAGE_DURING=$(upload)
    [ -n "$PACKAGE_DURING" ] || fail "old sidecar: package upload after the migration"
}
old_answers
for id in "${!CRED[@]}"; do
    [ "$(connects "$id")" = 1 ] && [ "$(client_connects "$id")" = 1 ] && continue
    fail "$id reconnected during the migration (broker: $(connects "$id"), client: $(client_connects "$id"))"
done
offline=$(sql "SELECT count(*) FROM device_presence WHERE device_id LIKE 'upg-%' AND NOT online")
[ "$offline" = 0 ] || fail "$offline offline presence rows during the migration"
# The old release on the new schema logs no error.
errors=$( (tail -c +"$((broker_log_at + 1))" "$STATE/log/mosquitto.log"
    tail -c +"$((httpd_log_at + 1))" "$STATE/log/httpd.log") | grep -E 'Z error |Error' || true)
[ -z "$errors" ] || fail "the old release logged errors on the new schema: $errors"
migrate_window_end=$(date +%s.%N)
step "during/after migrate: no reconnect, 0 offline rows, old sidecar read + wrote (package $PACKAGE_DURING)"

# ---- 5. Restarts with the current binaries ------------------------------------------------
stop_pidfile "$STATE/run/httpd.pid"
as_current sidecar_start "$STATE" "$HTTP_PORT"
step "sidecar restarted with the current build"
restart_started=$(date +%s.%N)
stop_pidfile "$STATE/run/mosquitto.pid"
as_current broker_start "$STATE" "$MQTT_PORT"
step "broker restarted with the current build"
deadline=$((SECONDS + 30))
for id in "${!CRED[@]}"; do
    until [ "$(connects "$id")" -ge 2 ]; do
        [ $SECONDS -lt $deadline ] || fail "$id did not reconnect to the current broker"
        sleep 0.2
    done
done
wait_landing 30 30 "after the restart with the current broker"
online=$(sql "SELECT count(*) FROM devices WHERE id LIKE 'upg-%' AND online")
[ "$online" -eq "$DEVICES" ] || fail "$online of $DEVICES boxes online after the broker restart"
restart_ended=$(date +%s.%N)
touch "$WORK/stop"
deadline=$((SECONDS + 20))
for id in "${!CRED[@]}"; do # mosquitto_pub exits at end of input once every PUBACK is in
    while kill -0 "$(cat "$WORK/$id/pid")" 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || fail "$id's publisher did not finish"
        sleep 0.1
    done
done
# Every reading handed to a publisher lands, once.
sent_total=0
for id in "${!CRED[@]}"; do
    sent=$(wc -l <"$WORK/$id/sent")
    sent_total=$((sent_total + sent))
    deadline=$((SECONDS + 20))
    until [ "$(landed "$id")" -ge "$sent" ]; do
        [ $SECONDS -lt $deadline ] || break
        sleep 0.2
    done
    sql "SELECT round(extract(epoch FROM at) * 1000)::bigint - $BASE_MS FROM readings
         WHERE device_id = '$id' AND metric = 'distance_cm' ORDER BY 1" >"$WORK/$id/landed"
    missing=$(comm -23 <(sort "$WORK/$id/sent") <(sort "$WORK/$id/landed") | wc -l)
    extra=$(($(wc -l <"$WORK/$id/landed") - $(sort -u "$WORK/$id/landed" | wc -l)))
    [ "$missing" = 0 ] || fail "$id: $missing of $sent readings never landed" \
        "(first: $(comm -23 <(sort "$WORK/$id/sent") <(sort "$WORK/$id/landed") | sort -n | head -3 | tr '\n' ' '))"
    [ "$extra" = 0 ] || fail "$id: $extra readings landed twice"
done
# The restart must have caught readings in flight, or this proved nothing about them.
resent=$(cat "$WORK"/upg-*/client.log | grep -c "sending PUBLISH (d1" || true)
[ "$resent" -gt 0 ] || fail "no reading was in flight across the broker restart"
step "publishers stopped: $sent_total readings sent ($resent resent after the restart), all landed once"

# Pauses in landing per box (from the samples): while the old broker ran (migration included)
# and across the broker's restart.
max_gap() { # FROM TO: the longest time any box's count stood still within [FROM, TO]
    awk -v from="$1" -v to="$2" '$1 >= from && $1 <= to {
            if (!($2 in count) || $3 > count[$2]) {
                if ($2 in at && $1 - at[$2] > gap) gap = $1 - at[$2]
                count[$2] = $3; at[$2] = $1 } }
        END { printf "%.1f\n", gap }' "$WORK/samples"
}
gap_migration=$(max_gap "$migrate_started" "$migrate_window_end")
gap_restart=$(max_gap "$restart_started" "$restart_ended")
awk -v g="$gap_migration" -v max="$MAX_GAP_S" 'BEGIN { exit !(g <= max) }' ||
    fail "readings stopped landing for $gap_migration s around the migration (max $MAX_GAP_S)"
awk -v g="$gap_restart" -v max="$MAX_RESTART_GAP_S" 'BEGIN { exit !(g <= max) }' ||
    fail "readings stopped landing for $gap_restart s across the broker restart"
step "longest pause in landing: $gap_migration s around the migration, $gap_restart s across the broker restart"

# ---- 6. The data of before, through the current release -----------------------------------
[ "$(api /api/auth/session)" = 200 ] || fail "the old release's session no longer works"
[ "$(api /api/packages)" = 200 ] || fail "current sidecar: GET /api/packages"
for id in "$PACKAGE_BEFORE" "$PACKAGE_DURING"; do
    jq -e --argjson id "$id" '.packages | map(.id) | index($id) != null' "$WORK/body.json" \
        >/dev/null || fail "current sidecar does not list package $id"
done
photo=$(jq -r --argjson id "$PACKAGE_BEFORE" '.packages[] | select(.id == $id) | .photoUrl' \
    "$WORK/body.json")
[ "$(api "$photo")" = 200 ] || fail "photo of package $PACKAGE_BEFORE ($photo)"
[ "$(api '/api/v1/devices/upg-1/readings?limit=5')" = 200 ] || fail "current sidecar: readings"
[ "$(api /api/v1/devices)" = 200 ] || fail "current sidecar: GET /api/v1/devices"
listed=$(grep -o '"upg-[0-9]*"' "$WORK/body.json" | sort -u | wc -l)
[ "$listed" -eq "$DEVICES" ] || fail "current sidecar lists $listed of the $DEVICES boxes"
login=$(curl -s -o /dev/null -w '%{http_code}' "$H/api/auth/login" -H 'Content-Type: application/json' \
    -d '{"username":"alice","password":"Fresh#Pass-2026"}')
[ "$login" = 200 ] || fail "the old password no longer signs in ($login)"
step "current release serves the old data: session, password, devices, packages, photo, readings"
# The readings of before the migration stay in readings' default partition until its cutover is
# older than the retention: retention status names it as the next to go, emptied, not dropped.
"$CUR_BUILD/tools/sarangctl" --config "$STATE/sarang.conf" retention status --json \
    >"$WORK/retention.json" 2>>"$WORK/sarangctl.log" || fail "sarangctl retention status"
jq -e '.partitioned[] | select(.table == "public.readings") |
    (.partitions | map(select(.default)) | .[0].bytes > 0) and .next_drop.action == "truncate"' \
    "$WORK/retention.json" >/dev/null ||
    fail "retention status does not show the pre-migration readings as next to go: $(cat "$WORK/retention.json")"
step "retention status: readings $(jq -r '.partitioned[] | select(.table == "public.readings") |
    "\(.partitions | length) partitions, next to go \(.next_drop.partition) after \(.next_drop.dropped_after)"' \
    "$WORK/retention.json")"
echo "upgrade $OLD_TAG -> $(git -C "$CUR_ROOT" describe --always --dirty 2>/dev/null || echo current):" \
    "passed; old build $build_seconds s, test $((SECONDS - test_started)) s"
