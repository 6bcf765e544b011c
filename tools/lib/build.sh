# Configures and builds. tools/up and tools/test configure build/ the same way (only the targets
# differ), so running one after the other never reconfigures the other's build away.
# Usage: build_sarang BUILD_DIR SANITIZE(ON|OFF) [TARGET...]
# A sanitizer build's integration tests load the plugins of build/ (SARANG_PLUGIN_BUILD).
build_sarang() {
    local build_dir=$1 sanitize=$2
    shift 2
    local targets=()
    for target in "$@"; do targets+=(--target "$target"); done
    local plugin_build=""
    [ "$sanitize" = OFF ] || plugin_build=$SARANG_ROOT/build
    cmake -S "$SARANG_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSARANG_TESTS=ON \
        -DSARANG_SANITIZE="$sanitize" -DSARANG_PLUGIN_BUILD="$plugin_build" >/dev/null
    cmake --build "$build_dir" -j "$(nproc)" "${targets[@]}"
}

# The libFuzzer targets (clang, SARANG_FUZZ=ON) in their own folder; SECONDS per smoke test.
# Usage: build_fuzzers BUILD_DIR SECONDS
build_fuzzers() {
    local build_dir=$1 seconds=$2
    CC=clang-14 CXX=clang++-14 cmake -S "$SARANG_ROOT" -B "$build_dir" \
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSARANG_FUZZ=ON -DSARANG_FUZZ_SECONDS="$seconds" \
        >/dev/null
    cmake --build "$build_dir" -j "$(nproc)" --target sarang_fuzzers
}
