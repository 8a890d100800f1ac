"""Hash commands: HSET, HSETNX, HGET, HMGET, HMSET, HDEL, HLEN, HSTRLEN, HEXISTS,
HKEYS, HVALS, HGETALL, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.

Every test that is not keel_only also passes against redis-server 7.0.15
(KEEL_BIN=/usr/bin/redis-server). Small hashes keep insertion order in both
servers, so their HKEYS/HVALS/HGETALL are compared exactly; hashtable order is
compared as sets. OBJECT ENCODING's names for hashes ("listpack",
"hashtable") are the same in Redis 7.0 and 7.2, so the conversion tests run
against both servers too.
"""
import time

import pytest

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
NOT_FLOAT = b"-ERR value is not a valid float\r\n"
SYNTAX = b"-ERR syntax error\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
EMPTY_SCAN = b"*2\r\n$1\r\n0\r\n*0\r\n"
NIL = b"$-1\r\n"


def bulk(item) -> bytes:
    if item is None:
        return NIL
    if isinstance(item, str):
        item = item.encode()
    return b"$%d\r\n%s\r\n" % (len(item), item)


def array(*items) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(bulk(item) for item in items)


def wrong_args(name: str) -> bytes:
    return WRONG_ARGS.format(name).encode()


def pairs_of(flat):
    return list(zip(flat[0::2], flat[1::2]))


# ==== HSET, HSETNX, HMSET, HGET, HMGET ====

def test_hset_hget_basics(raw):
    assert raw.call("HSET", "h", "a", "1") == b":1\r\n"
    assert raw.call("HSET", "h", "a", "2", "b", "3") == b":1\r\n"
    assert raw.call("HSET", "h", "c", "4", "c", "5") == b":1\r\n"  # repeated: the last wins
    assert raw.call("HGET", "h", "a") == bulk("2")
    assert raw.call("HGET", "h", "c") == bulk("5")
    assert raw.call("HGET", "h", "missing") == NIL
    assert raw.call("HGET", "nokey", "a") == NIL
    assert raw.call("HLEN", "h") == b":3\r\n"
    assert raw.call("HLEN", "nokey") == b":0\r\n"
    assert raw.call("TYPE", "h") == b"+hash\r\n"
    assert raw.call("HMGET", "h", "a", "x", "b") == array("2", None, "3")
    assert raw.call("HMGET", "nokey", "a", "b") == array(None, None)


def test_hset_binary_and_empty(raw):
    assert raw.call("HSET", "h", b"\x00\r\n", b"", b"", b"v\x00") == b":2\r\n"
    assert raw.call("HGET", "h", b"\x00\r\n") == b"$0\r\n\r\n"
    assert raw.call("HGET", "h", b"") == b"$2\r\nv\x00\r\n"
    assert raw.call("HSTRLEN", "h", b"") == b":2\r\n"
    assert raw.call("HGETALL", "h") == array(b"\x00\r\n", b"", b"", b"v\x00")


def test_hset_arity(raw):
    assert raw.call("HSET", "h", "a") == wrong_args("hset")
    assert raw.call("HSET", "h", "a", "1", "b") == wrong_args("hset")
    assert raw.call("hset", "h", "a", "1", "b") == wrong_args("hset")
    assert raw.call("HMSET", "h", "a", "1", "b") == wrong_args("hmset")
    assert raw.call("HMSET", "h") == wrong_args("hmset")
    assert raw.call("HSETNX", "h", "a") == wrong_args("hsetnx")
    assert raw.call("HGET", "h") == wrong_args("hget")
    assert raw.call("HMGET", "h") == wrong_args("hmget")
    assert raw.call("HDEL", "h") == wrong_args("hdel")
    assert raw.call("HLEN") == wrong_args("hlen")
    assert raw.call("HEXISTS", "h") == wrong_args("hexists")
    assert raw.call("HSTRLEN", "h") == wrong_args("hstrlen")
    assert raw.call("HKEYS", "h", "x") == wrong_args("hkeys")
    assert raw.call("HINCRBY", "h", "a") == wrong_args("hincrby")
    assert raw.call("HINCRBYFLOAT", "h", "a") == wrong_args("hincrbyfloat")
    assert raw.call("HRANDFIELD") == wrong_args("hrandfield")
    assert raw.call("HSCAN", "h") == wrong_args("hscan")
    assert raw.call("EXISTS", "h") == b":0\r\n"


