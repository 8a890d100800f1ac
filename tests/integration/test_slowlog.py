"""
SLOWLOG GET/LEN/RESET/HELP and the slowlog-log-slower-than / slowlog-max-len
keywords, with Redis 7.0.15's replies: entry shape (id, unix time, duration,
arguments, ip:port, name), argument and byte truncation, redaction, trimming
after a lowered slowlog-max-len. Every test runs against redis-server 7.0.15 too
(KEEL_BIN=/usr/bin/redis-server) except the keel_only ones: the plan's slowlog
ring and its reservation rule.

Each test starts its own server: the slow log is server-wide state.
"""
import subprocess
import time

import pytest

from conftest import KEEL_BIN

OK = b"+OK\r\n"


def log_everything(conn):
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == OK
    assert conn.call("SLOWLOG", "RESET") == OK


def peer(conn) -> bytes:
    host, port = conn.sock.getsockname()[:2]
    return f"{host}:{port}".encode()


@pytest.fixture
def conn(server):
    return server.raw()


# ==== Keywords ====

def test_keyword_defaults(conn):
    assert conn.cmd("CONFIG", "GET", "slowlog-log-slower-than") == [
        b"slowlog-log-slower-than", b"10000"]
    assert conn.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"128"]
    assert conn.cmd("CONFIG", "GET", "slowlog*") in (
        [b"slowlog-log-slower-than", b"10000", b"slowlog-max-len", b"128"],
        [b"slowlog-max-len", b"128", b"slowlog-log-slower-than", b"10000"])


def test_keyword_ranges(conn):
    prefix = b"-ERR CONFIG SET failed (possibly related to argument "
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "-2") == (
        prefix + b"'slowlog-log-slower-than') - argument must be between -1 and "
        b"9223372036854775807 inclusive\r\n")
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "abc") == (
        prefix + b"'slowlog-log-slower-than') - argument couldn't be parsed into an "
        b"integer\r\n")
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "9223372036854775808") == (
        prefix + b"'slowlog-log-slower-than') - argument couldn't be parsed into an "
        b"integer\r\n")
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "-1") == (
        prefix + b"'slowlog-max-len') - argument must be between 0 and 9223372036854775807 "
        b"inclusive\r\n")
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "-1") == OK
    assert conn.cmd("CONFIG", "GET", "slowlog-log-slower-than") == [
        b"slowlog-log-slower-than", b"-1"]
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "9223372036854775807") == OK
    assert conn.call("CONFIG", "SET", "SLOWLOG-MAX-LEN", "5") == OK
    assert conn.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"5"]


def test_keywords_from_the_command_line(server_factory):
    conn = server_factory("--slowlog-log-slower-than", "-1", "--slowlog-max-len", "7").raw()
    assert conn.cmd("CONFIG", "GET", "slowlog-log-slower-than") == [
        b"slowlog-log-slower-than", b"-1"]
    assert conn.cmd("CONFIG", "GET", "slowlog-max-len") == [b"slowlog-max-len", b"7"]


# ==== Entries ====

def test_entry_shape(conn):
    log_everything(conn)
    before = int(time.time())
    assert conn.call("SET", "foo", "bar") == OK
    entries = conn.cmd("SLOWLOG", "GET")
    assert len(entries) == 2  # SET, then the RESET (logged after it ran)
    entry = entries[0]
    assert len(entry) == 6
    identifier, when, duration, arguments, address, name = entry
    assert identifier == entries[1][0] + 1
    assert before - 1 <= when <= time.time() + 1
    assert 0 <= duration < 1000000
    assert arguments == [b"SET", b"foo", b"bar"]
    assert address == peer(conn)
    assert name == b""
    assert entries[1][3] == [b"SLOWLOG", b"RESET"]


