"""
Test plan X1 and X4 (docs/TEST_PLAN.md, shared/RELIABILITY.md "Whole-suite builds and
network faults"):

X1  on the ASan + UBSan build (KEEL_BIN .../asan/keel, the third pass of scripts/test.sh):
    the shared workload, then SIGTERM with LeakSanitizer on: exit 0, no sanitizer report.
X4  a fault proxy of our own on 127.0.0.1 between client and server (FaultProxy below,
    threads): 1-byte writes both ways; random chunks with 0-200 ms delays; a reply stalled
    mid-way (2 s instead of the plan's 10 s, to keep the suite fast); a connection reset
    in the middle of a command. Replies stay correct and in order, stalled and reset
    clients are cleaned up (slots, descriptors), other clients are unaffected.

X4 runs against redis-server 7.0.15 too; X1 needs the sanitizer build.
"""
import os
import random
import select
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import KEEL_BIN, RawConn, free_port, ping_once, resp_encode
from plan_helpers import (SANITIZER, PingLoop, assert_p99_below, open_fds, rst_close,
                          wait_connected, wait_for)

MIB = 1024 * 1024


# ==== X1 ====

@pytest.mark.keel_only
@pytest.mark.skipif(not SANITIZER, reason="runs in the ASan pass (KEEL_BIN=build/asan/keel)")
def test_x1_workload_then_clean_exit_without_leaks(tmp_path):
    from workload import run_workload
    port = free_port()
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([KEEL_BIN, "--port", str(port), "--bind", "127.0.0.1",
                                 "--maxclients", "8", "--maxmemory", "64mb"],
                                stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path)
    try:
        wait_for(lambda: ping_once(port) or proc.poll() is not None, 20, "server not up")
        assert proc.poll() is None, log.read_text()[-2000:]
        run_workload(port, maxclients=8)
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    text = log.read_text(errors="replace")
    assert code == 0, text[-3000:]
    for marker in ("Sanitizer", "runtime error:", "assertion failed"):
        assert marker not in text, text[-3000:]


# ==== X4: the fault proxy ====

class FaultProxy:
    """Listens on 127.0.0.1; each accepted client gets its own upstream connection to the
    server, pumped both ways by one thread (select) that applies the fault:

      "bytes"  every byte is written on its own (1-byte writes both ways, TCP_NODELAY);
      "delay"  random chunks of 1 B..8 KB, each after a 0-200 ms pause (seeded);
      "stall"  server->client stops for `stall` seconds after `after` bytes, then resumes;
               with `drop=True` the proxy closes both sides (RST) at the stall instead;
      "reset"  client->server: after `after` bytes both sides are reset (SO_LINGER 0).
    """

    def __init__(self, server_port: int, mode: str, seed: int = 1, after: int = 0,
                 stall: float = 0.0, drop: bool = False):
        self.server_port, self.mode, self.after, self.stall, self.drop = (
            server_port, mode, after, stall, drop)
        self.rng = random.Random(seed)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.stalled = threading.Event()
        self.threads, self.sockets = [], []
        self.running = True
        self._spawn(self._accept_loop)

    def _spawn(self, target, *args):
        thread = threading.Thread(target=target, args=args, daemon=True)
        thread.start()
        self.threads.append(thread)

    def _accept_loop(self):
        self.listener.settimeout(0.2)
        while self.running:
            try:
                client, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.server_port), timeout=30)
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(None)
            self.sockets += [client, upstream]
            self._spawn(self._serve, client, upstream)

    def _pieces(self, data: bytes):
        if self.mode == "bytes":
            return [data[index:index + 1] for index in range(len(data))]
        if self.mode == "delay":
            pieces, offset = [], 0
            while offset < len(data):
                size = self.rng.choice([1, 7, 100, 1000, 8192])
                pieces.append(data[offset:offset + size])
                offset += size
            return pieces
        return [data]

    def _serve(self, client: socket.socket, upstream: socket.socket):
        """Both directions in one thread, so a reset never races a recv() on another thread
        (a socket closed under a blocked recv() is not really closed: no RST would go out)."""
        ends = {client: ("up", upstream), upstream: ("down", client)}
        forwarded = {"up": 0, "down": 0}
        open_ends = [client, upstream]
        try:
            while open_ends and self.running:
                readable, _, _ = select.select(open_ends, [], [], 0.2)
                for source in readable:
                    direction, sink = ends[source]
                    data = source.recv(65536)
                    if not data:
                        sink.shutdown(socket.SHUT_WR)
                        open_ends.remove(source)
                        continue
                    for piece in self._pieces(data):
                        if self.mode == "delay":
                            time.sleep(self.rng.uniform(0.0, 0.2))
                        piece = self._fault(piece, forwarded[direction], direction, client,
                                            upstream)
                        if piece is None:
                            return
                        sink.sendall(piece)
                        forwarded[direction] += len(piece)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.close()
                except OSError:
                    pass

    def _fault(self, piece: bytes, forwarded: int, direction: str, client, upstream):
        """Applies the stall or the reset to the next piece. Returns what is left to send
        now, or None when both connections were reset."""
        if self.mode == "stall" and direction == "down" and not self.stalled.is_set() and \
                forwarded + len(piece) > self.after:
            head = self.after - forwarded
            client.sendall(piece[:head])
            self.stalled.set()
            if self.drop:
                rst_close(upstream)
                rst_close(client)
                return None
            time.sleep(self.stall)
            return piece[head:]
        if self.mode == "reset" and direction == "up" and forwarded + len(piece) > self.after:
            upstream.sendall(piece[:self.after - forwarded])
            time.sleep(0.05)  # let the server read the partial command
            rst_close(upstream)
            rst_close(client)
            return None
        return piece

    def close(self):
        self.running = False
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.close()
            except OSError:
                pass


