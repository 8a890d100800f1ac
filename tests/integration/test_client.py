"""
CLIENT (ID, SETNAME, GETNAME, INFO, LIST, KILL, PAUSE, UNPAUSE, REPLY, NO-EVICT,
UNBLOCK, GETREDIR, TRACKING, CACHING, TRACKINGINFO, HELP), RESET, WAIT and INFO
clients, with Redis 7.0.15's replies byte for byte. Every test also runs against
redis-server 7.0.15 (KEEL_BIN=/usr/bin/redis-server) except the keel_only ones:
keel's name limit and its CLIENT TRACKING refusal.

Each test starts its own server: pauses, kills and names are server-wide state.
"""
import re
import time

import pytest

from conftest import resp_encode

OK = b"+OK\r\n"
SYNTAX = b"-ERR syntax error\r\n"
BAD_NAME = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
LINE = re.compile(
    rb"id=(?P<id>\d+) addr=(?P<addr>127\.0\.0\.1:\d+) laddr=(?P<laddr>127\.0\.0\.1:\d+) "
    rb"fd=\d+ name=(?P<name>\S*) age=\d+ idle=\d+ flags=(?P<flags>[A-Za-z]+) db=(?P<db>\d+) "
    rb"sub=(?P<sub>\d+) psub=(?P<psub>\d+) ssub=0 multi=(?P<multi>-?\d+) qbuf=\d+ "
    rb"qbuf-free=\d+ argv-mem=(?P<argv>\d+) multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=\d+ "
    rb"omem=\d+ tot-mem=\d+ events=r?w? cmd=(?P<cmd>\S+) user=(?P<user>\S+) redir=-1 "
    rb"resp=(?P<resp>[23])$")


def client_id(conn) -> int:
    return conn.cmd("CLIENT", "ID")


def info_line(conn) -> dict:
    text = conn.cmd("CLIENT", "INFO")
    if text.startswith(b"txt:"):
        text = text[4:]  # RESP3 verbatim string
    assert text.endswith(b"\n") and text.count(b"\n") == 1, text
    match = LINE.match(text[:-1])
    assert match, text
    return match.groupdict()


def list_lines(conn, *args) -> list:
    text = conn.cmd("CLIENT", "LIST", *args)
    assert text == b"" or text.endswith(b"\n"), text
    out = []
    for line in text.split(b"\n")[:-1]:
        match = LINE.match(line)
        assert match, line
        out.append(match.groupdict())
    return out


def peer(conn) -> bytes:
    host, port = conn.sock.getsockname()[:2]
    return f"{host}:{port}".encode()


# ==== ID, SETNAME, GETNAME ====

def test_id_is_increasing_per_connection(server):
    first, second = server.raw(), server.raw()
    assert client_id(second) > client_id(first) > 0
    assert first.call("CLIENT", "ID") == b":%d\r\n" % client_id(first)


