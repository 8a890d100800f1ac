"""
MULTI, EXEC, DISCARD, WATCH and UNWATCH with Redis 7.0.15's replies: queuing
and the checks that flag a transaction (EXECABORT), runtime errors inside EXEC
(no rollback), commands refused inside MULTI, and WATCH's "key modified" rule
for every kind of write (only commands that really change a key touch it),
expiry, FLUSHALL/FLUSHDB, SWAPDB, MOVE, RENAME, eviction and ACL changes
between queuing and EXEC. Every test runs against redis-server 7.0.15 too
(KEEL_BIN=/usr/bin/redis-server) except the keel_only ones: the watched-keys-max
pool and the bound on a queued transaction (client-query-buffer-limit, the
input pool).
"""
import time

import pytest
import redis

from conftest import resp_encode

OK = b"+OK\r\n"
QUEUED = b"+QUEUED\r\n"
NULL_ARRAY = b"*-1\r\n"
EXECABORT = b"-EXECABORT Transaction discarded because of previous errors.\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


@pytest.fixture
def pair(shared_server):
    """Two raw connections on a flushed server: the watcher and another client."""
    first = shared_server.raw()
    second = shared_server.raw()
    assert first.call("FLUSHALL") == OK
    yield first, second
    first.close()
    second.close()


# ==== MULTI / EXEC / DISCARD ====

def test_exec_replies_each_command(pair):
    conn, _ = pair
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("INCR", "a") == QUEUED
    assert conn.call("GET", "a") == QUEUED
    assert conn.call("EXEC") == b"*3\r\n+OK\r\n:2\r\n$1\r\n2\r\n"
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_empty_transaction(pair):
    conn, _ = pair
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"


def test_runtime_errors_do_not_roll_back(pair):
    conn, _ = pair
    conn.send(b"".join(resp_encode(*args) for args in [
        ("MULTI",), ("SET", "a", "x"), ("INCR", "a"), ("LPUSH", "a", "z"), ("SET", "b", "2"),
        ("EXEC",)]))
    expected = (OK + QUEUED * 4 + b"*4\r\n+OK\r\n-ERR value is not an integer or out of range"
                b"\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
                b"+OK\r\n")
    conn.expect(expected)
    assert conn.call("MGET", "a", "b") == b"*2\r\n$1\r\nx\r\n$1\r\n2\r\n"


