"""Blocking commands: BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN, BZPOPMAX, BZMPOP.

Replies are compared byte for byte (raw sockets) with Redis 7.0.15's; every test
but the keel_only ones also passes against redis-server. Clients block in a
known order by waiting, after each blocking command, until INFO counts it
(blocked_clients), so first-come-first-served is observable.
"""
import threading
import time

import pytest
import redis

NULL_ARRAY = b"*-1\r\n"
NULL_BULK = b"$-1\r\n"
WRONGTYPE = b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
NOT_FLOAT = b"-ERR timeout is not a float or out of range\r\n"
NEGATIVE = b"-ERR timeout is negative\r\n"
SYNTAX = b"-ERR syntax error\r\n"
NUMKEYS = b"-ERR numkeys should be greater than 0\r\n"
COUNT = b"-ERR count should be greater than 0\r\n"


def bulk(item) -> bytes:
    if isinstance(item, str):
        item = item.encode()
    return b"$%d\r\n%s\r\n" % (len(item), item)


def array(*items) -> bytes:
    out = b"*%d\r\n" % len(items)
    for item in items:
        out += item if isinstance(item, bytes) and item[:1] in (b"*", b"$") else bulk(item)
    return out


def resp(*args) -> bytes:
    out = b"*%d\r\n" % len(args)
    for arg in args:
        out += bulk(arg if isinstance(arg, (bytes, str)) else str(arg))
    return out


def blocked_count(r) -> int:
    return int(r.info("clients")["blocked_clients"])


