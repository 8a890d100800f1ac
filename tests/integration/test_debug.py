"""
DEBUG (Redis 7.0's test command) behind enable-debug-command, with Redis
7.0.15's replies: who may run it (no / yes / local), the unknown-subcommand
error, HELP, PROTOCOL in RESP2 and RESP3, ERROR, LOG, SLEEP,
SET-ACTIVE-EXPIRE, POPULATE, COMMAND INFO and ACL, and the crashing
subcommands: ASSERT (docs/TEST_PLAN.md X3: the release build aborts on a
forced invariant violation with a file:line message, and a new server on the
same port then serves), PANIC and SEGFAULT.

Every test runs against redis-server 7.0.15 too (KEEL_BIN=/usr/bin/redis-server)
except the keel_only ones: keel's HELP list, the subcommands keel does not
have, POPULATE running out of memory (Redis would abort), and 127.0.0.2 as a
local peer (Redis 7.0.15 compares the peer with "127.0.0.1" exactly; keel
uses protected mode's rule, 127.0.0.0/8 as Redis 7.2).

When DEBUG is not allowed, it is refused where Redis refuses it: in dispatch, after the
arity check and before NOAUTH and the ACL, as a rejected command (a transaction then
aborts).
"""
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HOST, ORACLE, RawConn, ping_once
from plan_helpers import SANITIZER

pytestmark = pytest.mark.server_args("--enable-debug-command", "yes")

OK = b"+OK\r\n"
PONG = b"+PONG\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
NOT_ALLOWED = (
    b'-ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", '
    b"you can run it from a local connection, otherwise you need to set this option in the "
    b"configuration file, and then restart the server.\r\n")
ARITY = b"-ERR wrong number of arguments for 'debug' command\r\n"
IMMUTABLE = (b"-ERR CONFIG SET failed (possibly related to argument 'enable-debug-command') - "
             b"can't set immutable config\r\n")
POSITIVE = b"-ERR value is out of range, must be positive\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


def syntax(sub: bytes) -> bytes:
    return (b"-ERR unknown subcommand or wrong number of arguments for '%s'. Try DEBUG HELP.\r\n"
            % sub)


@pytest.fixture
def conn(shared_server, r):
    return shared_server.raw()


class SourceConn(RawConn):
    """A RawConn whose socket is bound to a given source address first."""

    def __init__(self, port: int, source: str, host: str = HOST, timeout: float = 5.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout,
                                             source_address=(source, 0))
        self.buf = bytearray()
        self.eof = None


