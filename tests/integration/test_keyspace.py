"""Key-space commands: KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE, SWAPDB, TOUCH,
OBJECT, SORT and SORT_RO. Every test not marked keel_only also passes against redis-server
(KEEL_BIN=/usr/bin/redis-server)."""
import time

import pytest

from conftest import fill_pages_past_the_limit, resp_encode

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NO_SUCH_KEY = b"-ERR no such key\r\n"
SAME_OBJECT = b"-ERR source and destination objects are the same\r\n"
DB_RANGE = b"-ERR DB index is out of range\r\n"
INT_RANGE = b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n"
INVALID_CURSOR = b"-ERR invalid cursor\r\n"
SORT_SCORE = b"-ERR One or more scores can't be converted into double\r\n"
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
FREQ_ERROR = (b"-ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
              b"Please note that when switching between policies at runtime LRU and LFU data "
              b"will take some time to adjust.\r\n")
IDLETIME_ERROR = (b"-ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                  b"note that when switching between policies at runtime LRU and LFU data will "
                  b"take some time to adjust.\r\n")


def array(*items) -> bytes:
    out = b"*%d\r\n" % len(items)
    for item in items:
        if item is None:
            out += b"$-1\r\n"
            continue
        if isinstance(item, str):
            item = item.encode()
        out += b"$%d\r\n%s\r\n" % (len(item), item)
    return out


def scan_all(raw, *options, db_keys=None):
    """Runs a whole SCAN; returns the list of keys (with any duplicates) and the call count."""
    cursor = b"0"
    keys = []
    calls = 0
    while True:
        reply = raw.cmd("SCAN", cursor, *options)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, batch = reply
        keys += batch
        calls += 1
        assert calls < 100000
        if cursor == b"0":
            return keys, calls


def fill(raw, count, prefix="key:", value="v"):
    """MSET of count keys in batches."""
    for start in range(0, count, 1000):
        args = []
        for number in range(start, min(count, start + 1000)):
            args += [f"{prefix}{number}", value]
        assert raw.call("MSET", *args) == b"+OK\r\n"


# ==== KEYS ====

def test_keys_patterns(raw):
    assert raw.call("KEYS", "*") == b"*0\r\n"
    raw.call("MSET", "one", "1", "two", "2", "three", "3", "four", "4")
    raw.call("RPUSH", "list", "x")
    assert sorted(raw.cmd("KEYS", "*")) == [b"four", b"list", b"one", b"three", b"two"]
    assert sorted(raw.cmd("KEYS", "t*")) == [b"three", b"two"]
    assert sorted(raw.cmd("KEYS", "?o*")) == [b"four"]
    assert sorted(raw.cmd("KEYS", "*o")) == [b"two"]
    assert raw.cmd("KEYS", "[oa]ne") == [b"one"]
    assert raw.cmd("KEYS", "[^t]*e") == [b"one"]
    assert raw.cmd("KEYS", "one") == [b"one"]
    assert raw.cmd("KEYS", "ONE") == []
    assert raw.cmd("KEYS", "nomatch*") == []
    assert raw.call("KEYS") == WRONG_ARGS.format("keys").encode()
    assert raw.call("KEYS", "a", "b") == WRONG_ARGS.format("keys").encode()


def test_keys_empty_key_and_bare_star(raw):
    raw.call("SET", "", "empty")
    raw.call("SET", "a", "1")
    # A bare "*" takes every key; other patterns glob, and "*" does not match "".
    assert sorted(raw.cmd("KEYS", "*")) == [b"", b"a"]
    assert raw.cmd("KEYS", "**") == [b"a"]
    assert raw.cmd("KEYS", "") == [b""]
    assert raw.cmd("KEYS", "?") == [b"a"]


def test_keys_binary_and_escapes(raw):
    raw.call("SET", b"a\x00b", "1")
    raw.call("SET", "a*b", "2")
    raw.call("SET", "axb", "3")
    assert sorted(raw.cmd("KEYS", "a?b")) == [b"a\x00b", b"a*b", b"axb"]
    assert raw.cmd("KEYS", "a\\*b") == [b"a*b"]
    assert raw.cmd("KEYS", b"a\x00*") == [b"a\x00b"]


def test_keys_skips_expired_and_other_databases(raw):
    raw.call("SET", "live", "1")
    raw.call("SET", "gone", "1", "PX", "1")
    raw.call("SELECT", "1")
    raw.call("SET", "elsewhere", "1")
    raw.call("SELECT", "0")
    time.sleep(0.02)
    assert raw.cmd("KEYS", "*") == [b"live"]


def test_keys_many(raw):
    fill(raw, 5000)
    keys = raw.cmd("KEYS", "key:*")
    assert len(keys) == 5000
    assert set(keys) == {b"key:%d" % number for number in range(5000)}
    assert len(raw.cmd("KEYS", "key:1??")) == 100


# ==== SCAN ====

