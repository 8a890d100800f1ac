#!/usr/bin/env bash
# Bytes per key, keel vs redis-server, for 1,000,000 string keys of 16 bytes:
# values of 32 bytes, then 100 bytes, then 32 bytes with a TTL. Each server is
# started fresh per case; the keys are loaded with redis-cli --pipe; used_memory
# and used_memory_rss are read before and after. Prints a Markdown table.
#
#   bench/density.sh            # KEYS=1000000 by default
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
KEYS=${KEYS:-1000000}
work=$(mktemp -d /tmp/keel-density.XXXXXX)
trap 'rm -rf "$work"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

make_load() {  # value_size ttl -> file of RESP SET commands
    /usr/bin/python3 - "$KEYS" "$1" "$2" "$work/load.resp" <<'PY'
import sys
count, size, ttl, path = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
value = b"v" * size
with open(path, "wb") as out:
    for index in range(count):
        key = b"key:%012d" % index
        if ttl:
            out.write(b"*5\r\n$3\r\nSET\r\n$16\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$%d\r\n%d\r\n"
                      % (key, size, value, len(str(ttl)), ttl))
        else:
            out.write(b"*3\r\n$3\r\nSET\r\n$16\r\n%s\r\n$%d\r\n%s\r\n" % (key, size, value))
PY
}

field() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n "s/^$2://p"; }

measure() {  # name binary args... -> "used_per_key rss_per_key"
    local port pid before_used before_rss after_used after_rss
    port=$(free_port)
    "$2" --port "$port" --bind 127.0.0.1 "${@:3}" >"$work/$1.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    before_used=$(field "$port" used_memory); before_rss=$(field "$port" used_memory_rss)
    redis-cli -p "$port" --pipe <"$work/load.resp" >/dev/null
    after_used=$(field "$port" used_memory); after_rss=$(field "$port" used_memory_rss)
    local keys; keys=$(redis-cli -p "$port" dbsize)
    [ "$keys" = "$KEYS" ] || { echo "$1 holds $keys keys, expected $KEYS" >&2; exit 1; }
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    awk -v u=$((after_used - before_used)) -v r=$((after_rss - before_rss)) -v n="$KEYS" \
        'BEGIN { printf "%.1f %.1f", u / n, r / n }'
}

echo "## Bytes per key: $KEYS keys of 16 bytes (keel vs redis-server $("$REDIS_BIN" --version | awk '{print $3}'))"
echo
echo "| value | TTL | payload B/key | keel used B/key | redis used B/key | keel RSS B/key | redis RSS B/key | keel overhead (used - payload) | redis overhead |"
echo "| ---: | :-: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for case in "32 0" "100 0" "32 3600"; do
    read -r size ttl <<<"$case"
    make_load "$size" "$ttl"
    read -r keel_used keel_rss <<<"$(measure keel "$KEEL_BIN" --maxmemory 2gb)"
    read -r redis_used redis_rss <<<"$(measure redis "$REDIS_BIN" --save '' --appendonly no)"
    payload=$((16 + size))
    awk -v s="$size" -v t="$ttl" -v p="$payload" -v ku="$keel_used" -v ru="$redis_used" \
        -v kr="$keel_rss" -v rr="$redis_rss" 'BEGIN {
        printf "| %d | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
            s, (t > 0 ? "yes" : "no"), p, ku, ru, kr, rr, ku - p, ru - p }'
done