def test_hmset(raw):
    assert raw.call("HMSET", "h", "a", "1", "b", "2") == b"+OK\r\n"
    assert raw.call("HMSET", "h", "a", "3") == b"+OK\r\n"
    assert raw.call("HGETALL", "h") == array("a", "3", "b", "2")


def test_hsetnx(raw):
    assert raw.call("HSETNX", "h", "a", "1") == b":1\r\n"
    assert raw.call("HSETNX", "h", "a", "2") == b":0\r\n"
    assert raw.call("HSETNX", "h", "b", "3") == b":1\r\n"
    assert raw.call("HGETALL", "h") == array("a", "1", "b", "3")


def test_hstrlen_hexists(raw):
    raw.call("HSET", "h", "a", "hello", "n", "-123", "z", "007")
    assert raw.call("HSTRLEN", "h", "a") == b":5\r\n"
    assert raw.call("HSTRLEN", "h", "n") == b":4\r\n"
    assert raw.call("HSTRLEN", "h", "z") == b":3\r\n"
    assert raw.call("HSTRLEN", "h", "x") == b":0\r\n"
    assert raw.call("HSTRLEN", "nokey", "x") == b":0\r\n"
    assert raw.call("HEXISTS", "h", "a") == b":1\r\n"
    assert raw.call("HEXISTS", "h", "x") == b":0\r\n"
    assert raw.call("HEXISTS", "nokey", "a") == b":0\r\n"


# ==== HDEL and empty hashes ====

def test_hdel_deletes_empty_hash(raw):
    raw.call("HSET", "h", "a", "1", "b", "2", "c", "3")
    assert raw.call("HDEL", "h", "a", "x", "a") == b":1\r\n"
    assert raw.call("HDEL", "nokey", "a") == b":0\r\n"
    assert raw.call("HLEN", "h") == b":2\r\n"
    assert raw.call("HDEL", "h", "b", "c", "d") == b":2\r\n"
    assert raw.call("EXISTS", "h") == b":0\r\n"
    assert raw.call("TYPE", "h") == b"+none\r\n"
    assert raw.call("SET", "h", "s") == b"+OK\r\n"
    assert raw.call("DEL", "h") == b":1\r\n"
    assert raw.call("HSET", "h", "x", "y") == b":1\r\n"
    assert raw.call("HGETALL", "h") == array("x", "y")


def test_hdel_empties_large_hash(r):
    fields = {f"field:{index}": f"value:{index}" for index in range(1000)}
    r.hset("big", mapping=fields)
    assert r.hlen("big") == 1000
    names = list(fields)
    for offset in range(0, 1000, 100):
        assert r.hdel("big", *names[offset:offset + 100]) == 100
    assert r.exists("big") == 0


# ==== HKEYS, HVALS, HGETALL ====

def test_getall_family_small_keeps_insertion_order(raw):
    assert raw.call("HKEYS", "nokey") == b"*0\r\n"
    assert raw.call("HVALS", "nokey") == b"*0\r\n"
    assert raw.call("HGETALL", "nokey") == b"*0\r\n"
    raw.call("HSET", "h", "z", "1", "a", "2", "m", "3")
    raw.call("HSET", "h", "a", "22")           # an update keeps its place
    raw.call("HDEL", "h", "z")
    raw.call("HSET", "h", "z", "4")            # re-added at the end
    assert raw.call("HKEYS", "h") == array("a", "m", "z")
    assert raw.call("HVALS", "h") == array("22", "3", "4")
    assert raw.call("HGETALL", "h") == array("a", "22", "m", "3", "z", "4")


def test_getall_family_hashtable(r):
    fields = {f"f{index}".encode(): f"v{index}".encode() for index in range(2000)}
    r.hset("h", mapping=fields)
    assert r.hgetall("h") == fields
    assert sorted(r.hkeys("h")) == sorted(fields)
    assert sorted(r.hvals("h")) == sorted(fields.values())
    keys = r.hkeys("h")
    values = r.hvals("h")
    assert dict(zip(keys, values)) == fields  # the same order for both


# ==== HINCRBY, HINCRBYFLOAT ====

