"""
ACL LOG [<count> | RESET] as Redis 7.0.15 answers it (7.2 added entry-id,
timestamp-created and timestamp-last-updated; 7.0.15 has seven fields):

  count, reason (auth | command | key | channel), context (toplevel here: keel
  has no MULTI or scripts), object (the command's full name, the denied key,
  or the AUTH command as typed), username (for auth: the name tried),
  age-seconds (a double, since the entry's last update), client-info (the
  CLIENT LIST line of the last client that hit it).

Entries are newest first; a denial like one of the 10 newest (same reason,
context, object and user, within 60 s) bumps its count and moves it to the
head; acllog-max-len (128) bounds the log, lowering it trims at the next new
entry. Checked with raw sockets and with redis-py; every test but the
keel_only ones runs against redis-server too.

client-info differences in keel (documented in src/acl.c): rbs, rbp and obl
are 0 (no per-client reply buffer; replies go to shared 16 KiB chunks), oll
and omem count the chunks pending output spans, qbuf-free is the room left in
keel's input buffer and tot-mem keel's own accounting.
"""
import re

import pytest

OK = b"+OK\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
NOPERM_KEYS = (b"-NOPERM this user has no permissions to access one of the keys used as "
               b"arguments\r\n")
FIELDS = [b"count", b"reason", b"context", b"object", b"username", b"age-seconds",
          b"client-info"]
CLIENT_INFO = re.compile(
    rb"id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:(?P<lport>\d+) fd=\d+ name= "
    rb"age=\d+ idle=\d+ flags=N db=(?P<db>\d+) sub=0 psub=0 ssub=0 multi=-1 "
    rb"qbuf=\d+ qbuf-free=\d+ argv-mem=(?P<argv>\d+) multi-mem=0 rbs=\d+ rbp=\d+ obl=\d+ "
    rb"oll=\d+ omem=\d+ tot-mem=\d+ events=r w?"
    rb"cmd=(?P<cmd>\S+) user=(?P<user>\S+) redir=-1 resp=2")


def noperm(command: str) -> bytes:
    return f"-NOPERM this user has no permissions to run the '{command}' command\r\n".encode()


def entries(conn, *count):
    """ACL LOG as a list of dicts (field order checked)."""
    reply = conn.cmd("ACL", "LOG", *count)
    out = []
    for flat in reply:
        assert flat[0::2] == FIELDS, flat
        out.append(dict(zip(flat[0::2], flat[1::2])))
    return out


def short(entry):
    """(count, reason, object, username) of an entry."""
    return (entry[b"count"], entry[b"reason"], entry[b"object"], entry[b"username"])


@pytest.fixture
def conn(server):
    return server.raw()


