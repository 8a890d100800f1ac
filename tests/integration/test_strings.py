"""String commands: GET, SET and its options, SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, GETSET,
GETDEL, GETEX, APPEND, STRLEN, INCR/DECR family, INCRBYFLOAT, GETRANGE, SETRANGE, LCS, WRONGTYPE."""
import random
import time

import pytest

from plan_helpers import info

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


# ==== LCS ====

LCS_NOT_STRING = b"-ERR The specified keys must contain string values\r\n"
LCS_LEN_AND_IDX = b"-ERR If you want both the length and indexes, please just use IDX.\r\n"
LCS_OVER_BULK_LIMIT = (b"-ERR Insufficient memory, transient memory for LCS exceeds "
                       b"proto-max-bulk-len\r\n")
LCS_NO_MEMORY = b"-ERR Insufficient memory, failed allocating transient memory for LCS\r\n"
# Redis's documented example: LCS ohmytext mynewtext IDX.
LCS_EXAMPLE_IDX = (b"*4\r\n$7\r\nmatches\r\n*2\r\n"
                   b"*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n"
                   b"*2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n"
                   b"$3\r\nlen\r\n:6\r\n")
LCS_EXAMPLE_MINMATCHLEN = (b"*4\r\n$7\r\nmatches\r\n*1\r\n"
                           b"*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n"
                           b"$3\r\nlen\r\n:6\r\n")


def lcs_model(a: bytes, b: bytes, minmatchlen: int = 0):
    """Redis 7.0's lcsCommand in Python: (LCS bytes, [(a_start, a_end, b_start, b_end, len)]
    in the order Redis emits them, from the end of the strings backwards)."""
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    result, matches, current = [], [], None
    i, j = len(a), len(b)
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            result.append(a[i - 1])
            if current is None:
                current = [i - 1, i - 1, j - 1, j - 1]
            elif current[0] == i and current[2] == j:
                current[0] -= 1
                current[2] -= 1
            else:
                emit = True
            emit = emit or current[0] == 0 or current[2] == 0
            i, j = i - 1, j - 1
        else:
            if table[i - 1][j] > table[i][j - 1]:
                i -= 1
            else:
                j -= 1
            emit = current is not None
        if emit:
            length = current[1] - current[0] + 1
            if minmatchlen == 0 or length >= minmatchlen:
                matches.append((current[0], current[1], current[2], current[3], length))
            current = None
    return bytes(reversed(result)), matches


def lcs_idx_reply(matches, length: int, withmatchlen: bool) -> bytes:
    """RESP2 bytes of LCS ... IDX for the model's matches."""
    out = [b"*4\r\n$7\r\nmatches\r\n*%d\r\n" % len(matches)]
    for a_start, a_end, b_start, b_end, match_length in matches:
        out.append(b"*%d\r\n*2\r\n:%d\r\n:%d\r\n*2\r\n:%d\r\n:%d\r\n"
                   % (3 if withmatchlen else 2, a_start, a_end, b_start, b_end))
        if withmatchlen:
            out.append(b":%d\r\n" % match_length)
    out.append(b"$3\r\nlen\r\n:%d\r\n" % length)
    return b"".join(out)


def test_lcs_documented_examples(raw):
    raw.call("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.call("LCS", "key1", "key2") == bulk(b"mytext")
    assert raw.call("LCS", "key1", "key2", "LEN") == b":6\r\n"
    assert raw.call("LCS", "key1", "key2", "IDX") == LCS_EXAMPLE_IDX
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == \
        LCS_EXAMPLE_MINMATCHLEN
    # Options in any order and case; repeated options are accepted.
    assert raw.call("lcs", "key1", "key2", "withmatchlen", "minmatchlen", "4", "idx") == \
        LCS_EXAMPLE_MINMATCHLEN
    assert raw.call("LCS", "key1", "key2", "LEN", "LEN") == b":6\r\n"
    assert raw.call("LCS", "key1", "key2", "IDX", "IDX") == LCS_EXAMPLE_IDX
    # The arguments are in the model's terms too (the model is checked against Redis here).
    assert lcs_model(b"ohmytext", b"mynewtext") == (
        b"mytext", [(4, 7, 5, 8, 4), (2, 3, 0, 1, 2)])
    # Swapping the keys swaps the ranges.
    assert raw.cmd("LCS", "key2", "key1", "IDX") == [
        b"matches", [[[5, 8], [4, 7]], [[0, 1], [2, 3]]], b"len", 6]


def test_lcs_idx_is_a_map_in_resp3(raw):
    raw.call("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.cmd("HELLO", "3")[b"proto"] == 3
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN") == \
        b"%2" + LCS_EXAMPLE_MINMATCHLEN[2:]
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "100") == (
        b"%2\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n")
    assert raw.call("LCS", "key1", "key2") == bulk(b"mytext")
    assert raw.call("LCS", "key1", "key2", "LEN") == b":6\r\n"
    assert raw.call("LCS", "key1", "nokey") == b"$0\r\n\r\n"
    assert raw.call("LCS", "key1", "key2", "LEN", "IDX") == LCS_LEN_AND_IDX


def test_lcs_missing_and_empty_keys(raw):
    raw.call("SET", "s", "hello")
    raw.call("SET", "empty", "")
    empty_idx = b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n"
    for first, second in (("nokey", "nokey2"), ("nokey", "s"), ("s", "nokey"),
                          ("empty", "s"), ("s", "empty"), ("empty", "empty")):
        assert raw.call("LCS", first, second) == b"$0\r\n\r\n", (first, second)
        assert raw.call("LCS", first, second, "LEN") == b":0\r\n", (first, second)
        assert raw.call("LCS", first, second, "IDX", "WITHMATCHLEN") == empty_idx
    assert raw.call("EXISTS", "nokey", "nokey2") == b":0\r\n"
    # A key with itself: one match over the whole string.
    assert raw.call("LCS", "s", "s") == bulk(b"hello")
    assert raw.cmd("LCS", "s", "s", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[0, 4], [0, 4], 5]], b"len", 5]
    # No common byte.
    raw.call("SET", "t", "xyz")
    assert raw.call("LCS", "s", "t") == b"$0\r\n\r\n"
    assert raw.cmd("LCS", "s", "t", "IDX") == [b"matches", [], b"len", 0]