def test_setname_getname_and_validation(server):
    conn = server.raw()
    assert conn.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert conn.call("CLIENT", "SETNAME", "worker-1") == OK
    assert conn.call("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    for bad in ("a b", "a\nb", "tab\there", "\x7f", "\xe9", "nul\x00"):
        assert conn.call("CLIENT", "SETNAME", bad) == BAD_NAME, bad
    assert conn.call("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    assert info_line(conn)["name"] == b"worker-1"
    assert conn.call("CLIENT", "SETNAME", "") == OK  # empty clears
    assert conn.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert conn.call("CLIENT", "SETNAME", "!~") == OK  # printable edges
    assert conn.call("CLIENT", "SETNAME") == (
        b"-ERR wrong number of arguments for 'client|setname' command\r\n")


@pytest.mark.keel_only
def test_setname_at_keel_limit_and_one_past(server):
    conn = server.raw()
    assert conn.call("CLIENT", "SETNAME", "n" * 63) == OK
    assert conn.call("CLIENT", "SETNAME", "n" * 64) == (
        b"-ERR Client name is too long (keel keeps up to 63 bytes)\r\n")
    assert conn.cmd("CLIENT", "GETNAME") == b"n" * 63


# ==== INFO and LIST ====

def test_info_fields_in_redis_order(server):
    conn = server.raw()
    assert conn.call("SELECT", "3") == OK
    assert conn.call("CLIENT", "SETNAME", "me") == OK
    fields = info_line(conn)
    assert fields["db"] == b"3" and fields["name"] == b"me"
    assert fields["flags"] == b"N" and fields["multi"] == b"-1"
    assert fields["cmd"] == b"client|info" and fields["user"] == b"default"
    assert fields["argv"] == b"10"  # "client" + "info"
    assert fields["addr"] == peer(conn)
    assert int(fields["id"]) == client_id(conn)
    assert fields["resp"] == b"2"


def test_list_in_id_order_with_last_commands(server):
    conns = [server.raw() for _ in range(4)]
    conns[1].close()  # a freed slot is reused by the next connection
    conns.append(server.raw())
    assert conns[2].call("GET", "k") == b"$-1\r\n"
    lines = list_lines(conns[0])
    ids = [int(line["id"]) for line in lines]
    assert ids == sorted(ids)
    expected = [client_id(c) for c in (conns[0], conns[2], conns[3], conns[4])]
    assert ids == expected
    by_id = {int(line["id"]): line for line in lines}
    assert by_id[expected[1]]["cmd"] == b"get"
    assert by_id[expected[0]]["cmd"] == b"client|list"
    assert by_id[expected[3]]["cmd"] == b"NULL"  # connected, no command yet


def test_list_type_and_id_filters(server):
    conn, other = server.raw(), server.raw()
    mine, theirs = client_id(conn), client_id(other)
    assert len(list_lines(conn, "TYPE", "normal")) == 2
    for kind in ("master", "replica", "slave", "pubsub", "PUBSUB"):
        assert conn.call("CLIENT", "LIST", "TYPE", kind) == b"$0\r\n\r\n"
    picked = list_lines(conn, "ID", theirs, 999999, mine, theirs)
    assert [int(line["id"]) for line in picked] == [theirs, mine, theirs]
    assert conn.call("CLIENT", "LIST", "ID", "0") == b"$0\r\n\r\n"


def test_list_errors(server):
    conn = server.raw()
    assert conn.call("CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert conn.call("CLIENT", "LIST", "ID", "1", "x") == b"-ERR Invalid client ID\r\n"
    assert conn.call("CLIENT", "LIST", "ID") == SYNTAX
    assert conn.call("CLIENT", "LIST", "TYPE") == SYNTAX
    assert conn.call("CLIENT", "LIST", "foo") == SYNTAX
    assert conn.call("CLIENT", "LIST", "TYPE", "normal", "x") == SYNTAX
    assert conn.call("CLIENT", "INFO", "x") == (
        b"-ERR wrong number of arguments for 'client|info' command\r\n")


def test_unknown_subcommand_and_arity(server):
    conn = server.raw()
    assert conn.call("CLIENT", "foo") == b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
    assert conn.call("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"
    assert conn.call("CLIENT", "ID", "x") == (
        b"-ERR wrong number of arguments for 'client|id' command\r\n")
    assert conn.call("CLIENT", "PAUSE", "1", "ALL", "x") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. "
        b"Try CLIENT HELP.\r\n")
    assert conn.call("CLIENT", "UNBLOCK", "1", "TIMEOUT", "x") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. "
        b"Try CLIENT HELP.\r\n")


# ==== KILL ====

def test_kill_old_form(server):
    conn, victim = server.raw(), server.raw()
    assert conn.call("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
    assert conn.call("CLIENT", "KILL", peer(victim)) == OK
    victim.assert_closed()
    assert conn.call("PING") == b"+PONG\r\n"


def test_kill_old_form_self_closes_after_reply(server):
    conn = server.raw()
    conn.send(resp_encode("CLIENT", "KILL", peer(conn)) + resp_encode("PING"))
    data, closed = conn.read_until_close()
    assert data == OK and closed


def test_kill_filters_count(server):
    conn = server.raw()
    victims = [server.raw() for _ in range(3)]
    assert conn.call("CLIENT", "KILL", "ID", client_id(victims[0])) == b":1\r\n"
    victims[0].assert_closed()
    assert conn.call("CLIENT", "KILL", "ADDR", peer(victims[1])) == b":1\r\n"
    victims[1].assert_closed()
    assert conn.call("CLIENT", "KILL", "ID", "999999") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "LADDR", "x") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "TYPE", "pubsub") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "TYPE", "master") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "TYPE", "replica") == b":0\r\n"
    # SKIPME yes is the default: the caller survives a kill by type.
    assert conn.call("CLIENT", "KILL", "TYPE", "normal") == b":1\r\n"
    victims[2].assert_closed()
    assert conn.call("PING") == b"+PONG\r\n"


