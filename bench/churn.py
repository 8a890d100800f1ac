#!/usr/bin/python3
"""Load generator for bench/churn.sh: value sizes shift under a fixed memory budget.

One connection, one outstanding request at a time (raw RESP over a socket), so
each command's latency is one round trip timed with time.perf_counter.

Phases per cycle (value size S):
  A  keys of S bytes       (cycle 1: filled from empty, pipelined, latency not measured;
                            later cycles: replace the S/2 keys of the previous C)
  B  keys of 10*S bytes    replace the A keys
  C  keys of S/2 bytes     replace the B keys
A shift deletes old keys (in random order, a multi-key DEL per round trip) before each
SET whenever the estimated used_memory plus the new key would pass the target
(FILL * maxmemory), so live data stays at or under the target; used_memory is re-read
every SAMPLE commands. When all old keys are gone, new keys are added until the
target is reached. A -OOM refusal is counted and never aborts the run: the client
deletes one more batch of old keys (as an application would to make room) and goes
on; once no old keys are left, REFUSALS_STOP consecutive refusals end the phase.

Prints one Markdown table row per phase (columns: see bench/churn.sh). "min used" is the
lowest used_memory sampled during a shift: it drops below the target only when refusals
made the client delete more than it wrote.
"""
import argparse
import math
import random
import socket
import sys
import time

OOM_PREFIX = b"-OOM"