def test_lcs_binary_and_integer_values(raw):
    a = b"\x00\xff\r\nab\x00\x80"
    b = b"a\x00\r\xffb\x00\r\n\x80"
    raw.call("SET", "a", a)
    raw.call("SET", "b", b)
    expected, matches = lcs_model(a, b)
    assert raw.call("LCS", "a", "b") == bulk(expected)
    assert raw.call("LCS", "a", "b", "LEN") == b":%d\r\n" % len(expected)
    assert raw.call("LCS", "a", "b", "IDX", "WITHMATCHLEN") == \
        lcs_idx_reply(matches, len(expected), True)
    # Integers are compared as their decimal text.
    raw.call("SET", "n1", "-12345")
    raw.call("SET", "n2", "2345")
    raw.call("INCR", "n2")
    assert raw.call("LCS", "n1", "n2") == bulk(b"234")
    assert raw.cmd("LCS", "n1", "n2", "IDX", "WITHMATCHLEN") == [
        b"matches", [[[2, 4], [0, 2], 3]], b"len", 3]
    assert raw.call("LCS", "n1", "a") == b"$0\r\n\r\n"


@pytest.mark.parametrize("setup", [("RPUSH", "other", "a"), ("HSET", "other", "f", "v"),
                                   ("SADD", "other", "a"), ("ZADD", "other", "1", "a")])
def test_lcs_wrong_type(raw, setup):
    raw.call("SET", "s", "abc")
    raw.call(*setup)
    assert raw.call("LCS", "other", "s") == LCS_NOT_STRING
    assert raw.call("LCS", "s", "other") == LCS_NOT_STRING
    assert raw.call("LCS", "other", "other", "IDX") == LCS_NOT_STRING
    assert raw.call("LCS", "nokey", "other", "LEN") == LCS_NOT_STRING
    # The type is checked before the options.
    assert raw.call("LCS", "s", "other", "FOO") == LCS_NOT_STRING
    assert raw.call("LCS", "other", "s", "LEN", "IDX") == LCS_NOT_STRING
    assert raw.call("LCS", "s", "other", "MINMATCHLEN", "x") == LCS_NOT_STRING
    assert raw.call("TYPE", "other") != b"+none\r\n"


