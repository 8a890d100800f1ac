#!/usr/bin/env bash
# Replays a fixed redis-cli session against keel and against a real redis-server (each
# started here on a free port) and requires identical output.
#
#   tests/transcript/run.sh                                  # keel = build/keel
#   KEEL_BIN=/usr/bin/redis-server tests/transcript/run.sh   # self-check: redis vs redis
#
# Env: KEEL_BIN (default <repo>/build/keel), REDIS_BIN (default /usr/bin/redis-server),
#      KEEL_ARGS (extra args for keel). Prints "transcript: 1 passed, 0 failed" or
#      "transcript: 0 passed, 1 failed" (with a diff); exit status 0 or 1.
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
# shellcheck source=../lib/server.sh
source "$REPO/tests/lib/server.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-transcript.XXXXXX")
cleanup() {
    servers_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

SESSION=(
    "PING"
    "ECHO zig"
    "SET test zig"
    "GET test"
    "RPUSH list test"
    "RPUSH list again"
    "RPUSH list foo bar"
    "LRANGE list 0 1"
    "LRANGE list 0 3"
    "LPOP list"
    "LPOP list 2"
    "LPUSH foo a"
    "LPUSH foo b"
    "LPUSH foo c"
    "LRANGE foo 0 2"
    "LLEN foo"
    "LPOP foo"
)

# replay PORT OUTFILE: one redis-cli invocation per command, output appended after "> cmd".
replay() {
    local port=$1 out=$2 line
    : >"$out"
    for line in "${SESSION[@]}"; do
        echo "> $line" >>"$out"
        # Word splitting is intended: the session has no quoted arguments.
        # shellcheck disable=SC2086
        timeout 10 redis-cli -h 127.0.0.1 -p "$port" $line >>"$out" 2>&1
        echo "(exit $?)" >>"$out"
    done
}

fail() {
    echo "$1" >&2
    echo "transcript: 0 passed, 1 failed"
    exit 1
}

if [ "$(realpath "$KEEL_BIN" 2>/dev/null)" = "$(realpath "$REDIS_BIN" 2>/dev/null)" ]; then
    echo "note: KEEL_BIN is the reference redis-server (self-check)"
fi
keel_args=()
if [ "$(basename "$KEEL_BIN")" != "redis-server" ] && [ -n "${KEEL_ARGS:-}" ]; then
    read -r -a keel_args <<<"$KEEL_ARGS"
fi
server_start "$KEEL_BIN" "$WORK/keel.log" "${keel_args[@]}" || fail "could not start $KEEL_BIN"
KEEL_PORT=$SERVER_PORT
server_start "$REDIS_BIN" "$WORK/redis.log" || fail "could not start $REDIS_BIN"
REDIS_PORT=$SERVER_PORT

replay "$KEEL_PORT" "$WORK/keel.out"
replay "$REDIS_PORT" "$WORK/redis.out"

if diff -u --label "redis-server (expected)" --label "keel ($KEEL_BIN)" \
        "$WORK/redis.out" "$WORK/keel.out"; then
    echo "transcript: 1 passed, 0 failed"
    exit 0
fi
echo "transcript: 0 passed, 1 failed"
exit 1