def test_nested_multi_and_watch_inside_multi_do_not_flag(pair):
    conn, _ = pair
    assert conn.call("MULTI") == OK
    assert conn.call("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    assert conn.call("WATCH", "a") == b"-ERR WATCH inside MULTI is not allowed\r\n"
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("EXEC") == b"*1\r\n+OK\r\n"


def test_without_multi(pair):
    conn, _ = pair
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert conn.call("DISCARD") == b"-ERR DISCARD without MULTI\r\n"
    assert conn.call("UNWATCH") == OK
    assert conn.call("MULTI", "x") == b"-ERR wrong number of arguments for 'multi' command\r\n"
    assert conn.call("WATCH") == b"-ERR wrong number of arguments for 'watch' command\r\n"


@pytest.mark.parametrize("args, error", [
    (("NOSUCH", "a"), b"-ERR unknown command 'NOSUCH', with args beginning with: 'a' \r\n"),
    (("GET",), b"-ERR wrong number of arguments for 'get' command\r\n"),
    (("CONFIG", "NOSUCH"), b"-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"),
    (("CONFIG", "GET"), b"-ERR wrong number of arguments for 'config|get' command\r\n"),
    (("SHUTDOWN",), b"-ERR Command not allowed inside a transaction\r\n"),
    (("MULTI", "x"), b"-ERR wrong number of arguments for 'multi' command\r\n"),
])
def test_queuing_error_aborts_exec(pair, args, error):
    conn, _ = pair
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call(*args) == error
    assert conn.call("SET", "b", "1") == QUEUED   # still queued after the error
    assert conn.call("EXEC") == EXECABORT
    assert conn.call("EXISTS", "a", "b") == b":0\r\n"
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"


def test_exec_with_arguments_aborts(pair):
    conn, _ = pair
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("EXEC", "x") == (b"-EXECABORT Transaction discarded because of: wrong "
                                      b"number of arguments for 'exec' command\r\n")
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert conn.call("EXISTS", "a") == b":0\r\n"
    assert conn.call("EXEC", "x") == (b"-EXECABORT Transaction discarded because of: wrong "
                                      b"number of arguments for 'exec' command\r\n")


def test_discard(pair):
    conn, other = pair
    assert conn.call("WATCH", "w") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("DISCARD") == OK
    assert conn.call("EXISTS", "a") == b":0\r\n"
    # DISCARD also forgot the watched key.
    assert other.call("SET", "w", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"


def test_quit_inside_multi(shared_server):
    conn = shared_server.raw()
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "quit-key", "1") == QUEUED
    assert conn.call("QUIT") == OK
    conn.assert_closed()
    check = shared_server.raw()
    assert check.call("EXISTS", "quit-key") == b":0\r\n"


def test_reset_inside_multi(shared_server):
    conn = shared_server.raw()
    other = shared_server.raw()
    assert conn.call("WATCH", "w") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "reset-key", "1") == QUEUED
    assert conn.call("RESET") == b"+RESET\r\n"
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert conn.call("EXISTS", "reset-key") == b":0\r\n"
    # The watches went too.
    assert other.call("SET", "w", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"


def test_select_inside_multi(pair):
    conn, other = pair
    assert conn.call("MULTI") == OK
    assert conn.call("SELECT", "1") == QUEUED
    assert conn.call("SET", "a", "db1") == QUEUED
    assert conn.call("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"
    assert conn.call("GET", "a") == b"$3\r\ndb1\r\n"
    assert other.call("EXISTS", "a") == b":0\r\n"
    assert conn.call("SELECT", "0") == OK


def test_pipelined_transaction(pair):
    conn, _ = pair
    commands = [("MULTI",)] + [("RPUSH", "l", str(n)) for n in range(100)] + [("EXEC",)]
    conn.send(b"".join(resp_encode(*args) for args in commands))
    conn.expect(OK + QUEUED * 100 + b"*100\r\n" +
                b"".join(b":%d\r\n" % (n + 1) for n in range(100)))


def test_big_argument_queued(pair):
    conn, _ = pair
    value = bytes(range(256)) * 1024   # 256 KiB: received as a big argument
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "big", value) == QUEUED
    assert conn.call("APPEND", "big", value) == QUEUED
    assert conn.call("SET", "big2", value) == QUEUED
    assert conn.call("DISCARD") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "big", value) == QUEUED
    assert conn.call("APPEND", "big", value) == QUEUED
    assert conn.call("EXEC") == b"*2\r\n+OK\r\n:%d\r\n" % (2 * len(value))
    assert conn.cmd("GET", "big") == value + value


# ==== WATCH ====

def watched_exec(conn, other, key, modify, by_self=False):
    """WATCH key, run `modify` (by another client or the same one), then MULTI/EXEC."""
    assert conn.call("WATCH", key) == OK
    (conn if by_self else other).call(*modify)
    assert conn.call("MULTI") == OK
    assert conn.call("PING") == QUEUED
    return conn.call("EXEC")


