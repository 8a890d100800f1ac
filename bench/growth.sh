#!/usr/bin/env bash
# Latency while the keyspace grows, keel vs redis-server: KEYS distinct SETs
# (16-byte keys, VALUE-byte values) are loaded with redis-cli --pipe into an
# empty server while bench/growth_probe.py sends one GET of a fixed key every
# INTERVAL seconds over its own connection and times each round trip. A pause
# of the whole server (say, rehashing the key index in one go) shows up in the
# probe's max and in its count of round trips over 10 ms. Fresh server each;
# keel gets --maxmemory MAXMEMORY, redis-server none. Prints a Markdown table.
#
#   bench/growth.sh           # KEYS=10000000 VALUE=16 INTERVAL=0.001 MAXMEMORY=3gb
#
# Env: KEEL_BIN, REDIS_BIN, KEYS, VALUE, INTERVAL, MAXMEMORY (keel only),
#      RAW_DIR [unset]: keep every probe round trip there as "<name>.probe" lines of
#      "start_s latency_ms" (start_s counts from the probe's start, just before the load),
#      PIN [0]: 1 puts the server on CPU 0, loader and probe on CPU 1 (taskset). Off
#      by default: on a shared VM pinned processes wait for their own CPUs.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
KEYS=${KEYS:-10000000}
VALUE=${VALUE:-16}
INTERVAL=${INTERVAL:-0.001}
MAXMEMORY=${MAXMEMORY:-3gb}
PIN=${PIN:-0}
work=$(mktemp -d /tmp/keel-growth.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
# A private copy: a concurrent `make` may replace build/keel during the run.
cp "$KEEL_BIN" "$work/keel-bin"
KEEL_BIN=$work/keel-bin

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }

pin_server=(); pin_client=()
if [ "$PIN" = 1 ]; then pin_server=(taskset -c 0); pin_client=(taskset -c 1); fi

start=$SECONDS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
gen_start=$(now)
/usr/bin/python3 - "$KEYS" "$VALUE" "$work/load.resp" <<'PY'
import sys
count, size, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
template = b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d\r\n$" + str(size).encode() + b"\r\n" \
    + b"v" * size + b"\r\n"
with open(path, "wb") as out:
    for base in range(0, count, 100000):
        out.write(b"".join(template % index for index in range(base, min(count, base + 100000))))
PY
gen_seconds=$(awk -v a="$gen_start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')

run() {  # name binary args... -> one table row
    local port pid probe t0 t1
    port=$(free_port)
    "${pin_server[@]}" "$2" --port "$port" --bind 127.0.0.1 "${@:3}" >"$work/$1.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$port" set probe:key probe-value >/dev/null
    "${pin_client[@]}" /usr/bin/python3 "$REPO/bench/growth_probe.py" --port "$port" \
        --interval "$INTERVAL" --ready "$work/$1.ready" ${RAW_DIR:+--raw "$RAW_DIR/$1.probe"} \
        >"$work/$1.probe" &
    probe=$!
    pids+=("$probe")
    for _ in $(seq 200); do [ -e "$work/$1.ready" ] && break; sleep 0.01; done
    t0=$(now)
    # In the background with `wait`, so a SIGTERM runs the trap at once.
    "${pin_client[@]}" redis-cli -p "$port" --pipe <"$work/load.resp" >"$work/$1.pipe" 2>&1 &
    pids+=("$!")
    wait "$!"
    t1=$(now)
    kill -TERM "$probe"
    wait "$probe"
    local keys used rss errors
    keys=$(redis-cli -p "$port" dbsize)
    used=$(redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory://p')
    rss=$(redis-cli -p "$port" info memory | tr -d '\r' | sed -n 's/^used_memory_rss://p')
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$work/$1.pipe")
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    [ "$keys" = "$((KEYS + 1))" ] || echo "$1 holds $keys keys, expected $((KEYS + 1))" >&2
    read -r probes p50 p99 p999 max over1 over10 max_at <"$work/$1.probe"
    awk -v n="$1" -v t0="$t0" -v t1="$t1" -v k="$KEYS" -v u="$used" -v r="$rss" \
        -v e="${errors:-0}" -v pr="$probes" -v p50="$p50" -v p99="$p99" -v p999="$p999" \
        -v mx="$max" -v o1="$over1" -v o10="$over10" -v at="$max_at" 'BEGIN {
        printf "| %s | %.1f | %.0f | %d | %.1f | %.1f | %d | %s | %s | %s | %s | %s | %d | %d |\n",
            n, t1 - t0, k / (t1 - t0), e, u / 1048576, r / 1048576, pr, p50, p99, p999,
            mx, at, o1, o10 }'
}

# Not $(run ...): a subshell would keep the server pids from the EXIT trap.
run keel "$KEEL_BIN" --maxmemory "$MAXMEMORY" >"$work/keel.row"
run redis "$REDIS_BIN" --save '' --appendonly no >"$work/redis.row"
redis_version=$("$REDIS_BIN" --version | awk '{print $3}')
pinning=off
if [ "$PIN" = 1 ]; then pinning="server CPU 0, loader and probe CPU 1"; fi
echo "## Growth: $KEYS SETs (16-byte keys, $VALUE-byte values) via redis-cli --pipe;" \
    "GET probe every $INTERVAL s"
echo
echo "| server | load s | keys/s | errors | used MiB | RSS MiB | probes | p50 ms | p99 ms" \
    "| p99.9 ms | max ms | max at s | > 1 ms | > 10 ms |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" \
    "---: |"
cat "$work/keel.row" "$work/redis.row"
echo
echo "- load file generated in $gen_seconds s; runtime $((SECONDS - start)) s;" \
    "keel --maxmemory $MAXMEMORY, redis-server $redis_version without maxmemory;" \
    "CPU pinning: $pinning; load average before: $load_before," \
    "after: $(cut -d' ' -f1-3 /proc/loadavg)"
