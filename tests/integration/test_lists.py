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
