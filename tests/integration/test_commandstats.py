"""
INFO commandstats, INFO errorstats, total_error_replies and CONFIG RESETSTAT,
with Redis 7.0.15's rules: calls/usec for commands that ran; failed_calls for
those that ran and replied an error; rejected_calls for those refused before
running (arity, NOAUTH, NOPERM, OOM); an unknown command or subcommand counts
nowhere; subcommands have their own rows ("cmdstat_config|get"); every error
reply counts under its code, protocol errors included. Every test runs against
redis-server 7.0.15 too (KEEL_BIN=/usr/bin/redis-server).

Redis lists commandstats in its dictionary's hash order: lines are compared
as a dict.
"""
import re

import pytest

OK = b"+OK\r\n"
LINE = re.compile(r"cmdstat_([^:]+):calls=(\d+),usec=(\d+),usec_per_call=(\d+\.\d\d),"
                  r"rejected_calls=(\d+),failed_calls=(\d+)")


@pytest.fixture
def conn(server):
    return server.raw()


def command_stats(conn) -> dict:
    text = conn.cmd("INFO", "commandstats").decode()
    lines = text.split("\r\n")
    assert lines[0] == "# Commandstats"
    assert lines[-1] == ""
    stats = {}
    for line in lines[1:-1]:
        match = LINE.fullmatch(line)
        assert match, line
        name, calls, usec, per_call, rejected, failed = match.groups()
        calls, usec = int(calls), int(usec)
        assert per_call == ("%.2f" % (usec / calls) if calls else "0.00"), line
        stats[name] = (calls, int(rejected), int(failed))
    return stats


def error_stats(conn) -> list:
    text = conn.cmd("INFO", "errorstats").decode()
    assert text.startswith("# Errorstats\r\n") and text.endswith("\r\n")
    return text.split("\r\n")[1:-1]


def total_errors(conn) -> int:
    text = conn.cmd("INFO", "stats").decode()
    return int(re.search(r"\r\ntotal_error_replies:(\d+)\r\n", text).group(1))


def test_calls_rejections_and_failures(conn):
    assert conn.call("CONFIG", "RESETSTAT") == OK
    conn.cmd("GET")                       # arity: rejected
    conn.cmd("CONFIG")                    # the container's arity: rejected on "config"
    conn.cmd("CONFIG", "GET")             # the subcommand's arity: rejected on "config|get"
    conn.cmd("CONFIG", "FOO")             # unknown subcommand: counted nowhere
    conn.cmd("FOO")                       # unknown command: counted nowhere
    assert conn.call("SET", "k", "v") == OK
    conn.cmd("LPUSH", "k", "x")           # WRONGTYPE: failed
    conn.cmd("INCR", "k")                 # not an integer: failed
    conn.cmd("CONFIG", "GET", "maxmemory")
    conn.cmd("SLOWLOG", "GET", "1", "2")  # ran and replied an error: failed
    conn.cmd("PING", "a", "b")            # PING checks its own arity: failed, as in Redis
    assert command_stats(conn) == {
        "config|resetstat": (1, 0, 0),
        "get": (0, 1, 0),
        "config": (0, 1, 0),
        "config|get": (1, 1, 0),
        "set": (1, 0, 0),
        "lpush": (1, 0, 1),
        "incr": (1, 0, 1),
        "slowlog|get": (1, 0, 1),
        "ping": (1, 0, 1),
    }
    assert error_stats(conn) == ["errorstat_ERR:count=8", "errorstat_WRONGTYPE:count=1"]
    assert total_errors(conn) == 9


def test_usec(conn):
    assert conn.call("CONFIG", "RESETSTAT") == OK
    for index in range(100):
        conn.cmd("RPUSH", "list", *range(1000))
    text = conn.cmd("INFO", "commandstats").decode()
    match = re.search(r"cmdstat_rpush:calls=100,usec=(\d+),usec_per_call=(\d+\.\d\d),", text)
    assert match, text
    usec = int(match.group(1))
    assert usec > 0
    assert match.group(2) == "%.2f" % (usec / 100)


def test_counts_accumulate(conn):
    assert conn.call("CONFIG", "RESETSTAT") == OK
    for _ in range(7):
        conn.cmd("PING")
    for _ in range(3):
        conn.cmd("GET", "a", "b")
    stats = command_stats(conn)
    assert stats["ping"] == (7, 0, 0)
    assert stats["get"] == (0, 3, 0)
    assert stats["config|resetstat"] == (1, 0, 0)


def test_noauth_is_a_rejection(server_factory):
    server = server_factory("--requirepass", "pw")
    admin = server.raw()
    assert admin.call("AUTH", "pw") == OK
    assert admin.call("CONFIG", "RESETSTAT") == OK
    conn = server.raw()
    assert conn.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    assert conn.call("CONFIG", "GET", "x") == b"-NOAUTH Authentication required.\r\n"
    conn.cmd("AUTH", "wrong")
    assert conn.call("AUTH", "pw") == OK
    stats = command_stats(conn)
    assert stats["get"] == (0, 1, 0)
    assert stats["config|get"] == (0, 1, 0)
    assert stats["auth"] == (2, 0, 1)
    assert error_stats(conn) == ["errorstat_NOAUTH:count=2", "errorstat_WRONGPASS:count=1"]
    assert total_errors(conn) == 3


