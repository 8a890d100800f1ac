"""List commands: LPUSH, RPUSH, LPOP, RPOP (with and without count), LRANGE, LLEN."""
import pytest

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
NOT_POSITIVE = b"-ERR value is out of range, must be positive\r\n"


def array(*items) -> bytes:
    out = b"*%d\r\n" % len(items)
    for item in items:
        if isinstance(item, str):
            item = item.encode()
        out += b"$%d\r\n%s\r\n" % (len(item), item)
    return out


def test_push_order_and_counts(raw):
    assert raw.call("RPUSH", "l", "a") == b":1\r\n"
    assert raw.call("RPUSH", "l", "b", "c") == b":3\r\n"
    assert raw.call("LPUSH", "l", "z", "y") == b":5\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("y", "z", "a", "b", "c")
    assert raw.call("LLEN", "l") == b":5\r\n"
    assert raw.call("LPUSH", "m", "1", "2", "3") == b":3\r\n"
    assert raw.call("LRANGE", "m", "0", "-1") == array("3", "2", "1")
    # Binary-safe and empty elements.
    assert raw.call("RPUSH", "b", b"\x00\r\n", b"") == b":2\r\n"
    assert raw.call("LRANGE", "b", "0", "-1") == b"*2\r\n$3\r\n\x00\r\n\r\n$0\r\n\r\n"
    assert raw.call("TYPE", "l") == b"+list\r\n"


def test_push_arity(raw):
    for command in ("LPUSH", "RPUSH"):
        assert raw.call(command) == WRONG_ARGS.format(command.lower()).encode()
        assert raw.call(command, "k") == WRONG_ARGS.format(command.lower()).encode()
    assert raw.call("EXISTS", "k") == b":0\r\n"


@pytest.mark.parametrize("start,stop,expected", [
    ("0", "-1", ["a", "b", "c", "d", "e"]),
    ("-3", "-1", ["c", "d", "e"]),
    ("-100", "100", ["a", "b", "c", "d", "e"]),
    ("0", "0", ["a"]),
    ("-1", "-1", ["e"]),
    ("1", "3", ["b", "c", "d"]),
    ("4", "10", ["e"]),
    ("5", "10", []),
    ("3", "1", []),
    ("100", "200", []),
    ("0", "-100", []),
    ("-1", "-5", []),
    ("-9223372036854775808", "9223372036854775807", ["a", "b", "c", "d", "e"]),
])
def test_lrange(raw, start, stop, expected):
    raw.call("RPUSH", "l", "a", "b", "c", "d", "e")
    assert raw.call("LRANGE", "l", start, stop) == array(*expected), (start, stop)


def test_lrange_errors(raw):
    assert raw.call("LRANGE", "missing", "0", "-1") == b"*0\r\n"
    raw.call("RPUSH", "l", "a")
    assert raw.call("LRANGE", "l", "a", "1") == NOT_INTEGER
    assert raw.call("LRANGE", "l", "0", "1.5") == NOT_INTEGER
    assert raw.call("LRANGE", "l", "0", "9223372036854775808") == NOT_INTEGER
    assert raw.call("LRANGE", "l", "0") == WRONG_ARGS.format("lrange").encode()
    assert raw.call("LRANGE", "l", "0", "1", "2") == WRONG_ARGS.format("lrange").encode()


def test_llen(raw):
    assert raw.call("LLEN", "missing") == b":0\r\n"
    raw.call("RPUSH", "l", "a", "b")
    assert raw.call("LLEN", "l") == b":2\r\n"
    assert raw.call("LLEN") == WRONG_ARGS.format("llen").encode()
    assert raw.call("LLEN", "a", "b") == WRONG_ARGS.format("llen").encode()


def test_pop_single(raw):
    raw.call("RPUSH", "l", "a", "b", "c")
    assert raw.call("LPOP", "l") == b"$1\r\na\r\n"
    assert raw.call("RPOP", "l") == b"$1\r\nc\r\n"
    assert raw.call("LLEN", "l") == b":1\r\n"
    assert raw.call("RPOP", "l") == b"$1\r\nb\r\n"
    # The key disappears with its last element.
    assert raw.call("EXISTS", "l") == b":0\r\n"
    assert raw.call("TYPE", "l") == b"+none\r\n"
    assert raw.call("LPOP", "l") == b"$-1\r\n"
    assert raw.call("RPOP", "l") == b"$-1\r\n"


def test_pop_with_count(raw):
    raw.call("RPUSH", "l", "a", "b", "c", "d", "e", "f")
    assert raw.call("LPOP", "l", "2") == array("a", "b")
    assert raw.call("RPOP", "l", "2") == array("f", "e")
    assert raw.call("LPOP", "l", "1") == array("c")
    assert raw.call("LPOP", "l", "0") == b"*0\r\n"
    assert raw.call("RPOP", "l", "0") == b"*0\r\n"
    assert raw.call("LLEN", "l") == b":1\r\n"
    # More than available: everything, and the key is deleted.
    assert raw.call("RPOP", "l", "10") == array("d")
    assert raw.call("EXISTS", "l") == b":0\r\n"
    raw.call("RPUSH", "m", "x", "y")
    assert raw.call("LPOP", "m", "9223372036854775807") == array("x", "y")
    assert raw.call("EXISTS", "m") == b":0\r\n"


