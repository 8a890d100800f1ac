"""
Connection-layer limits, each at the limit and one past it: the output limit
(silent close, nothing partial), the shared output pool (backpressure pauses
only the clients holding chunks), the query-buffer limit, big arguments
received straight into the heap (and refused with -OOM when the heap is full),
and slot reuse after many connections.
"""
import socket
import time

import pytest

from conftest import RawConn, resp_encode

pytestmark = pytest.mark.keel_only

OOM_ERROR = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def info_field(port: int, section: str, field: str) -> str:
    conn = RawConn(port)
    try:
        text = conn.cmd("INFO", section).decode()
    finally:
        conn.close()
    for line in text.split("\r\n"):
        if line.startswith(field + ":"):
            return line.split(":", 1)[1]
    raise AssertionError(f"{field} not in INFO {section}")


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


# ==== client-output-buffer-limit (normal hard limit) ====

def test_reply_at_output_limit_is_sent(server_factory):
    # A reply of exactly the limit fits: the 1 MiB limit holds a bulk of 1 MiB minus framing.
    server = server_factory("--client-output-buffer-limit", "normal", "1mb", "0", "0")
    value = b"v" * (1024 * 1024 - len(b"$1048567\r\n\r\n"))
    conn = server.raw()
    conn.cmd("SET", "k", value)
    conn.send(resp_encode("GET", "k"))
    assert conn.read_exact(len(bulk(value)), timeout=5) == bulk(value)


def test_reply_past_output_limit_closes_without_bytes(server_factory):
    server = server_factory("--client-output-buffer-limit", "normal", "1mb", "0", "0")
    value = b"v" * (1024 * 1024 - len(b"$1048568\r\n\r\n") + 1)
    setter = server.raw()
    setter.cmd("SET", "k", value)
    conn = server.raw()
    conn.send(resp_encode("GET", "k"))
    data, closed = conn.read_until_close(3.0)
    assert closed and data == b"", (len(data), closed)
    assert int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")) == 1
    # Other clients are untouched, and the key is intact.
    assert setter.cmd("STRLEN", "k") == len(value)


def test_non_reading_client_is_cut_others_served(server_factory):
    server = server_factory("--client-output-buffer-limit", "normal", "2mb", "0", "0")
    good = server.raw()
    good.cmd("SET", "big", b"x" * 100_000)
    hog = socket.create_connection(("127.0.0.1", server.port))
    hog.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    hog.sendall(resp_encode("GET", "big") * 200)  # 20 MB of replies, never read
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")):
            break
        assert good.cmd("PING") == b"PONG"
        time.sleep(0.05)
    assert int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")) == 1
    assert good.cmd("PING") == b"PONG"
    hog.close()


# ==== the shared output pool ====

def test_pool_backpressure_pauses_only_chunk_holders(server_factory):
    # Four clients ask for 12 MB each and do not read: the kernel's socket buffers take a
    # few MB each, the rest would need more than the 4 MiB pool. Holders pause; a client
    # with nothing pending is still served; once they read, every reply arrives whole.
    server = server_factory("--output-pool-size", "4mb",
                            "--client-output-buffer-limit", "normal", "64mb", "0", "0")
    good = server.raw()
    good.cmd("SET", "big", b"y" * 200_000)
    hogs = []
    for _ in range(4):
        hog = socket.create_connection(("127.0.0.1", server.port))
        hog.sendall(resp_encode("GET", "big") * 60)
        hogs.append(hog)
    time.sleep(0.5)
    for _ in range(20):
        assert good.cmd("PING") == b"PONG"
    assert int(info_field(server.port, "memory", "output_chunks_free")) < 256
    expected = bulk(b"y" * 200_000) * 60
    for hog in hogs:
        hog.settimeout(10)
        received = bytearray()
        while len(received) < len(expected):
            chunk = hog.recv(1 << 20)
            assert chunk, "closed early"
            received += chunk
        assert bytes(received) == expected
        hog.close()
    assert good.cmd("PING") == b"PONG"
    assert int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")) == 0


# ==== client-query-buffer-limit ====

def test_query_buffer_limit(server_factory):
    server = server_factory("--client-query-buffer-limit", "1mb")
    conn = server.raw()
    # At the limit: a 1 MiB command (bulk of 1 MiB minus its framing) is served.
    framing = len(resp_encode("SET", "k", b"")) + 7
    conn.send(resp_encode("SET", "k", b"a" * (1024 * 1024 - framing)))
    assert conn.read_reply()[0] == b"+OK\r\n"
    # Past it: a 2 MiB argument closes the connection without a reply.
    over = server.raw()
    over.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n" + b"b" * 65536, tolerate_close=True)
    data, closed = over.read_until_close(3.0)
    assert closed and data == b""
    assert int(info_field(server.port, "stats", "client_query_buffer_limit_disconnections")) == 1
    assert conn.cmd("STRLEN", "k") == 1024 * 1024 - framing


def test_many_small_arguments_use_the_input_pool(server_factory):
    # 20,000 arguments overflow the fixed input buffer and the inline argv array.
    server = server_factory()
    conn = server.raw()
    pairs = []
    for index in range(10_000):
        pairs += [b"key:%d" % index, b"value:%d" % index]
    conn.send(resp_encode("MSET", *pairs), )
    assert conn.read_reply(timeout=10)[0] == b"+OK\r\n"
    assert conn.cmd("DBSIZE") == 10_000
    assert conn.cmd("GET", "key:9999") == b"value:9999"


