# Sourced by the benchmarks that run mosquitto without Sarang beside it (brokers.sh, storm.sh):
# the same devices with passwords of their own, the seeds' per-device ACL, and a broker config.
# Needs STATE (the benchmark's folder) with sarang.csv from `sarangctl devices bulk-create`.

# Writes STATE/sarang.creds (Sarang's device passwords), STATE/plain.creds (other passwords for
# the same ids), STATE/passwd (mosquitto_passwd's hashes of those) and STATE/acl.
plain_broker_credentials() {
    tail -n +2 "$STATE/sarang.csv" | awk -F, '{ print $1, $4 }' >"$STATE/sarang.creds"
    awk '{ print $1, "pw" NR "x" $1 }' "$STATE/sarang.creds" >"$STATE/plain.creds"
    awk '{ print $1 ":" $2 }' "$STATE/plain.creds" >"$STATE/passwd"
    mosquitto_passwd -U "$STATE/passwd"
    cat >"$STATE/acl" <<'ACL'
pattern write hydro/%u/reading
pattern write hydro/%u/status
pattern read hydro/%u/config
ACL
}

# STATE/NAME.mosquitto.conf: one loopback listener on PORT, no persistence, quiet logs, then the
# extra lines given. Usage: broker_conf NAME PORT [LINE...]
broker_conf() {
    local name=$1 port=$2
    shift 2
    {
        echo "per_listener_settings false"
        echo "listener $port 127.0.0.1"
        echo "set_tcp_nodelay true"
        echo "persistence false"
        echo "log_dest stderr"
        echo "log_type error"
        echo "log_type warning"
        echo "connection_messages false"
        printf '%s\n' "$@"
    } >"$STATE/$name.mosquitto.conf"
}

# Starts mosquitto with STATE/NAME.mosquitto.conf (on BROKER_CPUS when set), records its pid in
# PIDS and BROKER_PID[NAME], and waits for PORT. Usage: start_broker NAME PORT
start_broker() {
    local name=$1 port=$2
    "${BROKER_CPUS[@]}" mosquitto -c "$STATE/$name.mosquitto.conf" >>"$STATE/log/$name.log" 2>&1 &
    PIDS+=($!)
    BROKER_PID[$name]=$!
    wait_for_port "$port" 20 "$name broker" || { cat "$STATE/log/$name.log" >&2; exit 1; }
}