def test_pop_count_on_missing_key(raw):
    # With a count, a missing key is a nil array (RESP2 `*-1`), even for count 0.
    for command in ("LPOP", "RPOP"):
        assert raw.call(command, "missing", "1") == b"*-1\r\n"
        assert raw.call(command, "missing", "5") == b"*-1\r\n"
        assert raw.call(command, "missing", "0") == b"*-1\r\n"


def test_pop_count_errors(raw):
    raw.call("RPUSH", "l", "a", "b")
    for command in ("LPOP", "RPOP"):
        for count in ("-1", "-9223372036854775808", "abc", "1.5", "", "9223372036854775808"):
            assert raw.call(command, "l", count) == NOT_POSITIVE, (command, count)
            assert raw.call(command, "missing", count) == NOT_POSITIVE, (command, count)
        assert raw.call(command, "l", "1", "2") == WRONG_ARGS.format(command.lower()).encode()
        assert raw.call(command) == WRONG_ARGS.format(command.lower()).encode()
    assert raw.call("LRANGE", "l", "0", "-1") == array("a", "b")


def test_list_wrongtype(raw):
    raw.call("SET", "s", "x")
    for args in (("LPUSH", "s", "a"), ("RPUSH", "s", "a"), ("LPOP", "s"), ("RPOP", "s"),
                 ("LPOP", "s", "2"), ("RPOP", "s", "0"), ("LRANGE", "s", "0", "-1"),
                 ("LLEN", "s")):
        assert raw.call(*args) == WRONGTYPE, args
    assert raw.call("GET", "s") == b"$1\r\nx\r\n"
    # The count is validated before the type.
    assert raw.call("LPOP", "s", "-1") == NOT_POSITIVE


def test_emptied_list_can_become_string(raw):
    raw.call("RPUSH", "l", "a")
    raw.call("LPOP", "l")
    assert raw.call("SET", "l", "s") == b"+OK\r\n"
    assert raw.call("GET", "l") == b"$1\r\ns\r\n"
    raw.call("DEL", "l")
    assert raw.call("LPUSH", "l", "x") == b":1\r\n"


def test_large_list(r):
    values = [f"v{index}".encode() for index in range(10000)]
    for offset in range(0, len(values), 1000):
        r.rpush("big", *values[offset:offset + 1000])
    assert r.llen("big") == 10000
    assert r.lrange("big", 0, -1) == values
    assert r.lrange("big", 5000, 5004) == values[5000:5005]
    assert r.lrange("big", -3, -1) == values[-3:]
    assert r.lpop("big", 100) == values[:100]
    assert r.rpop("big", 100) == values[-100:][::-1]
    assert r.llen("big") == 9800
    for _ in range(98):
        r.lpop("big", 100)
    assert r.exists("big") == 0


def test_list_big_elements(r):
    elements = [bytes([index]) * (100_000 + index) for index in range(5)]
    r.rpush("l", *elements)
    assert r.lrange("l", 0, -1) == elements
    assert r.rpop("l") == elements[-1]
    assert r.lpop("l", 2) == elements[:2]


# ==== LINDEX, LSET ====

NIL = b"$-1\r\n"
NIL_ARRAY = b"*-1\r\n"
SYNTAX = b"-ERR syntax error\r\n"


def bulk(value) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    return b"$%d\r\n%s\r\n" % (len(value), value)


def integers(*values) -> bytes:
    return b"*%d\r\n" % len(values) + b"".join(b":%d\r\n" % value for value in values)


@pytest.mark.parametrize("index,expected", [
    ("0", bulk("a")), ("2", bulk("c")), ("-1", bulk("c")), ("-3", bulk("a")),
    ("3", NIL), ("-4", NIL), ("9223372036854775807", NIL), ("-9223372036854775808", NIL),
])
def test_lindex(raw, index, expected):
    raw.call("RPUSH", "l", "a", "b", "c")
    assert raw.call("LINDEX", "l", index) == expected


def test_lindex_errors_and_order(raw):
    # The key is looked up before the index is parsed.
    assert raw.call("LINDEX", "missing", "abc") == NIL
    raw.call("SET", "s", "x")
    assert raw.call("LINDEX", "s", "abc") == WRONGTYPE
    assert raw.call("LINDEX", "s", "0") == WRONGTYPE
    raw.call("RPUSH", "l", "a")
    assert raw.call("LINDEX", "l", "abc") == NOT_INTEGER
    assert raw.call("LINDEX", "l", "9223372036854775808") == NOT_INTEGER
    assert raw.call("LINDEX", "l") == WRONG_ARGS.format("lindex").encode()
    assert raw.call("LINDEX", "l", "0", "1") == WRONG_ARGS.format("lindex").encode()


