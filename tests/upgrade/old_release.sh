# shellcheck shell=bash
# Builds the previous release's broker plugins, sarang-httpd and sarangctl from git history into
# a cache folder that later runs reuse (docs/upgrading.md, tests/upgrade/upgrade_test.sh).
# Sourced; expects SARANG_ROOT. The cache folder holds the release's source tree with its build
# in build/ beneath it: the same layout as the checkout and its build/, so with
# CCACHE_BASEDIR/CCACHE_NOHASHDIR the compiler cache of the current build serves every file the
# release shares with it.
#
# old_release_build COMMIT DIR: 0 when DIR/build holds the release's binaries; 77 (ctest's skip
# code) when the commit is missing from a shallow clone; 1 on any other failure.
OLD_RELEASE_TARGETS=(sarang_access sarang_provision sarang_commands sarang_telemetry
    sarang_vending sarang_doorlock sarang-httpd sarangctl)

old_release_build() {
    local commit=$1 dir=$2
    if ! git -C "$SARANG_ROOT" rev-parse --git-dir >/dev/null 2>&1; then
        echo "SKIP: $SARANG_ROOT is not a git checkout: the previous release cannot be built" >&2
        return 77
    fi
    if ! git -C "$SARANG_ROOT" cat-file -e "$commit^{commit}" 2>/dev/null; then
        if [ "$(git -C "$SARANG_ROOT" rev-parse --is-shallow-repository)" = true ]; then
            echo "SKIP: commit $commit (the previous release) is not in this shallow clone;" \
                "fetch the history (git fetch --unshallow, or CI checkout fetch-depth: 0)" >&2
            return 77
        fi
        echo "commit $commit (the previous release) is missing from a full clone" >&2
        return 1
    fi
    local stamp=$dir/.sarang-release-commit
    if [ "$(cat "$stamp" 2>/dev/null)" != "$commit" ]; then
        rm -rf "$dir"
        mkdir -p "$dir"
        git -C "$SARANG_ROOT" archive "$commit" | tar -x -C "$dir" || return 1
        echo "$commit" >"$stamp"
    fi
    local targets=()
    for target in "${OLD_RELEASE_TARGETS[@]}"; do targets+=(--target "$target"); done
    local launcher=()
    if command -v ccache >/dev/null; then
        launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    fi
    if ! cmake -S "$dir" -B "$dir/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSARANG_TESTS=OFF \
        -DSARANG_SANITIZE=OFF "${launcher[@]}" >"$dir/build.log" 2>&1 ||
        ! cmake --build "$dir/build" -j "$(nproc)" "${targets[@]}" >>"$dir/build.log" 2>&1; then
        tail -n 30 "$dir/build.log" >&2
        return 1
    fi
}
