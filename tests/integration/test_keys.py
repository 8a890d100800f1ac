"""Generic key commands: DEL, UNLINK, EXISTS, TYPE, the EXPIRE family with NX/XX/GT/LT,
TTL/PTTL, EXPIRETIME/PEXPIRETIME, PERSIST, lazy and active expiry."""
import time

import pytest

WRONG_ARGS = "-ERR wrong number of arguments for '{}' command\r\n"
NOT_INTEGER = b"-ERR value is not an integer or out of range\r\n"
NX_CONFLICT = b"-ERR NX and XX, GT or LT options at the same time are not compatible\r\n"
GT_LT_CONFLICT = b"-ERR GT and LT options at the same time are not compatible\r\n"
LLONG_MAX = 9223372036854775807
LLONG_MIN = -9223372036854775808


# ==== DEL / UNLINK / EXISTS / TYPE ====

@pytest.mark.parametrize("command", ["DEL", "UNLINK"])
def test_del_counts(raw, command):
    assert raw.call(command, "missing") == b":0\r\n"
    raw.call("MSET", "a", "1", "b", "2", "c", "3")
    raw.call("RPUSH", "l", "x", "y")
    # Duplicates and missing keys are not counted twice.
    assert raw.call(command, "a", "b", "missing", "a", "l") == b":3\r\n"
    assert raw.call("EXISTS", "a", "b", "l") == b":0\r\n"
    assert raw.call("EXISTS", "c") == b":1\r\n"
    assert raw.call(command, "c") == b":1\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call(command) == WRONG_ARGS.format(command.lower()).encode()


def test_del_expiring_key(raw):
    raw.call("SET", "k", "v", "EX", "100")
    assert raw.call("DEL", "k") == b":1\r\n"
    assert raw.call("TTL", "k") == b":-2\r\n"
    raw.call("SET", "k", "v")
    assert raw.call("TTL", "k") == b":-1\r\n"


def test_exists_counts_duplicates(raw):
    assert raw.call("EXISTS", "a") == b":0\r\n"
    raw.call("SET", "a", "1")
    raw.call("RPUSH", "l", "x")
    assert raw.call("EXISTS", "a") == b":1\r\n"
    assert raw.call("EXISTS", "a", "a", "a") == b":3\r\n"
    assert raw.call("EXISTS", "a", "l", "missing", "l") == b":3\r\n"
    assert raw.call("EXISTS") == WRONG_ARGS.format("exists").encode()


def test_type(raw):
    raw.call("SET", "s", "1")
    raw.call("RPUSH", "l", "x")
    assert raw.call("TYPE", "s") == b"+string\r\n"
    assert raw.call("TYPE", "l") == b"+list\r\n"
    assert raw.call("TYPE", "missing") == b"+none\r\n"
    raw.call("INCR", "n")
    assert raw.call("TYPE", "n") == b"+string\r\n"
    assert raw.call("TYPE") == WRONG_ARGS.format("type").encode()
    assert raw.call("TYPE", "a", "b") == WRONG_ARGS.format("type").encode()


def test_keys_are_binary_safe(r):
    key = b"k\x00\r\n\xff ey"
    r.set(key, b"v")
    assert r.get(key) == b"v"
    assert r.exists(key) == 1
    assert r.get(b"k") is None
    assert r.delete(key) == 1


# ==== EXPIRE family: options ====

# Units per command: (multiplier from seconds to the command's unit, absolute?)
EXPIRE_COMMANDS = {
    "EXPIRE": (1, False),
    "PEXPIRE": (1000, False),
    "EXPIREAT": (1, True),
    "PEXPIREAT": (1000, True),
}


def _arg(command: str, seconds: int) -> str:
    scale, absolute = EXPIRE_COMMANDS[command]
    if absolute:
        now_units = int(time.time() * scale)
        return str(now_units + seconds * scale)
    return str(seconds * scale)


def _expected(state: str, option: str, new_seconds: int) -> int:
    """Redis 7 semantics. state: 'none' (no TTL) or 'ttl100' (TTL 100 s)."""
    has_ttl = state == "ttl100"
    if option == "":
        return 1
    if option == "NX":
        return 0 if has_ttl else 1
    if option == "XX":
        return 1 if has_ttl else 0
    if option == "GT":  # no TTL counts as infinite: never greater
        return 1 if has_ttl and new_seconds > 100 else 0
    if option == "LT":  # no TTL counts as infinite: always less
        return 1 if (not has_ttl) or new_seconds < 100 else 0
    raise AssertionError(option)