WRITES = [
    # (setup, the command run after WATCH k, whether it modifies k)
    ([], ("SET", "k", "1"), True),
    ([("SET", "k", "1")], ("SET", "k", "2", "NX"), False),
    ([], ("SET", "k", "2", "XX"), False),
    ([("SET", "k", "1")], ("SET", "k", "1"), True),
    ([], ("DEL", "k"), False),
    ([("SET", "k", "1")], ("DEL", "k", "other"), True),
    ([("SET", "other", "1")], ("DEL", "k", "other"), False),
    ([("SET", "k", "1")], ("UNLINK", "k"), True),
    ([("SET", "k", "1")], ("GET", "k"), False),
    ([("SET", "k", "1")], ("MSETNX", "k", "2"), False),
    ([], ("MSET", "k", "2"), True),
    ([("SET", "k", "1")], ("INCR", "k"), True),
    ([("SET", "k", "a")], ("INCR", "k"), False),
    ([("SET", "k", "1.5")], ("INCRBYFLOAT", "k", "1"), True),
    ([("SET", "k", "a")], ("APPEND", "k", "b"), True),
    ([("SET", "k", "a")], ("APPEND", "k", ""), True),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "1", ""), False),
    ([("SET", "k", "abc")], ("SETRANGE", "k", "1", "x"), True),
    ([("SET", "k", "abc")], ("GETSET", "k", "x"), True),
    ([("SET", "k", "abc")], ("GETDEL", "k"), True),
    ([("SET", "k", "abc")], ("GETEX", "k"), False),
    ([("SET", "k", "abc")], ("GETEX", "k", "EX", "100"), True),
    ([("SET", "k", "abc")], ("SETBIT", "k", "1", "1"), False),
    ([("SET", "k", "abc")], ("SETBIT", "k", "0", "1"), True),
    ([("SET", "k", "abc")], ("SETBIT", "k", "100", "0"), True),
    ([("SET", "k", "17")], ("SETBIT", "k", "2", "1"), False),       # an int made raw
    ([("SET", "k", "17")], ("SETBIT", "k", "0", "1"), True),
    ([("SET", "k", "17")], ("BITFIELD", "k", "SET", "i1", "#3", "5"), False),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "GET", "u8", "0"), False),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "SET", "u8", "0", "1"), True),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "SET", "u8", "0", "97"), False),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "INCRBY", "i8", "0", "0"), False),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "SET", "u8", "100", "0"), True),
    ([("SET", "k", "abc")], ("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "255"),
     False),
    ([("SET", "k", "abc")], ("GETEX", "k", "PX", "100000"), True),
    ([("SET", "k", "abc", "EX", "100")], ("GETEX", "k", "EX", "200"), True),
    ([("SET", "a1", "x")], ("BITOP", "AND", "k", "a1"), True),
    ([("SET", "k", "1")], ("EXPIRE", "k", "100"), True),
    ([("SET", "k", "1")], ("EXPIRE", "k", "100", "XX"), False),
    ([("SET", "k", "1")], ("PERSIST", "k"), False),
    ([("SET", "k", "1", "EX", "100")], ("PERSIST", "k"), True),
    ([("SET", "k", "1")], ("RENAME", "k", "other"), True),
    ([("SET", "other", "1")], ("RENAME", "other", "k"), True),
    ([("SET", "k", "1")], ("RENAME", "k", "k"), False),
    ([("SET", "src", "1")], ("COPY", "src", "k"), True),
    ([("SET", "k", "1")], ("COPY", "k", "dst"), False),
    ([("SET", "k", "1")], ("MOVE", "k", "1"), True),
    ([("RPUSH", "k", "a")], ("LPUSH", "k", "b"), True),
    ([], ("LPUSHX", "k", "a"), False),
    ([("RPUSH", "k", "a", "b")], ("LPOP", "k"), True),
    ([("RPUSH", "k", "a", "b")], ("RPOP", "k", "0"), False),
    ([("RPUSH", "k", "a", "b")], ("LREM", "k", "0", "zz"), False),
    ([("RPUSH", "k", "a", "b")], ("LREM", "k", "0", "a"), True),
    ([("RPUSH", "k", "a", "b")], ("LSET", "k", "0", "z"), True),
    ([("RPUSH", "k", "a", "b")], ("LINSERT", "k", "BEFORE", "b", "z"), True),
    ([("RPUSH", "k", "a", "b")], ("LINSERT", "k", "BEFORE", "q", "z"), False),
    ([("RPUSH", "k", "a", "b")], ("LTRIM", "k", "0", "-1"), True),
    ([("RPUSH", "k", "a", "b")], ("LMOVE", "k", "k", "LEFT", "RIGHT"), True),
    ([("RPUSH", "src", "a")], ("LMOVE", "src", "k", "LEFT", "RIGHT"), True),
    ([("RPUSH", "k", "x"), ("RPUSH", "src", "a")], ("LMOVE", "src", "k", "LEFT", "RIGHT"),
     True),
    ([("RPUSH", "k", "a", "b")], ("RPOPLPUSH", "k", "other"), True),
    ([("RPUSH", "k", "a", "b")], ("LMPOP", "1", "k", "LEFT"), True),
    ([("HSET", "k", "f", "v")], ("HSET", "k", "f", "v"), True),
    ([("HSET", "k", "f", "v")], ("HSETNX", "k", "f", "w"), False),
    ([("HSET", "k", "f", "v")], ("HSETNX", "k", "g", "w"), True),
    ([("HSET", "k", "f", "v")], ("HDEL", "k", "nope"), False),
    ([("HSET", "k", "f", "v", "g", "w")], ("HDEL", "k", "f"), True),
    ([("HSET", "k", "f", "1")], ("HINCRBY", "k", "f", "1"), True),
    ([("HSET", "k", "f", "1")], ("HINCRBYFLOAT", "k", "f", "1.5"), True),
    ([("SADD", "k", "a")], ("SADD", "k", "a"), False),
    ([("SADD", "k", "a")], ("SADD", "k", "b"), True),
    ([("SADD", "k", "a", "b")], ("SREM", "k", "c"), False),
    ([("SADD", "k", "a", "b")], ("SREM", "k", "a"), True),
    ([("SADD", "k", "a", "b")], ("SPOP", "k"), True),
    ([("SADD", "k", "a", "b", "c")], ("SPOP", "k", "2"), True),
    ([("SADD", "k", "a", "b"), ("SADD", "o", "z")], ("SMOVE", "k", "o", "a"), True),
    ([("SADD", "o", "a", "b"), ("SADD", "k", "z")], ("SMOVE", "o", "k", "a"), True),
    ([("SADD", "o", "a", "b"), ("SADD", "k", "a")], ("SMOVE", "o", "k", "a"), False),
    ([("SADD", "o", "a", "b")], ("SMOVE", "o", "k", "a"), True),
    ([("SADD", "k", "a")], ("SMOVE", "k", "k", "a"), False),
    ([("SADD", "a1", "x")], ("SINTERSTORE", "k", "a1"), True),
    ([("ZADD", "k", "1", "a")], ("ZADD", "k", "1", "a"), False),
    ([("ZADD", "k", "1", "a")], ("ZADD", "k", "2", "a"), True),
    ([("ZADD", "k", "1", "a")], ("ZINCRBY", "k", "1", "a"), True),
    ([("ZADD", "k", "1", "a", "2", "b")], ("ZREM", "k", "c"), False),
    ([("ZADD", "k", "1", "a", "2", "b")], ("ZREM", "k", "a"), True),
    ([("ZADD", "k", "1", "a", "2", "b")], ("ZREMRANGEBYSCORE", "k", "5", "6"), False),
    ([("ZADD", "k", "1", "a", "2", "b")], ("ZREMRANGEBYSCORE", "k", "1", "1"), True),
    ([("ZADD", "k", "1", "a", "2", "b")], ("ZPOPMIN", "k"), True),
    ([("ZADD", "a1", "1", "x")], ("ZUNIONSTORE", "k", "1", "a1"), True),
    ([("RPUSH", "other", "b", "a"), ("SET", "k", "x")], ("SORT", "other", "ALPHA", "STORE",
                                                          "k"), True),
    ([], ("FLUSHALL",), False),
    ([("SET", "k", "1")], ("FLUSHALL",), True),
    ([("SET", "k", "1")], ("FLUSHDB",), True),
    ([("SET", "other", "1")], ("FLUSHDB",), False),
    ([("SET", "k", "1")], ("SWAPDB", "0", "1"), True),
    ([], ("SWAPDB", "0", "1"), False),
    ([("SET", "k", "1")], ("SWAPDB", "0", "0"), False),
]


