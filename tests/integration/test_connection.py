"""Connection and server commands: PING, ECHO, QUIT, SELECT, DBSIZE, FLUSH*, COMMAND, INFO,
CONFIG, TIME, and how the server starts and stops."""
import re
import signal
import time

import pytest

from conftest import RawConn

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"


def info_text(client, section=None) -> str:
    args = ["INFO"] + ([section] if section else [])
    # Bypass redis-py's INFO parser: the exact text matters here.
    conn = client.connection_pool.get_connection("INFO")
    try:
        conn.send_command(*args)
        return conn.read_response().decode()
    finally:
        client.connection_pool.release(conn)


# ==== PING / ECHO ====

def test_ping(raw):
    assert raw.call("PING") == b"+PONG\r\n"
    assert raw.call("ping") == b"+PONG\r\n"
    assert raw.call("PING", "hello world") == b"$11\r\nhello world\r\n"
    assert raw.call("PING", "") == b"$0\r\n\r\n"
    assert raw.call("PING", "a", "b") == WRONG_ARGS.format("ping").encode()


def test_echo(raw):
    assert raw.call("ECHO", "zig") == b"$3\r\nzig\r\n"
    assert raw.call("ECHO", "") == b"$0\r\n\r\n"
    assert raw.call("ECHO", b"a\r\nb\x00c") == b"$6\r\na\r\nb\x00c\r\n"
    assert raw.call("ECHO") == WRONG_ARGS.format("echo").encode()
    assert raw.call("ECHO", "a", "b") == WRONG_ARGS.format("echo").encode()


def test_echo_redis_py(r):
    assert r.echo("hello") == b"hello"
    assert r.ping() is True


# ==== QUIT ====

def test_quit_replies_ok_then_closes(raw):
    raw.send(b"*1\r\n$4\r\nQUIT\r\n")
    raw.expect(b"+OK\r\n")
    raw.assert_closed()


def test_quit_discards_pipelined_commands(shared_server, r):
    conn = shared_server.raw()
    conn.send(b"*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$4\r\nafter\r\n$1\r\n1\r\n")
    conn.expect(b"+OK\r\n")
    conn.assert_closed()
    assert r.exists("after") == 0


def test_quit_inline(shared_server, r):
    conn = shared_server.raw()
    conn.send(b"quit\r\nPING\r\n")
    conn.expect(b"+OK\r\n")
    conn.assert_closed()


def test_quit_with_args_is_still_quit(raw):
    # QUIT has arity -1 in Redis 7: extra arguments are accepted and ignored.
    raw.send(b"*2\r\n$4\r\nQUIT\r\n$1\r\nx\r\n")
    raw.expect(b"+OK\r\n")
    raw.assert_closed()


# ==== SELECT / DBSIZE / FLUSHDB / FLUSHALL ====

def test_select_range(raw):
    for index in (0, 1, 7, 15):
        assert raw.call("SELECT", index) == b"+OK\r\n"
    for index in ("16", "-1", "100", "2147483647", "-2147483648"):
        assert raw.call("SELECT", index) == b"-ERR DB index is out of range\r\n", index
    # Beyond int32 Redis uses getIntFromObjectOrReply's message (sic "must between").
    for index in ("2147483648", "9223372036854775807", "-2147483649"):
        assert raw.call("SELECT", index) == (b"-ERR value is out of range, value must between "
                                             b"-2147483648 and 2147483647\r\n"), index
    not_integer = b"-ERR value is not an integer or out of range\r\n"
    for text in ("abc", "1.0", " 1", "01", "", "0x1", "+1", "9223372036854775808"):
        assert raw.call("SELECT", text) == not_integer, text
    assert raw.call("SELECT") == WRONG_ARGS.format("select").encode()
    assert raw.call("SELECT", "1", "2") == WRONG_ARGS.format("select").encode()