def test_scan_returns_every_key(raw):
    assert raw.call("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*0\r\n"
    fill(raw, 3000)
    for options in ((), ("COUNT", "1"), ("COUNT", "100"), ("COUNT", "100000")):
        keys, _calls = scan_all(raw, *options)
        assert set(keys) == {b"key:%d" % number for number in range(3000)}


def test_scan_match_and_type(raw):
    fill(raw, 500, prefix="s:")
    for number in range(200):
        raw.call("RPUSH", f"l:{number}", "x")
    keys, _ = scan_all(raw, "MATCH", "l:*")
    assert set(keys) == {b"l:%d" % number for number in range(200)}
    keys, _ = scan_all(raw, "TYPE", "list")
    assert set(keys) == {b"l:%d" % number for number in range(200)}
    keys, _ = scan_all(raw, "TYPE", "LIST", "MATCH", "l:1*")
    assert set(keys) == {b"l:%d" % number for number in range(200) if str(number)[0] == "1"}
    keys, _ = scan_all(raw, "type", "string", "count", "50")
    assert set(keys) == {b"s:%d" % number for number in range(500)}
    keys, _ = scan_all(raw, "MATCH", "*")
    assert len(set(keys)) == 700
    # An unknown type matches nothing (no error in Redis 7.0).
    assert scan_all(raw, "TYPE", "nosuchtype")[0] == []
    # Options may repeat; the last one wins.
    keys, _ = scan_all(raw, "MATCH", "s:*", "MATCH", "l:1")
    assert keys == [b"l:1"]


def test_scan_skips_expired_keys(raw):
    raw.call("SET", "live", "1")
    for number in range(50):
        raw.call("SET", f"gone:{number}", "1", "PX", "1")
    time.sleep(0.02)
    keys, _ = scan_all(raw)
    assert keys == [b"live"]


@pytest.mark.parametrize("cursor", [" 1", "1 ", "x", "-", "+", "0x10", "1.5",
                                    "18446744073709551616", "-18446744073709551616",
                                    "99999999999999999999999"])
def test_scan_invalid_cursor(raw, cursor):
    assert raw.call("SCAN", cursor) == INVALID_CURSOR
    # The cursor is checked before the options.
    assert raw.call("SCAN", cursor, "COUNT", "0") == INVALID_CURSOR


@pytest.mark.parametrize("cursor", ["", "0", "+0", "-0", "007", "-1", "18446744073709551615",
                                    "-18446744073709551615", b"0\x00junk"])
def test_scan_cursor_forms_accepted_as_strtoul(raw, cursor):
    # strtoul's rules: a sign, leading zeros, wrap-around of "-n", nothing after the digits
    # but the string's end (or a NUL byte); the empty text reads as 0.
    raw.call("SET", "k", "v")
    reply = raw.cmd("SCAN", cursor)
    assert isinstance(reply, list) and len(reply) == 2
    if cursor in ("", "0", "+0", "-0", b"0\x00junk"):
        assert reply == [b"0", [b"k"]]


def test_scan_option_errors(raw):
    assert raw.call("SCAN", "0", "COUNT", "0") == SYNTAX
    assert raw.call("SCAN", "0", "COUNT", "-1") == SYNTAX
    assert raw.call("SCAN", "0", "COUNT", "x") == NOT_INTEGER
    assert raw.call("SCAN", "0", "COUNT", "1.5") == NOT_INTEGER
    assert raw.call("SCAN", "0", "COUNT") == SYNTAX
    assert raw.call("SCAN", "0", "MATCH") == SYNTAX
    assert raw.call("SCAN", "0", "TYPE") == SYNTAX
    assert raw.call("SCAN", "0", "FOO", "bar") == SYNTAX
    assert raw.call("SCAN", "0", "COUNT", "10", "MATCH") == SYNTAX
    assert raw.call("SCAN") == WRONG_ARGS.format("scan").encode()
    assert raw.call("SCAN", "0", "COUNT", "9223372036854775807") == b"*2\r\n$1\r\n0\r\n*0\r\n"


def test_scan_keeps_every_key_while_the_index_grows(raw):
    # Redis's guarantee: a key present from start to end of a scan is returned.
    fill(raw, 2000, prefix="old:")
    cursor = b"0"
    seen = []
    added = 0
    for _call in range(100000):
        cursor, batch = raw.cmd("SCAN", cursor, "COUNT", "20")
        seen += batch
        if added < 30000:
            fill(raw, 3000, prefix=f"new{added}:")
            added += 3000
        if cursor == b"0":
            break
    assert cursor == b"0"
    old = {b"old:%d" % number for number in range(2000)}
    assert old <= set(seen)


@pytest.mark.keel_only
def test_scan_returns_each_key_once_while_growing_and_after_flush(raw):
    # keel's cursor is a hash-space position: ranges never overlap, so no duplicates,
    # whether the index splits or is flushed (and coarsened) in between.
    fill(raw, 20000, prefix="old:")
    cursor = b"0"
    seen = []
    for call in range(100000):
        cursor, batch = raw.cmd("SCAN", cursor)
        seen += batch
        if call % 3 == 0 and call < 60:
            fill(raw, 1000, prefix=f"new{call}:")
        if cursor == b"0":
            break
    assert len(seen) == len(set(seen))
    assert {b"old:%d" % number for number in range(20000)} <= set(seen)
    # Flush mid-scan, then keys that stay until the end: no key twice.
    cursor, batch = raw.cmd("SCAN", "0")
    cursor, batch = raw.cmd("SCAN", cursor)
    assert cursor != b"0"
    raw.call("FLUSHDB")
    fill(raw, 5000, prefix="after:")
    seen = []
    for _call in range(100000):
        cursor, batch = raw.cmd("SCAN", cursor)
        seen += batch
        if cursor == b"0":
            break
    assert len(seen) == len(set(seen))
    assert set(seen) <= {b"after:%d" % number for number in range(5000)}
    assert 0 < len(seen) < 5000


# ==== RANDOMKEY ====

def test_randomkey(raw):
    assert raw.call("RANDOMKEY") == b"$-1\r\n"
    raw.call("SET", "only", "1")
    assert raw.call("RANDOMKEY") == b"$4\r\nonly\r\n"
    fill(raw, 100)
    seen = set()
    for _ in range(400):
        key = raw.cmd("RANDOMKEY")
        assert key == b"only" or key.startswith(b"key:")
        seen.add(key)
    assert len(seen) > 20
    assert raw.call("RANDOMKEY", "x") == WRONG_ARGS.format("randomkey").encode()


def test_randomkey_empty_key_and_expired(raw):
    raw.call("SET", "", "v")
    assert raw.call("RANDOMKEY") == b"$0\r\n\r\n"
    raw.call("DEL", "")
    for number in range(20):
        raw.call("SET", f"gone:{number}", "1", "PX", "1")
    time.sleep(0.02)
    # Expired keys met on the way are deleted; with nothing live the answer is nil.
    assert raw.call("RANDOMKEY") == b"$-1\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    raw.call("SET", "live", "1")
    for number in range(20):
        raw.call("SET", f"gone:{number}", "1", "PX", "1")
    time.sleep(0.02)
    assert raw.call("RANDOMKEY") == b"$4\r\nlive\r\n"


# ==== RENAME / RENAMENX ====

def test_rename_basic(raw):
    raw.call("SET", "a", "1")
    assert raw.call("RENAME", "a", "b") == b"+OK\r\n"
    assert raw.call("EXISTS", "a") == b":0\r\n"
    assert raw.call("GET", "b") == b"$1\r\n1\r\n"
    raw.call("SET", "c", "old")
    assert raw.call("RENAME", "b", "c") == b"+OK\r\n"
    assert raw.call("GET", "c") == b"$1\r\n1\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    assert raw.call("RENAME", "missing", "x") == NO_SUCH_KEY
    assert raw.call("RENAME", "missing", "missing") == NO_SUCH_KEY
    assert raw.call("RENAME", "c", "c") == b"+OK\r\n"
    assert raw.call("GET", "c") == b"$1\r\n1\r\n"
    assert raw.call("RENAME", "a") == WRONG_ARGS.format("rename").encode()


def test_renamenx(raw):
    raw.call("SET", "a", "1")
    raw.call("SET", "b", "2")
    assert raw.call("RENAMENX", "a", "b") == b":0\r\n"
    assert raw.call("GET", "a") == b"$1\r\n1\r\n"
    assert raw.call("RENAMENX", "a", "c") == b":1\r\n"
    assert raw.call("MGET", "a", "c") == b"*2\r\n$-1\r\n$1\r\n1\r\n"
    assert raw.call("RENAMENX", "c", "c") == b":0\r\n"
    assert raw.call("RENAMENX", "missing", "c") == NO_SUCH_KEY
    assert raw.call("RENAMENX", "missing", "missing") == NO_SUCH_KEY
    assert raw.call("RENAMENX", "a") == WRONG_ARGS.format("renamenx").encode()


def test_rename_keeps_ttl_type_and_value(raw):
    raw.call("SET", "s", "value", "EX", "100")
    assert raw.call("RENAME", "s", "t") == b"+OK\r\n"
    assert 0 < raw.cmd("PTTL", "t") <= 100000
    raw.call("SET", "u", "x", "EX", "100")
    raw.call("SET", "plain", "y")
    # The target's TTL goes with the target; the source had none.
    assert raw.call("RENAME", "plain", "u") == b"+OK\r\n"
    assert raw.call("TTL", "u") == b":-1\r\n"
    raw.call("RPUSH", "l", "a", "b", "c")
    assert raw.call("RENAME", "l", "m") == b"+OK\r\n"
    assert raw.call("LRANGE", "m", "0", "-1") == array("a", "b", "c")
    assert raw.call("TYPE", "m") == b"+list\r\n"
    raw.call("SET", "n", "12345")
    raw.call("RENAME", "n", "a-much-longer-name-for-the-number")
    assert raw.call("GET", "a-much-longer-name-for-the-number") == b"$5\r\n12345\r\n"
    assert raw.call("OBJECT", "ENCODING", "a-much-longer-name-for-the-number") == b"$3\r\nint\r\n"


def test_rename_big_values(raw):
    big = b"x" * 100000
    raw.call("SET", "big", big)
    raw.call("SET", "embedded", b"y" * 1000)
    assert raw.call("RENAME", "big", "embedded") == b"+OK\r\n"
    assert raw.cmd("GET", "embedded") == big
    assert raw.call("RENAME", "embedded", "big2") == b"+OK\r\n"
    assert raw.cmd("STRLEN", "big2") == 100000


def test_rename_expired_source(raw):
    raw.call("SET", "a", "1", "PX", "1")
    raw.call("SET", "b", "2")
    time.sleep(0.02)
    assert raw.call("RENAME", "a", "b") == NO_SUCH_KEY
    assert raw.call("RENAMENX", "a", "b") == NO_SUCH_KEY
    assert raw.call("GET", "b") == b"$1\r\n2\r\n"
    raw.call("SET", "c", "3", "PX", "1")
    time.sleep(0.02)
    assert raw.call("RENAMENX", "b", "c") == b":1\r\n"  # an expired target is absent


# ==== COPY ====

def test_copy_strings(raw):
    raw.call("SET", "a", "hello")
    assert raw.call("COPY", "a", "b") == b":1\r\n"
    assert raw.call("MGET", "a", "b") == array("hello", "hello")
    assert raw.call("COPY", "a", "b") == b":0\r\n"
    raw.call("SET", "a", "changed")
    assert raw.call("GET", "b") == b"$5\r\nhello\r\n"
    assert raw.call("COPY", "a", "b", "REPLACE") == b":1\r\n"
    assert raw.call("GET", "b") == b"$7\r\nchanged\r\n"
    assert raw.call("COPY", "missing", "b") == b":0\r\n"
    assert raw.call("COPY", "missing", "b", "REPLACE") == b":0\r\n"
    raw.call("SET", "n", "42")
    assert raw.call("COPY", "n", "m") == b":1\r\n"
    assert raw.call("OBJECT", "ENCODING", "m") == b"$3\r\nint\r\n"
    raw.call("SET", "big", b"z" * 50000)
    assert raw.call("COPY", "big", "big2") == b":1\r\n"
    raw.call("APPEND", "big", "!")
    assert raw.cmd("STRLEN", "big2") == 50000
    assert raw.cmd("GET", "big2") == b"z" * 50000


def test_copy_ttl_and_databases(raw):
    raw.call("SET", "a", "1", "EX", "100")
    assert raw.call("COPY", "a", "b") == b":1\r\n"
    assert 0 < raw.cmd("PTTL", "b") <= 100000
    assert raw.call("COPY", "a", "a", "DB", "1") == b":1\r\n"
    assert raw.call("COPY", "a", "c", "db", "2", "replace") == b":1\r\n"
    raw.call("SELECT", "1")
    assert raw.call("GET", "a") == b"$1\r\n1\r\n"
    assert 0 < raw.cmd("PTTL", "a") <= 100000
    raw.call("SET", "only1", "x")
    raw.call("SELECT", "2")
    assert raw.call("GET", "c") == b"$1\r\n1\r\n"
    raw.call("SELECT", "0")
    assert raw.call("COPY", "a", "only1", "DB", "1") == b":0\r\n"
    assert raw.call("COPY", "a", "only1", "DB", "1", "REPLACE") == b":1\r\n"
    raw.call("SELECT", "1")
    assert raw.call("GET", "only1") == b"$1\r\n1\r\n"


def test_copy_errors(raw):
    raw.call("SET", "a", "1")
    assert raw.call("COPY", "a", "a") == SAME_OBJECT
    assert raw.call("COPY", "a", "a", "DB", "0") == SAME_OBJECT
    assert raw.call("COPY", "missing", "missing") == SAME_OBJECT
    assert raw.call("COPY", "a", "b", "DB", "x") == NOT_INTEGER
    assert raw.call("COPY", "a", "b", "DB", "16") == DB_RANGE
    assert raw.call("COPY", "a", "b", "DB", "-1") == DB_RANGE
    assert raw.call("COPY", "a", "b", "DB", "99999999999") == INT_RANGE
    assert raw.call("COPY", "a", "b", "DB") == SYNTAX
    assert raw.call("COPY", "a", "b", "foo") == SYNTAX
    assert raw.call("COPY", "a", "b", "REPLACE", "DB") == SYNTAX
    assert raw.call("COPY", "a", "b", "DB", "1", "DB", "x") == NOT_INTEGER
    assert raw.call("COPY", "a") == WRONG_ARGS.format("copy").encode()
    assert raw.call("EXISTS", "b") == b":0\r\n"


def test_copy_list_is_deep(raw):
    raw.call("RPUSH", "l", *[f"e{number}" for number in range(2000)])
    assert raw.call("COPY", "l", "m") == b":1\r\n"
    raw.call("LPOP", "l", "1000")
    raw.call("RPUSH", "l", "tail")
    assert raw.cmd("LLEN", "m") == 2000
    assert raw.cmd("LRANGE", "m", "0", "-1") == [b"e%d" % number for number in range(2000)]
    raw.call("DEL", "l")
    assert raw.cmd("LINDEX", "m", "1999") == b"e1999"
    raw.call("SET", "s", "string")
    assert raw.call("COPY", "m", "s", "REPLACE") == b":1\r\n"
    assert raw.call("TYPE", "s") == b"+list\r\n"


def test_copy_expired_source_and_target(raw):
    raw.call("SET", "a", "1", "PX", "1")
    raw.call("SET", "b", "2", "PX", "1")
    raw.call("SET", "c", "3")
    time.sleep(0.02)
    assert raw.call("COPY", "a", "c") == b":0\r\n"
    assert raw.call("COPY", "c", "b") == b":1\r\n"
    assert raw.call("TTL", "b") == b":-1\r\n"


# ==== MOVE ====

def test_move(raw):
    raw.call("SET", "a", "1", "EX", "100")
    assert raw.call("MOVE", "a", "1") == b":1\r\n"
    assert raw.call("EXISTS", "a") == b":0\r\n"
    raw.call("SELECT", "1")
    assert raw.call("GET", "a") == b"$1\r\n1\r\n"
    assert 0 < raw.cmd("PTTL", "a") <= 100000
    raw.call("SELECT", "0")
    raw.call("SET", "a", "other")
    assert raw.call("MOVE", "a", "1") == b":0\r\n"
    assert raw.call("GET", "a") == b"$5\r\nother\r\n"
    assert raw.call("MOVE", "missing", "1") == b":0\r\n"
    raw.call("RPUSH", "l", "x", "y")
    assert raw.call("MOVE", "l", "15") == b":1\r\n"
    raw.call("SELECT", "15")
    assert raw.call("LRANGE", "l", "0", "-1") == array("x", "y")


def test_move_errors(raw):
    raw.call("SET", "a", "1")
    assert raw.call("MOVE", "a", "0") == SAME_OBJECT
    assert raw.call("MOVE", "missing", "0") == SAME_OBJECT
    assert raw.call("MOVE", "a", "16") == DB_RANGE
    assert raw.call("MOVE", "a", "-1") == DB_RANGE
    assert raw.call("MOVE", "a", "x") == NOT_INTEGER
    assert raw.call("MOVE", "a", "99999999999") == INT_RANGE
    assert raw.call("MOVE", "a") == WRONG_ARGS.format("move").encode()
    assert raw.call("MOVE", "a", "1", "2") == WRONG_ARGS.format("move").encode()


def test_move_expired_keys(raw):
    raw.call("SET", "a", "1", "PX", "1")
    raw.call("SET", "b", "2")
    raw.call("SELECT", "1")
    raw.call("SET", "b", "target", "PX", "1")
    raw.call("SELECT", "0")
    time.sleep(0.02)
    assert raw.call("MOVE", "a", "1") == b":0\r\n"
    assert raw.call("MOVE", "b", "1") == b":1\r\n"


# ==== SWAPDB ====

def test_swapdb(shared_server, raw):
    raw.call("SET", "zero", "0", "EX", "100")
    raw.call("SELECT", "1")
    raw.call("MSET", "one", "1", "uno", "1")
    other = shared_server.raw()
    assert other.call("SELECT", "1") == b"+OK\r\n"
    assert raw.call("SWAPDB", "0", "1") == b"+OK\r\n"
    # Clients keep their database index and see the swapped contents.
    assert raw.call("DBSIZE") == b":1\r\n"
    assert raw.call("GET", "zero") == b"$1\r\n0\r\n"
    assert 0 < raw.cmd("TTL", "zero") <= 100
    assert other.call("GET", "zero") == b"$1\r\n0\r\n"
    raw.call("SELECT", "0")
    assert sorted(raw.cmd("KEYS", "*")) == [b"one", b"uno"]
    assert raw.call("SWAPDB", "1", "1") == b"+OK\r\n"
    assert raw.call("SWAPDB", "0", "15") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    raw.call("SELECT", "15")
    assert raw.call("DBSIZE") == b":2\r\n"
    raw.call("SET", "extra", "x")
    assert raw.call("SWAPDB", "15", "0") == b"+OK\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    raw.call("SELECT", "0")
    assert raw.call("DBSIZE") == b":3\r\n"


def test_swapdb_errors(raw):
    assert raw.call("SWAPDB", "0", "16") == DB_RANGE
    assert raw.call("SWAPDB", "-1", "0") == DB_RANGE
    assert raw.call("SWAPDB", "x", "0") == b"-ERR invalid first DB index\r\n"
    assert raw.call("SWAPDB", "0", "x") == b"-ERR invalid second DB index\r\n"
    assert raw.call("SWAPDB", "99999999999", "0") == b"-ERR invalid first DB index\r\n"
    assert raw.call("SWAPDB", "0", "99999999999") == b"-ERR invalid second DB index\r\n"
    assert raw.call("SWAPDB", "x", "y") == b"-ERR invalid first DB index\r\n"
    assert raw.call("SWAPDB", "0") == WRONG_ARGS.format("swapdb").encode()


def test_swapdb_then_expiry_and_info(raw):
    raw.call("SET", "t", "1", "PX", "50")
    raw.call("SET", "p", "1")
    assert raw.call("SWAPDB", "0", "3") == b"+OK\r\n"
    raw.call("SELECT", "3")
    time.sleep(0.1)
    assert raw.call("GET", "t") == b"$-1\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    keyspace = raw.cmd("INFO", "keyspace")
    assert b"db3:keys=1,expires=0" in keyspace
    assert b"db0:" not in keyspace


# ==== TOUCH ====

def test_touch(raw):
    raw.call("MSET", "a", "1", "b", "2")
    assert raw.call("TOUCH", "a") == b":1\r\n"
    assert raw.call("TOUCH", "a", "b", "missing", "a") == b":3\r\n"
    assert raw.call("TOUCH", "missing") == b":0\r\n"
    raw.call("SET", "gone", "1", "PX", "1")
    time.sleep(0.02)
    assert raw.call("TOUCH", "gone") == b":0\r\n"
    assert raw.call("TOUCH") == WRONG_ARGS.format("touch").encode()


# ==== OBJECT ====

OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]


