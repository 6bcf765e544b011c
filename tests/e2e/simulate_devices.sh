#!/usr/bin/env bash
# Stand-in for the device simulator (firmware/sim, to come): registers hydroponics probes
# pi-FROM..pi-TO owned by OWNER and has each publish readings over MQTT, staying connected
# between rounds so it shows online. Swap this one script for sarang-sim when it lands.
#
# Usage: simulate_devices.sh OWNER FROM TO [ROUNDS] [INTERVAL_S]
#   ROUNDS (default 1) readings per device, INTERVAL_S (default 2) apart; the values differ per
#   device so that the dashboard shows normal, warning and critical levels.
# Needs SARANG_TEST_SARANGCTL, SARANG_CONFIG and SARANG_TEST_MQTT_PORT (with_stack.sh sets them).
set -euo pipefail
: "${SARANG_TEST_SARANGCTL:?}" "${SARANG_CONFIG:?}" "${SARANG_TEST_MQTT_PORT:?}"
owner=$1 from=$2 to=$3 rounds=${4:-1} interval=${5:-2}

csv=$(mktemp /tmp/sarang-sim.XXXXXX.csv)
trap 'rm -f "$csv"; kill $(jobs -p) 2>/dev/null || true' EXIT
rm -f "$csv" # sarangctl creates it with mode 0600
"$SARANG_TEST_SARANGCTL" --config "$SARANG_CONFIG" devices create --kind hydro-sensor \
    --name 'pi-{n}' --from "$from" --to "$to" --csv "$csv" --owner "$owner" >/dev/null

# One reading a round: pH walks around 6 (5.5-6.5 normal, 5.0-7.0 warning, beyond critical),
# TDS around 800 ppm (400-1200 normal, 200-1600 warning).
readings() { # n
    local n=$1 round
    for ((round = 0; round < rounds; round++)); do
        awk -v n="$n" -v r="$round" 'BEGIN {
            ph = 4.6 + ((n * 37 + r * 11) % 30) / 10; tds = 150 + ((n * 173 + r * 29) % 1600);
            printf "{\"ph\":%.2f,\"tds\":%d,\"temperature\":%.1f}\n", ph, tds, 20 + (n % 8) }'
        [ "$round" -eq $((rounds - 1)) ] || sleep "$interval"
    done
}

# The broker learns of new devices from its snapshot a moment after sarangctl commits: until
# then a CONNECT is refused. Each device says it is online, retrying for up to 20 s.
say_online() { # client_id username password prefix
    local deadline=$((SECONDS + 20))
    until mosquitto_pub -h 127.0.0.1 -p "$SARANG_TEST_MQTT_PORT" -i "$1" -u "$2" -P "$3" -q 1 \
        -t "$4/status" -m online 2>/dev/null; do
        [ $SECONDS -lt $deadline ] || { echo "simulate_devices: $2 never admitted" >&2; return 1; }
        sleep 0.2
    done
}

# device_id,mqtt_username,mqtt_client_id,mqtt_password,topic_prefix
devices=()
while IFS=, read -r id username client_id password prefix; do
    [ "$id" != device_id ] || continue # the header line
    devices+=("$id,$username,$client_id,$password,$prefix")
done <"$csv"
for device in "${devices[@]}"; do
    IFS=, read -r id username client_id password prefix <<<"$device"
    say_online "$client_id" "$username" "$password" "$prefix" &
done
for job in $(jobs -p); do wait "$job"; done
for device in "${devices[@]}"; do
    IFS=, read -r id username client_id password prefix <<<"$device"
    readings "${id#pi-}" | mosquitto_pub -h 127.0.0.1 -p "$SARANG_TEST_MQTT_PORT" \
        -i "$client_id" -u "$username" -P "$password" -q 1 -t "$prefix/reading" -l &
done
wait
trap - EXIT
rm -f "$csv"