@pytest.mark.parametrize("options,expected", [
    (("LEN", "IDX"), LCS_LEN_AND_IDX),
    (("IDX", "LEN"), LCS_LEN_AND_IDX),
    (("IDX", "WITHMATCHLEN", "LEN", "MINMATCHLEN", "2"), LCS_LEN_AND_IDX),
    (("FOO",), SYNTAX),
    (("IDX", "FOO"), SYNTAX),
    (("",), SYNTAX),
    (("IDXX",), SYNTAX),
    (("MINMATCHLEN",), SYNTAX),
    (("IDX", "MINMATCHLEN"), SYNTAX),
    (("MINMATCHLEN", "x", "IDX"), NOT_INTEGER),
    (("MINMATCHLEN", "1.5"), NOT_INTEGER),
    (("MINMATCHLEN", ""), NOT_INTEGER),
    (("MINMATCHLEN", " 1"), NOT_INTEGER),
    (("MINMATCHLEN", "9223372036854775808"), NOT_INTEGER),
    # Options are read left to right: the first bad one decides the error.
    (("LEN", "IDX", "FOO"), SYNTAX),
    (("LEN", "IDX", "MINMATCHLEN", "x"), NOT_INTEGER),
    (("MINMATCHLEN", "x", "FOO"), NOT_INTEGER),
    (("FOO", "MINMATCHLEN", "x"), SYNTAX),
])
def test_lcs_option_errors(raw, options, expected):
    raw.call("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.call("LCS", "key1", "key2", *options) == expected
    assert raw.call("LCS", "nokey", "nokey2", *options) == expected


def test_lcs_option_edges(raw):
    raw.call("MSET", "key1", "ohmytext", "key2", "mynewtext")
    assert raw.call("LCS") == WRONG_ARGS.format("lcs").encode()
    assert raw.call("LCS", "key1") == WRONG_ARGS.format("lcs").encode()
    # WITHMATCHLEN and MINMATCHLEN without IDX change nothing.
    assert raw.call("LCS", "key1", "key2", "WITHMATCHLEN") == bulk(b"mytext")
    assert raw.call("LCS", "key1", "key2", "MINMATCHLEN", "5") == bulk(b"mytext")
    assert raw.call("LCS", "key1", "key2", "LEN", "WITHMATCHLEN", "MINMATCHLEN", "9") == \
        b":6\r\n"
    # A negative MINMATCHLEN reads as 0 (every match), as do 0 and 1.
    for value in ("-1", "-9223372036854775808", "0", "1"):
        assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", value) == \
            LCS_EXAMPLE_IDX, value
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "2", "MINMATCHLEN", "3") \
        == b"*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n" \
        b"$3\r\nlen\r\n:6\r\n"
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "9223372036854775807") == \
        b"*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n"
    # Redis compares options with strcasecmp: an option ends at its first NUL byte.
    assert raw.call("LCS", "key1", "key2", b"IDX\x00junk") == LCS_EXAMPLE_IDX
    assert raw.call("LCS", "key1", "key2", b"len\x00") == b":6\r\n"
    assert raw.call("LCS", "key1", "key2", b"\x00IDX") == SYNTAX
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", b"4\x00") == NOT_INTEGER
    assert raw.call("LCS", "key1", "key2", "IDX", "MINMATCHLEN", "+1") == NOT_INTEGER


def test_lcs_matches_model_on_random_strings(raw):
    rng = random.Random(20261125)
    alphabets = [b"ab", b"abc", b"acgt", bytes(range(256))]
    for round_index in range(300):
        alphabet = alphabets[round_index % len(alphabets)]
        a = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        b = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        minmatchlen = rng.choice([0, 1, 2, 3, 5])
        withmatchlen = rng.random() < 0.5
        raw.call("MSET", "a", a, "b", b)
        expected, matches = lcs_model(a, b, minmatchlen)
        context = (a, b, minmatchlen, withmatchlen)
        assert raw.call("LCS", "a", "b") == bulk(expected), context
        assert raw.call("LCS", "a", "b", "LEN") == b":%d\r\n" % len(expected), context
        options = ["IDX", "MINMATCHLEN", str(minmatchlen)] + (["WITHMATCHLEN"] * withmatchlen)
        assert raw.call("LCS", "a", "b", *options) == \
            lcs_idx_reply(matches, len(expected), withmatchlen), context


def test_lcs_long_strings(raw):
    # 2,000 x 3,000 bytes: a 24 MB table, under the default proto-max-bulk-len.
    rng = random.Random(7)
    a = bytes(rng.choice(b"abcd") for _ in range(2000))
    b = bytes(rng.choice(b"abcd") for _ in range(3000))
    raw.call("MSET", "a", a, "b", b)
    expected, matches = lcs_model(a, b, 3)
    assert raw.call("LCS", "a", "b", timeout=20) == bulk(expected)
    assert raw.call("LCS", "a", "b", "IDX", "MINMATCHLEN", "3", "WITHMATCHLEN", timeout=20) == \
        lcs_idx_reply(matches, len(expected), True)
    assert raw.call("GET", "a") == bulk(a)