def test_hincrby(raw):
    assert raw.call("HINCRBY", "h", "n", "5") == b":5\r\n"
    assert raw.call("HINCRBY", "h", "n", "-7") == b":-2\r\n"
    assert raw.call("HGET", "h", "n") == bulk("-2")
    assert raw.call("HINCRBY", "h", "n", "x") == NOT_INTEGER
    assert raw.call("HINCRBY", "h", "n", "1.5") == NOT_INTEGER
    assert raw.call("HINCRBY", "h", "n", "") == NOT_INTEGER
    assert raw.call("HINCRBY", "h", "n", "9223372036854775808") == NOT_INTEGER
    raw.call("HSET", "h", "s", "abc", "sp", " 1", "lead", "01", "big", "9223372036854775807")
    for field in ("s", "sp", "lead"):
        assert raw.call("HINCRBY", "h", field, "1") == b"-ERR hash value is not an integer\r\n"
    assert raw.call("HINCRBY", "h", "big", "1") == \
        b"-ERR increment or decrement would overflow\r\n"
    assert raw.call("HINCRBY", "h", "big", "-9223372036854775807") == b":0\r\n"
    raw.call("HSET", "h", "small", "-9223372036854775808")
    assert raw.call("HINCRBY", "h", "small", "-1") == \
        b"-ERR increment or decrement would overflow\r\n"
    assert raw.call("HINCRBY", "h", "small", "0") == b":-9223372036854775808\r\n"
    assert raw.call("HINCRBY", "new", "f", "-9223372036854775808") == \
        b":-9223372036854775808\r\n"
    assert raw.call("HGET", "h", "big") == bulk("0")


@pytest.mark.parametrize("start,increment,expected", [
    (None, "10.5", "10.5"),
    ("10.5", "0.1", "10.6"),
    ("5.0e3", "2.0e2", "5200"),
    ("1", "-1", "0"),
    (None, "-0.0", "0"),
    ("0.1", "0.2", "0.3"),
    ("3", "1e-5", "3.00001"),
    ("17179869184", "1.5", "17179869185.5"),
    ("-1.5", "0.25", "-1.25"),
    ("1e20", "0", "100000000000000000000"),
    # 1e100 is not exact in a long double; "%.17Lf" prints the stored value.
    ("1e100", "0", "99999999999999999996693535322073426194986990198284960792713915417520186"
                   "69482644324418977840117055488"),
    (" 1", None, None),
])
def test_hincrbyfloat_formatting(raw, start, increment, expected):
    if start is not None:
        raw.call("HSET", "h", "f", start)
    if increment is None:
        assert raw.call("HINCRBYFLOAT", "h", "f", "1") == b"-ERR hash value is not a float\r\n"
        return
    assert raw.call("HINCRBYFLOAT", "h", "f", increment) == bulk(expected)
    assert raw.call("HGET", "h", "f") == bulk(expected)


def test_hincrbyfloat_errors(raw):
    raw.call("HSET", "h", "f", "1", "s", "abc", "huge", "1e4932")
    assert raw.call("HINCRBYFLOAT", "h", "f", "abc") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", "") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", "1 ") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", " 1") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", "nan") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", "1e99999") == NOT_FLOAT
    assert raw.call("HINCRBYFLOAT", "h", "f", "inf") == b"-ERR value is NaN or Infinity\r\n"
    assert raw.call("HINCRBYFLOAT", "h", "f", "-inf") == b"-ERR value is NaN or Infinity\r\n"
    assert raw.call("HINCRBYFLOAT", "h", "s", "1") == b"-ERR hash value is not a float\r\n"
    assert raw.call("HINCRBYFLOAT", "h", "huge", "1e4932") == \
        b"-ERR increment would produce NaN or Infinity\r\n"
    assert raw.call("HGET", "h", "huge") == bulk("1e4932")
    # The increment is checked before the key's type.
    raw.call("SET", "str", "1")
    assert raw.call("HINCRBYFLOAT", "str", "f", "x") == NOT_FLOAT
    assert raw.call("HINCRBY", "str", "f", "x") == NOT_INTEGER
    assert raw.call("HINCRBYFLOAT", "str", "f", "1") == WRONGTYPE
    assert raw.call("EXISTS", "nokey") == b":0\r\n"
    assert raw.call("HINCRBYFLOAT", "nokey", "f", "inf") == b"-ERR value is NaN or Infinity\r\n"
    assert raw.call("EXISTS", "nokey") == b":0\r\n"


def test_hincrbyfloat_long_result_converts(r):
    r.hset("h", "f", "1e300")
    result = r.hincrbyfloat("h", "f", 1)
    assert result == float("1e300")
    assert len(r.hget("h", "f")) > 64
    assert r.object("encoding", "h") == b"hashtable"