def test_kill_by_user_and_laddr(server):
    conn = server.raw()
    other = server.raw()
    laddr = info_line(other)["laddr"]
    assert conn.call("ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*") == OK
    bob = server.raw()
    assert bob.call("AUTH", "bob", "pw") == OK
    assert conn.call("CLIENT", "KILL", "USER", "bob") == b":1\r\n"
    bob.assert_closed()
    assert conn.call("CLIENT", "KILL", "LADDR", laddr, "SKIPME", "yes") == b":1\r\n"
    other.assert_closed()


def test_kill_self_new_form(server):
    conn = server.raw()
    me = client_id(conn)
    conn.send(resp_encode("CLIENT", "KILL", "ID", me, "SKIPME", "no") + resp_encode("PING"))
    data, closed = conn.read_until_close()
    assert data == b":1\r\n" and closed


def test_kill_errors(server):
    conn = server.raw()
    bad_id = b"-ERR client-id should be greater than 0\r\n"
    assert conn.call("CLIENT", "KILL", "ID", "abc") == bad_id
    assert conn.call("CLIENT", "KILL", "ID", "0") == bad_id
    assert conn.call("CLIENT", "KILL", "ID", "-1") == bad_id
    assert conn.call("CLIENT", "KILL", "SKIPME", "maybe") == SYNTAX
    assert conn.call("CLIENT", "KILL", "ID", "1", "ID") == SYNTAX
    assert conn.call("CLIENT", "KILL", "a", "b", "c") == SYNTAX
    assert conn.call("CLIENT", "KILL", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert conn.call("CLIENT", "KILL", "USER", "nouser") == b"-ERR No such user 'nouser'\r\n"
    assert conn.call("CLIENT", "KILL") == (
        b"-ERR wrong number of arguments for 'client|kill' command\r\n")


# ==== PAUSE / UNPAUSE ====

def test_pause_errors(server):
    conn = server.raw()
    assert conn.call("CLIENT", "PAUSE", "abc") == (
        b"-ERR timeout is not an integer or out of range\r\n")
    assert conn.call("CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative\r\n"
    assert conn.call("CLIENT", "PAUSE", "100", "foo") == (
        b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n")
    assert conn.call("CLIENT", "PAUSE", "0") == OK
    assert conn.call("PING") == b"+PONG\r\n"
    # Redis adds the timeout to the clock unchecked: past INT64_MAX it is no pause.
    assert conn.call("CLIENT", "PAUSE", str(2**63 - 1)) == OK
    assert conn.call("PING", timeout=1.0) == b"+PONG\r\n"
    assert conn.call("CLIENT", "UNPAUSE") == OK


def test_pause_write_holds_writes_only(server):
    admin, worker = server.raw(), server.raw()
    assert worker.call("SET", "k", "v") == OK
    assert admin.call("CLIENT", "PAUSE", "400", "WRITE") == OK
    start = time.monotonic()
    assert worker.call("GET", "k") == b"$1\r\nv\r\n"
    assert worker.call("CLIENT", "SETNAME", "w") == OK
    assert worker.call("SELECT", "0") == OK
    assert time.monotonic() - start < 0.3
    assert worker.call("SET", "k", "w") == OK
    assert time.monotonic() - start >= 0.35
    assert worker.call("GET", "k") == b"$1\r\nw\r\n"


@pytest.mark.parametrize("command", [("DEL", "k"), ("EXPIRE", "k", "10"), ("FLUSHALL",),
                                     ("INCR", "n"), ("SWAPDB", "0", "1")])
def test_pause_write_holds_each_write(server, command):
    admin, worker = server.raw(), server.raw()
    assert admin.call("CLIENT", "PAUSE", "200", "WRITE") == OK
    start = time.monotonic()
    worker.cmd(*command)
    assert time.monotonic() - start >= 0.15


def test_unpause_releases_held_clients_and_info(server):
    admin, worker, observer = server.raw(), server.raw(), server.raw()
    assert admin.call("CLIENT", "PAUSE", "10000", "WRITE") == OK
    worker.send(resp_encode("SET", "a", "b") + resp_encode("GET", "a"))
    worker.assert_silent(0.2)
    info = observer.cmd("INFO", "clients")
    assert b"blocked_clients:1\r\n" in info
    held = [line for line in list_lines(observer) if int(line["id"]) == client_id_of(observer,
                                                                                   worker)]
    assert held[0]["flags"] == b"b" and held[0]["cmd"] == b"set"
    start = time.monotonic()
    assert observer.call("CLIENT", "UNPAUSE") == OK
    assert worker.read_reply()[0] == OK
    assert worker.read_reply()[0] == b"$1\r\nb\r\n"
    assert time.monotonic() - start < 1.0
    assert b"blocked_clients:0\r\n" in observer.cmd("INFO", "clients")


def client_id_of(observer, target) -> int:
    """The id of `target` (paused, so it cannot answer CLIENT ID itself)."""
    address = peer(target)
    for line in list_lines(observer):
        if line["addr"] == address:
            return int(line["id"])
    raise AssertionError("client not listed")


def test_pause_all_holds_every_command_even_the_caller(server):
    admin, worker = server.raw(), server.raw()
    assert admin.call("CLIENT", "PAUSE", "300", "ALL") == OK
    start = time.monotonic()
    assert worker.call("PING") == b"+PONG\r\n"
    assert time.monotonic() - start >= 0.25
    assert admin.call("PING") == b"+PONG\r\n"


def test_pause_never_shortens_or_weakens(server):
    admin, worker = server.raw(), server.raw()
    assert admin.call("CLIENT", "PAUSE", "400", "WRITE") == OK
    assert admin.call("CLIENT", "PAUSE", "50", "WRITE") == OK  # keeps the later end
    start = time.monotonic()
    assert worker.call("SET", "k", "v") == OK
    assert time.monotonic() - start >= 0.3


def test_paused_client_killed_while_held(server):
    admin, worker = server.raw(), server.raw()
    assert admin.call("CLIENT", "PAUSE", "10000", "WRITE") == OK
    worker.send(resp_encode("SET", "a", "b"))
    worker.assert_silent(0.2)
    assert admin.call("CLIENT", "KILL", "ADDR", peer(worker)) == b":1\r\n"
    worker.assert_closed()
    assert b"blocked_clients:0\r\n" in admin.cmd("INFO", "clients")
    assert admin.call("CLIENT", "UNPAUSE") == OK


# ==== REPLY, NO-EVICT, UNBLOCK, tracking, HELP ====

def test_reply_off_on_skip(server):
    conn = server.raw()
    assert conn.call("CLIENT", "REPLY", "foo") == SYNTAX
    conn.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("SET", "k", "v") +
              resp_encode("GET", "k") + resp_encode("NOSUCH"))
    conn.assert_silent(0.2)
    assert conn.call("CLIENT", "REPLY", "ON") == OK
    conn.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("PING", "a") +
              resp_encode("PING", "b"))
    assert conn.read_reply()[0] == b"$1\r\nb\r\n"
    conn.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("CLIENT", "REPLY", "SKIP") +
              resp_encode("PING", "c") + resp_encode("PING", "d"))
    assert conn.read_reply()[0] == b"$1\r\nd\r\n"
    # SKIP while OFF does nothing; ON answers.
    conn.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("CLIENT", "REPLY", "SKIP") +
              resp_encode("CLIENT", "REPLY", "ON") + resp_encode("PING", "e"))
    assert conn.read_reply()[0] == OK
    assert conn.read_reply()[0] == b"$1\r\ne\r\n"


