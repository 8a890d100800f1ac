"""
A workload that touches every command the suite covers, their error paths, every protocol
error, pipelining, fragmentation, big values, expiry, connection churn and the maxclients
overflow. Used by the keel_only "no allocation after ready" tests and by a smoke test that
runs it against any server (so the workload itself is checked against redis-server).

It asserts only what it needs to know it really exercised the server (a PING answered, a
value read back); the detailed behaviour is asserted by the other test modules.
"""
import os
import time

from conftest import RawConn, resp_encode

PROTOCOL_ERROR_INPUTS = [
    b"*3000000000\r\n", b"*+1\r\n", b"*abc\r\n", b"*1\r\n$-10\r\n", b"*1\r\n$blabla\r\n",
    b"*1\r\n$04\r\n", b"*1\r\n$536870913\r\n", b"*1\r\nfoo\r\n", b"A" * 70000,
    b"*" + b"1" * 70000, b"*1\r\n$" + b"1" * 70000, b'set """test-key""" test-value\r\n',
]

COMMANDS = [
    # connection / server
    ("PING",), ("PING", "msg"), ("ECHO", "zig"), ("SELECT", "1"), ("SET", "db1key", "v"),
    ("DBSIZE",), ("FLUSHDB",), ("SELECT", "15"), ("SELECT", "16"), ("SELECT", "x"),
    ("SELECT", "0"), ("DBSIZE",), ("COMMAND", "COUNT"), ("COMMAND", "INFO", "get", "set"),
    ("COMMAND", "DOCS", "get"), ("COMMAND", "nope"), ("INFO",), ("INFO", "memory"),
    ("INFO", "keyspace"), ("CONFIG", "GET", "maxmemory"), ("CONFIG", "GET", "maxmemory*"),
    ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"),
    ("CONFIG", "SET", "maxmemory-policy", "noeviction"),
    ("CONFIG", "SET", "maxmemory-policy", "bogus"), ("CONFIG", "GET", "maxmemory-policy"),
    ("TIME",),
    # strings
    ("SET", "s", "v"), ("GET", "s"), ("GET", "missing"), ("SET", "s", "v", "EX", "100"),
    ("SET", "s", "v", "PX", "100000"), ("SET", "s", "v", "EXAT", "4000000000"),
    ("SET", "s", "v", "PXAT", "4000000000000"), ("SET", "s", "v2", "KEEPTTL"),
    ("SET", "s", "v3", "NX"), ("SET", "s", "v3", "XX", "GET"), ("SET", "n1", "v", "NX", "GET"),
    ("SET", "s", "v", "EX", "1", "PX", "1"), ("SET", "s", "v", "EX", "0"),
    ("SET", "s", "v", "EX", "abc"), ("SETNX", "s", "x"), ("SETNX", "n2", "x"),
    ("SETEX", "se", "100", "v"), ("SETEX", "se", "0", "v"), ("PSETEX", "pse", "100000", "v"),
    ("MSET", "a", "1", "b", "2", "c", "3"), ("MSET", "a"), ("MGET", "a", "b", "missing"),
    ("MSETNX", "a", "1", "d", "4"), ("MSETNX", "e", "5", "f", "6"), ("GETSET", "a", "10"),
    ("GETDEL", "b"), ("GETDEL", "b"), ("GETEX", "c"), ("GETEX", "c", "EX", "100"),
    ("GETEX", "c", "PX", "100000"), ("GETEX", "c", "EXAT", "4000000000"),
    ("GETEX", "c", "PXAT", "4000000000000"), ("GETEX", "c", "PERSIST"),
    ("GETEX", "c", "EX", "1", "PX", "1"), ("APPEND", "ap", "hello"), ("APPEND", "ap", " world"),
    ("STRLEN", "ap"), ("STRLEN", "missing"), ("INCR", "cnt"), ("DECR", "cnt"),
    ("INCRBY", "cnt", "10"), ("DECRBY", "cnt", "3"), ("INCRBY", "cnt", "x"),
    ("SET", "max", "9223372036854775807"), ("INCR", "max"),
    ("DECRBY", "cnt", "-9223372036854775808"), ("INCRBYFLOAT", "fl", "10.5"),
    ("INCRBYFLOAT", "fl", "5.0e3"), ("INCRBYFLOAT", "fl", "inf"), ("INCRBYFLOAT", "fl", "x"),
    ("SET", "gr", "Hello World"), ("GETRANGE", "gr", "0", "4"), ("GETRANGE", "gr", "-5", "-1"),
    ("GETRANGE", "gr", "100", "200"), ("SETRANGE", "gr", "6", "Redis"),
    ("SETRANGE", "pad", "5", "abc"), ("SETRANGE", "gr", "-1", "x"),
    ("SETRANGE", "gr", "536870912", "x"),
    ("SET", "lcs1", "ohmytext"), ("SET", "lcs2", "mynewtext"), ("LCS", "lcs1", "lcs2"),
    ("LCS", "lcs1", "lcs2", "LEN"), ("LCS", "lcs1", "lcs2", "IDX", "MINMATCHLEN", "4",
                                     "WITHMATCHLEN"),
    ("LCS", "lcs1", "missing", "IDX"), ("LCS", "lcs1", "lcs2", "LEN", "IDX"),
    ("LCS", "lcs1", "lcs2", "MINMATCHLEN", "x"), ("LCS", "gr", "gr", "FOO"),
    # lists
    ("RPUSH", "l", "a", "b", "c", "d", "e"), ("LPUSH", "l", "z", "y"), ("LLEN", "l"),
    ("LRANGE", "l", "0", "-1"), ("LRANGE", "l", "-3", "-1"), ("LRANGE", "l", "100", "200"),
    ("LPOP", "l"), ("RPOP", "l"), ("LPOP", "l", "2"), ("RPOP", "l", "0"), ("LPOP", "l", "-1"),
    ("RPOP", "l", "10"), ("LPOP", "l"), ("LPOP", "l", "2"), ("LLEN", "l"),
    ("RPUSH", "l2", "x"), ("GET", "l2"), ("SET", "sx", "1"), ("LPUSH", "sx", "a"),
    ("LRANGE", "sx", "0", "-1"),
    # keys
    ("EXISTS", "a", "a", "missing"), ("TYPE", "a"), ("TYPE", "l2"), ("TYPE", "missing"),
    ("EXPIRE", "a", "100"), ("EXPIRE", "a", "200", "GT"), ("EXPIRE", "a", "50", "LT"),
    ("EXPIRE", "a", "50", "NX"), ("EXPIRE", "a", "50", "XX"), ("EXPIRE", "a", "1", "NX", "XX"),
    ("EXPIRE", "a", "1", "GT", "LT"), ("EXPIRE", "a", "9223372036854775807"),
    ("PEXPIRE", "a", "100000"), ("EXPIREAT", "a", "4000000000"),
    ("PEXPIREAT", "a", "4000000000000"), ("TTL", "a"), ("PTTL", "a"), ("EXPIRETIME", "a"),
    ("PEXPIRETIME", "a"), ("PERSIST", "a"), ("TTL", "a"), ("TTL", "missing"),
    ("EXPIRE", "d", "0"), ("PEXPIRE", "e", "-1"), ("DEL", "a", "c", "missing"),
    ("UNLINK", "f", "l2", "missing"), ("DEL",),
    # transactions
    ("WATCH", "tx1", "tx2"), ("MULTI",), ("SET", "tx1", "v"), ("INCR", "txn"),
    ("LPUSH", "txl", "a"), ("GET", "tx1"), ("INCR", "tx1"), ("EXEC",), ("WATCH", "tx1"),
    ("SET", "tx1", "w"), ("MULTI",), ("GET", "tx1"), ("EXEC",), ("MULTI",), ("MULTI",),
    ("WATCH", "x"), ("NOSUCH",), ("GET",), ("EXEC",), ("MULTI",), ("SET", "tx1", "v"),
    ("DISCARD",), ("EXEC",), ("DISCARD",), ("WATCH", "tx1"), ("UNWATCH",), ("MULTI",),
    ("EXEC", "x"),
    # errors
    ("NOSUCHCOMMAND", "a", "b"), ("GET",), ("ECHO",), ("PING", "a", "b"),
    # RESP3 (HELLO) and back to RESP2
    ("HELLO",), ("HELLO", "3", "SETNAME", "wl"), ("HELLO", "4"), ("HELLO", "3", "x"),
    ("HSET", "r3h", "f", "v"), ("HGETALL", "r3h"), ("HRANDFIELD", "r3h", "-2", "WITHVALUES"),
    ("ZADD", "r3z", "1.5", "a", "inf", "b"), ("ZRANGE", "r3z", "0", "-1", "WITHSCORES"),
    ("ZSCORE", "r3z", "a"), ("ZPOPMIN", "r3z", "1"), ("SADD", "r3s", "a"), ("SMEMBERS", "r3s"),
    ("GET", "missing"), ("INFO", "keyspace"), ("MEMORY", "DOCTOR"), ("LATENCY", "DOCTOR"),
    ("CONFIG", "GET", "maxmemory"), ("HELLO", "2", "AUTH", "default", "x"), ("DEL", "r3h"),
]


