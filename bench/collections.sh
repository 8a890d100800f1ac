#!/usr/bin/env bash
# Million-element collections, keel vs redis-server: memory per element and the
# time of each successive tenth of the load (a quadratic step would make the
# later tenths slower). One key per type: a hash (16-byte fields, 32-byte
# values), a set (16-byte members), a sorted set (16-byte members), a list
# (16-byte elements). Each server is started fresh per type.
#
#   bench/collections.sh          # ELEMENTS=1000000, BATCH=1000 elements per command
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
KEEL_BIN=${KEEL_BIN:-$REPO/build/keel}
REDIS_BIN=${REDIS_BIN:-/usr/bin/redis-server}
ELEMENTS=${ELEMENTS:-1000000}
BATCH=${BATCH:-1000}
work=$(mktemp -d /tmp/keel-collections.XXXXXX)
trap 'rm -rf "$work"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Writes ten files, each a tenth of the load, as RESP commands of BATCH elements.
make_load() {  # type
    /usr/bin/python3 - "$1" "$ELEMENTS" "$BATCH" "$work" <<'PY'
import sys
kind, count, batch, work = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def bulk(b): return b"$%d\r\n%s\r\n" % (len(b), b)
tenth = count // 10
for part in range(10):
    with open(f"{work}/load{part}.resp", "wb") as out:
        start, end = part * tenth, (part + 1) * tenth
        for first in range(start, end, batch):
            items = range(first, min(first + batch, end))
            if kind == "hash":
                args = [b"HSET", b"h"] + [x for i in items for x in (b"field:%010d" % i, b"v" * 32)]
            elif kind == "set":
                args = [b"SADD", b"s"] + [b"member:%09d" % i for i in items]
            elif kind == "zset":
                args = [b"ZADD", b"z"] + [x for i in items for x in (b"%d" % i, b"member:%09d" % i)]
            else:
                args = [b"RPUSH", b"l"] + [b"element:%08d" % i for i in items]
            out.write(b"*%d\r\n" % len(args) + b"".join(bulk(a) for a in args))
PY
}

used() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory://p'; }

measure() {  # binary args... -> "bytes_per_element slowest_tenth/fastest_tenth encoding"
    local port pid before after
    port=$(free_port)
    "$1" --port "$port" --bind 127.0.0.1 "${@:2}" >"$work/server.log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    before=$(used "$port")
    local times=()
    for part in $(seq 0 9); do
        local start end
        start=$(date +%s%N)
        redis-cli -p "$port" --pipe <"$work/load$part.resp" >/dev/null
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    after=$(used "$port")
    local key; key=$(redis-cli -p "$port" randomkey)
    local encoding; encoding=$(redis-cli -p "$port" object encoding "$key")
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$pid" 2>/dev/null || true
    printf '%s\n' "${times[@]}" | sort -n | awk -v u=$((after - before)) -v n="$ELEMENTS" \
        -v e="$encoding" '{ t[NR] = $1 } END { printf "%.1f %.2f %s", u / n, t[NR] / t[1], e }'
}

echo "## $ELEMENTS-element collections (keel vs redis-server $("$REDIS_BIN" --version | awk '{print $3}'))"
echo
echo "| type | keel B/element | redis B/element | ratio | keel slowest/fastest tenth | redis slowest/fastest tenth | keel encoding | redis encoding |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |"
for kind in ${KINDS:-hash set zset list}; do
    make_load "$kind"
    read -r keel_bytes keel_spread keel_encoding <<<"$(measure "$KEEL_BIN" --maxmemory 4gb)"
    read -r redis_bytes redis_spread redis_encoding <<<"$(measure "$REDIS_BIN" --save '' --appendonly no)"
    awk -v k="$kind" -v kb="$keel_bytes" -v rb="$redis_bytes" -v ks="$keel_spread" \
        -v rs="$redis_spread" -v ke="$keel_encoding" -v re="$redis_encoding" 'BEGIN {
        printf "| %s | %.1f | %.1f | %.2f | %.2f | %.2f | %s | %s |\n", k, kb, rb, kb / rb, ks, rs, ke, re }'
done
