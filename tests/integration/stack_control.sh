#!/usr/bin/env bash
# Stops or starts one part of the stack that with_stack.sh started, for fault tests:
#   stack_control.sh postgres|broker|sidecar stop|start|kill   (kill: SIGKILL, broker or sidecar)
set -euo pipefail
: "${SARANG_ROOT:?}" "${SARANG_BUILD:?}" "${SARANG_TEST_STATE:?}"
source "$SARANG_ROOT/tools/lib/stack.sh"
case "$1 $2" in
"postgres stop") pg_stop "$SARANG_TEST_STATE" ;;
"postgres start") pg_start "$SARANG_TEST_STATE" "$SARANG_TEST_PG_PORT" ;;
"broker stop") stop_pidfile "$SARANG_TEST_STATE/run/mosquitto.pid" ;;
"broker start") broker_start "$SARANG_TEST_STATE" "$SARANG_TEST_MQTT_PORT" ;;
"sidecar stop") stop_pidfile "$SARANG_TEST_STATE/run/httpd.pid" ;;
"broker kill" | "sidecar kill")
    pidfile=$SARANG_TEST_STATE/run/$([ "$1" = broker ] && echo mosquitto || echo httpd).pid
    pid=$(cat "$pidfile")
    kill -KILL "$pid"
    rm -f "$pidfile"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done # its port is free once it is gone
    ;;
"sidecar start") sidecar_start "$SARANG_TEST_STATE" "$SARANG_TEST_HTTP_PORT" ;;
*)
    echo "usage: stack_control.sh postgres|broker|sidecar stop|start|kill" >&2
    exit 2
    ;;
esac