def test_lset(raw):
    raw.call("RPUSH", "l", "a", "b", "c")
    assert raw.call("LSET", "l", "0", "x") == b"+OK\r\n"
    assert raw.call("LSET", "l", "-1", "z") == b"+OK\r\n"
    assert raw.call("LSET", "l", "1", "") == b"+OK\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("x", "", "z")
    assert raw.call("LSET", "l", "3", "y") == b"-ERR index out of range\r\n"
    assert raw.call("LSET", "l", "-4", "y") == b"-ERR index out of range\r\n"
    assert raw.call("LSET", "missing", "0", "y") == b"-ERR no such key\r\n"
    # Missing key before the index is parsed; the type before the index too.
    assert raw.call("LSET", "missing", "abc", "y") == b"-ERR no such key\r\n"
    raw.call("SET", "s", "x")
    assert raw.call("LSET", "s", "abc", "y") == WRONGTYPE
    assert raw.call("LSET", "l", "abc", "y") == NOT_INTEGER
    assert raw.call("LSET", "l", "0") == WRONG_ARGS.format("lset").encode()
    assert raw.call("LRANGE", "l", "0", "-1") == array("x", "", "z")


def test_lset_big_values_on_a_long_list(r):
    r.rpush("l", *[b"%d" % index for index in range(3000)])
    big = b"v" * 20000
    assert r.lset("l", 1500, big)
    assert r.lset("l", 0, big)
    assert r.lset("l", -1, b"small")
    assert r.lindex("l", 1500) == big
    assert r.lindex("l", 0) == big
    assert r.lindex("l", -1) == b"small"
    assert r.lset("l", 1500, b"x")
    assert r.lrange("l", 1499, 1501) == [b"1499", b"x", b"1501"]
    assert r.llen("l") == 3000


# ==== LINSERT ====

def test_linsert(raw):
    raw.call("RPUSH", "l", "a", "b", "a")
    assert raw.call("LINSERT", "l", "BEFORE", "a", "x") == b":4\r\n"
    assert raw.call("LINSERT", "l", "after", "a", "y") == b":5\r\n"
    assert raw.call("LINSERT", "l", "AfTeR", "b", "") == b":6\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("x", "a", "y", "b", "", "a")
    assert raw.call("LINSERT", "l", "before", "zz", "q") == b":-1\r\n"
    assert raw.call("LINSERT", "l", "after", "", "tail") == b":7\r\n"
    assert raw.call("LINSERT", "l", "after", "a", "end") == b":8\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("x", "a", "end", "y", "b", "", "tail",
                                                       "a")


def test_linsert_errors_and_order(raw):
    assert raw.call("LINSERT", "missing", "before", "a", "x") == b":0\r\n"
    assert raw.call("EXISTS", "missing") == b":0\r\n"
    # BEFORE|AFTER is checked before the key.
    assert raw.call("LINSERT", "missing", "middle", "a", "x") == SYNTAX
    raw.call("SET", "s", "x")
    assert raw.call("LINSERT", "s", "middle", "a", "x") == SYNTAX
    assert raw.call("LINSERT", "s", "before", "a", "x") == WRONGTYPE
    assert raw.call("LINSERT", "s", "before", "a") == WRONG_ARGS.format("linsert").encode()


# ==== LREM ====

@pytest.mark.parametrize("count,removed,rest", [
    ("2", 2, ["b", "c", "a", "b", "a"]),
    ("-2", 2, ["a", "b", "a", "c", "b"]),
    ("0", 4, ["b", "c", "b"]),
    ("100", 4, ["b", "c", "b"]),
    ("-100", 4, ["b", "c", "b"]),
    ("-9223372036854775808", 4, ["b", "c", "b"]),
    ("1", 1, ["b", "a", "c", "a", "b", "a"]),
])
def test_lrem(raw, count, removed, rest):
    raw.call("RPUSH", "l", "a", "b", "a", "c", "a", "b", "a")
    assert raw.call("LREM", "l", count, "a") == b":%d\r\n" % removed
    assert raw.call("LRANGE", "l", "0", "-1") == array(*rest)


def test_lrem_deletes_emptied_key_and_errors(raw):
    raw.call("RPUSH", "l", "a", "a")
    assert raw.call("LREM", "l", "0", "x") == b":0\r\n"
    assert raw.call("LREM", "l", "0", "a") == b":2\r\n"
    assert raw.call("EXISTS", "l") == b":0\r\n"
    assert raw.call("LREM", "missing", "0", "a") == b":0\r\n"
    # The count is parsed before the key is looked up.
    assert raw.call("LREM", "missing", "abc", "a") == NOT_INTEGER
    raw.call("SET", "s", "x")
    assert raw.call("LREM", "s", "abc", "a") == NOT_INTEGER
    assert raw.call("LREM", "s", "1", "a") == WRONGTYPE
    assert raw.call("LREM", "s", "1") == WRONG_ARGS.format("lrem").encode()


# ==== LTRIM ====

@pytest.mark.parametrize("start,stop,rest", [
    ("0", "-1", ["a", "b", "c", "d", "e"]),
    ("1", "3", ["b", "c", "d"]),
    ("-2", "-1", ["d", "e"]),
    ("-100", "1", ["a", "b"]),
    ("3", "100", ["d", "e"]),
    ("0", "0", ["a"]),
    ("-9223372036854775808", "9223372036854775807", ["a", "b", "c", "d", "e"]),
])
def test_ltrim(raw, start, stop, rest):
    raw.call("RPUSH", "l", "a", "b", "c", "d", "e")
    assert raw.call("LTRIM", "l", start, stop) == b"+OK\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array(*rest)


