"""
Protected mode (RELIABILITY.md A2, test plan A9) without a network namespace.

With protected-mode yes and no password for the default user, Redis 7.0.15
answers a connection from a non-loopback peer with -DENIED (1067 bytes) and
closes it, before reading anything; loopback peers are served. Redis 7.0 does
this whatever `bind` says (6.x skipped the check when bind was set; the
tests bind explicitly and are still refused).

A machine with a non-loopback address of its own can test this alone: the
server listens on 127.0.0.1 and that address, and a client connecting to the
address has it as its source, so the server sees a non-loopback peer. Without
such an address the tests are skipped (the decision itself is unit-tested in
tests/unit/test_protected.c).

Every test runs against redis-server 7.0.15 too, except keel_only ones:
127.0.0.2 as a source (Redis 7.0.15 compares the peer with "127.0.0.1"
exactly and refuses it; keel takes 127.0.0.0/8 as Redis 7.2 does) and the
epoll backend.
"""
import socket
import subprocess
import time

import pytest

from conftest import RawConn

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default "
    b"user. NOTE: You only need to do one of the above things in order for the server to start "
    b"accepting connections from the outside.\r\n")


def _local_addresses(family: str):
    """Global-scope addresses of this machine (`ip -o addr`), loopback excluded."""
    try:
        out = subprocess.run(["ip", "-o", family, "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    addresses = []
    for line in out.splitlines():
        words = line.split()
        if "inet" in words or "inet6" in words:
            kind = "inet" if "inet" in words else "inet6"
            address = words[words.index(kind) + 1].split("/")[0]
            if not address.startswith("127.") and address != "::1":
                addresses.append(address)
    return addresses


def _usable(address: str) -> bool:
    """True if a socket can bind to the address (it is really ours)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.bind((address, 0))
        return True
    except OSError:
        return False


IPV4 = next((a for a in _local_addresses("-4") if _usable(a)), None)
IPV6 = next((a for a in _local_addresses("-6") if _usable(a)), None)
NO_IPV4 = "this machine has no non-loopback IPv4 address to connect from (see test_protected.c)"
NO_IPV6 = "this machine has no global IPv6 address to connect from (see test_protected.c)"


def remote(server, address=None, timeout=5.0) -> RawConn:
    """A connection to the server through its non-loopback address (the peer is not local)."""
    conn = RawConn(server.port, host=address or IPV4, timeout=timeout)
    server._clients.append(conn)
    return conn


def assert_denied(conn: RawConn, send_first: bool) -> None:
    """The server sends exactly -DENIED and closes (EOF, or RST after the bytes)."""
    if send_first:
        conn.send(b"PING\r\n", tolerate_close=True)
    data, closed = conn.read_until_close(timeout=5.0)
    assert data == DENIED, data[:200]
    assert closed


def start(server_factory, *args, address=None):
    """A server on 127.0.0.1 and the non-loopback address (bind set explicitly)."""
    return server_factory("--bind", "127.0.0.1", address or IPV4, *args)


# ==== Refusal ====

@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_remote_peer_denied_before_any_byte(server_factory):
    server = start(server_factory, "--protected-mode", "yes")
    assert_denied(remote(server), send_first=False)
    assert_denied(remote(server), send_first=True)
    # Loopback is served on the same server.
    assert server.raw().call("PING") == PONG


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_denied_whatever_the_bind(server_factory):
    # Redis 7.0 ignores bind here: an explicit wildcard bind is refused too.
    server = server_factory("--bind", "0.0.0.0", "--protected-mode", "yes")
    assert_denied(remote(server), send_first=True)
    assert server.raw().call("PING") == PONG


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_denied_connections_are_counted(server_factory):
    server = start(server_factory)
    local = server.raw()
    before = local.cmd("INFO", "stats")
    assert b"rejected_connections:0\r\n" in before
    for _ in range(3):
        assert_denied(remote(server), send_first=True)
    after = local.cmd("INFO", "stats")
    assert b"rejected_connections:3\r\n" in after
    # The server keeps serving, remote attempts do not leave clients behind.
    assert local.call("PING") == PONG
    clients = local.cmd("INFO", "clients")
    assert b"connected_clients:1\r\n" in clients


@pytest.mark.skipif(IPV6 is None, reason=NO_IPV6)
def test_remote_ipv6_peer_denied(server_factory):
    server = server_factory("--bind", "127.0.0.1", "::1", IPV6, "--protected-mode", "yes")
    assert_denied(remote(server, IPV6), send_first=True)
    loopback6 = remote(server, "::1")
    assert loopback6.call("PING") == PONG


# ==== What lets a remote peer in ====

@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_protected_mode_no(server_factory):
    server = start(server_factory, "--protected-mode", "no")
    assert remote(server).call("PING") == PONG


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_requirepass_lets_remote_peers_authenticate(server_factory):
    server = start(server_factory, "--requirepass", "sekret")
    conn = remote(server)
    assert conn.call("PING") == NOAUTH
    assert conn.call("AUTH", "sekret") == OK
    assert conn.call("PING") == PONG


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_config_set_protected_mode_at_run_time(server_factory):
    server = start(server_factory)
    local = server.raw()
    assert local.cmd("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]
    assert local.call("CONFIG", "SET", "protected-mode", "no") == OK
    assert local.cmd("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"no"]
    allowed = remote(server)
    assert allowed.call("PING") == PONG
    assert local.call("CONFIG", "SET", "protected-mode", "YES") == OK
    assert local.cmd("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]
    assert_denied(remote(server), send_first=True)
    # A connection accepted while it was off stays (the check runs at accept only).
    assert allowed.call("PING") == PONG
    for bad in ("maybe", "1", ""):
        assert local.call("CONFIG", "SET", "protected-mode", bad) == (
            b"-ERR CONFIG SET failed (possibly related to argument 'protected-mode') - "
            b"argument must be 'yes' or 'no'\r\n")
    assert local.cmd("CONFIG", "GET", "protected-mode") == [b"protected-mode", b"yes"]


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_default_password_from_acl_and_requirepass_at_run_time(server_factory):
    server = start(server_factory)
    local = server.raw()
    assert local.call("ACL", "SETUSER", "default", ">pw") == OK
    conn = remote(server)
    assert conn.call("PING") == NOAUTH
    assert conn.call("AUTH", "pw") == OK
    assert local.call("ACL", "SETUSER", "default", "nopass") == OK
    assert_denied(remote(server), send_first=True)
    assert local.call("CONFIG", "SET", "requirepass", "x") == OK
    assert remote(server).call("PING") == NOAUTH
    assert local.call("CONFIG", "SET", "requirepass", "") == OK
    assert_denied(remote(server), send_first=True)


@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_maxclients_is_answered_before_protected_mode(server_factory):
    server = start(server_factory, "--maxclients", "1")
    # The readiness probe's connection may still hold the only slot for a moment.
    deadline = time.monotonic() + 5
    while True:
        local = server.raw()
        reply = local.call("PING")
        if reply == PONG or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert reply == PONG
    conn = remote(server)
    data, closed = conn.read_until_close(timeout=5.0)
    assert data == b"-ERR max number of clients reached\r\n"
    assert closed


# ==== keel only ====

@pytest.mark.keel_only
def test_whole_loopback_network_is_local(server_factory):
    # 127.0.0.0/8 is loopback (Redis 7.2's rule; 7.0.15 refuses 127.0.0.2).
    server = server_factory("--bind", "0.0.0.0", "--protected-mode", "yes")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.2", 0))
    sock.settimeout(5)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(b"*1\r\n$4\r\nPING\r\n")
    assert sock.recv(100) == PONG
    sock.close()


@pytest.mark.keel_only
@pytest.mark.skipif(IPV4 is None, reason=NO_IPV4)
def test_epoll_backend_denies_the_same_way(server_factory):
    server = start(server_factory, "--io-backend", "epoll")
    assert_denied(remote(server), send_first=False)
    assert_denied(remote(server), send_first=True)
    assert server.raw().call("PING") == PONG