def test_select_failed_keeps_current_db(raw):
    assert raw.call("SELECT", "3") == b"+OK\r\n"
    assert raw.call("SET", "k", "v") == b"+OK\r\n"
    assert raw.call("SELECT", "99").startswith(b"-ERR")
    assert raw.call("GET", "k") == b"$1\r\nv\r\n"


def test_dbsize_across_select(r, raw):
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call("SET", "a", "1") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    assert raw.call("SELECT", "1") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call("GET", "a") == b"$-1\r\n"
    assert raw.call("MSET", "b", "1", "c", "2") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":2\r\n"
    assert raw.call("SELECT", "15") == b"+OK\r\n"
    assert raw.call("SET", "a", "other") == b"+OK\r\n"
    assert raw.call("SELECT", "0") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    assert raw.call("GET", "a") == b"$1\r\n1\r\n"
    assert raw.call("DBSIZE", "x") == WRONG_ARGS.format("dbsize").encode()
    # Another connection starts in db 0.
    assert r.dbsize() == 1


def test_select_is_per_connection(shared_server, r):
    first = shared_server.raw()
    second = shared_server.raw()
    assert first.call("SELECT", "2") == b"+OK\r\n"
    assert first.call("SET", "k", "db2") == b"+OK\r\n"
    assert second.call("GET", "k") == b"$-1\r\n"
    assert second.call("SET", "k", "db0") == b"+OK\r\n"
    assert first.call("GET", "k") == b"$3\r\ndb2\r\n"


def test_flushdb_only_current_db(raw):
    raw.call("SET", "a", "1")
    raw.call("SELECT", "1")
    raw.call("SET", "b", "1")
    raw.call("RPUSH", "l", "x")
    assert raw.call("DBSIZE") == b":2\r\n"
    assert raw.call("FLUSHDB") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call("SELECT", "0") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    assert raw.call("FLUSHDB", "SYNC") == b"+OK\r\n"
    assert raw.call("FLUSHDB", "ASYNC") == b"+OK\r\n"
    assert raw.call("FLUSHDB", "foo") == b"-ERR syntax error\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"


def test_flushall_all_dbs(raw):
    for index in range(16):
        raw.call("SELECT", index)
        raw.call("SET", f"k{index}", "v")
    assert raw.call("FLUSHALL") == b"+OK\r\n"
    for index in range(16):
        raw.call("SELECT", index)
        assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call("FLUSHALL", "SYNC") == b"+OK\r\n"
    assert raw.call("FLUSHALL", "ASYNC") == b"+OK\r\n"
    assert raw.call("FLUSHALL", "foo") == b"-ERR syntax error\r\n"


def test_flush_removes_expiring_keys(raw):
    raw.call("SET", "a", "1", "EX", "100")
    raw.call("SET", "b", "1")
    raw.call("FLUSHALL")
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call("TTL", "a") == b":-2\r\n"


# ==== COMMAND ====

def test_command_count(raw):
    value = raw.cmd("COMMAND", "COUNT")
    assert isinstance(value, int) and value > 0


def test_command_info_get(raw):
    reply = raw.cmd("COMMAND", "INFO", "get")
    assert isinstance(reply, list) and len(reply) == 1
    entry = reply[0]
    assert entry[0] == b"get"
    assert entry[1] == 2  # GET key: exactly two arguments including the name
    assert b"readonly" in entry[2] and b"fast" in entry[2]
    assert entry[3:6] == [1, 1, 1]  # first key, last key, step


def test_command_info_arity_and_keys(raw):
    reply = raw.cmd("COMMAND", "INFO", "set", "mset", "del", "ping", "lpush", "lrange")
    by_name = {entry[0]: entry for entry in reply}
    assert by_name[b"set"][1] == -3
    assert by_name[b"set"][3:6] == [1, 1, 1]
    assert b"write" in by_name[b"set"][2] and b"denyoom" in by_name[b"set"][2]
    assert by_name[b"mset"][1] == -3
    assert by_name[b"mset"][3:6] == [1, -1, 2]
    assert by_name[b"del"][1] == -2
    assert by_name[b"del"][3:6] == [1, -1, 1]
    assert by_name[b"ping"][1] == -1
    assert by_name[b"ping"][3:6] == [0, 0, 0]
    assert by_name[b"lpush"][1] == -3
    assert by_name[b"lrange"][1] == 4


