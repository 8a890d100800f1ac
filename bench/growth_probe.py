#!/usr/bin/python3
"""Latency probe for bench/growth.sh.

Sends one `GET <key>` at a time every INTERVAL seconds (one request in flight,
round trip timed with time.perf_counter) until SIGTERM, then prints one line:
  probes p50_ms p99_ms p99.9_ms max_ms over_1ms over_10ms max_at_s
(max_at_s: seconds after the probe started when the slowest round trip began).
The first 10 round trips are a warm-up: not counted; the --ready file is created after them.
"""
import argparse
import math
import signal
import socket
import time

stopping = False


def stop(_signum, _frame):
    global stopping
    stopping = True


def percentile(ordered, fraction):
    index = min(len(ordered) - 1, int(math.ceil(fraction * len(ordered))) - 1)
    return ordered[max(0, index)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", default="probe:key")
    parser.add_argument("--interval", type=float, default=0.001)
    parser.add_argument("--raw", help="also write 'start_s latency_ms' per round trip here")
    parser.add_argument("--ready", help="file created after the warm-up round trips")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sock = socket.create_connection(("127.0.0.1", args.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = args.key.encode()
    command = b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(key), key)
    latencies, starts = [], []
    warmup = 10  # round trips before the ready file, not counted
    origin = time.perf_counter()
    next_probe = origin
    while not stopping:
        begin = time.perf_counter()
        sock.sendall(command)
        reply = b""
        while True:  # a bulk reply ("$n\r\n...\r\n") or a nil ("$-1\r\n")
            data = sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            reply += data
            if reply[:1] != b"$" and reply.endswith(b"\r\n"):
                break  # an error or another single-line reply: still a round trip
            if reply.startswith(b"$-1\r\n"):
                break
            head = reply.find(b"\r\n")
            if head > 0 and len(reply) >= head + 2 + int(reply[1:head]) + 2:
                break
        end = time.perf_counter()
        warmup -= 1
        if warmup == 0 and args.ready:
            open(args.ready, "w").close()
        if warmup < 0:
            latencies.append(end - begin)
            starts.append(begin - origin)
        next_probe += args.interval
        delay = next_probe - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        else:
            next_probe = time.perf_counter()  # late: do not send a burst to catch up
    if args.raw:
        with open(args.raw, "w") as out:
            out.writelines("%.6f %.3f\n" % (start, latency * 1e3)
                           for start, latency in zip(starts, latencies))
    worst = max(range(len(latencies)), key=latencies.__getitem__)
    ordered = sorted(latencies)
    print("%d %.3f %.3f %.3f %.3f %d %d %.1f" % (
        len(ordered), percentile(ordered, 0.5) * 1e3, percentile(ordered, 0.99) * 1e3,
        percentile(ordered, 0.999) * 1e3, ordered[-1] * 1e3,
        sum(1 for value in ordered if value > 0.001),
        sum(1 for value in ordered if value > 0.010), starts[worst]))


if __name__ == "__main__":
    main()