def test_entry_bytes(conn):
    log_everything(conn)
    conn.cmd("ECHO", "hi")
    raw = conn.call("SLOWLOG", "GET", "1")
    address = peer(conn)
    assert raw.startswith(b"*1\r\n*6\r\n:")
    tail = (b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n$%d\r\n%s\r\n$0\r\n\r\n" % (len(address), address))
    assert raw.endswith(tail)


def test_reset_is_logged_after_it_ran(conn):
    log_everything(conn)
    assert conn.cmd("SLOWLOG", "LEN") == 1
    assert conn.cmd("SLOWLOG", "LEN") == 2
    assert conn.call("SLOWLOG", "RESET") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 1


def test_newest_first_and_ids_survive_reset(conn):
    log_everything(conn)
    for index in range(5):
        conn.cmd("ECHO", str(index))
    entries = conn.cmd("SLOWLOG", "GET", "-1")
    assert [entry[3] for entry in entries[:5]] == [[b"ECHO", str(i).encode()]
                                                  for i in (4, 3, 2, 1, 0)]
    ids = [entry[0] for entry in entries]
    assert ids == sorted(ids, reverse=True)
    assert ids == list(range(ids[0], ids[0] - len(ids), -1))
    last = ids[0]
    assert conn.call("SLOWLOG", "RESET") == OK
    entries = conn.cmd("SLOWLOG", "GET")
    # SLOWLOG GET -1 (last + 1), then RESET (last + 2).
    assert entries[0][0] == last + 2


def test_get_count(conn):
    log_everything(conn)
    for index in range(20):
        conn.cmd("PING")
    assert len(conn.cmd("SLOWLOG", "GET")) == 10
    assert len(conn.cmd("SLOWLOG", "GET", "3")) == 3
    assert conn.cmd("SLOWLOG", "GET", "0") == []
    # RESET, 20 PINGs, then each GET above is logged after it ran.
    assert len(conn.cmd("SLOWLOG", "GET", "-1")) == 24
    assert len(conn.cmd("SLOWLOG", "GET", "1000")) == 25
    error = b"-ERR count should be greater than or equal to -1\r\n"
    for bad in ("-2", "abc", "1.5", " 1", "+1", "99999999999999999999", ""):
        assert conn.call("SLOWLOG", "GET", bad) == error, bad


def test_errors(conn):
    assert conn.call("SLOWLOG", "get", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'get'. "
        b"Try SLOWLOG HELP.\r\n")
    assert conn.call("SlowLog", "Get", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'Get'. "
        b"Try SLOWLOG HELP.\r\n")
    assert conn.call("SLOWLOG") == b"-ERR wrong number of arguments for 'slowlog' command\r\n"
    assert conn.call("SLOWLOG", "LEN", "x") == (
        b"-ERR wrong number of arguments for 'slowlog|len' command\r\n")
    assert conn.call("SLOWLOG", "RESET", "x") == (
        b"-ERR wrong number of arguments for 'slowlog|reset' command\r\n")
    assert conn.call("SLOWLOG", "HELP", "x") == (
        b"-ERR wrong number of arguments for 'slowlog|help' command\r\n")
    assert conn.call("SLOWLOG", "foo") == (
        b"-ERR unknown subcommand 'foo'. Try SLOWLOG HELP.\r\n")


def test_help(conn):
    lines = [
        b"SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"GET [<count>]",
        b"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
        b"    Entries are made of:",
        b"    id, timestamp, time in microseconds, arguments array, client IP and port,",
        b"    client name",
        b"LEN",
        b"    Return the length of the slowlog.",
        b"RESET",
        b"    Reset the slowlog.",
        b"HELP",
        b"    Prints this help.",
    ]
    expected = b"*%d\r\n" % len(lines) + b"".join(b"+%s\r\n" % line for line in lines)
    assert conn.call("SLOWLOG", "HELP") == expected
    assert conn.call("slowlog", "help") == expected


# ==== What an entry keeps ====

def test_arguments_beyond_32(conn):
    log_everything(conn)
    members = [str(index) for index in range(40)]
    conn.cmd("SADD", "s", *members)
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert len(arguments) == 32
    assert arguments[:31] == [b"SADD", b"s"] + [m.encode() for m in members[:29]]
    assert arguments[31] == b"... (11 more arguments)"
    conn.cmd("SADD", "t", *members[:30])  # 32 arguments exactly: all kept
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert arguments == [b"SADD", b"t"] + [m.encode() for m in members[:30]]
    conn.cmd("SADD", "u", *members[:31])  # 33: the last two become the note
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert len(arguments) == 32
    assert arguments[31] == b"... (2 more arguments)"


def test_long_arguments_cut_at_128_bytes(conn):
    log_everything(conn)
    value = bytes(range(256)) * 2
    assert conn.call("SET", "k" * 128, value) == OK
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert arguments[1] == b"k" * 128
    assert arguments[2] == value[:128] + b"... (384 more bytes)"
    conn.cmd("ECHO", "e" * 129)
    assert conn.cmd("SLOWLOG", "GET", "1")[0][3][1] == b"e" * 128 + b"... (1 more bytes)"


def test_big_argument_is_shown(conn):
    """A value large enough to be received straight into its own object (and
    adopted by SET) is still shown as it was sent."""
    log_everything(conn)
    value = b"abcdefgh" * 40000
    assert conn.call("SET", "big", value) == OK
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert arguments == [b"SET", b"big", value[:128] + b"... (319872 more bytes)"]
    assert conn.call("APPEND", "big", value) == b":640000\r\n"
    arguments = conn.cmd("SLOWLOG", "GET", "1")[0][3]
    assert arguments == [b"APPEND", b"big", value[:128] + b"... (319872 more bytes)"]


def test_redacted_arguments(conn):
    log_everything(conn)
    conn.cmd("AUTH", "secret")
    conn.cmd("AUTH", "someone", "secret")
    conn.cmd("AUTH", "a", "b", "c")
    conn.cmd("CONFIG", "SET", "requirepass", "", "maxmemory-samples", "5")
    conn.cmd("CONFIG", "SET", "maxmemory-samples", "5", "REQUIREPASS", "")
    conn.cmd("CONFIG", "SET", "requirepass")
    conn.cmd("ACL", "SETUSER", "bob", "on", ">pw", "+get", "~*")
    conn.cmd("ACL", "DELUSER", "bob")
    entries = [entry[3] for entry in conn.cmd("SLOWLOG", "GET", "8")]
    assert entries == [
        [b"ACL", b"DELUSER", b"bob"],
        [b"ACL", b"SETUSER", b"(redacted)", b"(redacted)", b"(redacted)", b"(redacted)",
         b"(redacted)"],
        [b"CONFIG", b"SET", b"maxmemory-samples", b"5", b"REQUIREPASS", b"(redacted)"],
        [b"CONFIG", b"SET", b"requirepass", b"(redacted)", b"maxmemory-samples", b"5"],
        [b"AUTH", b"a", b"b", b"c"],
        [b"AUTH", b"(redacted)", b"(redacted)"],
        [b"AUTH", b"(redacted)"],
        [b"SLOWLOG", b"RESET"],
    ]


def test_rejected_commands_are_not_logged(conn):
    log_everything(conn)
    conn.cmd("GET")
    conn.cmd("NOSUCHCOMMAND")
    conn.cmd("CONFIG", "NOSUCH")
    conn.cmd("CONFIG", "GET")
    assert conn.cmd("SLOWLOG", "LEN") == 1
    conn.cmd("INCR", "a", "b")  # wrong arity: refused, not logged
    conn.cmd("LPUSH", "x", "1")
    conn.cmd("INCR", "x")  # runs and fails: logged
    entries = [entry[3] for entry in conn.cmd("SLOWLOG", "GET")]
    assert entries[:3] == [[b"INCR", b"x"], [b"LPUSH", b"x", b"1"], [b"SLOWLOG", b"LEN"]]


# ==== slowlog-log-slower-than and slowlog-max-len ====

def test_threshold(conn):
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "10000000") == OK
    assert conn.call("SLOWLOG", "RESET") == OK
    for _ in range(10):
        conn.cmd("PING")
    assert conn.cmd("SLOWLOG", "LEN") == 0
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 1  # the CONFIG SET itself