def _model_pipeline(count: int, seed: int):
    """count commands and their exact replies (strings, lists, counters, errors)."""
    rng = random.Random(seed)
    strings, request, reply = {}, [], []
    counter = 0
    for index in range(count):
        kind = rng.randrange(5)
        key = b"x%d:%d" % (seed, rng.randrange(10))
        if kind == 0:
            value = bytes(rng.randrange(256) for _ in range(rng.choice([0, 5, 300, 3000])))
            strings[key] = value
            request.append(resp_encode("SET", key, value))
            reply.append(b"+OK\r\n")
        elif kind == 1:
            request.append(resp_encode("GET", key))
            value = strings.get(key)
            reply.append(b"$-1\r\n" if value is None else b"$%d\r\n%s\r\n" % (len(value), value))
        elif kind == 2:
            counter += 1
            request.append(b"incr c%d\r\n" % seed)
            reply.append(b":%d\r\n" % counter)
        elif kind == 3:
            request.append(resp_encode("ECHO", b"a\r\nb" * 10))
            reply.append(b"$40\r\n" + b"a\r\nb" * 10 + b"\r\n")
        else:
            request.append(resp_encode("NOSUCH", key))
            reply.append(b"-ERR unknown command 'NOSUCH', with args beginning with: '%s' \r\n"
                         % key)
    return b"".join(request), b"".join(reply)


def test_x4_one_byte_writes_both_ways(server_factory):
    server = server_factory()
    proxy = FaultProxy(server.port, "bytes")
    try:
        request, expected = _model_pipeline(150, seed=1)
        conn = RawConn(proxy.port, timeout=30)
        conn.send(request)
        conn.expect(expected, timeout=60)
        conn.assert_silent(0.05)
        conn.close()
    finally:
        proxy.close()
    assert server.raw().call("GET", "c1") != b"$-1\r\n"


def test_x4_random_delays_several_clients(server_factory):
    server = server_factory()
    proxies = [FaultProxy(server.port, "delay", seed=seed) for seed in range(2, 6)]
    results = {}

    def client(proxy, seed):
        try:
            request, expected = _model_pipeline(60, seed=seed)
            conn = RawConn(proxy.port, timeout=60)
            conn.send(request)
            conn.expect(expected, timeout=60)
            conn.close()
            results[seed] = "ok"
        except BaseException as error:  # reported below
            results[seed] = repr(error)[:500]

    threads = [threading.Thread(target=client, args=(proxy, seed))
               for proxy, seed in zip(proxies, range(2, 6))]
    for thread in threads:
        thread.start()
    direct = server.raw()
    while any(thread.is_alive() for thread in threads):
        assert direct.call("PING") == b"+PONG\r\n"  # unaffected meanwhile
        time.sleep(0.05)
    for proxy in proxies:
        proxy.close()
    assert results == {seed: "ok" for seed in range(2, 6)}, results


def test_x4_reply_stalled_midway(server_factory):
    server = server_factory()
    value = os.urandom(4 * MIB)
    direct = server.raw(timeout=30)
    assert direct.call("SET", "big", value) == b"+OK\r\n"
    baseline_fds = open_fds(server.pid)
    proxy = FaultProxy(server.port, "stall", after=65536, stall=10.0)
    dropper = FaultProxy(server.port, "stall", after=65536, drop=True)
    try:
        stalled = RawConn(proxy.port, timeout=30)
        stalled.send(resp_encode("GET", "big") + resp_encode("PING"))
        dropped = RawConn(dropper.port, timeout=30)
        dropped.send(resp_encode("GET", "big"))
        assert proxy.stalled.wait(10) and dropper.stalled.wait(10)
        probe = PingLoop(server.port)
        for index in range(20):  # other clients keep working during the 10 s stall
            assert direct.call("SET", "during%d" % index, "v") == b"+OK\r\n"
            time.sleep(0.25)
        samples = probe.stop()
        stalled.expect(b"$%d\r\n" % len(value), timeout=30)
        assert stalled.read_exact(len(value), timeout=30) == value
        stalled.expect(b"\r\n+PONG\r\n", timeout=10)
        assert stalled.call("GET", "during19") == b"$1\r\nv\r\n"
        stalled.close()
        dropped.close()
    finally:
        proxy.close()
        dropper.close()
    wait_connected(server.port, 2, timeout=20)  # the direct client and the probe
    wait_for(lambda: open_fds(server.pid) <= baseline_fds, 10,
             lambda: f"{open_fds(server.pid)} descriptors open, baseline {baseline_fds}")
    assert_p99_below(samples, 0.05)


def test_x4_reset_in_the_middle_of_a_command(server_factory):
    server = server_factory()
    baseline_fds = open_fds(server.pid)
    value = b"r" * 10_000
    for index in range(30):
        first = resp_encode("SET", "done%d" % index, "1")
        second = resp_encode("SET", "cut%d" % index, value)
        proxy = FaultProxy(server.port, "reset", after=len(first) + len(second) // 2)
        try:
            sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=10)
            try:
                sock.sendall(first + second)
                sock.settimeout(5)
                data = b""
                while True:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
            except (ConnectionResetError, BrokenPipeError):
                pass
            sock.close()
        finally:
            proxy.close()
    conn = server.raw()
    assert conn.call("EXISTS", *["done%d" % i for i in range(30)]) == b":30\r\n"
    assert conn.call("EXISTS", *["cut%d" % i for i in range(30)]) == b":0\r\n"
    wait_connected(server.port, 2, timeout=20)
    wait_for(lambda: open_fds(server.pid) <= baseline_fds + 1, 10,
             lambda: f"{open_fds(server.pid)} descriptors open, baseline {baseline_fds}")