@pytest.mark.parametrize("setup, modify, modifies", WRITES,
                         ids=[" ".join(case[1]) for case in WRITES])
def test_watch_sees_real_modifications(pair, setup, modify, modifies):
    conn, other = pair
    for args in setup:
        other.call(*args)
    expected = NULL_ARRAY if modifies else b"*1\r\n+PONG\r\n"
    assert watched_exec(conn, other, "k", modify) == expected
    # The same command by the watching client itself.
    assert conn.call("FLUSHALL") == OK
    for args in setup:
        conn.call(*args)
    assert watched_exec(conn, other, "k", modify, by_self=True) == expected


def test_swapdb_touches_key_arriving_from_the_other_db(pair):
    conn, other = pair
    assert other.call("SELECT", "1") == OK
    assert other.call("SET", "k", "in-db1") == OK
    assert watched_exec(conn, other, "k", ("SWAPDB", "0", "1")) == NULL_ARRAY


def test_watch_is_per_database(pair):
    conn, other = pair
    assert other.call("SELECT", "1") == OK
    assert watched_exec(conn, other, "k", ("SET", "k", "1")) == b"*1\r\n+PONG\r\n"
    # Watching in db 1 after SELECT: a write in db 1 counts.
    assert conn.call("SELECT", "1") == OK
    assert watched_exec(conn, other, "k", ("SET", "k", "2")) == NULL_ARRAY
    assert conn.call("SELECT", "0") == OK