def test_no_evict_flag(server):
    conn = server.raw()
    assert conn.call("CLIENT", "NO-EVICT", "maybe") == SYNTAX
    assert conn.call("CLIENT", "NO-EVICT", "on") == OK
    assert info_line(conn)["flags"] == b"e"
    assert conn.call("CLIENT", "NO-EVICT", "OFF") == OK
    assert info_line(conn)["flags"] == b"N"


def test_unblock_getredir_and_tracking_queries(server):
    conn = server.raw()
    assert conn.call("CLIENT", "UNBLOCK", "abc") == (
        b"-ERR value is not an integer or out of range\r\n")
    assert conn.call("CLIENT", "UNBLOCK", "999", "foo") == (
        b"-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n")
    assert conn.call("CLIENT", "UNBLOCK", "999") == b":0\r\n"
    assert conn.call("CLIENT", "UNBLOCK", client_id(conn), "ERROR") == b":0\r\n"
    assert conn.call("CLIENT", "GETREDIR") == b":-1\r\n"
    assert conn.call("CLIENT", "TRACKINGINFO") == (
        b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n"
        b"$8\r\nprefixes\r\n*0\r\n")
    assert conn.call("CLIENT", "CACHING", "yes") == (
        b"-ERR CLIENT CACHING can be called only when the client is in tracking mode with "
        b"OPTIN or OPTOUT mode enabled\r\n")
    assert conn.call("CLIENT", "TRACKING", "off") == OK
    assert conn.call("CLIENT", "TRACKING", "maybe") == SYNTAX


