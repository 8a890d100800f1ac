"""
Fixtures for keel's black-box integration suite.

The server under test comes from env KEEL_BIN (default: <repo>/build/keel).
If its basename is `redis-server`, the suite runs in *oracle mode*: the same
tests run against a real Redis (started with `--save '' --appendonly no`) to
check the tests themselves, and tests marked `keel_only` are skipped (set
KEEL_FORCE_KEEL_ONLY=1 to run them anyway, e.g. with `-k maxclients`).

Every server is started on a free 127.0.0.1 port in its own temporary
directory, with stdout+stderr captured to `server.log` there. When a test
fails, the tail of each server log it used is attached to the report. Servers
are stopped with SIGTERM, then SIGKILL after a timeout.

Main fixtures:
  server_factory(*args, config_text=None) -> Server   (fresh server per call)
  server          -> Server for this test (args from @pytest.mark.server_args)
  shared_server   -> one Server per module (args from the module's pytestmark)
  r               -> redis.Redis on shared_server, database flushed, db 0
  raw             -> RawConn (raw socket) on shared_server
Server offers .port, .pid, .client(**kw) (a redis.Redis factory), .raw().
"""
import importlib.util
import os
import shlex
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

REPO = Path(__file__).resolve().parents[2]
KEEL_BIN = os.environ.get("KEEL_BIN", str(REPO / "build" / "keel"))
ORACLE = os.path.basename(KEEL_BIN) == "redis-server"
FORCE_KEEL_ONLY = os.environ.get("KEEL_FORCE_KEEL_ONLY", "") not in ("", "0")
EXTRA_ARGS = shlex.split(os.environ.get("KEEL_ARGS", ""))
ORACLE_ARGS = ["--save", "", "--appendonly", "no"]
HOST = "127.0.0.1"
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 10.0
LOG_TAIL_BYTES = 8000


# ==== pytest hooks ====

def pytest_addoption(parser):
    # pytest.ini sets `timeout` for pytest-timeout; declare it when the plugin
    # is absent so pytest does not warn about an unknown option.
    if importlib.util.find_spec("pytest_timeout") is None:
        parser.addini("timeout", "per-test timeout (needs pytest-timeout)")


def pytest_report_header(config):
    mode = "oracle (redis-server): keel_only tests skipped" if ORACLE else "keel"
    if ORACLE and FORCE_KEEL_ONLY:
        mode = "oracle (redis-server), keel_only tests FORCED"
    return [f"server binary: {KEEL_BIN}", f"mode: {mode}"]


def pytest_collection_modifyitems(config, items):
    if not ORACLE or FORCE_KEEL_ONLY:
        return
    skip = pytest.mark.skip(reason="keel_only: skipped in oracle mode (KEEL_BIN is redis-server)")
    for item in items:
        if item.get_closest_marker("keel_only"):
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and report.when in ("setup", "call", "teardown"):
        for server in getattr(item, "_keel_servers", []):
            report.sections.append(
                (f"server log: {server.name} pid {server.pid} port {server.port} "
                 f"({server.log_path})", server.log_tail()))


# ==== RESP encoding and a raw-socket client ====

def resp_encode(*args) -> bytes:
    """Encodes one command as a RESP multibulk request."""
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def fill_pages_past_the_limit(conn, names) -> list:
    """keel: once used_memory is past maxmemory, denyoom commands are refused but RENAME
    (not denyoom, as in Redis) still allocates. Renames keys of `names` to 3 KB longer names
    until the heap's pages run out (-OOM from the allocator); returns the names now held."""
    oom = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
    held = list(names)
    assert held, "nothing to rename"
    for _round in range(1000):
        for index, name in enumerate(held):
            longer = name + ":" + "g" * 3000
            reply = conn.call("RENAME", name, longer)
            if reply == oom:
                return held
            assert reply == b"+OK\r\n", reply
            held[index] = longer
    raise AssertionError("the heap's pages never ran out")


class RespError(Exception):
    """An error reply (`-...`), message without the leading '-'."""

    def __init__(self, message: bytes):
        super().__init__(message.decode(errors="replace"))
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)


