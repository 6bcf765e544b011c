# Debian 12 packages Sarang builds, runs and tests with. Sourced by tools/up and tools/test.
SARANG_PACKAGES=(
    build-essential cmake pkg-config
    postgresql-15 postgresql-client-15 postgresql-15-partman
    mosquitto mosquitto-dev libmosquitto-dev mosquitto-clients
    libpq-dev libmicrohttpd-dev libgnutls28-dev libjansson-dev libargon2-dev libssl-dev libcmocka-dev
    libcurl4-openssl-dev libvips-dev libcjson-dev curl jq openssl
    chromium chromium-driver
    clang-14 libclang-rt-14-dev valgrind
)
# The dashboard builds with Node and npm (Node 20 is the tested version). A machine that has a
# node of its own (NodeSource's bundles npm) keeps it: Debian's npm package would conflict.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || SARANG_PACKAGES+=(nodejs npm)

# Installs whatever is missing. Root runs apt-get directly; others need sudo.
ensure_packages() {
    local missing=() package
    for package in "${SARANG_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "==> installing Debian packages: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    # Installing mosquitto or postgresql must not start system-wide services on their default
    # ports: policy-rc.d refuses service starts for the duration of the install.
    local policy=/usr/sbin/policy-rc.d created_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod +x "$policy"
        created_policy=1
    fi
    local status=0
    "${sudo[@]}" apt-get update -qq &&
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
            "${missing[@]}" || status=$?
    [ "$created_policy" -eq 1 ] && "${sudo[@]}" rm -f "$policy"
    return "$status"
}