def test_unblock_blocked_client(server):
    conn, blocked = server.raw(), server.raw()
    blocked_id = client_id(blocked)
    blocked.send(resp_encode("BLPOP", "nolist", "0"))
    blocked.assert_silent(0.1)
    listed = list_lines(conn, "ID", blocked_id)[0]
    assert listed["flags"] == b"b" and listed["cmd"] == b"blpop"
    info = conn.cmd("INFO", "clients")
    assert b"blocked_clients:1\r\n" in info and b"clients_in_timeout_table:0\r\n" in info
    assert conn.call("CLIENT", "UNBLOCK", blocked_id, "ERROR") == b":1\r\n"
    assert blocked.read_reply()[0] == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    blocked.send(resp_encode("BLPOP", "nolist", "5"))
    blocked.assert_silent(0.1)
    assert b"clients_in_timeout_table:1\r\n" in conn.cmd("INFO", "clients")
    assert conn.call("CLIENT", "UNBLOCK", blocked_id) == b":1\r\n"
    assert blocked.read_reply()[0] == b"*-1\r\n"
    assert conn.call("CLIENT", "UNBLOCK", blocked_id) == b":0\r\n"
    assert b"blocked_clients:0\r\n" in conn.cmd("INFO", "clients")


@pytest.mark.keel_only
def test_unblock_does_not_touch_a_paused_command(server):
    # Redis 7.0.15 crashes here ("Unknown btype in replyToBlockedClientTimedOut").
    admin, worker = server.raw(), server.raw()
    worker_id = client_id(worker)
    assert admin.call("CLIENT", "PAUSE", "10000", "WRITE") == OK
    worker.send(resp_encode("SET", "a", "b"))
    worker.assert_silent(0.1)
    assert admin.call("CLIENT", "UNBLOCK", worker_id) == b":0\r\n"
    assert admin.call("CLIENT", "UNPAUSE") == OK
    assert worker.read_reply()[0] == OK