def test_watch_several_keys_and_unwatch(pair):
    conn, other = pair
    assert conn.call("WATCH", "a", "b", "c", "a") == OK
    assert other.call("SET", "c", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "x", "1") == QUEUED
    assert conn.call("EXEC") == NULL_ARRAY
    assert conn.call("EXISTS", "x") == b":0\r\n"
    # EXEC forgot the watches: the next transaction runs.
    assert other.call("SET", "a", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"
    # UNWATCH forgets them too, even after a modification.
    assert conn.call("WATCH", "a") == OK
    assert other.call("SET", "a", "2") == OK
    assert conn.call("UNWATCH") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"


def test_watch_then_error_in_queue_gives_execabort(pair):
    conn, other = pair
    assert conn.call("WATCH", "a") == OK
    assert other.call("SET", "a", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("NOSUCH") == b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n"
    assert conn.call("EXEC") == EXECABORT


def test_modification_inside_own_transaction_does_not_abort(pair):
    conn, _ = pair
    assert conn.call("WATCH", "a") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("SET", "a", "2") == QUEUED
    assert conn.call("EXEC") == b"*2\r\n+OK\r\n+OK\r\n"


def test_closing_client_drops_its_watches(shared_server):
    for _ in range(50):
        conn = shared_server.raw()
        assert conn.call("WATCH", "a", "b", "c") == OK
        conn.close()
    check = shared_server.raw()
    assert check.call("SET", "a", "1") == OK
    assert check.call("PING") == b"+PONG\r\n"


# ==== Expiry ====

def test_watched_key_expiring_after_watch(pair):
    conn, _ = pair
    assert conn.call("SET", "k", "v", "PX", "100") == OK
    assert conn.call("WATCH", "k") == OK
    time.sleep(0.25)
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == NULL_ARRAY


def test_watched_key_already_expired(pair):
    conn, _ = pair
    assert conn.call("SET", "k", "v", "PX", "20") == OK
    time.sleep(0.1)
    assert conn.call("WATCH", "k") == OK
    time.sleep(0.1)
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"


def test_watched_expired_key_then_written(pair):
    conn, other = pair
    assert conn.call("SET", "k", "v", "PX", "20") == OK
    time.sleep(0.1)
    assert watched_exec(conn, other, "k", ("SET", "k", "new")) == NULL_ARRAY


# ==== Memory and ACL at EXEC time ====

def fill_until_oom(conn, prefix):
    value = b"x" * 4096
    for n in range(20000):
        reply = conn.call("SET", b"%s:%d" % (prefix, n), value)
        if reply != OK:
            return reply
    return None


@pytest.mark.server_args("--maxmemory", "4mb")
def test_queuing_refused_over_maxmemory(server):
    conn = server.raw()
    assert fill_until_oom(conn, b"fill") == OOM
    # (Redis refuses any command queued over maxmemory; keel's heap never goes over
    # it, so only commands that need memory meet the check there.)
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "new", b"x" * 65536) == OOM
    assert conn.call("DISCARD") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "new", b"x" * 65536) == OOM
    assert conn.call("EXEC") == EXECABORT
    assert conn.call("EXISTS", "new") == b":0\r\n"