def _connect(port: int) -> RawConn:
    return RawConn(port, timeout=30)


def _commands(port: int) -> None:
    conn = _connect(port)
    for args in COMMANDS:
        conn.call(*args)
    assert conn.call("GET", "gr") == b"$11\r\nHello Redis\r\n"
    # The same through inline commands and a 100-command pipeline.
    conn.send(b"PING\r\nset inl v\nget inl\r\n\r\n")
    conn.expect(b"+PONG\r\n+OK\r\n$1\r\nv\r\n")
    conn.send(b'set "q k" "a\\x41"\r\nget "q k"\r\n')
    conn.expect(b"+OK\r\n$2\r\naA\r\n")
    conn.send(b"*0\r\n*-1\r\n")
    pipeline = b"".join(resp_encode("INCR", "pipe") for _ in range(100))
    conn.send(pipeline)
    for _ in range(100):
        conn.read_reply()
    conn.send_split(resp_encode("SET", "split", "value"), chunk=1)
    conn.expect(b"+OK\r\n")
    conn.call("QUIT")
    conn.close()


def _protocol_errors(port: int) -> None:
    for data in PROTOCOL_ERROR_INPUTS:
        conn = _connect(port)
        conn.send(data, tolerate_close=True)
        reply = conn.read_reply()[1]
        assert reply.message.startswith(b"ERR Protocol error"), reply
        conn.read_until_close(2.0)
        conn.close()


