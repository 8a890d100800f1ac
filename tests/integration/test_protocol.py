"""The wire protocol, byte for byte: pipelining, fragmentation, inline commands, protocol errors
(RELIABILITY.md A1) with the connection closed after the error, and command-level errors."""
import pytest

from conftest import resp_encode


def unknown(name: bytes, *args: bytes) -> bytes:
    quoted = b"".join(b"'%s' " % arg for arg in args)
    return b"-ERR unknown command '%s', with args beginning with: %s\r\n" % (name, quoted)


# ==== pipelining and fragmentation ====

def _pipeline_100():
    """100 mixed commands and their exact replies."""
    request, reply = [], []
    for index in range(100):
        kind = index % 5
        key = b"key:%d" % (index // 5)
        if kind == 0:
            request.append(resp_encode("SET", key, b"value-%d" % index))
            reply.append(b"+OK\r\n")
        elif kind == 1:
            value = b"value-%d" % (index - 1)
            request.append(resp_encode("GET", key))
            reply.append(b"$%d\r\n%s\r\n" % (len(value), value))
        elif kind == 2:
            request.append(resp_encode("INCR", b"counter"))
            reply.append(b":%d\r\n" % (index // 5 + 1))
        elif kind == 3:
            request.append(resp_encode("RPUSH", b"list", b"e%d" % index))
            reply.append(b":%d\r\n" % (index // 5 + 1))
        else:
            request.append(resp_encode("GET", b"list"))
            reply.append(b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
    return b"".join(request), b"".join(reply)


def test_pipeline_100_in_one_send(raw):
    request, expected = _pipeline_100()
    raw.send(request)
    raw.expect(expected)
    raw.assert_silent(0.1)
    assert raw.call("LLEN", "list") == b":20\r\n"


def test_pipeline_mixed_inline_and_multibulk(raw):
    raw.send(b"PING\r\n*1\r\n$4\r\nPING\r\nset a 1\r\n*2\r\n$4\r\nINCR\r\n$1\r\na\r\nget a\n")
    raw.expect(b"+PONG\r\n+PONG\r\n+OK\r\n:2\r\n$1\r\n2\r\n")


def test_one_command_one_byte_per_send(raw):
    raw.send_split(resp_encode("SET", "key", "value"), chunk=1)
    raw.expect(b"+OK\r\n")
    raw.send_split(resp_encode("GET", "key"), chunk=1, delay=0.001)
    raw.expect(b"$5\r\nvalue\r\n")
    raw.send_split(b"set inline-key inline-value\r\n", chunk=1)
    raw.expect(b"+OK\r\n")
    assert raw.call("GET", "inline-key") == b"$12\r\ninline-value\r\n"


def test_pipeline_one_byte_per_send(raw):
    request, expected = _pipeline_100()
    raw.send_split(request, chunk=1)
    raw.expect(expected, timeout=20)


@pytest.mark.parametrize("chunk", [2, 3, 7, 16, 100])
def test_pipeline_odd_chunks(raw, chunk):
    request, expected = _pipeline_100()
    raw.send_split(request, chunk=chunk)
    raw.expect(expected, timeout=20)


def test_partial_command_waits(raw):
    raw.send(b"*2\r\n$3\r\nGET\r\n$1\r\n")
    raw.assert_silent(0.2)
    raw.send(b"k")
    raw.assert_silent(0.1)
    raw.send(b"\r\n")
    raw.expect(b"$-1\r\n")
    # A pipeline ending in half a command: the complete ones are answered at once.
    raw.send(b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI")
    raw.expect(b"+PONG\r\n")
    raw.assert_silent(0.1)
    raw.send(b"NG\r\n")
    raw.expect(b"+PONG\r\n")


def test_bulk_payload_split(raw):
    value = bytes(range(256)) * 400  # 100 KB, every byte value, includes CRLFs
    request = resp_encode("SET", "big", value)
    raw.send_split(request, chunk=4093)
    raw.expect(b"+OK\r\n")
    raw.send(resp_encode("GET", "big"))
    raw.expect(b"$%d\r\n" % len(value) + value + b"\r\n")


def test_bulk_length_at_limit_waits(raw):
    # 512 MB is the largest allowed bulk: the server waits for the payload.
    raw.send(b"*1\r\n$536870912\r\n")
    raw.assert_silent(0.3)


def test_big_multibulk_count_waits(raw):
    raw.send(b"*2147483647\r\n")
    raw.assert_silent(0.3)


# ==== inline commands ====

def test_inline_basic(raw):
    raw.send(b"PING\r\n")
    raw.expect(b"+PONG\r\n")
    raw.send(b"set a b\n")
    raw.expect(b"+OK\r\n")
    raw.send(b"get a\n")
    raw.expect(b"$1\r\nb\r\n")
    raw.send(b"   PING   \r\n")
    raw.expect(b"+PONG\r\n")
    raw.send(b"ping hello\r\n")
    raw.expect(b"$5\r\nhello\r\n")
    raw.send(b"SET\tt\tv\r\nGET t\r\n")
    raw.expect(b"+OK\r\n$1\r\nv\r\n")


def test_inline_quoted_arguments(raw):
    raw.send(b'set "a b" "c\\x41\\n"\r\nget "a b"\r\n')
    raw.expect(b"+OK\r\n$3\r\ncA\n\r\n")
    raw.send(b"set k 'x \"y\" z'\r\nget k\r\n")
    raw.expect(b'+OK\r\n$7\r\nx "y" z\r\n')
    raw.send(b"set k 'a\\'b'\r\nget k\r\n")
    raw.expect(b"+OK\r\n$3\r\na'b\r\n")
    raw.send(b"set k '\\n'\r\nget k\r\n")  # no escapes inside single quotes
    raw.expect(b"+OK\r\n$2\r\n\\n\r\n")
    raw.send(b'set k "\\t\\r\\n\\b\\a\\\\\\""\r\nget k\r\n')
    raw.expect(b'+OK\r\n$7\r\n\t\r\n\x08\x07\\"\r\n')
    raw.send(b'set k ""\r\nstrlen k\r\n')
    raw.expect(b"+OK\r\n:0\r\n")
    raw.send(b'"set" "k" "v w"\r\nget k\r\n')
    raw.expect(b"+OK\r\n$3\r\nv w\r\n")


def test_empty_inline_lines_ignored(raw):
    raw.send(b"\r\n\r\n\n\n")
    raw.assert_silent(0.2)
    raw.send(b"\r\nPING\r\n\n   \r\nPING\r\n")
    raw.expect(b"+PONG\r\n+PONG\r\n")
    raw.assert_silent(0.1)


@pytest.mark.parametrize("header", [b"*0\r\n", b"*-1\r\n", b"*-10\r\n"])
def test_empty_multibulk_ignored(raw, header):
    raw.send(header)
    raw.assert_silent(0.2)
    raw.send(header + b"*1\r\n$4\r\nPING\r\n" + header + b"PING\r\n")
    raw.expect(b"+PONG\r\n+PONG\r\n")
    raw.assert_silent(0.1)


# ==== protocol errors: exact reply, then the connection is closed ====

INVALID_MULTIBULK = b"-ERR Protocol error: invalid multibulk length\r\n"
INVALID_BULK = b"-ERR Protocol error: invalid bulk length\r\n"

PROTOCOL_ERRORS = [
    ("mbulk_3e9", b"*3000000000\r\n", INVALID_MULTIBULK),
    ("mbulk_plus", b"*+1\r\n", INVALID_MULTIBULK),
    ("mbulk_space", b"* 1\r\n", INVALID_MULTIBULK),
    ("mbulk_int_max_plus_1", b"*2147483648\r\n", INVALID_MULTIBULK),
    ("mbulk_alpha", b"*abc\r\n", INVALID_MULTIBULK),
    ("mbulk_empty", b"*\r\n", INVALID_MULTIBULK),
    ("bulk_negative", b"*1\r\n$-10\r\n", INVALID_BULK),
    ("bulk_minus_one", b"*1\r\n$-1\r\n", INVALID_BULK),
    ("bulk_minus_one_second", b"*2\r\n$4\r\nping\r\n$-1\r\n", INVALID_BULK),
    ("bulk_alpha", b"*1\r\n$blabla\r\n", INVALID_BULK),
    ("bulk_leading_zero", b"*1\r\n$04\r\n", INVALID_BULK),
    ("bulk_2e9", b"*1\r\n$2000000000\r\n", INVALID_BULK),
    ("bulk_over_512mb", b"*1\r\n$536870913\r\n", INVALID_BULK),
    ("bulk_empty", b"*1\r\n$\r\n", INVALID_BULK),
    ("expected_dollar", b"*1\r\nfoo\r\n", b"-ERR Protocol error: expected '$', got 'f'\r\n"),
    ("expected_dollar_colon", b"*2\r\n$3\r\nget\r\n:1\r\n",
     b"-ERR Protocol error: expected '$', got ':'\r\n"),
    ("too_big_inline", b"A" * 70000, b"-ERR Protocol error: too big inline request\r\n"),
    ("too_big_mbulk_count", b"*" + b"1" * 70000,
     b"-ERR Protocol error: too big mbulk count string\r\n"),
    ("too_big_bulk_count", b"*1\r\n$" + b"1" * 70000,
     b"-ERR Protocol error: too big bulk count string\r\n"),
    ("unbalanced_triple", b'set """test-key""" test-value\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("unbalanced_open", b'set "a b\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("unbalanced_single", b"set 'a b\r\n", b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("quote_then_text", b'set "a"b c\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("single_quote_then_text", b"set 'x y' 'it''s'\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
]


@pytest.mark.parametrize("data,error", [case[1:] for case in PROTOCOL_ERRORS],
                         ids=[case[0] for case in PROTOCOL_ERRORS])
def test_protocol_error_closes(shared_server, r, data, error):
    conn = shared_server.raw()
    conn.send(data, tolerate_close=True)
    conn.expect(error)
    conn.assert_closed()
    assert r.ping() is True  # the server is fine


@pytest.mark.parametrize("data,error", [case[1:] for case in PROTOCOL_ERRORS
                                        if len(case[1]) < 1000],
                         ids=[case[0] for case in PROTOCOL_ERRORS if len(case[1]) < 1000])
def test_protocol_error_after_valid_commands(shared_server, r, data, error):
    """Valid commands before the bad bytes run; nothing after them runs."""
    conn = shared_server.raw()
    before = resp_encode("SET", "before", "1") + b"PING\r\n"
    after = resp_encode("SET", "after", "1") + b"PING\r\n"
    assert data.endswith(b"\r\n")
    conn.send(before + data + after, tolerate_close=True)
    conn.expect(b"+OK\r\n+PONG\r\n" + error)
    conn.assert_closed()
    assert r.get("before") == b"1"
    assert r.exists("after") == 0


def test_protocol_error_one_byte_at_a_time(shared_server, r):
    conn = shared_server.raw()
    # Stop after the offending line: writing after the server closed would draw an RST.
    conn.send_split(b"*1\r\n$4\r\nPING\r\n*1\r\nxyz\r\n", chunk=1)
    conn.expect(b"+PONG\r\n-ERR Protocol error: expected '$', got 'x'\r\n")
    conn.assert_closed()
    conn = shared_server.raw()
    conn.send_split(b"*1\r\n$4\r\nPING\r\n*1\r\n$-", chunk=1)
    conn.expect(b"+PONG\r\n")
    conn.assert_silent(0.1)
    conn.send(b"2\r\n")
    conn.expect(b"-ERR Protocol error: invalid bulk length\r\n")
    conn.assert_closed()


# ==== command-level errors (connection stays open) ====

def test_unknown_command(raw):
    raw.send(b"foo a b\r\n")
    raw.expect(b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n")
    assert raw.call("foo", "a", "b") == unknown(b"foo", b"a", b"b")
    assert raw.call("FOOBAR", "abc") == unknown(b"FOOBAR", b"abc")
    assert raw.call("nosuch") == b"-ERR unknown command 'nosuch', with args beginning with: \r\n"
    assert raw.call("foo", "", "b") == unknown(b"foo", b"", b"b")
    raw.send(b"*1\r\n$0\r\n\r\n")
    raw.expect(b"-ERR unknown command '', with args beginning with: \r\n")
    assert raw.call("PING") == b"+PONG\r\n"


def test_unknown_command_args_capped_at_128_chars(raw):
    # Each quoted argument adds 4 bytes here; appending stops once 128 are used.
    assert raw.call("FOO", *["x"] * 200) == unknown(b"FOO", *[b"x"] * 32)
    long_arg = b"z" * 200
    assert raw.call("FOO", long_arg, "next") == unknown(b"FOO", b"z" * 128)


def test_unknown_command_crlf_mapped_to_spaces(raw):
    # No reply injection: CR and LF in the name and arguments become spaces.
    assert raw.call(b"FOO\r\n+OK") == (
        b"-ERR unknown command 'FOO  +OK', with args beginning with: \r\n")
    assert raw.call("foo", b"a\r\nb\nc") == unknown(b"foo", b"a  b c")


def test_arity_errors(raw):
    assert raw.call("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    raw.send(b"GET\r\n")
    raw.expect(b"-ERR wrong number of arguments for 'get' command\r\n")
    raw.send(b"GET k extra\r\n")
    raw.expect(b"-ERR wrong number of arguments for 'get' command\r\n")
    # The name is reported in lower case whatever the client sent.
    assert raw.call("gEt", "a", "b") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.call("SET", "k") == b"-ERR wrong number of arguments for 'set' command\r\n"
    assert raw.call("LPUSH", "k") == b"-ERR wrong number of arguments for 'lpush' command\r\n"
    assert raw.call("PING") == b"+PONG\r\n"


def test_commands_are_case_insensitive(raw):
    assert raw.call("pInG") == b"+PONG\r\n"
    assert raw.call("sEt", "k", "v", "ex", "10") == b"+OK\r\n"
    assert raw.call("GeT", "k") == b"$1\r\nv\r\n"
    assert raw.call("rpush", "l", "a") == b":1\r\n"
    assert raw.call("LRange", "l", "0", "-1") == b"*1\r\n$1\r\na\r\n"


def test_errors_do_not_break_the_pipeline(raw):
    request = (resp_encode("SET", "s", "1") + resp_encode("LPUSH", "s", "x") +
               resp_encode("NOPE") + resp_encode("GET") + resp_encode("INCR", "s") +
               b"PING\r\n")
    raw.send(request)
    raw.expect(b"+OK\r\n"
               b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
               b"-ERR unknown command 'NOPE', with args beginning with: \r\n"
               b"-ERR wrong number of arguments for 'get' command\r\n"
               b":2\r\n+PONG\r\n")


def test_many_connections_pipelining_concurrently(shared_server, r):
    conns = [shared_server.raw() for _ in range(10)]
    for index, conn in enumerate(conns):
        conn.send(b"".join(resp_encode("INCR", "shared") for _ in range(50)) +
                  resp_encode("RPUSH", f"l{index}", *[str(i) for i in range(50)]))
    for index, conn in enumerate(conns):
        raw_replies = b""
        for _ in range(51):
            raw_replies += conn.read_reply()[0]
        assert raw_replies.endswith(b":50\r\n")
    assert r.get("shared") == b"500"