@pytest.mark.parametrize("start,stop", [("3", "1"), ("5", "10"), ("0", "-6"), ("-1", "-2")])
def test_ltrim_to_nothing_deletes_the_key(raw, start, stop):
    raw.call("RPUSH", "l", "a", "b", "c", "d", "e")
    assert raw.call("LTRIM", "l", start, stop) == b"+OK\r\n"
    assert raw.call("EXISTS", "l") == b":0\r\n"


def test_ltrim_errors(raw):
    assert raw.call("LTRIM", "missing", "0", "1") == b"+OK\r\n"
    assert raw.call("LTRIM", "missing", "a", "1") == NOT_INTEGER
    assert raw.call("LTRIM", "missing", "0", "b") == NOT_INTEGER
    raw.call("SET", "s", "x")
    assert raw.call("LTRIM", "s", "0", "1") == WRONGTYPE
    assert raw.call("LTRIM", "s", "0") == WRONG_ARGS.format("ltrim").encode()


def test_ltrim_long_list(r):
    values = [b"%d" % index for index in range(5000)]
    r.rpush("l", *values)
    assert r.ltrim("l", 1000, -1001)
    assert r.lrange("l", 0, -1) == values[1000:4000]
    assert r.ltrim("l", 1, 1)
    assert r.lrange("l", 0, -1) == [b"1001"]


# ==== LPOS ====

RANK_ZERO = (b"-ERR RANK can't be zero: use 1 to start from the first match, 2 from the "
             b"second ... or use negative to start from the end of the list\r\n")


@pytest.mark.parametrize("options,expected", [
    ((), b":0\r\n"),
    (("RANK", "1"), b":0\r\n"),
    (("RANK", "2"), b":2\r\n"),
    (("RANK", "4"), b":6\r\n"),
    (("RANK", "5"), NIL),
    (("RANK", "-1"), b":6\r\n"),
    (("RANK", "-2"), b":4\r\n"),
    (("RANK", "-5"), NIL),
    (("RANK", "9223372036854775807"), NIL),
    (("RANK", "-9223372036854775807"), NIL),
    # Redis negates the rank; this one overflows back and behaves as -1.
    (("RANK", "-9223372036854775808"), b":6\r\n"),
    (("COUNT", "0"), integers(0, 2, 4, 6)),
    (("COUNT", "2"), integers(0, 2)),
    (("COUNT", "10"), integers(0, 2, 4, 6)),
    (("COUNT", "2", "RANK", "2"), integers(2, 4)),
    (("RANK", "-1", "COUNT", "3"), integers(6, 4, 2)),
    (("RANK", "-3", "COUNT", "0"), integers(2, 0)),
    (("RANK", "5", "COUNT", "0"), b"*0\r\n"),
    (("MAXLEN", "2"), b":0\r\n"),
    (("RANK", "2", "MAXLEN", "2"), NIL),
    (("RANK", "2", "MAXLEN", "3"), b":2\r\n"),
    (("COUNT", "0", "MAXLEN", "5"), integers(0, 2, 4)),
    (("RANK", "-1", "COUNT", "0", "MAXLEN", "3"), integers(6, 4)),
    (("MAXLEN", "0", "COUNT", "0"), integers(0, 2, 4, 6)),
    (("RANK", "-9223372036854775808", "COUNT", "1"), integers(6, 4, 2, 0)),
    (("RANK", "-9223372036854775808", "COUNT", "1", "MAXLEN", "4"), integers(6, 4)),
    (("rank", "3", "rank", "1", "count", "1"), integers(0)),
])
def test_lpos(raw, options, expected):
    raw.call("RPUSH", "l", "a", "b", "a", "c", "a", "d", "a")
    assert raw.call("LPOS", "l", "a", *options) == expected, options


def test_lpos_missing_and_errors(raw):
    assert raw.call("LPOS", "missing", "a") == NIL
    assert raw.call("LPOS", "missing", "a", "COUNT", "1") == b"*0\r\n"
    raw.call("RPUSH", "l", "a", "b")
    assert raw.call("LPOS", "l", "zz") == NIL
    assert raw.call("LPOS", "l", "zz", "COUNT", "0") == b"*0\r\n"
    # Options are checked before the key, in argument order.
    assert raw.call("LPOS", "missing", "a", "RANK", "0") == RANK_ZERO
    assert raw.call("LPOS", "l", "a", "RANK", "0", "COUNT", "-1") == RANK_ZERO
    assert raw.call("LPOS", "l", "a", "COUNT", "-1", "RANK", "0") == \
        b"-ERR COUNT can't be negative\r\n"
    assert raw.call("LPOS", "l", "a", "COUNT", "abc") == b"-ERR COUNT can't be negative\r\n"
    assert raw.call("LPOS", "l", "a", "COUNT", "9223372036854775808") == \
        b"-ERR COUNT can't be negative\r\n"
    assert raw.call("LPOS", "l", "a", "MAXLEN", "-1") == b"-ERR MAXLEN can't be negative\r\n"
    assert raw.call("LPOS", "l", "a", "MAXLEN", "x") == b"-ERR MAXLEN can't be negative\r\n"
    assert raw.call("LPOS", "l", "a", "RANK", "x") == NOT_INTEGER
    assert raw.call("LPOS", "l", "a", "RANK") == SYNTAX
    assert raw.call("LPOS", "l", "a", "FOO", "1") == SYNTAX
    assert raw.call("LPOS", "l", "a", "COUNT", "1", "MAXLEN") == SYNTAX
    raw.call("SET", "s", "x")
    assert raw.call("LPOS", "s", "a") == WRONGTYPE
    assert raw.call("LPOS", "s", "a", "RANK", "0") == RANK_ZERO
    assert raw.call("LPOS", "l") == WRONG_ARGS.format("lpos").encode()


