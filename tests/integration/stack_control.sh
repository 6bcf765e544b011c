#!/usr/bin/env bash
# Stops or starts one part of the stack that with_stack.sh started, for fault tests:
#   stack_control.sh postgres|broker|sidecar stop|start|kill   (kill: SIGKILL, broker or sidecar)
#   stack_control.sh broker2 start|stop|kill
# broker2 is a second broker node on the same database (node name "second-node", port
# SARANG_TEST_MQTT2_PORT, its own journal and logs in $SARANG_TEST_STATE/node2).
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
"broker2 start")
    node2=$SARANG_TEST_STATE/node2
    mkdir -p "$node2/log" "$node2/run"
    chmod 755 "$node2"
    if [ "$(id -u)" -eq 0 ]; then
        chmod 775 "$node2/log"
        chgrp mosquitto "$node2/log" 2>/dev/null || true
    fi
    (
        umask 027
        grep -v '^broker.node_name *=' "$SARANG_TEST_STATE/sarang.conf" >"$node2/sarang.conf"
        echo "broker.node_name = second-node" >>"$node2/sarang.conf"
    )
    [ "$(id -u)" -ne 0 ] || chgrp mosquitto "$node2/sarang.conf"
    broker_start "$node2" "$SARANG_TEST_MQTT2_PORT"
    ;;
"broker2 stop") stop_pidfile "$SARANG_TEST_STATE/node2/run/mosquitto.pid" ;;
"broker2 kill")
    pid=$(cat "$SARANG_TEST_STATE/node2/run/mosquitto.pid")
    kill -KILL "$pid"
    rm -f "$SARANG_TEST_STATE/node2/run/mosquitto.pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    ;;
*)
    echo "usage: stack_control.sh postgres|broker|broker2|sidecar stop|start|kill" >&2
    exit 2
    ;;
esac
