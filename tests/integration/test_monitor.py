"""
MONITOR with Redis 7.0.15's behaviour: the line format (+<sec>.<usec> [<db>
<addr>] "arg" ...), sdscatrepr quoting, the db after the command ran, AUTH and
HELLO arguments redacted, admin commands and refused commands never shown, a
monitor's own commands shown after their reply, keyspace commands refused to a
monitor, RESET leaving monitor mode, MONITOR twice answering nothing, monitors
counted as clients (flag O) and cut like any client over its output limit.
Every test also runs against redis-server 7.0.15.
"""
import re
import socket
import time

import pytest

from conftest import resp_encode

OK = b"+OK\r\n"
LINE = re.compile(rb"^\+(\d+)\.(\d{6}) \[(\d+) (127\.0\.0\.1:\d+)\] (.*)$")


def peer(conn) -> bytes:
    host, port = conn.sock.getsockname()[:2]
    return f"{host}:{port}".encode()


def read_lines(monitor, count: int) -> list:
    """The next `count` monitor lines, as (db, addr, arguments-text)."""
    out = []
    for _ in range(count):
        raw = monitor.read_reply()[0]
        assert raw.endswith(b"\r\n"), raw
        match = LINE.match(raw[:-2])
        assert match, raw
        out.append((int(match.group(3)), match.group(4), match.group(5)))
    return out


@pytest.fixture
def pair(server):
    monitor, conn = server.raw(), server.raw()
    assert monitor.call("MONITOR") == OK
    return monitor, conn


def test_line_format_and_time(pair):
    monitor, conn = pair
    before = time.time()
    assert conn.call("SET", "k", "v") == OK
    raw = monitor.read_reply()[0]
    match = LINE.match(raw[:-2])
    assert match, raw
    stamp = float(match.group(1) + b"." + match.group(2))
    assert before - 1 <= stamp <= time.time() + 1
    assert match.group(3) == b"0" and match.group(4) == peer(conn)
    assert match.group(5) == b'"SET" "k" "v"'


def test_quoting_is_sdscatrepr(pair):
    monitor, conn = pair
    value = b'a"b\\c\x01\xff\n\r\t\x07\x08 ~'
    assert conn.call("SET", "key with space", value) == OK
    assert conn.call("GET", "") == b"$-1\r\n"
    lines = read_lines(monitor, 2)
    assert lines[0][2] == (b'"SET" "key with space" '
                           b'"a\\"b\\\\c\\x01\\xff\\n\\r\\t\\a\\b ~"')
    assert lines[1][2] == b'"GET" ""'


def test_db_is_the_one_after_the_command(pair):
    monitor, conn = pair
    assert conn.call("SELECT", "2") == OK
    assert conn.call("GET", "x") == b"$-1\r\n"
    assert conn.call("SELECT", "0") == OK
    lines = read_lines(monitor, 3)
    assert [(db, text) for db, _, text in lines] == [
        (2, b'"SELECT" "2"'), (2, b'"GET" "x"'), (0, b'"SELECT" "0"')]


def test_auth_and_hello_redacted(pair):
    monitor, conn = pair
    conn.call("AUTH", "secret")
    conn.call("AUTH", "user", "secret")
    conn.cmd("HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n")
    conn.call("HELLO", "2")
    lines = [text for _, _, text in read_lines(monitor, 4)]
    assert lines == [b'"AUTH" "(redacted)"', b'"AUTH" "(redacted)" "(redacted)"',
                     b'"HELLO" "2" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n"',
                     b'"HELLO" "2"']


def test_admin_and_refused_commands_not_shown(pair, server):
    monitor, conn = pair
    for args in (("CONFIG", "GET", "maxmemory"), ("CLIENT", "LIST"),
                 ("CLIENT", "KILL", "ID", "999999"), ("CLIENT", "NO-EVICT", "on"),
                 ("CLIENT", "PAUSE", "0"), ("CLIENT", "UNPAUSE"), ("NOSUCH", "x"), ("GET",),
                 ("CLIENT", "foo"), ("ACL", "SETUSER", "someone"), ("ACL", "DELUSER", "x")):
        conn.call(*args)
    second = server.raw()
    assert second.call("MONITOR") == OK  # not shown either
    assert conn.call("ECHO", "marker") == b"$6\r\nmarker\r\n"
    assert read_lines(monitor, 1)[0][2] == b'"ECHO" "marker"'
    assert read_lines(second, 1)[0][2] == b'"ECHO" "marker"'