def test_lpos_long_list(r):
    r.rpush("l", *[b"x" if index % 100 == 0 else b"y%d" % index for index in range(10000)])
    assert r.lpos("l", "x") == 0
    assert r.lpos("l", "x", rank=-1) == 9900
    assert r.lpos("l", "x", rank=50) == 4900
    assert r.lpos("l", "x", count=0) == list(range(0, 10000, 100))
    assert r.lpos("l", "x", rank=-3, count=2) == [9700, 9600]
    assert r.lpos("l", "x", count=0, maxlen=1000) == list(range(0, 1000, 100))
    assert r.lpos("l", "y9999") == 9999


# ==== LPUSHX, RPUSHX ====

def test_pushx(raw):
    assert raw.call("LPUSHX", "l", "a") == b":0\r\n"
    assert raw.call("RPUSHX", "l", "a", "b") == b":0\r\n"
    assert raw.call("EXISTS", "l") == b":0\r\n"
    raw.call("RPUSH", "l", "m")
    assert raw.call("LPUSHX", "l", "b", "a") == b":3\r\n"
    assert raw.call("RPUSHX", "l", "y", "z") == b":5\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("a", "b", "m", "y", "z")
    raw.call("SET", "s", "x")
    assert raw.call("LPUSHX", "s", "a") == WRONGTYPE
    assert raw.call("RPUSHX", "s", "a") == WRONGTYPE
    for command in ("LPUSHX", "RPUSHX"):
        assert raw.call(command, "l") == WRONG_ARGS.format(command.lower()).encode()


# ==== LMOVE, RPOPLPUSH ====

@pytest.mark.parametrize("source_end,target_end,moved,source_rest,target_rest", [
    ("LEFT", "LEFT", "a", ["b", "c"], ["a", "x", "y"]),
    ("LEFT", "RIGHT", "a", ["b", "c"], ["x", "y", "a"]),
    ("RIGHT", "LEFT", "c", ["a", "b"], ["c", "x", "y"]),
    ("right", "right", "c", ["a", "b"], ["x", "y", "c"]),
])
def test_lmove_between_lists(raw, source_end, target_end, moved, source_rest, target_rest):
    raw.call("RPUSH", "s", "a", "b", "c")
    raw.call("RPUSH", "t", "x", "y")
    assert raw.call("LMOVE", "s", "t", source_end, target_end) == bulk(moved)
    assert raw.call("LRANGE", "s", "0", "-1") == array(*source_rest)
    assert raw.call("LRANGE", "t", "0", "-1") == array(*target_rest)


@pytest.mark.parametrize("source_end,target_end,moved,rest", [
    ("LEFT", "LEFT", "a", ["a", "b", "c"]),
    ("LEFT", "RIGHT", "a", ["b", "c", "a"]),
    ("RIGHT", "LEFT", "c", ["c", "a", "b"]),
    ("RIGHT", "RIGHT", "c", ["a", "b", "c"]),
])
def test_lmove_rotates_the_same_list(raw, source_end, target_end, moved, rest):
    raw.call("RPUSH", "l", "a", "b", "c")
    assert raw.call("LMOVE", "l", "l", source_end, target_end) == bulk(moved)
    assert raw.call("LRANGE", "l", "0", "-1") == array(*rest)


def test_lmove_single_element_list_to_itself(raw):
    raw.call("RPUSH", "l", "only")
    for ends in (("LEFT", "RIGHT"), ("RIGHT", "LEFT"), ("LEFT", "LEFT")):
        assert raw.call("LMOVE", "l", "l", *ends) == bulk("only")
        assert raw.call("LRANGE", "l", "0", "-1") == array("only")


def test_lmove_creates_target_and_deletes_emptied_source(raw):
    raw.call("RPUSH", "s", "a")
    assert raw.call("LMOVE", "s", "t", "LEFT", "RIGHT") == bulk("a")
    assert raw.call("EXISTS", "s") == b":0\r\n"
    assert raw.call("LRANGE", "t", "0", "-1") == array("a")
    assert raw.call("TYPE", "t") == b"+list\r\n"


def test_lmove_errors(raw):
    assert raw.call("LMOVE", "missing", "t", "LEFT", "LEFT") == NIL
    assert raw.call("EXISTS", "t") == b":0\r\n"
    raw.call("SET", "str", "x")
    raw.call("RPUSH", "l", "a")
    # The ends are parsed before any key is looked up.
    assert raw.call("LMOVE", "missing", "l", "UP", "LEFT") == SYNTAX
    assert raw.call("LMOVE", "l", "l", "LEFT", "DOWN") == SYNTAX
    assert raw.call("LMOVE", "str", "l", "LEFT", "LEFT") == WRONGTYPE
    assert raw.call("LMOVE", "l", "str", "LEFT", "LEFT") == WRONGTYPE
    # A missing source answers nil before the target's type is looked at.
    assert raw.call("LMOVE", "missing", "str", "LEFT", "LEFT") == NIL
    assert raw.call("LRANGE", "l", "0", "-1") == array("a")
    assert raw.call("LMOVE", "l", "t", "LEFT") == WRONG_ARGS.format("lmove").encode()