@pytest.mark.server_args("--maxmemory", "8mb")
def test_exec_refused_over_maxmemory_with_denyoom_queued(server):
    conn = server.raw()
    admin = server.raw()
    value = b"y" * 4096
    for n in range(200):
        assert conn.call("SET", b"pre:%d" % n, value) == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert admin.call("CONFIG", "SET", "maxmemory", "100kb") == OK
    assert conn.call("EXEC") == (b"-EXECABORT Transaction discarded because of: OOM command "
                                 b"not allowed when used memory > 'maxmemory'.\r\n")
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    # A queue without denyoom commands still runs.
    assert conn.call("MULTI") == OK
    assert conn.call("DEL", "pre:1") == OOM     # queuing itself is refused now
    assert conn.call("DISCARD") == OK
    assert admin.call("CONFIG", "SET", "maxmemory", "8mb") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("GET", "pre:1") == QUEUED
    assert admin.call("CONFIG", "SET", "maxmemory", "100kb") == OK
    assert conn.call("EXEC") == b"*1\r\n$4096\r\n" + value + b"\r\n"
    assert admin.call("CONFIG", "SET", "maxmemory", "8mb") == OK


@pytest.mark.server_args("--maxmemory", "8mb", "--maxmemory-policy", "volatile-ttl")
def test_eviction_touches_watched_key(server):
    conn = server.raw()
    other = server.raw()
    assert conn.call("SET", "k", "v", "EX", "1000") == OK
    for n in range(200):
        assert other.call("SET", b"fill:%d" % n, b"x" * 4096) == OK
    assert conn.call("WATCH", "k") == OK
    # Lowering maxmemory evicts (at once in keel, before the next command in Redis):
    # k goes first, the only key with a TTL.
    assert other.call("CONFIG", "SET", "maxmemory", "100kb") == OK
    assert other.call("PING") == b"+PONG\r\n"
    assert other.call("EXISTS", "k") == b":0\r\n"
    assert other.call("CONFIG", "SET", "maxmemory", "8mb") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == NULL_ARRAY


def test_acl_change_between_queue_and_exec(pair):
    conn, admin = pair
    assert admin.call("ACL", "SETUSER", "txuser", "on", ">pw", "~*", "+@all") == OK
    assert conn.call("AUTH", "txuser", "pw") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("GET", "a") == QUEUED
    assert admin.call("ACL", "SETUSER", "txuser", "-set") == OK
    assert conn.call("EXEC") == (
        b"*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated "
        b"and the EXEC call. This command is no longer allowed for the following reason: no "
        b"permission to execute the command or subcommand\r\n$-1\r\n")
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == (
        b"-NOPERM this user has no permissions to run the 'set' command\r\n")
    assert conn.call("EXEC") == EXECABORT
    assert admin.call("ACL", "DELUSER", "txuser") == b":1\r\n"


def test_client_pause_write_holds_exec_of_a_write_transaction(shared_server):
    reader, writer, admin = shared_server.raw(), shared_server.raw(), shared_server.raw()
    assert reader.call("MULTI") == OK
    assert reader.call("GET", "paused") == QUEUED
    assert writer.call("MULTI") == OK
    assert writer.call("INCR", "paused") == QUEUED      # queued before the pause
    assert admin.call("CLIENT", "PAUSE", "300", "WRITE") == OK
    started = time.monotonic()
    assert reader.call("EXEC") == b"*1\r\n$-1\r\n"    # read-only: runs at once
    assert time.monotonic() - started < 0.2
    writer.send(resp_encode("EXEC"))                     # holds a write: waits for the end
    assert writer.read_reply(timeout=3)[0] == b"*1\r\n:1\r\n"
    assert time.monotonic() - started >= 0.25
    assert admin.call("DEL", "paused") == b":1\r\n"