def _global_ipv4():
    """A non-loopback IPv4 address of this machine that a socket can bind to, or None."""
    try:
        out = subprocess.run(["ip", "-o", "-4", "addr", "show", "scope", "global"],
                             capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        words = line.split()
        if "inet" not in words:
            continue
        address = words[words.index("inet") + 1].split("/")[0]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind((address, 0))
            return address
        except OSError:
            continue
    return None


IPV4 = _global_ipv4()


# ==== Who may run DEBUG ====

def test_refused_by_default(server_factory):
    conn = server_factory().raw()
    assert conn.cmd("CONFIG", "GET", "enable-debug-command") == [b"enable-debug-command", b"no"]
    for args in (("HELP",), ("SLEEP", "0"), ("ASSERT",), ("SEGFAULT",), ("PANIC",),
                 ("POPULATE", "10"), ("nosuch", "x", "y")):
        assert conn.call("DEBUG", *args) == NOT_ALLOWED, args
    assert conn.call("DEBUG") == ARITY  # the arity check comes first
    assert conn.call("DBSIZE") == b":0\r\n"
    assert conn.call("PING") == PONG


@pytest.mark.parametrize("value", ["no", "yes", "local", "LOCAL"])
def test_keyword_values(server_factory, value):
    conn = server_factory("--enable-debug-command", value).raw()
    assert conn.cmd("CONFIG", "GET", "enable-debug-command") == [
        b"enable-debug-command", value.lower().encode()]
    assert conn.call("CONFIG", "SET", "enable-debug-command", "yes") == IMMUTABLE
    assert conn.call("CONFIG", "SET", "enable-debug-command", "no") == IMMUTABLE
    expected = NOT_ALLOWED if value == "no" else OK  # this client is 127.0.0.1
    assert conn.call("DEBUG", "SLEEP", "0") == expected


def test_keyword_bad_value_refused_at_startup(tmp_path):
    from conftest import KEEL_BIN, free_port
    result = subprocess.run([KEEL_BIN, "--port", str(free_port()), "--enable-debug-command",
                             "maybe"], capture_output=True, text=True, timeout=20, cwd=tmp_path)
    assert result.returncode != 0
    assert "argument(s) must be one of the following: no, yes, local" in (
        result.stdout + result.stderr)


@pytest.mark.skipif(IPV4 is None, reason="no non-loopback IPv4 address to connect from")
def test_local_allows_loopback_only(server_factory):
    server = server_factory("--enable-debug-command", "local", "--protected-mode", "no",
                            "--bind", "127.0.0.1", IPV4)
    local = server.raw()
    assert local.call("DEBUG", "SLEEP", "0") == OK
    remote = RawConn(server.port, host=IPV4)
    assert remote.call("DEBUG", "SLEEP", "0") == NOT_ALLOWED
    assert remote.call("DEBUG", "PROTOCOL", "integer") == NOT_ALLOWED
    assert remote.call("PING") == PONG  # refused, not closed
    remote.close()
    assert local.call("DEBUG", "PROTOCOL", "integer") == b":12345\r\n"


@pytest.mark.keel_only
def test_local_takes_the_whole_loopback_network(server_factory):
    # keel's rule is protected mode's (127.0.0.0/8, Redis 7.2); 7.0.15 refuses 127.0.0.2.
    server = server_factory("--enable-debug-command", "local")
    conn = SourceConn(server.port, "127.0.0.2")
    assert conn.call("DEBUG", "SLEEP", "0") == OK
    conn.close()


def test_not_allowed_comes_before_noauth(server_factory):
    conn = server_factory("--requirepass", "secret").raw()
    assert conn.call("DEBUG", "HELP") == NOT_ALLOWED
    assert conn.call("DEBUG") == ARITY
    assert conn.call("AUTH", "secret") == OK
    assert conn.call("DEBUG", "HELP") == NOT_ALLOWED


def test_not_allowed_aborts_a_transaction(server_factory):
    conn = server_factory().raw()
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "k", "v") == b"+QUEUED\r\n"
    assert conn.call("DEBUG", "SLEEP", "0") == NOT_ALLOWED
    assert conn.call("EXEC") == b"-EXECABORT Transaction discarded because of previous errors.\r\n"
    assert conn.call("EXISTS", "k") == b":0\r\n"


def test_not_allowed_is_a_rejected_call(server_factory):
    conn = server_factory().raw()
    assert conn.call("ACL", "SETUSER", "plain", "on", "nopass", "+@all", "-@admin") == OK
    assert conn.call("DEBUG", "SLEEP", "0") == NOT_ALLOWED
    assert conn.call("AUTH", "plain", "x") == OK
    assert conn.call("DEBUG", "SLEEP", "0") == NOT_ALLOWED  # before the ACL check too
    assert conn.call("AUTH", "default", "x") == OK
    stats = conn.cmd("INFO", "commandstats").decode()
    assert "cmdstat_debug:calls=0," in stats
    assert "rejected_calls=2,failed_calls=0" in stats.split("cmdstat_debug:")[1].split("\r\n")[0]


# ==== Command table, ACL, MULTI ====

