"""
Test plan O1-O7 (docs/TEST_PLAN.md, shared/RELIABILITY.md "Oversized inputs"):

O1  bulk-length boundaries around a configured proto-max-bulk-len: the maximum waits for
    its payload, everything else is refused at once (before any payload), and announcing
    the largest allowed size reserves no resident memory.
O2  multibulk-count boundaries: huge counts followed by one short bulk wait without
    reserving memory for the announced count.
O3  the big-argument path: values around the input-buffer size and the big-argument
    threshold, 1 MB and 64 MB, sent one byte or 64 KB per write, read back byte-exact;
    the 64 MB SET raises the peak RSS by about the value, not twice.
O4  the per-connection input cap: a bulk past client-query-buffer-limit sent slowly is
    closed silently; 1 MB of pipelined commands sent without reading is served in order
    while another client's PING p99 stays under 50 ms.
O5  growth commands past the budget: -OOM exactly, no partial write (dataset snapshot
    unchanged), peak RSS within the plan.
O6  huge counts and ranges (the CVE rows of RELIABILITY.md (c)): exact replies, < 1 s each.
O7  pattern DoS: KEYS and SCAN MATCH with the glob regressions, each < 1 s.

Each test runs against redis-server 7.0.15 too except where marked keel_only (memory
figures, keel's -OOM for a single command that would overshoot the budget, INFO counters
Redis 7.0 does not have).
"""
import os
import threading
import time

import pytest

from conftest import ORACLE, RawConn, resp_encode
from plan_helpers import (OOM, PingLoop, assert_all_silent, assert_p99_below, info, pipeline,
                          plan_total, snapshot, vm_hwm, vm_rss)

MIB = 1024 * 1024
INVALID_BULK = b"-ERR Protocol error: invalid bulk length\r\n"
LCS_OVER_BULK_LIMIT = (b"-ERR Insufficient memory, transient memory for LCS exceeds "
                       b"proto-max-bulk-len\r\n")
LCS_NO_MEMORY = b"-ERR Insufficient memory, failed allocating transient memory for LCS\r\n"


# ==== O1 ====

@pytest.fixture(scope="module")
def small_bulk_server(request, tmp_path_factory):
    from conftest import Server
    server = Server(tmp_path_factory.mktemp("o1"), ["--proto-max-bulk-len", "1mb"], name="o1")
    yield server
    server.stop()


@pytest.mark.parametrize("header", [
    b"$1048577", b"$2147483648", b"$9223372036854775807", b"$18446744073709551616",
    b"$-1", b"$00", b"$12345678901234567890", b"$99999999999999999999",
])
def test_o1_bulk_length_refused_before_payload(small_bulk_server, header):
    conn = small_bulk_server.raw()
    started = time.monotonic()
    conn.send(b"*2\r\n$3\r\nGET\r\n" + header + b"\r\n")
    conn.expect(INVALID_BULK, timeout=2)
    assert time.monotonic() - started < 1.0
    conn.assert_closed()


def test_o1_bulk_length_at_configured_max_waits(small_bulk_server):
    conn = small_bulk_server.raw()
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n")
    conn.assert_silent(0.3)
    conn.send(b"v" * MIB + b"\r\n")
    conn.expect(b"+OK\r\n", timeout=10)
    assert conn.cmd("STRLEN", "k") == MIB


@pytest.mark.keel_only
def test_o1_announced_size_reserves_no_resident_memory(server_factory):
    # 20 clients each announce a 512 MB bulk (the default maximum) and send nothing more.
    server = server_factory()
    rss_before = vm_rss(server.pid)
    conns = [server.raw() for _ in range(20)]
    for conn in conns:
        conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n")
    assert_all_silent(conns)
    growth = vm_rss(server.pid) - rss_before
    assert growth < 8 * MIB, f"RSS grew by {growth} bytes for announced sizes"
    assert RawConn(server.port).call("PING") == b"+PONG\r\n"


# ==== O2 ====

@pytest.mark.parametrize("count", [b"2147483647", b"1000000000", b"1048576"])
def test_o2_huge_multibulk_count_waits_without_reserving(server_factory, count):
    server = server_factory()
    rss_before = vm_rss(server.pid)
    conns = [server.raw() for _ in range(20)]
    for conn in conns:
        conn.send(b"*" + count + b"\r\n$4\r\nPING\r\n" + b"$1\r\nx\r\n" * 100)
    assert_all_silent(conns)
    growth = vm_rss(server.pid) - rss_before
    assert growth < 8 * MIB, f"RSS grew by {growth} bytes for 20 announced argument counts"
    assert RawConn(server.port).call("PING") == b"+PONG\r\n"