def wait_blocked(r, count: int, timeout: float = 3.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if blocked_count(r) == count:
            return
        time.sleep(0.005)
    raise AssertionError(f"blocked_clients never reached {count} (now {blocked_count(r)})")


def block(server, r, *args, expect_blocked: int):
    """Sends a blocking command on a new raw connection and waits until it is blocked."""
    conn = server.raw()
    conn.send(resp(*args))
    wait_blocked(r, expect_blocked)
    return conn


# ==== Immediate service: the non-blocking form's answer ====

def test_immediate_list_pops(raw):
    raw.call("RPUSH", "l", "a", "b", "c", "d")
    assert raw.call("BLPOP", "missing", "l", "0") == array("l", "a")
    assert raw.call("BRPOP", "l", "missing", "0") == array("l", "d")
    assert raw.call("BLMOVE", "l", "t", "LEFT", "RIGHT", "0") == bulk("b")
    assert raw.call("BRPOPLPUSH", "l", "t", "0") == bulk("c")
    assert raw.call("LRANGE", "t", "0", "-1") == array("c", "b")
    assert raw.call("EXISTS", "l") == b":0\r\n"
    raw.call("RPUSH", "m", "1", "2", "3")
    assert raw.call("BLMPOP", "0", "2", "missing", "m", "RIGHT", "COUNT", "2") == \
        b"*2\r\n" + bulk("m") + array("3", "2")
    assert raw.call("BLMPOP", "0", "1", "m", "LEFT") == b"*2\r\n" + bulk("m") + array("1")
    assert raw.call("EXISTS", "m") == b":0\r\n"


def test_immediate_zset_pops(raw):
    raw.call("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
    assert raw.call("BZPOPMIN", "missing", "z", "0") == array("z", "a", "1")
    assert raw.call("BZPOPMAX", "z", "0") == array("z", "d", "4")
    assert raw.call("BZMPOP", "0", "1", "z", "MAX", "COUNT", "5") == \
        b"*2\r\n" + bulk("z") + b"*2\r\n" + array("c", "3") + array("b", "2")
    assert raw.call("EXISTS", "z") == b":0\r\n"
    raw.call("ZADD", "y", "1.5", "m")
    assert raw.call("BZMPOP", "0", "2", "missing", "y", "MIN") == \
        b"*2\r\n" + bulk("y") + b"*1\r\n" + array("m", "1.5")


def test_immediate_wrongtype(raw):
    raw.call("SET", "s", "x")
    assert raw.call("BLPOP", "s", "0") == WRONGTYPE
    assert raw.call("BLPOP", "missing", "s", "0") == WRONGTYPE
    assert raw.call("BRPOP", "s", "0") == WRONGTYPE
    assert raw.call("BZPOPMIN", "s", "0") == WRONGTYPE
    assert raw.call("BZPOPMAX", "missing", "s", "0") == WRONGTYPE
    assert raw.call("BLMOVE", "s", "t", "LEFT", "LEFT", "0") == WRONGTYPE
    assert raw.call("BRPOPLPUSH", "s", "t", "0") == WRONGTYPE
    assert raw.call("BLMPOP", "0", "2", "missing", "s", "LEFT") == WRONGTYPE
    assert raw.call("BZMPOP", "0", "2", "missing", "s", "MIN") == WRONGTYPE
    raw.call("RPUSH", "l", "1")
    assert raw.call("BLMOVE", "l", "s", "LEFT", "LEFT", "0") == WRONGTYPE
    assert raw.call("BRPOPLPUSH", "l", "s", "0") == WRONGTYPE
    assert raw.call("LLEN", "l") == b":1\r\n"
    # A list key first answers before a wrong-typed key later in the list.
    assert raw.call("BLPOP", "l", "s", "0") == array("l", "1")


# ==== Errors ====

@pytest.mark.parametrize("timeout,expected", [
    ("-1", NEGATIVE), ("abc", NOT_FLOAT), ("", NOT_FLOAT), (" 1", NOT_FLOAT),
    ("1 ", NOT_FLOAT), ("nan", NOT_FLOAT), ("inf", NEGATIVE), ("-inf", NEGATIVE),
    ("1e400", NEGATIVE), ("1e18", NEGATIVE), ("9223372036854775807", NEGATIVE),
    ("-9223372036854775808", NEGATIVE), ("-0.5e-1", NEGATIVE), ("1e-5000", NOT_FLOAT),
])
def test_timeout_errors(raw, timeout, expected):
    for command in (("BLPOP", "k", timeout), ("BRPOP", "k", timeout),
                    ("BZPOPMIN", "k", timeout), ("BZPOPMAX", "k", timeout),
                    ("BLMOVE", "k", "t", "LEFT", "LEFT", timeout),
                    ("BRPOPLPUSH", "k", "t", timeout),
                    ("BLMPOP", timeout, "1", "k", "LEFT"), ("BZMPOP", timeout, "1", "k", "MIN")):
        assert raw.call(*command) == expected, command


def test_timeout_checked_first_even_with_data(raw):
    raw.call("RPUSH", "l", "a")
    assert raw.call("BLPOP", "l", "-1") == NEGATIVE
    assert raw.call("BLMPOP", "x", "1", "l", "LEFT") == NOT_FLOAT
    assert raw.call("LLEN", "l") == b":1\r\n"


def test_argument_errors(raw):
    cases = [
        (("BLMPOP", "0", "0", "k", "LEFT"), NUMKEYS),
        (("BLMPOP", "0", "x", "k", "LEFT"), NUMKEYS),
        (("BLMPOP", "0", "2", "k", "LEFT"), SYNTAX),
        (("BLMPOP", "0", "1", "k", "UP"), SYNTAX),
        (("BLMPOP", "0", "1", "k", "LEFT", "COUNT"), SYNTAX),
        (("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "0"), COUNT),
        (("BLMPOP", "0", "1", "k", "LEFT", "COUNT", "1", "COUNT", "1"), SYNTAX),
        (("BLMPOP", "-1", "1", "k", "LEFT", "COUNT", "0"), COUNT),
        (("BLMPOP", "-1", "1", "k", "LEFT"), NEGATIVE),
        (("BZMPOP", "0", "0", "k", "MIN"), NUMKEYS),
        (("BZMPOP", "0", "1", "k", "LEFT"), SYNTAX),
        (("BZMPOP", "0", "1", "k", "MIN", "COUNT", "-3"), COUNT),
        (("BZMPOP", "x", "1", "k", "MAX"), NOT_FLOAT),
        (("BLMOVE", "k", "t", "UP", "LEFT", "-1"), SYNTAX),
        (("BLMOVE", "k", "t", "LEFT", "DOWN", "0"), SYNTAX),
        (("BLPOP", "k"), b"-ERR wrong number of arguments for 'blpop' command\r\n"),
        (("BZPOPMIN", "k"), b"-ERR wrong number of arguments for 'bzpopmin' command\r\n"),
        (("BLMPOP", "0", "1", "k"), b"-ERR wrong number of arguments for 'blmpop' command\r\n"),
        (("BRPOPLPUSH", "k", "t"),
         b"-ERR wrong number of arguments for 'brpoplpush' command\r\n"),
        (("BLMOVE", "k", "t", "LEFT", "LEFT"),
         b"-ERR wrong number of arguments for 'blmove' command\r\n"),
    ]
    for command, expected in cases:
        assert raw.call(*command) == expected, command


# ==== Timeouts ====

def test_fractional_timeout(raw):
    start = time.monotonic()
    assert raw.call("BLPOP", "k", "0.2") == NULL_ARRAY
    elapsed = time.monotonic() - start
    assert 0.2 <= elapsed < 0.35, elapsed


def test_every_command_times_out_with_null_array(raw):
    for command in (("BLPOP", "a", "b", "0.05"), ("BRPOP", "a", "0.05"),
                    ("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.05"),
                    ("BRPOPLPUSH", "a", "b", "0.05"), ("BLMPOP", "0.05", "1", "a", "LEFT"),
                    ("BZPOPMIN", "a", "0.05"), ("BZPOPMAX", "a", "0.05"),
                    ("BZMPOP", "0.05", "2", "a", "b", "MAX", "COUNT", "3")):
        start = time.monotonic()
        assert raw.call(*command) == NULL_ARRAY, command
        assert time.monotonic() - start >= 0.05


def test_tiny_timeouts(shared_server, r):
    # Milliseconds are rounded up: 0.0001 s and 1e-400 s wait 1 ms...
    raw = shared_server.raw()
    assert raw.call("BLPOP", "k", "0.0001") == NULL_ARRAY
    assert raw.call("BLPOP", "k", "1e-400") == NULL_ARRAY
    # ... while -0.0001 s and -0.0009 s are 0, which means forever (as 0x0p0); a deadline
    # past the int64 range (the largest accepted timeout) never fires either.
    texts = ("-0.0001", "-0.0009", "0x0.0p0", "9223372036854775")
    conns = [block(shared_server, r, "BLPOP", "k", text, expect_blocked=index + 1)
             for index, text in enumerate(texts)]
    for conn in conns:
        conn.assert_silent(0.15)
    r.rpush("k", "1", "2", "3", "4")
    for conn, value in zip(conns, ("1", "2", "3", "4")):
        assert conn.read_reply()[0] == array("k", value)


def test_timeouts_in_order(shared_server, r):
    """Deadlines fire in deadline order, not in blocking order."""
    slow = block(shared_server, r, "BLPOP", "k", "0.4", expect_blocked=1)
    fast = block(shared_server, r, "BRPOP", "k", "0.1", expect_blocked=2)
    start = time.monotonic()
    assert fast.read_reply()[0] == NULL_ARRAY
    assert blocked_count(r) == 1
    assert slow.read_reply()[0] == NULL_ARRAY
    assert 0.2 < time.monotonic() - start < 0.6
    assert blocked_count(r) == 0


def test_blocked_client_not_idle_closed(server_factory):
    server = server_factory()
    admin = server.client()
    admin.config_set("timeout", "1")
    conn = server.raw()
    start = time.monotonic()
    assert conn.call("BLPOP", "k", "2.5", timeout=5) == NULL_ARRAY
    assert time.monotonic() - start >= 2.4
    assert conn.call("PING") == b"+PONG\r\n"


# ==== Wake-up ====

def test_fifo_among_three_waiters(shared_server, r):
    conns = [block(shared_server, r, "BLPOP", "k", "0", expect_blocked=n + 1) for n in range(3)]
    r.rpush("k", "a")
    assert conns[0].read_reply()[0] == array("k", "a")
    for conn in conns[1:]:
        conn.assert_silent(0.05)
    r.rpush("k", "b", "c")
    assert conns[1].read_reply()[0] == array("k", "b")
    assert conns[2].read_reply()[0] == array("k", "c")
    assert r.exists("k") == 0
    assert blocked_count(r) == 0


def test_one_push_serves_several_waiters(shared_server, r):
    first = block(shared_server, r, "BRPOP", "k", "0", expect_blocked=1)
    second = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=2)
    third = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=3)
    assert r.rpush("k", "a", "b") == 2  # the pusher sees the length before service
    assert first.read_reply()[0] == array("k", "b")
    assert second.read_reply()[0] == array("k", "a")
    third.assert_silent(0.05)
    assert blocked_count(r) == 1
    r.lpush("k", "c")
    assert third.read_reply()[0] == array("k", "c")


@pytest.mark.parametrize("wake", [
    lambda r: r.lpush("k", "v"),
    lambda r: r.rpush("k", "v"),
    lambda r: (r.rpush("src", "v"), r.lmove("src", "k", "LEFT", "RIGHT")),
    lambda r: (r.rpush("src", "v"), r.rpoplpush("src", "k")),
    lambda r: (r.rpush("src", "v"), r.rename("src", "k")),
    lambda r: (r.rpush("src", "v"), r.copy("src", "k")),
    lambda r: (r.rpush("src", "v"), r.sort("src", store="k", alpha=True)),
    lambda r: (r.set("k", "s"), r.rpush("src", "v"), r.rename("src", "k")),
], ids=["lpush", "rpush", "lmove", "rpoplpush", "rename", "copy", "sort_store",
        "rename_over_string"])
def test_list_wake_sources(shared_server, r, wake):
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    wake(r)
    assert conn.read_reply()[0] == array("k", "v")
    assert r.exists("k") == 0


def test_wake_by_move_and_swapdb(shared_server, r):
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    other = shared_server.client(db=1)
    other.rpush("k", "moved")
    assert other.move("k", 0) is True
    assert conn.read_reply()[0] == array("k", "moved")
    conn = block(shared_server, r, "BRPOP", "k", "0", expect_blocked=1)
    other.rpush("k", "swapped")
    r.swapdb(0, 1)
    assert conn.read_reply()[0] == array("k", "swapped")
    r.swapdb(0, 1)


@pytest.mark.parametrize("wake", [
    lambda r: r.zadd("z", {"m": 2}),
    lambda r: r.zincrby("z", 2, "m"),
    lambda r: (r.zadd("s1", {"m": 1}), r.zadd("s2", {"m": 1}), r.zunionstore("z", ["s1", "s2"])),
    lambda r: (r.zadd("s1", {"m": 2}), r.rename("s1", "z")),
], ids=["zadd", "zincrby", "zunionstore", "rename"])
def test_zset_wake_sources(shared_server, r, wake):
    conn = block(shared_server, r, "BZPOPMIN", "z", "0", expect_blocked=1)
    wake(r)
    assert conn.read_reply()[0] == array("z", "m", "2")


def test_zset_waiters_and_mpop(shared_server, r):
    low = block(shared_server, r, "BZPOPMIN", "z", "0", expect_blocked=1)
    high = block(shared_server, r, "BZPOPMAX", "z", "0", expect_blocked=2)
    many = block(shared_server, r, "BZMPOP", "0", "2", "q", "z", "MIN", "COUNT", "5",
                 expect_blocked=3)
    r.zadd("z", {"a": 1, "b": 2, "c": 3, "d": 4})
    assert low.read_reply()[0] == array("z", "a", "1")
    assert high.read_reply()[0] == array("z", "d", "4")
    assert many.read_reply()[0] == \
        b"*2\r\n" + bulk("z") + b"*2\r\n" + array("b", "2") + array("c", "3")
    assert r.exists("z") == 0


def test_multiple_keys_served_by_the_key_that_gets_data(shared_server, r):
    conn = block(shared_server, r, "BLPOP", "k1", "k2", "k3", "0", expect_blocked=1)
    r.rpush("k3", "x")
    assert conn.read_reply()[0] == array("k3", "x")
    # No longer waiting on k1: a push there stays.
    r.rpush("k1", "y")
    assert r.llen("k1") == 1
    conn = block(shared_server, r, "BLMPOP", "0", "3", "a", "b", "c", "RIGHT", "COUNT", "2",
                 expect_blocked=1)
    r.rpush("b", "1", "2", "3")
    assert conn.read_reply()[0] == b"*2\r\n" + bulk("b") + array("3", "2")
    assert r.lrange("b", 0, -1) == [b"1"]


def test_repeated_key_waits_once(shared_server, r):
    first = block(shared_server, r, "BLPOP", "k", "k", "k", "0", expect_blocked=1)
    second = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=2)
    r.rpush("k", "a", "b", "c")
    assert first.read_reply()[0] == array("k", "a")
    assert second.read_reply()[0] == array("k", "b")
    assert r.lrange("k", 0, -1) == [b"c"]


def test_blmove_chain_wakes_next_waiter(shared_server, r):
    mover = block(shared_server, r, "BLMOVE", "src", "dst", "RIGHT", "LEFT", "0",
                  expect_blocked=1)
    second = block(shared_server, r, "BRPOPLPUSH", "dst", "end", "0", expect_blocked=2)
    popper = block(shared_server, r, "BLPOP", "end", "0", expect_blocked=3)
    r.rpush("src", "v")
    assert mover.read_reply()[0] == bulk("v")
    assert second.read_reply()[0] == bulk("v")
    assert popper.read_reply()[0] == array("end", "v")
    assert r.exists("src", "dst", "end") == 0
    assert blocked_count(r) == 0


def test_blmove_to_wrongtype_destination(shared_server, r):
    conn = block(shared_server, r, "BLMOVE", "src", "dst", "LEFT", "LEFT", "0", expect_blocked=1)
    r.set("dst", "string")
    r.rpush("src", "v")
    assert conn.read_reply()[0] == WRONGTYPE
    assert r.lrange("src", 0, -1) == [b"v"]
    assert blocked_count(r) == 0


def test_blmove_same_key_rotates(shared_server, r):
    conn = block(shared_server, r, "BLMOVE", "k", "k", "LEFT", "RIGHT", "0", expect_blocked=1)
    r.rpush("k", "a")
    assert conn.read_reply()[0] == bulk("a")
    assert r.lrange("k", 0, -1) == [b"a"]


def test_retyped_or_deleted_key_keeps_client_blocked(shared_server, r):
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    zwaiter = block(shared_server, r, "BZPOPMIN", "k", "0", expect_blocked=2)
    r.set("k", "string")
    r.delete("k")
    r.hset("k", "f", "v")
    r.delete("k")
    conn.assert_silent(0.05)
    # A list serves the list waiter; the sorted-set waiter stays (Redis 7.0).
    r.rpush("k", "x")
    assert conn.read_reply()[0] == array("k", "x")
    zwaiter.assert_silent(0.05)
    assert blocked_count(r) == 1
    r.zadd("k", {"m": 1})
    assert zwaiter.read_reply()[0] == array("k", "m", "1")


def test_list_waiter_stays_blocked_when_key_becomes_zset(shared_server, r):
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    zwaiter = block(shared_server, r, "BZPOPMIN", "z", "0", expect_blocked=2)
    r.zadd("k", {"m": 1})
    conn.assert_silent(0.05)
    assert r.zcard("k") == 1
    r.delete("k")
    r.lpush("k", "v")
    assert conn.read_reply()[0] == array("k", "v")
    r.zadd("z", {"m": 1})
    assert zwaiter.read_reply()[0] == array("z", "m", "1")


def test_push_and_pop_in_one_transaction(shared_server, r):
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    pipe = r.pipeline(transaction=True)
    pipe.lpush("k", "a")
    pipe.lpush("k", "b")
    pipe.rpop("k")
    assert pipe.execute() == [1, 2, b"a"]
    # Served after EXEC: the last state, not the first push.
    assert conn.read_reply()[0] == array("k", "b")
    # A push and a pop of everything inside EXEC wakes no one.
    conn = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    pipe = r.pipeline(transaction=True)
    pipe.lpush("k", "c")
    pipe.lpop("k")
    assert pipe.execute() == [1, b"c"]
    conn.assert_silent(0.05)
    assert blocked_count(r) == 1


def test_blocking_commands_inside_multi_do_not_block(raw):
    raw.send(b"MULTI\r\nBLMOVE a b LEFT LEFT 0\r\nBRPOPLPUSH a b 0\r\nBLPOP a 0\r\n"
             b"BRPOP a 0\r\nBZPOPMIN a 0\r\nBZPOPMAX a 0\r\nBLMPOP 0 1 a LEFT\r\n"
             b"BZMPOP 0 1 a MIN\r\nBLPOP a -1\r\nEXEC\r\n")
    expected = b"+OK\r\n" + b"+QUEUED\r\n" * 9 + b"*9\r\n" + NULL_BULK * 2 + NULL_ARRAY * 6 + \
        NEGATIVE
    assert raw.read_exact(len(expected)) == expected
    raw.send(b"MULTI\r\nRPUSH a x\r\nBLPOP a 0\r\nEXEC\r\n")
    expected = b"+OK\r\n+QUEUED\r\n+QUEUED\r\n*2\r\n:1\r\n" + array("a", "x")
    assert raw.read_exact(len(expected)) == expected


# ==== Disconnects, pipelines, INFO ====

def test_disconnect_while_blocked(shared_server, r):
    gone = block(shared_server, r, "BLPOP", "k", "k2", "0", expect_blocked=1)
    stays = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=2)
    gone.close()
    wait_blocked(r, 1)
    r.rpush("k", "v")
    assert stays.read_reply()[0] == array("k", "v")
    r.rpush("k2", "w")
    assert r.lrange("k2", 0, -1) == [b"w"]
    # Closing many blocked clients at once leaves nothing behind.
    conns = [block(shared_server, r, "BZPOPMIN", "z%d" % (n % 3), "shared", "1000",
                   expect_blocked=n + 1) for n in range(10)]
    for conn in conns:
        conn.close()
    wait_blocked(r, 0)
    r.zadd("shared", {"m": 1})
    assert r.zcard("shared") == 1