@pytest.mark.parametrize("command", list(EXPIRE_COMMANDS))
def test_expire_options_matrix(raw, command):
    for state in ("none", "ttl100"):
        for option in ("", "NX", "XX", "GT", "LT"):
            for new_seconds in (50, 200):
                raw.call("SET", "k", "v")
                if state == "ttl100":
                    raw.call("EXPIRE", "k", "100")
                args = [command, "k", _arg(command, new_seconds)] + ([option] if option else [])
                want = _expected(state, option, new_seconds)
                got = raw.call(*args)
                label = f"{state} {' '.join(args)}"
                assert got == b":%d\r\n" % want, label
                ttl = raw.cmd("TTL", "k")
                if want:
                    assert new_seconds - 2 <= ttl <= new_seconds, label
                elif state == "ttl100":
                    assert 98 <= ttl <= 100, label
                else:
                    assert ttl == -1, label
    # Options are case-insensitive and a missing key always gives 0.
    raw.call("DEL", "k")
    for option in ("", "nx", "xx", "gt", "lt"):
        args = [command, "k", _arg(command, 100)] + ([option] if option else [])
        assert raw.call(*args) == b":0\r\n", args
    assert raw.call("EXISTS", "k") == b":0\r\n"


@pytest.mark.parametrize("command", list(EXPIRE_COMMANDS))
def test_expire_option_conflicts(raw, command):
    raw.call("SET", "k", "v")
    value = _arg(command, 100)
    for options, error in [
        (["NX", "XX"], NX_CONFLICT),
        (["NX", "GT"], NX_CONFLICT),
        (["NX", "LT"], NX_CONFLICT),
        (["xx", "nx"], NX_CONFLICT),
        (["GT", "LT"], GT_LT_CONFLICT),
        (["XX", "GT", "LT"], GT_LT_CONFLICT),
        (["GT", "LT", "NX"], NX_CONFLICT),
        (["NX", "XX", "GT", "LT"], NX_CONFLICT),
        (["FOO"], b"-ERR Unsupported option FOO\r\n"),
        (["NX", "5"], b"-ERR Unsupported option 5\r\n"),
    ]:
        assert raw.call(command, "k", value, *options) == error, options
    # Compatible pairs and repeated options are accepted.
    small, big = _arg(command, 50), _arg(command, 200)
    assert raw.call(command, "k", value, "NX", "NX") == b":1\r\n"
    assert raw.call(command, "k", small, "XX", "GT") == b":0\r\n"
    assert raw.call(command, "k", big, "XX", "LT") == b":0\r\n"
    assert raw.call(command, "k", big, "XX", "GT") == b":1\r\n"
    assert raw.call(command, "k", small, "xx", "lt") == b":1\r\n"
    # Errors do not change the key.
    assert raw.call("EXISTS", "k") == b":1\r\n"
    assert raw.call(command, "k") == WRONG_ARGS.format(command.lower()).encode()


@pytest.mark.parametrize("command", list(EXPIRE_COMMANDS))
def test_expire_non_integer(raw, command):
    raw.call("SET", "k", "v")
    for text in ("abc", "1.5", "", " 1", "9223372036854775808"):
        assert raw.call(command, "k", text) == NOT_INTEGER, text
    assert raw.call("TTL", "k") == b":-1\r\n"


def test_expire_overflow(raw):
    raw.call("SET", "k", "v")
    for command, value in [
        ("EXPIRE", LLONG_MAX),
        ("EXPIRE", 9223372036854775),  # seconds * 1000 + now overflows
        ("EXPIRE", LLONG_MIN),         # seconds * 1000 overflows
        ("PEXPIRE", LLONG_MAX),
        ("PEXPIRE", LLONG_MAX - 1000),  # + now overflows
        ("EXPIREAT", LLONG_MAX),
        ("EXPIREAT", 9223372036854776),
    ]:
        name = command.lower()
        assert raw.call(command, "k", value) == (
            b"-ERR invalid expire time in '%s' command\r\n" % name.encode()), (command, value)
    assert raw.call("TTL", "k") == b":-1\r\n"
    # PEXPIREAT at LLONG_MAX is representable: accepted.
    assert raw.call("PEXPIREAT", "k", LLONG_MAX) == b":1\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":%d\r\n" % LLONG_MAX
    assert raw.call("EXPIREAT", "k", 9223372036854775) == b":1\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":9223372036854775000\r\n"
    assert raw.call("GET", "k") == b"$1\r\nv\r\n"


