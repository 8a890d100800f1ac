"""
Helpers shared by the test-plan modules (tests/integration/test_plan_*.py, see
docs/TEST_PLAN.md): keel's command table parsed from src/commands.def, /proc
figures (VmHWM, VmRSS, open descriptors), INFO fields, a dataset snapshot used
as a DIGEST stand-in, a strict one-frame RESP reader, and latency percentiles.
"""
import os
import re
import socket
import struct
import time
import warnings
from pathlib import Path

from conftest import KEEL_BIN, REPO, RawConn, resp_encode

# The command table of the server under test (KEEL_COMMANDS_DEF: another tree's table, for a
# binary built elsewhere).
COMMANDS_DEF = Path(os.environ.get("KEEL_COMMANDS_DEF", str(REPO / "src" / "commands.def")))
SANITIZER = any(part in KEEL_BIN for part in ("/asan/", "/ubsan/"))
OOM = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
MAXCLIENTS = b"-ERR max number of clients reached\r\n"


# ==== keel's command table ====

_ROW = re.compile(r'^COMMAND\("([a-z_|-]+)", (\w+), (-?\d+), ([^,]+), (-?\d+), (-?\d+), (-?\d+), '
                  r'"([^"]*)", "([^"]*)", "([^"]*)", "(.*)"\)\s*$')


class CommandRow:
    def __init__(self, match):
        self.name = match.group(1)
        self.arity = int(match.group(3))
        self.flags = {flag.strip() for flag in match.group(4).split("|")} - {"0"}
        self.first_key, self.last_key, self.key_step = (int(match.group(i)) for i in (5, 6, 7))
        self.categories = match.group(8).split()
        self.summary = match.group(11)

    @property
    def container(self) -> bool:
        return self.summary.startswith("A container for")

    def minimal_args(self, filler: bytes = b"x") -> list:
        """The command with the fewest arguments its arity allows (all `filler`)."""
        count = self.arity - 1 if self.arity > 0 else -self.arity - 1
        return [self.name.encode()] + [filler] * count

    def __repr__(self):
        return f"CommandRow({self.name}, {self.arity})"


def command_table() -> list:
    """Every row of src/commands.def, in file order."""
    rows = []
    for line in COMMANDS_DEF.read_text().splitlines():
        if not line.startswith("COMMAND("):
            continue
        match = _ROW.match(line)
        assert match, f"cannot parse commands.def row: {line[:100]}"
        rows.append(CommandRow(match))
    assert len(rows) > 100, len(rows)
    return rows


def skip_unless_commands(*names) -> None:
    """Skips the calling test when keel's table lacks one of the commands (a feature not
    built yet); redis-server has them all."""
    import pytest
    table = {row.name for row in command_table()}
    missing = [name for name in names if name not in table]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (not in src/commands.def)")


# ==== process figures ====

def proc_status(pid: int) -> dict:
    with open(f"/proc/{pid}/status") as status:
        return {key: value.strip() for key, value in
                (line.split(":", 1) for line in status if ":" in line)}


def vm_hwm(pid: int) -> int:
    """Peak resident set size in bytes."""
    return int(proc_status(pid)["VmHWM"].split()[0]) * 1024


def vm_rss(pid: int) -> int:
    return int(proc_status(pid)["VmRSS"].split()[0]) * 1024


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def wait_for(predicate, timeout: float, message: str, step: float = 0.05):
    """Polls predicate() until it returns a true value; fails with message after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, message() if callable(message) else message
        time.sleep(step)


# ==== INFO ====

def info(port: int, section: str = "") -> dict:
    conn = RawConn(port, timeout=20)
    try:
        text = conn.cmd("INFO", *([section] if section else [])).decode()
    finally:
        conn.close()
    return dict(line.split(":", 1) for line in text.split("\r\n") if ":" in line)


def info_int(port: int, section: str, field: str) -> int:
    return int(info(port, section)[field])


def connected_clients(port: int) -> int:
    """connected_clients, counting the probe connection itself."""
    return info_int(port, "clients", "connected_clients")


def wait_connected(port: int, expected: int, timeout: float = 10.0) -> None:
    last = []

    def check():
        last[:] = [connected_clients(port)]
        return last[0] == expected
    wait_for(check, timeout, lambda: f"connected_clients {last}, expected {expected}")


def plan_total(port: int) -> int:
    return int(info(port, "memory")["plan_total_bytes"])


# ==== sockets ====

def open_accepted(port: int, timeout: float = 10.0) -> RawConn:
    """A connection that answered PING, retrying while slots of connections closed a moment
    ago are still being released (the server answers -ERR max number of clients reached)."""
    deadline = time.monotonic() + timeout
    while True:
        conn = RawConn(port, timeout=10)
        try:
            conn.send(b"PING\r\n")
            raw, _value = conn.read_reply()
        except Exception:  # closed right after the refusal
            raw = b""
        if raw == b"+PONG\r\n":
            return conn
        conn.close()
        assert time.monotonic() < deadline, f"no free client slot: {raw!r}"
        time.sleep(0.05)


def rst_close(sock: socket.socket) -> None:
    """Closes with SO_LINGER {1, 0}: the peer sees an RST instead of a FIN."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def recv_exact(sock: socket.socket, size: int, timeout: float = 10.0) -> bytes:
    sock.settimeout(timeout)
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {size} bytes: {bytes(data[:80])!r}")
        data += chunk
    return bytes(data)


