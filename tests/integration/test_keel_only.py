"""
keel's own promises: client and memory limits answered with Redis's exact errors, the memory
plan (printed by --check-plan and shown in INFO memory), and no allocation after "ready"
(allocations_after_ready:0 and no brk/mmap/munmap/mremap seen by strace).

All tests here are marked keel_only and skipped in oracle mode. The maxclients and OOM tests
also pass against redis-server: check with
  KEEL_BIN=/usr/bin/redis-server KEEL_FORCE_KEEL_ONLY=1 \
    /usr/bin/python3 -m pytest tests/integration -k "maxclients or oom"
"""
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import HOST, KEEL_BIN, RawConn, resp_encode
from workload import run_workload

pytestmark = pytest.mark.keel_only

MAXCLIENTS_ERROR = b"-ERR max number of clients reached\r\n"
OOM_ERROR = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
ALLOC_SYSCALL = re.compile(r"\b(brk|mmap|mmap2|munmap|mremap)\(|<\.\.\. (brk|mmap|mmap2|munmap|mremap) resumed>")


def info_memory(port: int) -> str:
    conn = RawConn(port)
    try:
        return conn.cmd("INFO", "memory").decode().replace("\r\n", "\n")
    finally:
        conn.close()


def open_accepted(port: int, timeout: float = 5.0) -> RawConn:
    """A connection that answered PING, retrying while earlier closes are still pending."""
    deadline = time.monotonic() + timeout
    while True:
        conn = RawConn(port)
        conn.send(b"PING\r\n")
        raw, _value = conn.read_reply()
        if raw == b"+PONG\r\n":
            return conn
        conn.close()
        assert time.monotonic() < deadline, f"connection refused: {raw!r}"
        time.sleep(0.05)


# ==== maxclients ====

def test_maxclients(server_factory):
    server = server_factory("--maxclients", "5")
    first = [open_accepted(server.port) for _ in range(5)]
    sixth = RawConn(server.port)
    sixth.expect(MAXCLIENTS_ERROR)
    data, closed = sixth.read_until_close(2.0)
    assert data == b"" and closed, (data, closed)
    # A client that sends a command first gets the same error and nothing else.
    seventh = RawConn(server.port)
    seventh.send(b"PING\r\n", tolerate_close=True)
    seventh.expect(MAXCLIENTS_ERROR)
    data, closed = seventh.read_until_close(2.0)
    assert data == b"" and closed, (data, closed)
    for conn in first:
        assert conn.call("PING") == b"+PONG\r\n"
    assert first[0].call("SET", "k", "v") == b"+OK\r\n"
    for conn in first:
        conn.close()
    again = [open_accepted(server.port) for _ in range(5)]
    assert again[0].call("GET", "k") == b"$1\r\nv\r\n"
    overflow = RawConn(server.port)
    overflow.expect(MAXCLIENTS_ERROR)
    for conn in again:
        conn.close()


# ==== OOM under noeviction ====