def _big_values(port: int) -> None:
    conn = _connect(port)
    value = os.urandom(10 * 1024 * 1024)
    assert conn.call("SET", "big", value, timeout=30) == b"+OK\r\n"
    assert conn.cmd("GET", "big", timeout=30) == value
    conn.call("DEL", "big")
    chunk = b"x" * 1024
    conn.send(b"".join(resp_encode("APPEND", "built", chunk) for _ in range(1024)))
    for _ in range(1024):
        conn.read_reply()
    assert conn.call("STRLEN", "built") == b":1048576\r\n"
    conn.call("DEL", "built")
    conn.close()


def _expiry(port: int) -> None:
    conn = _connect(port)
    conn.call("SELECT", "3")  # a database of its own, so DBSIZE counts only these keys
    conn.send(b"".join(resp_encode("SET", f"exp{i}", "v", "PX", "50") for i in range(200)))
    for _ in range(200):
        conn.read_reply()
    conn.call("SET", "lazy", "v", "PX", "30")
    time.sleep(0.1)
    assert conn.call("GET", "lazy") == b"$-1\r\n"
    deadline = time.monotonic() + 3  # let active expiry run without touching the keys
    while conn.cmd("DBSIZE") > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    conn.close()


def _churn(port: int, count: int = 50) -> None:
    for index in range(count):
        conn = _connect(port)
        assert conn.call("PING") == b"+PONG\r\n"
        if index % 3 == 0:
            conn.send(b"*2\r\n$3\r\nGET\r\n$1")  # leave mid-command
        conn.close()


