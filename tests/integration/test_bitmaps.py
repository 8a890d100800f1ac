"""Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Every test here runs against redis-server 7.0 too (KEEL_BIN=/usr/bin/redis-server).
"""
import random

import pytest

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
BAD_OFFSET = b"-ERR bit offset is not an integer or out of range\r\n"
BAD_BIT = b"-ERR bit is not an integer or out of range\r\n"
BAD_TYPE = (b"-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not "
            b"supported but i64 is.\r\n")
NIL = b"$-1\r\n"


def bulk(value) -> bytes:
    if isinstance(value, str):
        value = value.encode()
    return b"$%d\r\n%s\r\n" % (len(value), value)


def replies(*values) -> bytes:
    """An array of integers and nils (None)."""
    out = b"*%d\r\n" % len(values)
    for value in values:
        out += NIL if value is None else b":%d\r\n" % value
    return out


def bit_string(bits: str) -> bytes:
    """'0100 0001' -> b'A' (spaces ignored, padded with zeros to whole bytes)."""
    bits = bits.replace(" ", "")
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[index:index + 8], 2) for index in range(0, len(bits), 8))


# ==== SETBIT, GETBIT ====

def test_setbit_getbit(raw):
    assert raw.call("SETBIT", "k", "1", "1") == b":0\r\n"
    assert raw.call("SETBIT", "k", "7", "1") == b":0\r\n"
    assert raw.call("GET", "k") == bulk("A")
    assert raw.call("SETBIT", "k", "7", "1") == b":1\r\n"
    assert raw.call("SETBIT", "k", "7", "0") == b":1\r\n"
    assert raw.call("GET", "k") == bulk("@")
    assert raw.call("GETBIT", "k", "1") == b":1\r\n"
    assert raw.call("GETBIT", "k", "0") == b":0\r\n"
    assert raw.call("GETBIT", "k", "8") == b":0\r\n"
    assert raw.call("GETBIT", "k", "4294967295") == b":0\r\n"
    assert raw.call("GETBIT", "missing", "0") == b":0\r\n"
    assert raw.call("STRLEN", "k") == b":1\r\n"


def test_setbit_grows_with_zeros(raw):
    raw.call("SET", "k", "A")
    assert raw.call("SETBIT", "k", "100", "1") == b":0\r\n"
    assert raw.call("GET", "k") == bulk(b"A" + b"\x00" * 11 + b"\x08")
    # Clearing a bit past the end still grows the string.
    assert raw.call("SETBIT", "k", "200", "0") == b":0\r\n"
    assert raw.call("STRLEN", "k") == b":26\r\n"
    assert raw.call("SETBIT", "new", "0", "0") == b":0\r\n"
    assert raw.call("GET", "new") == bulk(b"\x00")


def test_setbit_on_integer_and_expiring_values(raw):
    raw.call("SET", "n", "10")                 # stored as an integer
    assert raw.call("GETBIT", "n", "2") == b":1\r\n"   # '1' = 0011 0001
    assert raw.call("SETBIT", "n", "7", "0") == b":1\r\n"
    assert raw.call("GET", "n") == bulk("00")
    assert raw.call("INCR", "n") == NOT_INTEGER
    raw.call("SET", "n", "7")
    assert raw.call("SETBIT", "n", "5", "1") == b":1\r\n"  # no change
    assert raw.call("GET", "n") == bulk("7")
    raw.call("SET", "e", "abc", "EX", "1000")
    assert raw.call("SETBIT", "e", "100000", "1") == b":0\r\n"
    ttl = int(raw.call("TTL", "e")[1:-2])
    assert 990 <= ttl <= 1000
    assert raw.call("GETRANGE", "e", "0", "2") == bulk("abc")