def test_command_info(conn):
    info = conn.cmd("COMMAND", "INFO", "debug")[0]
    assert info[:7] == [b"debug", -2, [b"admin", b"noscript", b"loading", b"stale"], 0, 0, 0,
                        [b"@admin", b"@slow", b"@dangerous"]]
    docs = conn.cmd("COMMAND", "DOCS", "debug")
    fields = dict(zip(docs[1][0::2], docs[1][1::2]))
    assert fields[b"summary"] == b"A container for debugging commands"
    assert fields[b"group"] == b"server"
    assert fields[b"since"] == b"1.0.0"
    for category in (b"admin", b"dangerous", b"slow"):
        assert b"debug" in conn.cmd("ACL", "CAT", category), category


def test_denied_without_admin(conn):
    assert conn.call("ACL", "SETUSER", "plain", "on", "nopass", "+@all", "-@admin") == OK
    assert conn.call("AUTH", "plain", "x") == OK
    assert conn.call("DEBUG", "SLEEP", "0") == (
        b"-NOPERM this user has no permissions to run the 'debug' command\r\n")
    assert conn.call("AUTH", "default", "x") == OK
    assert conn.call("ACL", "SETUSER", "plain", "+debug") == OK
    assert conn.call("AUTH", "plain", "x") == OK
    assert conn.call("DEBUG", "SLEEP", "0") == OK
    assert conn.call("AUTH", "default", "x") == OK
    assert conn.call("ACL", "DELUSER", "plain") == b":1\r\n"


def test_runs_inside_multi(conn):
    assert conn.call("MULTI") == OK
    assert conn.call("DEBUG", "SLEEP", "0") == b"+QUEUED\r\n"
    assert conn.call("DEBUG", "PROTOCOL", "map") == b"+QUEUED\r\n"
    assert conn.call("DEBUG", "ERROR", "oops") == b"+QUEUED\r\n"
    assert conn.call("EXEC") == (b"*3\r\n+OK\r\n*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n"
                                 b"-oops\r\n")


# ==== Subcommand errors and HELP ====

def test_unknown_subcommand_or_arity(conn):
    assert conn.call("DEBUG", "nosuch") == syntax(b"nosuch")
    assert conn.call("DEBUG", "JMAP") == syntax(b"JMAP")
    assert conn.call("DEBUG", "Sleep") == syntax(b"Sleep")  # as typed
    assert conn.call("DEBUG", "SLEEP", "1", "2") == syntax(b"SLEEP")
    assert conn.call("DEBUG", "help", "x") == syntax(b"help")
    assert conn.call("DEBUG", "PROTOCOL") == syntax(b"PROTOCOL")
    assert conn.call("DEBUG", "log") == syntax(b"log")
    assert conn.call("DEBUG", "ERROR", "a", "b") == syntax(b"ERROR")
    assert conn.call("DEBUG", "POPULATE") == syntax(b"POPULATE")
    assert conn.call("DEBUG", "POPULATE", "1", "x", "1", "y") == syntax(b"POPULATE")
    assert conn.call("DEBUG", "set-active-expire") == syntax(b"set-active-expire")
    assert conn.call("DEBUG", "") == syntax(b"")
    assert conn.call("DEBUG", "y" * 200) == syntax(b"y" * 128)
    assert conn.call("DEBUG", b"a\x00b") == syntax(b"a")
    assert conn.call("DEBUG", b"a\r\nb") == syntax(b"a  b")
    assert conn.call("PING") == PONG


@pytest.mark.keel_only
@pytest.mark.parametrize("args", [
    ("DIGEST",), ("DIGEST-VALUE", "k"), ("OBJECT", "k"), ("SDSLEN", "k"), ("RELOAD",),
    ("LOADAOF",), ("RESTART",), ("CRASH-AND-RECOVER",), ("OOM",), ("STRUCTSIZE",),
    ("HTSTATS", "0"), ("LISTPACK", "k"), ("QUICKLIST", "k"), ("CHANGE-REPL-ID",),
    ("STRINGMATCH-TEST",), ("PAUSE-CRON", "1"), ("LEAK", "x"), ("REPLICATE", "x"),
])
def test_subcommands_keel_does_not_have(conn, args):
    assert conn.call("SET", "k", "v") == OK
    assert conn.call("DEBUG", *args) == syntax(args[0].encode())