class ConnectionClosed(Exception):
    """The peer closed the connection (EOF or RST) before the expected bytes."""

    def __init__(self, received: bytes, how: str):
        super().__init__(f"connection closed ({how}) after {len(received)} bytes: "
                         f"{bytes(received[:200])!r}")
        self.received = bytes(received)
        self.how = how


class RawConn:
    """
    A raw TCP connection for protocol tests: send exact bytes, read exact
    bytes with a timeout, read one whole RESP reply (raw bytes and parsed
    value), and detect that the server closed the connection.
    """

    def __init__(self, port: int, host: str = HOST, timeout: float = 5.0, nodelay: bool = True):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        if nodelay:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = None  # None while open; "EOF" or "RST" once the peer closed

    # -- sending --
    def send(self, data: bytes, tolerate_close: bool = False) -> None:
        """Sends all of data. With tolerate_close, a peer that already closed
        (EPIPE/ECONNRESET while sending) is not an error: read what it sent."""
        try:
            self.sock.sendall(data)
        except (ConnectionResetError, BrokenPipeError):
            if not tolerate_close:
                raise

    def send_split(self, data: bytes, chunk: int = 1, delay: float = 0.0,
                   tolerate_close: bool = False) -> None:
        """Sends data in pieces of `chunk` bytes, one send() each."""
        for offset in range(0, len(data), chunk):
            try:
                self.sock.sendall(data[offset:offset + chunk])
            except (ConnectionResetError, BrokenPipeError):
                if not tolerate_close:
                    raise
                return
            if delay:
                time.sleep(delay)

    # -- receiving --
    def _fill(self, deadline: float) -> bool:
        """Receives more bytes into buf. False on timeout; raises nothing on close."""
        if self.eof:
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(1 << 20)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            self.eof = "RST"
            return False
        if not data:
            self.eof = "EOF"
            return False
        self.buf += data
        return True

    def read_exact(self, size: int, timeout: float = None) -> bytes:
        """Reads exactly `size` bytes; raises ConnectionClosed or TimeoutError."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while len(self.buf) < size:
            if not self._fill(deadline):
                if self.eof:
                    raise ConnectionClosed(self.buf, self.eof)
                raise TimeoutError(f"timed out waiting for {size} bytes, have "
                                   f"{len(self.buf)}: {bytes(self.buf[:200])!r}")
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out

    def expect(self, expected: bytes, timeout: float = None) -> None:
        """Reads len(expected) bytes and asserts they equal `expected`."""
        try:
            got = self.read_exact(len(expected), timeout)
        except ConnectionClosed as closed:
            raise AssertionError(f"expected {expected[:300]!r}, connection closed "
                                 f"({closed.how}) after {closed.received[:300]!r}")
        except TimeoutError:
            raise AssertionError(f"expected {expected[:300]!r}, timed out with "
                                 f"{bytes(self.buf[:300])!r}")
        assert got == expected, f"expected {expected[:300]!r}, got {got[:300]!r}"

    def _read_line(self, deadline: float) -> bytes:
        while True:
            index = self.buf.find(b"\r\n")
            if index >= 0:
                line = bytes(self.buf[:index + 2])
                del self.buf[:index + 2]
                return line
            if not self._fill(deadline):
                if self.eof:
                    raise ConnectionClosed(self.buf, self.eof)
                raise TimeoutError(f"timed out reading a line: {bytes(self.buf[:200])!r}")

    def _read_n(self, size: int, deadline: float) -> bytes:
        while len(self.buf) < size:
            if not self._fill(deadline):
                if self.eof:
                    raise ConnectionClosed(self.buf, self.eof)
                raise TimeoutError(f"timed out reading {size} bytes")
        out = bytes(self.buf[:size])
        del self.buf[:size]
        return out

    def _read_value(self, deadline: float, raw: list):
        line = self._read_line(deadline)
        raw.append(line)
        kind, body = line[:1], line[1:-2]
        if kind in (b"+",):
            return body
        if kind == b"-":
            return RespError(body)
        if kind == b":":
            return int(body)
        if kind in (b"$", b"=", b"!"):
            size = int(body)
            if size < 0:
                return None
            data = self._read_n(size + 2, deadline)
            raw.append(data)
            assert data[-2:] == b"\r\n", f"bulk not terminated by CRLF: {data[-10:]!r}"
            if kind == b"!":
                return RespError(data[:-2])
            return data[:-2]
        if kind in (b"*", b"~", b">"):
            count = int(body)
            if count < 0:
                return None
            return [self._read_value(deadline, raw) for _ in range(count)]
        if kind == b"%":
            count = int(body)
            return {self._freeze(self._read_value(deadline, raw)):
                    self._read_value(deadline, raw) for _ in range(count)}
        if kind == b"_":
            return None
        if kind == b",":
            return float(body)
        if kind == b"#":
            return body == b"t"
        if kind == b"(":
            return int(body)
        raise AssertionError(f"not a RESP reply: {line!r}")

    @staticmethod
    def _freeze(value):
        return tuple(value) if isinstance(value, list) else value

    def read_reply(self, timeout: float = None):
        """Reads one complete reply. Returns (raw_bytes, parsed_value)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        raw = []
        value = self._read_value(deadline, raw)
        return b"".join(raw), value

    def call(self, *args, timeout: float = None) -> bytes:
        """Sends one command and returns the exact bytes of its reply."""
        self.send(resp_encode(*args))
        return self.read_reply(timeout)[0]

    def cmd(self, *args, timeout: float = None):
        """Sends one command and returns its parsed reply."""
        self.send(resp_encode(*args))
        return self.read_reply(timeout)[1]

    def read_until_close(self, timeout: float = 2.0):
        """Reads until the peer closes or the timeout. Returns (bytes, closed)."""
        deadline = time.monotonic() + timeout
        while self._fill(deadline):
            pass
        out = bytes(self.buf)
        self.buf.clear()
        return out, self.eof is not None

    def assert_closed(self, timeout: float = 2.0) -> None:
        """Asserts the server closes the connection with no further bytes."""
        data, closed = self.read_until_close(timeout)
        assert data == b"", f"unexpected bytes before close: {data[:300]!r}"
        assert closed, f"connection still open after {timeout}s"

    def assert_silent(self, timeout: float = 0.2) -> None:
        """Asserts nothing arrives and the connection stays open for `timeout`."""
        data, closed = self.read_until_close(timeout)
        assert data == b"", f"unexpected bytes: {data[:300]!r}"
        assert not closed, f"connection closed ({self.eof})"

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


