"""
tcp-keepalive (RELIABILITY.md A2 and test plan S7): the server side of every
accepted connection has SO_KEEPALIVE with Redis's anetKeepAlive settings,
TCP_KEEPIDLE = interval, TCP_KEEPINTVL = interval / 3 (at least 1) and
TCP_KEEPCNT = 3, so a vanished peer is dropped after about twice the interval.

Seen from outside: `ss -tno` shows `timer:(keepalive,<time left>,0)` on the
server's socket of an established connection while the connection is idle,
and no timer with tcp-keepalive 0. The exact setsockopt values are checked by
attaching strace to the server while it accepts (skipped when strace cannot
attach). CONFIG SET tcp-keepalive applies to connections accepted afterwards.
Everything runs against redis-server 7.0.15 too.
"""
import re
import shutil
import subprocess
import time

import pytest

PONG = b"+PONG\r\n"
OK = b"+OK\r\n"


def _seconds(text: str) -> float:
    """ss's timer text ("4min59sec", "59sec", "1min", "300ms") in seconds."""
    total = 0.0
    for value, unit in re.findall(r"(\d+)(min|sec|ms)", text):
        total += int(value) * {"min": 60, "sec": 1, "ms": 0.001}[unit]
    return total


def server_socket_line(server_port: int, client_port: int) -> str:
    """The `ss -tno` line of the server's end of one connection."""
    out = subprocess.run(["ss", "-tnoH", "state", "established"], capture_output=True,
                         text=True, timeout=10, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        local, peer = fields[2], fields[3]
        if local.endswith(f":{server_port}") and peer.endswith(f":{client_port}"):
            return line
    raise AssertionError(f"no established server socket {server_port}<-{client_port}:\n{out}")


def keepalive_left(server, conn, wait: float = 1.0) -> float:
    """Seconds left on the keepalive timer of the server's end of conn, or None.

    The timer shows only while nothing is in flight (an unacknowledged reply
    shows the retransmission timer instead), so this looks a few times.
    """
    client_port = conn.sock.getsockname()[1]
    deadline = time.monotonic() + wait
    while True:
        line = server_socket_line(server.port, client_port)
        match = re.search(r"timer:\(keepalive,([^,]+),(\d+)\)", line)
        if match is not None:
            return _seconds(match.group(1))
        if time.monotonic() > deadline:
            return None
        time.sleep(0.05)


pytestmark = pytest.mark.skipif(shutil.which("ss") is None, reason="needs ss (iproute2)")


def test_keepalive_timer_on_server_sockets(server_factory):
    server = server_factory("--tcp-keepalive", "300")
    conn = server.raw()
    assert conn.call("PING") == PONG
    left = keepalive_left(server, conn)
    assert left is not None, "no keepalive timer on the server's socket"
    assert 200 < left <= 300


def test_no_timer_with_keepalive_zero(server_factory):
    server = server_factory("--tcp-keepalive", "0")
    conn = server.raw()
    assert conn.call("PING") == PONG
    assert keepalive_left(server, conn) is None


def test_default_is_300_seconds(server_factory):
    server = server_factory()
    conn = server.raw()
    assert conn.cmd("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"300"]
    left = keepalive_left(server, conn)
    assert left is not None and 200 < left <= 300


def test_config_set_applies_to_new_connections(server_factory):
    server = server_factory("--tcp-keepalive", "0")
    old = server.raw()
    assert old.call("CONFIG", "SET", "tcp-keepalive", "60") == OK
    assert old.cmd("CONFIG", "GET", "tcp-keepalive") == [b"tcp-keepalive", b"60"]
    new = server.raw()
    assert new.call("PING") == PONG
    left = keepalive_left(server, new)
    assert left is not None and 30 < left <= 60
    assert keepalive_left(server, old) is None
    assert old.call("CONFIG", "SET", "tcp-keepalive", "-1") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'tcp-keepalive') - argument "
        b"must be between 0 and 2147483647 inclusive\r\n")


def _strace_accept(server, connect):
    """setsockopt calls the server makes while `connect()` runs, as strace prints them."""
    if shutil.which("strace") is None:
        pytest.skip("needs strace")
    trace = subprocess.Popen(["strace", "-f", "-qq", "-e", "trace=setsockopt", "-p",
                              str(server.pid)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # let strace attach
        if trace.poll() is not None:
            pytest.skip(f"strace could not attach: {trace.stderr.read()[:200]}")
        connect()
        time.sleep(0.3)
    finally:
        trace.terminate()
        _, err = trace.communicate(timeout=10)
    return err


@pytest.mark.parametrize("interval, expected", [(300, (300, 100, 3)), (2, (2, 1, 3)),
                                                (7, (7, 2, 3))])
def test_keepalive_socket_options(server_factory, interval, expected):
    server = server_factory("--tcp-keepalive", str(interval))
    conns = []

    def connect():
        conn = server.raw()
        assert conn.call("PING") == PONG
        conns.append(conn)

    text = _strace_accept(server, connect)
    values = {}
    for name in ("SO_KEEPALIVE", "TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT"):
        found = re.findall(name + r", \[(\d+)\]", text)
        assert found, f"no setsockopt {name} seen:\n{text}"
        values[name] = int(found[-1])
    assert values["SO_KEEPALIVE"] == 1
    assert (values["TCP_KEEPIDLE"], values["TCP_KEEPINTVL"], values["TCP_KEEPCNT"]) == expected


def test_no_keepalive_options_with_zero(server_factory):
    server = server_factory("--tcp-keepalive", "0")

    def connect():
        conn = server.raw()
        assert conn.call("PING") == PONG

    text = _strace_accept(server, connect)
    assert "TCP_NODELAY" in text, text
    assert "SO_KEEPALIVE" not in text and "TCP_KEEPIDLE" not in text, text
