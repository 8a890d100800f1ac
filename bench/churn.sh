#!/usr/bin/env bash
# Fragmentation under churn, keel vs redis-server: maxmemory 64mb, noeviction.
# Per server (fresh each), bench/churn.py runs CYCLES cycles of three phases:
#   A  fill to FILL (75%) of maxmemory, by INFO used_memory, with values of SIZE bytes
#   B  replace them with values of 10*SIZE bytes, deleting old keys (random order)
#      before each SET so used_memory stays at or under the target
#   C  replace those with values of SIZE/2 bytes the same way
# (cycle 2's A replaces cycle 1's C keys). A -OOM refusal is counted and the run goes on.
# Latency is per command (SET or multi-key DEL), one request in flight, timed
# client-side; cycle 1's fill from empty is pipelined and not timed.
# Prints a Markdown table: per phase, writes, refusals, the lowest used_memory /
# maxmemory sampled during the shift (below FILL only when refusals made the client
# delete more than it wrote) and at its end, RSS, keel's free heap pages (free/total),
# latency percentiles, seconds.
#
#   bench/churn.sh            # MAXMEMORY=64mb SIZE=100 CYCLES=2 FILL=0.75 ORDER=random
#
# Env: KEEL_BIN, REDIS_BIN, MAXMEMORY, SIZE, CYCLES, FILL, ORDER (random|fifo),
#      SEED [1], PIN [0]: 1 puts the server on CPU 0 and the client on CPU 1 (taskset). Off by
#      default: on a shared VM a pinned pair waits for its own CPUs (10x fewer round trips).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
MAXMEMORY=${MAXMEMORY:-64mb}
SIZE=${SIZE:-100}
CYCLES=${CYCLES:-2}
FILL=${FILL:-0.75}
ORDER=${ORDER:-random}
SEED=${SEED:-1}
PIN=${PIN:-0}
work=$(mktemp -d /tmp/keel-churn.XXXXXX)
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

to_bytes() {  # 64mb -> 67108864 (Redis units: k/kb/m/mb/g/gb)
    /usr/bin/python3 - "$1" <<'PY'
import re, sys
m = re.fullmatch(r"(\d+)([a-z]*)", sys.argv[1].lower())
units = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2,
         "g": 1000**3, "gb": 1024**3}
print(int(m.group(1)) * units[m.group(2)])
PY
}

pin_server=(); pin_client=()
if [ "$PIN" = 1 ]; then pin_server=(taskset -c 0); pin_client=(taskset -c 1); fi

run() {  # name binary args... -> table rows on stdout
    local port pid
    port=$(free_port)
    "${pin_server[@]}" "$2" --port "$port" --bind 127.0.0.1 --maxmemory "$MAXMEMORY" \
        --maxmemory-policy noeviction "${@:3}" >"$work/$1.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    # In the background with `wait`, so a SIGTERM runs the trap at once.
    "${pin_client[@]}" /usr/bin/python3 "$REPO/bench/churn.py" --port "$port" --label "$1" \
        --maxmemory "$(to_bytes "$MAXMEMORY")" --size "$SIZE" --cycles "$CYCLES" \
        --fill "$FILL" --order "$ORDER" --seed "$SEED" 2>"$work/$1.err" >"$work/$1.rows" &
    pids+=("$!")
    wait "$!"
    local hwm
    hwm=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    sed 's/^/  /' "$work/$1.err" >&2
    echo "$1 $hwm" >>"$work/hwm"
}

start=$SECONDS
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run keel "$KEEL_BIN"
run redis "$REDIS_BIN" --save '' --appendonly no
redis_version=$("$REDIS_BIN" --version | awk '{print $3}')
pinning=off
if [ "$PIN" = 1 ]; then pinning="server CPU 0, client CPU 1"; fi
echo "## Churn: maxmemory $MAXMEMORY noeviction, fill $FILL," \
    "values $SIZE -> $((SIZE * 10)) -> $((SIZE / 2)) bytes, $CYCLES cycles, delete order $ORDER"
echo
echo "| server | phase | value B | keys | SETs | DELs | -OOM | min used/maxmemory" \
    "| used/maxmemory | RSS MiB | keel free pages | p50 ms | p99 ms | p99.9 ms | max ms | s |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" \
    "---: | ---: | ---: |"
cat "$work/keel.rows" "$work/redis.rows"
echo
awk '{ printf "- %s peak RSS (VmHWM): %s MiB\n", $1, $2 }' "$work/hwm"
for name in keel redis; do
    awk -v n="$name" -F'|' '{ s += $8 }
        END { printf "- %s -OOM refusals, all phases: %d\n", n, s }' "$work/$name.rows"
done
echo "- latency: every SET and DEL of the phase, one request in flight;" \
    "runtime $((SECONDS - start)) s; redis-server $redis_version; CPU pinning: $pinning;" \
    "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
