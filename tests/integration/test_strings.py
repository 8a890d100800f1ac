"""String commands: GET, SET and its options, SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, GETSET,
GETDEL, GETEX, APPEND, STRLEN, INCR/DECR family, INCRBYFLOAT, GETRANGE, SETRANGE, WRONGTYPE."""
import time

import pytest

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
OVERFLOW = b"-ERR increment or decrement would overflow\r\n"
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


def invalid_expire(command: str) -> bytes:
    return b"-ERR invalid expire time in '%s' command\r\n" % command.encode()


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


# ==== GET / SET ====

def test_get_set_basic(raw):
    assert raw.call("GET", "k") == b"$-1\r\n"
    assert raw.call("SET", "k", "v") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$1\r\nv\r\n"
    assert raw.call("SET", "k", "") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$0\r\n\r\n"
    assert raw.call("SET", "k", b"\x00\r\n\xff") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$4\r\n\x00\r\n\xff\r\n"
    assert raw.call("GET") == WRONG_ARGS.format("get").encode()
    assert raw.call("GET", "a", "b") == WRONG_ARGS.format("get").encode()
    assert raw.call("SET", "k") == WRONG_ARGS.format("set").encode()


def test_set_overwrites_list(raw):
    raw.call("RPUSH", "l", "x")
    assert raw.call("SET", "l", "v") == b"+OK\r\n"
    assert raw.call("TYPE", "l") == b"+string\r\n"
    assert raw.call("GET", "l") == b"$1\r\nv\r\n"


def test_set_ex_px(raw):
    assert raw.call("SET", "k", "v", "EX", "100") == b"+OK\r\n"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert raw.call("SET", "k", "v", "PX", "100000") == b"+OK\r\n"
    assert 99000 < raw.cmd("PTTL", "k") <= 100000
    assert raw.call("SET", "k", "v", "ex", "50") == b"+OK\r\n"
    assert 49 <= raw.cmd("TTL", "k") <= 50
    # The last of repeated identical options wins.
    assert raw.call("SET", "k", "v", "EX", "10", "EX", "20") == b"+OK\r\n"
    assert 19 <= raw.cmd("TTL", "k") <= 20


def test_set_exat_pxat(raw):
    at = int(time.time()) + 100
    assert raw.call("SET", "k", "v", "EXAT", at) == b"+OK\r\n"
    assert raw.cmd("EXPIRETIME", "k") == at
    assert raw.call("SET", "k", "v", "PXAT", at * 1000 + 123) == b"+OK\r\n"
    assert raw.cmd("PEXPIRETIME", "k") == at * 1000 + 123
    # A time in the past is accepted and the key is gone at once.
    assert raw.call("SET", "k", "v", "EXAT", "1") == b"+OK\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"
    assert raw.call("SET", "k", "v", "PXAT", "1") == b"+OK\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"
    assert raw.call("SET", "k", "v", "PXAT", LLONG_MAX) == b"+OK\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":%d\r\n" % LLONG_MAX


def test_set_nx_xx(raw):
    assert raw.call("SET", "k", "1", "XX") == b"$-1\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"
    assert raw.call("SET", "k", "1", "NX") == b"+OK\r\n"
    assert raw.call("SET", "k", "2", "NX") == b"$-1\r\n"
    assert raw.call("GET", "k") == b"$1\r\n1\r\n"
    assert raw.call("SET", "k", "3", "XX") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$1\r\n3\r\n"
    assert raw.call("SET", "k", "4", "nx", "nx") == b"$-1\r\n"
    # NX/XX look at any type.
    raw.call("RPUSH", "l", "x")
    assert raw.call("SET", "l", "v", "NX") == b"$-1\r\n"
    assert raw.call("SET", "l", "v", "XX") == b"+OK\r\n"
    assert raw.call("SET", "n", "v", "NX", "EX", "100") == b"+OK\r\n"
    assert 99 <= raw.cmd("TTL", "n") <= 100


def test_set_keepttl(raw):
    raw.call("SET", "k", "v", "EX", "100")
    assert raw.call("SET", "k", "v2", "KEEPTTL") == b"+OK\r\n"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert raw.call("GET", "k") == b"$2\r\nv2\r\n"
    assert raw.call("SET", "k", "v3") == b"+OK\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"
    assert raw.call("SET", "new", "v", "KEEPTTL") == b"+OK\r\n"
    assert raw.call("TTL", "new") == b":-1\r\n"


