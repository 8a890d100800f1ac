"""
The two io backends: epoll chosen explicitly, and the automatic fallback when
io_uring is forbidden by a seccomp filter (as container runtimes do), checked
with a small wrapper (tests/tools/no_io_uring.c) that makes io_uring_setup
fail with EPERM. When io_uring is forced on such a host, keel exits non-zero
with a clear message instead of serving.
"""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import KEEL_BIN, RawConn

pytestmark = pytest.mark.keel_only

WRAPPER = Path(KEEL_BIN).resolve().parent / "tests" / "no_io_uring"


def test_epoll_backend_serves(server_factory):
    server = server_factory("--io-backend", "epoll")
    conn = server.raw()
    assert conn.call("SET", "k", "v") == b"+OK\r\n"
    assert conn.call("GET", "k") == b"$1\r\nv\r\n"
    info = conn.cmd("INFO", "server").decode()
    assert "multiplexing_api:epoll" in info


@pytest.mark.skipif("--io-backend" in os.environ.get("KEEL_ARGS", ""),
                    reason="the whole suite runs with a forced backend")
def test_io_uring_backend_by_default(server_factory):
    server = server_factory()
    info = server.raw().cmd("INFO", "server").decode()
    assert "multiplexing_api:io_uring" in info


@pytest.mark.skipif(not WRAPPER.exists(), reason="no_io_uring wrapper not built (make unit)")
def test_fallback_to_epoll_when_io_uring_is_forbidden(tmp_path):
    from conftest import free_port, ping_once
    import time
    port = free_port()
    log = tmp_path / "keel.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(WRAPPER), KEEL_BIN, "--port", str(port), "--bind",
                                 "127.0.0.1"], stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 10
        while not ping_once(port):
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        conn = RawConn(port)
        assert conn.call("PING") == b"+PONG\r\n"
        assert "multiplexing_api:epoll" in conn.cmd("INFO", "server").decode()
        conn.close()
        text = log.read_text()
        assert "io_uring is not available here" in text and "using epoll" in text, text
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.skipif(not WRAPPER.exists(), reason="no_io_uring wrapper not built (make unit)")
def test_forced_io_uring_exits_when_forbidden(tmp_path):
    from conftest import free_port
    result = subprocess.run([str(WRAPPER), KEEL_BIN, "--port", str(free_port()),
                             "--io-backend", "io_uring"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, timeout=10)
    assert result.returncode != 0
    assert b"io_uring setup failed: Operation not permitted" in result.stdout
