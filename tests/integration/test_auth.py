"""
requirepass and AUTH: NOAUTH for everything but AUTH/QUIT (and HELLO later),
WRONGPASS identical for every failure, binary-safe passwords, no bypass by
pipelining, and the pre-authentication limits (10 arguments of 16 KiB, a small
output cap for clients that never authenticated). Each test runs against
redis-server too (same flags), except the keel-only output-cap test.
"""
import socket
import time

import pytest

from conftest import RawConn, resp_encode

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
PASSWORD = "s3cret pass"


@pytest.fixture
def locked(server_factory):
    return server_factory("--requirepass", PASSWORD)


def test_commands_need_auth(locked):
    conn = locked.raw()
    for command in (("PING",), ("GET", "k"), ("SET", "k", "v"), ("CONFIG", "GET", "*"),
                    ("INFO",), ("SELECT", "1"), ("FLUSHALL",), ("DBSIZE",)):
        assert conn.call(*command) == NOAUTH, command
    # Unknown commands and arity errors are answered first, as Redis does.
    assert conn.call("NOSUCH").startswith(b"-ERR unknown command")
    assert conn.call("GET").startswith(b"-ERR wrong number of arguments")
    conn.send(b"ping\r\n")
    assert conn.read_reply()[0] == NOAUTH


def test_wrongpass_is_identical_for_every_failure(locked):
    conn = locked.raw()
    assert conn.call("AUTH", "wrong") == WRONGPASS
    assert conn.call("AUTH", "default", "wrong") == WRONGPASS
    assert conn.call("AUTH", "nosuchuser", PASSWORD) == WRONGPASS
    assert conn.call("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"
    assert conn.call("PING") == NOAUTH
    assert conn.call("AUTH", PASSWORD) == b"+OK\r\n"
    assert conn.call("PING") == b"+PONG\r\n"
    # A later failure does not drop the earlier authentication.
    assert conn.call("AUTH", "wrong") == WRONGPASS
    assert conn.call("PING") == b"+PONG\r\n"


def test_two_argument_form(locked):
    conn = locked.raw()
    assert conn.call("AUTH", "default", PASSWORD) == b"+OK\r\n"
    assert conn.call("SET", "k", "v") == b"+OK\r\n"


def test_pipelined_bypass_attempts_write_nothing(locked):
    conn = locked.raw()
    conn.send(resp_encode("AUTH", "wrong") + resp_encode("SET", "k", "v") +
              b"auth wrong\r\nset k2 v\r\n")
    for expected in (WRONGPASS, NOAUTH, WRONGPASS, NOAUTH):
        assert conn.read_reply()[0] == expected
    good = locked.raw()
    assert good.call("AUTH", PASSWORD) == b"+OK\r\n"
    assert good.call("EXISTS", "k", "k2") == b":0\r\n"
    # One connection's authentication never leaks to another.
    assert locked.raw().call("GET", "k") == NOAUTH


def test_binary_password(server_factory):
    # A NUL cannot travel in argv: the password comes from a config file, escaped.
    server = server_factory(config_text='port {port}\nbind {host}\nrequirepass "abc\\x00def"\n')
    conn = server.raw()
    assert conn.call("AUTH", "abc") == WRONGPASS
    assert conn.call("AUTH", b"abc\x00def") == b"+OK\r\n"


def test_auth_without_password_configured(server_factory):
    conn = server_factory().raw()
    assert conn.call("AUTH", "x") == (
        b"-ERR AUTH <password> called without any password configured for the default "
        b"user. Are you sure your configuration is correct?\r\n")


def test_quit_allowed_before_auth(locked):
    conn = locked.raw()
    assert conn.call("QUIT") == b"+OK\r\n"
    conn.assert_closed()


def test_preauth_argument_count_limit(locked):
    at_limit = locked.raw()
    at_limit.send(b"*10\r\n" + b"$1\r\nx\r\n" * 10)
    assert at_limit.read_reply()[0].startswith(b"-ERR unknown command")
    over = locked.raw()
    over.send(b"*11\r\n", tolerate_close=True)
    assert over.read_reply()[0] == b"-ERR Protocol error: unauthenticated multibulk length\r\n"
    over.assert_closed()


def test_preauth_bulk_length_limit(locked):
    at_limit = locked.raw()
    at_limit.send(b"*2\r\n$3\r\nGET\r\n$16384\r\n" + b"k" * 16384 + b"\r\n")
    assert at_limit.read_reply()[0] == NOAUTH
    over = locked.raw()
    over.send(b"*2\r\n$3\r\nGET\r\n$16385\r\n", tolerate_close=True)
    assert over.read_reply()[0] == b"-ERR Protocol error: unauthenticated bulk length\r\n"
    over.assert_closed()


def test_limits_lift_after_auth(locked):
    conn = locked.raw()
    assert conn.call("AUTH", PASSWORD) == b"+OK\r\n"
    assert conn.call("SET", "big", b"v" * 100_000) == b"+OK\r\n"
    assert conn.call("MSET", *(["k", "v"] * 20)) == b"+OK\r\n"


@pytest.mark.keel_only
def test_unauthenticated_non_reader_is_cut_off(locked):
    # A client that never authenticated and never reads is closed once its
    # pending replies pass a small fixed cap; an authenticated one is not.
    hog = socket.create_connection(("127.0.0.1", locked.port))
    closed = False
    try:
        hog.sendall(b"PING\r\n" * 100_000)
    except (BrokenPipeError, ConnectionResetError):
        closed = True  # cut off before the whole 600 KB was sent
    deadline = time.monotonic() + 5
    hog.settimeout(0.2)
    received = 0
    while time.monotonic() < deadline and not closed:
        try:
            chunk = hog.recv(65536)
            if not chunk:
                closed = True
            received += len(chunk)
        except socket.timeout:
            pass
        except ConnectionResetError:
            closed = True
    assert closed, "unauthenticated non-reader still connected"
    assert received < 100_000 * len(NOAUTH)
    good = locked.raw()
    assert good.call("AUTH", PASSWORD) == b"+OK\r\n"
    good.send(resp_encode("SET", "k", b"v" * 5000) + resp_encode("GET", "k"))
    assert good.read_reply()[0] == b"+OK\r\n"
    assert good.read_reply()[0] == b"$5000\r\n" + b"v" * 5000 + b"\r\n"
