"""
MEMORY USAGE / STATS / DOCTOR / HELP (shape and exact errors, against
redis-server too), and keel's own figures: sizes that follow the data, and
INFO memory fields a Redis user reads.
"""
import os

import pytest

from conftest import RawConn


def test_memory_usage_errors_and_missing_key(raw):
    raw.call("SET", "foo", "bar")
    assert raw.call("MEMORY", "USAGE", "nokey") == b"$-1\r\n"
    assert raw.call("MEMORY", "USAGE", "foo", "SAMPLES") == b"-ERR syntax error\r\n"
    assert raw.call("MEMORY", "USAGE", "foo", "SAMPLES", "x") == (
        b"-ERR value is not an integer or out of range\r\n")
    assert raw.call("MEMORY", "USAGE", "foo", "BOGUS", "1") == b"-ERR syntax error\r\n"
    assert raw.call("MEMORY", "USAGE") == (
        b"-ERR wrong number of arguments for 'memory|usage' command\r\n")
    assert raw.call("MEMORY", "NOSUCH") == (
        b"-ERR unknown subcommand 'NOSUCH'. Try MEMORY HELP.\r\n")
    assert isinstance(raw.cmd("MEMORY", "USAGE", "foo", "SAMPLES", "0"), int)


def test_memory_usage_grows_with_the_value(raw):
    raw.call("SET", "small", "x")
    raw.call("SET", "large", "x" * 100_000)
    small = raw.cmd("MEMORY", "USAGE", "small")
    large = raw.cmd("MEMORY", "USAGE", "large")
    assert 0 < small < 100
    assert 100_000 <= large < 120_000


def test_memory_help_and_doctor(raw):
    lines = raw.cmd("MEMORY", "HELP")
    assert lines[0].startswith(b"MEMORY <subcommand>")
    assert any(line.startswith(b"USAGE <key>") for line in lines)
    assert isinstance(raw.cmd("MEMORY", "DOCTOR"), bytes)
    assert raw.call("MEMORY", "PURGE") == b"+OK\r\n"


def test_memory_stats_fields(raw):
    raw.call("SET", "k", "v")
    stats = raw.cmd("MEMORY", "STATS")
    names = stats[0::2]
    for field in (b"peak.allocated", b"total.allocated", b"startup.allocated",
                  b"keys.count", b"keys.bytes-per-key", b"dataset.bytes"):
        assert field in names, field


@pytest.mark.keel_only
def test_memory_stats_size_classes_account_for_pages(raw):
    raw.send(b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$100\r\n%s\r\n" %
                      (len(b"key:%d" % i), i, b"v" * 100) for i in range(10_000)))
    for _ in range(10_000):
        raw.read_reply()
    stats = raw.cmd("MEMORY", "STATS")
    fields = dict(zip(stats[0::2], stats[1::2]))
    assert fields[b"keys.count"] == 10_000
    per_key = fields[b"keys.bytes-per-key"]
    assert 100 <= per_key < 200, per_key
    classes = fields[b"heap.classes"]
    total_used = 0
    for size, figures in zip(classes[0::2], classes[1::2]):
        figures = dict(zip(figures[0::2], figures[1::2]))
        held = figures[b"pages"] * 65536
        assert figures[b"bytes.used"] + figures[b"bytes.wasted"] == held
        assert figures[b"objects"] * int(size) == figures[b"bytes.used"]
        total_used += figures[b"bytes.used"]
    assert total_used <= fields[b"total.allocated"]


@pytest.mark.keel_only
def test_large_budget_starts_fast_and_lazily(server_factory):
    # A 16 GiB budget is reserved, not touched: startup stays well under a second
    # and the resident set is a few MB.
    import time
    started = time.monotonic()
    server = server_factory("--maxmemory", "16gb")
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, elapsed
    memory = dict(line.split(":", 1) for line in
                  server.raw().cmd("INFO", "memory").decode().split("\r\n") if ":" in line)
    assert int(memory["plan_total_bytes"]) > 16 * 1024 ** 3
    assert int(memory["used_memory_rss"]) < 64 * 1024 * 1024