def test_help_format(conn):
    lines = conn.cmd("DEBUG", "HELP")
    raw = conn.call("debug", "help")
    assert raw.startswith(b"*%d\r\n+DEBUG <subcommand> [<arg> [value] [opt] ...]. "
                          b"Subcommands are:\r\n" % len(lines))
    assert raw.endswith(b"+HELP\r\n+    Prints this help.\r\n")
    for name in (b"ASSERT", b"ERROR <string>", b"LOG <message>", b"PANIC", b"PROTOCOL <type>",
                 b"POPULATE <count> [<prefix>] [<size>]", b"SEGFAULT", b"SET-ACTIVE-EXPIRE <0|1>",
                 b"SLEEP <seconds>"):
        assert name in lines, name


@pytest.mark.keel_only
def test_help_lists_what_keel_has(conn):
    lines = conn.cmd("DEBUG", "HELP")
    names = [line for line in lines[1:] if not line.startswith(b" ")]
    assert names == [b"ASSERT", b"ERROR <string>", b"LOG <message>", b"PANIC",
                     b"POPULATE <count> [<prefix>] [<size>]", b"PROTOCOL <type>", b"SEGFAULT",
                     b"SET-ACTIVE-EXPIRE <0|1>", b"SLEEP <seconds>", b"HELP"]
    assert len(lines) == 27


# ==== PROTOCOL ====

PROTOCOL_RESP2 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b"$5\r\n3.141\r\n",
    "bignum": b"$37\r\n1234567999999999999999999999999999999\r\n",
    "null": b"$-1\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n",
    "attrib": b"$39\r\nSome real reply following the attribute\r\n",
    "push": b"-ERR RESP2 is not supported by this command\r\n",
    "verbatim": b"$25\r\nThis is a verbatim\nstring\r\n",
    "true": b":1\r\n",
    "false": b":0\r\n",
}
PROTOCOL_RESP3 = {
    "string": b"$11\r\nHello World\r\n",
    "integer": b":12345\r\n",
    "double": b",3.141\r\n",
    "bignum": b"(1234567999999999999999999999999999999\r\n",
    "null": b"_\r\n",
    "array": b"*3\r\n:0\r\n:1\r\n:2\r\n",
    "set": b"~3\r\n:0\r\n:1\r\n:2\r\n",
    "map": b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n",
    "attrib": b"|1\r\n$14\r\nkey-popularity\r\n*2\r\n$7\r\nkey:123\r\n:90\r\n"
              b"$39\r\nSome real reply following the attribute\r\n",
    "push": b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
            b"$40\r\nSome real reply following the push reply\r\n",
    "verbatim": b"=29\r\ntxt:This is a verbatim\nstring\r\n",
    "true": b"#t\r\n",
    "false": b"#f\r\n",
}
WRONG_TYPE = (b"-ERR Wrong protocol type name. Please use one of the following: "
              b"string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|"
              b"false\r\n")


def _read_bytes(conn: RawConn, expected: bytes) -> bytes:
    return conn.read_exact(len(expected))


def test_protocol_resp2(conn):
    for name, expected in PROTOCOL_RESP2.items():
        conn.send(b"*3\r\n$5\r\nDEBUG\r\n$8\r\nPROTOCOL\r\n$%d\r\n%s\r\n"
                  % (len(name), name.upper().encode()))
        assert _read_bytes(conn, expected) == expected, name
    assert conn.call("DEBUG", "PROTOCOL", "nosuch") == WRONG_TYPE
    assert conn.call("PING") == PONG