@pytest.mark.parametrize("args", [
    ("EXPIRE", "0"), ("EXPIRE", "-5"), ("PEXPIRE", "0"), ("PEXPIRE", "-1"),
    ("EXPIREAT", "1"), ("EXPIREAT", "0"), ("EXPIREAT", "-1"), ("PEXPIREAT", "0"),
    ("PEXPIREAT", "1"), ("PEXPIRE", str(LLONG_MIN)),
])
def test_expire_in_past_deletes(raw, args):
    command, value = args
    raw.call("SET", "k", "v")
    raw.call("RPUSH", "l", "x")
    assert raw.call(command, "k", value) == b":1\r\n"
    assert raw.call(command, "l", value) == b":1\r\n"
    assert raw.call("EXISTS", "k", "l") == b":0\r\n"
    assert raw.call("DBSIZE") == b":0\r\n"
    assert raw.call(command, "k", value) == b":0\r\n"


def test_expire_past_with_options(raw):
    raw.call("SET", "k", "v")
    # GT against a key without TTL refuses, even with a past time.
    assert raw.call("EXPIRE", "k", "-1", "GT") == b":0\r\n"
    assert raw.call("EXISTS", "k") == b":1\r\n"
    assert raw.call("EXPIRE", "k", "-1", "LT") == b":1\r\n"
    assert raw.call("EXISTS", "k") == b":0\r\n"


# ==== TTL / PTTL / EXPIRETIME / PEXPIRETIME / PERSIST ====

def test_ttl_states(raw):
    assert raw.call("TTL", "missing") == b":-2\r\n"
    assert raw.call("PTTL", "missing") == b":-2\r\n"
    raw.call("SET", "k", "v")
    assert raw.call("TTL", "k") == b":-1\r\n"
    assert raw.call("PTTL", "k") == b":-1\r\n"
    raw.call("EXPIRE", "k", "100")
    assert 99 <= raw.cmd("TTL", "k") <= 100
    assert 98000 < raw.cmd("PTTL", "k") <= 100000
    raw.call("PEXPIRE", "k", "5500")
    assert 5000 < raw.cmd("PTTL", "k") <= 5500
    assert raw.call("TTL") == WRONG_ARGS.format("ttl").encode()
    assert raw.call("PTTL", "a", "b") == WRONG_ARGS.format("pttl").encode()


def test_ttl_rounds_to_nearest_second(raw):
    raw.call("SET", "k", "v")
    raw.call("PEXPIRE", "k", "1800")   # 1.8 s → 2
    assert raw.call("TTL", "k") == b":2\r\n"
    raw.call("PEXPIRE", "k", "1200")   # 1.2 s → 1
    assert raw.call("TTL", "k") == b":1\r\n"


def test_expiretime(raw):
    assert raw.call("EXPIRETIME", "missing") == b":-2\r\n"
    assert raw.call("PEXPIRETIME", "missing") == b":-2\r\n"
    raw.call("SET", "k", "v")
    assert raw.call("EXPIRETIME", "k") == b":-1\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":-1\r\n"
    assert raw.call("EXPIREAT", "k", "2000000000") == b":1\r\n"
    assert raw.call("EXPIRETIME", "k") == b":2000000000\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":2000000000000\r\n"
    # EXPIRETIME rounds milliseconds to the nearest second.
    assert raw.call("PEXPIREAT", "k", "1999999999600") == b":1\r\n"
    assert raw.call("EXPIRETIME", "k") == b":2000000000\r\n"
    assert raw.call("PEXPIRETIME", "k") == b":1999999999600\r\n"
    assert raw.call("PEXPIREAT", "k", "1999999999400") == b":1\r\n"
    assert raw.call("EXPIRETIME", "k") == b":1999999999\r\n"
    now = int(time.time())
    raw.call("EXPIRE", "k", "100")
    assert now + 99 <= raw.cmd("EXPIRETIME", "k") <= now + 101
    assert raw.call("EXPIRETIME") == WRONG_ARGS.format("expiretime").encode()


