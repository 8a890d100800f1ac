"""Big values: a 10 MB SET/GET read back byte-exact, a 1 MB value built by APPEND."""
import os

import pytest

from conftest import resp_encode

TEN_MB = 10 * 1024 * 1024

# The module's shared server gets a fixed budget (module-level server_args).
pytestmark = pytest.mark.server_args("--maxmemory", "128mb")


def test_module_server_args_applied(shared_server):
    assert shared_server.raw().cmd("CONFIG", "GET", "maxmemory") == [b"maxmemory", b"134217728"]


def test_set_get_10mb(r, shared_server):
    value = os.urandom(TEN_MB)
    assert r.set("big", value) is True
    assert r.strlen("big") == TEN_MB
    assert r.get("big") == value
    # The same through a raw socket: exact framing.
    conn = shared_server.raw(timeout=30)
    conn.send(resp_encode("GET", "big"))
    conn.expect(b"$%d\r\n" % TEN_MB, timeout=30)
    assert conn.read_exact(TEN_MB, timeout=30) == value
    conn.expect(b"\r\n")
    assert r.getrange("big", TEN_MB - 5, -1) == value[-5:]
    assert r.getrange("big", 1000, 1999) == value[1000:2000]


def test_big_value_split_sends(shared_server, r):
    value = os.urandom(TEN_MB)
    conn = shared_server.raw(timeout=30)
    conn.send_split(resp_encode("SET", "big", value), chunk=65536 + 17)
    conn.expect(b"+OK\r\n", timeout=30)
    assert r.get("big") == value


def test_overwrite_and_delete_big_values(r):
    values = [os.urandom(TEN_MB) for _ in range(3)]
    for index, value in enumerate(values):
        r.set(f"big{index}", value)
    assert r.mget("big0", "big1", "big2") == values
    replacement = os.urandom(TEN_MB // 2)
    r.set("big1", replacement)
    assert r.get("big1") == replacement
    assert r.delete("big0", "big1", "big2") == 3
    # Memory is reusable after delete.
    for index in range(3):
        r.set(f"again{index}", values[index])
    assert r.get("again2") == values[2]


def test_setrange_inside_big_value(r):
    value = bytearray(os.urandom(TEN_MB))
    r.set("big", bytes(value))
    assert r.setrange("big", 5_000_000, b"PATCH") == TEN_MB
    value[5_000_000:5_000_005] = b"PATCH"
    assert r.get("big") == bytes(value)
    assert r.setrange("big", TEN_MB + 10, b"tail") == TEN_MB + 14
    assert r.get("big") == bytes(value) + b"\x00" * 10 + b"tail"


def test_append_builds_1mb(r):
    chunks = [(b"%06d" % index) * 170 + b"abcd" for index in range(1024)]  # 1024 bytes each
    assert all(len(chunk) == 1024 for chunk in chunks)
    expected_length = 0
    for offset in range(0, len(chunks), 128):
        pipe = r.pipeline(transaction=False)
        for chunk in chunks[offset:offset + 128]:
            pipe.append("built", chunk)
        lengths = pipe.execute()
        for length in lengths:
            expected_length += 1024
            assert length == expected_length
    assert r.strlen("built") == 1024 * 1024
    assert r.get("built") == b"".join(chunks)


def test_append_to_big_value(r):
    base = os.urandom(TEN_MB)
    r.set("big", base)
    assert r.append("big", b"x" * 1000) == TEN_MB + 1000
    assert r.get("big") == base + b"x" * 1000


def test_big_list_element_and_key(r):
    key = b"k" * 100_000
    element = os.urandom(1024 * 1024)
    assert r.rpush(key, element, b"small") == 2
    assert r.lrange(key, 0, -1) == [element, b"small"]
    assert r.lpop(key) == element
    assert r.delete(key) == 1
