#!/usr/bin/env bash
# Proof on a clean root (issue #19, docs/deploy.md): installs the .deb that tools/package built
# into a fresh Debian 12 root (debootstrap minbase) with apt, Debian's dependencies coming from
# Debian's archive and nothing from the build tree; starts PostgreSQL and the services exactly as
# their systemd units say (ExecStartPre/ExecStart, User, AmbientCapabilities: this machine has
# no systemd as PID 1) after `systemd-analyze verify` of the installed units; creates an admin
# and a device, publishes over TLS on 8883 with mosquitto_pub --cafile, reads it back over
# HTTPS on 443 with curl --cacert; then `apt purge`s the package and lists what stays and what
# goes. Root only.
#
# The services run in network, mount and PID namespaces of their own (unshare): the packaged
# ports (443, 8883, 1883, 5432) are free there whatever the host runs, and every process the
# test started ends with the namespace.
#
# Usage: tests/package/clean_root_test.sh [DEB]   (default: the newest build-deb/sarang_*.deb)
# The debootstrap result is cached as build-deb/bookworm-minbase.tar (made when missing); the
# root itself is unpacked afresh every run into build-deb/clean-root/ (kept when the test fails).
set -euo pipefail
SARANG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out=${SARANG_DEB_DIR:-$SARANG_ROOT/build-deb}
root=$out/clean-root
CONF=/etc/sarang/sarang.conf
UNITS=/lib/systemd/system

step() { printf '\n==> %s\n' "$*"; }
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
R() { chroot "$root" "$@"; } # a command inside the clean root
service_pids=()

# The value(s) of KEY in UNIT and its drop-ins, in systemd's reading order.
unit_values() { # UNIT KEY
    local files=("$root$UNITS/$1")
    shopt -s nullglob
    files+=("$root$UNITS/$1.d/"*.conf "$root/etc/systemd/system/$1.d/"*.conf)
    shopt -u nullglob
    sed -n "s/^$2=//p" "${files[@]}"
}

# A unit's capability list (CAP_NET_BIND_SERVICE ...) as setpriv's "+net_bind_service,...".
setpriv_caps() { # UNIT KEY
    unit_values "$1" "$2" | tr ' ' '\n' | sed -n 's/^CAP_//p' | tr 'A-Z' 'a-z' | sed 's/^/+/' |
        paste -sd, -
}