def test_persist(raw):
    assert raw.call("PERSIST", "missing") == b":0\r\n"
    raw.call("SET", "k", "v")
    assert raw.call("PERSIST", "k") == b":0\r\n"
    raw.call("EXPIRE", "k", "100")
    assert raw.call("PERSIST", "k") == b":1\r\n"
    assert raw.call("TTL", "k") == b":-1\r\n"
    assert raw.call("PERSIST", "k") == b":0\r\n"
    raw.call("RPUSH", "l", "x")
    raw.call("PEXPIRE", "l", "100000")
    assert raw.call("PERSIST", "l") == b":1\r\n"
    assert raw.call("PTTL", "l") == b":-1\r\n"
    assert raw.call("PERSIST") == WRONG_ARGS.format("persist").encode()


def test_ttl_on_list(raw):
    raw.call("RPUSH", "l", "a", "b")
    assert raw.call("EXPIRE", "l", "100") == b":1\r\n"
    assert raw.call("TTL", "l") == b":100\r\n"
    # Modifying a list keeps its TTL.
    raw.call("RPUSH", "l", "c")
    raw.call("LPOP", "l")
    assert 99 <= raw.cmd("TTL", "l") <= 100
    assert raw.call("TYPE", "l") == b"+list\r\n"


def test_overwrite_clears_ttl_but_modify_keeps_it(raw):
    raw.call("SET", "k", "1", "EX", "100")
    raw.call("INCR", "k")
    raw.call("APPEND", "k", "0")
    raw.call("SETRANGE", "k", "0", "3")
    assert 99 <= raw.cmd("TTL", "k") <= 100
    raw.call("SET", "k", "x")
    assert raw.call("TTL", "k") == b":-1\r\n"
    raw.call("SET", "k", "1", "EX", "100")
    raw.call("GETSET", "k", "2")
    assert raw.call("TTL", "k") == b":-1\r\n"
    raw.call("SET", "k", "1", "EX", "100")
    raw.call("MSET", "k", "2")
    assert raw.call("TTL", "k") == b":-1\r\n"


# ==== lazy and active expiry ====

def test_lazy_expiry(raw):
    raw.call("SET", "s", "v", "PX", "50")
    raw.call("RPUSH", "l", "x")
    raw.call("PEXPIRE", "l", "50")
    raw.call("SET", "keep", "v")
    assert raw.call("GET", "s") == b"$1\r\nv\r\n"
    time.sleep(0.12)
    assert raw.call("GET", "s") == b"$-1\r\n"
    assert raw.call("EXISTS", "s") == b":0\r\n"
    assert raw.call("TTL", "s") == b":-2\r\n"
    assert raw.call("LLEN", "l") == b":0\r\n"
    assert raw.call("LRANGE", "l", "0", "-1") == b"*0\r\n"
    assert raw.call("TYPE", "l") == b"+none\r\n"
    assert raw.call("GET", "keep") == b"$1\r\nv\r\n"
    assert raw.call("DBSIZE") == b":1\r\n"
    # An expired key is gone for writers too.
    raw.call("SET", "n", "5", "PX", "30")
    time.sleep(0.08)
    assert raw.call("INCR", "n") == b":1\r\n"
    assert raw.call("TTL", "n") == b":-1\r\n"
    raw.call("SET", "a", "x", "PX", "30")
    time.sleep(0.08)
    assert raw.call("SET", "a", "new", "NX") == b"+OK\r\n"
    assert raw.call("APPEND", "a", "!") == b":4\r\n"


def test_active_expiry(r):
    pipe = r.pipeline(transaction=False)
    for index in range(1000):
        pipe.set(f"exp:{index}", "v", px=100)
    pipe.set("persistent", "v")
    assert all(pipe.execute())
    assert r.dbsize() == 1001
    # Never touch the keys: only DBSIZE, which does not expire anything by itself.
    time.sleep(1.5)
    deadline = time.monotonic() + 1.5
    while r.dbsize() != 1:
        assert time.monotonic() < deadline, f"active expiry left {r.dbsize() - 1} keys"
        time.sleep(0.05)
    assert r.get("persistent") == b"v"