def test_disabled_logs_nothing_and_trims_nothing(conn):
    log_everything(conn)
    for _ in range(4):
        conn.cmd("PING")
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "-1") == OK
    length = conn.cmd("SLOWLOG", "LEN")
    assert length == 5
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "1") == OK
    for _ in range(4):
        conn.cmd("PING")
    assert conn.cmd("SLOWLOG", "LEN") == 5
    assert conn.call("SLOWLOG", "RESET") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 0


def test_max_len_applies_with_the_next_command(conn):
    log_everything(conn)
    for _ in range(5):
        conn.cmd("PING")
    assert conn.cmd("SLOWLOG", "LEN") == 6
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "2") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 2
    entries = conn.cmd("SLOWLOG", "GET")
    assert [entry[3][0] for entry in entries] == [b"SLOWLOG", b"CONFIG"]
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "0") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 0
    assert conn.cmd("SLOWLOG", "GET", "-1") == []
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "128") == OK
    assert conn.cmd("SLOWLOG", "LEN") == 1
    ids = [entry[0] for entry in conn.cmd("SLOWLOG", "GET")]
    assert ids == [ids[1] + 1, ids[1]]


def test_ring_wraps(conn):
    log_everything(conn)
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "5") == OK
    for index in range(23):
        conn.cmd("ECHO", str(index))
    entries = conn.cmd("SLOWLOG", "GET", "-1")
    assert [entry[3] for entry in entries] == [[b"ECHO", str(i).encode()]
                                              for i in range(22, 17, -1)]
    ids = [entry[0] for entry in entries]
    assert ids == list(range(ids[0], ids[0] - 5, -1))