def test_small_input_pool_closes_only_the_oversized_command(server_factory):
    server = server_factory("--input-pool-size", "1mb")
    big = server.raw()
    big.send(resp_encode("MSET", *([b"k", b"v" * 100] * 10_000)), tolerate_close=True)
    data, closed = big.read_until_close(3.0)
    assert closed and data == b""
    good = server.raw()
    assert good.cmd("PING") == b"PONG"


# ==== big arguments ====

def test_big_argument_sent_in_small_pieces(server_factory):
    server = server_factory()
    conn = server.raw()
    value = bytes(range(256)) * 4096  # 1 MiB of every byte value
    conn.send_split(resp_encode("SET", "k", value), chunk=65536)
    assert conn.read_reply(timeout=10)[0] == b"+OK\r\n"
    assert conn.cmd("GET", "k") == value


def test_big_argument_without_room_answers_oom_and_keeps_reading(server_factory):
    server = server_factory("--maxmemory", "4mb")
    conn = server.raw()
    value = b"z" * (6 * 1024 * 1024)
    conn.send(resp_encode("SET", "k", value) + resp_encode("PING"))
    assert conn.read_reply(timeout=10)[0] == OOM_ERROR
    assert conn.read_reply(timeout=10)[0] == b"+PONG\r\n"
    assert conn.cmd("EXISTS", "k") == 0


def test_big_value_memory_is_counted_once(server_factory):
    server = server_factory("--maxmemory", "8mb")
    conn = server.raw()
    value = b"q" * (5 * 1024 * 1024)
    assert conn.call("SET", "k", value) == b"+OK\r\n"
    used = int(info_field(server.port, "memory", "used_memory"))
    assert used < 6 * 1024 * 1024, used


# ==== slots ====

def test_slots_are_reused_after_closing(server_factory):
    server = server_factory("--maxclients", "9")  # 8 + the INFO probe
    for _round in range(50):
        conns = [server.raw() for _ in range(8)]
        for conn in conns:
            assert conn.cmd("PING") == b"PONG"
        for conn in conns:
            conn.close()
        deadline = time.monotonic() + 2
        while int(info_field(server.port, "clients", "connected_clients")) != 1:
            assert time.monotonic() < deadline
            time.sleep(0.01)


# ==== timeout ====

def test_idle_client_closed_after_timeout(server_factory):
    server = server_factory("--timeout", "1")
    idle = server.raw()
    busy = server.raw()
    started = time.monotonic()
    deadline = started + 5
    while time.monotonic() < deadline:
        assert busy.cmd("PING") == b"PONG"  # an active client stays
        time.sleep(0.2)
        data, closed = idle.read_until_close(0.01)
        if closed:
            break
    assert closed and data == b"", "idle client not closed silently"
    assert 1.0 <= time.monotonic() - started <= 3.5
    assert busy.cmd("PING") == b"PONG"


def test_maxclients_lowered_to_the_open_file_limit(tmp_path):
    import subprocess
    from conftest import KEEL_BIN
    result = subprocess.run(["bash", "-c", f"ulimit -n 100; {KEEL_BIN} --maxclients 1000 "
                             "--check-plan"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=10)
    assert result.returncode == 0
    # --check-plan plans what was asked: the clamp applies only to a real start.
    assert b"clients" in result.stdout


# ==== client-output-buffer-limit soft limit ====

def test_soft_output_limit_closes_after_its_seconds(server_factory):
    # Soft limit 1 MiB for 2 s, hard limit far above: a client that keeps more than
    # 1 MiB pending is closed after 2 s, not before (Redis's obuf-limits rule).
    server = server_factory("--client-output-buffer-limit", "normal", "256mb", "1mb", "2")
    good = server.raw()
    good.cmd("SET", "big", b"s" * 200_000)
    hog = socket.create_connection(("127.0.0.1", server.port))
    hog.sendall(resp_encode("GET", "big") * 100)  # 20 MB, never read
    started = time.monotonic()
    time.sleep(1.0)
    assert int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")) == 0
    deadline = started + 6
    while time.monotonic() < deadline:
        if int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")):
            break
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    assert int(info_field(server.port, "stats", "client_output_buffer_limit_disconnections")) == 1
    assert 2.0 <= elapsed < 4.5, elapsed
    assert good.cmd("PING") == b"PONG"
    hog.close()


def test_commands_after_an_overflowing_reply_do_not_run(server_factory):
    # A reply past the output limit closes the client; what it pipelined after that
    # command must not run (Redis marks the client close-asap and stops reading).
    server = server_factory()
    conn = server.raw()
    assert conn.call("CONFIG", "SET", "client-output-buffer-limit",
                     "normal 1000 0 0") == b"+OK\r\n"
    assert conn.call("RPUSH", "l", "x" * 40_000) == b":1\r\n"
    conn.send(resp_encode("LRANGE", "l", "0", "-1") + resp_encode("SET", "after", "1"))
    conn.sock.settimeout(5)
    received = b""
    while True:
        try:
            data = conn.sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        received += data
    assert received == b""
    other = server.raw()
    assert other.call("EXISTS", "after") == b":0\r\n"