@pytest.fixture
def alice(conn, server):
    """A connection authenticated as alice: +get +set on ~k* only."""
    assert conn.call("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "+get", "+set") == OK
    other = server.raw()
    assert other.call("AUTH", "alice", "pw") == OK
    return other


# ==== Arguments ====

def test_empty_log_and_arguments(conn):
    assert conn.call("ACL", "LOG") == b"*0\r\n"
    assert conn.call("ACL", "LOG", "0") == b"*0\r\n"
    assert conn.call("ACL", "LOG", "-5") == b"*0\r\n"
    assert conn.call("ACL", "LOG", "100") == b"*0\r\n"
    assert conn.call("ACL", "LOG", "reset") == OK
    assert conn.call("ACL", "LOG", "RESET") == OK
    assert conn.call("ACL", "LOG", "x") == b"-ERR value is not an integer or out of range\r\n"
    assert conn.call("ACL", "LOG", "1.5") == b"-ERR value is not an integer or out of range\r\n"
    assert conn.call("ACL", "LOG", "99999999999999999999") == (
        b"-ERR value is not an integer or out of range\r\n")
    assert conn.call("ACL", "log", "1", "2") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'log'. Try ACL HELP.\r\n")
    assert conn.call("ACL", "LOG", "reset", "x") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'LOG'. Try ACL HELP.\r\n")


# ==== Failed AUTH ====

def test_failed_auth_entries(conn, server):
    assert conn.call("ACL", "SETUSER", "alice", "on", ">pw") == OK
    other = server.raw()
    assert other.call("auth", "alice", "wrong") == WRONGPASS
    assert other.call("AUTH", "nobody", "wrong") == WRONGPASS
    assert other.call("AUTH", "nobody", "other") == WRONGPASS
    log = entries(conn)
    assert [short(entry) for entry in log] == [
        (2, b"auth", b"AUTH", b"nobody"),
        (1, b"auth", b"auth", b"alice"),
    ]
    for entry in log:
        assert entry[b"context"] == b"toplevel"
        age = float(entry[b"age-seconds"])
        assert 0 <= age < 10
        info = CLIENT_INFO.fullmatch(entry[b"client-info"])
        assert info, entry[b"client-info"]
        assert int(info["lport"]) == server.port
        assert info["cmd"] == b"auth"
        assert info["user"] == b"default"   # the user the connection had
    # argv-mem is the argument bytes of the denied command.
    assert CLIENT_INFO.fullmatch(log[0][b"client-info"])["argv"] == b"%d" % len(
        "AUTHnobodyother")
    # A success logs nothing; the one-argument form logs the default user.
    assert other.call("AUTH", "alice", "pw") == OK
    assert conn.call("ACL", "SETUSER", "default", ">dpw") == OK
    assert other.call("AUTH", "bad") == WRONGPASS
    assert short(entries(conn)[0]) == (1, b"auth", b"AUTH", b"default")
    assert len(entries(conn)) == 3


def test_no_entry_without_a_password_to_check(conn):
    # "AUTH x" with no password configured is an error, not a failed authentication.
    assert conn.call("AUTH", "x").startswith(b"-ERR AUTH <password> called without")
    assert conn.call("ACL", "LOG") == b"*0\r\n"


def test_requirepass_failures(server_factory):
    server = server_factory("--requirepass", "sekret")
    conn = server.raw()
    assert conn.call("AUTH", "wrong") == WRONGPASS
    assert conn.call("AUTH", "sekret") == OK
    log = entries(conn)
    assert [short(entry) for entry in log] == [(1, b"auth", b"AUTH", b"default")]


# ==== NOPERM ====

def test_command_and_key_entries(conn, alice):
    assert alice.call("GET", "other") == NOPERM_KEYS
    assert alice.call("DEL", "k1") == noperm("del")
    assert alice.call("CONFIG", "GET", "x") == noperm("config|get")
    assert alice.call("ACL", "WHOAMI") == noperm("acl|whoami")
    log = entries(conn)
    assert [short(entry) for entry in log] == [
        (1, b"command", b"acl|whoami", b"alice"),
        (1, b"command", b"config|get", b"alice"),
        (1, b"command", b"del", b"alice"),
        (1, b"key", b"other", b"alice"),
    ]
    commands = [CLIENT_INFO.fullmatch(entry[b"client-info"])["cmd"] for entry in log]
    assert commands == [b"acl|whoami", b"config|get", b"del", b"get"]
    for entry in log:
        assert entry[b"context"] == b"toplevel"
        assert CLIENT_INFO.fullmatch(entry[b"client-info"])["user"] == b"alice"


def test_first_denied_key_is_the_object(conn, alice):
    assert conn.call("ACL", "SETUSER", "alice", "+mget") == OK
    assert alice.call("MGET", "k1", "x1", "x2") == NOPERM_KEYS
    assert short(entries(conn)[0]) == (1, b"key", b"x1", b"alice")


def test_grouping(conn, alice):
    for _ in range(3):
        assert alice.call("GET", "other") == NOPERM_KEYS
    assert alice.call("GET", "other2") == NOPERM_KEYS
    assert [short(entry) for entry in entries(conn)] == [
        (1, b"key", b"other2", b"alice"),
        (3, b"key", b"other", b"alice"),
    ]
    # A like denial moves its entry back to the head.
    assert alice.call("GET", "other") == NOPERM_KEYS
    assert [short(entry) for entry in entries(conn)] == [
        (4, b"key", b"other", b"alice"),
        (1, b"key", b"other2", b"alice"),
    ]
    # Same object, another reason: another entry.
    assert alice.call("DEL", "other") == noperm("del")
    assert conn.call("ACL", "SETUSER", "alice", "+del") == OK
    assert alice.call("DEL", "other") == NOPERM_KEYS
    assert [short(entry) for entry in entries(conn)][:2] == [
        (5, b"key", b"other", b"alice"),
        (1, b"command", b"del", b"alice"),
    ]


def test_grouping_looks_at_the_ten_newest_only(conn, alice):
    for index in range(10):
        assert alice.call("GET", f"x{index}") == NOPERM_KEYS
    assert alice.call("GET", "x0") == NOPERM_KEYS        # 10th newest: grouped
    assert short(entries(conn)[0]) == (2, b"key", b"x0", b"alice")
    assert alice.call("GET", "y") == NOPERM_KEYS
    assert alice.call("GET", "x1") == NOPERM_KEYS        # 11th newest: a new entry
    log = entries(conn, "100")
    assert len(log) == 12
    assert short(log[0]) == (1, b"key", b"x1", b"alice")
    assert short(log[-1]) == (1, b"key", b"x1", b"alice")


def test_dryrun_and_sort_denials_are_not_logged(conn, alice):
    text = b"This user has no permissions to run the 'del' command"
    assert conn.call("ACL", "DRYRUN", "alice", "del", "k") == b"$%d\r\n%s\r\n" % (len(text),
                                                                                 text)
    assert conn.call("ACL", "SETUSER", "alice", "+sort") == OK
    assert alice.call("SORT", "klist", "BY", "w_*") == (
        b"-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n")
    assert conn.call("ACL", "LOG") == b"*0\r\n"


def test_count_and_reset(conn, alice):
    for index in range(12):
        assert alice.call("GET", f"x{index}") == NOPERM_KEYS
    assert [e[b"object"] for e in entries(conn)] == [b"x%d" % i for i in range(11, 1, -1)]
    assert [e[b"object"] for e in entries(conn, "3")] == [b"x11", b"x10", b"x9"]
    assert len(entries(conn, "12")) == 12
    assert len(entries(conn, "1000")) == 12
    assert conn.call("ACL", "LOG", "0") == b"*0\r\n"
    assert conn.call("ACL", "LOG", "RESET") == OK
    assert conn.call("ACL", "LOG") == b"*0\r\n"
    assert alice.call("GET", "x0") == NOPERM_KEYS
    assert [short(entry) for entry in entries(conn)] == [(1, b"key", b"x0", b"alice")]


def test_age_counts_from_the_last_update(conn, alice):
    assert alice.call("GET", "other") == NOPERM_KEYS
    raw = conn.call("ACL", "LOG")
    # A double as Redis 7.0 writes it in RESP2: "%.17g" in a bulk string.
    assert re.search(rb"\$11\r\nage-seconds\r\n\$\d+\r\n[0-9.e-]+\r\n", raw), raw


def test_acllog_max_len(conn, alice):
    assert conn.cmd("CONFIG", "GET", "acllog-max-len") == [b"acllog-max-len", b"128"]
    for index in range(5):
        assert alice.call("GET", f"x{index}") == NOPERM_KEYS
    assert conn.call("CONFIG", "SET", "acllog-max-len", "2") == OK
    assert conn.cmd("CONFIG", "GET", "acllog-max-len") == [b"acllog-max-len", b"2"]
    assert len(entries(conn)) == 5                       # trimmed at the next entry only
    assert alice.call("GET", "x9") == NOPERM_KEYS
    assert [e[b"object"] for e in entries(conn)] == [b"x9", b"x4"]
    assert conn.call("CONFIG", "SET", "acllog-max-len", "0") == OK
    assert alice.call("GET", "x10") == NOPERM_KEYS
    assert conn.call("ACL", "LOG") == b"*0\r\n"
    assert conn.call("CONFIG", "SET", "acllog-max-len", "-1").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - argument "
        b"must be between 0 and ")
    assert conn.call("CONFIG", "SET", "acllog-max-len", "128") == OK
    assert alice.call("GET", "x11") == NOPERM_KEYS
    assert [e[b"object"] for e in entries(conn)] == [b"x11"]


