#!/usr/bin/env bash
# Throughput, latency and server CPU of keel vs redis-server under the same redis-benchmark
# matrix. Prints a Markdown table. Benchmarks are measurements, never pass/fail on speed;
# the exit status is non-zero only if a run failed (error output, non-zero exit, no CSV).
#
#   bench/compare.sh                                   # keel = build/keel
#   KEEL_BIN=/usr/bin/redis-server bench/compare.sh    # self-check: both columns are Redis
#
# Env (defaults in brackets):
#   KEEL_BIN [<repo>/build/keel]   REDIS_BIN [/usr/bin/redis-server]   KEEL_ARGS [""]
#   BENCH_N_P1 [100000]    requests per row with -P 1  (about 2 s per row on a 2-vCPU VM)
#   BENCH_N_P16 [500000]   requests per row with -P 16 (1-5 s per row; LPUSH -d 1024 holds
#                          ~0.5 GB until the LPOP row that follows it)
#   BENCH_TESTS ["set get incr lpush lpop mset"]  BENCH_PIPELINES ["1 16"]
#   BENCH_SIZES ["3 1024"]  BENCH_CLIENTS [50]  BENCH_MAXMEMORY [2gb] (given to both servers)
#   BENCH_PIN [1 if >= 2 CPUs]: servers on CPU 0, redis-benchmark on CPU 1 (taskset)
#   BENCH_OUT [""]: directory to keep the raw CSV and logs
#   BENCH_BALANCED [1]: run each row keel, redis, redis, keel and average (0: once each)
#
# Per row, each server runs twice (keel, redis, redis, keel) and the runs are averaged. Server CPU
# is utime+stime from /proc/PID/stat (fields 14 and 15, clock ticks of `getconf CLK_TCK`),
# sampled before and after the run and divided by the requests issued (redis-benchmark sends
# whole pipelines: ceil(n/P)*P). Latencies are redis-benchmark 7.0's --csv p50/p99 columns.
set -u
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
N_P1=${BENCH_N_P1:-100000}
N_P16=${BENCH_N_P16:-500000}
TESTS=${BENCH_TESTS:-set get incr lpush lpop mset}
PIPELINES=${BENCH_PIPELINES:-1 16}
SIZES=${BENCH_SIZES:-3 1024}
CLIENTS=${BENCH_CLIENTS:-50}
MAXMEMORY=${BENCH_MAXMEMORY:-2gb}
BALANCED=${BENCH_BALANCED:-1}
CLK_TCK=$(getconf CLK_TCK)
if [ -z "${BENCH_PIN:-}" ]; then
    if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then BENCH_PIN=1; else BENCH_PIN=0; fi
fi
# shellcheck source=../tests/lib/server.sh
source "$REPO/tests/lib/server.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/keel-compare.XXXXXX")
cleanup() {
    servers_stop_all
    if [ -n "${BENCH_OUT:-}" ]; then
        mkdir -p "$BENCH_OUT" && cp -r "$WORK"/. "$BENCH_OUT"/
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

keel_args=(--maxmemory "$MAXMEMORY")
if [ "$(basename "$KEEL_BIN")" != "redis-server" ] && [ -n "${KEEL_ARGS:-}" ]; then
    read -r -a more <<<"$KEEL_ARGS"
    keel_args+=("${more[@]}")
fi
server_start "$KEEL_BIN" "$WORK/keel.log" "${keel_args[@]}" || exit 1
KEEL_PID=$SERVER_PID
KEEL_PORT=$SERVER_PORT
server_start "$REDIS_BIN" "$WORK/redis.log" --maxmemory "$MAXMEMORY" || exit 1
REDIS_PID=$SERVER_PID
REDIS_PORT=$SERVER_PORT
BENCH_PREFIX=()
if [ "$BENCH_PIN" = 1 ]; then
    taskset -a -p -c 0 "$KEEL_PID" >/dev/null
    taskset -a -p -c 0 "$REDIS_PID" >/dev/null
    BENCH_PREFIX=(taskset -c 1)
fi

# cpu_ticks PID: utime + stime of the whole process (all threads), in clock ticks.
cpu_ticks() {
    # Field 2 (comm) may contain spaces: drop everything up to the last ')'.
    local rest
    rest=$(sed 's/^.*) //' "/proc/$1/stat") || return 1
    # After the cut, field 3 (state) is $1, so utime (14) is $12 and stime (15) is $13.
    awk '{print $12 + $13}' <<<"$rest"
}

FAILURES=0
# run_one NAME PID PORT TEST P D N -> sets R_RPS R_P50 R_P99 R_CPU (µs per request) or ERR
run_one() {
    local name=$1 pid=$2 port=$3 test=$4 p=$5 d=$6 n=$7
    local tag="$name-$test-P$p-d$d" before after status issued line
    R_RPS=ERR R_P50=ERR R_P99=ERR R_CPU=ERR
    before=$(cpu_ticks "$pid") || { FAILURES=$((FAILURES + 1)); return; }
    "${BENCH_PREFIX[@]}" redis-benchmark -h 127.0.0.1 -p "$port" -t "$test" -P "$p" \
        -c "$CLIENTS" -d "$d" -n "$n" --csv >"$WORK/$tag.csv" 2>"$WORK/$tag.err"
    status=$?
    after=$(cpu_ticks "$pid") || { FAILURES=$((FAILURES + 1)); return; }
    line=$(grep -v '^"test"' "$WORK/$tag.csv" | head -n 1)
    if [ "$status" -ne 0 ] || [ -s "$WORK/$tag.err" ] || [ -z "$line" ]; then
        echo "run $tag failed (exit $status): $(head -c 300 "$WORK/$tag.err")" >&2
        FAILURES=$((FAILURES + 1))
        return
    fi
    # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",
    # "p99_latency_ms","max_latency_ms"
    IFS=, read -r _ R_RPS _ _ R_P50 _ R_P99 _ <<<"${line//\"/}"
    issued=$(( (n + p - 1) / p * p ))
    R_CPU=$(awk -v t=$((after - before)) -v hz="$CLK_TCK" -v n="$issued" \
        'BEGIN { printf "%.2f", t * 1e6 / hz / n }')
}

mean2() {  # mean2 "a1 a2 a3 a4" "b1 b2 b3 b4" -> element-wise means (ERR wins)
    awk -v a="$1" -v b="$2" 'BEGIN {
        n = split(a, x, " "); split(b, y, " ")
        for (i = 1; i <= n; i++) {
            if (x[i] == "ERR" || y[i] == "ERR") { printf "ERR " } else { printf "%.2f ", (x[i] + y[i]) / 2 }
        }
    }'
}