def test_setbit_large_values_grow_in_place(r):
    # Past the embedded size, values live in their own heap object and keep some room.
    r.set("big", b"\x00" * 20000)
    offsets = range(20000 * 8, 24000 * 8, 997)
    for offset in offsets:
        assert r.setbit("big", offset, 1) == 0
    assert r.bitcount("big") == len(offsets)
    assert r.strlen("big") == offsets[-1] // 8 + 1
    value = r.get("big")
    for offset in offsets:
        assert value[offset // 8] & (0x80 >> (offset % 8))
    # An embedded value crossing into an external one.
    r.set("grow", b"x" * 16000)
    assert r.setbit("grow", 16500 * 8, 1) == 0
    assert r.get("grow") == b"x" * 16000 + b"\x00" * 500 + b"\x80"


@pytest.mark.parametrize("offset", ["-1", "4294967296", "9223372036854775808", "1.5", "x", "",
                                    "#1", " 1"])
def test_setbit_getbit_bad_offsets(raw, offset):
    assert raw.call("SETBIT", "k", offset, "1") == BAD_OFFSET
    assert raw.call("GETBIT", "k", offset) == BAD_OFFSET
    assert raw.call("EXISTS", "k") == b":0\r\n"


@pytest.mark.parametrize("value", ["2", "-1", "x", "01", "+1", "", "1.0"])
def test_setbit_bad_values(raw, value):
    assert raw.call("SETBIT", "k", "0", value) == BAD_BIT
    assert raw.call("EXISTS", "k") == b":0\r\n"


def test_setbit_getbit_errors_and_order(raw):
    raw.call("RPUSH", "l", "a")
    assert raw.call("SETBIT", "l", "0", "1") == WRONGTYPE
    assert raw.call("GETBIT", "l", "0") == WRONGTYPE
    # Arguments are checked before the type.
    assert raw.call("SETBIT", "l", "-1", "1") == BAD_OFFSET
    assert raw.call("SETBIT", "l", "0", "2") == BAD_BIT
    assert raw.call("GETBIT", "l", "x") == BAD_OFFSET
    assert raw.call("SETBIT", "k", "0") == WRONG_ARGS.format("setbit").encode()
    assert raw.call("GETBIT", "k") == WRONG_ARGS.format("getbit").encode()


def test_bit_offsets_follow_proto_max_bulk_len(server_factory):
    conn = server_factory("--proto-max-bulk-len", "1mb").raw()
    last = str(1024 * 1024 * 8 - 1)
    assert conn.call("SETBIT", "k", last, "1") == b":0\r\n"
    assert conn.call("STRLEN", "k") == b":1048576\r\n"
    assert conn.call("SETBIT", "k", str(1024 * 1024 * 8), "1") == BAD_OFFSET
    assert conn.call("GETBIT", "k", last) == b":1\r\n"
    assert conn.call("GETBIT", "k", str(1024 * 1024 * 8)) == BAD_OFFSET
    # BITFIELD checks the offset only: a field may end up to 8 bytes further.
    assert conn.call("BITFIELD", "f", "SET", "i64", last, "-1") == replies(0)
    assert conn.call("STRLEN", "f") == b":1048584\r\n"
    assert conn.call("BITFIELD", "f", "GET", "i64", last) == replies(-1)
    assert conn.call("BITFIELD", "f", "GET", "u8", "#1048575") == replies(1)
    assert conn.call("BITFIELD", "f", "GET", "u8", "#1048576") == BAD_OFFSET


# ==== BITCOUNT ====

@pytest.mark.parametrize("args,expected", [
    ((), 26),
    (("0", "0"), 4),
    (("1", "1"), 6),
    (("1", "1", "BYTE"), 6),
    (("0", "-1", "bit"), 26),
    (("5", "30", "BIT"), 17),
    (("-5", "-1", "bit"), 2),
    (("-100", "-50"), 4),          # both clamp to byte 0
    (("-100", "100", "BIT"), 26),
    (("2", "1"), 0),
    (("-1", "-2", "FOO"), 0),      # reversed negative range answers before the mode
    (("6", "100"), 0),
    (("9223372036854775807", "9223372036854775807", "BIT"), 0),
    (("-9223372036854775808", "-1", "BIT"), 26),
    (("7", "7", "bit"), 0),
    (("1", "1", "bit"), 1),
])
def test_bitcount(raw, args, expected):
    raw.call("SET", "k", "foobar")
    assert raw.call("BITCOUNT", "k", *args) == b":%d\r\n" % expected


def test_bitcount_missing_integer_and_errors(raw):
    # A missing key answers 0 before any argument is looked at.
    assert raw.call("BITCOUNT", "missing") == b":0\r\n"
    assert raw.call("BITCOUNT", "missing", "a", "b") == b":0\r\n"
    assert raw.call("BITCOUNT", "missing", "0") == b":0\r\n"
    assert raw.call("BITCOUNT", "missing", "0", "1", "foo") == b":0\r\n"
    raw.call("SET", "n", "12345")
    assert raw.call("BITCOUNT", "n") == b":17\r\n"
    assert raw.call("BITCOUNT", "n", "1", "2", "BIT") == b":1\r\n"
    raw.call("SET", "k", "foobar")
    assert raw.call("BITCOUNT", "k", "0") == SYNTAX
    assert raw.call("BITCOUNT", "k", "a", "b") == NOT_INTEGER
    assert raw.call("BITCOUNT", "k", "0", "b") == NOT_INTEGER
    assert raw.call("BITCOUNT", "k", "0", "9223372036854775808") == NOT_INTEGER
    assert raw.call("BITCOUNT", "k", "1", "2", "foo") == SYNTAX
    assert raw.call("BITCOUNT", "k", "0", "-1", "byte", "extra") == SYNTAX
    raw.call("SET", "empty", "")
    assert raw.call("BITCOUNT", "empty") == b":0\r\n"
    assert raw.call("BITCOUNT", "empty", "0", "-1", "BIT") == b":0\r\n"
    raw.call("RPUSH", "l", "a")
    assert raw.call("BITCOUNT", "l") == WRONGTYPE
    assert raw.call("BITCOUNT", "l", "x") == WRONGTYPE
    assert raw.call("BITCOUNT") == WRONG_ARGS.format("bitcount").encode()


def test_bitcount_long_values(r):
    rng = random.Random(7)
    value = bytes(rng.randrange(256) for _ in range(40000))
    r.set("k", value)
    total = sum(bin(byte).count("1") for byte in value)
    assert r.bitcount("k") == total
    assert r.bitcount("k", 3, 39990) == sum(bin(byte).count("1") for byte in value[3:39991])
    bits = "".join(format(byte, "08b") for byte in value)
    for start, end in ((13, 320001), (1, 2), (100, 100), (-70000, -3)):
        first = start if start >= 0 else len(bits) + start
        last = end if end >= 0 else len(bits) + end
        assert r.bitcount("k", start, end, "BIT") == bits[first:last + 1].count("1")


# ==== BITPOS ====

@pytest.mark.parametrize("value,args,expected", [
    (b"\xff\xf0\x00", ("0",), 12),
    (b"\xff\xf0\x00", ("1",), 0),
    (b"\x00\x0f\x00", ("1",), 12),
    (b"\x00\x00\x00", ("1",), -1),
    (b"\xff\xff\xff", ("0",), 24),        # no clear bit: the length in bits
    (b"\xff\xff\xff", ("0", "1"), 24),    # with a start only, still the length
    (b"\xff\xff\xff", ("0", "0", "-1"), -1),  # with an end: -1
    (b"\xff\xff\xff", ("0", "0", "-1", "BIT"), -1),
    (b"\xff\xf0\x00", ("0", "1"), 12),
    (b"\xff\xf0\x00", ("1", "2"), -1),
    (b"\xff\xf0\x00", ("1", "-2"), 8),
    (b"\xff\xf0\x00", ("0", "0", "0"), -1),
    (b"\xff\xf0\x00", ("0", "0", "1"), 12),
    (b"\xff\xf0\x00", ("1", "5", "10", "bit"), 5),
    (b"\xff\xf0\x00", ("0", "5", "11", "bit"), -1),
    (b"\xff\xf0\x00", ("0", "5", "12", "BIT"), 12),
    (b"\xff\xf0\x00", ("1", "12", "-1", "bit"), -1),
    (b"\xff\xf0\x00", ("0", "7", "12", "byte"), -1),
    (b"\xff\xf0\x00", ("1", "3", "1"), -1),
    (b"\xff\xf0\x00", ("0", "100"), -1),
    (b"\xff\xf0\x00", ("1", "-100", "-100"), 0),
    (b"\xff\xf0\x00", ("0", "-9223372036854775808", "9223372036854775807", "bit"), 12),
    (b"", ("0",), -1),
    (b"", ("1",), -1),
    (b"", ("0", "0", "-1", "bit"), -1),
    (b"\x00" * 100 + b"\x01", ("1",), 807),
    (b"\xff" * 100 + b"\xfe", ("0",), 807),
    (b"\xff" * 100 + b"\xfe", ("0", "3", "-1", "byte"), 807),
])
def test_bitpos(raw, value, args, expected):
    raw.call("SET", "k", value)
    assert raw.call("BITPOS", "k", *args) == b":%d\r\n" % expected, (value, args)


def test_bitpos_missing_integer_and_errors(raw):
    assert raw.call("BITPOS", "missing", "0") == b":0\r\n"
    assert raw.call("BITPOS", "missing", "1") == b":-1\r\n"
    # The bit is checked first, then the key; range arguments only for a present key.
    assert raw.call("BITPOS", "missing", "1", "a", "b") == b":-1\r\n"
    assert raw.call("BITPOS", "missing", "2") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.call("BITPOS", "missing", "x") == NOT_INTEGER
    raw.call("SET", "n", "12")             # '1' = 0011 0001
    assert raw.call("BITPOS", "n", "1") == b":2\r\n"
    assert raw.call("BITPOS", "n", "0", "1") == b":8\r\n"
    raw.call("SET", "k", "abc")
    assert raw.call("BITPOS", "k", "0", "a") == NOT_INTEGER
    assert raw.call("BITPOS", "k", "0", "0", "a") == NOT_INTEGER
    # The unit is checked before the end.
    assert raw.call("BITPOS", "k", "0", "0", "a", "foo") == SYNTAX
    assert raw.call("BITPOS", "k", "0", "a", "1", "foo") == NOT_INTEGER
    assert raw.call("BITPOS", "k", "0", "0", "1", "bit", "extra") == SYNTAX
    raw.call("RPUSH", "l", "a")
    assert raw.call("BITPOS", "l", "1") == WRONGTYPE
    assert raw.call("BITPOS", "l", "1", "a") == WRONGTYPE
    assert raw.call("BITPOS", "l", "3") == b"-ERR The bit argument must be 1 or 0.\r\n"
    assert raw.call("BITPOS", "k") == WRONG_ARGS.format("bitpos").encode()


# ==== BITOP ====

def test_bitop_and_or_xor_not(raw):
    raw.call("SET", "a", b"\xf0\x0f\xff")
    raw.call("SET", "b", b"\x3c\x3c")
    assert raw.call("BITOP", "AND", "d", "a", "b") == b":3\r\n"
    assert raw.call("GET", "d") == bulk(b"\x30\x0c\x00")
    assert raw.call("BITOP", "or", "d", "a", "b") == b":3\r\n"
    assert raw.call("GET", "d") == bulk(b"\xfc\x3f\xff")
    assert raw.call("BITOP", "Xor", "d", "a", "b") == b":3\r\n"
    assert raw.call("GET", "d") == bulk(b"\xcc\x33\xff")
    assert raw.call("BITOP", "NOT", "d", "b") == b":2\r\n"
    assert raw.call("GET", "d") == bulk(b"\xc3\xc3")
    # Missing keys count as empty strings; one source alone is copied.
    assert raw.call("BITOP", "OR", "d", "missing", "b") == b":2\r\n"
    assert raw.call("GET", "d") == bulk(b"\x3c\x3c")
    assert raw.call("BITOP", "AND", "d", "a", "missing") == b":3\r\n"
    assert raw.call("GET", "d") == bulk(b"\x00\x00\x00")
    assert raw.call("BITOP", "XOR", "d", "a", "a", "a") == b":3\r\n"
    assert raw.call("GET", "d") == bulk(b"\xf0\x0f\xff")
    # The destination may be a source.
    assert raw.call("BITOP", "NOT", "a", "a") == b":3\r\n"
    assert raw.call("GET", "a") == bulk(b"\x0f\xf0\x00")


def test_bitop_integer_sources(raw):
    raw.call("SET", "n", "10")
    raw.call("SET", "k", "abc")
    assert raw.call("BITOP", "XOR", "d", "n", "k") == b":3\r\n"
    assert raw.call("GET", "d") == bulk("PRc")
    assert raw.call("BITOP", "AND", "d", "n", "n") == b":2\r\n"
    assert raw.call("GET", "d") == bulk("10")
    assert raw.call("INCR", "d") == b":11\r\n"


def test_bitop_empty_result_deletes_destination(raw):
    raw.call("SET", "d", "x")
    assert raw.call("BITOP", "AND", "d", "missing", "other") == b":0\r\n"
    assert raw.call("EXISTS", "d") == b":0\r\n"
    raw.call("RPUSH", "d", "a")
    assert raw.call("BITOP", "NOT", "d", "missing") == b":0\r\n"
    assert raw.call("EXISTS", "d") == b":0\r\n"
    raw.call("SET", "empty", "")
    raw.call("SET", "d", "x")
    assert raw.call("BITOP", "OR", "d", "empty") == b":0\r\n"
    assert raw.call("EXISTS", "d") == b":0\r\n"
    assert raw.call("BITOP", "OR", "d", "missing") == b":0\r\n"


def test_bitop_replaces_any_destination_and_drops_its_ttl(raw):
    raw.call("SET", "a", "abc")
    raw.call("RPUSH", "d", "x")
    assert raw.call("BITOP", "OR", "d", "a") == b":3\r\n"
    assert raw.call("TYPE", "d") == b"+string\r\n"
    raw.call("EXPIRE", "d", "100")
    assert raw.call("BITOP", "NOT", "d", "a") == b":3\r\n"
    assert raw.call("TTL", "d") == b":-1\r\n"


def test_bitop_errors(raw):
    raw.call("SET", "a", "abc")
    raw.call("RPUSH", "l", "x")
    raw.call("SET", "d", "keep")
    assert raw.call("BITOP", "FOO", "d", "a") == SYNTAX
    assert raw.call("BITOP", "NOT", "d", "a", "a") == \
        b"-ERR BITOP NOT must be called with a single source key.\r\n"
    assert raw.call("BITOP", "AND", "d", "a", "l") == WRONGTYPE
    assert raw.call("BITOP", "NOT", "d", "l") == WRONGTYPE
    assert raw.call("GET", "d") == bulk("keep")
    assert raw.call("BITOP", "AND", "d") == WRONG_ARGS.format("bitop").encode()
    assert raw.call("BITOP", "NOT", "d") == WRONG_ARGS.format("bitop").encode()


def test_bitop_long_values(r):
    rng = random.Random(3)
    a = bytes(rng.randrange(256) for _ in range(50000))
    b = bytes(rng.randrange(256) for _ in range(30001))
    r.set("a", a)
    r.set("b", b)
    padded = b + b"\x00" * (len(a) - len(b))
    assert r.bitop("AND", "d", "a", "b") == 50000
    assert r.get("d") == bytes(x & y for x, y in zip(a, padded))
    assert r.bitop("OR", "d", "b", "a") == 50000
    assert r.get("d") == bytes(x | y for x, y in zip(a, padded))
    assert r.bitop("XOR", "d", "a", "b", "d") == 50000
    assert r.get("d") == bytes((x | y) ^ x ^ y for x, y in zip(a, padded))
    assert r.bitop("NOT", "d", "b") == 30001
    assert r.get("d") == bytes(0xff ^ y for y in b)


# ==== BITFIELD ====

def test_bitfield_get_set_incrby(raw):
    assert raw.call("BITFIELD", "k", "SET", "u8", "0", "255", "GET", "u8", "0") == \
        replies(0, 255)
    assert raw.call("BITFIELD", "k", "GET", "i8", "0", "GET", "u4", "4", "GET", "i4", "4") == \
        replies(-1, 15, -1)
    assert raw.call("BITFIELD", "k", "INCRBY", "u8", "0", "1") == replies(0)
    assert raw.call("BITFIELD", "k", "SET", "i16", "#1", "-2", "GET", "i16", "16",
                    "GET", "i16", "8") == replies(0, -2, 255)
    assert raw.call("GET", "k") == bulk(b"\x00\x00\xff\xfe")
    assert raw.call("BITFIELD", "k", "INCRBY", "i5", "100", "7", "INCRBY", "i5", "100", "7",
                    "INCRBY", "i5", "100", "7") == replies(7, 14, -11)
    assert raw.call("STRLEN", "k") == b":14\r\n"
    # Fields that cross bytes and reach past the end read zeros.
    raw.call("SET", "k", b"\x00\x00\xff\xfe")
    assert raw.call("BITFIELD", "k", "GET", "u12", "20", "GET", "u63", "20",
                    "GET", "i64", "24") == replies(0xffe, 0xffe << 51, -(2 << 56))
    assert raw.call("BITFIELD", "k") == b"*0\r\n"
    assert raw.call("BITFIELD", "missing") == b"*0\r\n"
    assert raw.call("BITFIELD", "missing", "GET", "u8", "0") == replies(0)
    assert raw.call("EXISTS", "missing") == b":0\r\n"


@pytest.mark.parametrize("overflow,expected", [
    ("WRAP", (0, 100, -56, 44, 72)),
    ("SAT", (0, 100, 127, 127, -101)),
    ("FAIL", (0, 100, None, None, -128)),
])
def test_bitfield_signed_overflow(raw, overflow, expected):
    assert raw.call("BITFIELD", "k", "OVERFLOW", overflow, "SET", "i8", "0", "100",
                    "GET", "i8", "0", "INCRBY", "i8", "0", "100", "INCRBY", "i8", "0", "100",
                    "INCRBY", "i8", "0", "-228") == replies(*expected)


@pytest.mark.parametrize("args,expected", [
    # unsigned u8: WRAP, SAT, FAIL on increments up and down
    (("OVERFLOW", "WRAP", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"), (0, 4)),
    (("OVERFLOW", "SAT", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"), (0, 255)),
    (("OVERFLOW", "FAIL", "SET", "u8", "0", "250", "INCRBY", "u8", "0", "10"), (0, None)),
    (("OVERFLOW", "WRAP", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "-6"), (0, 255)),
    (("OVERFLOW", "SAT", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "-6"), (0, 0)),
    (("OVERFLOW", "FAIL", "SET", "u8", "0", "5", "INCRBY", "u8", "0", "-6", "GET", "u8", "0"),
     (0, None, 5)),
    # SET out of range: wrapped, saturated, or refused
    (("SET", "u8", "0", "256", "GET", "u8", "0"), (0, 0)),
    (("SET", "u8", "0", "-1", "GET", "u8", "0"), (0, 255)),
    (("OVERFLOW", "SAT", "SET", "u8", "0", "-1", "GET", "u8", "0"), (0, 255)),
    (("OVERFLOW", "SAT", "SET", "u8", "0", "300", "GET", "u8", "0"), (0, 255)),
    (("OVERFLOW", "FAIL", "SET", "u8", "0", "300", "GET", "u8", "0"), (None, 0)),
    (("SET", "i8", "0", "200", "GET", "i8", "0"), (0, -56)),
    (("OVERFLOW", "SAT", "SET", "i8", "0", "200", "GET", "i8", "0"), (0, 127)),
    (("OVERFLOW", "SAT", "SET", "i8", "0", "-200", "GET", "i8", "0"), (0, -128)),
    # Redis's range test wraps for values far below the minimum: they saturate to the max.
    (("OVERFLOW", "SAT", "SET", "i63", "0", "-9223372036854775808", "GET", "i63", "0"),
     (0, 4611686018427387903)),
    (("OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775800", "GET", "i8", "0"),
     (0, 127)),
    (("OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775680", "GET", "i8", "0"),
     (0, -128)),
    # 64-bit and 63-bit limits
    (("SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
     (0, -9223372036854775808)),
    (("OVERFLOW", "SAT", "SET", "i64", "0", "9223372036854775807", "INCRBY", "i64", "0", "1"),
     (0, 9223372036854775807)),
    (("OVERFLOW", "SAT", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0", "-1"),
     (0, -9223372036854775808)),
    (("OVERFLOW", "FAIL", "SET", "i64", "0", "-9223372036854775808", "INCRBY", "i64", "0",
      "-1"), (0, None)),
    (("SET", "u63", "0", "9223372036854775807", "INCRBY", "u63", "0", "1"), (0, 0)),
    (("OVERFLOW", "SAT", "SET", "u63", "0", "1", "INCRBY", "u63", "0", "9223372036854775807"),
     (0, 9223372036854775807)),
    (("SET", "u1", "0", "1", "INCRBY", "u1", "0", "1", "SET", "i1", "0", "-1", "GET", "i1", "0"),
     (0, 0, 0, -1)),
    (("OVERFLOW", "SAT", "INCRBY", "i1", "0", "5", "OVERFLOW", "WRAP", "INCRBY", "i1", "0", "1"),
     (0, -1)),
])
def test_bitfield_overflow_cases(raw, args, expected):
    assert raw.call("BITFIELD", "k", *args) == replies(*expected), args


def test_bitfield_overflow_applies_to_following_ops_only(raw):
    assert raw.call("BITFIELD", "k", "SET", "u2", "0", "3", "INCRBY", "u2", "0", "1",
                    "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "overflow", "sat",
                    "INCRBY", "u2", "0", "5", "OVERFLOW", "wrap", "INCRBY", "u2", "0", "5") == \
        replies(0, 0, None, 3, 0)


def test_bitfield_hash_offsets(raw):
    assert raw.call("BITFIELD", "k", "SET", "u8", "#2", "65", "SET", "i4", "#1", "-1") == \
        replies(0, 0)
    assert raw.call("GET", "k") == bulk(b"\x0f\x00\x41")
    assert raw.call("BITFIELD", "k", "GET", "u8", "#0", "GET", "u8", "#2") == replies(15, 65)
    # '#N * bits' wraps as in Redis: 2^58 * 64 is 0.
    assert raw.call("BITFIELD", "k", "GET", "i64", "#288230376151711744") == \
        replies(0x0f0041 << 40)
    assert raw.call("BITFIELD", "k", "GET", "i64", "#144115188075855872") == BAD_OFFSET


def test_bitfield_creates_key_even_when_every_write_fails(raw):
    assert raw.call("BITFIELD", "k", "OVERFLOW", "FAIL", "SET", "u2", "20", "10") == replies(None)
    assert raw.call("GET", "k") == bulk(b"\x00\x00\x00")


def test_bitfield_on_integer_and_expiring_values(raw):
    raw.call("SET", "n", "12")
    assert raw.call("BITFIELD", "n", "GET", "u16", "0") == replies(0x3132)
    assert raw.call("BITFIELD", "n", "INCRBY", "u8", "8", "1") == replies(0x33)
    assert raw.call("GET", "n") == bulk("13")
    raw.call("SET", "e", "x", "PX", "100000")
    assert raw.call("BITFIELD", "e", "SET", "u8", "#20", "1") == replies(0)
    assert raw.call("STRLEN", "e") == b":21\r\n"
    assert int(raw.call("PTTL", "e")[1:-2]) > 90000


@pytest.mark.parametrize("args,expected", [
    (("GET", "I8", "0"), BAD_TYPE),
    (("GET", "i65", "0"), BAD_TYPE),
    (("GET", "u64", "0"), BAD_TYPE),
    (("GET", "u0", "0"), BAD_TYPE),
    (("GET", "i", "0"), BAD_TYPE),
    (("GET", "i08", "0"), BAD_TYPE),
    (("GET", "u+8", "0"), BAD_TYPE),
    (("GET", "", "0"), BAD_TYPE),
    (("GET", "x8", "0"), BAD_TYPE),
    (("GET", "i8", "-1"), BAD_OFFSET),
    (("GET", "i8", "#-1"), BAD_OFFSET),
    (("GET", "i8", "#"), BAD_OFFSET),
    (("GET", "i8", "1.0"), BAD_OFFSET),
    (("GET", "i8", "4294967296"), BAD_OFFSET),
    (("GET", "i8", "#536870912"), BAD_OFFSET),
    (("SET", "u8", "0", "x"), NOT_INTEGER),
    (("INCRBY", "u8", "0", "9223372036854775808"), NOT_INTEGER),
    (("OVERFLOW", "foo", "GET", "u8", "0"), b"-ERR Invalid OVERFLOW type specified\r\n"),
    (("OVERFLOW",), SYNTAX),
    (("GET", "u8"), SYNTAX),
    (("SET", "u8", "0"), SYNTAX),
    (("INCRBY", "u8", "0"), SYNTAX),
    (("FOO",), SYNTAX),
    (("GET", "u8", "0", "FOO"), SYNTAX),
    # The first bad argument decides, and nothing runs.
    (("SET", "u8", "0", "1", "GET", "i99", "0"), BAD_TYPE),
])
def test_bitfield_errors(raw, args, expected):
    raw.call("SET", "k", "a")
    assert raw.call("BITFIELD", "k", *args) == expected, args
    assert raw.call("GET", "k") == bulk("a")


def test_bitfield_wrongtype(raw):
    raw.call("RPUSH", "l", "a")
    assert raw.call("BITFIELD", "l", "GET", "u8", "0") == WRONGTYPE
    assert raw.call("BITFIELD", "l", "SET", "u8", "0", "1") == WRONGTYPE
    assert raw.call("BITFIELD", "l") == WRONGTYPE  # even with nothing to read
    assert raw.call("BITFIELD", "l", "SET", "u8", "0", "x") == NOT_INTEGER
    assert raw.call("BITFIELD_RO", "l", "GET", "u8", "0") == WRONGTYPE
    assert raw.call("BITFIELD") == WRONG_ARGS.format("bitfield").encode()


def test_bitfield_ro(raw):
    raw.call("SET", "k", "A")
    assert raw.call("BITFIELD_RO", "k", "GET", "u8", "0", "GET", "i4", "4") == replies(65, 1)
    assert raw.call("BITFIELD_RO", "k", "OVERFLOW", "FAIL", "GET", "u8", "0") == replies(65)
    assert raw.call("BITFIELD_RO", "missing", "GET", "u8", "0") == replies(0)
    assert raw.call("BITFIELD_RO", "k") == b"*0\r\n"
    ro_error = b"-ERR BITFIELD_RO only supports the GET subcommand\r\n"
    assert raw.call("BITFIELD_RO", "k", "SET", "u8", "0", "1") == ro_error
    assert raw.call("BITFIELD_RO", "k", "GET", "u8", "0", "INCRBY", "u8", "0", "1") == ro_error
    raw.call("RPUSH", "l", "a")
    assert raw.call("BITFIELD_RO", "l", "SET", "u8", "0", "1") == ro_error
    # Arguments are parsed before the read-only check.
    assert raw.call("BITFIELD_RO", "k", "SET", "u8", "0", "x") == NOT_INTEGER
    assert raw.call("BITFIELD_RO", "k", "FOO") == SYNTAX
    assert raw.call("GET", "k") == bulk("A")
    assert raw.call("BITFIELD_RO") == WRONG_ARGS.format("bitfield_ro").encode()


# ==== A seeded workload against a Python model of the bits ====

def test_bitmap_model_workload(r):
    rng = random.Random(99)
    model = bytearray()

    def get_bit(offset):
        return (model[offset // 8] >> (7 - offset % 8)) & 1 if offset // 8 < len(model) else 0

    for step in range(2500):
        choice = rng.randrange(5)
        offset = rng.choice([rng.randrange(0, 64), rng.randrange(0, 3000), rng.randrange(0, 140000)])
        if choice == 0:
            bit = rng.randrange(2)
            assert r.setbit("k", offset, bit) == get_bit(offset)
            if offset // 8 >= len(model):
                model.extend(b"\x00" * (offset // 8 + 1 - len(model)))
            if bit:
                model[offset // 8] |= 0x80 >> (offset % 8)
            else:
                model[offset // 8] &= ~(0x80 >> (offset % 8)) & 0xff
        elif choice == 1:
            assert r.getbit("k", offset) == get_bit(offset)
        elif choice == 2 and model:
            start = rng.randrange(-len(model) * 8, len(model) * 8)
            end = rng.randrange(-len(model) * 8, len(model) * 8)
            bits = "".join(format(byte, "08b") for byte in model)
            first = max(start + len(bits) if start < 0 else start, 0)
            last = min(end + len(bits) if end < 0 else end, len(bits) - 1)
            expected = 0 if (start < 0 and end < 0 and start > end) else \
                bits[first:last + 1].count("1") if first <= last else 0
            assert r.bitcount("k", start, end, "BIT") == expected
        elif choice == 3 and model:
            bit = rng.randrange(2)
            bits = "".join(format(byte, "08b") for byte in model)
            found = bits.find(str(bit))
            if found == -1 and bit == 0:
                found = len(bits)
            assert r.bitpos("k", bit) == found
        elif choice == 4:
            width = rng.randrange(1, 64)
            value = rng.randrange(0, 1 << width)
            r.bitfield("k").set("u%d" % width, offset, value).execute()
            end = offset + width
            if (end - 1) // 8 >= len(model):
                model.extend(b"\x00" * ((end - 1) // 8 + 1 - len(model)))
            for index in range(width):
                position = offset + index
                if (value >> (width - 1 - index)) & 1:
                    model[position // 8] |= 0x80 >> (position % 8)
                else:
                    model[position // 8] &= ~(0x80 >> (position % 8)) & 0xff
            assert r.bitfield("k").get("u%d" % width, offset).execute() == [value]
        if step % 200 == 0:
            assert r.get("k") == (bytes(model) if model else None)


# ==== No room: -OOM with nothing changed (keel's data heap is the whole budget) ====

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"


@pytest.mark.keel_only
def test_bitmap_writes_without_room_change_nothing(server_factory):
    conn = server_factory("--maxmemory", "4mb").raw()
    assert conn.call("SET", "k", "abc", "EX", "1000") == b"+OK\r\n"
    assert conn.call("SET", "n", "12") == b"+OK\r\n"
    memory = conn.cmd("INFO", "memory").decode()
    heap_size = int(memory.split("heap_pages_total:")[1].split()[0]) * 65536
    far = str((heap_size + 1024 * 1024) * 8)  # a string larger than the whole heap
    assert conn.call("SETBIT", "k", far, "1") == OOM
    assert conn.call("SETBIT", "n", far, "1") == OOM
    assert conn.call("SETBIT", "new", far, "1") == OOM
    assert conn.call("BITFIELD", "k", "GET", "u8", "0", "SET", "u8", far, "1") == OOM
    assert conn.call("BITFIELD", "new", "SET", "u8", far, "1") == OOM
    assert conn.call("GET", "k") == bulk("abc")
    assert conn.call("GET", "n") == bulk("12")
    assert conn.call("EXISTS", "new") == b":0\r\n"
    assert int(conn.call("TTL", "k")[1:-2]) > 990
    # Just over half the heap, under maxmemory: a second copy of it cannot fit.
    big = b"\xf0" * (heap_size // 2 + 64 * 1024)
    assert len(big) < 4 * 1024 * 1024
    assert conn.call("SET", "big", big) == b"+OK\r\n"
    assert conn.call("BITOP", "NOT", "k", "big") == OOM
    assert conn.call("BITOP", "AND", "dest", "big", "k") == OOM
    assert conn.call("GET", "k") == bulk("abc")
    assert conn.call("EXISTS", "dest") == b":0\r\n"
    # Once there is room again, the same commands work.
    assert conn.call("DEL", "big") == b":1\r\n"
    assert conn.call("SETBIT", "k", str(1024 * 1024 * 8), "1") == b":0\r\n"
    assert conn.call("STRLEN", "k") == b":1048577\r\n"
    assert conn.call("GETRANGE", "k", "0", "2") == bulk("abc")