def test_object_help_and_errors(raw):
    expected = b"*15\r\n" + b"".join(b"+%s\r\n" % line.encode() for line in OBJECT_HELP)
    assert raw.call("OBJECT", "HELP") == expected
    assert raw.call("object", "help") == expected
    assert raw.call("OBJECT", "HELP", "x") == WRONG_ARGS.format("object|help").encode()
    assert raw.call("OBJECT") == WRONG_ARGS.format("object").encode()
    assert raw.call("object", "foo") == b"-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    assert raw.call("OBJECT", "foo", "k") == b"-ERR unknown subcommand 'foo'. Try OBJECT HELP.\r\n"
    long_name = "x" * 200
    assert raw.call("OBJECT", long_name) == (
        b"-ERR unknown subcommand '%s'. Try OBJECT HELP.\r\n" % (b"x" * 128))
    for sub in ("encoding", "freq", "idletime", "refcount"):
        error = WRONG_ARGS.format("object|" + sub).encode()
        assert raw.call("OBJECT", sub.upper()) == error
        assert raw.call("OBJECT", sub, "a", "b") == error
        assert raw.call("OBJECT", sub, "missing") == b"$-1\r\n"


def test_object_encoding_of_strings(raw):
    raw.call("SET", "int", "12345")
    raw.call("SET", "negative", "-5")
    raw.call("SET", "short", "hello")
    raw.call("SET", "limit", "x" * 44)
    raw.call("SET", "long", "x" * 45)
    raw.call("SET", "noncanonical", "012")
    assert raw.call("OBJECT", "ENCODING", "int") == b"$3\r\nint\r\n"
    assert raw.call("OBJECT", "encoding", "negative") == b"$3\r\nint\r\n"
    assert raw.call("OBJECT", "ENCODING", "short") == b"$6\r\nembstr\r\n"
    assert raw.call("OBJECT", "ENCODING", "limit") == b"$6\r\nembstr\r\n"
    assert raw.call("OBJECT", "ENCODING", "long") == b"$3\r\nraw\r\n"
    assert raw.call("OBJECT", "ENCODING", "noncanonical") == b"$6\r\nembstr\r\n"


