#!/usr/bin/env bash
# README "Try it", replayed (issue #18 items 3 and 6). Run by with_stack.sh against a real stack.
#
# The ```sh blocks of README.md's "Try it" section run as written, in one bash with `set -e`, in
# a folder where build/ and .state/ are this build and this stack's state folder, with the
# variables the README itself names: SARANG_ADMIN_PASSWORD (the one-time password of `users
# ensure-admin`), SARANG_HTTP_PORT and SARANG_MQTT_PORT. Every `# => TEXT` line of those blocks
# must appear in the output, in order. So README and test cannot drift.
#
# Before that, the payment key: no key answers 503; `sarangctl payments set-key` (stdin, then
# --file; never argv) is used by the running sidecar at once; tools/up's key generation.
set -euo pipefail
: "${SARANG_TEST_STATE:?}" "${SARANG_TEST_HTTP_PORT:?}" "${SARANG_TEST_MQTT_PORT:?}"
: "${SARANG_BUILD:?}" "${SARANG_ROOT:?}"
source "$SARANG_ROOT/tools/lib/stack.sh"
STATE=$SARANG_TEST_STATE
H=http://127.0.0.1:$SARANG_TEST_HTTP_PORT
CTL=("$SARANG_BUILD/tools/sarangctl" --config "$STATE/sarang.conf")
WORK=$(mktemp -d /tmp/sarang-readme.XXXXXX)
GROUP=""
cleanup() {
    # The README's background simulators, when a block failed before its own kill: the replay
    # runs in a process group of its own.
    if [ -n "$GROUP" ] && kill -TERM -- "-$GROUP" 2>/dev/null; then
        for _ in $(seq 50); do # they save their state files through $WORK/.state on the way out
            kill -0 -- "-$GROUP" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# ---- Item 3: the payment server key -------------------------------------------------------
webhook() { # ORDER KEY: HTTP status of a settlement notification signed with KEY
    local sig
    sig=$(printf '%s' "$1" 200 10000.00 "$2" | sha512sum | cut -d' ' -f1)
    curl -s -o /dev/null -w '%{http_code}' "$H/api/payments/webhook" \
        -H 'Content-Type: application/json' \
        -d '{"order_id":"'"$1"'","status_code":"200","gross_amount":"10000.00",'`
          `'"transaction_status":"settlement","signature_key":"'"$sig"'"}'
}
sidecar_pid=$(cat "$STATE/run/httpd.pid")
[ "$(webhook ORD-none SB-Mid-server-first-key)" = 503 ] || fail "no key: webhook is not 503"
# A key on the command line is refused (it would sit in shell history and ps).
if "${CTL[@]}" payments set-key SB-Mid-server-first-key >/dev/null 2>&1; then
    fail "set-key took the key from argv"
fi
grep -q midtrans_server_key "$STATE/sarang.conf" && fail "argv key was written"
mode_before=$(stat -c '%a %U %G' "$STATE/sarang.conf")
echo SB-Mid-server-first-key | "${CTL[@]}" payments set-key >/dev/null
[ "$(stat -c '%a %U %G' "$STATE/sarang.conf")" = "$mode_before" ] || fail "mode/owner changed"
# The running sidecar verifies with it: a signed notification reaches the order lookup (404).
[ "$(webhook ORD-none SB-Mid-server-first-key)" = 404 ] || fail "stdin key not picked up"
printf 'SB-Mid-server-second-key\n' >"$WORK/key"
"${CTL[@]}" payments set-key --file "$WORK/key" >/dev/null
[ "$(webhook ORD-none SB-Mid-server-first-key)" = 401 ] || fail "the replaced key still verifies"
[ "$(webhook ORD-none SB-Mid-server-second-key)" = 404 ] || fail "--file key not picked up"
[ "$(grep -c '^vending.midtrans_server_key' "$STATE/sarang.conf")" = 1 ] || fail "key set twice"
echo "not a key" | "${CTL[@]}" payments set-key >/dev/null 2>&1 && fail "a malformed key was taken"
# A hand edit that breaks the file keeps the last good key (and says so in the log).
cp -p "$STATE/sarang.conf" "$WORK/good.conf"
cp -p "$STATE/sarang.conf" "$STATE/broken.conf"
echo "vending.midtrans_server_key" >>"$STATE/broken.conf"
mv "$STATE/broken.conf" "$STATE/sarang.conf"
[ "$(webhook ORD-none SB-Mid-server-second-key)" = 404 ] || fail "a broken file lost the key"
cp -p "$WORK/good.conf" "$STATE/sarang.conf"
[ "$(cat "$STATE/run/httpd.pid")" = "$sidecar_pid" ] || fail "the sidecar restarted"
# tools/up: a generated key on the first start only.
mkdir "$WORK/up-state"
echo "http.port = 1" >"$WORK/up-state/sarang.conf"
first=$(payment_key_init "$WORK/up-state")
[[ $first == SB-Mid-server-* ]] || fail "tools/up generated no sandbox key"
[ -z "$(payment_key_init "$WORK/up-state")" ] || fail "tools/up generated a second key"
echo "payments: key hot-reloaded (503 -> 404 -> 401/404), argv and bad keys refused, broken file keeps the key, tools/up key once"

# ---- Item 6: README "Try it" ---------------------------------------------------------------
readme=$SARANG_ROOT/README.md
awk '/^## Try it/ {on = 1; next} /^## / {on = 0}
     on && /^```sh$/ {block = 1; next} block && /^```$/ {block = 0; print ""; next}
     on && block' "$readme" >"$WORK/try-it.sh"
[ "$(grep -c . "$WORK/try-it.sh")" -gt 20 ] || fail "no sh blocks found under README's ## Try it"
# tools/up must build every program the README runs from build/.
up_targets=$(sed -n '/^build_sarang/,/^$/p' "$SARANG_ROOT/tools/up")
for program in $(grep -o 'build/[a-z-]*/[a-z-]*' "$WORK/try-it.sh" | sort -u); do
    grep -qw -- "$(basename "$program")" <<<"$up_targets" ||
        fail "README runs $program but tools/up does not build it"
done
admin_password=$("${CTL[@]}" users ensure-admin | sed -n 's/.*one-time password: *//p')
[ -n "$admin_password" ] || fail "no one-time admin password"
ln -s "$SARANG_BUILD" "$WORK/build"
ln -s "$STATE" "$WORK/.state"
started=$SECONDS
(
    cd "$WORK"
    export SARANG_ADMIN_PASSWORD=$admin_password SARANG_HTTP_PORT=$SARANG_TEST_HTTP_PORT
    export SARANG_MQTT_PORT=$SARANG_TEST_MQTT_PORT
    exec setsid timeout 180 bash -c 'exec {trace}>trace.log; BASH_XTRACEFD=$trace; set -ex; source ./try-it.sh' \
        >"$WORK/out.log" 2>&1 </dev/null
) &
GROUP=$!
status=0
wait "$GROUP" || status=$?
# The simulators the README stopped save their state files on the way out: let them finish.
for _ in $(seq 100); do
    kill -0 -- "-$GROUP" 2>/dev/null || break
    sleep 0.1
done
show() {
    echo "---- README commands traced ----"
    tail -n 60 "$WORK/trace.log"
    echo "---- their output ----"
    cut -c1-300 "$WORK/out.log" | head -n 150
}
[ "$status" -eq 0 ] || { show; fail "README 'Try it' stopped with status $status"; }
# Each `# => TEXT` in order.
if ! awk 'NR == FNR { if (sub(/^# => /, "")) want[++n] = $0; next }
          { line = $0   # curl prints no final newline: several answers may share a line
            while (i < n && (at = index(line, want[i + 1]))) {
                line = substr(line, at + length(want[i + 1])); i++ } }
          END { if (i < n) { print "missing in the output: " want[i + 1]; exit 1 }
                print n " expected lines seen" }' "$WORK/try-it.sh" "$WORK/out.log"; then
    show
    fail "README 'Try it' output differs from its # => lines"
fi
echo "README 'Try it' replayed in $((SECONDS - started)) s"