# ==== Stats, slow log, COMMAND ====

def test_slowlog_skips_exec_but_logs_queued_commands(server):
    conn = server.raw()
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "0") == OK
    assert conn.call("SLOWLOG", "RESET") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("EXEC") == b"*1\r\n+OK\r\n"
    entries = conn.cmd("SLOWLOG", "GET")
    assert [entry[3][0].lower() for entry in entries] == [b"set", b"multi", b"slowlog"]


def test_commandstats_count_exec_and_inner_commands(server):
    conn = server.raw()
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "1") == QUEUED
    assert conn.call("NOSUCH") != QUEUED
    assert conn.call("EXEC") == EXECABORT
    assert conn.call("MULTI") == OK
    assert conn.call("SET", "a", "x") == QUEUED
    assert conn.call("INCR", "a") == QUEUED          # fails inside: EXEC itself does not
    assert conn.call("EXEC") == (b"*2\r\n+OK\r\n-ERR value is not an integer or out of "
                                 b"range\r\n")
    text = conn.cmd("INFO", "commandstats").decode()
    assert "cmdstat_set:calls=1," in text
    assert "cmdstat_incr:calls=1,usec=" in text
    assert "rejected_calls=0,failed_calls=1" in text.split("cmdstat_incr:")[1].split("\r\n")[0]
    assert "cmdstat_multi:calls=2," in text
    assert "cmdstat_exec:calls=2," in text
    assert "rejected_calls=0,failed_calls=1" in text.split("cmdstat_exec:")[1].split("\r\n")[0]


def test_command_info_flags(pair):
    conn, _ = pair
    info = conn.cmd("COMMAND", "INFO", "multi", "exec", "discard", "watch", "unwatch")
    assert [entry[0] for entry in info] == [b"multi", b"exec", b"discard", b"watch", b"unwatch"]
    assert [entry[1] for entry in info] == [1, 1, 1, -2, 1]
    assert sorted(info[1][2]) == sorted([b"noscript", b"loading", b"stale", b"skip_slowlog"])
    assert sorted(info[3][2]) == sorted([b"noscript", b"loading", b"stale", b"fast",
                                         b"allow_busy"])
    assert info[3][3:6] == [1, -1, 1]
    assert info[1][6] == [b"@slow", b"@transaction"]


# ==== redis-py ====

def test_redis_py_pipeline_and_watch_error(r, shared_server):
    with r.pipeline() as pipe:
        pipe.set("a", "1").incr("a").lpush("l", "x")
        assert pipe.execute() == [True, 2, 1]
    other = shared_server.client()
    with r.pipeline() as pipe:
        pipe.watch("a")
        assert pipe.get("a") == b"2"
        other.set("a", "changed")
        pipe.multi()
        pipe.set("a", "mine")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("a") == b"changed"
    with r.pipeline() as pipe:
        pipe.watch("a")
        pipe.multi()
        pipe.set("a", "mine")
        assert pipe.execute() == [True]
    assert r.get("a") == b"mine"


# ==== keel's bounds ====