def test_pipelined_commands_wait_for_the_blocked_one(shared_server, r):
    conn = shared_server.raw()
    conn.send(b"BLPOP k 0\r\nPING\r\nRPUSH k2 after\r\n")
    wait_blocked(r, 1)
    conn.assert_silent(0.1)
    assert r.exists("k2") == 0
    r.rpush("k", "v")
    expected = array("k", "v") + b"+PONG\r\n:1\r\n"
    assert conn.read_exact(len(expected)) == expected
    # A command sent while blocked also waits, then runs.
    conn.send(b"BRPOP k 0\r\n")
    wait_blocked(r, 1)
    conn.send(b"ECHO later\r\n")
    conn.assert_silent(0.1)
    r.rpush("k", "w")
    expected = array("k", "w") + bulk("later")
    assert conn.read_exact(len(expected)) == expected
    # A timeout also resumes the pipeline.
    conn.send(b"BLPOP k 0.05\r\nECHO next\r\n")
    expected = NULL_ARRAY + bulk("next")
    assert conn.read_exact(len(expected)) == expected


def test_info_counts_blocked_clients(shared_server, r):
    assert blocked_count(r) == 0
    a = block(shared_server, r, "BLPOP", "k", "0", expect_blocked=1)
    b = block(shared_server, r, "BZPOPMIN", "z", "10", expect_blocked=2)
    info = r.info("clients")
    assert info["blocked_clients"] == 2
    assert info["clients_in_timeout_table"] == 1
    a.close()
    b.close()
    wait_blocked(r, 0)
    assert r.info("clients")["clients_in_timeout_table"] == 0