@pytest.mark.keel_only
def test_object_encoding_of_lists_uses_redis_72_names(raw):
    # keel follows Redis 7.2: a small list is one packed node, "listpack".
    raw.call("RPUSH", "small", "a", "b")
    assert raw.call("OBJECT", "ENCODING", "small") == b"$8\r\nlistpack\r\n"
    raw.call("RPUSH", "large", *["x" * 100 for _ in range(500)])
    assert raw.call("OBJECT", "ENCODING", "large") == b"$9\r\nquicklist\r\n"


def test_object_refcount(raw):
    raw.call("SET", "shared", "100")
    raw.call("SET", "zero", "0")
    raw.call("SET", "edge", "9999")
    raw.call("SET", "big", "10000")
    raw.call("SET", "negative", "-1")
    raw.call("SET", "text", "abc")
    raw.call("RPUSH", "list", "1")
    assert raw.call("OBJECT", "REFCOUNT", "shared") == b":2147483647\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "zero") == b":2147483647\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "edge") == b":2147483647\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "big") == b":1\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "negative") == b":1\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "text") == b":1\r\n"
    assert raw.call("OBJECT", "REFCOUNT", "list") == b":1\r\n"


def test_object_freq_and_idletime(r, raw):
    raw.call("SET", "k", "v")
    assert raw.call("OBJECT", "FREQ", "k") == FREQ_ERROR
    assert raw.call("OBJECT", "FREQ", "missing") == b"$-1\r\n"
    assert raw.call("OBJECT", "IDLETIME", "k") in (b":0\r\n", b":1\r\n")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        assert raw.call("OBJECT", "IDLETIME", "k") == IDLETIME_ERROR
        assert raw.call("OBJECT", "IDLETIME", "missing") == b"$-1\r\n"
        assert isinstance(raw.cmd("OBJECT", "FREQ", "k"), int)
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_object_idletime_grows_and_resets_on_access(raw):
    raw.call("MSET", "k", "v", "other", "w")
    time.sleep(2.2)
    idle = raw.cmd("OBJECT", "IDLETIME", "k")
    assert 2 <= idle <= 10
    # OBJECT itself does not touch the key; a read does.
    assert raw.cmd("OBJECT", "IDLETIME", "k") >= idle
    raw.call("GET", "k")
    assert raw.cmd("OBJECT", "IDLETIME", "k") <= 1
    assert raw.cmd("OBJECT", "IDLETIME", "other") >= 2
    raw.call("TOUCH", "other")
    assert raw.cmd("OBJECT", "IDLETIME", "other") <= 1