def _open_accepted(port: int, deadline: float) -> RawConn:
    """Opens a connection that gets +PONG, retrying while old closes are still pending."""
    while True:
        conn = _connect(port)
        conn.send(b"PING\r\n")
        raw, _value = conn.read_reply()
        if raw == b"+PONG\r\n":
            return conn
        conn.close()
        assert time.monotonic() < deadline, f"could not open a connection: {raw!r}"
        time.sleep(0.05)


def _maxclients_overflow(port: int, maxclients: int) -> None:
    deadline = time.monotonic() + 10
    conns = [_open_accepted(port, deadline) for _ in range(maxclients)]
    extra = _connect(port)
    extra.expect(b"-ERR max number of clients reached\r\n")
    extra.read_until_close(2.0)
    extra.close()
    for conn in conns:
        assert conn.call("PING") == b"+PONG\r\n"
        conn.close()
    _open_accepted(port, time.monotonic() + 10).close()


def _pubsub(port: int) -> None:
    """SUBSCRIBE/PSUBSCRIBE, fan-out, subscribed mode, PUBSUB, a long (heap) channel name,
    RESP3 pushes, and subscribers that close while subscribed."""
    sub, psub, pub = _connect(port), _connect(port), _connect(port)
    long_name = "c" * 5000
    sub.send(resp_encode("SUBSCRIBE", "ch1", "ch2", long_name, "ch1"))
    for _ in range(4):
        sub.read_reply()
    sub.call("GET", "x")
    sub.call("PING")
    sub.call("PING", "m")
    psub.send(resp_encode("PSUBSCRIBE", "ch*", "[a-c]*"))
    for _ in range(2):
        psub.read_reply()
    assert pub.call("PUBLISH", "ch1", "hello") == b":3\r\n"
    for conn, count in ((sub, 1), (psub, 2)):
        for _ in range(count):
            conn.read_reply()
    pub.call("PUBLISH", long_name, "x" * 20000)
    sub.read_reply()
    psub.read_reply()
    for args in (("CHANNELS",), ("CHANNELS", "ch*"), ("NUMSUB", "ch1", "none"), ("NUMPAT",),
                 ("HELP",), ("SHARDCHANNELS",), ("SHARDNUMSUB", "a"), ("bogus",)):
        pub.call("PUBSUB", *args)
    sub.call("UNSUBSCRIBE", "ch1")
    sub.send(resp_encode("UNSUBSCRIBE"))
    sub.read_reply()
    sub.read_reply()
    sub.call("UNSUBSCRIBE")
    psub.call("PUNSUBSCRIBE", "ch*")
    pub.cmd("HELLO", "3")
    pub.call("SUBSCRIBE", "r3")
    pub.call("PUBLISH", "r3", "self")
    pub.read_reply()
    pub.call("HELLO", "2")
    sub.call("SUBSCRIBE", "left")
    sub.close()
    psub.close()
    pub.close()


def _client_management(port: int) -> None:
    """CLIENT subcommands, a WRITE pause holding a write, CLIENT REPLY, MONITOR fed by
    another client, RESET, WAIT and kills."""
    mon, conn, other = _connect(port), _connect(port), _connect(port)
    mon.call("MONITOR")
    for args in (("CLIENT", "ID"), ("CLIENT", "SETNAME", "wl"), ("CLIENT", "GETNAME"),
                 ("CLIENT", "INFO"), ("CLIENT", "LIST"), ("CLIENT", "LIST", "TYPE", "normal"),
                 ("CLIENT", "LIST", "ID", "1", "2", "3"), ("CLIENT", "NO-EVICT", "on"),
                 ("CLIENT", "GETREDIR"), ("CLIENT", "TRACKINGINFO"), ("CLIENT", "HELP"),
                 ("CLIENT", "UNBLOCK", "1"), ("CLIENT", "KILL", "ID", "999999"),
                 ("CLIENT", "KILL", "1.2.3.4:5"), ("CLIENT", "SETNAME", "a b"),
                 ("WAIT", "0", "0"), ("INFO", "clients"), ("SET", "mk", 'a"b\x01\n'),
                 ("AUTH", "x"), ("CLIENT", "PAUSE", "50", "WRITE")):
        conn.call(*args)
    assert other.call("SET", "paused", "v") == b"+OK\r\n"  # held until the pause ends
    conn.send(resp_encode("CLIENT", "REPLY", "OFF") + resp_encode("PING") +
              resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("CLIENT", "REPLY", "ON"))
    conn.read_reply()
    conn.send(resp_encode("CLIENT", "REPLY", "SKIP") + resp_encode("PING"))
    conn.call("RESET")
    mon.call("GET", "k")
    mon.call("RESET")
    other_id = other.cmd("CLIENT", "ID")
    conn.call("CLIENT", "KILL", "ID", other_id)
    mon.close()
    other.close()
    conn.close()


