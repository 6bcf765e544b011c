# Configures and builds. tools/up and tools/test configure build/ the same way (only the targets
# differ), so running one after the other never reconfigures the other's build away.
# Usage: build_sarang BUILD_DIR SANITIZE(ON|OFF) [TARGET...]
build_sarang() {
    local build_dir=$1 sanitize=$2
    shift 2
    local targets=()
    for target in "$@"; do targets+=(--target "$target"); done
    cmake -S "$SARANG_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSARANG_TESTS=ON \
        -DSARANG_SANITIZE="$sanitize" >/dev/null
    cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
}