def assert_all_silent(conns, wait: float = 0.2) -> None:
    """After `wait` seconds, none of the connections has received a byte or been closed."""
    time.sleep(wait)
    for conn in conns:
        data, closed = conn.read_until_close(0.001)
        assert data == b"" and not closed, (data[:100], closed)


def pipeline(conn: RawConn, commands, timeout: float = 30.0) -> list:
    """Sends all commands in one write; returns the raw bytes of each reply."""
    conn.send(b"".join(resp_encode(*command) for command in commands))
    return [conn.read_reply(timeout=timeout)[0] for _ in commands]


# ==== dataset snapshot (a DIGEST stand-in: keel has no DEBUG DIGEST) ====

def snapshot(conn: RawConn, databases: int = 16) -> dict:
    """{(db, key): (type, value, has_ttl)} for every key of every database.
    Leaves the connection in db 0."""
    state = {}
    for db in range(databases):
        assert conn.call("SELECT", db) == b"+OK\r\n"
        for key in conn.cmd("KEYS", "*"):
            kind = conn.cmd("TYPE", key)
            if kind == b"string":
                value = conn.cmd("GET", key)
            elif kind == b"list":
                value = tuple(conn.cmd("LRANGE", key, 0, -1))
            elif kind == b"set":
                value = tuple(sorted(conn.cmd("SMEMBERS", key)))
            elif kind == b"hash":
                pairs = conn.cmd("HGETALL", key)
                value = tuple(sorted(zip(pairs[0::2], pairs[1::2])))
            elif kind == b"zset":
                value = tuple(conn.cmd("ZRANGE", key, 0, -1, "WITHSCORES"))
            else:
                value = kind
            state[(db, key)] = (kind, value, conn.cmd("PTTL", key) >= 0)
    assert conn.call("SELECT", 0) == b"+OK\r\n"
    return state


def seed_dataset(conn: RawConn) -> None:
    """A few keys of every type in databases 0 and 1, some with a TTL."""
    commands = [
        ("SET", "str", "value"), ("SET", "num", "42"), ("SET", "ttl", "v", "EX", "10000"),
        ("RPUSH", "list", "a", "b", "c"), ("SADD", "set", "x", "y", "1"),
        ("HSET", "hash", "f", "v", "g", "w"), ("ZADD", "zset", "1", "a", "2.5", "b"),
        ("SETBIT", "bits", "100", "1"), ("SELECT", "1"), ("SET", "other", "db1"),
        ("SELECT", "0"),
    ]
    for reply in pipeline(conn, commands):
        assert not reply.startswith(b"-"), reply


# ==== strict RESP2 framing ====

def read_strict_frame(conn: RawConn, timeout: float = 5.0) -> bytes:
    """Reads one reply and checks it is a single canonical RESP2 frame: a simple string or
    error holds no CR or LF, integers and lengths are canonical, bulk payloads are exactly
    their announced size followed by CRLF. Returns the raw bytes."""
    raw, _value = conn.read_reply(timeout=timeout)
    _check_frame(raw)
    return raw


def _check_frame(raw: bytes) -> None:
    position = _check_value(raw, 0, depth=0)
    assert position == len(raw), f"trailing bytes after one frame: {raw[position:position + 80]!r}"