# ==== WRONGTYPE ====

def test_wrongtype(raw):
    raw.call("SET", "s", "x")
    for command in (("HSET", "s", "a", "1"), ("HMSET", "s", "a", "1"), ("HSETNX", "s", "a", "1"),
                    ("HGET", "s", "a"), ("HMGET", "s", "a"), ("HDEL", "s", "a"), ("HLEN", "s"),
                    ("HSTRLEN", "s", "a"), ("HEXISTS", "s", "a"), ("HKEYS", "s"),
                    ("HVALS", "s"), ("HGETALL", "s"), ("HINCRBY", "s", "a", "1"),
                    ("HINCRBYFLOAT", "s", "a", "1"), ("HRANDFIELD", "s"),
                    ("HRANDFIELD", "s", "0"), ("HRANDFIELD", "s", "-3", "WITHVALUES"),
                    ("HSCAN", "s", "0")):
        assert raw.call(*command) == WRONGTYPE, command
    assert raw.call("HSET", "s", "a") == wrong_args("hset")  # arity first
    assert raw.call("HSCAN", "s", "x") == b"-ERR invalid cursor\r\n"  # cursor first
    assert raw.call("HRANDFIELD", "s", "x") == NOT_INTEGER
    assert raw.call("GET", "s") == bulk("x")


# ==== HRANDFIELD ====

def test_hrandfield_missing_key_and_errors(raw):
    assert raw.call("HRANDFIELD", "nokey") == NIL
    assert raw.call("HRANDFIELD", "nokey", "0") == b"*0\r\n"
    assert raw.call("HRANDFIELD", "nokey", "5") == b"*0\r\n"
    assert raw.call("HRANDFIELD", "nokey", "-5", "WITHVALUES") == b"*0\r\n"
    assert raw.call("HRANDFIELD", "nokey", "x") == NOT_INTEGER
    assert raw.call("HRANDFIELD", "nokey", "5", "foo") == SYNTAX
    assert raw.call("HRANDFIELD", "nokey", "5", "withvalues", "x") == SYNTAX
    raw.call("HSET", "h", "a", "1")
    assert raw.call("HRANDFIELD", "h", "1.5") == NOT_INTEGER
    assert raw.call("HRANDFIELD", "h", "-0") == NOT_INTEGER
    assert raw.call("HRANDFIELD", "h", "9223372036854775808") == NOT_INTEGER
    assert raw.call("HRANDFIELD", "h", "-9223372036854775808") == \
        b"-ERR value is out of range, value must between -9223372036854775807 and " \
        b"9223372036854775807\r\n"
    assert raw.call("HRANDFIELD", "h", "1", "withvalue") == SYNTAX
    assert raw.call("HRANDFIELD", "h", "4611686018427387904", "withvalues") == \
        b"-ERR value is out of range\r\n"
    assert raw.call("HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES") == \
        b"-ERR value is out of range\r\n"
    assert raw.call("HRANDFIELD", "h", "0") == b"*0\r\n"
    assert raw.call("HRANDFIELD", "h", "0", "withvalues") == b"*0\r\n"
    assert raw.call("HRANDFIELD", "h") == bulk("a")
    assert raw.call("HRANDFIELD", "h", "4611686018427387903", "withvalues") == array("a", "1")
    assert raw.call("HRANDFIELD", "h", "9223372036854775807") == array("a")