def test_set_get_option(raw):
    assert raw.call("SET", "k", "v1", "GET") == b"$-1\r\n"
    assert raw.call("SET", "k", "v2", "GET") == b"$2\r\nv1\r\n"
    assert raw.call("GET", "k") == b"$2\r\nv2\r\n"
    # With NX/XX the old value is returned whether or not the SET happens.
    assert raw.call("SET", "k", "v3", "NX", "GET") == b"$2\r\nv2\r\n"
    assert raw.call("GET", "k") == b"$2\r\nv2\r\n"
    assert raw.call("SET", "k", "v3", "XX", "GET") == b"$2\r\nv2\r\n"
    assert raw.call("GET", "k") == b"$2\r\nv3\r\n"
    assert raw.call("SET", "new", "v", "NX", "GET") == b"$-1\r\n"
    assert raw.call("GET", "new") == b"$1\r\nv\r\n"
    assert raw.call("SET", "new2", "v", "XX", "GET") == b"$-1\r\n"
    assert raw.call("EXISTS", "new2") == b":0\r\n"
    raw.call("SET", "t", "old", "EX", "100")
    assert raw.call("SET", "t", "new", "GET", "KEEPTTL") == b"$3\r\nold\r\n"
    assert 99 <= raw.cmd("TTL", "t") <= 100
    assert raw.call("SET", "t", "x", "PX", "100", "GET") == b"$3\r\nnew\r\n"
    # GET on a list is WRONGTYPE and nothing is written.
    raw.call("RPUSH", "l", "x")
    assert raw.call("SET", "l", "v", "GET") == WRONGTYPE
    assert raw.call("SET", "l", "v", "NX", "GET") == WRONGTYPE
    assert raw.call("TYPE", "l") == b"+list\r\n"


@pytest.mark.parametrize("args", [
    ("EX", "10", "PX", "100"),
    ("EX", "10", "EXAT", "2000000000"),
    ("PX", "10", "PXAT", "2000000000000"),
    ("EXAT", "2000000000", "PXAT", "2000000000000"),
    ("NX", "XX"),
    ("XX", "NX"),
    ("KEEPTTL", "EX", "10"),
    ("PX", "100", "KEEPTTL"),
    ("EX",),
    ("PX",),
    ("FOO",),
    ("EX", "10", "FOO"),
    ("GET", "GET", "X"),
    ("KEEPTTL", "NX", "EXAT"),
])
def test_set_syntax_errors(raw, args):
    raw.call("SET", "k", "old")
    assert raw.call("SET", "k", "v", *args) == SYNTAX, args
    assert raw.call("GET", "k") == b"$3\r\nold\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"


@pytest.mark.parametrize("args", [
    ("EX", "0"), ("EX", "-1"), ("PX", "0"), ("PX", "-100"), ("EXAT", "0"), ("EXAT", "-1"),
    ("PXAT", "0"), ("EX", str(LLONG_MAX)), ("PX", str(LLONG_MAX)), ("EX", "9223372036854775"),
    ("EXAT", str(LLONG_MAX)), ("EX", str(LLONG_MIN)),
])
def test_set_invalid_expire(raw, args):
    raw.call("SET", "k", "old")
    assert raw.call("SET", "k", "v", *args) == invalid_expire("set"), args
    assert raw.call("GET", "k") == b"$3\r\nold\r\n"


def test_set_expire_not_integer(raw):
    for args in (("EX", "abc"), ("PX", "1.5"), ("EXAT", ""), ("PXAT", "1e3"),
                 ("EX", "9223372036854775808")):
        assert raw.call("SET", "k", "v", *args) == NOT_INTEGER, args
    assert raw.call("EXISTS", "k") == b":0\r\n"


# ==== SETNX / SETEX / PSETEX ====

