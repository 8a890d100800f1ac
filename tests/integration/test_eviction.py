"""
maxmemory-policy (RELIABILITY.md M3/M4): writes never fail while evictable keys
exist, evicted_keys grows, each policy removes only the keys it may (volatile-*
never touches keys without a TTL), LRU and LFU keep the keys in use, and
lowering maxmemory at run time evicts down to it. The same tests run against
redis-server configured the same way (memory figures differ, behaviour not).
"""
import time

import pytest

from conftest import RawConn

OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
VALUE = b"v" * 100


def info(conn: RawConn, section: str) -> dict:
    text = conn.cmd("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def pipeline(conn: RawConn, commands) -> list:
    from conftest import resp_encode
    conn.send(b"".join(resp_encode(*command) for command in commands))
    return [conn.read_reply(timeout=30)[0] for _ in commands]


def fill(conn: RawConn, prefix: str, count: int, ttl: bool = False) -> list:
    replies = []
    for start in range(0, count, 500):
        batch = [("SET", f"{prefix}:{index}", VALUE) + (("EX", "10000") if ttl else ())
                 for index in range(start, min(start + 500, count))]
        replies += pipeline(conn, batch)
    return replies


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu", "allkeys-random"])
def test_allkeys_policies_never_refuse(server_factory, policy):
    server = server_factory("--maxmemory", "8mb", "--maxmemory-policy", policy)
    conn = server.raw()
    replies = fill(conn, "key", 150_000)  # about 3 times the budget
    assert set(replies) == {b"+OK\r\n"}
    stats = info(conn, "stats")
    assert int(stats["evicted_keys"]) > 50_000
    assert 0 < conn.cmd("DBSIZE") < 150_000
    memory = info(conn, "memory")
    assert int(memory["used_memory"]) <= 8 * 1024 * 1024 + 64 * 1024


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policies_spare_keys_without_ttl(server_factory, policy):
    server = server_factory("--maxmemory", "8mb", "--maxmemory-policy", policy)
    conn = server.raw()
    assert set(fill(conn, "keep", 10_000)) == {b"+OK\r\n"}
    replies = fill(conn, "ttl", 120_000, ttl=True)
    assert set(replies) == {b"+OK\r\n"}
    assert int(info(conn, "stats")["evicted_keys"]) > 0
    # Every key without a TTL is still there.
    for start in range(0, 10_000, 1000):
        counts = pipeline(conn, [("EXISTS", f"keep:{index}")
                                 for index in range(start, start + 1000)])
        assert set(counts) == {b":1\r\n"}


def test_volatile_policy_with_nothing_to_evict_answers_oom(server_factory):
    server = server_factory("--maxmemory", "4mb", "--maxmemory-policy", "volatile-lru")
    conn = server.raw()
    replies = fill(conn, "keep", 80_000)
    assert OOM in replies
    first_oom = replies.index(OOM)
    # Everything acknowledged before the first -OOM reads back.
    for start in range(0, first_oom, 1000):
        values = pipeline(conn, [("GET", f"keep:{index}")
                                 for index in range(start, min(start + 1000, first_oom))])
        assert set(values) == {b"$100\r\n" + VALUE + b"\r\n"}


@pytest.mark.parametrize("policy", ["volatile-lru", "volatile-lfu", "volatile-random",
                                    "volatile-ttl"])
def test_volatile_policy_finds_a_rare_key_with_ttl(server_factory, policy):
    # One key with a TTL among tens of thousands without: filling the budget
    # evicts it (Redis samples only keys with a TTL) before answering -OOM.
    server = server_factory("--maxmemory", "8mb", "--maxmemory-policy", policy)
    conn = server.raw()
    assert pipeline(conn, [("SET", "volatile", "x", "EX", "1000")]) == [b"+OK\r\n"]
    # Small batches, stopping at the first -OOM: by then the volatile key must be gone
    # (random draws alone would miss it and answer -OOM with it still there).
    for start in range(0, 200_000, 50):
        replies = pipeline(conn, [("SET", f"keep:{index}", VALUE)
                                  for index in range(start, start + 50)])
        if OOM in replies:
            break
    assert OOM in replies
    assert pipeline(conn, [("EXISTS", "volatile")]) == [b":0\r\n"]
    assert int(info(conn, "stats")["evicted_keys"]) == 1


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_recently_used_keys_survive(server_factory, policy):
    server = server_factory("--maxmemory", "8mb", "--maxmemory-policy", policy,
                            "--maxmemory-samples", "10")
    conn = server.raw()
    fill(conn, "hot", 1000)
    # The LRU clock counts seconds (as Redis's), so the rounds span a few seconds.
    for round_index in range(16):
        fill(conn, f"cold{round_index}", 8000)
        for start in range(0, 1000, 500):
            pipeline(conn, [("GET", f"hot:{index}") for index in range(start, start + 500)])
        time.sleep(0.25)
    alive = pipeline(conn, [("EXISTS", f"hot:{index}") for index in range(1000)])
    survivors = alive.count(b":1\r\n")
    assert survivors > 800, survivors


def test_lowering_maxmemory_evicts_down(server_factory):
    server = server_factory("--maxmemory", "16mb", "--maxmemory-policy", "allkeys-random")
    conn = server.raw()
    fill(conn, "key", 60_000)
    assert conn.call("CONFIG", "SET", "maxmemory", "4mb") == b"+OK\r\n"
    deadline = time.monotonic() + 5
    while int(info(conn, "memory")["used_memory"]) > 4 * 1024 * 1024:
        assert time.monotonic() < deadline
        conn.call("PING")
        time.sleep(0.05)
    assert int(info(conn, "stats")["evicted_keys"]) > 0


def test_object_freq_counts_accesses_under_lfu(server_factory):
    server = server_factory("--maxmemory-policy", "allkeys-lfu")
    conn = server.raw()
    conn.call("SET", "k", "v")
    start = conn.cmd("OBJECT", "FREQ", "k")
    for _ in range(200):
        conn.call("GET", "k")
    assert conn.cmd("OBJECT", "FREQ", "k") > start