def test_protocol_resp3(conn):
    assert conn.call("HELLO", "3").startswith(b"%7\r\n")
    for name, expected in PROTOCOL_RESP3.items():
        conn.send(b"*3\r\n$5\r\nDEBUG\r\n$8\r\nprotocol\r\n$%d\r\n%s\r\n"
                  % (len(name), name.encode()))
        assert _read_bytes(conn, expected) == expected, name
    assert conn.call("DEBUG", "PROTOCOL", "") == WRONG_TYPE
    assert conn.call("PING") == PONG


# ==== ERROR, LOG ====

def test_error_replies_the_text(conn):
    assert conn.call("DEBUG", "ERROR", "foo bar") == b"-foo bar\r\n"
    assert conn.call("DEBUG", "error", "WRONGTYPE custom") == b"-WRONGTYPE custom\r\n"
    assert conn.call("DEBUG", "ERROR", "a\r\nb\nc\rd") == b"-a  b c d\r\n"
    assert conn.call("DEBUG", "ERROR", "") == b"-\r\n"
    assert conn.call("DEBUG", "ERROR", b"a\x00b") == b"-a\x00b\r\n"
    big = b"x\n" * 5000
    assert conn.call("DEBUG", "ERROR", big) == b"-" + b"x " * 5000 + b"\r\n"
    assert conn.call("PING") == PONG


def test_error_is_not_counted_as_an_error(conn):
    assert conn.call("CONFIG", "RESETSTAT") == OK
    assert conn.call("DEBUG", "ERROR", "ERR counted?") == b"-ERR counted?\r\n"
    assert b"errorstat_" not in conn.cmd("INFO", "errorstats")
    stats = conn.cmd("INFO", "commandstats").decode()
    line = stats.split("cmdstat_debug:")[1].split("\r\n")[0]
    assert line.startswith("calls=1,") and line.endswith("rejected_calls=0,failed_calls=0")
    assert conn.call("DEBUG", "PROTOCOL", "nosuch") == WRONG_TYPE  # a real error: counted
    assert b"errorstat_ERR:count=1" in conn.cmd("INFO", "errorstats")


def test_log_writes_a_warning(server_factory):
    server = server_factory("--enable-debug-command", "yes")
    conn = server.raw()
    assert conn.call("DEBUG", "LOG", "hello from the test") == OK
    assert conn.call("DEBUG", "log", b"cut\x00here") == OK
    deadline = time.monotonic() + 5
    pattern = re.compile(r"^\d+:M \d\d \w{3} \d{4} [\d:.]+ # DEBUG LOG: hello from the test$",
                         re.MULTILINE)
    while not pattern.search(server.log_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    text = server.log_text()
    assert pattern.search(text), text[-2000:]
    assert re.search(r"# DEBUG LOG: cut$", text, re.MULTILINE), text[-2000:]


# ==== SLEEP, SET-ACTIVE-EXPIRE ====

def test_sleep_blocks_the_whole_server(shared_server, conn):
    other = shared_server.raw()
    start = time.monotonic()
    conn.send(b"*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$3\r\n0.5\r\n")
    time.sleep(0.1)
    assert other.call("PING") == PONG  # answered only once the sleep is over
    waited = time.monotonic() - start
    conn.expect(OK)
    assert waited >= 0.45, waited


@pytest.mark.parametrize("seconds", ["0", "-1", "abc", "inf", "nan", "1e14", "", "0.0000001"])
def test_sleep_returns_at_once(conn, seconds):
    start = time.monotonic()
    assert conn.call("DEBUG", "SLEEP", seconds) == OK
    assert time.monotonic() - start < 0.3


def test_sleep_reads_a_decimal_prefix(conn):
    start = time.monotonic()
    assert conn.call("DEBUG", "SLEEP", " .2seconds") == OK  # strtod: "0.2"
    assert time.monotonic() - start >= 0.18


def _expired_keys(conn) -> int:
    stats = conn.cmd("INFO", "stats").decode()
    return int(re.search(r"expired_keys:(\d+)", stats).group(1))


def test_set_active_expire(server_factory):
    conn = server_factory("--enable-debug-command", "yes", "--hz", "100").raw()
    assert conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "0") == OK
    for index in range(20):
        assert conn.call("SET", f"k{index}", "v", "PX", "1") == OK
    time.sleep(0.5)  # 50 cron runs: none expires anything
    assert _expired_keys(conn) == 0
    assert conn.call("DEBUG", "set-active-expire", "1") == OK
    deadline = time.monotonic() + 5
    while _expired_keys(conn) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _expired_keys(conn) == 20
    assert conn.call("DBSIZE") == b":0\r\n"