def test_rpoplpush(raw):
    raw.call("RPUSH", "s", "a", "b", "c")
    assert raw.call("RPOPLPUSH", "s", "t") == bulk("c")
    assert raw.call("RPOPLPUSH", "s", "t") == bulk("b")
    assert raw.call("LRANGE", "t", "0", "-1") == array("b", "c")
    assert raw.call("RPOPLPUSH", "t", "t") == bulk("c")
    assert raw.call("LRANGE", "t", "0", "-1") == array("c", "b")
    assert raw.call("RPOPLPUSH", "s", "t") == bulk("a")
    assert raw.call("EXISTS", "s") == b":0\r\n"
    assert raw.call("RPOPLPUSH", "s", "t") == NIL
    raw.call("SET", "str", "x")
    assert raw.call("RPOPLPUSH", "t", "str") == WRONGTYPE
    assert raw.call("RPOPLPUSH", "str", "t") == WRONGTYPE
    assert raw.call("RPOPLPUSH", "missing", "str") == NIL
    assert raw.call("RPOPLPUSH", "t") == WRONG_ARGS.format("rpoplpush").encode()


def test_lmove_big_elements(r):
    big = b"B" * 200_000
    r.rpush("s", b"a", big, b"c")
    assert r.lmove("s", "t", "RIGHT", "LEFT") == b"c"
    assert r.lmove("s", "t", "RIGHT", "RIGHT") == big
    assert r.lmove("t", "t", "RIGHT", "LEFT") == big
    assert r.lrange("t", 0, -1) == [big, b"c"]
    assert r.lrange("s", 0, -1) == [b"a"]


# ==== LMPOP ====

def test_lmpop(raw):
    raw.call("RPUSH", "a", "1", "2", "3")
    raw.call("RPUSH", "b", "x", "y")
    assert raw.call("LMPOP", "2", "missing", "a", "LEFT") == \
        b"*2\r\n" + bulk("a") + array("1")
    assert raw.call("LMPOP", "2", "a", "b", "RIGHT", "COUNT", "5") == \
        b"*2\r\n" + bulk("a") + array("3", "2")
    assert raw.call("EXISTS", "a") == b":0\r\n"
    assert raw.call("LMPOP", "3", "a", "missing", "b", "left", "count", "1") == \
        b"*2\r\n" + bulk("b") + array("x")
    assert raw.call("LMPOP", "1", "b", "LEFT", "COUNT", "9223372036854775807") == \
        b"*2\r\n" + bulk("b") + array("y")
    assert raw.call("LMPOP", "2", "a", "b", "LEFT") == NIL_ARRAY
    assert raw.call("LMPOP", "1", "b", "RIGHT", "COUNT", "3") == NIL_ARRAY


@pytest.mark.parametrize("args,expected", [
    (("0", "l", "LEFT"), b"-ERR numkeys should be greater than 0\r\n"),
    (("-1", "l", "LEFT"), b"-ERR numkeys should be greater than 0\r\n"),
    (("x", "l", "LEFT"), b"-ERR numkeys should be greater than 0\r\n"),
    (("9223372036854775808", "l", "LEFT"), b"-ERR numkeys should be greater than 0\r\n"),
    (("2", "l", "LEFT"), SYNTAX),
    (("9223372036854775807", "l", "LEFT"), SYNTAX),
    (("1", "l", "MIDDLE"), SYNTAX),
    (("1", "l", "LEFT", "COUNT"), SYNTAX),
    (("1", "l", "LEFT", "FOO", "1"), SYNTAX),
    (("1", "l", "LEFT", "COUNT", "1", "COUNT", "2"), SYNTAX),
    (("1", "l", "LEFT", "COUNT", "0"), b"-ERR count should be greater than 0\r\n"),
    (("1", "l", "LEFT", "COUNT", "-1"), b"-ERR count should be greater than 0\r\n"),
    (("1", "l", "LEFT", "COUNT", "x"), b"-ERR count should be greater than 0\r\n"),
    (("1", "l"), WRONG_ARGS.format("lmpop").encode()),
])
def test_lmpop_errors(raw, args, expected):
    raw.call("RPUSH", "l", "a")
    assert raw.call("LMPOP", *args) == expected
    assert raw.call("LRANGE", "l", "0", "-1") == array("a")


def test_lmpop_wrongtype_stops_the_scan(raw):
    raw.call("SET", "s", "x")
    raw.call("RPUSH", "l", "a")
    assert raw.call("LMPOP", "2", "missing", "s", "LEFT") == WRONGTYPE
    assert raw.call("LMPOP", "2", "s", "l", "LEFT") == WRONGTYPE
    # A list before the wrong-type key is popped without looking further.
    assert raw.call("LMPOP", "2", "l", "s", "LEFT") == b"*2\r\n" + bulk("l") + array("a")


def test_lmpop_long_list(r):
    values = [b"%d" % index for index in range(3000)]
    r.rpush("l", *values)
    assert r.lmpop(1, "l", direction="RIGHT", count=1000) == [b"l", values[:-1001:-1]]
    assert r.lmpop(1, "l", direction="LEFT", count=1500) == [b"l", values[:1500]]
    assert r.lrange("l", 0, -1) == values[1500:2000]