class Conn:
    """A RESP connection that reads only what this generator needs."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("server closed the connection")
        self.buf += data

    def read_line(self):
        while True:
            end = self.buf.find(b"\r\n")
            if end >= 0:
                line, self.buf = self.buf[:end], self.buf[end + 2:]
                return line
            self._fill()

    def read_bulk(self):
        header = self.read_line()
        if not header.startswith(b"$"):
            raise RuntimeError("expected a bulk reply, got %r" % header[:80])
        size = int(header[1:])
        while len(self.buf) < size + 2:
            self._fill()
        body, self.buf = self.buf[:size], self.buf[size + 2:]
        return body

    def call_line(self, command):
        """Sends one command, returns (single-line reply, seconds)."""
        start = time.perf_counter()
        self.sock.sendall(command)
        reply = self.read_line()
        return reply, time.perf_counter() - start

    def info_memory(self):
        self.sock.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n")
        fields = {}
        for line in self.read_bulk().split(b"\r\n"):
            if b":" in line and not line.startswith(b"#"):
                name, value = line.split(b":", 1)
                fields[name.decode()] = value.decode()
        return fields


def encode(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


def set_command(key, value):
    return b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value)


def percentile(sorted_values, fraction):
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, int(math.ceil(fraction * len(sorted_values))) - 1)
    return sorted_values[max(0, index)]


class Churn:
    def __init__(self, args):
        self.args = args
        self.conn = Conn(args.port)
        self.target = int(args.fill * args.maxmemory)
        self.rng = random.Random(args.seed)
        self.total_refusals = 0
        self.other_errors = 0

    def cost(self, size):
        """Estimated used_memory per key between samples (corrected every SAMPLE commands)."""
        return self.args.key_size + size + self.args.overhead

    def key(self, prefix, index):
        body = b"%s:%d" % (prefix, index)
        return body + b"x" * max(0, self.args.key_size - len(body))

    def used(self):
        return int(self.conn.info_memory()["used_memory"])

    def check_reply(self, reply, stats):
        if reply.startswith(OOM_PREFIX):
            stats["refusals"] += 1
            self.total_refusals += 1
            return False
        if reply.startswith(b"-"):
            self.other_errors += 1
            stats["errors"] += 1
            if self.other_errors <= 5:
                print("unexpected error reply: %r" % reply[:120], file=sys.stderr)
            return False
        return True

    def new_stats(self, name, size):
        return {"phase": name, "size": size, "sets": 0, "dels": 0, "refusals": 0,
                "errors": 0, "latency": [], "min_used": None, "start": time.perf_counter()}

    def fill(self, name, prefix, size):
        """Cycle 1 phase A: pipelined SETs until used_memory reaches the target."""
        stats = self.new_stats(name, size)
        value = b"v" * size
        keys = []
        used = self.used()
        for _ in range(10_000_000):
            room = (self.target - used) // self.cost(size)
            if room <= 0:
                break
            batch = min(1000, room)
            commands = []
            batch_keys = []
            for _ in range(batch):
                key = self.key(prefix, len(keys) + len(batch_keys))
                batch_keys.append(key)
                commands.append(set_command(key, value))
            self.conn.sock.sendall(b"".join(commands))
            for key in batch_keys:
                if self.check_reply(self.conn.read_line(), stats):
                    keys.append(key)
            stats["sets"] += batch
            used = self.used()
            if stats["refusals"] > 0:
                break
        stats["latency"] = None
        return keys, stats

    def shift(self, name, old_keys, old_size, prefix, size):
        """Replaces old_keys by keys of `size` bytes, keeping used_memory <= target."""
        args = self.args
        stats = self.new_stats(name, size)
        value = b"v" * size
        if args.order == "random":
            self.rng.shuffle(old_keys)
        cost_new, cost_old = self.cost(size), self.cost(old_size)
        new_keys, latency = [], stats["latency"]
        old_next, since_sample, streak = 0, 0, 0
        estimate = stats["min_used"] = self.used()
        attempts_max = 8 * (self.target // cost_new + len(old_keys)) + 10_000
        for _ in range(attempts_max):
            if since_sample >= args.sample:
                estimate, since_sample = self.used(), 0
                stats["min_used"] = min(stats["min_used"], estimate)
            old_left = len(old_keys) - old_next
            if old_left == 0 and (estimate + cost_new > self.target
                                  or streak >= args.refusals_stop):
                break
            need = estimate + cost_new - self.target
            if old_left > 0 and (need > 0 or streak > 0):
                count = max(1, -(-max(need, cost_new if streak else 0) // cost_old))
                count = min(count, args.del_batch, old_left)
                batch = old_keys[old_next:old_next + count]
                old_next += count
                reply, seconds = self.conn.call_line(encode(b"DEL", *batch))
                latency.append(seconds)
                stats["dels"] += 1
                since_sample += 1
                if self.check_reply(reply, stats):
                    estimate -= count * cost_old
                streak = 0
                continue
            key = self.key(prefix, len(new_keys) + stats["refusals"] + stats["errors"])
            reply, seconds = self.conn.call_line(set_command(key, value))
            latency.append(seconds)
            stats["sets"] += 1
            since_sample += 1
            if self.check_reply(reply, stats):
                new_keys.append(key)
                estimate += cost_new
                streak = 0
            else:
                streak += 1
        else:
            print("%s: stopped after %d commands" % (name, attempts_max), file=sys.stderr)
        if old_next < len(old_keys):
            print("%s: %d old keys left" % (name, len(old_keys) - old_next), file=sys.stderr)
        return new_keys, stats

    def report(self, stats, keys):
        seconds = time.perf_counter() - stats["start"]
        memory = self.conn.info_memory()
        used = int(memory["used_memory"])
        rss = int(memory["used_memory_rss"])
        if "heap_pages_free" in memory:
            free_pages = "%s/%s" % (memory["heap_pages_free"], memory["heap_pages_total"])
        else:
            free_pages = "-"
        if stats["min_used"] is None:
            low = "-"
        else:
            low = "%.3f" % (min(stats["min_used"], used) / self.args.maxmemory)
        if stats["latency"] is None:
            p50 = p99 = p999 = top = "-"
        else:
            ordered = sorted(stats["latency"])
            p50, p99, p999 = ("%.3f" % (percentile(ordered, f) * 1e3) for f in (0.5, 0.99, 0.999))
            top = "%.3f" % (ordered[-1] * 1e3) if ordered else "-"
        cells = (self.args.label, stats["phase"], stats["size"], len(keys), stats["sets"],
                 stats["dels"], stats["refusals"], low, used / self.args.maxmemory,
                 rss / 1048576, free_pages, p50, p99, p999, top, seconds)
        print("| %s | %s | %d | %d | %d | %d | %d | %s | %.3f | %.1f | %s | %s | %s | %s | %s"
              " | %.1f |" % cells, flush=True)

    def run(self):
        args = self.args
        sizes = {"A": args.size, "B": 10 * args.size, "C": max(1, args.size // 2)}
        keys, size = [], None
        for cycle in range(1, args.cycles + 1):
            for phase in "ABC":
                name = "%d%s" % (cycle, phase)
                prefix = name.encode()
                if size is None:
                    new_keys, stats = self.fill(name, prefix, sizes[phase])
                else:
                    new_keys, stats = self.shift(name, keys, size, prefix, sizes[phase])
                self.report(stats, new_keys)
                keys, size = new_keys, sizes[phase]
        if self.other_errors:
            print("%s: %d error replies other than -OOM" % (args.label, self.other_errors),
                  file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--label", required=True)
    parser.add_argument("--maxmemory", type=int, required=True, help="bytes")
    parser.add_argument("--size", type=int, default=100, help="phase A value size S")
    parser.add_argument("--cycles", type=int, default=2)
    parser.add_argument("--fill", type=float, default=0.75, help="target used/maxmemory")
    parser.add_argument("--key-size", type=int, default=16)
    parser.add_argument("--overhead", type=int, default=48,
                        help="per-key bytes assumed between used_memory samples")
    parser.add_argument("--sample", type=int, default=256,
                        help="commands between used_memory samples")
    parser.add_argument("--del-batch", type=int, default=64, help="keys per DEL at most")
    parser.add_argument("--order", choices=("random", "fifo"), default="random",
                        help="order in which old keys are deleted")
    parser.add_argument("--refusals-stop", type=int, default=16)
    parser.add_argument("--seed", type=int, default=1)
    Churn(parser.parse_args()).run()


if __name__ == "__main__":
    main()