def test_set_active_expire_reads_like_atoi(server_factory):
    conn = server_factory("--enable-debug-command", "yes", "--hz", "100").raw()
    # atoi: "abc" is 0, and (int)4294967296 is 0 too; "2x" is 2 (on).
    for index, off in enumerate(("abc", "0", "4294967296")):
        assert conn.call("DEBUG", "SET-ACTIVE-EXPIRE", off) == OK
        assert conn.call("SET", f"k{index}", "v", "PX", "1") == OK
        time.sleep(0.2)
        assert _expired_keys(conn) == 0, off
    assert conn.call("DEBUG", "SET-ACTIVE-EXPIRE", "2x") == OK
    deadline = time.monotonic() + 5
    while _expired_keys(conn) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _expired_keys(conn) == 3


# ==== POPULATE ====

def test_populate_names_and_values(conn):
    assert conn.call("DEBUG", "POPULATE", "3") == OK
    assert sorted(conn.cmd("KEYS", "*")) == [b"key:0", b"key:1", b"key:2"]
    assert conn.cmd("MGET", "key:0", "key:2") == [b"value:0", b"value:2"]
    assert conn.call("DEBUG", "POPULATE", "2", "pre") == OK
    assert conn.cmd("MGET", "pre:0", "pre:1") == [b"value:0", b"value:1"]
    assert conn.call("DEBUG", "populate", "0") == OK
    assert conn.call("DBSIZE") == b":5\r\n"
    assert conn.cmd("OBJECT", "ENCODING", "key:1") == b"embstr"
    assert conn.cmd("TTL", "key:1") == -1


def test_populate_size_pads_with_zeros_or_cuts(conn):
    assert conn.call("DEBUG", "POPULATE", "2", "sz", "12") == OK
    assert conn.cmd("GET", "sz:1") == b"value:1" + b"\x00" * 5
    assert conn.call("DEBUG", "POPULATE", "11", "cut", "3") == OK
    assert conn.cmd("GET", "cut:10") == b"val"
    assert conn.call("DEBUG", "POPULATE", "2", "none", "0") == OK  # 0: no padding
    assert conn.cmd("GET", "none:1") == b"value:1"
    assert conn.call("DEBUG", "POPULATE", "12", "grow", "8") == OK  # value:9, then value:10
    assert conn.cmd("GET", "grow:9") == b"value:9\x00"
    assert conn.cmd("GET", "grow:11") == b"value:11"
    assert conn.call("DEBUG", "POPULATE", "2", "big", "100000") == OK
    assert conn.cmd("STRLEN", "big:1") == 100000
    assert conn.cmd("GETRANGE", "big:1", "0", "9") == b"value:1\x00\x00\x00"
    assert conn.cmd("GETRANGE", "big:1", "-3", "-1") == b"\x00\x00\x00"
    assert conn.cmd("OBJECT", "ENCODING", "big:1") == b"raw"
    assert conn.cmd("OBJECT", "ENCODING", "sz:1") == b"embstr"