def _value(index: int) -> bytes:
    stem = b"value-%08d-" % index
    return (stem * (1024 // len(stem) + 1))[:1024]


def test_oom_noeviction(server_factory):
    server = server_factory("--maxmemory", "4mb", "--maxmemory-policy", "noeviction")
    conn = server.raw(timeout=30)
    acknowledged, refused, first_error = [], [], None
    index, batch = 0, 50
    while first_error is None:
        assert index < 100_000, "no OOM error after 100,000 keys of 1 KB with maxmemory 4mb"
        keys = [b"key:%08d" % i for i in range(index, index + batch)]
        conn.send(b"".join(resp_encode("SET", key, _value(index + n)) for n, key in
                           enumerate(keys)))
        for n, key in enumerate(keys):
            raw, _value_parsed = conn.read_reply()
            if raw == b"+OK\r\n":
                acknowledged.append((key, _value(index + n)))
            else:
                first_error = first_error or raw
                refused.append(key)
        index += batch
    assert first_error == OOM_ERROR
    assert len(acknowledged) >= 1000, f"only {len(acknowledged)} KB stored in a 4 MB budget"

    # Every acknowledged key reads back byte-exact (pipelined GETs); refused keys do not exist.
    for offset in range(0, len(acknowledged), 100):
        chunk = acknowledged[offset:offset + 100]
        conn.send(b"".join(resp_encode("GET", key) for key, _ in chunk))
        for key, value in chunk:
            raw, _parsed = conn.read_reply()
            assert raw == b"$1024\r\n" + value + b"\r\n", (key, raw[:80])
    for key in refused:
        assert conn.call("EXISTS", key) == b":0\r\n"
    # A multi-key read of 100 keys while full.
    sample = acknowledged[-100:]
    assert conn.cmd("MGET", *[key for key, _ in sample]) == [value for _, value in sample]

    # Reads and deletes keep working; writes that need memory are refused exactly.
    assert conn.call("PING") == b"+PONG\r\n"
    assert conn.call("GET", acknowledged[0][0]) == b"$1024\r\n" + acknowledged[0][1] + b"\r\n"
    assert conn.call("EXISTS", acknowledged[1][0], "missing") == b":1\r\n"
    assert conn.call("DBSIZE") == b":%d\r\n" % len(acknowledged)
    # (Names as long as the refused keys': keel counts a write's arguments against the
    # budget, so a shorter name could just fit.)
    assert conn.call("SET", "key:99999999", _value(0)) == OOM_ERROR
    assert conn.call("LPUSH", "key:99999998", _value(0)) == OOM_ERROR
    assert conn.call("EXISTS", "key:99999999", "key:99999998") == b":0\r\n"
    assert conn.call("INFO", "memory").startswith(b"$")

    # Free 20% of the keys: writes succeed again.
    victims = [key for key, _ in acknowledged[::5]]
    for offset in range(0, len(victims), 100):
        chunk = victims[offset:offset + 100]
        assert conn.call("DEL", *chunk) == b":%d\r\n" % len(chunk)
    survivors = [item for position, item in enumerate(acknowledged) if position % 5]
    for n in range(20):
        assert conn.call("SET", b"after:%d" % n, _value(n)) == b"+OK\r\n", n
    assert conn.call("GET", "after:19") == b"$1024\r\n" + _value(19) + b"\r\n"
    for key, value in survivors[::37]:
        assert conn.cmd("GET", key) == value
    assert server.alive()


# ==== the memory plan, INFO memory, no allocation after ready ====

PLAN_ARGS = ("--maxmemory", "64mb", "--maxclients", "8")


def test_info_memory_plan_lines(server_factory):
    server = server_factory(*PLAN_ARGS)
    text = info_memory(server.port)
    plan_lines = [line for line in text.split("\n") if line.startswith("plan_")]
    assert plan_lines, text
    for line in plan_lines:
        assert re.fullmatch(r"plan_[a-z0-9_]+:\S+", line), line
    assert re.search(r"^allocations_after_ready:0$", text, re.M), text


def test_allocations_after_ready_zero_after_workload(server_factory):
    server = server_factory(*PLAN_ARGS)
    run_workload(server.port, maxclients=8)
    text = info_memory(server.port)
    assert any(line.startswith("plan_") for line in text.split("\n")), text
    assert re.search(r"^allocations_after_ready:0$", text, re.M), text


def _tracer_pid(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^TracerPid:\s+(\d+)", status, re.M).group(1))


@pytest.mark.skipif(shutil.which("strace") is None, reason="strace not installed")
def test_no_allocation_syscalls_after_ready(server_factory, tmp_path):
    server = server_factory(*PLAN_ARGS)
    trace = tmp_path / "strace.out"
    strace_err = tmp_path / "strace.err"
    with open(strace_err, "wb") as err:
        tracer = subprocess.Popen(
            ["strace", "-f", "-qq", "-e", "trace=brk,mmap,munmap,mremap",
             "-p", str(server.pid), "-o", str(trace)],
            stdout=subprocess.DEVNULL, stderr=err)
    try:
        deadline = time.monotonic() + 10
        while _tracer_pid(server.pid) != tracer.pid:
            assert tracer.poll() is None, f"strace exited: {strace_err.read_text()}"
            assert time.monotonic() < deadline, "strace did not attach"
            time.sleep(0.05)
        run_workload(server.port, maxclients=8)
        assert _tracer_pid(server.pid) == tracer.pid, "strace detached during the workload"
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(10)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait(5)
    assert server.alive()
    lines = trace.read_text().splitlines() if trace.exists() else []
    allocations = [line for line in lines if ALLOC_SYSCALL.search(line)]
    assert not allocations, (f"{len(allocations)} allocation syscalls after ready:\n" +
                             "\n".join(allocations[:30]))


# ==== command-line behaviour ====

def _run(args, cwd, timeout=10):
    return subprocess.run([KEEL_BIN] + [str(arg) for arg in args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, timeout=timeout,
                          cwd=cwd)


def _plan_total(result) -> int:
    lines = [line for line in result.stdout.decode().splitlines() if line.strip()]
    assert len(lines) >= 2, result.stdout
    match = re.fullmatch(r"total (\d+) bytes", lines[-1].strip())
    assert match, f"last line is not 'total <N> bytes': {lines[-1]!r}"
    return int(match.group(1))


def test_check_plan(tmp_path):
    small = _run(["--check-plan", "--maxmemory", "64mb", "--maxclients", "100"], tmp_path)
    assert small.returncode == 0, small.stderr
    total_small = _plan_total(small)
    assert total_small >= 64 * 1024 * 1024
    big = _run(["--check-plan", "--maxmemory", "128mb", "--maxclients", "100"], tmp_path)
    assert big.returncode == 0, big.stderr
    assert _plan_total(big) > total_small
    default = _run(["--check-plan"], tmp_path)
    assert default.returncode == 0, default.stderr
    _plan_total(default)


def test_check_plan_with_config_file(tmp_path):
    conf = tmp_path / "keel.conf"
    conf.write_text("maxmemory 32mb\nmaxclients 10\n")
    result = _run([conf, "--check-plan"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert _plan_total(result) >= 32 * 1024 * 1024


@pytest.mark.parametrize("args,keyword", [
    (["--maxmemory", "abc"], "maxmemory"),
    (["--maxclients", "abc"], "maxclients"),
    (["--maxmemory-policy", "bogus"], "maxmemory-policy"),
    (["--no-such-keyword", "1"], "no-such-keyword"),
])
def test_bad_flag_exits_1_with_one_line(args, keyword, tmp_path):
    result = _run(args, tmp_path)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    output = (result.stdout + result.stderr).decode(errors="replace")
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    assert keyword in lines[0], lines[0]
    assert "Ready to accept connections" not in output


# ==== a list keyword's value in one argument (Redis 7.0's multi-arg configs) ====
# Redis joins the command line into config lines and splits the single argument of
# bind, save and client-output-buffer-limit again; keel does the same. The two startup
# tests read only what Redis shows too: they pass against redis-server 7.0.15 with
# KEEL_FORCE_KEEL_ONLY=1 KEEL_BIN=/usr/bin/redis-server.

OUTPUT_LIMITS = b"normal 1000 0 0 slave 268435456 67108864 60 pubsub 1048576 2097152 3"


def test_list_keywords_in_one_flag_argument(server_factory):
    server = server_factory("--client-output-buffer-limit", "normal 1000 0 0 pubsub 1mb 2mb 3",
                            "--save", "900 1 300 10", "--bind", f"{HOST} -::1")
    conn = server.raw()
    assert conn.cmd("CONFIG", "GET", "client-output-buffer-limit") == [
        b"client-output-buffer-limit", OUTPUT_LIMITS]
    assert conn.cmd("CONFIG", "GET", "bind") == [b"bind", f"{HOST} -::1".encode()]
    # One class only, extra spaces and quotes inside, as sdssplitargs reads them.
    server = server_factory("--client-output-buffer-limit", "  normal '2000'  0 0 ")
    assert server.raw().cmd("CONFIG", "GET", "client-output-buffer-limit") == [
        b"client-output-buffer-limit",
        b"normal 2000 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"]


def test_list_keywords_in_one_config_file_argument(server_factory):
    server = server_factory(config_text=(
        'port {port}\n'
        'bind "{host} -::1"\n'
        'client-output-buffer-limit "normal 1000 0 0 pubsub 1mb 2mb 3"\n'
        'save "900 1 300 10"\n'))
    conn = server.raw()
    assert conn.cmd("CONFIG", "GET", "client-output-buffer-limit") == [
        b"client-output-buffer-limit", OUTPUT_LIMITS]
    assert conn.cmd("CONFIG", "GET", "bind") == [b"bind", f"{HOST} -::1".encode()]


@pytest.mark.parametrize("args,line", [
    # Two arguments are two values (not split again): a wrong count, as in Redis.
    (["--client-output-buffer-limit", "normal 1000 0 0", "pubsub 1 1 1"],
     "client-output-buffer-limit: Wrong number of arguments in buffer limit configuration."),
    (["--client-output-buffer-limit", "normal 1000 0"],
     "client-output-buffer-limit: Wrong number of arguments in buffer limit configuration."),
    (["--save", "900 x"], "save: Invalid save parameters"),
    # Unbalanced quotes leave no address at all (Redis: "Configured to not listen anywhere").
    (["--bind", '127.0.0.1 "::1'], "bind: keel needs at least one address to listen on"),
])
def test_list_keyword_in_one_flag_argument_errors(args, line, tmp_path):
    result = _run(args, tmp_path)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    output = (result.stdout + result.stderr).decode(errors="replace")
    assert [text for text in output.splitlines() if text.strip()] == [line]