def test_command_info_unknown_and_case(raw):
    assert raw.cmd("COMMAND", "INFO", "nosuchcommand") == [None]
    reply = raw.cmd("COMMAND", "INFO", "GET", "nosuch", "echo")
    assert reply[0][0] == b"get"
    assert reply[1] is None
    assert reply[2][0] == b"echo" and reply[2][1] == 2


def test_command_docs_get(raw):
    reply = raw.cmd("COMMAND", "DOCS", "get")
    assert isinstance(reply, list) and len(reply) == 2
    assert reply[0] == b"get"
    doc = reply[1]
    assert isinstance(doc, list) and len(doc) >= 2
    assert b"summary" in doc[0::2]


def test_command_unknown_subcommand(raw):
    assert raw.call("COMMAND", "foo") == b"-ERR unknown subcommand 'foo'. Try COMMAND HELP.\r\n"


# ==== INFO ====

def test_info_sections(r):
    text = info_text(r)
    for section in ("Server", "Clients", "Memory", "Stats", "Keyspace"):
        assert f"# {section}\r\n" in text, section
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    memory = info_text(r, "memory")
    assert memory.startswith("# Memory\r\n")
    assert "# Server" not in memory
    assert re.search(r"^used_memory:\d+\r$", memory, re.M)
    clients = info_text(r, "clients")
    assert re.search(r"^connected_clients:\d+\r$", clients, re.M)


def test_info_keyspace_lines(r):
    assert info_text(r, "keyspace") == "# Keyspace\r\n"
    r.set("a", "1")
    r.set("b", "1", ex=100)
    r.rpush("l", "x")
    text = info_text(r, "keyspace")
    match = re.search(r"^db0:keys=(\d+),expires=(\d+),avg_ttl=(\d+)\r$", text, re.M)
    assert match, text
    assert match.group(1) == "3" and match.group(2) == "1"
    assert "db1:" not in text
    r.execute_command("SELECT", 1)
    r.set("x", "1")
    # INFO is server-wide: every database with keys has a line.
    text = info_text(r, "keyspace")
    assert re.search(r"^db1:keys=1,expires=0,avg_ttl=0\r$", text, re.M), text


def test_info_case_insensitive_section(r):
    assert info_text(r, "KEYSPACE").startswith("# Keyspace")


# ==== CONFIG ====

CONFIG_ARGS = pytest.mark.server_args("--maxmemory", "64mb", "--maxmemory-policy", "noeviction")


@pytest.fixture
def config_server(server):
    """A fresh server per test, started with the test's server_args marker."""
    return server


@CONFIG_ARGS
def test_config_get_maxmemory(config_server):
    raw = config_server.raw()
    assert raw.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"67108864"]
    # An exact (non-glob) name is echoed back as the client spelled it.
    assert raw.cmd("CONFIG", "GET", "MAXMEMORY") == [b"MAXMEMORY", b"67108864"]
    assert raw.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"noeviction"]
    assert raw.cmd("CONFIG", "GET", "no-such-option") == []
    pairs = raw.cmd("CONFIG", "GET", "maxmemory*")
    names = pairs[0::2]
    assert b"maxmemory" in names and b"maxmemory-policy" in names


@CONFIG_ARGS
def test_config_set_policy(config_server):
    raw = config_server.raw()
    for policy in ("allkeys-lru", "volatile-ttl", "allkeys-random", "noeviction"):
        assert raw.call("CONFIG", "SET", "maxmemory-policy", policy) == b"+OK\r\n"
        assert raw.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                                 policy.encode()]
    assert raw.call("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LFU") == b"+OK\r\n"
    assert raw.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lfu"]