# ==== server process management ====

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def ping_once(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            data = b""
            while len(data) < 7:
                chunk = sock.recv(64)
                if not chunk:
                    return False
                data += chunk
            # A server with requirepass answers -NOAUTH: it is up all the same.
            return data.startswith(b"+PONG\r\n") or data.startswith(b"-NOAUTH")
    except OSError:
        return False


class Server:
    """One server process. Use .client() / .raw() to talk to it."""

    def __init__(self, workdir: Path, args=(), config_text: str = None, name: str = "server",
                 binary: str = KEEL_BIN):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = list(args)
        self.config_text = config_text
        self.name = name
        self.binary = binary
        self.port = None
        self.proc = None
        self.log_path = self.workdir / "server.log"
        self._clients = []
        self.start()

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def _argv(self, port: int):
        argv = [self.binary]
        if self.config_text is not None:
            conf = self.workdir / "server.conf"
            conf.write_text(self.config_text.format(port=port, host=HOST))
            argv.append(str(conf))
        else:
            argv += ["--port", str(port), "--bind", HOST]
        if os.path.basename(self.binary) == "redis-server":
            argv += ORACLE_ARGS
        else:
            argv += EXTRA_ARGS
        return argv + self.args

    def start(self) -> None:
        if not os.path.exists(self.binary):
            pytest.fail(f"server binary not found: {self.binary} (build it, or set KEEL_BIN)")
        last_error = ""
        for _attempt in range(3):
            self.port = free_port()
            self.argv = self._argv(self.port)
            with open(self.log_path, "ab") as log:
                log.write(f"\n==== starting: {shlex.join(self.argv)}\n".encode())
                log.flush()
                self.proc = subprocess.Popen(self.argv, cwd=self.workdir, stdout=log,
                                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if ping_once(self.port):
                    return
                time.sleep(0.02)
            if self.proc.poll() is None:
                self.stop()
                pytest.fail(f"{self.name}: not answering PING on port {self.port} after "
                            f"{READY_TIMEOUT_S}s\n{self.log_tail()}")
            last_error = self.log_tail()
            if "in use" not in last_error.lower():
                break
        pytest.fail(f"{self.name}: exited during startup with code {self.proc.returncode}\n"
                    f"argv: {shlex.join(self.argv)}\n{last_error}")

    def client(self, **kwargs) -> redis.Redis:
        kwargs.setdefault("socket_timeout", 20)
        kwargs.setdefault("socket_connect_timeout", 5)
        client = redis.Redis(host=HOST, port=self.port, **kwargs)
        self._clients.append(client)
        return client

    def raw(self, timeout: float = 5.0, nodelay: bool = True) -> RawConn:
        conn = RawConn(self.port, timeout=timeout, nodelay=nodelay)
        self._clients.append(conn)
        return conn

    def close_clients(self) -> None:
        for client in self._clients:
            try:
                client.close()
            except Exception:
                pass
        self._clients.clear()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = STOP_TIMEOUT_S):
        """SIGTERM, wait, SIGKILL on timeout. Returns the exit code."""
        self.close_clients()
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
                with open(self.log_path, "ab") as log:
                    log.write(f"\n==== killed after {timeout}s without exiting on SIGTERM\n"
                              .encode())
        return self.proc.returncode

    def log_text(self) -> str:
        try:
            return self.log_path.read_bytes().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self) -> str:
        text = self.log_text()
        return text[-LOG_TAIL_BYTES:]