ratio() {  # ratio A B -> A/B with 2 decimals, or "-" when either is missing or zero
    awk -v a="$1" -v b="$2" 'BEGIN {
        if (a == "ERR" || b == "ERR" || b + 0 == 0) { print "-"; exit }
        printf "%.2f", a / b }'
}

echo "## keel vs redis-server: redis-benchmark -c $CLIENTS"
echo
echo "- keel: \`$KEEL_BIN ${keel_args[*]}\` (pid $KEEL_PID)"
echo "- redis: \`$REDIS_BIN --save '' --appendonly no --maxmemory $MAXMEMORY\` ($("$REDIS_BIN" --version | awk '{print $3}'))"
echo "- requests per row: $N_P1 with -P 1, $N_P16 with -P 16; CPU pinning: $([ "$BENCH_PIN" = 1 ] && echo 'servers CPU 0, benchmark CPU 1' || echo off); CLK_TCK $CLK_TCK"
echo "- CPU = server utime+stime per request (µs); ratios are keel/redis (throughput: higher is better for keel; CPU: lower is better for keel)"
echo
echo "| test | P | d | keel req/s | redis req/s | req/s ratio | keel p50 ms | redis p50 ms | keel p99 ms | redis p99 ms | keel CPU µs/req | redis CPU µs/req | CPU ratio |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
row=0
for p in $PIPELINES; do
    if [ "$p" = 1 ]; then n=$N_P1; else n=$N_P16; fi
    for d in $SIZES; do
        for test in $TESTS; do
            # Each server runs the row twice, once first and once second (keel, redis,
            # redis, keel), and the two runs are averaged: on this VM the process that
            # first touches fresh memory pays more for it, whichever server that is.
            run_one keel "$KEEL_PID" "$KEEL_PORT" "$test" "$p" "$d" "$n"
            K=("$R_RPS" "$R_P50" "$R_P99" "$R_CPU")
            run_one redis "$REDIS_PID" "$REDIS_PORT" "$test" "$p" "$d" "$n"
            R=("$R_RPS" "$R_P50" "$R_P99" "$R_CPU")
            if [ "$BALANCED" = 1 ]; then
                run_one redis "$REDIS_PID" "$REDIS_PORT" "$test" "$p" "$d" "$n"
                R=($(mean2 "${R[*]}" "$R_RPS $R_P50 $R_P99 $R_CPU"))
                run_one keel "$KEEL_PID" "$KEEL_PORT" "$test" "$p" "$d" "$n"
                K=($(mean2 "${K[*]}" "$R_RPS $R_P50 $R_P99 $R_CPU"))
            fi
            upper=$(tr '[:lower:]' '[:upper:]' <<<"$test")
            echo "| $upper | $p | $d | ${K[0]} | ${R[0]} | $(ratio "${K[0]}" "${R[0]}") | ${K[1]} | ${R[1]} | ${K[2]} | ${R[2]} | ${K[3]} | ${R[3]} | $(ratio "${K[3]}" "${R[3]}") |"
            row=$((row + 1))
        done
    done
done
for pid in "$KEEL_PID" "$REDIS_PID"; do
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "server pid $pid died during the benchmark" >&2
        FAILURES=$((FAILURES + 1))
    fi
done
if [ "$FAILURES" -gt 0 ]; then
    echo
    echo "$FAILURES run(s) failed; see stderr above"
    exit 1
fi