@CONFIG_ARGS
def test_config_get_save_and_appendonly(config_server):
    """redis-benchmark 7.0 starts with CONFIG GET save / appendonly and prints
    "WARNING: Could not fetch server CONFIG" unless each reply is a 2-element array."""
    raw = config_server.raw()
    save = raw.cmd("CONFIG", "GET", "save")
    assert isinstance(save, list) and len(save) == 2 and save[0] == b"save", save
    assert raw.cmd("CONFIG", "GET", "appendonly") == [b"appendonly", b"no"]


@CONFIG_ARGS
def test_config_errors(config_server):
    raw = config_server.raw()
    assert raw.call("CONFIG", "SET", "maxmemory-policy", "bogus") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) "
        b"must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
        b"allkeys-lru, allkeys-lfu, allkeys-random, noeviction\r\n")
    assert raw.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"noeviction"]
    assert raw.call("CONFIG", "SET", "no-such-option", "x") == (
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-option'\r\n")
    assert raw.call("CONFIG", "GET") == b"-ERR wrong number of arguments for 'config|get' command\r\n"
    assert raw.call("CONFIG", "SET", "maxmemory-policy") == (
        b"-ERR wrong number of arguments for 'config|set' command\r\n")
    assert raw.call("CONFIG", "foo") == b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"


# ==== TIME ====

def test_time(raw):
    reply = raw.cmd("TIME")
    assert isinstance(reply, list) and len(reply) == 2
    seconds, micros = reply
    assert re.fullmatch(rb"\d+", seconds) and re.fullmatch(rb"\d+", micros)
    assert abs(int(seconds) - time.time()) < 5
    assert 0 <= int(micros) < 1_000_000
    later = raw.cmd("TIME")
    assert (int(later[0]), int(later[1])) >= (int(seconds), int(micros))
    assert raw.call("TIME", "x") == WRONG_ARGS.format("time").encode()


# ==== startup and shutdown ====

def test_ready_line_on_stdout(shared_server):
    deadline = time.monotonic() + 2
    while "Ready to accept connections" not in shared_server.log_text():
        assert time.monotonic() < deadline, shared_server.log_tail()
        time.sleep(0.05)


def test_config_file_first_argument(server_factory):
    server = server_factory(config_text=(
        "# test config\n"
        "port {port}\n"
        "bind {host}\n"
        "maxclients 50\n"
        "maxmemory 32mb\n"
        "maxmemory-policy allkeys-lru\n"))
    raw = server.raw()
    assert raw.call("PING") == b"+PONG\r\n"
    assert raw.cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"33554432"]
    assert raw.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy", b"allkeys-lru"]
    assert raw.cmd("CONFIG", "GET", "maxclients") == [b"maxclients", b"50"]


def test_flags_override_config_file(server_factory):
    server = server_factory("--maxmemory", "16mb",
                            config_text="port {port}\nbind {host}\nmaxmemory 32mb\n")
    assert server.raw().cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"16777216"]


def test_sigterm_exits_cleanly(server_factory):
    server = server_factory()
    client = server.client()
    client.set("k", "v")
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(10) == 0, server.log_tail()


def test_many_clients_independent(shared_server, r):
    conns = [shared_server.raw() for _ in range(20)]
    for index, conn in enumerate(conns):
        conn.send(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n" % (len(str(index)) + 1, index))
    for conn in conns:
        conn.expect(b"+OK\r\n")
    assert r.dbsize() == 20
    for conn in conns:
        conn.close()
    assert RawConn(shared_server.port).call("PING") == b"+PONG\r\n"


def test_full_workload_smoke(server_factory):
    """The workload used by the keel_only no-allocation tests runs cleanly on any server."""
    from workload import run_workload
    server = server_factory("--maxclients", "8", "--maxmemory", "64mb")
    run_workload(server.port, maxclients=8)
    assert server.alive()