def _wait_blocked(conn: RawConn, count: int) -> None:
    deadline = time.monotonic() + 10
    while b"blocked_clients:%d\r\n" % count not in conn.call("INFO", "clients"):
        assert time.monotonic() < deadline, "clients never blocked"
        time.sleep(0.005)


def _blocking(port: int) -> None:
    """BLPOP & co.: immediate answers, errors, timeouts, FIFO wake-ups through a BLMOVE
    chain, a pipeline behind a blocked command, a disconnect while blocked, MULTI."""
    conn, mover, popper, gone = (_connect(port) for _ in range(4))
    conn.call("RPUSH", "bl", "x", "y", "z")
    conn.call("ZADD", "bz", "1", "a", "2", "b", "3", "c")
    for args in (("BLPOP", "bl", "0"), ("BRPOP", "bl", "0"), ("BLPOP", "none", "0.01"),
                 ("BRPOPLPUSH", "bl", "bt", "0"), ("BLMOVE", "bt", "bl", "LEFT", "RIGHT", "0"),
                 ("BLMPOP", "0.01", "2", "none", "bl", "LEFT", "COUNT", "2"),
                 ("BZPOPMIN", "bz", "0"), ("BZPOPMAX", "bz", "0"),
                 ("BZMPOP", "0", "1", "bz", "MIN"),
                 ("BZPOPMIN", "none", "0.01"), ("BLPOP", "bl", "-1"), ("BLPOP", "bl", "x"),
                 ("BLMPOP", "0", "0", "bl", "LEFT"), ("SET", "bs", "v"), ("BLPOP", "bs", "0"),
                 ("MULTI",), ("BLPOP", "none", "0"), ("BLMOVE", "none", "x", "LEFT", "LEFT", "0"),
                 ("EXEC",)):
        conn.call(*args)
    mover.send(resp_encode("BLMOVE", "bsrc", "bdst", "LEFT", "LEFT", "0") + resp_encode("PING"))
    _wait_blocked(conn, 1)
    popper.send(resp_encode("BLPOP", "bother", "bdst", "5"))
    _wait_blocked(conn, 2)
    gone.send(resp_encode("BZPOPMIN", "bz", "bz2", "bz", "100"))
    _wait_blocked(conn, 3)
    gone.close()
    _wait_blocked(conn, 2)
    conn.call("RPUSH", "bsrc", "v")
    assert mover.read_reply()[0] == b"$1\r\nv\r\n"
    assert mover.read_reply()[0] == b"+PONG\r\n"
    popper.read_reply()
    popper.send(resp_encode("BZMPOP", "0", "2", "bz2", "bz3", "MAX", "COUNT", "3"))
    _wait_blocked(conn, 1)
    conn.call("ZADD", "bz3", "1", "m", "2", "n")
    popper.read_reply()
    conn.call("DEL", "bs", "bl", "bt", "bz", "bz3")
    for each in (conn, mover, popper):
        each.close()


def run_workload(port: int, maxclients: int = None) -> None:
    """Runs everything once. With maxclients, also overflows the client limit."""
    _commands(port)
    _pubsub(port)
    _client_management(port)
    _blocking(port)
    _protocol_errors(port)
    _big_values(port)
    _expiry(port)
    _churn(port)
    if maxclients:
        _maxclients_overflow(port, maxclients)
    conn = _connect(port)
    conn.call("FLUSHALL")
    assert conn.call("PING") == b"+PONG\r\n"
    conn.close()