def test_threads_with_redis_py(shared_server, r):
    results = {}

    def worker(name, key):
        client = shared_server.client()
        results[name] = client.blpop([key], timeout=5)
        client.close()

    threads = [threading.Thread(target=worker, args=("w%d" % n, "q%d" % (n % 2)))
               for n in range(4)]
    for thread in threads:
        thread.start()
    wait_blocked(r, 4)
    r.rpush("q0", "a", "b")
    r.rpush("q1", "c", "d")
    for thread in threads:
        thread.join(5)
    assert sorted(results.values()) == [(b"q0", b"a"), (b"q0", b"b"), (b"q1", b"c"),
                                        (b"q1", b"d")]
    assert blocked_count(r) == 0


def test_resp3_like_clients_unaffected_by_other_db(shared_server, r):
    """A waiter in db 1 is not served by a push to the same key in db 0."""
    conn = shared_server.raw()
    assert conn.call("SELECT", "1") == b"+OK\r\n"
    conn.send(resp("BLPOP", "k", "0"))
    wait_blocked(r, 1)
    r.rpush("k", "db0")
    conn.assert_silent(0.05)
    shared_server.client(db=1).rpush("k", "db1")
    assert conn.read_reply()[0] == array("k", "db1")
    assert r.lrange("k", 0, -1) == [b"db0"]


