#!/usr/bin/env bash
# Benchmark smoke test: redis-benchmark must run cleanly against the server and the data it
# wrote must read back correctly. Not a performance test (see bench/compare.sh for that).
#
#   tests/benchmark/run.sh                                  # keel = build/keel
#   KEEL_BIN=/usr/bin/redis-server tests/benchmark/run.sh   # self-check against Redis
#
# Env: KEEL_BIN (default <repo>/build/keel), KEEL_ARGS (extra server args),
#      BENCH_N (default 20000). Prints "benchmark-smoke: N passed, M failed"; exit 0 iff M=0.
#
# What redis-benchmark 7.0 writes (checked against redis-server 7.0.15): without -r the keys
# are literally "key:__rand_int__", "counter:__rand_int__" and "mylist". SET and MSET store
# the same -d byte payload (7.0 fills it with pseudo-random letters from a fixed seed, e.g.
# "VXK" for -d 3; older versions used "xxx"), INCR runs exactly -n times, and the list tests
# push 2n and pop 2n elements, so "mylist" ends empty (the key no longer exists).
set -u
REPO=$(cd "$(dirname "$0")/../.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
N=${BENCH_N:-20000}
# shellcheck source=../lib/server.sh
source "$REPO/tests/lib/server.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-bench-smoke.XXXXXX")
cleanup() {
    servers_stop_all
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

PASSED=0
FAILED=0
check() {  # check NAME EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        PASSED=$((PASSED + 1))
        echo "ok   $1"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $1: expected '$2', got '$3'"
    fi
}
check_match() {  # check_match NAME REGEX ACTUAL
    if [[ "$3" =~ $2 ]]; then
        PASSED=$((PASSED + 1))
        echo "ok   $1"
    else
        FAILED=$((FAILED + 1))
        echo "FAIL $1: '$3' does not match /$2/"
    fi
}
finish() {
    if [ "$FAILED" -gt 0 ] && [ -s "$WORK/server.log" ]; then
        echo "---- server log (tail) ----"
        tail -n 30 "$WORK/server.log"
    fi
    echo "benchmark-smoke: $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
    exit $?
}

keel_args=()
if [ "$(basename "$KEEL_BIN")" != "redis-server" ] && [ -n "${KEEL_ARGS:-}" ]; then
    read -r -a keel_args <<<"$KEEL_ARGS"
fi
if ! server_start "$KEEL_BIN" "$WORK/server.log" "${keel_args[@]}"; then
    FAILED=$((FAILED + 1))
    echo "FAIL start $KEEL_BIN"
    finish
fi
PORT=$SERVER_PORT
PID=$SERVER_PID
cli() { timeout 30 redis-cli -h 127.0.0.1 -p "$PORT" "$@" 2>&1; }

# 1. The benchmark itself: exit 0, nothing on stderr, no error text, every test reported.
timeout 300 redis-benchmark -h 127.0.0.1 -p "$PORT" \
    -t ping,set,get,incr,lpush,rpush,lpop,rpop,mset -P 16 -n "$N" -q \
    >"$WORK/bench.out" 2>"$WORK/bench.err"
status=$?
tr '\r' '\n' <"$WORK/bench.out" | grep -v 'rps=' | grep -v '^ *$' >"$WORK/bench.summary"
cat "$WORK/bench.summary"
check "redis-benchmark exit status" 0 "$status"
check "redis-benchmark stderr empty" "" "$(head -c 500 "$WORK/bench.err")"
check "no error text in output" 0 "$(grep -ciE 'error|err ' "$WORK/bench.out")"
for test in PING_INLINE PING_MBULK SET GET INCR LPUSH RPUSH LPOP RPOP 'MSET (10 keys)'; do
    check_match "result line for $test" "^ *${test//[()]/.}: [0-9.]+ requests per second" \
        "$(grep -F -- "$test:" "$WORK/bench.summary" | head -n 1)"
done
check "server alive after benchmark" "PONG" "$(cli PING)"

# 2. The data it wrote.
value=$(cli GET 'key:__rand_int__')
check "GET key:__rand_int__ length (-d 3)" 3 "$(cli STRLEN 'key:__rand_int__')"
check_match "GET key:__rand_int__ is the 3-letter payload" '^[A-Za-z]{3}$' "$value"
check "TYPE key:__rand_int__" string "$(cli TYPE 'key:__rand_int__')"
ISSUED=$(( (N + 15) / 16 * 16 ))  # whole pipelines of 16
check "counter:__rand_int__ equals the number of INCRs" "$ISSUED" "$(cli GET 'counter:__rand_int__')"
check "LLEN mylist after n LPUSH + n RPUSH + n LPOP + n RPOP" 0 "$(cli LLEN mylist)"
check "mylist deleted once empty" 0 "$(cli EXISTS mylist)"
check "DBSIZE (key + counter)" 2 "$(cli DBSIZE)"

# 3. Separate runs whose effect is known exactly. With -P the last pipeline is sent whole,
#    so redis-benchmark issues ceil(n/P)*P requests; these counts are multiples of 16.
cli FLUSHALL >/dev/null
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t lpush -n 4800 -P 16 -q \
    >/dev/null 2>"$WORK/bench2.err"
check "lpush-only run: stderr empty" "" "$(head -c 500 "$WORK/bench2.err")"
check "LLEN mylist after 4800 LPUSH" 4800 "$(cli LLEN mylist)"
check "LPUSH stored the same payload as SET" "$value" "$(cli LRANGE mylist 0 0)"
check "last element too" "$value" "$(cli LRANGE mylist -1 -1)"
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t rpop -n 1600 -P 16 -q \
    >/dev/null 2>"$WORK/bench3.err"
check "rpop-only run: stderr empty" "" "$(head -c 500 "$WORK/bench3.err")"
check "LLEN mylist after 1600 RPOP" 3200 "$(cli LLEN mylist)"
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t set -n 2000 -d 1000 -P 16 -q \
    >/dev/null 2>"$WORK/bench4.err"
check "set -d 1000 run: stderr empty" "" "$(head -c 500 "$WORK/bench4.err")"
check "SET -d 1000 stores 1000 bytes" 1000 "$(cli STRLEN 'key:__rand_int__')"
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t incr -n 3000 -c 10 -q \
    >/dev/null 2>"$WORK/bench5.err"
check "incr run without pipelining: stderr empty" "" "$(head -c 500 "$WORK/bench5.err")"
check "INCR 3000 times from 10 clients" 3000 "$(cli GET 'counter:__rand_int__')"
cli FLUSHALL >/dev/null
timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t set -n 16000 -r 1000 -P 16 -q \
    >/dev/null 2>"$WORK/bench6.err"
check "set -r 1000 run: stderr empty" "" "$(head -c 500 "$WORK/bench6.err")"
# 16000 draws from 1000 keys ("key:" + 12 digits) miss a given key with p ~ 1e-7.
check "SET -r 1000: 1000 keys" 1000 "$(cli DBSIZE)"
sample=$(cli MGET key:000000000000 key:000000000001 key:000000000500 key:000000000999 | tr '\n' ' ')
check_match "random keys hold the payload" '^([A-Za-z]{3} ){4}$' "$sample"
check "server alive at the end" "PONG" "$(cli PING)"
check "server process still running" 0 "$(kill -0 "$PID" 2>/dev/null; echo $?)"
finish
