"""
Test plan P1-P3 (docs/TEST_PLAN.md, shared/RELIABILITY.md "Protocol and parser"):

P1  golden malformed RESP: every A1 row and the 7.0.15 quirks, bytes in and exact bytes
    out, each on a fresh connection; closing cases end in EOF with nothing after the error,
    non-closing cases answer a pipelined PING, waiting cases stay silent until the 64 KiB
    line limit is reached. Plus the A4 command-level error strings, exact, with the
    connection kept open.
P2  fragmentation equivalence: every P1 input and a 1,000-command mixed pipeline sent whole,
    one byte per send, and at seeded random split points give the same reply bytes.
P3  desync regression (Redis protocol.tcl): a NUL where a line is expected, then 1 KB chunks:
    the server answers a protocol error and closes before 1 MB has been sent.
P7  RESP3 negotiation: HELLO's errors and replies (A3 strings), then null, map, set,
    double and nested replies in RESP3 and again after HELLO 2, byte for byte.

Every test here runs against redis-server 7.0.15 too (KEEL_BIN=/usr/bin/redis-server),
except the memory figure of P3 (keel_only).
"""
import random
import select
import socket
import time

import pytest

from conftest import ORACLE, RawConn, resp_encode
import re

from plan_helpers import skip_unless_commands, vm_hwm

INVALID_MBULK = b"-ERR Protocol error: invalid multibulk length\r\n"
INVALID_BULK = b"-ERR Protocol error: invalid bulk length\r\n"
UNBALANCED = b"-ERR Protocol error: unbalanced quotes in request\r\n"
TOO_BIG_INLINE = b"-ERR Protocol error: too big inline request\r\n"
TOO_BIG_MBULK = b"-ERR Protocol error: too big mbulk count string\r\n"
TOO_BIG_BULK = b"-ERR Protocol error: too big bulk count string\r\n"
PONG = b"+PONG\r\n"


def unknown(name: bytes, *args: bytes) -> bytes:
    quoted = b"".join(b"'%s' " % arg for arg in args)
    return b"-ERR unknown command '%s', with args beginning with: %s\r\n" % (name, quoted)