def test_noperm_is_a_rejection(conn):
    assert conn.call("ACL", "SETUSER", "u", "on", "nopass", "+get", "+info", "~a*") == OK
    assert conn.call("CONFIG", "RESETSTAT") == OK
    assert conn.call("AUTH", "u", "x") == OK
    conn.cmd("GET", "b")
    conn.cmd("SET", "a", "1")
    conn.cmd("CONFIG", "GET", "x")
    assert conn.call("GET", "a") == b"$-1\r\n"
    stats = command_stats(conn)
    assert stats["get"] == (1, 1, 0)
    assert stats["set"] == (0, 1, 0)
    assert stats["config|get"] == (0, 1, 0)
    assert error_stats(conn) == ["errorstat_NOPERM:count=3"]


def test_oom_is_a_rejection(server_factory):
    conn = server_factory("--maxmemory", "2mb").raw()
    assert conn.call("CONFIG", "RESETSTAT") == OK
    refused = 0
    for index in range(100):
        if conn.call("SET", f"k{index}", "x" * 50000).startswith(b"-OOM"):
            refused += 1
    assert refused > 0
    stats = command_stats(conn)
    assert stats["set"] == (100 - refused, refused, 0)
    assert error_stats(conn) == [f"errorstat_OOM:count={refused}"]
    assert total_errors(conn) == refused


def test_protocol_errors_count(server):
    conn = server.raw()
    assert conn.call("CONFIG", "RESETSTAT") == OK
    for request in (b"*1\r\n$x\r\n", b"PING \"abc\r\n"):
        other = server.raw()
        other.send(request)
        data, closed = other.read_until_close()
        assert data.startswith(b"-ERR Protocol error: ") and closed
    assert error_stats(conn) == ["errorstat_ERR:count=2"]
    assert total_errors(conn) == 2
    assert "cmdstat_ping" not in conn.cmd("INFO", "commandstats").decode()


def test_error_codes_sorted(conn):
    assert conn.call("CONFIG", "RESETSTAT") == OK
    conn.cmd("SET", "s", "v")
    conn.cmd("SADD", "s", "m")                       # WRONGTYPE
    conn.cmd("AUTH", "nouser", "pw")                 # WRONGPASS
    conn.cmd("ACL", "SETUSER", "u", "on", "nopass", "-@all")
    conn.cmd("AUTH", "u", "x")
    conn.cmd("GET", "a")                             # NOPERM
    conn.cmd("AUTH", "default", "")                  # default is nopass: OK, no error
    conn.cmd("GETT")                                 # ERR
    assert error_stats(conn) == [
        "errorstat_ERR:count=1", "errorstat_NOPERM:count=1", "errorstat_WRONGPASS:count=1",
        "errorstat_WRONGTYPE:count=1"]


def test_resetstat(conn):
    conn.cmd("GET")
    conn.cmd("INCR", "x")
    conn.cmd("SET", "x", "a")
    conn.cmd("INCR", "x")
    assert total_errors(conn) == 2
    assert conn.call("CONFIG", "RESETSTAT") == OK
    assert error_stats(conn) == []
    assert total_errors(conn) == 0
    assert command_stats(conn) == {"config|resetstat": (1, 0, 0), "info": (2, 0, 0)}
    text = conn.cmd("INFO", "stats").decode()
    for field in ("total_commands_processed", "keyspace_hits", "keyspace_misses",
                  "expired_keys", "evicted_keys"):
        value = int(re.search(r"\r\n%s:(\d+)\r\n" % field, text).group(1))
        assert value == (4 if field == "total_commands_processed" else 0), field


def test_info_sections(conn):
    conn.cmd("GET")
    default = conn.cmd("INFO").decode()
    assert "# Errorstats\r\nerrorstat_ERR:count=1\r\n" in default
    assert "# Commandstats" not in default
    assert "# Commandstats" not in conn.cmd("INFO", "default").decode()
    for section in ("all", "everything", "commandstats", "COMMANDSTATS"):
        assert "\r\ncmdstat_get:calls=0" in "\r\n" + conn.cmd("INFO", section).decode(), section
    both = conn.cmd("INFO", "errorstats", "commandstats").decode()
    assert both.startswith("# Commandstats\r\n")
    assert "\r\n\r\n# Errorstats\r\nerrorstat_ERR:count=1\r\n" in both
    assert both.endswith("\r\n") and not both.endswith("\r\n\r\n")
    headers = [line for line in conn.cmd("INFO", "all").decode().split("\r\n")
               if line.startswith("#")]
    wanted = ["# Server", "# Clients", "# Memory", "# Stats", "# Commandstats", "# Errorstats",
              "# Keyspace"]
    assert [header for header in headers if header in wanted] == wanted