@pytest.mark.parametrize("size", [5, 100, 1000])
def test_hrandfield_shapes(r, size):
    fields = {f"f{index}".encode(): f"v{index}".encode() for index in range(size)}
    r.hset("h", mapping=fields)
    for _ in range(20):
        assert r.hrandfield("h") in fields
    for count in (1, 2, size // 3, size // 3 + 1, size - 1, size, size + 10):
        if count <= 0:
            continue
        got = r.hrandfield("h", count)
        assert len(got) == min(count, size)
        assert len(set(got)) == len(got), "positive count returned a repeat"
        assert set(got) <= set(fields)
        flat = r.hrandfield("h", count, withvalues=True)
        assert len(flat) == 2 * min(count, size)
        pairs = pairs_of(flat)
        assert len({field for field, _ in pairs}) == len(pairs)
        for field, value in pairs:
            assert fields[field] == value
    got = r.hrandfield("h", -3 * size)
    assert len(got) == 3 * size
    assert set(got) <= set(fields)
    if size <= 100:
        assert len(set(got)) > 1
    flat = r.hrandfield("h", -7, withvalues=True)
    assert len(flat) == 14
    for field, value in pairs_of(flat):
        assert fields[field] == value
    assert sorted(r.hrandfield("h", size)) == sorted(fields)


def test_hrandfield_negative_count_repeats(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    got = r.hrandfield("h", -1000)
    assert len(got) == 1000
    assert set(got) == {b"a", b"b"}


# ==== HSCAN ====

def test_hscan_errors(raw):
    assert raw.call("HSCAN", "nokey", "0") == EMPTY_SCAN
    assert raw.call("HSCAN", "nokey", "0", "bogus") == EMPTY_SCAN  # options not parsed
    assert raw.call("HSCAN", "nokey", "x") == b"-ERR invalid cursor\r\n"
    raw.call("HSET", "h", "a", "1", "b", "2")
    for cursor in ("x", " 1", "1 ", "1.5", "18446744073709551616", "+", "-", "0x10"):
        assert raw.call("HSCAN", "h", cursor) == b"-ERR invalid cursor\r\n", cursor
    everything = b"*2\r\n$1\r\n0\r\n" + array("a", "1", "b", "2")
    for cursor in ("0", "", "-1", "+7", "18446744073709551615", "00012"):
        assert raw.call("HSCAN", "h", cursor) == everything, cursor
    assert raw.call("HSCAN", "h", "0", "COUNT", "0") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "COUNT", "-1") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "COUNT", "x") == NOT_INTEGER
    assert raw.call("HSCAN", "h", "0", "COUNT") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "MATCH") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "TYPE", "string") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "NOVALUES") == SYNTAX
    assert raw.call("HSCAN", "h", "0", "MATCH", "a", "COUNT", "1", "x") == SYNTAX


def test_hscan_listpack(raw):
    raw.call("HSET", "h", "alpha", "1", "beta", "2", "gamma", "3")
    assert raw.call("HSCAN", "h", "0", "COUNT", "1") == \
        b"*2\r\n$1\r\n0\r\n" + array("alpha", "1", "beta", "2", "gamma", "3")
    assert raw.call("HSCAN", "h", "0", "MATCH", "*a") == \
        b"*2\r\n$1\r\n0\r\n" + array("alpha", "1", "beta", "2", "gamma", "3")
    assert raw.call("HSCAN", "h", "0", "match", "?e*", "count", "100") == \
        b"*2\r\n$1\r\n0\r\n" + array("beta", "2")
    assert raw.call("HSCAN", "h", "0", "MATCH", "nothing") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    # The last MATCH / COUNT wins.
    assert raw.call("HSCAN", "h", "0", "MATCH", "x", "MATCH", "g*") == \
        b"*2\r\n$1\r\n0\r\n" + array("gamma", "3")


def full_scan(r, key, **options):
    cursor = 0
    seen = {}
    calls = 0
    while True:
        cursor, page = r.hscan(key, cursor, **options)
        seen.update(page)
        calls += 1
        assert calls < 100000
        if cursor == 0:
            return seen, calls


def test_hscan_hashtable_covers_everything(r):
    fields = {f"f{index}".encode(): f"v{index}".encode() for index in range(3000)}
    r.hset("h", mapping=fields)
    seen, calls = full_scan(r, "h")
    assert seen == fields
    assert calls > 10
    seen, _ = full_scan(r, "h", count=1000)
    assert seen == fields
    matched, _ = full_scan(r, "h", match="f1*", count=50)
    assert matched == {key: value for key, value in fields.items() if key.startswith(b"f1")}


def test_hscan_count_bounds_work(r):
    r.hset("h", mapping={f"f{index}": "v" for index in range(5000)})
    cursor, page = r.hscan("h", 0, count=10)
    assert cursor != 0
    assert 0 < len(page) < 100


def test_hscan_guarantee_while_growing(r):
    base = {f"base{index}".encode(): b"v" for index in range(1000)}
    r.hset("h", mapping=base)
    cursor = 0
    seen = set()
    extra = 0
    while True:
        cursor, page = r.hscan("h", cursor, count=20)
        seen.update(page)
        if extra < 20000:
            r.hset("h", mapping={f"extra{extra + index}": "v" for index in range(500)})
            extra += 500
        if cursor == 0:
            break
    assert set(base) <= seen


# ==== Encodings ====