def test_setnx(raw):
    assert raw.call("SETNX", "k", "1") == b":1\r\n"
    assert raw.call("SETNX", "k", "2") == b":0\r\n"
    assert raw.call("GET", "k") == b"$1\r\n1\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("SETNX", "l", "v") == b":0\r\n"
    assert raw.call("SETNX", "k") == WRONG_ARGS.format("setnx").encode()


def test_setex_psetex(raw):
    assert raw.call("SETEX", "k", "100", "v") == b"+OK\r\n"
    assert raw.call("GET", "k") == b"$1\r\nv\r\n"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert raw.call("PSETEX", "p", "100000", "v") == b"+OK\r\n"
    assert 99000 < raw.cmd("PTTL", "p") <= 100000
    raw.call("RPUSH", "l", "x")
    assert raw.call("SETEX", "l", "100", "v") == b"+OK\r\n"  # overwrites any type
    assert raw.call("TYPE", "l") == b"+string\r\n"
    for command in ("SETEX", "PSETEX"):
        for ttl in ("0", "-1", str(LLONG_MAX), str(LLONG_MIN)):
            assert raw.call(command, "k", ttl, "v") == invalid_expire(command.lower()), ttl
        assert raw.call(command, "k", "abc", "v") == NOT_INTEGER
        assert raw.call(command, "k", "10") == WRONG_ARGS.format(command.lower()).encode()
    assert raw.call("GET", "k") == b"$1\r\nv\r\n"


def test_psetex_expires(raw):
    assert raw.call("PSETEX", "k", "40", "v") == b"+OK\r\n"
    time.sleep(0.1)
    assert raw.call("GET", "k") == b"$-1\r\n"


# ==== MGET / MSET / MSETNX ====

def test_mget(raw):
    raw.call("MSET", "a", "1", "b", "")
    raw.call("RPUSH", "l", "x")
    assert raw.call("MGET", "a", "b", "missing", "l", "a") == (
        b"*5\r\n$1\r\n1\r\n$0\r\n\r\n$-1\r\n$-1\r\n$1\r\n1\r\n")
    assert raw.call("MGET", "missing") == b"*1\r\n$-1\r\n"
    assert raw.call("MGET") == WRONG_ARGS.format("mget").encode()


def test_mset(raw):
    assert raw.call("MSET", "a", "1", "b", "2", "a", "3") == b"+OK\r\n"
    assert raw.call("MGET", "a", "b") == b"*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("MSET", "l", "v") == b"+OK\r\n"
    assert raw.call("TYPE", "l") == b"+string\r\n"
    for args in ((), ("a",), ("a", "1", "b")):
        assert raw.call("MSET", *args) == WRONG_ARGS.format("mset").encode(), args
    assert raw.call("EXISTS", "b") == b":1\r\n"


def test_msetnx(raw):
    assert raw.call("MSETNX", "a", "1", "b", "2") == b":1\r\n"
    assert raw.call("MSETNX", "a", "x", "c", "3") == b":0\r\n"
    assert raw.call("EXISTS", "c") == b":0\r\n"
    assert raw.call("GET", "a") == b"$1\r\n1\r\n"
    # Duplicate keys (CVE-2023-28425): the last value wins.
    assert raw.call("MSETNX", "k", "1", "k", "2") == b":1\r\n"
    assert raw.call("GET", "k") == b"$1\r\n2\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("MSETNX", "l", "v", "z", "1") == b":0\r\n"
    for args in ((), ("a",), ("a", "1", "b")):
        assert raw.call("MSETNX", *args) == WRONG_ARGS.format("msetnx").encode(), args


# ==== GETSET / GETDEL / GETEX ====

def test_getset(raw):
    assert raw.call("GETSET", "k", "1") == b"$-1\r\n"
    assert raw.call("GETSET", "k", "2") == b"$1\r\n1\r\n"
    assert raw.call("GET", "k") == b"$1\r\n2\r\n"
    raw.call("EXPIRE", "k", "100")
    assert raw.call("GETSET", "k", "3") == b"$1\r\n2\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("GETSET", "l", "v") == WRONGTYPE
    assert raw.call("GETSET", "k") == WRONG_ARGS.format("getset").encode()


