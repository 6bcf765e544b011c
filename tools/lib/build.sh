# Configures and builds into a folder. Usage: build_sarang BUILD_DIR [cmake -D options...]
build_sarang() {
    local build_dir=$1
    shift
    cmake -S "$SARANG_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
    cmake --build "$build_dir" -j "$(nproc)"
}
