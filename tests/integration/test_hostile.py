"""
Hostile input that is not a protocol error: cross-protocol HTTP requests
(closed silently, as Redis does), sizes fixed by the reservation that CONFIG SET
may lower but never raise (the CVE-2021-41099 family), and error replies that
leave the dataset unchanged.
"""
import pytest

from conftest import RawConn


@pytest.mark.parametrize("request_bytes", [
    b"POST / HTTP/1.1\r\nHost: x\r\n\r\n",
    b"Host: example.com\r\n",
    b"*1\r\n$4\r\nPOST\r\n",
])
def test_http_requests_are_closed_silently(raw, request_bytes):
    raw.send(request_bytes, tolerate_close=True)
    raw.assert_closed(timeout=1.0)


def test_http_get_is_an_ordinary_error(raw):
    raw.send(b"GET / HTTP/1.1\r\n")
    assert raw.read_reply()[0] == b"-ERR wrong number of arguments for 'get' command\r\n"


@pytest.mark.keel_only
@pytest.mark.parametrize("name,above", [
    ("maxmemory", "2gb"),
    ("maxclients", "20000"),
    ("proto-max-bulk-len", "1gb"),
    ("client-query-buffer-limit", "2gb"),
])
def test_reserved_sizes_cannot_be_raised(server_factory, name, above):
    server = server_factory("--maxmemory", "1gb", "--maxclients", "10000",
                            "--proto-max-bulk-len", "512mb", "--client-query-buffer-limit", "1gb")
    conn = server.raw()
    before = conn.cmd("CONFIG", "GET", name)
    reply = conn.call("CONFIG", "SET", name, above)
    assert reply.startswith(b"-ERR CONFIG SET failed (possibly related to argument '%s')"
                            % name.encode()), reply
    assert conn.cmd("CONFIG", "GET", name) == before
    # Lowering is allowed.
    lower = {"maxmemory": "512mb", "maxclients": "100", "proto-max-bulk-len": "1mb",
             "client-query-buffer-limit": "1mb"}[name]
    assert conn.call("CONFIG", "SET", name, lower) == b"+OK\r\n"


def test_error_replies_leave_the_dataset_unchanged(raw):
    raw.call("SET", "s", "text")
    raw.call("RPUSH", "l", "a", "b")
    before = (raw.call("GET", "s"), raw.call("LRANGE", "l", "0", "-1"), raw.call("DBSIZE"))
    for command in (("INCR", "s"), ("LPUSH", "s", "x"), ("SET", "s", "v", "EX", "0"),
                    ("SET", "s", "v", "NX", "XX"), ("GET", "l"), ("APPEND", "l", "x"),
                    ("SETRANGE", "s", "-1", "x"), ("EXPIRE", "s", "10", "NX", "XX"),
                    ("LPOP", "l", "-1"), ("MSET", "a", "1", "b"), ("INCRBYFLOAT", "s", "1")):
        assert raw.call(*command).startswith(b"-"), command
    after = (raw.call("GET", "s"), raw.call("LRANGE", "l", "0", "-1"), raw.call("DBSIZE"))
    assert after == before