def test_getdel(raw):
    raw.call("SET", "k", "v", "EX", "100")
    assert raw.call("GETDEL", "k") == b"$1\r\nv\r\n"
    assert raw.call("GETDEL", "k") == b"$-1\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("GETDEL", "l") == WRONGTYPE
    assert raw.call("EXISTS", "l") == b":1\r\n"
    assert raw.call("GETDEL") == WRONG_ARGS.format("getdel").encode()


def test_getex(raw):
    raw.call("SET", "k", "v")
    assert raw.call("GETEX", "k") == b"$1\r\nv\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"
    assert raw.call("GETEX", "k", "EX", "100") == b"$1\r\nv\r\n"
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert raw.call("GETEX", "k", "PERSIST") == b"$1\r\nv\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"
    assert raw.call("GETEX", "k", "PX", "100000") == b"$1\r\nv\r\n"
    assert 99000 < raw.cmd("PTTL", "k") <= 100000
    at = int(time.time()) + 200
    assert raw.call("GETEX", "k", "EXAT", at) == b"$1\r\nv\r\n"
    assert raw.cmd("EXPIRETIME", "k") == at
    assert raw.call("GETEX", "k", "PXAT", at * 1000 + 7) == b"$1\r\nv\r\n"
    assert raw.cmd("PEXPIRETIME", "k") == at * 1000 + 7
    assert raw.call("GETEX", "k", "persist") == b"$1\r\nv\r\n"
    assert raw.call("GETEX", "missing", "EX", "10") == b"$-1\r\n"
    assert raw.call("EXISTS", "missing") == b":0\r\n"
    # A time in the past returns the value and deletes the key.
    assert raw.call("GETEX", "k", "EXAT", "1") == b"$1\r\nv\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"


def test_getex_errors(raw):
    raw.call("SET", "k", "v")
    for args in (("EX", "10", "PX", "100"), ("PERSIST", "EX", "10"), ("EX", "10", "PERSIST"),
                 ("FOO",), ("EX",), ("PERSIST", "PERSIST", "X")):
        assert raw.call("GETEX", "k", *args) == SYNTAX, args
    for args in (("EX", "0"), ("EX", "-1"), ("PX", "0"), ("EXAT", "0"), ("PXAT", "0"),
                 ("EX", str(LLONG_MAX))):
        assert raw.call("GETEX", "k", *args) == invalid_expire("getex"), args
    assert raw.call("GETEX", "k", "EX", "abc") == NOT_INTEGER
    assert raw.call("TTL", "k") == b":-1\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("GETEX", "l") == WRONGTYPE
    assert raw.call("GETEX", "l", "EX", "10") == WRONGTYPE
    assert raw.call("GETEX") == WRONG_ARGS.format("getex").encode()


# ==== APPEND / STRLEN ====

def test_append_strlen(raw):
    assert raw.call("STRLEN", "k") == b":0\r\n"
    assert raw.call("APPEND", "k", "Hello") == b":5\r\n"
    assert raw.call("APPEND", "k", " World") == b":11\r\n"
    assert raw.call("APPEND", "k", "") == b":11\r\n"
    assert raw.call("GET", "k") == b"$11\r\nHello World\r\n"
    assert raw.call("STRLEN", "k") == b":11\r\n"
    assert raw.call("APPEND", "e", "") == b":0\r\n"
    assert raw.call("EXISTS", "e") == b":1\r\n"
    raw.call("SET", "n", "10")
    assert raw.call("APPEND", "n", "5") == b":3\r\n"
    assert raw.call("INCR", "n") == b":106\r\n"
    assert raw.call("STRLEN", "n") == b":3\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("APPEND", "l", "x") == WRONGTYPE
    assert raw.call("STRLEN", "l") == WRONGTYPE
    assert raw.call("APPEND", "k") == WRONG_ARGS.format("append").encode()
    assert raw.call("STRLEN") == WRONG_ARGS.format("strlen").encode()


# ==== INCR / DECR / INCRBY / DECRBY ====