@pytest.mark.keel_only
def test_tracking_on_is_refused_clearly(server):
    conn = server.raw()
    assert conn.call("CLIENT", "TRACKING", "on") == (
        b"-ERR CLIENT TRACKING is not supported by keel (no client-side caching)\r\n")
    assert conn.call("CLIENT", "TRACKINGINFO").startswith(b"*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff")


def test_help(server):
    conn = server.raw()
    lines = conn.cmd("CLIENT", "HELP")
    assert len(lines) == 48
    assert lines[0] == b"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-1] == b"    Prints this help."
    raw = conn.call("CLIENT", "HELP")
    assert raw.startswith(b"*48\r\n+CLIENT <subcommand>")


# ==== RESET, WAIT, INFO ====

def test_reset_restores_connection_state(server):
    conn = server.raw()
    assert conn.call("SELECT", "5") == OK
    assert conn.call("CLIENT", "SETNAME", "x") == OK
    assert conn.call("CLIENT", "NO-EVICT", "on") == OK
    conn.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("PING"))
    assert conn.call("RESET") == b"+RESET\r\n"
    fields = info_line(conn)
    assert fields["db"] == b"0" and fields["name"] == b""
    assert fields["flags"] == b"e"  # NO-EVICT survives RESET, as in Redis
    assert conn.call("RESET", "x") == b"-ERR wrong number of arguments for 'reset' command\r\n"


def test_reset_returns_to_resp2(server):
    conn = server.raw()
    conn.send(resp_encode("HELLO", "3"))
    conn.read_reply()
    assert info_line(conn)["resp"] == b"3"
    assert conn.call("RESET") == b"+RESET\r\n"
    assert info_line(conn)["resp"] == b"2"


def test_reset_reauthenticates_as_default(server):
    conn = server.raw()
    assert conn.call("CONFIG", "SET", "requirepass", "pw") == OK
    assert conn.call("AUTH", "pw") == OK
    assert conn.call("RESET") == b"+RESET\r\n"  # allowed without auth
    assert conn.call("PING") == b"-NOAUTH Authentication required.\r\n"
    assert conn.call("RESET") == b"+RESET\r\n"
    assert conn.call("AUTH", "pw") == OK
    assert conn.call("CONFIG", "SET", "requirepass", "") == OK
    assert conn.call("RESET") == b"+RESET\r\n"
    assert conn.call("PING") == b"+PONG\r\n"


def test_wait(server):
    conn = server.raw()
    assert conn.call("WAIT", "0", "0") == b":0\r\n"
    assert conn.call("WAIT", "-1", "0") == b":0\r\n"
    assert conn.call("WAIT", "1", "10") == b":0\r\n"
    assert conn.call("WAIT", "x", "0") == b"-ERR value is not an integer or out of range\r\n"
    assert conn.call("WAIT", "0", "-1") == b"-ERR timeout is negative\r\n"
    assert conn.call("WAIT", "0", "x") == b"-ERR timeout is not an integer or out of range\r\n"
    assert conn.call("WAIT", "0") == b"-ERR wrong number of arguments for 'wait' command\r\n"


def test_info_clients_fields(server):
    conn = server.raw()
    others = [server.raw() for _ in range(2)]
    text = conn.cmd("INFO", "clients").decode()
    names = [line.split(":")[0] for line in text.split("\r\n")[1:] if line]
    assert names == ["connected_clients", "cluster_connections", "maxclients",
                     "client_recent_max_input_buffer", "client_recent_max_output_buffer",
                     "blocked_clients", "tracking_clients", "clients_in_timeout_table"]
    assert "connected_clients:3\r\n" in text
    assert "cluster_connections:0\r\n" in text
    assert "tracking_clients:0\r\n" in text
    for other in others:
        other.close()