def _register(request, server: Server) -> None:
    node = request.node
    if not hasattr(node, "_keel_servers"):
        node._keel_servers = []
    if server not in node._keel_servers:
        node._keel_servers.append(server)


def _marker_args(node) -> list:
    args = []
    for marker in reversed(list(node.iter_markers("server_args"))):
        args += [str(arg) for arg in marker.args]
    return args


# ==== fixtures ====

@pytest.fixture(scope="session")
def oracle() -> bool:
    """True when the server under test is a real redis-server."""
    return ORACLE


@pytest.fixture
def server_factory(request, tmp_path):
    """Returns start(*args, config_text=None, name=...) -> Server; all stopped at teardown."""
    servers = []

    def start(*args, config_text=None, name=None):
        index = len(servers)
        server = Server(tmp_path / f"server{index}", [str(a) for a in args],
                        config_text=config_text, name=name or f"server{index}")
        servers.append(server)
        _register(request, server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(server_factory, request):
    """A fresh server for this test; extra args from @pytest.mark.server_args(...)."""
    return server_factory(*_marker_args(request.node))


class _SharedServer:
    def __init__(self, workdir: Path, args):
        self.workdir = workdir
        self.args = args
        self.generation = 0
        self.server = Server(workdir / "gen0", args, name="shared")

    def ensure_alive(self) -> Server:
        if not self.server.alive():
            self.generation += 1
            self.server = Server(self.workdir / f"gen{self.generation}", self.args, name="shared")
        return self.server


@pytest.fixture(scope="module")
def _shared(request, tmp_path_factory):
    holder = _SharedServer(tmp_path_factory.mktemp("shared"), _marker_args(request.node))
    yield holder
    holder.server.stop()


@pytest.fixture
def shared_server(_shared, request) -> Server:
    """The module's server (args from the module-level server_args marker)."""
    server = _shared.ensure_alive()
    _register(request, server)
    yield server
    server.close_clients()
    if not server.alive():
        pytest.fail(f"server died during the test (exit code {server.proc.returncode})")


@pytest.fixture
def r(shared_server) -> redis.Redis:
    """redis.Redis (bytes replies) on the module's server, all databases flushed, db 0."""
    client = shared_server.client()
    client.flushall()
    return client


@pytest.fixture
def raw(shared_server, r) -> RawConn:
    """A raw socket on the module's server (after `r` flushed it)."""
    return shared_server.raw()