def test_incr_family(raw):
    assert raw.call("INCR", "n") == b":1\r\n"
    assert raw.call("INCR", "n") == b":2\r\n"
    assert raw.call("DECR", "n") == b":1\r\n"
    assert raw.call("INCRBY", "n", "10") == b":11\r\n"
    assert raw.call("DECRBY", "n", "5") == b":6\r\n"
    assert raw.call("INCRBY", "n", "-10") == b":-4\r\n"
    assert raw.call("DECRBY", "n", "-4") == b":0\r\n"
    assert raw.call("DECR", "m") == b":-1\r\n"
    assert raw.call("DECRBY", "o", "7") == b":-7\r\n"
    assert raw.call("INCRBY", "p", "0") == b":0\r\n"
    assert raw.call("GET", "n") == b"$1\r\n0\r\n"
    raw.call("SET", "s", "-20")
    assert raw.call("INCR", "s") == b":-19\r\n"
    assert raw.call("GET", "s") == b"$3\r\n-19\r\n"


def test_incr_limits(raw):
    raw.call("SET", "big", LLONG_MAX)
    assert raw.call("INCR", "big") == OVERFLOW
    assert raw.call("INCRBY", "big", "1") == OVERFLOW
    assert raw.call("DECRBY", "big", "-1") == OVERFLOW
    assert raw.call("DECR", "big") == b":9223372036854775806\r\n"
    raw.call("SET", "small", LLONG_MIN)
    assert raw.call("DECR", "small") == OVERFLOW
    assert raw.call("DECRBY", "small", "1") == OVERFLOW
    assert raw.call("INCRBY", "small", "-1") == OVERFLOW
    assert raw.call("GET", "small") == b"$20\r\n-9223372036854775808\r\n"
    assert raw.call("INCRBY", "small", LLONG_MAX) == b":-1\r\n"
    # DECRBY LLONG_MIN cannot be negated: its own message, key untouched or missing.
    assert raw.call("DECRBY", "x", LLONG_MIN) == b"-ERR decrement would overflow\r\n"
    assert raw.call("EXISTS", "x") == b":0\r\n"
    raw.call("SET", "x", "1")
    assert raw.call("DECRBY", "x", LLONG_MIN) == b"-ERR decrement would overflow\r\n"
    assert raw.call("GET", "x") == b"$1\r\n1\r\n"
    assert raw.call("INCRBY", "x", "9223372036854775808") == NOT_INTEGER
    assert raw.call("INCRBY", "x", LLONG_MIN) == b":-9223372036854775807\r\n"


@pytest.mark.parametrize("value", [
    "abc", " 1", "1 ", "01", "+1", "", "1.5", "0x10", "9223372036854775808",
    "-9223372036854775809", "1e3", "--1", "-", "-0",
])
def test_incr_not_integer_value(raw, value):
    raw.call("SET", "s", value)
    assert raw.call("INCR", "s") == NOT_INTEGER, value
    assert raw.call("DECRBY", "s", "1") == NOT_INTEGER, value
    assert raw.call("GET", "s") == bulk(value.encode())


def test_incr_bad_increment(raw):
    for text in ("abc", "1.5", "", " 1", "01", "9223372036854775808"):
        assert raw.call("INCRBY", "n", text) == NOT_INTEGER, text
        assert raw.call("DECRBY", "n", text) == NOT_INTEGER, text
    assert raw.call("EXISTS", "n") == b":0\r\n"
    assert raw.call("INCR") == WRONG_ARGS.format("incr").encode()
    assert raw.call("INCR", "a", "b") == WRONG_ARGS.format("incr").encode()
    assert raw.call("INCRBY", "n") == WRONG_ARGS.format("incrby").encode()
    assert raw.call("DECR") == WRONG_ARGS.format("decr").encode()
    assert raw.call("DECRBY", "n") == WRONG_ARGS.format("decrby").encode()


def test_incr_wrongtype(raw):
    raw.call("RPUSH", "l", "x")
    for args in (("INCR", "l"), ("DECR", "l"), ("INCRBY", "l", "1"), ("DECRBY", "l", "1"),
                 ("INCRBYFLOAT", "l", "1")):
        assert raw.call(*args) == WRONGTYPE, args


def test_incr_preserves_ttl(raw):
    raw.call("SET", "n", "1", "EX", "100")
    assert raw.call("INCR", "n") == b":2\r\n"
    assert 99 <= raw.cmd("TTL", "n") <= 100


# ==== INCRBYFLOAT ====