# ==== keel: the plan's ring ====

@pytest.mark.keel_only
def test_ring_is_in_the_plan(conn):
    memory = conn.cmd("INFO", "memory").decode()
    line = next(l for l in memory.split("\r\n") if l.startswith("plan_slowlog:"))
    fields = dict(part.split("=") for part in line.split(":", 1)[1].split(","))
    assert int(fields["count"]) == 128
    assert int(fields["unit"]) > 32 * 128
    assert int(fields["bytes"]) >= int(fields["count"]) * int(fields["unit"])


@pytest.mark.keel_only
def test_max_len_not_raised_past_the_reservation(server_factory):
    conn = server_factory("--slowlog-max-len", "3").raw()
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "4") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - value "
        b"exceeds the number reserved at startup (3)\r\n")
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "2") == OK
    assert conn.call("CONFIG", "SET", "slowlog-max-len", "3") == OK
    log_everything(conn)
    for index in range(10):
        conn.cmd("ECHO", str(index))
    assert [entry[3][1] for entry in conn.cmd("SLOWLOG", "GET")] == [b"9", b"8", b"7"]


@pytest.mark.keel_only
def test_max_len_bound_at_startup(server_factory, tmp_path):
    result = subprocess.run([KEEL_BIN, "--slowlog-max-len", "1000001", "--check-plan"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1
    assert "slowlog-max-len: argument must be between 0 and 1000000 inclusive" in result.stderr
    result = subprocess.run([KEEL_BIN, "--slowlog-max-len", "0", "--check-plan"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "plan slowlog " in result.stdout
    conn = server_factory("--slowlog-max-len", "0").raw()
    log_everything(conn)
    conn.cmd("PING")
    assert conn.cmd("SLOWLOG", "LEN") == 0
