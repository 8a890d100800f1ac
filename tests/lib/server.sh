# shellcheck shell=bash
# Shared helpers for the shell-driven checks (transcript, benchmark smoke, bench/compare.sh):
# start a server on a free 127.0.0.1 port, wait until it answers PING, stop it by pid.
#
#   source tests/lib/server.sh
#   server_start BIN LOGFILE [extra args...]   # sets SERVER_PID and SERVER_PORT
#   server_stop PID                            # SIGTERM, wait up to 10 s, then SIGKILL
#   servers_stop_all                           # every server this shell started (for traps)
#
# A binary whose basename is `redis-server` also gets `--save '' --appendonly no`.

# shellcheck disable=SC2034  # SERVER_PID/SERVER_PORT are outputs for the caller
SERVER_PIDS=()
SERVER_PID=
SERVER_PORT=
SERVER_HOST=127.0.0.1
SERVER_READY_TIMEOUT_S=${SERVER_READY_TIMEOUT_S:-10}

server_free_port() {
    /usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# server_ping PORT: true when PING gets PONG.
server_ping() {
    [ "$(timeout 2 redis-cli -h "$SERVER_HOST" -p "$1" PING 2>/dev/null)" = "PONG" ]
}

server_start() {
    local bin=$1 log=$2
    shift 2
    local extra=()
    if [ "$(basename "$bin")" = "redis-server" ]; then
        extra=(--save '' --appendonly no)
    fi
    if [ ! -x "$bin" ]; then
        echo "server binary not found or not executable: $bin" >&2
        return 1
    fi
    local attempt port pid deadline
    for attempt in 1 2 3; do
        port=$(server_free_port)
        echo "==== starting (attempt $attempt): $bin --port $port --bind $SERVER_HOST ${extra[*]} $*" >>"$log"
        # Run in the log's directory so nothing lands in the caller's tree; exec keeps the pid.
        (cd "$(dirname "$log")" &&
            exec "$bin" --port "$port" --bind "$SERVER_HOST" "${extra[@]}" "$@") \
            >>"$log" 2>&1 </dev/null &
        pid=$!
        SERVER_PIDS+=("$pid")
        deadline=$((SECONDS + SERVER_READY_TIMEOUT_S))
        while [ "$SECONDS" -le "$deadline" ]; do
            if ! kill -0 "$pid" 2>/dev/null; then
                break
            fi
            if server_ping "$port"; then
                # shellcheck disable=SC2034  # outputs for the caller
                SERVER_PID=$pid
                SERVER_PORT=$port
                return 0
            fi
            sleep 0.05
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "server $bin (pid $pid) not answering PING on port $port after ${SERVER_READY_TIMEOUT_S}s" >&2
            server_stop "$pid"
            tail -n 20 "$log" >&2
            return 1
        fi
        if ! grep -qi "in use" "$log"; then
            break
        fi
    done
    echo "server $bin exited during startup; log $log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

server_stop() {
    local pid=$1 waited=0
    [ -n "$pid" ] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 100 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "server pid $pid did not exit on SIGTERM within 10 s; killing" >&2
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    wait "$pid" 2>/dev/null || true
}

servers_stop_all() {
    local pid
    for pid in "${SERVER_PIDS[@]}"; do
        server_stop "$pid"
    done
    SERVER_PIDS=()
}