# ==== Wrong types and a mixed workload ====

def test_more_list_commands_wrongtype(raw):
    raw.call("SET", "s", "x")
    for args in (("LINDEX", "s", "0"), ("LSET", "s", "0", "v"), ("LINSERT", "s", "BEFORE", "a", "b"),
                 ("LREM", "s", "0", "a"), ("LTRIM", "s", "0", "1"), ("LPOS", "s", "a"),
                 ("LPUSHX", "s", "a"), ("RPUSHX", "s", "a"), ("LMOVE", "s", "t", "LEFT", "LEFT"),
                 ("RPOPLPUSH", "s", "t"), ("LMPOP", "1", "s", "LEFT")):
        assert raw.call(*args) == WRONGTYPE, args
    assert raw.call("GET", "s") == b"$1\r\nx\r\n"


def test_list_model_workload(r):
    """A seeded mix of list commands, checked against a Python model."""
    import random
    rng = random.Random(1234)
    model = []
    for step in range(3000):
        choice = rng.randrange(8)
        value = rng.choice([b"a", b"b", b"7", b"", b"x" * rng.randrange(1, 3000)])
        if choice == 0:
            assert r.rpush("l", value) == len(model) + 1
            model.append(value)
        elif choice == 1:
            assert r.lpush("l", value) == len(model) + 1
            model.insert(0, value)
        elif choice == 2 and model:
            index = rng.randrange(-len(model), len(model))
            assert r.lset("l", index, value)
            model[index] = value
        elif choice == 3 and model:
            pivot = rng.choice(model)
            where = rng.choice(["BEFORE", "AFTER"])
            assert r.linsert("l", where, pivot, value) == len(model) + 1
            at = model.index(pivot) + (1 if where == "AFTER" else 0)
            model.insert(at, value)
        elif choice == 4 and model:
            count = rng.randrange(-2, 3)
            target = rng.choice(model)
            removed = r.lrem("l", count, target)
            indexes = [i for i, v in enumerate(model) if v == target]
            if count < 0:
                indexes = indexes[::-1][:-count]
            elif count > 0:
                indexes = indexes[:count]
            assert removed == len(indexes)
            for index in sorted(indexes, reverse=True):
                del model[index]
        elif choice == 5 and model:
            assert r.lmove("l", "l", "LEFT", "RIGHT") == model[0]
            model.append(model.pop(0))
        elif choice == 6 and len(model) > 50:
            assert r.ltrim("l", 5, -5)
            model = model[5:-4]
        elif choice == 7 and model:
            index = rng.randrange(len(model))
            assert r.lindex("l", index) == model[index]
        if step % 100 == 0:
            assert r.lrange("l", 0, -1) == model


# ==== OBJECT ENCODING (Redis 7.2's rule; Redis 7.0 says "quicklist" always) ====

def _encoding(client, key):
    return client.object("encoding", key)


@pytest.mark.keel_only
def test_list_encoding_grows_and_shrinks_with_default_size(server_factory):
    client = server_factory().client()
    client.rpush("l", "a", "b", "c")
    assert _encoding(client, "l") == b"listpack"
    # Growth check: listpack bytes + the new elements' raw sizes > 8192.
    client.delete("l")
    client.rpush("l", *[b"x" * 1000] * 8)        # 7 + 8000 raw <= 8192; packed: 8039
    assert _encoding(client, "l") == b"listpack"
    client.rpush("l", b"y" * 100)                # 8039 + 100 <= 8192; packed: 8142
    assert _encoding(client, "l") == b"listpack"
    client.rpush("l", b"z" * 51)                 # 8142 + 51 > 8192
    assert _encoding(client, "l") == b"quicklist"
    # Shrink check: back to a listpack at half the limit (4096 bytes).
    client.rpop("l", 2)
    client.lpop("l", 3)                          # 7 + 5 * 1004 = 5027
    assert _encoding(client, "l") == b"quicklist"
    client.lpop("l")                             # 4023
    assert _encoding(client, "l") == b"listpack"
    # A single push of many elements is checked once, before the push.
    client.delete("m")
    client.rpush("m", *[b"abcdefg"] * 1000)      # 7 + 7000 raw; packed 9007
    assert _encoding(client, "m") == b"listpack"
    client.rpush("m", b"h")
    assert _encoding(client, "m") == b"quicklist"


