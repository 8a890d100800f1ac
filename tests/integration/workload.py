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
    # errors
    ("NOSUCHCOMMAND", "a", "b"), ("GET",), ("ECHO",), ("PING", "a", "b"),
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


def run_workload(port: int, maxclients: int = None) -> None:
    """Runs everything once. With maxclients, also overflows the client limit."""
    _commands(port)
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