@pytest.mark.parametrize("start,increment,result", [
    (None, "10.5", b"10.5"),
    ("10.50", "0.1", b"10.6"),
    ("10", "0.5", b"10.5"),
    ("5.0e3", "0", b"5000"),
    (None, "5.0e3", b"5000"),
    (None, "3.0", b"3"),
    ("3", "0.1", b"3.1"),
    ("10", "-5", b"5"),
    ("1", "-1.5", b"-0.5"),
    (None, "1.23e-5", b"0.0000123"),
    (None, "5.0e17", b"500000000000000000"),
    ("500000000000000000", "100", b"500000000000000100"),
    ("-0", "0", b"0"),
    (None, "-0", b"0"),
    ("0.1", "0.2", b"0.3"),
    ("7", "-7", b"0"),
])
def test_incrbyfloat_format(raw, start, increment, result):
    if start is not None:
        raw.call("SET", "f", start)
    assert raw.call("INCRBYFLOAT", "f", increment) == bulk(result)
    assert raw.call("GET", "f") == bulk(result)


def test_incrbyfloat_errors(raw):
    raw.call("SET", "f", "10.5")
    for increment in ("inf", "-inf", "+inf", "Infinity"):
        assert raw.call("INCRBYFLOAT", "f", increment) == (
            b"-ERR increment would produce NaN or Infinity\r\n"), increment
    for increment in ("nan", "abc", "", " 1", "1 ", "1.5x"):
        assert raw.call("INCRBYFLOAT", "f", increment) == NOT_FLOAT, increment
    assert raw.call("GET", "f") == b"$4\r\n10.5\r\n"
    for value in ("abc", "1.5 ", " 1", ""):
        raw.call("SET", "g", value)
        assert raw.call("INCRBYFLOAT", "g", "1") == NOT_FLOAT, value
        assert raw.call("GET", "g") == bulk(value.encode())
    assert raw.call("INCRBYFLOAT", "f") == WRONG_ARGS.format("incrbyfloat").encode()


def test_incrbyfloat_keeps_ttl(raw):
    raw.call("SET", "f", "1", "EX", "100")
    assert raw.call("INCRBYFLOAT", "f", "1.5") == b"$3\r\n2.5\r\n"
    assert 99 <= raw.cmd("TTL", "f") <= 100


# ==== GETRANGE / SETRANGE ====

@pytest.mark.parametrize("start,end,result", [
    ("0", "4", b"Hello"),
    ("-5", "-1", b"World"),
    ("-100", "-1", b"Hello World"),
    ("0", "100", b"Hello World"),
    ("0", "-1", b"Hello World"),
    ("5", "2", b""),
    ("100", "200", b""),
    ("11", "11", b""),
    ("10", "10", b"d"),
    ("-1", "-5", b""),
    ("-1", "-1", b"d"),
    ("0", "0", b"H"),
    ("0", "-100", b"H"),  # Redis 7.0: a negative end past the start clamps to 0
    ("-100", "-100", b"H"),
    ("3", "-3", b"lo Wor"),
    (str(LLONG_MIN), str(LLONG_MAX), b"Hello World"),
])
def test_getrange(raw, start, end, result):
    raw.call("SET", "s", "Hello World")
    assert raw.call("GETRANGE", "s", start, end) == bulk(result), (start, end)


def test_getrange_edges(raw):
    assert raw.call("GETRANGE", "missing", "0", "-1") == b"$0\r\n\r\n"
    raw.call("SET", "e", "")
    assert raw.call("GETRANGE", "e", "0", "-1") == b"$0\r\n\r\n"
    assert raw.call("GETRANGE", "e", "0", "0") == b"$0\r\n\r\n"
    raw.call("SET", "n", "12345")
    assert raw.call("GETRANGE", "n", "1", "2") == b"$2\r\n23\r\n"
    raw.call("SET", "s", "abc")
    assert raw.call("GETRANGE", "s", "a", "1") == NOT_INTEGER
    assert raw.call("GETRANGE", "s", "0", "1.5") == NOT_INTEGER
    assert raw.call("GETRANGE", "s", "0") == WRONG_ARGS.format("getrange").encode()
    raw.call("RPUSH", "l", "x")
    assert raw.call("GETRANGE", "l", "0", "1") == WRONGTYPE