# (id, input, exact reply, behaviour): "close" = reply, then EOF and nothing more;
# "open" = reply, then a pipelined PING is answered; "wait" = no reply yet, still open.
GOLDEN = [
    # multibulk count
    ("mbulk_3e9", b"*3000000000\r\n", INVALID_MBULK, "close"),
    ("mbulk_plus", b"*+1\r\n", INVALID_MBULK, "close"),
    ("mbulk_space", b"* 1\r\n", INVALID_MBULK, "close"),
    ("mbulk_trailing_space", b"*1 \r\n", INVALID_MBULK, "close"),
    ("mbulk_leading_zero", b"*01\r\n", INVALID_MBULK, "close"),
    ("mbulk_minus_zero", b"*-0\r\n", INVALID_MBULK, "close"),
    ("mbulk_int_max_plus_1", b"*2147483648\r\n", INVALID_MBULK, "close"),
    ("mbulk_alpha", b"*abc\r\n", INVALID_MBULK, "close"),
    ("mbulk_zero", b"*0\r\n", b"", "open"),
    ("mbulk_minus_one", b"*-1\r\n", b"", "open"),
    ("mbulk_minus_ten", b"*-10\r\n", b"", "open"),
    ("mbulk_int_max", b"*2147483647\r\n$4\r\nPING\r\n", b"", "wait"),
    # bulk length
    ("bulk_minus_ten", b"*1\r\n$-10\r\n", INVALID_BULK, "close"),
    ("bulk_minus_one_arg", b"*2\r\n$4\r\nping\r\n$-1\r\n", INVALID_BULK, "close"),
    ("bulk_alpha", b"*1\r\n$blabla\r\n", INVALID_BULK, "close"),
    ("bulk_leading_zero", b"*1\r\n$04\r\n", INVALID_BULK, "close"),
    ("bulk_double_zero", b"*1\r\n$00\r\n", INVALID_BULK, "close"),
    ("bulk_plus", b"*1\r\n$+1\r\n", INVALID_BULK, "close"),
    ("bulk_space", b"*1\r\n$ 1\r\n", INVALID_BULK, "close"),
    ("bulk_suffix", b"*1\r\n$1a\r\n", INVALID_BULK, "close"),
    ("bulk_2e9", b"*1\r\n$2000000000\r\n", INVALID_BULK, "close"),
    ("bulk_512mb_plus_1", b"*1\r\n$536870913\r\n", INVALID_BULK, "close"),
    ("bulk_2_pow_31", b"*1\r\n$2147483648\r\n", INVALID_BULK, "close"),
    ("bulk_2_pow_63_minus_1", b"*1\r\n$9223372036854775807\r\n", INVALID_BULK, "close"),
    ("bulk_2_pow_64", b"*1\r\n$18446744073709551616\r\n", INVALID_BULK, "close"),
    ("bulk_23_digits", b"*1\r\n$12345678901234567890123\r\n", INVALID_BULK, "close"),
    ("bulk_512mb", b"*1\r\n$536870912\r\n", b"", "wait"),
    # element type
    ("expected_dollar", b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n",
     "close"),
    ("expected_dollar_colon", b"*2\r\n$3\r\nget\r\n:1\r\n",
     b"-ERR Protocol error: expected '$', got ':'\r\n", "close"),
    ("expected_dollar_lf", b"*1\r\r\n$4\r\nPING\r\n",
     b"-ERR Protocol error: expected '$', got ' '\r\n", "close"),
    # line limits
    ("too_big_inline", b"A" * 70000, TOO_BIG_INLINE, "close"),
    ("too_big_mbulk_count", b"*" + b"1" * 70000, TOO_BIG_MBULK, "close"),
    ("too_big_bulk_count", b"*1\r\n$" + b"1" * 70000, TOO_BIG_BULK, "close"),
    # inline quoting
    ("unbalanced_triple", b'set """test-key""" test-value\r\n', UNBALANCED, "close"),
    ("unbalanced_open", b'set "a b\r\n', UNBALANCED, "close"),
    ("unbalanced_single", b"set 'a b\r\n", UNBALANCED, "close"),
    ("quote_then_text", b'set "a"b c\r\n', UNBALANCED, "close"),
    ("trailing_quote", b'ping"\r\n', UNBALANCED, "close"),
    ("quoted_name", b'"PING"\r\n', PONG, "open"),
    # 7.0.15 quirks
    ("skipped_crlf", b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n", PONG + PONG, "open"),
    ("skipped_lf_lf", b"*1\r\n$4\r\nPING\n\n", PONG, "open"),
    ("bulk_header_cr_cr", b"*1\r\n$4\r\r\nPING\r\n", unknown(b" PIN"), "open"),
    ("empty_name", b"*1\r\n$0\r\n\r\n", unknown(b""), "open"),
    ("name_with_nul", b"*1\r\n$4\r\nPI\x00G\r\n", unknown(b"PI"), "open"),
    ("payload_with_crlf", b"*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n", b"$3\r\na\r\n\r\n", "open"),
    ("bare_lf_inline", b"PING\n", PONG, "open"),
    ("lone_cr_splits_inline", b"PING\rPING\r\n", b"$4\r\nPING\r\n", "open"),
    ("empty_lines", b"\r\n\n\r\n", b"", "open"),
    ("empty_lines_then_command", b"\r\n\n*1\r\n$4\r\nping\r\n", PONG, "open"),
    ("resp3_map_as_request", b"%1\r\n+a\r\n+b\r\n", unknown(b"%1") + unknown(b"+a") +
     unknown(b"+b"), "open"),
    ("mbulk_bare_lf", b"*1\n$4\nPING\n", b"", "wait"),
    ("nul_before_crlf", b"\x00\r\nPING\r\n", b"", "wait"),
    ("nul_in_inline", b"PI\x00NG\r\n", b"", "wait"),
]

GOLDEN_IDS = [row[0] for row in GOLDEN]


def check_outcome(conn: RawConn, expected: bytes, behaviour: str, quiet: float = 0.05) -> None:
    """Reads and checks the reply of a golden input already sent (plus a PING for "open")."""
    if behaviour == "close":
        conn.expect(expected)
        data, closed = conn.read_until_close(2.0)
        assert data == b"", f"bytes after the error: {data[:200]!r}"
        assert closed, "connection still open after a protocol error"
    elif behaviour == "open":
        conn.expect(expected + PONG)
        conn.assert_silent(quiet)
    else:
        conn.assert_silent(0.2)


@pytest.mark.parametrize("data,expected,behaviour", [row[1:] for row in GOLDEN], ids=GOLDEN_IDS)
def test_p1_golden_input(shared_server, r, data, expected, behaviour):
    conn = shared_server.raw()
    started = time.monotonic()
    conn.send(data + (b"PING\r\n" if behaviour == "open" else b""), tolerate_close=True)
    check_outcome(conn, expected, behaviour)
    if behaviour == "close":
        assert time.monotonic() - started < 1.5, "the error took more than a second"
    assert r.ping() is True


# Waiting cases: after 64 KiB more bytes the line limit answers; nothing ran before.
WAIT_THEN_LIMIT = [
    ("mbulk_bare_lf", b"*1\n$4\nPING\n", b"1" * 70000, TOO_BIG_MBULK),
    ("nul_before_crlf", b"\x00\r\nPING\r\n", b"A" * 70000, TOO_BIG_INLINE),
    ("nul_in_inline", b"PI\x00NG\r\n", b"B" * 70000, TOO_BIG_INLINE),
]


@pytest.mark.parametrize("first,more,expected", [row[1:] for row in WAIT_THEN_LIMIT],
                         ids=[row[0] for row in WAIT_THEN_LIMIT])
def test_p1_waiting_input_hits_line_limit(shared_server, r, first, more, expected):
    conn = shared_server.raw()
    conn.send(first)
    conn.assert_silent(0.2)
    conn.send(more, tolerate_close=True)
    conn.expect(expected)
    conn.assert_closed()


# A4: command-level errors, exact, connection kept open. (id, setup, command, reply)
COMMAND_ERRORS = [
    ("unknown_command", [], ("FOOBAR", "abc"), unknown(b"FOOBAR", b"abc")),
    ("unknown_subcommand", [], ("CONFIG", "foo"),
     b"-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n"),
    ("arity", [], ("PING", "a", "b"), b"-ERR wrong number of arguments for 'ping' command\r\n"),
    ("syntax", [], ("SET", "k", "v", "NX", "XX"), b"-ERR syntax error\r\n"),
    ("wrongtype", [("RPUSH", "l", "a")], ("GET", "l"),
     b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
    ("not_integer", [("SET", "k", "abc")], ("INCR", "k"),
     b"-ERR value is not an integer or out of range\r\n"),
    ("incr_overflow", [("SET", "k", "9223372036854775807")], ("INCR", "k"),
     b"-ERR increment or decrement would overflow\r\n"),
    ("decrby_overflow", [], ("DECRBY", "x", "-9223372036854775808"),
     b"-ERR decrement would overflow\r\n"),
    ("srandmember_range", [("SADD", "s", "a")], ("SRANDMEMBER", "s", "-9223372036854775808"),
     b"-ERR value is out of range, value must between -9223372036854775807 and "
     b"9223372036854775807\r\n"),
    ("setrange_offset", [], ("SETRANGE", "k", "-1", "x"), b"-ERR offset is out of range\r\n"),
    ("setbit_offset", [], ("SETBIT", "k", "4294967296", "1"),
     b"-ERR bit offset is not an integer or out of range\r\n"),
    ("proto_max_bulk_len", [], ("SETRANGE", "k", "4294967295", "x"),
     b"-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n"),
    ("set_expire", [], ("SET", "q", "v", "EX", "0"),
     b"-ERR invalid expire time in 'set' command\r\n"),
    ("expire_overflow", [("SET", "k", "v")], ("EXPIRE", "k", "9223372036854775807"),
     b"-ERR invalid expire time in 'expire' command\r\n"),
    ("db_index", [], ("SELECT", "16"), b"-ERR DB index is out of range\r\n"),
]


@pytest.mark.parametrize("setup,command,expected", [row[1:] for row in COMMAND_ERRORS],
                         ids=[row[0] for row in COMMAND_ERRORS])
def test_p1_command_error_strings(shared_server, r, setup, command, expected):
    conn = shared_server.raw()
    for args in setup:
        assert not conn.call(*args).startswith(b"-"), args
    conn.send(resp_encode(*command) + b"PING\r\n")
    conn.expect(expected + PONG)
    conn.assert_silent(0.05)


def test_p1_transaction_error_strings(shared_server, r):
    skip_unless_commands("multi", "exec", "discard")
    conn = shared_server.raw()
    assert conn.call("EXEC") == b"-ERR EXEC without MULTI\r\n"
    assert conn.call("DISCARD") == b"-ERR DISCARD without MULTI\r\n"
    assert conn.call("MULTI") == b"+OK\r\n"
    assert conn.call("MULTI") == b"-ERR MULTI calls can not be nested\r\n"
    assert conn.call("NOSUCH") == unknown(b"NOSUCH")
    assert conn.call("SET", "k", "v") == b"+QUEUED\r\n"
    assert conn.call("EXEC") == (
        b"-EXECABORT Transaction discarded because of previous errors.\r\n")
    assert conn.call("GET", "k") == b"$-1\r\n"
    assert conn.call("PING") == PONG


# ==== P2: fragmentation equivalence ====

def _send_in_pieces(conn: RawConn, data: bytes, sizes) -> None:
    """One send() per piece; stops quietly once the server has closed."""
    offset = 0
    for size in sizes:
        if offset >= len(data):
            break
        try:
            conn.sock.sendall(data[offset:offset + size])
        except (BrokenPipeError, ConnectionResetError):
            return
        offset += size
    if offset < len(data):
        conn.send(data[offset:], tolerate_close=True)


def _split_sizes(length: int, mode: str, seed: int):
    if mode == "bytes":
        # One byte per send; inputs past 4 KiB (the 70,000-byte line-limit cases) continue
        # in 1,021-byte sends after their first 4 KiB to keep the suite fast.
        return [1] * min(length, 4096) + [1021] * (length // 1021 + 1)
    rng = random.Random(seed * 7919 + length)
    sizes = []
    while sum(sizes) < length:
        sizes.append(rng.choice([1, 2, 3, 5, 8, 13, 64, 200, 1000, 4096]))
    return sizes


@pytest.mark.parametrize("mode,seed", [("bytes", 0), ("random", 1)])
def test_p2_golden_inputs_fragmented(shared_server, r, mode, seed):
    for name, data, expected, behaviour in GOLDEN:
        if behaviour == "wait":
            continue
        conn = shared_server.raw()
        payload = data + (b"PING\r\n" if behaviour == "open" else b"")
        _send_in_pieces(conn, payload, _split_sizes(len(payload), mode, seed))
        try:
            check_outcome(conn, expected, behaviour, quiet=0.01)
        except AssertionError as error:
            raise AssertionError(f"{name} ({mode}, seed {seed}): {error}") from None
        conn.close()


def _mixed_pipeline(count: int, seed: int):
    """count commands of every kind (inline and multibulk, errors included) and their
    exact replies, computed from a model."""
    rng = random.Random(seed)
    strings, lists, request, reply = {}, {}, [], []
    for index in range(count):
        kind = rng.randrange(8)
        key = b"k%d" % rng.randrange(20)
        if kind == 0:
            value = bytes(rng.randrange(256) for _ in range(rng.choice([0, 1, 10, 300, 5000])))
            if key in lists:
                del lists[key]
            strings[key] = value
            request.append(resp_encode("SET", key, value))
            reply.append(b"+OK\r\n")
        elif kind == 1:
            request.append(resp_encode("GET", key))
            if key in lists:
                reply.append(b"-WRONGTYPE Operation against a key holding the wrong kind "
                             b"of value\r\n")
            elif key in strings:
                reply.append(b"$%d\r\n%s\r\n" % (len(strings[key]), strings[key]))
            else:
                reply.append(b"$-1\r\n")
        elif kind == 2:
            lkey = b"l" + key
            element = b"e%d" % index
            lists.setdefault(lkey, []).append(element)
            request.append(b"rpush %s %s\r\n" % (lkey, element))
            reply.append(b":%d\r\n" % len(lists[lkey]))
        elif kind == 3:
            lkey = b"l" + key
            items = lists.get(lkey, [])
            request.append(resp_encode("LRANGE", lkey, 0, -1))
            reply.append(b"*%d\r\n" % len(items) +
                         b"".join(b"$%d\r\n%s\r\n" % (len(i), i) for i in items))
        elif kind == 4:
            request.append(b"PING\r\n")
            reply.append(PONG)
        elif kind == 5:
            request.append(resp_encode("NOSUCH", key))
            reply.append(unknown(b"NOSUCH", key))
        elif kind == 6:
            request.append(resp_encode("ECHO", b"x\r\ny" * 3))
            reply.append(b"$12\r\n" + b"x\r\ny" * 3 + b"\r\n")
        else:
            request.append(b"*0\r\n\r\n")  # an empty multibulk and an empty line: no reply
    return b"".join(request), b"".join(reply)


@pytest.mark.parametrize("mode,seed", [("whole", 0), ("bytes", 0), ("random", 11)])
def test_p2_mixed_pipeline_fragmented(shared_server, r, mode, seed):
    request, expected = _mixed_pipeline(1000, seed=42)
    conn = shared_server.raw(timeout=30)
    if mode == "whole":
        conn.send(request)
    elif mode == "bytes":
        conn.send_split(request, chunk=1)
    else:
        _send_in_pieces(conn, request, _split_sizes(len(request), "random", seed))
    conn.expect(expected, timeout=60)
    conn.assert_silent(0.05)


# ==== P3: desync regression ====

DESYNC = [
    ("nul", b"\x00", TOO_BIG_INLINE),
    ("star_nul", b"*\x00", TOO_BIG_MBULK),
    ("dollar_nul", b"$\x00", TOO_BIG_INLINE),
]


@pytest.mark.parametrize("first,expected", [row[1:] for row in DESYNC],
                         ids=[row[0] for row in DESYNC])
def test_p3_desync_closes_before_input_cap(server_factory, first, expected):
    server = server_factory()
    hwm_before = vm_hwm(server.pid)
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.sendall(first)
    payload = b"A" * 1024 + b"\n"
    sent, received = len(first), b""
    deadline = time.monotonic() + 30
    # 1 KB per send, about 1 ms apart, until the server answers or closes (Redis's
    # protocol.tcl loop): `sent` is then roughly what the server read before giving up.
    while time.monotonic() < deadline and sent < 4 * 1024 * 1024:
        if select.select([sock], [], [], 0.001)[0]:
            break
        try:
            sock.sendall(payload)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(payload)
    sock.settimeout(2)
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    except (ConnectionResetError, socket.timeout):
        pass
    sock.close()
    assert received == expected, (received[:200], sent)
    assert sent < 1024 * 1024, f"{sent} bytes accepted before the protocol error"
    assert RawConn(server.port).call("PING") == PONG
    if not ORACLE:
        growth = vm_hwm(server.pid) - hwm_before
        assert growth < 4 * 1024 * 1024, f"VmHWM grew by {growth} bytes"


# ==== P7: RESP3 negotiation ====

HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise "
                b"the HELLO AUTH <user> <pass> option can be used to authenticate the client "
                b"and select the RESP protocol version at the same time\r\n")


def _hello_reply(proto: int) -> bytes:
    fields = (b"$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
              b"$5\r\nproto\r\n:%d\r\n$2\r\nid\r\n:ID\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n"
              b"$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n" % proto)
    return (b"%7\r\n" if proto == 3 else b"*14\r\n") + fields


def _without_id(reply: bytes) -> bytes:
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", reply)


# (command, exact reply in RESP3, exact reply after HELLO 2)
P7_REPLIES = [
    (("GET", "missing"), b"_\r\n", b"$-1\r\n"),
    (("GET", "s"), b"$1\r\nv\r\n", b"$1\r\nv\r\n"),
    (("HGETALL", "h"), b"%1\r\n$1\r\nf\r\n$1\r\nv\r\n", b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    (("HGETALL", "nokey"), b"%0\r\n", b"*0\r\n"),
    (("SMEMBERS", "set"), b"~1\r\n$1\r\nm\r\n", b"*1\r\n$1\r\nm\r\n"),
    (("ZSCORE", "z", "a"), b",1.5\r\n", b"$3\r\n1.5\r\n"),
    (("ZSCORE", "z", "nomember"), b"_\r\n", b"$-1\r\n"),
    (("ZRANGE", "z", "0", "-1", "WITHSCORES"),
     b"*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n",
     b"*4\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n2\r\n"),
    (("ZMSCORE", "z", "b", "x"), b"*2\r\n,2\r\n_\r\n", b"*2\r\n$1\r\n2\r\n$-1\r\n"),
    (("MGET", "s", "missing"), b"*2\r\n$1\r\nv\r\n_\r\n", b"*2\r\n$1\r\nv\r\n$-1\r\n"),
    (("LPOP", "nolist", "2"), b"_\r\n", b"*-1\r\n"),
    (("LPOS", "nolist", "x"), b"_\r\n", b"$-1\r\n"),
    (("COMMAND", "INFO", "nosuch"), b"*1\r\n_\r\n", b"*1\r\n$-1\r\n"),
    (("MEMORY", "USAGE", "missing"), b"_\r\n", b"$-1\r\n"),
    (("SMISMEMBER", "set", "m", "x"), b"*2\r\n:1\r\n:0\r\n", b"*2\r\n:1\r\n:0\r\n"),
    (("HRANDFIELD", "h", "1", "WITHVALUES"), b"*1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n",
     b"*2\r\n$1\r\nf\r\n$1\r\nv\r\n"),
    (("CONFIG", "GET", "maxmemory-policy"),
     b"%1\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n",
     b"*2\r\n$16\r\nmaxmemory-policy\r\n$10\r\nnoeviction\r\n"),
]


def test_p7_hello_errors(raw):
    skip_unless_commands("hello")
    for args, reply in [
            (("HELLO", "4"), b"-NOPROTO unsupported protocol version\r\n"),
            (("HELLO", "0"), b"-NOPROTO unsupported protocol version\r\n"),
            (("HELLO", "abc"), b"-ERR Protocol version is not an integer or out of range\r\n"),
            (("HELLO", "2", "AUTH"), b"-ERR Syntax error in HELLO option 'AUTH'\r\n"),
            (("HELLO", "3", "FOO"), b"-ERR Syntax error in HELLO option 'FOO'\r\n"),
            (("HELLO", "3", "SETNAME", "a b"),
             b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n")]:
        assert raw.call(*args) == reply, args
    assert raw.call("GET", "missing") == b"$-1\r\n"  # still RESP2 after each error


def test_p7_resp3_replies_then_back_to_resp2(raw):
    skip_unless_commands("hello")
    for args in (("SET", "s", "v"), ("HSET", "h", "f", "v"), ("SADD", "set", "m"),
                 ("ZADD", "z", "1.5", "a", "2", "b")):
        assert not raw.call(*args).startswith(b"-")
    assert _without_id(raw.call("HELLO", "3", "SETNAME", "p7")) == _hello_reply(3)
    assert raw.call("CLIENT", "GETNAME") == b"$2\r\np7\r\n"
    for args, resp3, _resp2 in P7_REPLIES:
        assert raw.call(*args) == resp3, args
    assert _without_id(raw.call("HELLO", "2")) == _hello_reply(2)
    for args, _resp3, resp2 in P7_REPLIES:
        assert raw.call(*args) == resp2, args
    assert _without_id(raw.call("HELLO")) == _hello_reply(2)


def test_p7_hello_before_auth(server_factory):
    skip_unless_commands("hello")
    server = server_factory("--requirepass", "p7-secret")
    conn = server.raw()
    assert conn.call("HELLO", "3") == HELLO_NOAUTH
    assert conn.call("HELLO", "3", "AUTH", "default", "wrong") == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n")
    assert conn.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    assert _without_id(conn.call("HELLO", "3", "AUTH", "default", "p7-secret")) == (
        _hello_reply(3))
    assert conn.call("GET", "k") == b"_\r\n"