# ==== keel's limits ====

@pytest.mark.keel_only
def test_many_keys_past_the_input_pool(server_factory):
    """Waiters live in the input heap: a command with more keys than it can hold
    answers -OOM and does not block (nothing is left behind); smaller ones block
    and are served. Where exactly the heap runs out depends on its pages'
    fragmentation, so the test brackets the limit."""
    server = server_factory("--input-pool-size", "1mb")
    admin = server.client()
    admin.ping()
    conn = server.raw()
    oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    too_many = ["k%d" % n for n in range(9000)]
    for _ in range(3):
        assert conn.call("BLPOP", *too_many, "0") == oom
        assert blocked_count(admin) == 0
    fits = ["k%d" % n for n in range(1000)]
    for round_index in range(3):
        conn.send(resp("BLPOP", *fits, "0"))
        wait_blocked(admin, 1)
        admin.rpush("k999", "v%d" % round_index)
        assert conn.read_reply()[0] == array("k999", "v%d" % round_index)
    assert conn.call("PING") == b"+PONG\r\n"
    assert int(admin.info("stats").get("allocations_after_ready", 0)) == 0


@pytest.mark.keel_only
def test_every_client_slot_blocked(server_factory):
    """The blocking pool has one unit per client slot: all of maxclients can block."""
    server = server_factory("--maxclients", "20")
    admin = server.client()
    admin.ping()
    conns = []
    for n in range(19):
        conn = server.raw()
        conn.send(resp("BLPOP", "k", "100" if n % 2 else "0"))
        conns.append(conn)
        wait_blocked(admin, n + 1)
    refused = server.raw()
    assert refused.read_until_close(1.0)[0] == b"-ERR max number of clients reached\r\n"
    admin.rpush("k", *[str(n) for n in range(19)])
    for n, conn in enumerate(conns):
        assert conn.read_reply()[0] == array("k", str(n))