def test_encoding_conversion_by_entries(r):
    r.hset("h", mapping={f"f{index}": "v" for index in range(512)})
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "f0", "updated")
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "f512", "v")
    assert r.object("encoding", "h") == b"hashtable"
    r.hdel("h", *[f"f{index}" for index in range(1, 513)])
    assert r.hlen("h") == 1
    assert r.object("encoding", "h") == b"hashtable"  # never back


def test_encoding_conversion_by_value(r):
    r.hset("a", "f", "x" * 64)
    assert r.object("encoding", "a") == b"listpack"
    r.hset("a", "g", "x" * 65)
    assert r.object("encoding", "a") == b"hashtable"
    r.hset("b", "f" * 65, "x")
    assert r.object("encoding", "b") == b"hashtable"
    # HSET converts on any long argument, even for a field it only updates.
    r.hset("c", "f", "1")
    r.hset("c", mapping={"f": "2", "g": "y" * 65})
    assert r.object("encoding", "c") == b"hashtable"
    # HINCRBY with a long field name converts too.
    r.hset("d", "f", "1")
    r.hincrby("d", "n" * 65, 1)
    assert r.object("encoding", "d") == b"hashtable"
    # HSETNX on an existing field does nothing, so nothing converts.
    r.hset("e", "f", "1")
    assert r.hsetnx("e", "f", "z" * 100) == 0
    assert r.object("encoding", "e") == b"listpack"


def test_encoding_follows_config(r):
    try:
        assert r.config_set("hash-max-listpack-entries", 2)
        r.hset("h", mapping={"a": "1", "b": "2"})
        assert r.object("encoding", "h") == b"listpack"
        r.hset("h", "c", "3")
        assert r.object("encoding", "h") == b"hashtable"
        assert r.config_set("hash-max-listpack-value", 3)
        r.hset("k", "a", "abc")
        assert r.object("encoding", "k") == b"listpack"
        r.hset("k", "a", "abcd")
        assert r.object("encoding", "k") == b"hashtable"
    finally:
        r.config_set("hash-max-listpack-entries", 512)
        r.config_set("hash-max-listpack-value", 64)


# ==== Expiry, big values, many fields ====

def test_expired_hash_is_gone(r):
    r.hset("h", "a", "1")
    r.pexpire("h", 20)
    time.sleep(0.06)
    assert r.hget("h", "a") is None
    assert r.hset("h", "b", "2") == 1
    assert r.hgetall("h") == {b"b": b"2"}
    assert r.ttl("h") == -1


def test_big_values(r):
    values = {b"small": b"s", b"big": bytes(range(256)) * 4096, b"mid": b"m" * 70000}
    r.hset("h", mapping=values)
    assert r.hgetall("h") == values
    assert r.hstrlen("h", "big") == 1024 * 1024
    r.hset("h", "big", "now small")
    assert r.hget("h", "big") == b"now small"


def test_pipeline_100k_fields(r):
    pipe = r.pipeline(transaction=False)
    for index in range(100000):
        pipe.hset("h", f"field:{index:010d}", f"value:{index:024d}")
    results = pipe.execute()
    assert results == [1] * 100000
    assert r.hlen("h") == 100000
    assert r.hget("h", "field:0000099999") == b"value:%024d" % 99999
    assert r.object("encoding", "h") == b"hashtable"


# ==== keel only: -OOM leaves the hash unchanged ====

@pytest.mark.keel_only
def test_oom_leaves_hash_unchanged(server_factory):
    server = server_factory("--maxmemory", "4mb")
    client = server.client()
    raw = server.raw()
    index = 0
    while True:
        reply = raw.call("HSET", "h", f"f{index:08d}", "v" * 200)
        if reply == OOM:
            break
        assert reply == b":1\r\n"
        index += 1
        assert index < 100000
    length = client.hlen("h")
    assert length == index
    before = client.hgetall("h")
    # Multi-field sets, updates with bigger values, new keys: all-or-nothing.
    assert raw.call("HSET", "h", "new1", "x" * 200, "new2", "y" * 200) == OOM
    assert raw.call("HSET", "other", "a", "b" * 300) == OOM
    assert client.exists("other") == 0
    assert client.hgetall("h") == before
    # Deletes still work and free room.
    names = [f"f{number:08d}" for number in range(100)]
    assert client.hdel("h", *names) == 100
    assert client.hset("h", "after", "v") == 1
    assert client.hlen("h") == length - 100 + 1