# ==== SORT ====

def test_sort_numeric_and_alpha(raw):
    raw.call("RPUSH", "l", "3", "1", "2", "10", "-1.5", "2")
    assert raw.call("SORT", "l") == array("-1.5", "1", "2", "2", "3", "10")
    assert raw.call("SORT", "l", "DESC") == array("10", "3", "2", "2", "1", "-1.5")
    assert raw.call("SORT", "l", "ALPHA") == array("-1.5", "1", "10", "2", "2", "3")
    assert raw.call("SORT", "l", "alpha", "desc") == array("3", "2", "2", "10", "1", "-1.5")
    assert raw.call("SORT", "l", "ASC", "DESC", "ASC") == array("-1.5", "1", "2", "2", "3", "10")
    assert raw.call("SORT_RO", "l", "DESC") == array("10", "3", "2", "2", "1", "-1.5")
    raw.call("RPUSH", "words", "banana", "apple", "cherry")
    assert raw.call("SORT", "words") == SORT_SCORE
    assert raw.call("SORT", "words", "ALPHA") == array("apple", "banana", "cherry")
    assert raw.call("SORT", "missing") == b"*0\r\n"
    assert raw.call("SORT_RO", "missing", "ALPHA") == b"*0\r\n"


def test_sort_equal_scores_order_by_element(raw):
    raw.call("RPUSH", "l", "1.0", "1", "01", "1e0", "0.5")
    assert raw.call("SORT", "l") == array("0.5", "01", "1", "1.0", "1e0")
    assert raw.call("SORT", "l", "DESC") == array("1e0", "1.0", "1", "01", "0.5")


@pytest.mark.parametrize("value,ok", [
    (" 1", True), ("", True), ("inf", True), ("-inf", True), ("0x10", True), ("1e5", True),
    ("+3", True), (".5", True), ("1.", True), ("\t2", True), ("Infinity", True),
    (b"7\x00junk", True), ("1 ", False), (" ", False), ("nan", False), ("abc", False),
    ("1,5", False), ("1e", False),
])
def test_sort_score_parsing_follows_strtod(raw, value, ok):
    raw.call("RPUSH", "l", value, "7")
    reply = raw.call("SORT", "l")
    if ok:
        assert reply.startswith(b"*2\r\n")
    else:
        assert reply == SORT_SCORE


def test_sort_score_out_of_range(server_factory):
    # A fresh server: Redis never resets errno, so one ERANGE fails later SORTs too.
    for value in ("1e400", "1e-400", "1" * 400):
        server = server_factory()
        conn = server.raw()
        conn.call("RPUSH", "l", value, "1")
        assert conn.call("SORT", "l") == SORT_SCORE
        server.stop()


def test_sort_numeric_values_sort_as_doubles(raw):
    raw.call("RPUSH", "l", "inf", "-inf", "1e5", "0x10", "9007199254740993", "-0", "0")
    assert raw.call("SORT", "l") == array("-inf", "-0", "0", "0x10", "1e5",
                                          "9007199254740993", "inf")


def test_sort_limit(raw):
    raw.call("RPUSH", "l", "5", "3", "1", "4", "2")
    assert raw.call("SORT", "l", "LIMIT", "0", "2") == array("1", "2")
    assert raw.call("SORT", "l", "LIMIT", "1", "3", "DESC") == array("4", "3", "2")
    assert raw.call("SORT", "l", "LIMIT", "-5", "2") == array("1", "2")
    assert raw.call("SORT", "l", "LIMIT", "3", "-1") == array("4", "5")
    assert raw.call("SORT", "l", "LIMIT", "3", "-7") == array("4", "5")
    assert raw.call("SORT", "l", "LIMIT", "3", "100") == array("4", "5")
    assert raw.call("SORT", "l", "LIMIT", "5", "1") == b"*0\r\n"
    assert raw.call("SORT", "l", "LIMIT", "100", "1") == b"*0\r\n"
    assert raw.call("SORT", "l", "LIMIT", "0", "0") == b"*0\r\n"
    assert raw.call("SORT", "l", "LIMIT", "2", "1", "LIMIT", "0", "1") == array("1")
    assert raw.call("SORT", "l", "LIMIT", "x", "1") == NOT_INTEGER
    assert raw.call("SORT", "l", "LIMIT", "0", "1.5") == NOT_INTEGER
    assert raw.call("SORT", "l", "LIMIT", "0") == SYNTAX
    assert raw.call("SORT", "l", "LIMIT") == SYNTAX
    assert raw.call("SORT", "missing", "LIMIT", "0", "10") == b"*0\r\n"
    assert raw.call("SORT", "missing", "LIMIT", "-1", "-1") == b"*0\r\n"


