#!/usr/bin/env bash
# Runs one test program against a stack of its own: a fresh PostgreSQL cluster, mosquitto with
# the Sarang plugins and sarang-httpd, in a temporary state folder on free loopback ports.
# Usage: with_stack.sh PROGRAM [ARGS...]   (needs SARANG_BUILD and SARANG_ROOT)
set -euo pipefail
: "${SARANG_BUILD:?}" "${SARANG_ROOT:?}"
source "$SARANG_ROOT/tools/lib/stack.sh"

STATE=$(mktemp -d /tmp/sarang-test.XXXXXX)
cleanup() {
    local status=$?
    stop_pidfile "$STATE/node2/run/mosquitto.pid" # a second broker node (stack_control.sh)
    stack_stop "$STATE"
    # A fault test may have mounted a small file system in the state folder.
    findmnt -rn -o TARGET | grep "^$STATE/" | xargs -r -n 1 umount -l || true
    # A sanitizer build's sidecar and sarangctl report to their logs and may exit 0 (leaks at
    # exit): any report there fails the test.
    if grep -lE '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^[^ ]+:[0-9]+:[0-9]+: runtime error: ' \
        "$STATE"/log/*.log "$STATE"/node2/log/*.log 2>/dev/null; then
        echo "sanitizer reports in the stack's logs (above)"
        status=1
    fi
    if [ "$status" -ne 0 ]; then
        for log in "$STATE"/log/*.log "$STATE"/node2/log/*.log; do
            [ -f "$log" ] || continue
            echo "---- last lines of $(basename "$log") ----"
            tail -n 40 "$log"
        done
    fi
    rm -rf "$STATE"
    release_ports "${PG_PORT:-}" "${MQTT_PORT:-}" "${HTTP_PORT:-}" "${AUX_PORT:-}" "${MQTT2_PORT:-}"
    release_ports "${MQTTS_PORT:-}" "${HTTPS_PORT:-}" "${REDIRECT_PORT:-}"
    release_ports "${MQTT_MTLS_PORT:-}" # device certificates
    exit "$status"
}
trap cleanup EXIT

# AUX_PORT is for a fake server a test may start (the GOWA stand-in of the notification tests);
# MQTT2_PORT for a second broker node (stack_control.sh broker2 start).
read -r PG_PORT MQTT_PORT HTTP_PORT AUX_PORT MQTT2_PORT < <(free_ports 5)
# TLS (docs/tls.md): MQTT over server TLS on MQTTS_PORT; the sidecar serves HTTPS on HTTPS_PORT,
# the same API in plain HTTP on HTTP_PORT (http.loopback_port, what most tests use) and only
# redirects on REDIRECT_PORT.
read -r MQTTS_PORT HTTPS_PORT REDIRECT_PORT < <(free_ports 3)
# ---- device certificates (issue #19 item 3): a mutual-TLS MQTT listener ----
read -r MQTT_MTLS_PORT < <(free_ports 1)
# ---- end device certificates ----
# Tests need no durability of their own throwaway cluster.
SARANG_PG_FSYNC=off
export SARANG_PG_FSYNC

stack_init "$STATE" "$PG_PORT" "$HTTP_PORT"
# Every test connects from 127.0.0.1: a production-sized failure budget would let one test's
# refusals lock out the next. SARANG_TEST_CONF adds or overrides settings per test.
echo "access.connect_failures_per_minute = ${SARANG_TEST_FAILURES_PER_MINUTE:-100000}" \
    >>"$STATE/sarang.conf"
sed -i '/^http.port *=/d' "$STATE/sarang.conf" # HTTPS_PORT below
cat >>"$STATE/sarang.conf" <<CONF
gowa.base_url = http://127.0.0.1:$AUX_PORT
gowa.username = sarang-test
gowa.password = $(openssl rand -hex 12)
http.public_url = http://127.0.0.1:$HTTP_PORT
http.port = $HTTPS_PORT
http.loopback_port = $HTTP_PORT
http.redirect_port = $REDIRECT_PORT
http.tls_cert_file = $STATE/tls/server.crt
http.tls_key_file = $STATE/tls/server.key
CONF
tls_init "$STATE"
# SARANG_TEST_CONF="key = value | key = value" sets or replaces settings (a key may appear once;
# not ';', which CMake's ENVIRONMENT property splits on).
if [ -n "${SARANG_TEST_CONF:-}" ]; then
    IFS='|' read -ra overrides <<<"$SARANG_TEST_CONF"
    for setting in "${overrides[@]}"; do
        key=$(sed 's/^ *//; s/ *=.*//' <<<"$setting")
        sed -i "/^$key *=/d" "$STATE/sarang.conf"
        sed 's/^ *//; s/ *$//' <<<"$setting" >>"$STATE/sarang.conf"
    done
fi
pg_start "$STATE" "$PG_PORT"
sarangctl_in "$STATE" migrate >/dev/null
# ---- device certificates (issue #19 item 3): a mutual-TLS MQTT listener ----
# The device CA (beside tls_init's server certificate) signs device certificates (sarangctl
# devices cert); the listener admits only clients with one, and the access plugin maps its
# fingerprint to the device. No use_identity_as_username: with it mosquitto 2.0.11 skips the
# plugins' BASIC_AUTH (docs/identity-and-acl.md, "Device certificates").
sarangctl_in "$STATE" tls device-ca init --dir "$STATE/tls" >/dev/null
[ "$(id -u)" -ne 0 ] || chgrp mosquitto "$STATE/tls/device-ca.crt"
cat >"$STATE/mosquitto.extra.conf" <<CONF

# Device certificates: mutual TLS (with_stack.sh)
listener $MQTT_MTLS_PORT 127.0.0.1
cafile $STATE/tls/device-ca.crt
certfile $STATE/tls/server.crt
keyfile $STATE/tls/server.key
require_certificate true
CONF
export SARANG_TEST_MQTT_MTLS_PORT=$MQTT_MTLS_PORT
# ---- end device certificates ----
broker_start "$STATE" "$MQTT_PORT" "$MQTTS_PORT"
sidecar_start "$STATE" "$HTTP_PORT"

export SARANG_CONFIG="$STATE/sarang.conf"
export SARANG_TEST_SARANGCTL="$SARANG_BUILD/tools/sarangctl"
export SARANG_TEST_MQTT_PORT=$MQTT_PORT
export SARANG_TEST_HTTP_PORT=$HTTP_PORT
export SARANG_TEST_PG_PORT=$PG_PORT
export SARANG_TEST_STATE=$STATE
export SARANG_TEST_AUX_PORT=$AUX_PORT
export SARANG_TEST_MQTT2_PORT=$MQTT2_PORT
export SARANG_TEST_MQTTS_PORT=$MQTTS_PORT
export SARANG_TEST_HTTPS_PORT=$HTTPS_PORT
export SARANG_TEST_HTTP_REDIRECT_PORT=$REDIRECT_PORT
export SARANG_TEST_TLS_DIR=$STATE/tls
"$@"