def test_client_unblock(shared_server, r):
    conn = shared_server.raw()
    client_id = conn.cmd("CLIENT", "ID")
    conn.send(resp("BLPOP", "k", "0") + resp("PING"))
    wait_blocked(r, 1)
    assert r.execute_command("CLIENT", "UNBLOCK", client_id) == 1
    assert conn.read_exact(len(NULL_ARRAY + b"+PONG\r\n")) == NULL_ARRAY + b"+PONG\r\n"
    assert r.execute_command("CLIENT", "UNBLOCK", client_id) == 0
    conn.send(resp("BZMPOP", "0", "1", "z", "MIN"))
    wait_blocked(r, 1)
    assert r.execute_command("CLIENT", "UNBLOCK", client_id, "ERROR") == 1
    assert conn.read_reply()[0] == b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    assert blocked_count(r) == 0
    r.zadd("z", {"m": 1})
    assert r.zcard("z") == 1


def test_disconnect_with_pipelined_input_while_blocked(shared_server, r):
    """A client gone with commands still queued behind its blocked one is noticed too
    (keel: by the cron, within 1/hz s) and never gets an element."""
    conn = shared_server.raw()
    conn.send(resp("BLPOP", "k", "0") + resp("PING") + resp("GET", "x"))
    wait_blocked(r, 1)
    conn.close()
    wait_blocked(r, 0, timeout=2.0)
    r.rpush("k", "kept")
    assert r.lrange("k", 0, -1) == [b"kept"]


def test_keys_served_in_signal_order_after_exec(shared_server, r):
    """Redis 7.0 serves the ready keys in the order they got data, not the command's order."""
    first = block(shared_server, r, "BLPOP", "a", "b", "0", expect_blocked=1)
    second = block(shared_server, r, "BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "9",
                   expect_blocked=2)
    pipe = r.pipeline(transaction=True)
    pipe.rpush("b", "b1", "b2")
    pipe.rpush("a", "a1", "a2")
    pipe.execute()
    assert first.read_reply()[0] == array("b", "b1")
    assert second.read_reply()[0] == b"*2\r\n" + bulk("b") + array("b2")
    assert r.lrange("a", 0, -1) == [b"a1", b"a2"]