def test_setrange(raw):
    raw.call("SET", "s", "Hello World")
    assert raw.call("SETRANGE", "s", "6", "Redis") == b":11\r\n"
    assert raw.call("GET", "s") == b"$11\r\nHello Redis\r\n"
    assert raw.call("SETRANGE", "s", "10", "XYZ") == b":13\r\n"
    assert raw.call("GET", "s") == b"$13\r\nHello RediXYZ\r\n"
    assert raw.call("SETRANGE", "s", "0", "") == b":13\r\n"
    # Padding with zero bytes, on a missing key and past the end.
    assert raw.call("SETRANGE", "p", "5", "abc") == b":8\r\n"
    assert raw.call("GET", "p") == b"$8\r\n\x00\x00\x00\x00\x00abc\r\n"
    assert raw.call("SETRANGE", "p", "10", "z") == b":11\r\n"
    assert raw.call("GET", "p") == b"$11\r\n\x00\x00\x00\x00\x00abc\x00\x00z\r\n"
    # An empty value on a missing key creates nothing.
    assert raw.call("SETRANGE", "q", "0", "") == b":0\r\n"
    assert raw.call("SETRANGE", "q", "10", "") == b":0\r\n"
    assert raw.call("EXISTS", "q") == b":0\r\n"
    # An empty value past the end of an existing key changes nothing.
    assert raw.call("SETRANGE", "s", "100", "") == b":13\r\n"
    assert raw.call("STRLEN", "s") == b":13\r\n"
    raw.call("SET", "t", "v", "EX", "100")
    assert raw.call("SETRANGE", "t", "1", "x") == b":2\r\n"
    assert 99 <= raw.cmd("TTL", "t") <= 100


def test_setrange_errors(raw):
    raw.call("SET", "s", "abc")
    assert raw.call("SETRANGE", "s", "-1", "x") == b"-ERR offset is out of range\r\n"
    assert raw.call("SETRANGE", "new", "-1", "x") == b"-ERR offset is out of range\r\n"
    too_big = b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"
    for offset in ("536870912", "4294967295", "2147483647", str(LLONG_MAX)):
        assert raw.call("SETRANGE", "s", offset, "x") == too_big, offset
        assert raw.call("SETRANGE", "new", offset, "x") == too_big, offset
    assert raw.call("SETRANGE", "s", "536870911", "xy") == too_big
    assert raw.call("SETRANGE", "s", "abc", "x") == NOT_INTEGER
    assert raw.call("SETRANGE", "s", "1.5", "x") == NOT_INTEGER
    assert raw.call("GET", "s") == b"$3\r\nabc\r\n"
    assert raw.call("EXISTS", "new") == b":0\r\n"
    raw.call("RPUSH", "l", "x")
    assert raw.call("SETRANGE", "l", "0", "x") == WRONGTYPE
    assert raw.call("SETRANGE", "s", "0") == WRONG_ARGS.format("setrange").encode()


# ==== WRONGTYPE on every string command ====

@pytest.mark.parametrize("args", [
    ("GET", "l"), ("GETSET", "l", "v"), ("GETDEL", "l"), ("GETEX", "l"),
    ("GETEX", "l", "PERSIST"), ("APPEND", "l", "x"), ("STRLEN", "l"), ("INCR", "l"),
    ("DECR", "l"), ("INCRBY", "l", "2"), ("DECRBY", "l", "2"), ("INCRBYFLOAT", "l", "1.5"),
    ("GETRANGE", "l", "0", "-1"), ("SETRANGE", "l", "0", "x"), ("SET", "l", "v", "GET"),
])
def test_string_commands_wrongtype(raw, args):
    raw.call("RPUSH", "l", "a", "b")
    assert raw.call(*args) == WRONGTYPE, args
    assert raw.call("LRANGE", "l", "0", "-1") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


def test_redis_py_roundtrip(r):
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b", "c") == [b"1", b"2", None]
    assert r.incr("n") == 1
    assert r.incrbyfloat("f", 1.5) == 1.5
    assert r.getrange("k", 0, -1) == b"v"
    assert r.setrange("k", 1, "w") == 2
    assert r.get("k") == b"vw"