def test_populate_prefix_as_a_c_string(conn):
    assert conn.call("DEBUG", "POPULATE", "1", "", "5") == OK
    assert conn.cmd("GET", ":0") == b"value"
    assert conn.call("DEBUG", "POPULATE", "2", b"a\x00b") == OK  # %s stops at the NUL
    assert sorted(conn.cmd("KEYS", "a*")) == [b"a:0", b"a:1"]
    # Redis formats the key into 128 bytes: a long prefix makes every name the same.
    assert conn.call("DEBUG", "POPULATE", "3", "p" * 130) == OK
    assert conn.cmd("KEYS", "pp*") == [b"p" * 127]
    assert conn.call("DEBUG", "POPULATE", "2", "q" * 124) == OK
    assert sorted(conn.cmd("KEYS", "qq*")) == [b"q" * 124 + b":0", b"q" * 124 + b":1"]
    assert conn.call("DEBUG", "POPULATE", "11", "r" * 125) == OK  # ":10" is cut to ":1"
    assert len(conn.cmd("KEYS", "rr*")) == 10


def test_populate_skips_existing_keys(conn):
    assert conn.call("SET", "key:1", "mine") == OK
    assert conn.call("RPUSH", "key:2", "a") == b":1\r\n"
    assert conn.call("SET", "key:3", "gone", "PX", "1") == OK
    time.sleep(0.01)
    assert conn.call("DEBUG", "POPULATE", "5") == OK
    assert conn.cmd("GET", "key:1") == b"mine"
    assert conn.cmd("TYPE", "key:2") == b"list"
    assert conn.cmd("GET", "key:3") == b"value:3"  # expired: replaced
    assert conn.cmd("TTL", "key:3") == -1
    assert conn.call("DBSIZE") == b":5\r\n"


def test_populate_touches_watched_keys(shared_server, conn):
    assert conn.call("WATCH", "key:0") == OK
    other = shared_server.raw()
    assert other.call("DEBUG", "POPULATE", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("PING") == b"+QUEUED\r\n"
    assert conn.call("EXEC") == b"*-1\r\n"


def test_populate_argument_errors(conn):
    for args in (("-1",), ("abc",), ("1.5",), (" 1",), ("+1",), ("99999999999999999999",),
                 ("1", "x", "-1"), ("1", "x", "abc")):
        assert conn.call("DEBUG", "POPULATE", *args) == POSITIVE, args
    assert conn.call("DBSIZE") == b":0\r\n"


def test_populate_selected_database(conn):
    assert conn.call("SELECT", "3") == OK
    assert conn.call("DEBUG", "POPULATE", "4") == OK
    assert conn.call("DBSIZE") == b":4\r\n"
    assert conn.call("SELECT", "0") == OK
    assert conn.call("DBSIZE") == b":0\r\n"


@pytest.mark.keel_only
def test_populate_stops_once_names_are_cut(conn):
    # Past the first name cut to 127 bytes every name is one already visited: Redis would
    # go on skipping (after a dictExpand of `count` that aborts it); keel stops.
    start = time.monotonic()
    assert conn.call("DEBUG", "POPULATE", "1000000000000000000", "p" * 130) == OK
    assert conn.cmd("DBSIZE") == 1
    assert conn.call("DEBUG", "POPULATE", "1000000000000000000", "q" * 124) == OK
    assert conn.cmd("DBSIZE") == 1 + 100  # q...:0 to q...:99, then q...:100 is cut
    assert conn.cmd("GET", "q" * 124 + ":10") == b"value:10"
    assert time.monotonic() - start < 5


@pytest.mark.keel_only
def test_populate_out_of_memory_keeps_what_it_made(server_factory):
    # Redis would abort on a failed allocation; keel stops and answers -OOM.
    server = server_factory("--enable-debug-command", "yes", "--maxmemory", "2mb")
    conn = server.raw(timeout=60)
    assert conn.call("DEBUG", "POPULATE", "100000000") == OOM
    made = conn.cmd("DBSIZE")
    assert made > 1000
    assert conn.cmd("GET", "key:0") == b"value:0"
    assert conn.call("DEBUG", "POPULATE", "10", "huge", "5000000") == OOM
    assert conn.call("DEBUG", "POPULATE", "1", "huge", "10000000000") == OOM  # > 4 GB
    assert conn.cmd("EXISTS", "huge:0") == 0
    assert conn.cmd("DBSIZE") == made
    assert conn.call("FLUSHALL") == OK
    assert conn.call("DEBUG", "POPULATE", "100", "again", "100") == OK
    assert conn.call("DBSIZE") == b":100\r\n"


# ==== ASSERT, PANIC, SEGFAULT (test plan X3) ====

def _crash(server, *args, timeout=60.0) -> int:
    """Sends DEBUG <args>: no reply, the connection closes, the process dies. Its status."""
    conn = server.raw(timeout=timeout)
    conn.send(b"*%d\r\n" % (len(args) + 1) + b"$5\r\nDEBUG\r\n"
              + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args))
    data, closed = conn.read_until_close(timeout=timeout)
    assert data == b"", data[:200]
    assert closed
    return server.proc.wait(timeout)