def test_redis_py_parses_the_log(server):
    client = server.client()
    client.acl_setuser("alice", enabled=True, passwords=["+pw"], keys=["k*"],
                       commands=["+get"])
    other = server.client(username="alice", password="pw")
    with pytest.raises(Exception):
        other.get("other")
    log = client.acl_log()
    assert len(log) == 1
    entry = log[0]
    assert entry["count"] == 1
    assert entry["reason"] == "key"
    assert entry["context"] == "toplevel"
    assert entry["object"] == "other"
    assert entry["username"] == "alice"
    assert isinstance(entry["age-seconds"], float)
    assert entry["client-info"]["cmd"] == "get"
    assert entry["client-info"]["user"] == "alice"
    assert client.acl_log(count=0) == []
    assert client.acl_log_reset() is True
    assert client.acl_log() == []


# ==== keel's limits ====

@pytest.mark.keel_only
def test_acllog_max_len_is_reserved(server_factory):
    server = server_factory("--acllog-max-len", "4")
    conn = server.raw()
    assert conn.cmd("CONFIG", "GET", "acllog-max-len") == [b"acllog-max-len", b"4"]
    assert conn.call("CONFIG", "SET", "acllog-max-len", "5") == (
        b"-ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - value "
        b"exceeds the number reserved at startup (4)\r\n")
    assert conn.call("CONFIG", "SET", "acllog-max-len", "3") == OK
    assert conn.call("CONFIG", "SET", "acllog-max-len", "4") == OK
    info = conn.cmd("INFO", "memory")
    assert re.search(rb"plan_acl_log:count=4,unit=\d+,bytes=\d+\r\n", info), info
    for index in range(6):
        assert conn.call("AUTH", f"user{index}", "pw") == WRONGPASS
    assert [e[b"username"] for e in entries(conn)] == [b"user5", b"user4", b"user3", b"user2"]
    # The ring was reserved at startup: logging allocates nothing.
    assert b"allocations_after_ready:0\r\n" in conn.cmd("INFO", "memory")