def test_with_redis_py(server):
    client = server.client()
    other = server.client()
    assert client.client_setname("py-client") is True
    assert client.client_getname() == "py-client"
    other.ping()
    listed = client.client_list()
    assert [entry["name"] for entry in listed].count("py-client") == 1
    assert int(client.client_info()["id"]) == client.client_id()
    assert client.client_kill_filter(_id=other.client_id()) == 1
    assert client.client_pause(10) is True
    assert client.client_unpause() in (True, b"OK")
    assert client.execute_command("WAIT", 0, 0) == 0


def test_acl_admin_subcommands(server):
    admin = server.raw()
    assert admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all", "-@admin", "~*") == OK
    conn = server.raw()
    assert conn.call("AUTH", "u", "x") == OK
    assert conn.call("CLIENT", "ID") == b":%d\r\n" % client_id(conn)
    assert conn.call("CLIENT", "SETNAME", "u1") == OK
    for args, name in ((("CLIENT", "KILL", "ID", "1"), "client|kill"),
                       (("CLIENT", "LIST"), "client|list"),
                       (("CLIENT", "PAUSE", "1"), "client|pause"), (("MONITOR",), "monitor")):
        assert conn.call(*args) == (
            f"-NOPERM this user has no permissions to run the '{name}' command\r\n".encode())
    assert conn.call("WAIT", "0", "0") == b":0\r\n"
    assert conn.call("RESET") == b"+RESET\r\n"
    assert info_line(conn)["user"] == b"default"


def test_pubsub_and_multi_state_in_list(server):
    conn, subscriber, tx = server.raw(), server.raw(), server.raw()
    subscriber.send(resp_encode("SUBSCRIBE", "a", "b"))
    subscriber.read_reply()
    subscriber.read_reply()
    subscriber.send(resp_encode("PSUBSCRIBE", "p*"))
    subscriber.read_reply()
    assert tx.call("MULTI") == OK
    assert tx.call("SET", "k", "v") == b"+QUEUED\r\n"
    assert tx.call("GET", "k") == b"+QUEUED\r\n"
    listed = list_lines(conn, "TYPE", "pubsub")
    assert len(listed) == 1
    assert (listed[0]["flags"], listed[0]["sub"], listed[0]["psub"]) == (b"P", b"2", b"1")
    in_multi = list_lines(conn, "ID", client_id_of(conn, tx))[0]
    assert (in_multi["flags"], in_multi["multi"]) == (b"x", b"2")
    assert conn.call("CLIENT", "KILL", "TYPE", "pubsub") == b":1\r\n"
    subscriber.assert_closed()
    assert len(list_lines(conn, "TYPE", "normal")) == 2


def test_reply_skip_covers_a_blocked_command_until_served(server):
    conn, pusher = server.raw(), server.raw()
    conn.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("BLPOP", "skl", "0") +
              resp_encode("PING", "after"))
    conn.assert_silent(0.1)
    assert pusher.call("LPUSH", "skl", "x") == b":1\r\n"
    assert conn.read_reply()[0] == b"$5\r\nafter\r\n"  # BLPOP's answer was skipped


def test_paused_client_is_not_idle_closed(server):
    admin, worker = server.raw(), server.raw()
    assert admin.call("CONFIG", "SET", "timeout", "1") == OK
    assert admin.call("CLIENT", "PAUSE", "10000", "WRITE") == OK
    worker.send(resp_encode("SET", "a", "b"))
    time.sleep(2.5)
    admin.assert_closed()  # idle
    assert server.raw().call("CLIENT", "UNPAUSE") == OK
    assert worker.read_reply()[0] == OK
