#!/usr/bin/env bash
# Capacity under a budget, keel vs redis-server: maxmemory 64mb with
# allkeys-lru, then a flood of SETs of 100-byte values on unique 16-byte keys
# (three times what fits). Reports the keys each server holds afterwards and
# its RSS, next to keel's plan total (its hard bound).
#
#   bench/capacity.sh        # KEYS=2000000, MAXMEMORY=64mb
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
KEYS=${KEYS:-2000000}
MAXMEMORY=${MAXMEMORY:-64mb}
work=$(mktemp -d /tmp/keel-capacity.XXXXXX)
trap 'rm -rf "$work"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

/usr/bin/python3 - "$KEYS" "$work/load.resp" <<'PY'
import sys
count, path = int(sys.argv[1]), sys.argv[2]
value = b"v" * 100
with open(path, "wb") as out:
    for index in range(count):
        out.write(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$100\r\n%s\r\n" % (b"key:%012d" % index, value))
PY

field() { redis-cli -p "$1" info "$2" | tr -d '\r' | sed -n "s/^$3://p"; }

run() {  # name binary args...
    local port pid
    port=$(free_port)
    "$2" --port "$port" --bind 127.0.0.1 --maxmemory "$MAXMEMORY" \
        --maxmemory-policy allkeys-lru "${@:3}" >"$work/$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    redis-cli -p "$port" --pipe <"$work/load.resp" >"$work/$1.pipe" 2>&1
    local keys rss hwm plan errors
    keys=$(redis-cli -p "$port" dbsize)
    rss=$(field "$port" memory used_memory_rss)
    hwm=$(awk '/VmHWM/ { print $2 * 1024 }' "/proc/$pid/status")
    plan=$(field "$port" memory plan_total_bytes)
    errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' "$work/$1.pipe")
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    echo "$keys $rss $hwm ${plan:--} ${errors:-0}"
}

read -r keel_keys keel_rss keel_hwm keel_plan keel_errors <<<"$(run keel "$KEEL_BIN")"
read -r redis_keys redis_rss redis_hwm _ redis_errors <<<"$(run redis "$REDIS_BIN" --save '' --appendonly no)"
echo "## Capacity: maxmemory $MAXMEMORY, allkeys-lru, $KEYS SETs of 100-byte values"
echo
echo "| server | keys held | RSS bytes | peak RSS (VmHWM) | plan total | write errors |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| keel | $keel_keys | $keel_rss | $keel_hwm | $keel_plan | $keel_errors |"
echo "| redis | $redis_keys | $redis_rss | $redis_hwm | - | $redis_errors |"
awk -v k="$keel_keys" -v r="$redis_keys" 'BEGIN { printf "\nkeys held, keel / redis: %.2f\n", k / r }'