def test_lcs_table_past_proto_max_bulk_len(server_factory):
    # The table is (len1 + 1) * (len2 + 1) * 4 bytes; Redis refuses more than
    # proto-max-bulk-len (1 MB here): 512 * 512 * 4 is the limit itself. (keel cannot
    # raise proto-max-bulk-len past its startup value: start at 8 MB and lower it.)
    conn = server_factory("--proto-max-bulk-len", "8mb").raw()
    assert conn.call("CONFIG", "SET", "proto-max-bulk-len", "1mb") == b"+OK\r\n"
    conn.call("SET", "at_limit", "x" * 511)
    conn.call("SET", "past_limit", "x" * 512)
    conn.call("SET", "hundred_kb", "y" * 100_000)
    assert conn.call("LCS", "at_limit", "at_limit", "LEN") == b":511\r\n"
    assert conn.call("LCS", "at_limit", "at_limit") == bulk(b"x" * 511)
    for options in ((), ("LEN",), ("IDX",)):
        assert conn.call("LCS", "past_limit", "past_limit", *options) == LCS_OVER_BULK_LIMIT
        assert conn.call("LCS", "hundred_kb", "hundred_kb", *options) == LCS_OVER_BULK_LIMIT
    # 1,000 x 1,000 bytes (4 MB) is refused; against a missing key the table is one row.
    assert conn.call("SET", "thousand", "z" * 1000) == b"+OK\r\n"
    assert conn.call("LCS", "thousand", "past_limit") == LCS_OVER_BULK_LIMIT
    assert conn.call("LCS", "hundred_kb", "nokey", "LEN") == b":0\r\n"
    # The option errors come first; the size only then.
    assert conn.call("LCS", "past_limit", "past_limit", "LEN", "IDX") == LCS_LEN_AND_IDX
    assert conn.call("LCS", "past_limit", "past_limit", "FOO") == SYNTAX
    # Raising the limit again lets it through.
    assert conn.call("CONFIG", "SET", "proto-max-bulk-len", "8mb") == b"+OK\r\n"
    assert conn.call("LCS", "thousand", "past_limit", "LEN") == b":0\r\n"
    assert conn.call("LCS", "past_limit", "past_limit", "LEN") == b":512\r\n"


@pytest.mark.keel_only
def test_lcs_table_from_the_data_heap(server_factory):
    # The table is scratch from the data heap: used_memory is back where it was after each
    # LCS, and a table the heap cannot hold (36 MB against an 8 MB budget; Redis would
    # malloc it) answers Redis's allocation-failure text, with the dataset unchanged.
    server = server_factory("--maxmemory", "8mb")
    conn = server.raw(timeout=20)
    conn.call("SET", "a", "ab" * 1500)
    conn.call("SET", "b", "ba" * 1500)
    conn.call("SET", "small", "abcab")
    used = info(server.port, "memory")["used_memory"]
    for options in ((), ("LEN",), ("IDX",), ("IDX", "WITHMATCHLEN")):
        assert conn.call("LCS", "a", "b", *options) == LCS_NO_MEMORY, options
    assert info(server.port, "memory")["used_memory"] == used
    expected, matches = lcs_model(b"ab" * 1500, b"abcab")
    assert conn.call("LCS", "a", "small") == bulk(expected)
    assert conn.call("LCS", "a", "small", "IDX") == lcs_idx_reply(matches, len(expected), False)
    # 1,000 x 1,000 bytes: a 4 MB table fits, and is freed.
    conn.call("SET", "c", "ab" * 500)
    used = info(server.port, "memory")["used_memory"]
    assert conn.call("LCS", "c", "c", "LEN") == b":1000\r\n"
    assert conn.call("LCS", "c", "c") == bulk(b"ab" * 500)
    assert info(server.port, "memory")["used_memory"] == used
    assert conn.call("GET", "a") == bulk(b"ab" * 1500)
    assert conn.call("DBSIZE") == b":4\r\n"
    assert info(server.port, "memory")["allocations_after_ready"] == "0"


def test_lcs_in_command_table(raw):
    info_row = raw.cmd("COMMAND", "INFO", "LCS")[0]
    assert info_row[:7] == [b"lcs", -3, [b"readonly"], 1, 2, 1,
                            [b"@read", b"@string", b"@slow"]]
    docs = raw.cmd("COMMAND", "DOCS", "lcs")
    assert docs[0] == b"lcs"
    fields = dict(zip(docs[1][0::2], docs[1][1::2]))
    assert fields[b"summary"] == b"Find longest common substring"
    assert fields[b"since"] == b"7.0.0"
    assert fields[b"group"] == b"string"
    # Both keys are read: ACL key patterns apply to each.
    assert raw.call("ACL", "SETUSER", "lcsuser", "on", "nopass", "~k*", "+lcs") == b"+OK\r\n"
    try:
        assert raw.call("ACL", "DRYRUN", "lcsuser", "LCS", "k1", "k2", "IDX") == b"+OK\r\n"
        denied = b"$54\r\nThis user has no permissions to access the 'other' key\r\n"
        assert raw.call("ACL", "DRYRUN", "lcsuser", "LCS", "k1", "other") == denied
        assert raw.call("ACL", "DRYRUN", "lcsuser", "LCS", "other", "k1") == denied
    finally:
        raw.call("ACL", "DELUSER", "lcsuser")
