#!/usr/bin/env bash
# Stops or starts one part of the stack that with_stack.sh started, for fault tests:
#   stack_control.sh postgres|broker stop|start
set -euo pipefail
: "${SARANG_ROOT:?}" "${SARANG_BUILD:?}" "${SARANG_TEST_STATE:?}"
source "$SARANG_ROOT/tools/lib/stack.sh"
case "$1 $2" in
"postgres stop") pg_stop "$SARANG_TEST_STATE" ;;
"postgres start") pg_start "$SARANG_TEST_STATE" "$SARANG_TEST_PG_PORT" ;;
"broker stop") stop_pidfile "$SARANG_TEST_STATE/run/mosquitto.pid" ;;
"broker start") broker_start "$SARANG_TEST_STATE" "$SARANG_TEST_MQTT_PORT" ;;
*)
    echo "usage: stack_control.sh postgres|broker stop|start" >&2
    exit 2
    ;;
esac