@pytest.mark.keel_only
def test_acllog_max_len_zero_keeps_nothing(server_factory):
    server = server_factory("--acllog-max-len", "0")
    conn = server.raw()
    assert conn.call("AUTH", "nobody", "pw") == WRONGPASS
    assert conn.call("ACL", "LOG") == b"*0\r\n"
    assert b"acl_access_denied_auth:1\r\n" in conn.cmd("INFO", "stats")
    assert conn.call("CONFIG", "SET", "acllog-max-len", "1").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - value "
        b"exceeds the number reserved at startup (0)")
    assert conn.call("CONFIG", "SET", "acllog-max-len", "65537").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'acllog-max-len') - argument "
        b"must be between 0 and 65536 inclusive")


@pytest.mark.keel_only
def test_long_objects_are_kept_as_a_prefix(conn, alice):
    key = "x" * 1000
    assert alice.call("GET", key) == NOPERM_KEYS
    assert alice.call("GET", key) == NOPERM_KEYS
    assert alice.call("GET", key[:-1] + "y") == NOPERM_KEYS
    log = entries(conn)
    assert [(e[b"count"], e[b"object"]) for e in log] == [(1, b"x" * 256), (2, b"x" * 256)]
    long_name = "u" * 300
    assert conn.call("AUTH", long_name, "pw") == WRONGPASS
    assert entries(conn)[0][b"username"] == b"u" * 256