@pytest.mark.keel_only
def test_rss_stays_within_the_plan_under_a_flood(server_factory):
    # Fill the budget past full with big and small values from many clients while
    # reading VmRSS/VmHWM: the high-water mark stays under the plan's total plus a
    # fixed allowance for code, stack and libc (16 MiB).
    import socket
    server = server_factory("--maxmemory", "32mb", "--maxclients", "200",
                            "--output-pool-size", "8mb", "--input-pool-size", "8mb",
                            "--maxmemory-policy", "allkeys-random")
    conn = server.raw()
    plan_total = int(conn.cmd("INFO", "memory").decode().split("plan_total_bytes:")[1]
                     .split("\r\n")[0])
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(100)]
    value = b"x" * 20_000
    for round_index in range(20):
        for index, sock in enumerate(socks):
            sock.sendall(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d:%d\r\n$%d\r\n%s\r\n" % (
                len(b"k%d:%d" % (round_index, index)), round_index, index, len(value), value))
        for sock in socks:
            assert sock.recv(5) == b"+OK\r\n"
    with open(f"/proc/{server.pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    hwm = int(fields["VmHWM"].split()[0]) * 1024
    assert hwm <= plan_total + 16 * 1024 * 1024, (hwm, plan_total)
    for sock in socks:
        sock.close()


def _proc_status(pid):
    with open(f"/proc/{pid}/status") as status:
        return {key: value.strip() for key, value in
                (line.split(":", 1) for line in status if ":" in line)}


def _minor_faults(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[7])  # field 10: minflt


@pytest.mark.keel_only
def test_lock_memory_prefaults_and_locks_the_whole_plan(server_factory):
    # With lock-memory yes the whole plan is resident and locked before the first
    # client: VmLck covers it, and filling the data budget takes almost no page
    # faults (without it, every first write to a page faults: compare).
    import resource
    from conftest import KEEL_BIN
    if "/asan" in KEEL_BIN or "/ubsan" in KEEL_BIN:
        pytest.skip("sanitizer runtimes intercept mlock; measured on the release build")
    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    args = ("--maxmemory", "48mb", "--maxclients", "64", "--output-pool-size", "4mb",
            "--input-pool-size", "4mb")
    faults = {}
    for lock in ("yes", "no"):
        server = server_factory(*args, "--lock-memory", lock, "--maxmemory-policy",
                                "allkeys-random")
        conn = server.raw()
        plan_total = int(conn.cmd("INFO", "memory").decode().split("plan_total_bytes:")[1]
                         .split("\r\n")[0])
        status = _proc_status(server.pid)
        locked = int(status["VmLck"].split()[0]) * 1024
        rss = int(status["VmRSS"].split()[0]) * 1024
        if lock == "yes":
            if soft != resource.RLIM_INFINITY and soft < plan_total and os.geteuid() != 0:
                pytest.skip(f"RLIMIT_MEMLOCK {soft} is below the plan ({plan_total})")
            assert locked >= plan_total, (locked, plan_total)
            assert rss >= plan_total, (rss, plan_total)
        else:
            assert locked == 0
            assert rss < plan_total // 2, (rss, plan_total)
        before = _minor_faults(server.pid)
        value = b"v" * 1000
        for start in range(0, 40_000, 1000):
            conn.sock.sendall(b"".join(
                b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\n%s\r\n"
                % (len(b"key:%d" % index), index, len(value), value)
                for index in range(start, start + 1000)))
            for _ in range(1000):
                assert conn.read_reply()[0] == b"+OK\r\n"
        faults[lock] = _minor_faults(server.pid) - before
    # 40 MB written: unlocked, about one fault per 4 KiB page (~10,000); locked, ~none.
    assert faults["no"] > 5000, faults
    assert faults["yes"] < faults["no"] // 20, faults