def _line(raw: bytes, position: int):
    end = raw.find(b"\r\n", position)
    assert end >= 0, f"unterminated line at {position}: {raw[position:position + 80]!r}"
    body = raw[position + 1:end]
    assert b"\r" not in body and b"\n" not in body, f"CR or LF inside a line: {body[:120]!r}"
    return body, end + 2


def _canonical_int(body: bytes) -> int:
    assert re.fullmatch(rb"-?(0|[1-9][0-9]*)", body) and body != b"-0", f"integer {body!r}"
    return int(body)


def _check_value(raw: bytes, position: int, depth: int) -> int:
    assert depth < 64, "nesting too deep"
    kind = raw[position:position + 1]
    body, position = _line(raw, position)
    if kind in (b"+", b"-"):
        return position
    if kind == b":":
        _canonical_int(body)
        return position
    if kind == b"$":
        size = _canonical_int(body)
        if size == -1:
            return position
        assert size >= 0, size
        assert raw[position + size:position + size + 2] == b"\r\n", "bulk not followed by CRLF"
        return position + size + 2
    if kind == b"*":
        count = _canonical_int(body)
        if count == -1:
            return position
        assert count >= 0, count
        for _ in range(count):
            position = _check_value(raw, position, depth + 1)
        return position
    raise AssertionError(f"not a RESP2 type byte: {kind!r}")


# ==== latency ====

def percentile(samples, fraction: float) -> float:
    ordered = sorted(samples)
    assert ordered, "no samples"
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered))) - 1))
    return ordered[index]


_PING_LOOP = r"""
import json, select, socket, sys, time
port, interval, password = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
sock = socket.create_connection(("127.0.0.1", port), timeout=10)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if password:
    sock.sendall(b"AUTH %s\r\n" % password.encode())
    assert sock.recv(5) == b"+OK\r\n"
samples, errors = [], []
sys.stdout.write("ready\n"); sys.stdout.flush()
while not select.select([sys.stdin], [], [], 0)[0]:
    started = time.monotonic()
    try:
        sock.sendall(b"PING\r\n")
        data = b""
        while len(data) < 7:
            chunk = sock.recv(7 - len(data))
            if not chunk:
                raise ConnectionError("closed")
            data += chunk
        if data != b"+PONG\r\n":
            raise ValueError(repr(data))
    except Exception as error:
        errors.append(repr(error))
        break
    samples.append(time.monotonic() - started)
    time.sleep(interval)
print(json.dumps({"samples": samples, "errors": errors}))
"""


class PingLoop:
    """A good client in a process of its own (no GIL sharing with the load this test
    generates): PINGs every `interval` seconds until stop(), which returns the round-trip
    times in seconds. Errors (a timeout, a close) fail stop()."""

    def __init__(self, port: int, interval: float = 0.01, password: str = ""):
        import subprocess
        import sys
        self.proc = subprocess.Popen([sys.executable, "-c", _PING_LOOP, str(port), str(interval),
                                      password],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self) -> list:
        import json
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        self.proc.stdout.close()
        self.proc.wait(30)
        result = json.loads(out)
        assert not result["errors"], result["errors"]
        assert result["samples"], "no PING answered"
        return result["samples"]


def assert_p99_below(samples, bound: float, what: str = "PING") -> None:
    """p99 of samples below bound (seconds). Measured on this 2-core VM: PING p99 stays
    under 5 ms on the ASan build too (worst single samples 15-35 ms), so the bound applies
    to every build. It is not checked (a warning says so) while the machine is
    oversubscribed by other work: load average above twice the CPU count."""
    p99 = percentile(samples, 0.99)
    if os.environ.get("PLAN_PRINT_LATENCY"):
        print(f"{what} p99 {p99 * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms, n={len(samples)}")
    load = os.getloadavg()[0]
    if load > 2 * (os.cpu_count() or 1):
        warnings.warn(f"{what} p99 {p99 * 1000:.1f} ms not checked against "
                      f"{bound * 1000:.0f} ms: load average {load:.1f} on "
                      f"{os.cpu_count()} CPUs")
        return
    assert p99 < bound, (f"{what} p99 {p99 * 1000:.1f} ms >= {bound * 1000:.0f} ms over "
                         f"{len(samples)} samples; worst {max(samples) * 1000:.1f} ms")
