"""
Floods and slow peers (RELIABILITY.md C1-C5, S5): 10,000 connections at once,
churn with FIN and RST, resets before accept, slowloris clients, many clients
sending at the same instant, and peers that vanish during a large reply. The
server stays up, serves others, and releases every slot and descriptor.
"""
import os
import resource
import socket
import struct
import threading
import time

import pytest

from conftest import RawConn, resp_encode

MAXCLIENTS_ERROR = b"-ERR max number of clients reached\r\n"


def info_field(port: int, section: str, field: str) -> int:
    conn = RawConn(port)
    try:
        text = conn.cmd("INFO", section).decode()
    finally:
        conn.close()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return int(line.split(":", 1)[1])
    raise AssertionError(f"{field} missing")


def wait_connected(port: int, expected: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        count = info_field(port, "clients", "connected_clients")
        if count == expected:
            return
        assert time.monotonic() < deadline, f"connected_clients {count}, expected {expected}"
        time.sleep(0.05)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def rst_close(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def nofile_at_least(count: int) -> bool:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count and hard >= count:
        resource.setrlimit(resource.RLIMIT_NOFILE, (count, hard))
        soft = count
    return soft >= count


@pytest.mark.keel_only
@pytest.mark.skipif(not nofile_at_least(10_200), reason="needs ulimit -n >= 10200")
def test_ten_thousand_connections(server_factory):
    server = server_factory("--maxclients", "10000")
    baseline_fds = open_fds(server.pid)
    socks = []
    try:
        started = time.monotonic()
        for _ in range(10_000):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
            socks.append(sock)
        for sock in socks:
            sock.sendall(b"PING\r\n")
        for sock in socks:
            data = b""
            while len(data) < 7:
                chunk = sock.recv(7 - len(data))
                assert chunk, "closed"
                data += chunk
            assert data == b"+PONG\r\n"
        elapsed = time.monotonic() - started
        assert elapsed < 60, elapsed
        extra = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        data = extra.recv(64)
        assert data == MAXCLIENTS_ERROR
        extra.close()
        assert info_field_raw_limit(server.port) == 0
    finally:
        for sock in socks:
            sock.close()
    wait_connected(server.port, 1, timeout=20)
    deadline = time.monotonic() + 10
    while open_fds(server.pid) > baseline_fds and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_fds(server.pid) <= baseline_fds
    conn = server.raw()
    assert conn.cmd("INFO", "memory").decode().count("allocations_after_ready:0") == 1


def info_field_raw_limit(port: int) -> int:
    """With every slot taken, a new connection is refused: reads as 0 slots free."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return 0 if sock.recv(64) == MAXCLIENTS_ERROR else 1
    finally:
        sock.close()


def test_churn_with_fin_and_rst(server_factory):
    server = server_factory()
    for index in range(3000):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if index % 4 == 0:
            sock.sendall(b"PING\r\n")
            assert sock.recv(7) == b"+PONG\r\n"
        elif index % 4 == 1:
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc")  # mid-command
        if index % 2 == 0:
            rst_close(sock)
        else:
            sock.close()
    conn = server.raw()
    assert conn.call("PING") == b"+PONG\r\n"
    assert conn.call("EXISTS", "k") == b":0\r\n"
    wait_connected(server.port, 2)


def test_reset_before_accept_does_not_stall_accepting(server_factory):
    server = server_factory()
    stop = threading.Event()
    waits = []

    def good_client():
        while not stop.is_set():
            started = time.monotonic()
            conn = RawConn(server.port, timeout=5)
            assert conn.call("PING") == b"+PONG\r\n"
            conn.close()
            waits.append(time.monotonic() - started)
            time.sleep(0.01)

    thread = threading.Thread(target=good_client)
    thread.start()
    try:
        for _ in range(1000):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.connect(("127.0.0.1", server.port))
            rst_close(sock)
    finally:
        stop.set()
        thread.join(10)
    assert waits and max(waits) < 1.0, max(waits)


def test_slowloris_clients_do_not_block_others(server_factory):
    server = server_factory()
    slow = []
    for _ in range(100):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(b"*3\r\n$3\r\nSET\r\n")
        slow.append(sock)
    latencies = []
    good = server.raw()
    for second in range(3):
        for sock in slow:
            sock.sendall(b"$")  # one byte at a time, never finishing
        for _ in range(20):
            started = time.monotonic()
            assert good.call("PING") == b"+PONG\r\n"
            latencies.append(time.monotonic() - started)
            time.sleep(0.01)
    latencies.sort()
    assert latencies[int(len(latencies) * 0.99) - 1] < 0.05, latencies[-5:]
    for sock in slow:
        sock.close()


def test_many_clients_sending_at_once(server_factory):
    server = server_factory()
    count = 1000
    socks = [socket.create_connection(("127.0.0.1", server.port), timeout=10)
             for _ in range(count)]
    value = b"x" * 4096
    for index, sock in enumerate(socks):
        sock.sendall(resp_encode("SET", f"key:{index}", value))
    for sock in socks:
        assert sock.recv(5) == b"+OK\r\n"
    conn = server.raw()
    assert conn.call("DBSIZE") == b":%d\r\n" % count
    for sock in socks:
        sock.close()


def test_peer_gone_during_big_reply(server_factory):
    server = server_factory()
    setter = server.raw()
    assert setter.call("SET", "big", b"b" * (4 * 1024 * 1024)) == b"+OK\r\n"
    for _ in range(200):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        sock.sendall(resp_encode("GET", "big"))
        rst_close(sock)
    assert setter.call("PING") == b"+PONG\r\n"
    wait_connected(server.port, 2)