@pytest.mark.keel_only
@pytest.mark.server_args("--watched-keys-max", "4")
def test_watched_keys_pool_limit(server):
    conn = server.raw()
    other = server.raw()
    assert conn.cmd("CONFIG", "GET", "watched-keys-max") == [b"watched-keys-max", b"4"]
    assert conn.call("WATCH", "a", "b", "c") == OK
    assert conn.call("WATCH", "a", "d") == OK            # a is already watched: 4 in use
    full = (b"-ERR too many watched keys: the watched-keys-max pool (or the input pool) is "
            b"full\r\n")
    assert other.call("WATCH", "e") == full
    assert conn.call("WATCH", "e") == full
    # The failed WATCH left the others in place.
    assert other.call("SET", "d", "1") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == NULL_ARRAY
    # EXEC freed all four entries.
    assert other.call("WATCH", "a", "b", "c", "d") == OK
    assert conn.call("WATCH", "x") == full
    # A WATCH that does not fit as a whole watches none of its keys.
    assert other.call("UNWATCH") == OK
    assert other.call("WATCH", "p", "q", "r") == OK
    assert conn.call("WATCH", "x", "y") == full
    assert conn.call("WATCH", "x") == OK
    assert conn.call("SET", "y", "changed") == OK
    assert conn.call("MULTI") == OK
    assert conn.call("EXEC") == b"*0\r\n"
    # A closed client gives its entries back.
    other.close()
    assert conn.call("WATCH", "x", "y", "z") == OK


@pytest.mark.keel_only
@pytest.mark.server_args("--client-query-buffer-limit", "1mb")
def test_transaction_size_limit(server):
    conn = server.raw()
    # Each queued SET costs 32 + 3 x 16 bytes of header and slices plus its bytes:
    # 256 commands of 4087 bytes and one of 2304 fill 1 MiB exactly.
    def queue_full(extra):
        assert conn.call("MULTI") == OK
        commands = [("SET", b"k%03d" % n, b"v" * 4000) for n in range(256)]
        commands.append(("SET", b"last", b"w" * (2217 + extra)))
        conn.send(b"".join(resp_encode(*args) for args in commands))
        replies = [conn.read_reply()[0] for _ in commands]
        return replies
    replies = queue_full(0)
    assert replies == [QUEUED] * 257
    exec_reply = conn.call("EXEC")
    assert exec_reply == b"*257\r\n" + OK * 257
    assert conn.call("STRLEN", "last") == b":2217\r\n"
    assert conn.call("FLUSHALL") == OK
    replies = queue_full(1)
    too_large = (b"-ERR Transaction discarded: the queued commands exceed "
                 b"client-query-buffer-limit\r\n")
    assert replies == [QUEUED] * 256 + [too_large]
    assert conn.call("SET", "after", "1") == QUEUED
    assert conn.call("EXEC") == EXECABORT
    assert conn.call("DBSIZE") == b":0\r\n"


@pytest.mark.keel_only
@pytest.mark.server_args("--input-pool-size", "1mb")
def test_transaction_input_pool_exhausted(server):
    conn = server.raw()
    assert conn.call("MULTI") == OK
    no_room = b"-ERR Transaction discarded: no room left in the input pool to queue it\r\n"
    replies = []
    for n in range(400):
        replies.append(conn.call("SET", b"k%d" % n, b"v" * 4000))
        if replies[-1] != QUEUED:
            break
    assert replies[-1] == no_room
    assert set(replies[:-1]) == {QUEUED}
    assert conn.call("EXEC") == EXECABORT
    assert conn.call("DBSIZE") == b":0\r\n"
    # The queue was given back: the same transaction minus one command fits again.
    assert conn.call("MULTI") == OK
    for n in range(len(replies) - 1):
        assert conn.call("SET", b"k%d" % n, b"v" * 4000) == QUEUED
    assert conn.call("EXEC").startswith(b"*%d\r\n+OK" % (len(replies) - 1))


@pytest.mark.keel_only
def test_discarded_big_arguments_are_freed(server):
    conn = server.raw()
    admin = server.raw()

    def used():
        text = admin.cmd("INFO", "memory").decode()
        return int(text.split("used_memory:")[1].split("\r\n")[0])
    before = used()
    value = b"z" * (512 * 1024)
    assert conn.call("MULTI") == OK
    for n in range(8):
        assert conn.call("SET", b"big%d" % n, value) == QUEUED
    assert used() >= before + 8 * len(value)
    assert conn.call("DISCARD") == OK
    assert used() == before