# Runs UNIT's KEY command lines (ExecStartPre, ExecStart) in the root as the unit says: its
# User/Group with supplementary groups, AmbientCapabilities, CapabilityBoundingSet and
# NoNewPrivileges (the rest of its hardening: systemd-analyze verify and docs/deploy.md). Extra arguments are
# prefixed: `run_unit U ExecStart background` starts the last line in the background.
run_unit() { # UNIT KEY [background]
    local unit=$1 key=$2 mode=${3:-} user group caps line words
    user=$(unit_values "$unit" User | tail -n 1)
    group=$(unit_values "$unit" Group | tail -n 1)
    caps=$(setpriv_caps "$unit" AmbientCapabilities)
    local as=() bounding
    if [ -n "$user" ]; then
        as=(setpriv --reuid="$user" --regid="${group:-$user}" --init-groups)
        [ -z "$caps" ] || as+=(--inh-caps="$caps" --ambient-caps="$caps")
        bounding=$(setpriv_caps "$unit" CapabilityBoundingSet)
        [ -z "$bounding" ] || as+=(--bounding-set="-all,$bounding")
        [ "$(unit_values "$unit" NoNewPrivileges | tail -n 1)" != yes ] || as+=(--no-new-privs)
        as+=(--)
    fi
    mapfile -t lines < <(unit_values "$unit" "$key")
    [ ${#lines[@]} -gt 0 ] || fail "$unit has no $key"
    for line in "${lines[@]}"; do
        line=${line#[-@:+!]}
        read -ra words <<<"$line"
        echo "    [$unit${user:+ as $user}${caps:+ with $caps}] ${words[*]}"
        if [ "$mode" = background ]; then
            R "${as[@]}" "${words[@]}" >>"$root/var/log/${unit%.service}.out" 2>&1 &
            service_pids+=($!) # chroot and setpriv exec: the service's own pid
        else
            R "${as[@]}" "${words[@]}"
        fi
    done
}

wait_for_port() { # PORT SECONDS WHAT
    local deadline=$((SECONDS + $2))
    until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
        [ $SECONDS -lt "$deadline" ] || fail "$3 did not open port $1 within $2 s"
        sleep 0.2
    done
}

# --- Inside the namespaces -------------------------------------------------------------------

# Host network, own mount and PID namespaces: apt installs the package from the archive.
phase_install() {
    mount -t proc proc "$root/proc"
    mount -t devpts -o newinstance devpts "$root/dev/pts" # apt's terminal log
    step "apt install ./$(basename "$deb") (dependencies from Debian's archive)"
    R apt-get update -qq
    # Recommends left out but postgresql and postgresql-15-partman (what the package
    # recommends): a smaller, quicker root. The test's own tools: mosquitto-clients, curl;
    # systemd and procps only for `systemd-analyze verify` (sysinit.target, /bin/kill of
    # mosquitto.service).
    DEBIAN_FRONTEND=noninteractive R apt-get install -y -q --no-install-recommends \
        "/tmp/$(basename "$deb")" postgresql postgresql-15-partman mosquitto-clients curl \
        ca-certificates systemd procps 2>&1 |
        grep -E '^(Setting up (sarang|mosquitto |postgresql |postgresql-15-partman )|sarang:|Err|E:|W:)' || true
    R dpkg-query -W -f='${Status} ${Version}\n' sarang | grep -q "install ok installed 0.2.0" ||
        fail "sarang is not installed"
}

# No network but loopback: start, use, purge.
phase_run() {
    ip link set lo up
    mount -t proc proc "$root/proc"
    mount -t tmpfs tmpfs "$root/dev/shm"
    mount -t tmpfs tmpfs "$root/run"

    step "installed files"
    for path in /usr/bin/sarangctl /usr/bin/sarang-httpd /usr/lib/sarang/plugins \
        /usr/share/sarang/sql /usr/share/sarang/sql/superuser/pg_partman.sql \
        /usr/share/sarang/web /usr/share/sarang/openapi.json \
        /usr/share/man/man1/sarangctl.1.gz /usr/share/man/man8/sarang-httpd.8.gz \
        /etc/mosquitto/conf.d/sarang.conf $CONF /etc/sarang/tls/ca.crt /etc/sarang/tls/ca.key \
        /etc/sarang/tls/server.crt /etc/sarang/tls/server.key /etc/sarang/tls/device-ca.crt \
        /var/lib/sarang/storage /var/lib/sarang/journal; do
        R stat -c '    %A %U:%G %n' "$path" || fail "$path missing"
    done
    R id mosquitto | sed 's/^/    /'
    R id mosquitto | grep -q '(sarang)' || fail "mosquitto is not in group sarang"

    step "PostgreSQL, then dpkg-reconfigure sarang creates the role and database with pg_partman"
    R pg_ctlcluster 15 main start
    R dpkg-reconfigure sarang 2>&1 | sed 's/^/    /'
    R runuser -u postgres -- psql -qAt -c "SELECT datname FROM pg_database WHERE datname = 'sarang'" |
        grep -qx sarang || fail "no database sarang"
    local partman
    partman=$(R runuser -u postgres -- psql -d sarang -qAt -c \
        "SELECT extversion || ' in ' || extnamespace::regnamespace FROM pg_extension WHERE extname = 'pg_partman'")
    [ -n "$partman" ] || fail "postinst did not install pg_partman into database sarang"
    echo "    pg_partman $partman"

    step "sarang-migrate.service"
    run_unit sarang-migrate.service ExecStart
    step "mosquitto.service (Debian's unit and Sarang's drop-in)"
    run_unit mosquitto.service ExecStartPre
    run_unit mosquitto.service ExecStart background
    wait_for_port 8883 30 mosquitto
    step "sarang-httpd.service"
    run_unit sarang-httpd.service ExecStart background
    wait_for_port 443 30 sarang-httpd
    echo "    listening:"
    local listening
    listening=$(ss -Hltn | awk '{print $4}' | sort)
    sed 's/^/      /' <<<"$listening"
    grep -qx '0.0.0.0:8883' <<<"$listening" || fail "MQTT over TLS is not on every address"
    grep -qx '0.0.0.0:443' <<<"$listening" || fail "HTTPS is not on every address"
    grep -qx '0.0.0.0:8884' <<<"$listening" || fail "MQTT with device certificates is not on every address"
    ! grep -E ':(1883|80|8080)$' <<<"$listening" | grep -qv '^127\.0\.0\.1:' ||
        fail "plain MQTT or HTTP beyond loopback"

    step "an admin and a device (sarangctl)"
    local admin_once device password token
    admin_once=$(R sarangctl --config $CONF users ensure-admin | sed -n 's/.*one-time password: *//p')
    [ -n "$admin_once" ] || fail "no one-time admin password"
    device=$(R sarangctl --config $CONF devices create --kind hydro-sensor --name pi-1 \
        --owner admin --json)
    echo "    device: $(jq -c '{id, kind, username}' <<<"$device")"
    password=$(jq -r .password <<<"$device")
    local id
    id=$(jq -r .id <<<"$device")

    local H=https://localhost CA=(--cacert /etc/sarang/tls/ca.crt)
    step "HTTPS: sign in and first setup (curl --cacert)"
    token=$(R curl -sS "${CA[@]}" $H/api/auth/login -H 'Content-Type: application/json' \
        -d '{"username":"admin","password":"'"$admin_once"'"}' | jq -r .token)
    R curl -sS "${CA[@]}" $H/api/auth/first-setup -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -d '{"newPassword":"Sarang#Door2026","newPin":"482915"}' |
        grep -q '"success":true' || fail "first setup"
    R curl -sS -o /dev/null -D - "${CA[@]}" $H/healthz | grep -i '^strict-transport-security' | sed 's/^/    /' ||
        fail "no HSTS header"

    step "MQTT over TLS on 8883 (mosquitto_pub --cafile)"
    R mosquitto_pub -h localhost -p 8883 --cafile /etc/sarang/tls/ca.crt -i "$id" -u "$id" \
        -P "$password" -q 1 -t "hydro/$id/reading" -m '{"tds":512.3,"ph":6.8}'
    echo "    published hydro/$id/reading"
    if R mosquitto_pub -h localhost -p 8883 -i "$id" -u "$id" -P "$password" -t "hydro/$id/reading" \
        -m '{}' 2>/dev/null; then
        fail "a plain-text client was accepted on 8883"
    fi
    echo "    plain text on 8883: refused"

    step "a device certificate on 8884 (sarangctl devices cert, mosquitto_pub --cert)"
    R install -d -m 0700 /tmp/device-cert
    R sarangctl --config $CONF devices cert "$id" --generate --out-dir /tmp/device-cert |
        sed 's/^/    /'
    local cert_file=/tmp/device-cert/$id.crt key_file=/tmp/device-cert/$id.key
    R mosquitto_pub -h localhost -p 8884 --cafile /etc/sarang/tls/ca.crt --cert "$cert_file" \
        --key "$key_file" -i "$id" -q 1 -t "hydro/$id/reading" -m '{"tds":498.0,"ph":6.9}' ||
        fail "the device's certificate was refused on 8884"
    echo "    published hydro/$id/reading with its certificate"
    if R mosquitto_pub -h localhost -p 8884 --cafile /etc/sarang/tls/ca.crt -i "$id" -u "$id" \
        -P "$password" -t "hydro/$id/reading" -m '{}' 2>/dev/null; then
        fail "a client without a certificate was accepted on 8884"
    fi
    echo "    no certificate on 8884: refused"

    step "HTTPS: the reading (curl --cacert)"
    local latest=""
    for _ in $(seq 100); do
        latest=$(R curl -sS "${CA[@]}" $H/api/v1/readings/latest/ -H "Authorization: Bearer $token")
        grep -q "\"$id\"" <<<"$latest" && break
        sleep 0.2
    done
    grep -q "\"$id\"" <<<"$latest" || fail "the reading did not arrive: $latest"
    echo "    $(jq -c '.results[0] // .[0] // .' <<<"$latest" | cut -c1-160)"

    step "sarangctl retention status: the partitions pg_partman made"
    local retention
    retention=$(R sarangctl --config $CONF retention status --json)
    jq -r '.partitioned[] | "    \(.table): \(.partitions | length) partitions, next to go \(.next_drop.partition)"' \
        <<<"$retention"
    [ "$(jq '[.partitioned[] | select(.table == "public.readings") | .partitions | length][0] // 0' \
        <<<"$retention")" -ge 5 ] || fail "retention status shows no partitions of readings"
    R sarangctl --config $CONF retention run | sed 's/^/    /' || fail "sarangctl retention run"

    step "stop the services, apt purge sarang"
    kill -TERM "${service_pids[@]}"
    wait "${service_pids[@]}" || true
    R pg_ctlcluster 15 main stop
    find "$root/var/lib/sarang" -maxdepth 2 | sed "s|^$root|    before: |"
    R apt-get purge -y -q sarang 2>&1 | grep -E '^(Removing|Purging)' | sed 's/^/    /'

    step "what went"
    for path in /usr/bin/sarangctl /usr/bin/sarang-httpd /usr/lib/sarang /usr/share/sarang \
        /etc/sarang /etc/mosquitto/conf.d/sarang.conf $UNITS/sarang-httpd.service \
        $UNITS/sarang-migrate.service $UNITS/mosquitto.service.d/sarang.conf; do
        [ ! -e "$root$path" ] || fail "$path survived the purge"
        echo "    gone:  $path"
    done
    step "what stays"
    [ -d "$root/var/lib/sarang/storage" ] || fail "/var/lib/sarang was removed"
    find "$root/var/lib/sarang" -maxdepth 2 | sed "s|^$root|    stays: |"
    R getent passwd sarang | sed 's/^/    stays: user /'
    R pg_ctlcluster 15 main start
    R runuser -u postgres -- psql -qAt -c \
        "SELECT 'stays: database ' || datname || ' (' || pg_size_pretty(pg_database_size(datname)) || ')' FROM pg_database WHERE datname = 'sarang'" |
        sed 's/^/    /' | grep . || fail "the database is gone"
    R pg_ctlcluster 15 main stop
    R dpkg-query -W -f='    stays: ${Package} ${Version} (a dependency)\n' mosquitto
}

case "${1:-}" in
--phase-install | --phase-run)
    root=$2 deb=$3
    "phase_${1#--phase-}"
    exit 0
    ;;
esac

# --- On the host -----------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || fail "run as root (debootstrap, chroot, namespaces)"
deb=${1:-$(ls -t "$out"/sarang_*.deb 2>/dev/null | head -n 1)}
[ -f "$deb" ] || fail "no package: run tools/package first (or name the .deb)"
for tool in debootstrap unshare jq; do
    command -v "$tool" >/dev/null || fail "$tool missing (tools/package installs debootstrap)"
done

base=$out/bookworm-minbase.tar
if [ ! -s "$base" ]; then
    step "debootstrap --variant=minbase bookworm (cached as $base)"
    rm -rf "$out/debootstrap"
    debootstrap --variant=minbase bookworm "$out/debootstrap" http://deb.debian.org/debian \
        >"$out/debootstrap.log" 2>&1 || { tail -n 20 "$out/debootstrap.log" >&2; exit 1; }
    tar -C "$out/debootstrap" -cf "$base.tmp" . && mv "$base.tmp" "$base"
    rm -rf "$out/debootstrap"
fi
step "a fresh Debian 12 root in $root"
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xf "$base"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# What Debian's installer writes and debootstrap does not.
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"
# The archive's bookworm, -updates and -security: what the package's dependencies were built
# against.
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
fi
# No init system here: package scripts must not try to start services (they run below).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
cp "$deb" "$root/tmp/"

self=$(readlink -f "${BASH_SOURCE[0]}")
unshare --mount --pid --fork --mount-proc --propagation private bash "$self" --phase-install "$root" "$deb"

step "systemd-analyze verify (the installed units; mosquitto.service from Debian's package)"
verify_log=$out/systemd-analyze.log
chroot "$root" systemd-analyze verify --man=no $UNITS/sarang-migrate.service \
    $UNITS/sarang-httpd.service $UNITS/mosquitto.service >"$verify_log" 2>&1 ||
    { cat "$verify_log" >&2; fail "systemd-analyze verify"; }
[ ! -s "$verify_log" ] || { cat "$verify_log" >&2; fail "systemd-analyze verify warned"; }
echo "    clean (man pages: checked among the installed files)"

unshare --net --mount --pid --fork --mount-proc --propagation private bash "$self" --phase-run "$root" "$deb"
rm -rf "$root"
echo
echo "==> clean-root test passed"