def _wait_port_free(port: int, timeout: float = 10.0) -> None:
    """Until the port can be bound again: with io_uring the kernel tears the dead process's
    ring down a few milliseconds after exit, and its listening socket with it."""
    deadline = time.monotonic() + timeout
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((HOST, port))
                return
            except OSError:
                assert time.monotonic() < deadline, f"port {port} still in use"
        time.sleep(0.01)


def _restart_on_same_port(server, tmp_path: Path) -> None:
    """A new server with the same arguments on the same port starts and serves."""
    _wait_port_free(server.port)
    log = open(tmp_path / "restart.log", "wb")
    proc = subprocess.Popen(server.argv, cwd=server.workdir, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not ping_once(server.port) and time.monotonic() < deadline:
            assert proc.poll() is None, (tmp_path / "restart.log").read_text()[-2000:]
            time.sleep(0.05)
        conn = RawConn(server.port)
        assert conn.call("SET", "after", "restart") == OK
        assert conn.call("GET", "after") == b"$7\r\nrestart\r\n"
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()


def test_x3_assert_aborts_with_file_and_line_then_restart_serves(server_factory, tmp_path):
    server = server_factory("--enable-debug-command", "yes")
    assert server.raw().call("SET", "before", "crash") == OK
    status = _crash(server, "ASSERT")
    assert status == -signal.SIGABRT, status
    text = server.log_text()
    if ORACLE:  # Redis's serverAssert: "==> debug.c:<line> '1 == 2' is not true"
        assert re.search(r"==> debug\.c:\d+ '.+' is not true", text), text[-3000:]
    else:       # keel's ASSERT: "keel: assertion failed: <expression> at <file>:<line>"
        assert re.search(r"keel: assertion failed: .+ at src/cmd_debug\.c:\d+\n", text), (
            text[-3000:])
    _restart_on_same_port(server, tmp_path)


def test_panic_aborts_with_a_message(server_factory):
    server = server_factory("--enable-debug-command", "yes")
    status = _crash(server, "panic", "extra", "arguments")  # any count, as Redis
    assert status == -signal.SIGABRT, status
    text = server.log_text()
    assert re.search(r"DEBUG PANIC called at Unix time \d+", text), text[-3000:]
    if not ORACLE:
        assert re.search(r"keel: panic: DEBUG PANIC called at Unix time \d+ at "
                         r"src/cmd_debug\.c:\d+\n", text), text[-3000:]


def test_segfault_dies_of_sigsegv(server_factory):
    server = server_factory("--enable-debug-command", "yes")
    status = _crash(server, "SEGFAULT")
    # ASan catches the fault, reports it and aborts (ASAN_OPTIONS abort_on_error=1).
    assert status in ((-signal.SIGSEGV, -signal.SIGABRT) if SANITIZER else (-signal.SIGSEGV,)), (
        status)


def test_crashing_subcommands_refused_when_not_allowed(server_factory):
    server = server_factory()
    conn = server.raw()
    for sub in ("ASSERT", "PANIC", "SEGFAULT"):
        assert conn.call("DEBUG", sub) == NOT_ALLOWED
    assert server.alive()