@pytest.mark.keel_only
def test_list_encoding_with_an_entry_limit(server_factory):
    client = server_factory("--list-max-listpack-size", "4").client()
    client.rpush("l", "a", "b", "c", "d")
    assert _encoding(client, "l") == b"listpack"
    client.rpush("l", "e")
    assert _encoding(client, "l") == b"quicklist"
    client.lrem("l", 0, "a")
    client.ltrim("l", 0, 2)                      # 3 entries > 4 / 2
    assert _encoding(client, "l") == b"quicklist"
    client.lset("l", 0, "q")                     # LSET runs the shrink check too
    assert _encoding(client, "l") == b"quicklist"
    client.rpop("l")                             # 2 entries
    assert _encoding(client, "l") == b"listpack"
    # LINSERT converts before looking for the pivot, as Redis does.
    client.rpush("m", "a", "b", "c", "d")
    assert client.linsert("m", "BEFORE", "missing", "x") == -1
    assert _encoding(client, "m") == b"quicklist"
    # LMOVE: the target grows, the source shrinks.
    client.rpush("s", "1", "2", "3", "4", "5")
    client.rpush("t", "a", "b", "c", "d")
    assert _encoding(client, "s") == b"quicklist"
    client.lmove("s", "t", "LEFT", "LEFT")
    assert _encoding(client, "t") == b"quicklist"
    assert _encoding(client, "s") == b"quicklist"    # 4 entries > 4 / 2
    client.lmove("s", "t", "LEFT", "LEFT")
    client.lmove("s", "t", "LEFT", "LEFT")
    assert _encoding(client, "s") == b"listpack"     # 2 entries
    client.lmpop(1, "t", direction="LEFT", count=5)  # 2 left
    assert _encoding(client, "t") == b"listpack"
    # LMOVE within one list: Redis pops, then checks growth with one entry fewer.
    client.delete("r")
    client.rpush("r", "1", "2", "3", "4")
    client.lmove("r", "r", "LEFT", "RIGHT")
    assert _encoding(client, "r") == b"listpack"


@pytest.mark.keel_only
def test_list_encoding_follows_config_set(server_factory):
    client = server_factory().client()
    client.rpush("l", "a", "b", "c")
    assert client.config_set("list-max-listpack-size", "2")
    client.rpush("l", "d")
    assert _encoding(client, "l") == b"quicklist"
    assert client.config_set("list-max-listpack-size", "-2")
    client.rpop("l")
    assert _encoding(client, "l") == b"listpack"
    assert client.lrange("l", 0, -1) == [b"a", b"b", b"c"]


# ==== No room: -OOM with nothing changed ====

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


@pytest.mark.keel_only
def test_list_writes_without_room_change_nothing(server_factory):
    conn = server_factory("--maxmemory", "20mb").raw(timeout=30)
    element = b"e" * (8 * 1024 * 1024)
    assert conn.call("RPUSH", "s", "a", element) == b":2\r\n"
    assert conn.call("RPUSH", "l", "x", "y") == b":2\r\n"
    # 19 MB of 20 MB in use: writes are still allowed, but the heap's free pages (the
    # eighth for slab tails and one slab per small class, about 6.75 MB) cannot hold
    # another 8 MB run.
    fillers = [f"filler:{n}" for n in range(11)]
    for name in fillers:  # 1 MB each: they fit between the runs the element left
        assert conn.call("SET", name, b"f" * (1024 * 1024)) == b"+OK\r\n"
    memory = conn.cmd("INFO", "memory").decode()
    free_pages = int(memory.split("heap_pages_free:")[1].split()[0])
    assert free_pages * 65536 < len(element)
    # Each of these needs a second copy of the 8 MB element, or a new 8 MB one.
    assert conn.call("LMOVE", "s", "t", "RIGHT", "LEFT") == OOM
    assert conn.call("LMOVE", "s", "l", "RIGHT", "RIGHT") == OOM
    assert conn.call("LMOVE", "s", "s", "RIGHT", "LEFT") == OOM
    assert conn.call("RPOPLPUSH", "s", "l") == OOM
    assert conn.call("EXISTS", "t") == b":0\r\n"
    assert conn.call("LRANGE", "l", "0", "-1") == array("x", "y")
    assert conn.call("LINDEX", "s", "-1") == bulk(element)
    assert conn.call("LLEN", "s") == b":2\r\n"
    big = b"b" * (8 * 1024 * 1024)
    assert conn.call("LSET", "l", "0", big) == OOM
    assert conn.call("LINSERT", "l", "BEFORE", "y", big) == OOM
    assert conn.call("RPUSHX", "l", big) == OOM
    assert conn.call("LRANGE", "l", "0", "-1") == array("x", "y")
    # Removing the filler makes room: the same moves succeed.
    assert conn.call("DEL", *fillers) == b":11\r\n"
    assert conn.call("LMOVE", "s", "t", "RIGHT", "LEFT") == bulk(element)
    assert conn.call("LRANGE", "s", "0", "-1") == array("a")
    assert conn.call("LINDEX", "t", "0") == bulk(element)


@pytest.mark.keel_only
def test_lmove_growth_check_counts_integers_from_a_quicklist_as_nothing(server_factory):
    client = server_factory().client()
    for target in ("t1", "t2"):
        client.rpush(target, *[b"x" * 1000] * 8)   # packed 8039
        client.rpush(target, b"y" * 147)           # packed 8190, still a listpack
        assert _encoding(client, target) == b"listpack"
    client.rpush("quick", b"z" * 9000, b"12345")
    assert _encoding(client, "quick") == b"quicklist"
    client.rpush("pack", b"12345")
    # Redis 7.2 pops the integer from a quicklist as an integer object: 0 bytes counted.
    assert client.lmove("quick", "t1", "RIGHT", "RIGHT") == b"12345"
    assert _encoding(client, "t1") == b"listpack"
    # From a listpack it is a string of 5 bytes: 8190 + 5 > 8192.
    assert client.lmove("pack", "t2", "RIGHT", "RIGHT") == b"12345"
    assert _encoding(client, "t2") == b"quicklist"