def test_o2_multibulk_count_past_int_max(server_factory):
    conn = server_factory().raw()
    conn.send(b"*2147483648\r\n$4\r\nPING\r\n", tolerate_close=True)
    conn.expect(b"-ERR Protocol error: invalid multibulk length\r\n")
    conn.assert_closed()


# ==== O3 ====

O3_SIZES = [1024, 8191, 8192, 8193, 16383, 16384, 16385, MIB]


@pytest.fixture(scope="module")
def big_server(tmp_path_factory):
    from conftest import Server
    server = Server(tmp_path_factory.mktemp("o3"), ["--maxmemory", "256mb"], name="o3")
    yield server
    server.stop()


def _value(size: int, salt: int) -> bytes:
    block = bytes((index * 31 + salt) % 256 for index in range(4099))
    return (block * (size // len(block) + 1))[:size]


@pytest.mark.parametrize("size", O3_SIZES)
def test_o3_big_argument_sizes(big_server, size):
    conn = big_server.raw(timeout=30)
    for salt, chunk in enumerate([65536, 1]):
        if chunk == 1 and size > 16385:
            continue  # one byte per send for the input-buffer boundaries only
        value = _value(size, salt)
        request = resp_encode("SET", b"k%d" % size, value)
        conn.send_split(request, chunk=chunk)
        conn.expect(b"+OK\r\n", timeout=30)
        conn.send(resp_encode("GET", b"k%d" % size))
        conn.expect(b"$%d\r\n" % size + value + b"\r\n", timeout=30)
    assert conn.call("DEL", b"k%d" % size) == b":1\r\n"


def test_o3_64mb_value_counted_once(big_server):
    conn = big_server.raw(timeout=60)
    value = os.urandom(64 * MIB)
    hwm_before = vm_hwm(big_server.pid)
    conn.send_split(resp_encode("SET", "big", value), chunk=65536)
    conn.expect(b"+OK\r\n", timeout=60)
    growth = vm_hwm(big_server.pid) - hwm_before
    assert growth < 1.5 * len(value), f"peak RSS grew by {growth} for a {len(value)} value"
    for offset in range(0, len(value), 8 * MIB):
        conn.send(resp_encode("GETRANGE", "big", offset, offset + 8 * MIB - 1))
        conn.expect(b"$%d\r\n" % (8 * MIB), timeout=30)
        assert conn.read_exact(8 * MIB, timeout=30) == value[offset:offset + 8 * MIB]
        conn.expect(b"\r\n")
    assert conn.call("DEL", "big") == b":1\r\n"


# ==== O4 ====

def test_o4_bulk_past_query_buffer_limit_sent_slowly(server_factory):
    server = server_factory("--client-query-buffer-limit", "1mb")
    conn = server.raw()
    conn.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2097152\r\n")
    sent = 0
    while sent < 2 * MIB:
        try:
            conn.sock.sendall(b"b" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += 65536
        time.sleep(0.005)
    data, closed = conn.read_until_close(3.0)
    assert closed and data == b"", (len(data), data[:100], closed)
    assert sent < 2 * MIB, "the whole over-limit bulk was accepted"
    other = server.raw()
    assert other.call("EXISTS", "k") == b":0\r\n"
    if not ORACLE:  # Redis 7.0 has no such INFO field
        assert int(info(server.port, "stats")["client_query_buffer_limit_disconnections"]) == 1


def test_o4_pipeline_without_reading_is_served_in_order(server_factory):
    server = server_factory()
    count = 40_000  # about 1 MB of INCR commands
    request = resp_encode("INCR", "counter") * count
    assert len(request) > MIB - 200_000
    conn = server.raw(timeout=60)
    probe = PingLoop(server.port)
    sender = threading.Thread(target=conn.sock.sendall, args=(request,))
    sender.start()
    time.sleep(0.5)  # the client reads nothing while the server answers
    expected = b"".join(b":%d\r\n" % n for n in range(1, count + 1))
    conn.expect(expected, timeout=60)
    sender.join(30)
    samples = probe.stop()
    assert conn.call("GET", "counter") == b"$5\r\n40000\r\n"
    assert_p99_below(samples, 0.05)


# ==== O5 ====

def _fill_until_oom(conn: RawConn) -> int:
    """SETs unique keys with 4 KB, then 256-byte, then 16-byte values until each size is
    refused twice in a row: the budget is then full to within a few bytes."""
    stored = 0
    for size in (4096, 256, 16):
        refused_in_a_row = 0
        batch = 0
        while refused_in_a_row < 2:
            assert batch < 5000, "no -OOM"
            replies = pipeline(conn, [("SET", f"fill:{size}:{batch}:{n}", b"f" * size)
                                      for n in range(50)])
            batch += 1
            for reply in replies:
                if reply == b"+OK\r\n":
                    stored += 1
                    refused_in_a_row = 0
                else:
                    assert reply == OOM, reply
                    refused_in_a_row += 1
    return stored


BIG = "g" * (2 * MIB)
# Most need megabytes; the last few need a few bytes.
GROWTH_COMMANDS = [
    ("SETRANGE", "str", str(8 * MIB - 1), "x"),
    ("SETBIT", "str", "4294967295", "1"),
    ("APPEND", "str", BIG),
    ("SET", "new", BIG),
    ("MSET", "new1", BIG, "new2", BIG),
    ("SETEX", "newex", "100", BIG),
    ("GETSET", "str", BIG),
    ("LPUSH", "list", *["element:%06d" % n for n in range(100_000)]),
    ("LINSERT", "list", "BEFORE", "e0", BIG),
    ("SADD", "set", *["member:%06d" % n for n in range(100_000)]),
    ("HSET", "hash", *["field:%06d" % (n // 2) for n in range(100_000)]),
    ("ZADD", "zset", *[str(n // 2) if n % 2 == 0 else "zmember:%06d" % n
                       for n in range(100_000)]),
    ("SUNIONSTORE", "union", "set", "set2"),
    ("SINTERSTORE", "inter", "set", "set"),
    ("SORT", "set", "ALPHA", "STORE", "sorted"),
    ("BITOP", "OR", "bitsout", "bigstr", "bigstr"),
    ("BITFIELD", "bits", "SET", "u8", "4294967288", "1"),
    ("COPY", "set", "setcopy"),
    ("COPY", "bigstr", "bigcopy"),
    ("INCR", "newcounter"),
    ("RPUSH", "newlist", "a"),
    ("HINCRBY", "hash", "newfield", "1"),
    ("LMOVE", "list", "newlist2", "LEFT", "RIGHT"),
    ("SET", "str", "short"),
]


def test_o5_growth_commands_when_full(server_factory):
    server = server_factory("--maxmemory", "16mb", "--maxmemory-policy", "noeviction")
    conn = server.raw(timeout=30)
    setup = [("SET", "str", "s" * 100), ("SET", "bigstr", "b" * (2 * MIB)),
             ("RPUSH", "list", *["e%d" % n for n in range(5000)]),
             ("SADD", "set", *["m%06d" % n for n in range(50_000)]),
             ("SADD", "set2", *["n%06d" % n for n in range(50_000)]),
             ("HSET", "hash", "a", "1"), ("ZADD", "zset", "1", "a", "2", "b"),
             ("SETBIT", "bits", "7", "1"),
             ("SET", "lcs1", "l" * 100_000), ("SET", "lcs2", "m" * 100_000)]
    for reply in pipeline(conn, setup):
        assert not reply.startswith(b"-"), reply
    _fill_until_oom(conn)
    # Redis lets a command overshoot once used memory is back under the limit (its own
    # client buffers come and go by megabytes), so the limit is then lowered well under
    # what is used: on both servers every command that may grow the dataset is refused.
    used = int(info(server.port, "memory")["used_memory"])
    assert conn.call("CONFIG", "SET", "maxmemory", str(used // 2)) == b"+OK\r\n"
    before = snapshot(conn)
    for command in GROWTH_COMMANDS:
        assert conn.call(*command) == OOM, command[:3]
    # LCS is read-only (not refused over maxmemory): on 100 KB strings its scratch table
    # (40 GB) is refused by Redis's proto-max-bulk-len rule, lowered here to 1 MB too.
    for limit in (None, "1mb"):
        if limit is not None:
            assert conn.call("CONFIG", "SET", "proto-max-bulk-len", limit) == b"+OK\r\n"
        for options in ((), ("LEN",), ("IDX", "WITHMATCHLEN")):
            assert conn.call("LCS", "lcs1", "lcs2", *options) == LCS_OVER_BULK_LIMIT, options
    assert snapshot(conn) == before
    # Reads and deletes still work.
    assert conn.call("GET", "str") == b"$100\r\n" + b"s" * 100 + b"\r\n"
    assert conn.cmd("LLEN", "list") == 5000
    assert conn.cmd("DEL", "set2") == 1


def _grow_until(conn: RawConn, port: int, key: str, prefix: str, fraction: float) -> int:
    """SADD / RPUSH batches of 5,000 to key until used_memory passes fraction of maxmemory."""
    limit = int(info(port, "memory")["maxmemory"])
    command = "RPUSH" if key.startswith("list") else "SADD"
    added = 0
    while int(info(port, "memory")["used_memory"]) < fraction * limit:
        assert added < 2_000_000
        members = ["%s:%07d" % (prefix, n) for n in range(added, added + 5000)]
        assert conn.cmd(command, key, *members) == (added + 5000 if command == "RPUSH"
                                                    else 5000)
        added += 5000
    return added


@pytest.mark.keel_only
def test_o5_results_that_do_not_fit_are_refused_whole(server_factory):
    # Like Redis, keel checks maxmemory before a command runs; a command whose result then
    # does not fit in the heap (maxmemory, plus 1/8 for size-class waste and one slab per
    # small class: 12.25 MB here) must answer -OOM and leave everything as it was: the
    # partial result is rolled back. s1 takes 85% of maxmemory, so no copy of it fits.
    server = server_factory("--maxmemory", "8mb", "--maxmemory-policy", "noeviction")
    conn = server.raw(timeout=60)
    _grow_until(conn, server.port, "s1", "member", 0.85)
    _grow_until(conn, server.port, "s2", "other", 0.92)
    assert conn.call("SET", "str", "abc") == b"+OK\r\n"
    assert conn.call("SET", "lcs1", "l" * 3000) == b"+OK\r\n"
    assert conn.call("SET", "lcs2", "m" * 3000) == b"+OK\r\n"
    before = snapshot(conn)
    refusals = [
        ("SETRANGE", "str", str(8 * MIB - 1), "x"),
        ("SETBIT", "str", "4294967295", "1"),
        ("SETBIT", "newbits", "4294967295", "1"),
        ("BITFIELD", "newbits", "SET", "u8", "4294967288", "1"),
        ("SUNIONSTORE", "union", "s1", "s2"),
        ("SINTERSTORE", "inter", "s1", "s1"),
        ("SDIFFSTORE", "diff", "s1", "s2"),
        ("COPY", "s1", "s1copy"),
        ("LPUSH", "newlist", *["x" * 16 + "%06d" % n for n in range(400_000)]),
    ]
    cheap = [("DBSIZE",), ("SCARD", "s1"), ("SCARD", "s2"), ("GET", "str"),
             ("EXISTS", "newbits", "union", "inter", "diff", "s1copy", "newlist")]
    cheap_before = pipeline(conn, cheap)
    for command in refusals:
        assert conn.call(*command, timeout=30) == OOM, command[:3]
        assert pipeline(conn, cheap) == cheap_before, command[:3]
    # LCS's 36 MB table (under proto-max-bulk-len, so Redis would malloc it) does not fit in
    # the heap: Redis's allocation-failure text for LCS, nothing held afterwards.
    used = info(server.port, "memory")["used_memory"]
    for options in ((), ("LEN",), ("IDX",)):
        assert conn.call("LCS", "lcs1", "lcs2", *options) == LCS_NO_MEMORY, options
    assert info(server.port, "memory")["used_memory"] == used
    assert pipeline(conn, cheap) == cheap_before
    assert snapshot(conn) == before
    # APPEND in a loop until refused: the value is intact at its last acknowledged size.
    chunk = b"a" * 65536
    length = 3
    for _ in range(200):
        reply = conn.call("APPEND", "str", chunk)
        if reply == OOM:
            break
        length += len(chunk)
        assert reply == b":%d\r\n" % length
    else:
        raise AssertionError("APPEND never refused")
    assert conn.cmd("STRLEN", "str") == length
    assert conn.cmd("GETRANGE", "str", 0, 9) == b"abc" + b"a" * 7
    assert vm_hwm(server.pid) <= plan_total(server.port) + 16 * MIB


# ==== O6 ====

O6_CASES = [
    ("SRANDMEMBER", "s", "-9223372036854775808"),
    ("HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"),
    ("HRANDFIELD", "h", "-9223372036854775808"),
    ("ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"),
    ("ZRANDMEMBER", "z", "-9223372036854775808"),
    ("ZRANDMEMBER", "z", "9223372036854775807", "WITHSCORES"),
    ("GETRANGE", "k", "-9223372036854775808", "9223372036854775807"),
    ("EXPIRE", "k", "9223372036854775807"),
    ("PEXPIRE", "k", "9223372036854775807"),
    ("EXPIREAT", "k", "9223372036854775807"),
    ("GETEX", "k", "EX", "9223372036854775807"),
    ("SET", "k2", "v", "PX", "9223372036854775807"),
    ("INCR", "max"), ("INCRBY", "max", "1"), ("DECR", "min"),
    ("DECRBY", "zero", "-9223372036854775808"),
    ("MSETNX", "dup", "1", "dup", "2"), ("GET", "dup"),
    ("HINCRBYFLOAT", "hf", "f", "+inf"), ("HINCRBYFLOAT", "hf", "f", "nan"),
    ("HINCRBYFLOAT", "hf", "f", "1e308"), ("HINCRBYFLOAT", "hf", "f", "1e308"),
    ("HINCRBYFLOAT", "hf", "f", "1e308"), ("HGETALL", "hf"),
    ("INCRBYFLOAT", "fk", "1e308"), ("INCRBYFLOAT", "fk", "1e308"),
    ("INCRBYFLOAT", "fk", "1e308"), ("GET", "fk"),
    ("SETRANGE", "K", "9223372036854775807", "A"), ("SETRANGE", "K", "2147483647", "A"),
    ("LRANGE", "biglist", "-9223372036854775808", "9223372036854775807"),
    ("LRANGE", "biglist", "0", "-1"),
    ("LINDEX", "biglist", "-9223372036854775808"),
    ("LPOS", "biglist", "e1", "RANK", "-9223372036854775808"),
    ("SORT_RO", "biglist", "BY", "nosort", "LIMIT", "2", "9223372036854775807"),
    ("SORT_RO", "biglist", "BY", "nosort", "LIMIT", "-9223372036854775808", "3"),
    ("BITCOUNT", "k", "-9223372036854775808", "9223372036854775807"),
    ("BITPOS", "k", "1", "-9223372036854775808", "9223372036854775807"),
    ("ZRANGE", "z", "-9223372036854775808", "9223372036854775807"),
    ("SCAN", "18446744073709551616"),
    ("LPOP", "biglist", "9223372036854775807"),
    ("ZPOPMIN", "z", "9223372036854775807"),
    ("SINTERCARD", "1", "s", "LIMIT", "-1"),
    ("ZMPOP", "1", "z", "MIN", "COUNT", "-1"),
    ("HRANDFIELD", "h", "9223372036854775807"),
]


def test_o6_huge_counts_and_ranges(server_factory):
    setup = [("SADD", "s", "a", "b", "c"), ("HSET", "h", "f", "v", "g", "w"),
             ("ZADD", "z", "1", "a", "2", "b"), ("SET", "k", "hello"),
             ("SET", "max", "9223372036854775807"), ("SET", "min", "-9223372036854775808"),
             ("SET", "zero", "0"), ("RPUSH", "biglist", *["e%d" % n for n in range(20000)])]
    conn = server_factory().raw(timeout=10)
    for reply in pipeline(conn, setup):
        assert not reply.startswith(b"-"), reply
    replies = []
    for command in O6_CASES:
        started = time.monotonic()
        reply = conn.call(*command)
        assert time.monotonic() - started < 1.0, command
        replies.append(reply)
    assert len(O6_EXPECTED) == len(O6_CASES)
    for command, reply, expected in zip(O6_CASES, replies, O6_EXPECTED):
        assert reply[:60] == expected, (command[:4], reply[:100])
    # A refused float increment leaves the value as it was (CVE-2023-28856, redis #11149).
    assert conn.call("HGET", "hf", "f") == conn.call("GET", "fk")
    assert conn.call("PING") == b"+PONG\r\n"


# The first 60 bytes of each reply, recorded from redis-server 7.0.15.
O6_EXPECTED = [
    b'-ERR value is out of range, value must between -922337203685',
    b'-ERR value is out of range, value must between -922337203685',
    b'-ERR value is out of range, value must between -922337203685',
    b'-ERR value is out of range\r\n',
    b'-ERR value is out of range, value must between -922337203685',
    b'-ERR value is out of range\r\n',
    b'$5\r\nhello\r\n',
    b"-ERR invalid expire time in 'expire' command\r\n",
    b"-ERR invalid expire time in 'pexpire' command\r\n",
    b"-ERR invalid expire time in 'expireat' command\r\n",
    b"-ERR invalid expire time in 'getex' command\r\n",
    b"-ERR invalid expire time in 'set' command\r\n",
    b'-ERR increment or decrement would overflow\r\n',
    b'-ERR increment or decrement would overflow\r\n',
    b'-ERR increment or decrement would overflow\r\n',
    b'-ERR decrement would overflow\r\n',
    b':1\r\n',
    b'$1\r\n2\r\n',
    b'-ERR value is NaN or Infinity\r\n',
    b'-ERR value is not a valid float\r\n',
    b'$308\r\n999999999999999999966858796558456456605600998474155672',
    b'$309\r\n199999999999999999993371759311691291321120199694831134',
    b'$309\r\n299999999999999999980312324956136937901326917154371513',
    b'*2\r\n$1\r\nf\r\n$309\r\n2999999999999999999803123249561369379013269',
    b'$308\r\n999999999999999999966858796558456456605600998474155672',
    b'$309\r\n199999999999999999993371759311691291321120199694831134',
    b'$309\r\n299999999999999999980312324956136937901326917154371513',
    b'$309\r\n299999999999999999980312324956136937901326917154371513',
    b'-ERR string exceeds maximum allowed size (proto-max-bulk-len',
    b'-ERR string exceeds maximum allowed size (proto-max-bulk-len',
    b'*20000\r\n$2\r\ne0\r\n$2\r\ne1\r\n$2\r\ne2\r\n$2\r\ne3\r\n$2\r\ne4\r\n$2\r\ne5\r\n$2\r\n',
    b'*20000\r\n$2\r\ne0\r\n$2\r\ne1\r\n$2\r\ne2\r\n$2\r\ne3\r\n$2\r\ne4\r\n$2\r\ne5\r\n$2\r\n',
    b'$-1\r\n',
    b':1\r\n',
    b'*19998\r\n$2\r\ne2\r\n$2\r\ne3\r\n$2\r\ne4\r\n$2\r\ne5\r\n$2\r\ne6\r\n$2\r\ne7\r\n$2\r\n',
    b'*3\r\n$2\r\ne0\r\n$2\r\ne1\r\n$2\r\ne2\r\n',
    b':21\r\n',
    b':1\r\n',
    b'*2\r\n$1\r\na\r\n$1\r\nb\r\n',
    b'-ERR invalid cursor\r\n',
    b'*20000\r\n$2\r\ne0\r\n$2\r\ne1\r\n$2\r\ne2\r\n$2\r\ne3\r\n$2\r\ne4\r\n$2\r\ne5\r\n$2\r\n',
    b'*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n',
    b"-ERR LIMIT can't be negative\r\n",
    b'-ERR count should be greater than 0\r\n',
    b'*2\r\n$1\r\nf\r\n$1\r\ng\r\n',
]


# ==== O7 ====

O7_PATTERNS = [
    ("stars_then_b", "a*" * 20 + "b", "none"),
    ("star_question_50000", "*?" * 50000, "any"),
    ("star_a_40000", "*a" * 40000, "any"),
    ("stars_100000", "*" * 100000, "all"),
    ("class_10000", "[" + "".join(chr(48 + n % 70) for n in range(10000)) + "]*", "all"),
    ("nested_classes", "[a-" * 3000 + "]*", "any"),
    ("backslashes", "\\" * 100001, "any"),
]


@pytest.mark.parametrize("pattern,expect", [row[1:] for row in O7_PATTERNS],
                         ids=[row[0] for row in O7_PATTERNS])
def test_o7_pattern_dos(shared_server, r, pattern, expect):
    conn = shared_server.raw(timeout=10)
    keys = {b"a" * 40, b"a" * 50000}
    for key in keys:
        assert conn.call("SET", key, "v") == b"+OK\r\n"
    started = time.monotonic()
    found = conn.cmd("KEYS", pattern)
    cursor, scanned = b"0", []
    for _ in range(100):
        cursor, batch = conn.cmd("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
        scanned += batch
        if cursor == b"0":
            break
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"{elapsed:.2f} s"
    assert isinstance(found, list) and set(found) <= keys
    assert sorted(found) == sorted(set(scanned))
    if expect == "none":
        assert found == []
    elif expect == "all":
        assert set(found) == keys
    assert conn.call("PING") == b"+PONG\r\n"