def test_shown_commands_include_connection_ones(server):
    monitor, conn = server.raw(), server.raw()
    assert monitor.call("MONITOR") == OK
    for args in (("CLIENT", "SETNAME", "n1"), ("CLIENT", "ID"), ("PING",), ("ECHO", "1"),
                 ("INFO", "clients"), ("WAIT", "0", "0"), ("CONFIG", "GET", "x"),
                 ("CLIENT", "LIST"), ("ECHO", "end")):
        conn.cmd(*args)
    texts = [text for _, _, text in read_lines(monitor, 7)]
    assert texts == [b'"CLIENT" "SETNAME" "n1"', b'"CLIENT" "ID"', b'"PING"', b'"ECHO" "1"',
                     b'"INFO" "clients"', b'"WAIT" "0" "0"', b'"ECHO" "end"']


def test_monitor_sees_itself_after_reply_and_cannot_touch_keys(pair):
    monitor, _ = pair
    raw = monitor.call("PING")
    assert raw == b"+PONG\r\n"
    assert read_lines(monitor, 1)[0][2] == b'"PING"'
    assert monitor.call("GET", "k") == b"-ERR Replica can't interact with the keyspace\r\n"
    assert monitor.call("SET", "k", "v") == b"-ERR Replica can't interact with the keyspace\r\n"
    monitor.send(resp_encode("MONITOR"))
    monitor.assert_silent(0.2)  # MONITOR from a monitor answers nothing
    assert monitor.call("RESET") == b"+RESET\r\n"
    assert monitor.call("GET", "k") == b"$-1\r\n"  # no longer a monitor: no line either
    monitor.assert_silent(0.2)


def test_monitor_counts_as_client_with_flag_o(pair, server):
    monitor, conn = pair
    text = conn.cmd("INFO", "clients")
    assert b"connected_clients:2\r\n" in text
    listing = conn.cmd("CLIENT", "LIST")
    flags = [line.split(b" flags=")[1].split(b" ")[0] for line in listing.split(b"\n")[:-1]]
    assert sorted(flags) == [b"N", b"O"]
    assert conn.cmd("CLIENT", "LIST", "TYPE", "normal").count(b"\n") == 2
    read_lines(monitor, 1)  # INFO clients


def test_exec_shows_queued_commands_then_exec(pair):
    monitor, conn = pair
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "x", "1") == b"+QUEUED\r\n"
    assert conn.call("EXEC") == b"*1\r\n+OK\r\n"
    texts = [text for _, _, text in read_lines(monitor, 3)]
    assert texts == [b'"MULTI"', b'"SET" "x" "1"', b'"EXEC"']


def test_slow_monitor_is_cut_by_output_limit(server):
    admin = server.raw()
    assert admin.call("CONFIG", "SET", "client-output-buffer-limit",
                      "normal 262144 0 0") == OK
    monitor = socket.create_connection(("127.0.0.1", server.port))
    monitor.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    monitor.sendall(resp_encode("MONITOR"))
    time.sleep(0.1)
    value = "x" * 20000
    writer = server.raw()
    for round_index in range(400):
        writer.send(b"".join(resp_encode("SET", f"k{round_index}", value) for _ in range(4)))
        for _ in range(4):
            writer.read_reply()
        if b"flags=O" not in admin.cmd("CLIENT", "LIST") and round_index > 2:
            break
    assert b"flags=O" not in admin.cmd("CLIENT", "LIST")
    assert b"connected_clients:2\r\n" in admin.cmd("INFO", "clients")
    monitor.close()


def test_monitor_is_never_idle_closed(server):
    admin = server.raw()
    assert admin.call("CONFIG", "SET", "timeout", "1") == OK
    monitor, idle = server.raw(), server.raw()
    assert monitor.call("MONITOR") == OK
    assert idle.call("PING") == b"+PONG\r\n"
    assert read_lines(monitor, 1)[0][2] == b'"PING"'
    time.sleep(2.5)
    idle.assert_closed()
    admin.assert_closed()
    assert monitor.call("PING") == b"+PONG\r\n"


def test_monitor_inside_exec_is_refused(raw):
    # A client inside EXEC cannot block, and Redis refuses MONITOR from it.
    raw.send(b"MULTI\r\nMONITOR\r\nEXEC\r\nPING\r\n")
    expected = (b"+OK\r\n+QUEUED\r\n*1\r\n-ERR MONITOR isn't allowed for DENY BLOCKING "
                b"client\r\n+PONG\r\n")
    received = b""
    deadline = time.monotonic() + 5
    while len(received) < len(expected) and time.monotonic() < deadline:
        raw.sock.settimeout(max(0.01, deadline - time.monotonic()))
        received += raw.sock.recv(4096)
    assert received == expected