def test_sort_by_nosort_keeps_list_order(raw):
    raw.call("RPUSH", "l", "3", "1", "x", "10", "2")
    assert raw.call("SORT", "l", "BY", "nosort") == array("3", "1", "x", "10", "2")
    assert raw.call("SORT", "l", "BY", "nosort", "DESC") == array("2", "10", "x", "1", "3")
    assert raw.call("SORT", "l", "BY", "nosort", "LIMIT", "1", "2") == array("1", "x")
    assert raw.call("SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == array("10", "x")
    assert raw.call("SORT", "l", "BY", "nosort", "LIMIT", "4", "10") == array("2")
    assert raw.call("SORT", "l", "BY", "nosort", "LIMIT", "5", "10") == b"*0\r\n"
    assert raw.call("SORT", "l", "BY", "constant", "ALPHA") == array("3", "1", "x", "10", "2")
    # Once a BY without '*' is given, the native order stays even with a later pattern.
    raw.call("MSET", "w_3", "1", "w_1", "2")
    assert raw.call("SORT", "l", "BY", "nosort", "BY", "w_*") == array("3", "1", "x", "10", "2")
    assert raw.call("SORT", "l", "BY", "nosort", "GET", "#", "GET", "w_*") == array(
        "3", "1", "1", "2", "x", None, "10", None, "2", None)


def test_sort_by_pattern(raw):
    raw.call("RPUSH", "l", "a", "b", "c", "d")
    raw.call("MSET", "weight_a", "30", "weight_b", "10", "weight_c", "20")
    # d has no weight: score 0, first.
    assert raw.call("SORT", "l", "BY", "weight_*") == array("d", "b", "c", "a")
    assert raw.call("SORT", "l", "BY", "weight_*", "DESC") == array("a", "c", "b", "d")
    assert raw.call("SORT", "l", "BY", "weight_*", "LIMIT", "1", "2") == array("b", "c")
    raw.call("MSET", "name_a", "zed", "name_b", "amy", "name_c", "kim", "name_d", "bob")
    assert raw.call("SORT", "l", "BY", "name_*", "ALPHA") == array("b", "d", "c", "a")
    assert raw.call("SORT", "l", "BY", "name_*") == SORT_SCORE
    raw.call("SET", "weight_d", "not a number")
    assert raw.call("SORT", "l", "BY", "weight_*") == SORT_SCORE
    raw.call("DEL", "weight_d")
    raw.call("RPUSH", "weight_d", "list")  # not a string: no value
    assert raw.call("SORT", "l", "BY", "weight_*") == array("d", "b", "c", "a")
    # Postfix and an int-encoded BY value.
    raw.call("MSET", "a-w", "3", "b-w", "1", "c-w", "2", "d-w", "-7")
    assert raw.call("SORT", "l", "BY", "*-w") == array("d", "b", "c", "a")
    assert raw.call("SORT", "l", "BY", "*-w", "ALPHA") == array("d", "b", "c", "a")


def test_sort_by_hash_field(raw):
    raw.call("RPUSH", "l", "1", "2", "3")
    raw.call("HSET", "h_1", "w", "30", "n", "c")
    raw.call("HSET", "h_2", "w", "10", "n", "a")
    raw.call("HSET", "h_3", "w", "20", "n", "b")
    assert raw.call("SORT", "l", "BY", "h_*->w") == array("2", "3", "1")
    assert raw.call("SORT", "l", "BY", "h_*->n", "ALPHA", "DESC") == array("1", "3", "2")
    assert raw.call("SORT", "l", "BY", "h_*->w", "ALPHA") == array("2", "3", "1")
    assert raw.call("SORT", "l", "BY", "h_*->missing") == array("1", "2", "3")
    assert raw.call("SORT", "l", "BY", "h_*->w", "GET", "h_*->n", "GET", "#") == array(
        "a", "2", "b", "3", "c", "1")


def test_sort_get(raw):
    raw.call("RPUSH", "l", "2", "1", "3")
    raw.call("MSET", "obj_1", "one", "obj_2", "two", "obj_1_x", "1x")
    assert raw.call("SORT", "l", "GET", "obj_*") == array("one", "two", None)
    assert raw.call("SORT", "l", "GET", "#", "GET", "obj_*") == array(
        "1", "one", "2", "two", "3", None)
    assert raw.call("SORT", "l", "GET", "obj_*_x", "DESC") == array(None, None, "1x")
    assert raw.call("SORT", "l", "GET", "nostar") == array(None, None, None)
    assert raw.call("SORT", "l", "GET", "#", "LIMIT", "1", "1") == array("2")
    assert raw.call("SORT", "l", "LIMIT", "1", "1", "GET", "#", "GET", "#") == array("2", "2")
    raw.call("RPUSH", "obj_3", "list")
    assert raw.call("SORT", "l", "GET", "obj_*") == array("one", "two", None)
    raw.call("HSET", "hash_1", "f", "v1")
    assert raw.call("SORT", "l", "GET", "hash_*->f", "GET", "hash_*->", "GET", "obj_*->f") == (
        array("v1", None, None, None, None, None, None, None, None))
    raw.call("SET", "hash_2->", "arrow")
    assert raw.call("SORT", "l", "GET", "hash_*->") == array(None, "arrow", None)
    raw.call("SET", "n_1", "5")
    assert raw.call("SORT", "l", "GET", "n_*") == array("5", None, None)


def test_sort_store(raw):
    raw.call("RPUSH", "l", "3", "1", "2")
    assert raw.call("SORT", "l", "STORE", "dest") == b":3\r\n"
    assert raw.call("LRANGE", "dest", "0", "-1") == array("1", "2", "3")
    raw.call("SET", "s", "string", "EX", "100")
    assert raw.call("SORT", "l", "DESC", "STORE", "s") == b":3\r\n"
    assert raw.call("TYPE", "s") == b"+list\r\n"
    assert raw.call("TTL", "s") == b":-1\r\n"
    assert raw.call("LRANGE", "s", "0", "-1") == array("3", "2", "1")
    raw.call("MSET", "o_1", "one", "o_3", "three")
    assert raw.call("SORT", "l", "GET", "o_*", "GET", "#", "STORE", "g") == b":6\r\n"
    assert raw.call("LRANGE", "g", "0", "-1") == array("one", "1", "", "2", "three", "3")
    assert raw.call("SORT", "l", "LIMIT", "5", "5", "STORE", "dest") == b":0\r\n"
    assert raw.call("EXISTS", "dest") == b":0\r\n"
    assert raw.call("SORT", "missing", "STORE", "g") == b":0\r\n"
    assert raw.call("EXISTS", "g") == b":0\r\n"
    assert raw.call("SORT", "l", "STORE", "l") == b":3\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == array("1", "2", "3")
    assert raw.call("SORT", "l", "BY", "nosort", "DESC", "STORE", "r") == b":3\r\n"
    assert raw.call("LRANGE", "r", "0", "-1") == array("3", "2", "1")
    raw.call("RPUSH", "bad", "x")
    assert raw.call("SORT", "bad", "STORE", "dest2") == SORT_SCORE
    assert raw.call("EXISTS", "dest2") == b":0\r\n"
    assert raw.call("SORT", "l", "STORE", "a", "STORE", "b") == b":3\r\n"
    assert raw.call("EXISTS", "a", "b") == b":1\r\n"


def test_sort_errors(raw):
    raw.call("SET", "str", "1")
    raw.call("RPUSH", "l", "1")
    assert raw.call("SORT", "str") == WRONGTYPE
    assert raw.call("SORT_RO", "str") == WRONGTYPE
    assert raw.call("SORT", "str", "foo") == SYNTAX  # options are parsed first
    assert raw.call("SORT", "l", "foo") == SYNTAX
    assert raw.call("SORT", "l", "STORE") == SYNTAX
    assert raw.call("SORT", "l", "BY") == SYNTAX
    assert raw.call("SORT", "l", "GET") == SYNTAX
    assert raw.call("SORT_RO", "l", "STORE", "d") == SYNTAX
    assert raw.call("SORT", "l", "LIMIT", "x", "y") == NOT_INTEGER
    assert raw.call("SORT") == WRONG_ARGS.format("sort").encode()
    assert raw.call("SORT_RO") == WRONG_ARGS.format("sort_ro").encode()
    assert raw.call("EXISTS", "d") == b":0\r\n"


def test_sort_binary_elements_and_large_list(raw):
    raw.call("RPUSH", "b", b"b\x00", b"a", b"", b"b", b"a\xff")
    # With STORE Redis compares bytes; without it strcoll, which stops at a NUL byte.
    assert raw.call("SORT", "b", "ALPHA", "STORE", "sorted") == b":5\r\n"
    assert raw.call("LRANGE", "sorted", "0", "-1") == array(b"", b"a", b"a\xff", b"b", b"b\x00")
    raw.call("RPUSH", "c", b"b", b"a\xff", b"a", b"\x01", b"B")
    assert raw.call("SORT", "c", "ALPHA") == array(b"\x01", b"B", b"a", b"a\xff", b"b")
    values = [str((number * 7919) % 10007) for number in range(5000)]
    raw.call("RPUSH", "big", *values)
    reply = raw.cmd("SORT", "big")
    assert reply == [value.encode() for value in sorted(values, key=int)]
    reply = raw.cmd("SORT", "big", "ALPHA", "DESC", "LIMIT", "10", "20")
    assert reply == [value.encode() for value in sorted(values, reverse=True)[10:30]]


def test_sort_long_element_with_pattern(raw):
    element = "e" * 5000
    raw.call("RPUSH", "l", element, "short")
    raw.call("SET", "w_" + element, "1")
    raw.call("SET", "w_short", "2")
    raw.call("SET", "g_" + element, "found")
    assert raw.call("SORT", "l", "BY", "w_*", "DESC", "GET", "g_*") == array(None, "found")
    raw.call("SET", "w_short", "0" * 1000 + "3")
    assert raw.call("SORT", "l", "BY", "w_*") == array(element, "short")


def test_sort_counts_lookups(r, raw):
    raw.call("RPUSH", "l", "1", "2")
    raw.call("SET", "w_1", "5")
    raw.call("CONFIG", "RESETSTAT")
    raw.call("SORT", "l", "BY", "w_*", "GET", "#", "GET", "x_*")
    stats = r.info("stats")
    # The key itself (1 hit), BY (1 hit, 1 miss), GET x_* (2 misses); GET # looks nothing up.
    assert stats["keyspace_hits"] == 2
    assert stats["keyspace_misses"] == 3


# ==== Out of memory (keel only: Redis has no fixed heap) ====

def _fill_heap(conn):
    """SETs values of shrinking sizes until even small ones are refused; returns the keys."""
    keys = []
    for size in (65536, 8192, 1024, 128, 16):
        for number in range(100000):
            key = f"fill:{size}:{number}"
            reply = conn.call("SET", key, b"f" * size)
            if reply != b"+OK\r\n":
                assert reply == OOM
                break
            keys.append(key)
    return keys


@pytest.mark.keel_only
def test_oom_leaves_the_dataset_unchanged(server_factory):
    server = server_factory("--maxmemory", "4mb")
    conn = server.raw()
    conn.call("RPUSH", "list", *[f"element{number}" for number in range(2000)])
    conn.call("SET", "s", "value", "EX", "1000")
    small = [f"small:{n}" for n in range(2000)]
    conn.call("MSET", *[part for name in small for part in (name, "v")])
    # Refused at maxmemory, then renames of the small keys to 3 KB names (RENAME is not
    # denyoom) take the heap's last pages in the class the RENAME below needs.
    keys = _fill_heap(conn) + fill_pages_past_the_limit(conn, small)
    assert len(keys) > 10
    long_name = "n" * 3000
    assert conn.call("RENAME", "s", long_name) == OOM
    assert conn.call("GET", "s") == b"$5\r\nvalue\r\n"
    assert conn.call("EXISTS", long_name) == b":0\r\n"
    assert conn.call("COPY", "list", "copy") == OOM
    assert conn.call("EXISTS", "copy") == b":0\r\n"
    assert conn.call("SORT_RO", "list", "ALPHA") == OOM
    assert conn.call("SORT", "list", "ALPHA", "STORE", "sorted") == OOM
    assert conn.call("EXISTS", "sorted") == b":0\r\n"
    assert conn.cmd("LLEN", "list") == 2000
    # With room again, everything works.
    conn.call("DEL", *keys)
    assert conn.call("RENAME", "s", long_name) == b"+OK\r\n"
    assert 0 < conn.cmd("TTL", long_name) <= 1000
    assert conn.call("COPY", "list", "copy") == b":1\r\n"
    assert conn.cmd("LLEN", "copy") == 2000
    assert len(conn.cmd("SORT_RO", "list", "ALPHA")) == 2000
    assert conn.call("SORT", "list", "ALPHA", "STORE", "sorted") == b":2000\r\n"


def test_commands_pipelined(raw):
    # Several keyspace commands in one send, replies in order.
    raw.send(resp_encode("SET", "a", "1") + resp_encode("RENAME", "a", "b") +
             resp_encode("COPY", "b", "c") + resp_encode("KEYS", "[bc]") +
             resp_encode("TOUCH", "b", "c"))
    assert raw.read_reply()[0] == b"+OK\r\n"
    assert raw.read_reply()[0] == b"+OK\r\n"
    assert raw.read_reply()[0] == b":1\r\n"
    assert sorted(raw.read_reply()[1]) == [b"b", b"c"]
    assert raw.read_reply()[0] == b":2\r\n"


# ==== Sets and hashes ====

def test_sort_sets(raw):
    raw.call("SADD", "ints", "5", "-3", "10", "0", "7")
    assert raw.call("SORT", "ints") == array("-3", "0", "5", "7", "10")
    assert raw.call("SORT", "ints", "DESC", "LIMIT", "1", "2") == array("7", "5")
    assert raw.call("SORT", "ints", "ALPHA") == array("-3", "0", "10", "5", "7")
    assert raw.call("SORT_RO", "ints", "LIMIT", "0", "1") == array("-3")
    raw.call("SADD", "words", "pear", "apple", "fig")
    assert raw.call("SORT", "words") == SORT_SCORE
    assert raw.call("SORT", "words", "ALPHA") == array("apple", "fig", "pear")
    # BY nosort: the set's own order (unspecified), all of it.
    assert sorted(raw.cmd("SORT", "words", "BY", "nosort")) == [b"apple", b"fig", b"pear"]
    assert len(raw.cmd("SORT", "words", "BY", "nosort", "LIMIT", "0", "2")) == 2
    # With STORE a set is sorted by its members (ALPHA) so the result is deterministic.
    assert raw.call("SORT", "words", "BY", "nosort", "STORE", "dest") == b":3\r\n"
    assert raw.call("LRANGE", "dest", "0", "-1") == array("apple", "fig", "pear")
    assert raw.call("SORT", "ints", "BY", "nosort", "DESC", "STORE", "dest") == b":5\r\n"
    assert raw.call("LRANGE", "dest", "0", "-1") == array("7", "5", "10", "0", "-3")
    raw.call("MSET", "w_pear", "1", "w_apple", "3", "w_fig", "2", "n_fig", "FIG")
    assert raw.call("SORT", "words", "BY", "w_*", "GET", "#", "GET", "n_*") == array(
        "pear", None, "fig", "FIG", "apple", None)


def test_sort_large_set(raw):
    members = [str(number * 3) for number in range(3000)]
    raw.call("SADD", "big", *members)
    raw.call("SADD", "mixed", *members, "text")
    assert raw.cmd("SORT", "big") == [member.encode() for member in members]
    assert raw.cmd("SORT", "mixed", "ALPHA", "LIMIT", "0", "5") == [
        member.encode() for member in sorted(members + ["text"])[:5]]


def test_copy_set_and_hash_are_deep(raw):
    raw.call("SADD", "s", "a", "b", "c")
    raw.call("SADD", "ints", *range(100))
    raw.call("HSET", "h", "f1", "v1", "f2", "v2")
    assert raw.call("COPY", "s", "s2") == b":1\r\n"
    assert raw.call("COPY", "ints", "ints2", "DB", "1") == b":1\r\n"
    assert raw.call("COPY", "h", "h2") == b":1\r\n"
    raw.call("SREM", "s", "a")
    raw.call("SADD", "ints", "1000")
    raw.call("HSET", "h", "f1", "changed", "f3", "v3")
    assert sorted(raw.cmd("SMEMBERS", "s2")) == [b"a", b"b", b"c"]
    assert raw.call("HGET", "h2", "f1") == b"$2\r\nv1\r\n"
    assert raw.call("HEXISTS", "h2", "f3") == b":0\r\n"
    assert raw.call("TYPE", "h2") == b"+hash\r\n"
    raw.call("SELECT", "1")
    assert raw.cmd("SCARD", "ints2") == 100
    assert raw.call("OBJECT", "ENCODING", "ints2") == b"$6\r\nintset\r\n"


def test_rename_move_and_scan_types_with_sets_and_hashes(raw):
    raw.call("SADD", "s", "x")
    raw.call("HSET", "h", "f", "v")
    raw.call("SET", "str", "1")
    assert scan_all(raw, "TYPE", "set")[0] == [b"s"]
    assert scan_all(raw, "TYPE", "hash")[0] == [b"h"]
    assert raw.call("RENAME", "s", "s2") == b"+OK\r\n"
    assert raw.call("SISMEMBER", "s2", "x") == b":1\r\n"
    assert raw.call("MOVE", "h", "1") == b":1\r\n"
    raw.call("SELECT", "1")
    assert raw.call("HGET", "h", "f") == b"$1\r\nv\r\n"
    assert raw.call("SORT", "h") == WRONGTYPE


# ==== Sorted sets ====

def test_sort_sorted_sets(raw):
    raw.call("ZADD", "z", "1", "e", "2", "d", "3", "c", "4", "b", "5", "a")
    assert raw.call("SORT", "z", "ALPHA") == array("a", "b", "c", "d", "e")
    assert raw.call("SORT", "z") == SORT_SCORE  # members, not scores, are sorted
    # BY nosort keeps the score order, honouring DESC and LIMIT.
    assert raw.call("SORT", "z", "BY", "nosort") == array("e", "d", "c", "b", "a")
    assert raw.call("SORT", "z", "BY", "nosort", "DESC") == array("a", "b", "c", "d", "e")
    assert raw.call("SORT", "z", "BY", "nosort", "LIMIT", "1", "2") == array("d", "c")
    assert raw.call("SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2") == array("b", "c")
    assert raw.call("SORT", "z", "BY", "nosort", "LIMIT", "4", "9") == array("a")
    assert raw.call("SORT", "z", "BY", "nosort", "LIMIT", "5", "9") == b"*0\r\n"
    assert raw.call("SORT", "z", "BY", "nosort", "STORE", "dest") == b":5\r\n"
    assert raw.call("LRANGE", "dest", "0", "-1") == array("e", "d", "c", "b", "a")
    raw.call("MSET", "w_a", "3", "w_b", "1", "w_c", "2")
    assert raw.call("SORT", "z", "BY", "w_*", "GET", "#", "GET", "w_*") == array(
        "d", None, "e", None, "b", "1", "c", "2", "a", "3")
    raw.call("ZADD", "nums", "1", "30", "2", "10", "3", "20")
    assert raw.call("SORT", "nums") == array("10", "20", "30")
    assert raw.call("SORT_RO", "nums", "DESC", "LIMIT", "0", "2") == array("30", "20")


def test_sort_large_sorted_set(raw):
    members = [f"m{number:05d}" for number in range(1000)]
    args = []
    for number, member in enumerate(members):
        args += [str(1000 - number), member]
    raw.call("ZADD", "big", *args)
    assert raw.cmd("SORT", "big", "ALPHA") == [member.encode() for member in members]
    native = raw.cmd("SORT", "big", "BY", "nosort", "LIMIT", "10", "5")
    assert native == [member.encode() for member in members[::-1][10:15]]
    native = raw.cmd("SORT", "big", "BY", "nosort", "DESC", "LIMIT", "10", "5")
    assert native == [member.encode() for member in members[10:15]]


def test_copy_sorted_set_is_deep(raw):
    raw.call("ZADD", "z", "1", "a", "2", "b")
    raw.call("ZADD", "big", *[item for number in range(300)
                              for item in (str(number), f"member{number}")])
    assert raw.call("COPY", "z", "z2") == b":1\r\n"
    assert raw.call("COPY", "big", "big2", "DB", "2") == b":1\r\n"
    raw.call("ZADD", "z", "10", "a", "3", "c")
    raw.call("ZREM", "big", "member0")
    assert raw.call("ZRANGE", "z2", "0", "-1", "WITHSCORES") == array("a", "1", "b", "2")
    raw.call("SELECT", "2")
    assert raw.cmd("ZCARD", "big2") == 300
    assert raw.call("ZSCORE", "big2", "member0") == b"$1\r\n0\r\n"
    assert raw.call("OBJECT", "ENCODING", "big2") == b"$8\r\nskiplist\r\n"
    assert scan_all(raw, "TYPE", "zset")[0] == [b"big2"]
