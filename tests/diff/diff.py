#!/usr/bin/python3
"""
Differential test: the same seeded random command stream goes to keel and to a real
redis-server 7.0.15; replies must match byte for byte.

    /usr/bin/python3 tests/diff/diff.py [--seed N] [--ops N] [--families a,b] [--keys N]
                                        [--batch N] [--verbose] [--exclude cmds]
                                        [--tolerate tags] [--log FILE] [--resp3]
    KEEL_BIN=/usr/bin/redis-server /usr/bin/python3 tests/diff/diff.py    # self-check
    /usr/bin/python3 tests/diff/diff.py --replay FILE [--reduce]          # minimise a failure

Env: KEEL_BIN (default <repo>/build/keel), REDIS_BIN (default /usr/bin/redis-server),
KEEL_ARGS (extra arguments for keel, not passed when KEEL_BIN is a redis-server).

Both servers are started here on free ports (redis with --save '' --appendonly no, both
with LC_ALL=C so SORT ALPHA collates bytewise). Commands come from a small shared key space
(--keys, default 12 keys over 3 databases) so type errors, empty keys and encoding conversions
are frequent. Commands are pipelined in batches to both servers at once.

Replies are compared raw. Where Redis leaves order unspecified the parsed replies are compared
after normalisation (see NORMALISERS); commands that return random elements are checked by
shape against the reference contents and the state is re-synchronised (see "Random
commands"); SCAN-like commands are compared over a full iteration; lexicographic range
commands run only when all scores are equal (see do_lex). Every intentional difference is
listed in WHITELIST. Transactions (family "transactions"): WATCH/UNWATCH run in the stream, so
every later write decides whether it touched a watched key, and MULTI ... EXEC/DISCARD is one
operation sent whole, each reply compared (see g_multi). Every 1000 operations both keyspaces
are dumped and compared: DBSIZE,
and TYPE, PTTL, contents and OBJECT ENCODING of every key in databases 0-2.

At startup each command of the catalogue is probed once on keel: a reply of exactly
"-ERR not implemented yet" (or "unknown command") disables it; the skipped commands are printed.

Known keel bugs (KNOWN) can be looked past with --tolerate; --exclude drops commands.
--log FILE records the operations; --replay FILE --reduce shrinks such a file to a minimal
sequence that still fails (FILE.min) and prints it.

--resp3 sends HELLO 3 on both connections first: every reply is then compared in RESP3 (raw
bytes first, as always; the parsed values are read back as their RESP2 equivalents so the
normalisers and checks below apply unchanged, see parse_resp3).

Exit status 0 when no mismatch was found, 1 on the first mismatch (seed, operation number,
the last 20 commands and both replies are printed), 2 on a usage or setup error.
"""
import argparse
import collections
import os
import random
import select
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
IO_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 10.0
DUMP_EVERY = 1000
HISTORY = 20
NDBS = 3                      # the generator uses databases 0..NDBS-1
STUB_REPLIES = (b"-ERR not implemented yet\r\n",)
UNKNOWN_PREFIX = b"-ERR unknown command"

# ==== Intentional differences =====================================================
# The only places where keel's reply may differ from redis-server 7.0.15. Each entry names
# the comparison used instead of byte equality (see NORMALISERS) and why.
WHITELIST = {
    # keel reports Redis 7.2 encoding names: small sets and small lists are "listpack" where
    # 7.0.15 says "hashtable"/"quicklist". Compared by shape (see ENCODING_SHAPES).
    "object|encoding": "encoding",
    # keel has no shared objects; Redis answers INT_MAX for shared small integers.
    "object|refcount": "refcount",
    # Redis shares the objects of small integers (0..9999) between keys, so it reports the idle
    # time of the shared object, not of the key: compared by shape (a non-negative integer).
    "object|idletime": "idle",
    # Not keel differences but orders Redis leaves unspecified, handled in sort_op():
    # SORT BY nosort (or a pattern without '*') returns a set in its hash order, and
    # SORT ... BY pattern ALPHA leaves elements with equal (or missing) weights in input
    # order (sortCompare returns 0): both compared unordered, never with LIMIT or STORE.
    # SORT ... ALPHA without STORE uses strcoll(), so NUL bytes end the compared string
    # ("alpha" normaliser). A numeric SORT is preceded by a harmless ZUNION that resets the
    # errno Redis's SORT reads without clearing (see sort_op).
    "sort": "set/alpha",
    "sort_ro": "set/alpha",
}
# Never generated: INFO, CONFIG, COMMAND, DEBUG, TIME, CLIENT, MEMORY and SHUTDOWN/QUIT
# (server-specific text, clocks or connection state). Protocol-level quirks listed in
# /work/shared/RELIABILITY.md (skipped CRLF after a bulk, inline parsing, bare \n) are not
# exercised: this tool only sends well-formed RESP2 multibulk requests.

# OBJECT ENCODING as a command: Redis 7.0 name -> keel names accepted (the type is unknown
# here). Keel follows 7.2: small lists and small sets are "listpack". A set's encoding also
# depends on SPOP's random choices (7.0 rebuilds the remaining members into a new set whose
# encoding follows the first member drawn), so any set encoding is accepted here and checked
# against the contents in the keyspace dump instead (see encoding_fits).
ENCODING_SHAPES = {
    b"quicklist": {b"quicklist", b"listpack"},
    b"hashtable": {b"hashtable", b"listpack", b"intset"},
    b"intset": {b"intset", b"listpack", b"hashtable"},
}
SET_MAX_INTSET_ENTRIES = 512
SET_MAX_LISTPACK_ENTRIES = 128
SET_MAX_LISTPACK_VALUE = 64


def is_int64(b):
    try:
        v = int(b)
    except ValueError:
        return False
    return b == b"%d" % v and -2 ** 63 <= v < 2 ** 63


# ==== Known keel differences (opt-in tolerance) =======================================
# Not intentional: keel bugs found by this test and reported, tolerated only when named in
# --tolerate so that a run can look past them for other differences.
KNOWN = {
    "string-encoding": "OBJECT ENCODING of strings: Redis keeps \"raw\" after APPEND/SETRANGE "
                       "(APPEND to an int gives raw); accept any encoding that fits the value",
    "sort-skiplist": "SORT converts a listpack sorted set to skiplist in Redis (sort.c, "
                     "\"Destructively convert\"); accept any zset encoding that fits",
    "negzero": "a skiplist-encoded sorted set keeps a -0 score and Redis replies \"-0\"; "
               "keel replies \"0\": replies compared with \"-0\" read as \"0\"",
    "nul-number": "INCRBYFLOAT/HINCRBYFLOAT parse the stored value and the increment only up "
                  "to a NUL byte in keel (\"\\x00\" counts as 0, \"1.5\\x00x\" as 1.5): "
                  "numeric commands are skipped when the value or an argument holds a NUL",
}
TOLERATE = set()
LOOSE_STRING_SHAPES = {e: {b"int", b"embstr", b"raw"} for e in (b"int", b"embstr", b"raw")}
ZSET_MAX_LISTPACK_ENTRIES = 128
ZSET_MAX_LISTPACK_VALUE = 64


def encoding_fits(type_, members, keel_enc, redis_enc):
    """Keyspace dump: is keel's encoding acceptable for a key of this type and contents?"""
    if type_ == b"string" and "string-encoding" in TOLERATE and members:
        value = members[0]
        if keel_enc == b"int":
            return len(value) <= 20 and is_int64(value)
        if keel_enc == b"embstr":
            return len(value) <= 44
        return keel_enc == b"raw"
    if type_ == b"zset" and "sort-skiplist" in TOLERATE:
        names = members[0::2]
        if keel_enc == b"listpack":
            return (len(names) <= ZSET_MAX_LISTPACK_ENTRIES and
                    all(len(m) <= ZSET_MAX_LISTPACK_VALUE for m in names))
        return keel_enc == b"skiplist"
    if type_ == b"list":
        return keel_enc in (b"quicklist", b"listpack")
    if type_ == b"set":
        if keel_enc == b"hashtable":
            return True
        if keel_enc == b"intset":
            return len(members) <= SET_MAX_INTSET_ENTRIES and all(map(is_int64, members))
        if keel_enc == b"listpack":
            return (len(members) <= SET_MAX_LISTPACK_ENTRIES and
                    all(len(m) <= SET_MAX_LISTPACK_VALUE for m in members))
        return False
    return keel_enc == redis_enc    # strings, hashes, sorted sets: same names in 7.0 and 7.2


# ==== RESP =============================================================================


class Incomplete(Exception):
    pass


class ServerError(Exception):
    """A server closed the connection, stopped answering or sent bad protocol."""


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def parse(buf, pos):
    """One RESP2 reply at buf[pos:] -> (value, end). Values are tuples tagged with the type
    byte: ('+', b), ('-', b), (':', int), ('$', bytes|None), ('*', list|None)."""
    end = buf.find(b"\r\n", pos)
    if end < 0:
        raise Incomplete
    t = buf[pos]
    line = bytes(buf[pos + 1:end])
    if t == 43:
        return ("+", line), end + 2
    if t == 45:
        return ("-", line), end + 2
    if t == 58:
        return (":", int(line)), end + 2
    if t == 36:
        n = int(line)
        if n < 0:
            return ("$", None), end + 2
        start = end + 2
        if len(buf) < start + n + 2:
            raise Incomplete
        if buf[start + n:start + n + 2] != b"\r\n":
            raise ServerError("bulk string not followed by CRLF")
        return ("$", bytes(buf[start:start + n])), start + n + 2
    if t == 42:
        n = int(line)
        if n < 0:
            return ("*", None), end + 2
        p = end + 2
        items = []
        for _ in range(n):
            v, p = parse(buf, p)
            items.append(v)
        return ("*", flatten_pairs(items) if RESP3_MODE else items), p
    if RESP3_MODE:
        return parse_resp3(buf, pos, t, line, end)
    raise ServerError("unexpected reply type byte %r" % bytes([t]))


# ==== RESP3 (--resp3) ==================================================================
# The raw replies are compared byte for byte as in RESP2; the parsed values are read back as
# what the same reply is in RESP2, so the normalisers, random-command checks and keyspace dumps
# work unchanged: map and set -> flat array, double -> bulk text, null -> nil bulk, verbatim
# text -> bulk without its "txt:" prefix, boolean -> integer, and RESP3's arrays of
# [member, score] / [field, value] pairs -> one flat array.
RESP3_MODE = False


def flatten_pairs(items):
    """RESP3 pairs (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES): [[a, 1], [b, 2]] ->
    [a, 1, b, 2]. Only arrays whose every element is a two-element array of bulk strings."""
    if not items or any(v[0] != "*" or v[1] is None or len(v[1]) != 2 or
                        v[1][0][0] != "$" or v[1][1][0] != "$" for v in items):
        return items
    return [x for v in items for x in v[1]]


def parse_resp3(buf, pos, t, line, end):
    """The RESP3-only types at buf[pos:], read back as their RESP2 equivalents."""
    if t in (37, 126, 62):              # % map, ~ set, > push
        n = int(line) * (2 if t == 37 else 1)
        p = end + 2
        items = []
        for _ in range(n):
            v, p = parse(buf, p)
            items.append(v)
        return ("*", items), p
    if t == 44:                         # , double
        return ("$", line), end + 2
    if t == 95:                         # _ null
        return ("$", None), end + 2
    if t == 35:                         # # boolean
        return (":", 1 if line == b"t" else 0), end + 2
    if t == 40:                         # ( big number
        return (":", int(line)), end + 2
    if t in (61, 33):                   # = verbatim, ! blob error
        n = int(line)
        start = end + 2
        if len(buf) < start + n + 2:
            raise Incomplete
        body = bytes(buf[start:start + n])
        if t == 33:
            return ("-", body), start + n + 2
        return ("$", body[4:]), start + n + 2
    raise ServerError("unexpected reply type byte %r" % bytes([t]))


def hello3(conns):
    """Switches every connection to RESP3 (HELLO 3: a map of 7 fields from both servers)."""
    for conn, (reply,) in zip(conns, exchange([(c, encode([b"HELLO", b"3"]), 1)
                                               for c in conns])):
        if not reply[1].startswith(b"%7\r\n"):
            raise ServerError("%s: HELLO 3 answered %s" % (conn.name, show_raw(reply[1])))


def show_args(args, limit=80):
    out = []
    for a in args:
        if len(a) > limit:
            out.append(show_bytes(a[:limit]) + "...(%d bytes)" % len(a))
        else:
            out.append(show_bytes(a))
    return " ".join(out)


def show_bytes(b):
    if b and all(33 <= c < 127 and c not in (34, 92) for c in b):
        return b.decode()
    s = "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\x%02x" % c for c in b)
    return '"' + s + '"'


def show_raw(raw, limit=600):
    text = repr(raw[:limit])
    return text + ("...(%d bytes)" % len(raw) if len(raw) > limit else "")


# ==== Servers and connections ==========================================================


def free_port():
    s = socket.socket()
    s.bind((HOST, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    def __init__(self, name, binary, workdir, extra):
        self.name = name
        self.binary = binary
        self.workdir = workdir
        self.extra = extra
        self.proc = None
        self.port = None
        self.log_path = os.path.join(workdir, name + ".log")

    def start(self):
        args_extra = []
        if os.path.basename(self.binary) == "redis-server":
            args_extra = ["--save", "", "--appendonly", "no"]
        else:
            args_extra = list(self.extra)
        env = dict(os.environ, LC_ALL="C", LANG="C")
        for _ in range(3):
            port = free_port()
            cmd = [self.binary, "--port", str(port), "--bind", HOST] + args_extra
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(cmd, cwd=self.workdir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env)
            log.close()
            if self._wait_ready(port):
                self.port = port
                return
            self.stop()
        raise ServerError("%s (%s) did not start; log %s:\n%s" %
                          (self.name, self.binary, self.log_path, self.log_tail()))

    def _wait_ready(self, port):
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection((HOST, port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.05)
        return False

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_tail(self, n=3000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""


class Conn:
    def __init__(self, name, port):
        self.name = name
        self.sock = socket.create_connection((HOST, port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.pos = 0
        self.out = b""
        self.sent = 0
        self.want = 0
        self.replies = []

    def fileno(self):
        return self.sock.fileno()

    def begin(self, payload, n):
        self.out = payload
        self.sent = 0
        self.want = n
        self.replies = []

    def done(self):
        return len(self.replies) >= self.want and self.sent >= len(self.out)

    def on_writable(self):
        try:
            self.sent += self.sock.send(memoryview(self.out)[self.sent:self.sent + (1 << 20)])
        except BlockingIOError:
            pass
        except OSError as e:
            raise ServerError("%s: send failed: %s" % (self.name, e))

    def on_readable(self):
        try:
            data = self.sock.recv(1 << 20)
        except BlockingIOError:
            return
        except OSError as e:
            raise ServerError("%s: recv failed: %s" % (self.name, e))
        if not data:
            raise ServerError("%s closed the connection" % self.name)
        self.buf += data
        buf = self.buf
        while len(self.replies) < self.want:
            try:
                val, end = parse(buf, self.pos)
            except Incomplete:
                break
            except ValueError as e:
                raise ServerError("%s: bad protocol: %s" % (self.name, e))
            self.replies.append((val, bytes(buf[self.pos:end])))
            self.pos = end
        if self.pos:
            del buf[:self.pos]
            self.pos = 0
        if len(self.replies) >= self.want and buf:
            raise ServerError("%s sent more replies than commands: %r" %
                              (self.name, bytes(buf[:200])))


def exchange(jobs):
    """jobs: [(conn, payload, nreplies)]; all run concurrently. Returns [replies] per job,
    each reply (value, raw bytes)."""
    for conn, payload, n in jobs:
        conn.begin(payload, n)
    conns = [j[0] for j in jobs]
    deadline = time.monotonic() + IO_TIMEOUT_S
    while True:
        active = [c for c in conns if not c.done()]
        if not active:
            break
        wlist = [c for c in active if c.sent < len(c.out)]
        rl, wl, _ = select.select(active, wlist, [], 1.0)
        for c in wl:
            c.on_writable()
        for c in rl:
            c.on_readable()
        if rl or wl:
            deadline = time.monotonic() + IO_TIMEOUT_S
        elif time.monotonic() > deadline:
            late = ", ".join(c.name for c in active)
            raise ServerError("no reply within %.0f s from %s" % (IO_TIMEOUT_S, late))
    return [c.replies for c in conns]


# ==== Normalisers ======================================================================


def _sortkey(v):
    return repr(v)


def norm_set(kv, rv):
    """Flat arrays whose order Redis leaves unspecified (SMEMBERS, KEYS, SUNION...)."""
    if kv[0] != "*" or kv[1] is None or rv[1] is None:
        return "replies differ"
    if sorted(kv[1], key=_sortkey) != sorted(rv[1], key=_sortkey):
        return "replies differ (as unordered sets)"
    return None


def norm_pairs(kv, rv):
    """Flat field/value arrays with unspecified pair order (HGETALL)."""
    if kv[0] != "*" or kv[1] is None or rv[1] is None:
        return "replies differ"
    kp = sorted(zip(kv[1][0::2], kv[1][1::2]), key=_sortkey)
    rp = sorted(zip(rv[1][0::2], rv[1][1::2]), key=_sortkey)
    if len(kv[1]) != len(rv[1]) or kp != rp:
        return "replies differ (as unordered pairs)"
    return None


def _tolerance(limit):
    def check(kv, rv):
        if kv[0] != ":" or rv[0] != ":":
            return "replies differ"
        a, b = kv[1], rv[1]
        if a < 0 or b < 0:
            return None if a == b else "replies differ"
        return None if abs(a - b) <= limit else "replies differ by more than %d" % limit
    return check


def norm_encoding(kv, rv):
    if kv[0] != "$" or rv[0] != "$":
        return "replies differ"
    shapes = ENCODING_SHAPES
    if "string-encoding" in TOLERATE:
        shapes = {**shapes, **LOOSE_STRING_SHAPES}
    if "sort-skiplist" in TOLERATE:
        shapes = {**shapes, b"skiplist": {b"skiplist", b"listpack"}}
    if kv[1] in shapes.get(rv[1], {rv[1]}):
        return None
    return "encoding %r not accepted for Redis %r" % (kv[1], rv[1])


def norm_refcount(kv, rv):
    if kv[0] == ":" and rv[0] == ":" and kv[1] >= 1 and rv[1] >= 1:
        return None
    return "replies differ"


def norm_alpha(kv, rv):
    """SORT ... ALPHA without STORE compares with strcoll() (bytewise up to the first NUL under
    LC_ALL=C): elements equal up to a NUL byte tie, and ties keep the input order, which for a
    set is its hash order. Compare the sequences of C-string prefixes."""
    if kv[0] != "*" or kv[1] is None or rv[1] is None or len(kv[1]) != len(rv[1]):
        return "replies differ"
    def prefixes(items):
        return [None if v[1] is None else v[1].split(b"\0", 1)[0] for v in items]
    if prefixes(kv[1]) != prefixes(rv[1]):
        return "replies differ (compared up to NUL bytes)"
    return None


def norm_any_bulk(kv, rv):
    return None if kv[0] == "$" and rv[0] == "$" else "replies differ"


NORMALISERS = {
    "encoding_any": norm_any_bulk,
    "alpha": norm_alpha,
    "set": norm_set,
    "pairs": norm_pairs,
    "ttl_s": _tolerance(2),          # TTL, EXPIRETIME: second rounding + execution skew
    "ttl_ms": _tolerance(1500),      # PTTL, PEXPIRETIME: execution skew between servers
    "idle": lambda kv, rv: None if kv[0] == rv[0] == ":" and kv[1] >= 0 else "replies differ",
    "encoding": norm_encoding,
    "refcount": norm_refcount,
}


def negzero_equal(kv, rv):
    """Equal when every bulk "-0" of redis's reply is "0" in keel's (--tolerate negzero)."""
    if kv[0] != rv[0]:
        return False
    if kv[0] == "*" and kv[1] is not None and rv[1] is not None:
        return len(kv[1]) == len(rv[1]) and all(map(negzero_equal, kv[1], rv[1]))
    return kv == rv or (kv[0] == "$" and kv[1] == b"0" and rv[1] == b"-0")


def check_reply(kind, k, r):
    """None when keel's reply k is acceptable against redis's reply r (value, raw)."""
    if k[1] == r[1]:
        return None
    if "negzero" in TOLERATE and b"$2\r\n-0\r\n" in r[1] and negzero_equal(k[0], r[0]):
        return None
    if kind is None:
        return "replies differ"
    kv, rv = k[0], r[0]
    if kv[0] != rv[0]:
        return "reply types differ"
    if kv[0] == "-":
        return "errors differ"
    return NORMALISERS[kind](kv, rv)


def first_difference(kv, rv):
    """For two arrays that differ: where, as text (None when not both arrays)."""
    if kv[0] != "*" or rv[0] != "*" or kv[1] is None or rv[1] is None:
        return None
    if len(kv[1]) != len(rv[1]):
        return "arrays differ in length: keel %d, redis %d" % (len(kv[1]), len(rv[1]))
    for i, (a, b) in enumerate(zip(kv[1], rv[1])):
        if a != b:
            return "first difference at element %d: keel %r, redis %r" % (i, a, b)
    return None


# ==== Value pools ======================================================================

SMALL_INTS = [b"0", b"1", b"-1", b"2", b"3", b"7", b"10", b"42", b"100", b"-100", b"12345",
              b"4294967296", b"5"]
EDGE_INTS = [b"9223372036854775807", b"-9223372036854775808", b"9223372036854775806",
             b"-9223372036854775807", b"2147483647", b"-2147483648"]
BAD_INTS = [b"abc", b"1.5", b"", b"9223372036854775808", b"-9223372036854775809", b" 1", b"1 ",
            b"0x10", b"+1", b"1e3", b"01", b"-0", b"--1", b"\x001"]
FLOATS = [b"1.5", b"-2.25", b"0.1", b"3.0", b"1e3", b"-1e-3", b"inf", b"-inf", b"+inf", b"1e308",
          b".5", b"1.", b"-0", b"0.0", b"0.30000000000000004", b"10.5", b"3", b"-7",
          b"1.7976931348623157e308", b"123456789.123456789", b"1e-20", b"2.5e17"]
BAD_FLOATS = [b"nan", b"abc", b"", b"1.5.5", b"1e", b"inf1", b" 1", b"1e400", b"-nan", b"1,5",
              b"1\x00", b"2.5\x00x"]
STRS = [b"a", b"b", b"c", b"foo", b"bar", b"hello world", b"", b"\x00\xff\x01",
        "\u00e9t\u00e9".encode(), b"x\r\ny", b"*", b"?", b"[a]", b"k1", b"k3->f0", b"f1", b"A",
        b"foo\x00bar"]
MEMBERS = ([b"%d" % i for i in range(16)] +
           [b"-3", b"100000", b"18446744073709551616", b"a", b"b", b"c", b"d", b"e", b"f", b"g",
            b"h", b"", b"\x00\xff", b"hello world", b"O" * 65, b"P" * 100, b"1.5", b"-0", b"007",
            b"k1", b"k2"])
FIELDS = ([b"f%d" % i for i in range(8)] +
          [b"0", b"1", b"", b"x" * 64, b"y" * 65, b"a b", b"\x00", b"f0 "])
SCORES = [b"0", b"1", b"-1", b"2", b"3", b"1.5", b"-2.5", b"10", b"100", b"1e10", b"-0", b"0.1",
          b"inf", b"-inf", b"+inf", b"3.14159", b"1e-5", b"-100", b"0.2", b"7"]
BAD_SCORES = [b"nan", b"abc", b"", b"(1", b"1e400", b" 1"]
SCORE_RANGES = [b"-inf", b"+inf", b"inf", b"0", b"1", b"(1", b"2", b"(2", b"1.5", b"(0", b"10",
                b"(10", b"-1", b"(-inf", b"3"]
BAD_SCORE_RANGES = [b"abc", b"(", b"nan", b"((1", b"[1", b""]
LEX_RANGES = [b"-", b"+", b"[a", b"(a", b"[b", b"(c", b"[0", b"(5", b"[z", b"[", b"(", b"[h",
              b"[1", b"(100000"]
BAD_LEX_RANGES = [b"a", b"", b"{a", b"5"]
INDEXES = [b"-100", b"-10", b"-3", b"-2", b"-1", b"0", b"1", b"2", b"3", b"5", b"10", b"100"]
PATTERNS = [b"*", b"k*", b"k[0-3]", b"k?", b"*1*", b"\\*", b"k[", b"?", b"k[^1]*", b"K*",
            b"k1", b"*\xff", b"[a-z]*", b"k\\1", b""]
TYPES = [b"string", b"list", b"set", b"zset", b"hash", b"none", b"stream", b"STRING", b"foo"]
BIG_COUNTS = [100, 128, 129, 200, 300, 511, 512, 513, 600]
BIG_INTS = [b"%d" % i for i in range(1000)]
BIG_STRS = [b"e%d" % i for i in range(1000)]
BITFIELD_TYPES = [b"i1", b"i5", b"i8", b"i16", b"i32", b"i63", b"i64", b"u1", b"u7", b"u8",
                  b"u16", b"u32", b"u63"]
BAD_BITFIELD_TYPES = [b"u64", b"i65", b"x8", b"i0", b"u", b""]
BITFIELD_OFFSETS = [b"0", b"1", b"7", b"8", b"13", b"64", b"100", b"#0", b"#3", b"200"]
BAD_BITFIELD_OFFSETS = [b"-1", b"abc", b"#-1", b"4294967296", b"#"]
UNKNOWN_COMMANDS = [b"foobar", b"GETX", b"lpushh", b"a b", b"x\r\ny", b"SETT", b"hgetalll"]


def long_values(rng):
    blob = bytes(rng.randrange(256) for _ in range(300))
    return [b"L" * 44, b"M" * 45, b"N" * 64, b"O" * 65, b"P" * 100, blob, b"Q" * 1000]


HUGE_VALUES = [b"H" * 5000, b"Z" * 9000]

# ==== Generator ========================================================================

FAMILIES = ["strings", "keys", "lists", "hashes", "sets", "zsets", "bitmaps", "keyspace",
            "server", "errors", "transactions"]
# Keys a family prefers (indexes into the key list); any key is used a quarter of the time.
PREFERRED = {"strings": [0, 1], "lists": [2, 3], "hashes": [4, 5], "sets": [6, 7],
             "zsets": [8, 9], "bitmaps": [10, 1]}      # with 12 keys, key 10 is the empty key


class Op:
    __slots__ = ("no", "db", "args", "kind", "handler", "name", "tx")

    def __init__(self, args, kind=None, handler=None):
        self.args = args
        self.kind = kind
        self.handler = handler
        self.tx = None             # MULTI ... EXEC: every command of the transaction
        self.no = 0
        self.db = 0
        self.name = ""


class Gen:
    """Seeded command generator. Only the catalogue entries in `enabled` are emitted; the
    stream depends only on the seed, the enabled set and the key count."""

    def __init__(self, seed, enabled, nkeys, base_time):
        self.r = random.Random(seed)
        # k0, k1, ..., then the empty key and a binary one (with 12 keys: k0..k9, "", "k 11\xff").
        self.keys = [b"k%d" % i for i in range(max(1, nkeys - 2))] + [b"", b"k 11\xff"]
        self.longs = long_values(random.Random(seed ^ 0x5EED))
        self.base = base_time
        self.db = 0
        self.no = 0
        self.pending = []          # operations that must follow the last one
        self.enabled = enabled
        self.table = {}
        for name, (family, weight, _fn) in CATALOGUE.items():
            if name in enabled:
                self.table.setdefault(family, []).append((name, weight))
        self.families = sorted(self.table)
        self.fam_weights = [FAMILY_WEIGHTS.get(f, 1.0) for f in self.families]
        self.choices = {}
        for f, rows in self.table.items():
            self.choices[f] = ([n for n, _ in rows], [w for _, w in rows])

    # ---- basic choices ----
    def chance(self, p):
        return self.r.random() < p

    def pick(self, seq):
        return seq[self.r.randrange(len(seq))]

    def C(self, word):
        """A command or option name, in random case now and then."""
        if self.r.random() < 0.08:
            return bytes(c ^ 32 if 97 <= (c | 32) <= 122 and self.r.random() < 0.5 else c
                         for c in word.lower())
        return word

    def key(self, family=None):
        pref = PREFERRED.get(family)
        if pref and self.r.random() < 0.93:
            return self.keys[self.pick(pref) % len(self.keys)]
        return self.pick(self.keys)

    def keylist(self, family, lo, hi):
        return [self.key(family) for _ in range(self.r.randint(lo, hi))]

    def val(self):
        x = self.r.random()
        if x < 0.28:
            return self.pick(SMALL_INTS)
        if x < 0.32:
            return self.pick(EDGE_INTS)
        if x < 0.43:
            return self.pick(FLOATS)
        if x < 0.80:
            return self.pick(STRS)
        if x < 0.96:
            return self.pick(self.longs)
        if x < 0.997:
            return self.pick(BAD_INTS)
        return self.pick(HUGE_VALUES)

    def integer(self):
        x = self.r.random()
        if x < 0.85:
            return self.pick(SMALL_INTS)
        if x < 0.93:
            return self.pick(EDGE_INTS)
        return self.pick(BAD_INTS)

    def flt(self):
        x = self.r.random()
        if x < 0.5:
            return self.pick(FLOATS)
        if x < 0.9:
            return self.pick(SMALL_INTS)
        if x < 0.95:
            return self.pick(EDGE_INTS)
        return self.pick(BAD_FLOATS)

    def index(self):
        if self.r.random() < 0.96:
            return self.pick(INDEXES)
        return self.pick(BAD_INTS + EDGE_INTS)

    def count(self):
        x = self.r.random()
        if x < 0.85:
            return b"%d" % self.r.randint(0, 10)
        if x < 0.93:
            return self.pick([b"-1", b"-5", b"-100"])
        return self.pick(BAD_INTS + EDGE_INTS)

    def mem(self):
        return self.pick(MEMBERS)

    def fld(self):
        return self.pick(FIELDS)

    def score(self):
        return self.pick(SCORES) if self.r.random() < 0.95 else self.pick(BAD_SCORES)

    def score_range(self):
        return self.pick(SCORE_RANGES) if self.r.random() < 0.95 else self.pick(BAD_SCORE_RANGES)

    def lex_range(self):
        return self.pick(LEX_RANGES) if self.r.random() < 0.95 else self.pick(BAD_LEX_RANGES)

    def big(self):
        """Past the listpack/intset limits now and then (multi-argument commands)."""
        return self.r.random() < 0.012

    def big_members(self):
        pool = BIG_INTS if self.r.random() < 0.5 else BIG_STRS
        return [self.pick(pool) for _ in range(self.pick(BIG_COUNTS))]

    def ttl_s(self):
        x = self.r.random()
        if x < 0.9:
            return b"%d" % self.r.randint(100000, 9000000)
        if x < 0.94:
            return self.pick([b"0", b"-1", b"-100"])
        if x < 0.97:
            return self.pick([b"abc", b"1.5", b""])
        return self.pick([b"9223372036854775807", b"9223372036854775", b"-9223372036854775808",
                          b"4611686018427387904"])

    def ttl_ms(self):
        x = self.r.random()
        if x < 0.9:
            return b"%d" % self.r.randint(10 ** 8, 9 * 10 ** 9)
        if x < 0.94:
            return self.pick([b"0", b"-1", b"-100"])
        if x < 0.97:
            return self.pick([b"abc", b"1.5", b""])
        return self.pick([b"9223372036854775807", b"-9223372036854775808",
                          b"9223372036854775000"])

    def abs_s(self):
        x = self.r.random()
        if x < 0.85:
            return b"%d" % (self.base + self.pick([200000, 300000, 400000, 500000]))
        if x < 0.93:
            return self.pick([b"1", b"1000", b"0"])
        return self.pick([b"abc", b"-1", b"9223372036854775807", b""])

    def abs_ms(self):
        x = self.r.random()
        if x < 0.85:
            return b"%d" % ((self.base + self.pick([200000, 300000, 400000, 500000])) * 1000)
        if x < 0.93:
            return self.pick([b"1", b"1000", b"0"])
        return self.pick([b"abc", b"-1", b"9223372036854775807", b""])

    def dbindex(self):
        if self.r.random() < 0.9:
            return b"%d" % self.r.randrange(NDBS)
        return self.pick([b"16", b"-1", b"abc", b"100", b""])

    # ---- the stream ----
    def next(self):
        if self.pending:
            op = self.pending.pop(0)
            name = op.args[0].decode().lower()
        else:
            family = self.r.choices(self.families, self.fam_weights)[0]
            names, weights = self.choices[family]
            name = self.r.choices(names, weights)[0]
            op = CATALOGUE[name][2](self)
        if ("nul-number" in TOLERATE and op.handler is None and len(op.args) >= 2 and
                op.args[0].upper() in NUMERIC):
            op.handler = do_numeric
        if op.handler is None and op.kind is None and WHITELIST.get(name) in NORMALISERS:
            op.kind = WHITELIST[name]
        self.no += 1
        op.no = self.no
        op.db = self.db
        op.name = name
        return op


FAMILY_WEIGHTS = {"errors": 0.4, "server": 0.3, "transactions": 0.5}

# ==== Command generators ===============================================================
# Each returns an Op. Helpers: g.C(name) for case variation, g.key(family), g.val()...


def simple(*parts):
    return Op(list(parts))


def g_set(g):
    a = [g.C(b"SET"), g.key("strings"), g.val()]
    if g.chance(0.5):
        opts = [[g.C(b"NX")], [g.C(b"XX")], [g.C(b"GET")], [g.C(b"KEEPTTL")],
                [g.C(b"EX"), g.ttl_s()], [g.C(b"PX"), g.ttl_ms()], [g.C(b"EXAT"), g.abs_s()],
                [g.C(b"PXAT"), g.abs_ms()], [b"FOO"], [b"EX"]]
        weights = [4, 4, 4, 2, 4, 3, 2, 2, 0.2, 0.2]
        for _ in range(g.r.randint(1, 3)):
            a += g.r.choices(opts, weights)[0]
        if b"EXAT" in (x.upper() for x in a[3:]) or b"PXAT" in (x.upper() for x in a[3:]):
            # A past EXAT/PXAT leaves a logically expired key until something touches it; how
            # long depends on each server's expiry cycle (DBSIZE counts it): touch it now.
            g.pending.append(Op([b"EXISTS", a[1]]))
    return Op(a)


def g_setnx(g):
    return simple(g.C(b"SETNX"), g.key("strings"), g.val())


def g_setex(g):
    return simple(g.C(b"SETEX"), g.key("strings"), g.ttl_s(), g.val())


def g_psetex(g):
    return simple(g.C(b"PSETEX"), g.key("strings"), g.ttl_ms(), g.val())


def g_get(g):
    return simple(g.C(b"GET"), g.key("strings"))


def g_getdel(g):
    return simple(g.C(b"GETDEL"), g.key("strings"))


def g_getset(g):
    return simple(g.C(b"GETSET"), g.key("strings"), g.val())


def g_getex(g):
    a = [g.C(b"GETEX"), g.key("strings")]
    x = g.r.random()
    if x < 0.15:
        a += [g.C(b"EX"), g.ttl_s()]
    elif x < 0.3:
        a += [g.C(b"PX"), g.ttl_ms()]
    elif x < 0.4:
        a += [g.C(b"EXAT"), g.abs_s()]
    elif x < 0.5:
        a += [g.C(b"PXAT"), g.abs_ms()]
    elif x < 0.65:
        a += [g.C(b"PERSIST")]
    elif x < 0.7:
        a += g.pick([[b"EX", b"100000", b"PERSIST"], [b"FOO"], [b"EX"], [b"PERSIST", b"1"]])
    return Op(a)


def g_getrange(g):
    return simple(g.C(b"GETRANGE"), g.key("strings"), g.index(), g.index())


def g_setrange(g):
    x = g.r.random()
    if x < 0.8:
        off = b"%d" % g.r.randint(0, 100)
    elif x < 0.9:
        off = b"%d" % g.r.randint(0, 3000)
    else:
        off = g.pick([b"-1", b"536870912", b"abc", b"", b"9223372036854775807"])
    v = g.val() if g.r.random() < 0.9 else b""
    return simple(g.C(b"SETRANGE"), g.key("strings"), off, v)


def g_append(g):
    return simple(g.C(b"APPEND"), g.key("strings"), g.val())


# LCS is O(len1 * len2) in time and table memory: one key is first set to a short value, so
# the work stays small whatever the other key holds (missing, another type, an integer).
LCS_VALUES = [b"ohmytext", b"mynewtext", b"abcabcab", b"aXbXcXa", b"", b"12345", b"\x00\xffa\x00",
              b"hello world", b"bacab"]


def g_lcs(g):
    short = g.pick(LCS_VALUES) if g.chance(0.7) else g.pick(STRS + SMALL_INTS)
    fresh, other = g.key("strings"), g.key("strings")
    keys = [fresh, other] if g.chance(0.5) else [other, fresh]
    a = [g.C(b"LCS")] + keys
    choices = [[g.C(b"IDX")], [g.C(b"LEN")], [g.C(b"WITHMATCHLEN")],
               [g.C(b"MINMATCHLEN"), g.pick([b"0", b"1", b"2", b"3", b"4", b"-1"])],
               [g.C(b"MINMATCHLEN"), g.integer()], [b"FOO"], [g.C(b"MINMATCHLEN")]]
    weights = [5, 2, 3, 3, 0.3, 0.2, 0.2]
    for _ in range(g.r.randint(0, 3)):
        a += g.r.choices(choices, weights)[0]
    g.pending.append(Op(a))
    return simple(b"SET", fresh, short)


def g_strlen(g):
    return simple(g.C(b"STRLEN"), g.key("strings"))


def g_incr(g):
    return simple(g.C(b"INCR"), g.key("strings"))


def g_decr(g):
    return simple(g.C(b"DECR"), g.key("strings"))


def g_incrby(g):
    return simple(g.C(b"INCRBY"), g.key("strings"), g.integer())


def g_decrby(g):
    return simple(g.C(b"DECRBY"), g.key("strings"), g.integer())


def g_incrbyfloat(g):
    return simple(g.C(b"INCRBYFLOAT"), g.key("strings"), g.flt())


def g_mget(g):
    return Op([g.C(b"MGET")] + g.keylist("strings", 1, 5))


def g_mset(g):
    a = [g.C(b"MSET")]
    for _ in range(g.r.randint(1, 4)):
        a += [g.key("strings"), g.val()]
    if g.chance(0.03):
        a.append(g.key("strings"))
    return Op(a)


def g_msetnx(g):
    a = g_mset(g).args
    a[0] = g.C(b"MSETNX")
    return Op(a)


# ---- keys and expiry ----


def g_del(g):
    return Op([g.C(b"DEL")] + g.keylist(None, 1, 3))


def g_unlink(g):
    return Op([g.C(b"UNLINK")] + g.keylist(None, 1, 3))


def g_exists(g):
    return Op([g.C(b"EXISTS")] + g.keylist(None, 1, 4))


def g_touch(g):
    return Op([g.C(b"TOUCH")] + g.keylist(None, 1, 3))


def g_type(g):
    return simple(g.C(b"TYPE"), g.key())


def expire_opts(g, a):
    if g.chance(0.35):
        pool = [b"NX", b"XX", b"GT", b"LT"]
        for _ in range(g.r.randint(1, 2)):
            a.append(g.C(g.pick(pool)))
    if g.chance(0.01):
        a.append(b"FOO")
    return Op(a)


def g_expire(g):
    return expire_opts(g, [g.C(b"EXPIRE"), g.key(), g.ttl_s()])


def g_pexpire(g):
    return expire_opts(g, [g.C(b"PEXPIRE"), g.key(), g.ttl_ms()])


def g_expireat(g):
    return expire_opts(g, [g.C(b"EXPIREAT"), g.key(), g.abs_s()])


def g_pexpireat(g):
    return expire_opts(g, [g.C(b"PEXPIREAT"), g.key(), g.abs_ms()])


def g_ttl(g):
    return Op([g.C(b"TTL"), g.key()], "ttl_s")


def g_pttl(g):
    return Op([g.C(b"PTTL"), g.key()], "ttl_ms")


def g_expiretime(g):
    return Op([g.C(b"EXPIRETIME"), g.key()], "ttl_s")


def g_pexpiretime(g):
    return Op([g.C(b"PEXPIRETIME"), g.key()], "ttl_ms")


def g_persist(g):
    return simple(g.C(b"PERSIST"), g.key())


# ---- lists ----


def list_values(g):
    if g.big():
        return [g.pick(BIG_STRS + [g.pick(g.longs)]) for _ in range(g.pick(BIG_COUNTS))]
    return [g.val() for _ in range(g.r.randint(1, 4))]


def g_lpush(g):
    return Op([g.C(b"LPUSH"), g.key("lists")] + list_values(g))


def g_rpush(g):
    return Op([g.C(b"RPUSH"), g.key("lists")] + list_values(g))


def g_lpushx(g):
    return Op([g.C(b"LPUSHX"), g.key("lists")] + [g.val() for _ in range(g.r.randint(1, 3))])


def g_rpushx(g):
    return Op([g.C(b"RPUSHX"), g.key("lists")] + [g.val() for _ in range(g.r.randint(1, 3))])


def pop(g, name, family):
    a = [g.C(name), g.key(family)]
    if g.chance(0.4):
        a.append(g.count())
    return Op(a)


def g_lpop(g):
    return pop(g, b"LPOP", "lists")


def g_rpop(g):
    return pop(g, b"RPOP", "lists")


def g_llen(g):
    return simple(g.C(b"LLEN"), g.key("lists"))


def g_lindex(g):
    return simple(g.C(b"LINDEX"), g.key("lists"), g.index())


def g_linsert(g):
    where = g.C(g.pick([b"BEFORE", b"AFTER"])) if g.chance(0.97) else b"MIDDLE"
    return simple(g.C(b"LINSERT"), g.key("lists"), where, g.val(), g.val())


def g_lrange(g):
    if g.chance(0.3):
        return simple(g.C(b"LRANGE"), g.key("lists"), b"0", b"-1")
    return simple(g.C(b"LRANGE"), g.key("lists"), g.index(), g.index())


def g_lrem(g):
    n = g.pick([b"0", b"1", b"2", b"-1", b"-2", b"5"]) if g.chance(0.95) else g.pick(BAD_INTS)
    return simple(g.C(b"LREM"), g.key("lists"), n, g.val())


def g_lset(g):
    return simple(g.C(b"LSET"), g.key("lists"), g.index(), g.val())


def g_ltrim(g):
    return simple(g.C(b"LTRIM"), g.key("lists"), g.index(), g.index())


def g_lpos(g):
    a = [g.C(b"LPOS"), g.key("lists"), g.val()]
    for _ in range(g.r.randint(0, 3)):
        opt = g.pick([b"RANK", b"COUNT", b"MAXLEN"])
        if opt == b"RANK":
            n = g.pick([b"1", b"2", b"-1", b"-2", b"3", b"0"])
        else:
            n = g.pick([b"0", b"1", b"2", b"5", b"-1"])
        if g.chance(0.03):
            n = g.pick(BAD_INTS + EDGE_INTS)
        a += [g.C(opt), n]
    if g.chance(0.02):
        a.append(b"RANK")
    return Op(a)


def side(g):
    return g.C(g.pick([b"LEFT", b"RIGHT"])) if g.chance(0.97) else b"UP"


def g_lmove(g):
    return simple(g.C(b"LMOVE"), g.key("lists"), g.key("lists"), side(g), side(g))


def g_rpoplpush(g):
    return simple(g.C(b"RPOPLPUSH"), g.key("lists"), g.key("lists"))


def numkeys_args(g, family, lo, hi):
    keys = g.keylist(family, lo, hi)
    n = b"%d" % len(keys)
    if g.chance(0.04):
        n = g.pick([b"0", b"-1", b"abc", b"%d" % (len(keys) + 1), b"%d" % (len(keys) + 5)])
    return [n] + keys


def g_lmpop(g):
    a = [g.C(b"LMPOP")] + numkeys_args(g, "lists", 1, 3) + [side(g)]
    if g.chance(0.5):
        a += [g.C(b"COUNT"), g.count()]
    return Op(a)


# ---- hashes ----


def field_values(g):
    if g.big():
        pool = BIG_STRS if g.chance(0.5) else BIG_INTS
        out = []
        for _ in range(g.pick(BIG_COUNTS)):
            out += [g.pick(pool), g.pick(SMALL_INTS + STRS)]
        return out
    out = []
    for _ in range(g.r.randint(1, 3)):
        out += [g.fld(), g.val()]
    if g.chance(0.02):
        out.append(g.fld())
    return out


def g_hset(g):
    return Op([g.C(b"HSET"), g.key("hashes")] + field_values(g))


def g_hmset(g):
    return Op([g.C(b"HMSET"), g.key("hashes")] + field_values(g))


def g_hsetnx(g):
    return simple(g.C(b"HSETNX"), g.key("hashes"), g.fld(), g.val())


def g_hget(g):
    return simple(g.C(b"HGET"), g.key("hashes"), g.fld())


def g_hmget(g):
    return Op([g.C(b"HMGET"), g.key("hashes")] + [g.fld() for _ in range(g.r.randint(1, 4))])


def g_hdel(g):
    return Op([g.C(b"HDEL"), g.key("hashes")] + [g.fld() for _ in range(g.r.randint(1, 3))])


def g_hexists(g):
    return simple(g.C(b"HEXISTS"), g.key("hashes"), g.fld())


def g_hlen(g):
    return simple(g.C(b"HLEN"), g.key("hashes"))


def g_hstrlen(g):
    return simple(g.C(b"HSTRLEN"), g.key("hashes"), g.fld())


def g_hincrby(g):
    return simple(g.C(b"HINCRBY"), g.key("hashes"), g.fld(), g.integer())


def g_hincrbyfloat(g):
    return simple(g.C(b"HINCRBYFLOAT"), g.key("hashes"), g.fld(), g.flt())


def g_hkeys(g):
    return Op([g.C(b"HKEYS"), g.key("hashes")], "set")


def g_hvals(g):
    return Op([g.C(b"HVALS"), g.key("hashes")], "set")


def g_hgetall(g):
    return Op([g.C(b"HGETALL"), g.key("hashes")], "pairs")


def rand_count_args(g, withword):
    a = []
    if g.chance(0.7):
        x = g.r.random()
        if x < 0.9:
            a.append(g.pick([b"-5", b"-3", b"-1", b"0", b"1", b"2", b"3", b"5", b"10", b"20",
                             b"-20"]))
        else:
            a.append(g.pick([b"abc", b"-9223372036854775808", b"9223372036854775807", b"1.5",
                             b""]))
        if withword and g.chance(0.4):
            a.append(g.C(withword))
        if g.chance(0.01):
            a.append(b"FOO")
    return a


def g_hrandfield(g):
    return Op([g.C(b"HRANDFIELD"), g.key("hashes")] + rand_count_args(g, b"WITHVALUES"),
              handler=do_random)


def scan_opts(g, with_type=False):
    a = []
    if g.chance(0.4):
        a += [g.C(b"MATCH"), g.pick(PATTERNS + [b"f*", b"*1", b"a*", b"[0-9]*", b"e1*"])]
    if g.chance(0.4):
        a += [g.C(b"COUNT"), g.pick([b"1", b"2", b"5", b"10", b"100", b"1000"])]
    if with_type and g.chance(0.3):
        a += [g.C(b"TYPE"), g.pick(TYPES)]
    if g.chance(0.02):
        a += g.pick([[b"COUNT", b"0"], [b"COUNT", b"abc"], [b"COUNT", b"-1"], [b"FOO"],
                     [b"MATCH"]])
    return a


def cursor0(g):
    return b"0" if g.chance(0.97) else g.pick([b"abc", b"", b"1.5", b"-abc"])


def g_hscan(g):
    return Op([g.C(b"HSCAN"), g.key("hashes"), cursor0(g)] + scan_opts(g), handler=do_scan)


# ---- sets ----


def set_members(g):
    if g.big():
        return g.big_members()
    return [g.mem() for _ in range(g.r.randint(1, 4))]


def g_sadd(g):
    key = g.key("sets")
    if key == g.keys[PREFERRED["sets"][0] % len(g.keys)] and g.chance(0.9):
        # Mostly integers on this key: intsets, and their conversion when a string arrives.
        if g.big():
            return Op([g.C(b"SADD"), key] + [g.pick(BIG_INTS) for _ in range(g.pick(BIG_COUNTS))])
        return Op([g.C(b"SADD"), key] + [g.pick(MEMBERS[:16]) for _ in range(g.r.randint(1, 4))])
    return Op([g.C(b"SADD"), key] + set_members(g))


def g_srem(g):
    return Op([g.C(b"SREM"), g.key("sets")] + [g.mem() for _ in range(g.r.randint(1, 4))])


def g_scard(g):
    return simple(g.C(b"SCARD"), g.key("sets"))


def g_sismember(g):
    return simple(g.C(b"SISMEMBER"), g.key("sets"), g.mem())


def g_smismember(g):
    return Op([g.C(b"SMISMEMBER"), g.key("sets")] + [g.mem() for _ in range(g.r.randint(1, 4))])


def g_smembers(g):
    return Op([g.C(b"SMEMBERS"), g.key("sets")], "set")


def g_sunion(g):
    return Op([g.C(b"SUNION")] + g.keylist("sets", 1, 3), "set")


def g_sinter(g):
    return Op([g.C(b"SINTER")] + g.keylist("sets", 1, 3), "set")


def g_sdiff(g):
    return Op([g.C(b"SDIFF")] + g.keylist("sets", 1, 3), "set")


def g_sunionstore(g):
    return Op([g.C(b"SUNIONSTORE"), g.key("sets")] + g.keylist("sets", 1, 3))


def g_sinterstore(g):
    return Op([g.C(b"SINTERSTORE"), g.key("sets")] + g.keylist("sets", 1, 3))


def g_sdiffstore(g):
    return Op([g.C(b"SDIFFSTORE"), g.key("sets")] + g.keylist("sets", 1, 3))


def g_sintercard(g):
    a = [g.C(b"SINTERCARD")] + numkeys_args(g, "sets", 1, 3)
    if g.chance(0.4):
        a += [g.C(b"LIMIT"), g.pick([b"0", b"1", b"2", b"5", b"-1", b"abc"])]
    return Op(a)


def g_smove(g):
    return simple(g.C(b"SMOVE"), g.key("sets"), g.key("sets"), g.mem())


def g_spop(g):
    a = [g.C(b"SPOP"), g.key("sets")]
    if g.chance(0.5):
        a.append(g.pick([b"0", b"1", b"2", b"3", b"5", b"20", b"-1", b"abc"]))
    if g.chance(0.01):
        a.append(b"1")
    return Op(a, handler=do_random)


def g_srandmember(g):
    return Op([g.C(b"SRANDMEMBER"), g.key("sets")] + rand_count_args(g, None),
              handler=do_random)


def g_sscan(g):
    return Op([g.C(b"SSCAN"), g.key("sets"), cursor0(g)] + scan_opts(g), handler=do_scan)


# ---- sorted sets ----


def g_zadd(g):
    a = [g.C(b"ZADD"), g.key("zsets")]
    if g.chance(0.3):
        for _ in range(g.r.randint(1, 2)):
            a.append(g.C(g.pick([b"NX", b"XX", b"GT", b"LT", b"CH", b"INCR"])))
    if g.big():
        pool = BIG_STRS if g.chance(0.5) else BIG_INTS
        for _ in range(g.pick(BIG_COUNTS)):
            a += [g.pick(SCORES[:12]), g.pick(pool + [g.pick(g.longs)])]
    else:
        same = b"0" if g.chance(0.3) else None     # equal scores: lex ranges apply
        for _ in range(g.r.randint(1, 3)):
            a += [same or g.score(), g.mem()]
    if g.chance(0.02):
        a.append(g.score())
    return Op(a)


def g_zincrby(g):
    return simple(g.C(b"ZINCRBY"), g.key("zsets"), g.score(), g.mem())


def g_zcard(g):
    return simple(g.C(b"ZCARD"), g.key("zsets"))


def g_zscore(g):
    return simple(g.C(b"ZSCORE"), g.key("zsets"), g.mem())


def g_zmscore(g):
    return Op([g.C(b"ZMSCORE"), g.key("zsets")] + [g.mem() for _ in range(g.r.randint(1, 4))])


def g_zrank(g):
    return simple(g.C(b"ZRANK"), g.key("zsets"), g.mem())


def g_zrevrank(g):
    return simple(g.C(b"ZREVRANK"), g.key("zsets"), g.mem())


def g_zrem(g):
    return Op([g.C(b"ZREM"), g.key("zsets")] + [g.mem() for _ in range(g.r.randint(1, 4))])


def g_zcount(g):
    return simple(g.C(b"ZCOUNT"), g.key("zsets"), g.score_range(), g.score_range())


def g_zlexcount(g):
    return Op([g.C(b"ZLEXCOUNT"), g.key("zsets"), g.lex_range(), g.lex_range()],
              handler=do_lex)


def limit(g):
    return [g.C(b"LIMIT"), g.pick([b"0", b"1", b"2", b"-1", b"5"]),
            g.pick([b"0", b"1", b"2", b"3", b"-1", b"10"])]


def g_zrange(g, name=b"ZRANGE", store=False):
    a = [g.C(name)]
    if store:
        a.append(g.key("zsets"))
    a.append(g.key("zsets"))
    mode = g.r.random()
    if mode < 0.5:
        a += [g.index(), g.index()]
    elif mode < 0.8:
        a += [g.score_range(), g.score_range(), g.C(b"BYSCORE")]
    else:
        a += [g.lex_range(), g.lex_range(), g.C(b"BYLEX")]
    if g.chance(0.3):
        a.append(g.C(b"REV"))
    if g.chance(0.3 if mode >= 0.5 else 0.03):
        a += limit(g)
    if not store and g.chance(0.4):
        a.append(g.C(b"WITHSCORES"))
    if g.chance(0.01):
        a.append(b"FOO")
    return Op(a, handler=do_lex if mode >= 0.8 else None)


def g_zrangestore(g):
    return g_zrange(g, b"ZRANGESTORE", store=True)


def g_zrevrange(g):
    a = [g.C(b"ZREVRANGE"), g.key("zsets"), g.index(), g.index()]
    if g.chance(0.4):
        a.append(g.C(b"WITHSCORES"))
    return Op(a)


def by_score(g, name, rev=False):
    lo, hi = g.score_range(), g.score_range()
    a = [g.C(name), g.key("zsets"), lo, hi]
    if g.chance(0.4):
        a.append(g.C(b"WITHSCORES"))
    if g.chance(0.3):
        a += limit(g)
    return Op(a)


def by_lex(g, name):
    a = [g.C(name), g.key("zsets"), g.lex_range(), g.lex_range()]
    if g.chance(0.3):
        a += limit(g)
    return Op(a, handler=do_lex)


def g_zrangebyscore(g):
    return by_score(g, b"ZRANGEBYSCORE")


def g_zrevrangebyscore(g):
    return by_score(g, b"ZREVRANGEBYSCORE")


def g_zrangebylex(g):
    return by_lex(g, b"ZRANGEBYLEX")


def g_zrevrangebylex(g):
    return by_lex(g, b"ZREVRANGEBYLEX")


def g_zremrangebyrank(g):
    return simple(g.C(b"ZREMRANGEBYRANK"), g.key("zsets"), g.index(), g.index())


def g_zremrangebyscore(g):
    return simple(g.C(b"ZREMRANGEBYSCORE"), g.key("zsets"), g.score_range(), g.score_range())


def g_zremrangebylex(g):
    return Op([g.C(b"ZREMRANGEBYLEX"), g.key("zsets"), g.lex_range(), g.lex_range()],
              handler=do_lex)


def g_zpopmin(g):
    return pop(g, b"ZPOPMIN", "zsets")


def g_zpopmax(g):
    return pop(g, b"ZPOPMAX", "zsets")


def minmax(g):
    return g.C(g.pick([b"MIN", b"MAX"])) if g.chance(0.97) else b"MID"


def g_zmpop(g):
    a = [g.C(b"ZMPOP")] + numkeys_args(g, "zsets", 1, 3) + [minmax(g)]
    if g.chance(0.5):
        a += [g.C(b"COUNT"), g.count()]
    return Op(a)


def set_op_tail(g, nkeys, withscores):
    a = []
    if g.chance(0.3):
        a.append(g.C(b"WEIGHTS"))
        n = nkeys if g.chance(0.95) else nkeys + 1
        a += [g.pick([b"1", b"2", b"0", b"-1", b"0.5", b"inf", b"-inf", b"abc", b"3"])
              for _ in range(n)]
    if g.chance(0.3):
        a += [g.C(b"AGGREGATE"), g.C(g.pick([b"SUM", b"MIN", b"MAX", b"AVG"]))]
    if withscores and g.chance(0.4):
        a.append(g.C(b"WITHSCORES"))
    return a


def zset_sources(g):
    return numkeys_args(g, "zsets" if g.chance(0.8) else "sets", 1, 3)


def g_zunion(g):
    src = zset_sources(g)
    return Op([g.C(b"ZUNION")] + src + set_op_tail(g, len(src) - 1, True))


def g_zinter(g):
    src = zset_sources(g)
    return Op([g.C(b"ZINTER")] + src + set_op_tail(g, len(src) - 1, True))


def g_zunionstore(g):
    src = zset_sources(g)
    return Op([g.C(b"ZUNIONSTORE"), g.key("zsets")] + src + set_op_tail(g, len(src) - 1, False))


def g_zinterstore(g):
    src = zset_sources(g)
    return Op([g.C(b"ZINTERSTORE"), g.key("zsets")] + src + set_op_tail(g, len(src) - 1, False))


def g_zdiff(g):
    a = [g.C(b"ZDIFF")] + zset_sources(g)
    if g.chance(0.4):
        a.append(g.C(b"WITHSCORES"))
    return Op(a)


def g_zdiffstore(g):
    return Op([g.C(b"ZDIFFSTORE"), g.key("zsets")] + zset_sources(g))


def g_zintercard(g):
    a = [g.C(b"ZINTERCARD")] + zset_sources(g)
    if g.chance(0.4):
        a += [g.C(b"LIMIT"), g.pick([b"0", b"1", b"2", b"5", b"-1", b"abc"])]
    return Op(a)


def g_zrandmember(g):
    return Op([g.C(b"ZRANDMEMBER"), g.key("zsets")] + rand_count_args(g, b"WITHSCORES"),
              handler=do_random)


def g_zscan(g):
    return Op([g.C(b"ZSCAN"), g.key("zsets"), cursor0(g)] + scan_opts(g), handler=do_scan)


# ---- bitmaps ----


def bit_offset(g):
    x = g.r.random()
    if x < 0.85:
        return b"%d" % g.r.randint(0, 300)
    if x < 0.93:
        return b"%d" % g.r.randint(0, 5000)
    return g.pick([b"-1", b"4294967296", b"abc", b"", b"1.5"])


def g_setbit(g):
    bit = g.pick([b"0", b"1"]) if g.chance(0.96) else g.pick([b"2", b"-1", b"abc", b""])
    return simple(g.C(b"SETBIT"), g.key("bitmaps"), bit_offset(g), bit)


def g_getbit(g):
    off = bit_offset(g) if g.chance(0.95) else b"4294967295"
    return simple(g.C(b"GETBIT"), g.key("bitmaps"), off)


def g_bitcount(g):
    a = [g.C(b"BITCOUNT"), g.key("bitmaps")]
    x = g.r.random()
    if x < 0.6:
        a += [g.index(), g.index()]
        if g.chance(0.4):
            a.append(g.C(g.pick([b"BYTE", b"BIT"])) if g.chance(0.95) else b"WORD")
    elif x < 0.63:
        a.append(g.index())
    return Op(a)


def g_bitpos(g):
    bit = g.pick([b"0", b"1"]) if g.chance(0.96) else g.pick([b"2", b"abc"])
    a = [g.C(b"BITPOS"), g.key("bitmaps"), bit]
    if g.chance(0.6):
        a.append(g.index())
        if g.chance(0.6):
            a.append(g.index())
            if g.chance(0.4):
                a.append(g.C(g.pick([b"BYTE", b"BIT"])) if g.chance(0.95) else b"WORD")
    return Op(a)


def g_bitop(g):
    op = g.C(g.pick([b"AND", b"OR", b"XOR", b"NOT"])) if g.chance(0.97) else b"NAND"
    n = 1 if op.upper() == b"NOT" and g.chance(0.9) else g.r.randint(1, 3)
    return Op([g.C(b"BITOP"), op, g.key("bitmaps")] + [g.key("bitmaps") for _ in range(n)])


def bitfield_ops(g, readonly):
    a = []
    for _ in range(g.r.randint(1, 3)):
        t = g.pick(BITFIELD_TYPES) if g.chance(0.96) else g.pick(BAD_BITFIELD_TYPES)
        off = g.pick(BITFIELD_OFFSETS) if g.chance(0.96) else g.pick(BAD_BITFIELD_OFFSETS)
        x = g.r.random()
        if readonly or x < 0.4:
            a += [g.C(b"GET"), t, off]
        elif x < 0.65:
            a += [g.C(b"SET"), t, off, g.integer()]
        elif x < 0.9:
            a += [g.C(b"INCRBY"), t, off, g.integer()]
        else:
            a += [g.C(b"OVERFLOW"), g.C(g.pick([b"WRAP", b"SAT", b"FAIL"]))
                  if g.chance(0.95) else b"BOUNCE"]
    if g.chance(0.02):
        a += g.pick([[b"GET", b"u8"], [b"FOO"], [b"SET", b"u8", b"0", b"1"]])
    return a


def g_bitfield(g):
    return Op([g.C(b"BITFIELD"), g.key("bitmaps")] + bitfield_ops(g, False))


def g_bitfield_ro(g):
    return Op([g.C(b"BITFIELD_RO"), g.key("bitmaps")] + bitfield_ops(g, True))


# ---- keyspace ----


def key_pair(g):
    """Source and destination of RENAME/COPY, mostly of one family so types stay put."""
    family = g.pick(list(PREFERRED)) if g.chance(0.9) else None
    return [g.key(family), g.key(family)]


def g_copy(g):
    a = [g.C(b"COPY")] + key_pair(g)
    if g.chance(0.3):
        a += [g.C(b"DB"), g.dbindex()]
    if g.chance(0.4):
        a.append(g.C(b"REPLACE"))
    if g.chance(0.01):
        a.append(b"FOO")
    return Op(a)


def g_move(g):
    return simple(g.C(b"MOVE"), g.key(), g.dbindex())


def g_rename(g):
    return Op([g.C(b"RENAME")] + key_pair(g))


def g_renamenx(g):
    return Op([g.C(b"RENAMENX")] + key_pair(g))


def g_swapdb(g):
    return simple(g.C(b"SWAPDB"), g.dbindex(), g.dbindex())


def g_select(g):
    db = g.dbindex()
    if db.isdigit() and int(db) < 16:
        g.db = int(db)
    return simple(g.C(b"SELECT"), db)


def g_dbsize(g):
    return simple(g.C(b"DBSIZE"))


def g_keys(g):
    return Op([g.C(b"KEYS"), g.pick(PATTERNS)], "set")


def g_flushdb(g):
    a = [g.C(b"FLUSHDB")]
    if g.chance(0.3):
        a.append(g.C(g.pick([b"ASYNC", b"SYNC", b"LAZY"])))
    return Op(a)


def g_flushall(g):
    a = g_flushdb(g).args
    a[0] = g.C(b"FLUSHALL")
    return Op(a)


def g_randomkey(g):
    return Op([g.C(b"RANDOMKEY")], handler=do_random)


def g_scan(g):
    return Op([g.C(b"SCAN"), cursor0(g)] + scan_opts(g, with_type=True), handler=do_scan)


def g_object_encoding(g):
    return simple(g.C(b"OBJECT"), g.C(b"ENCODING"), g.key())


def g_object_refcount(g):
    return simple(g.C(b"OBJECT"), g.C(b"REFCOUNT"), g.key())


def g_object_idletime(g):
    return simple(g.C(b"OBJECT"), g.C(b"IDLETIME"), g.key())


def g_object_freq(g):
    return simple(g.C(b"OBJECT"), g.C(b"FREQ"), g.key())


def g_object_help(g):
    a = [g.C(b"OBJECT"), g.C(b"HELP")]
    if g.chance(0.1):
        a.append(b"x")
    return Op(a)


def sort_op(g, name, can_store):
    a = [g.C(name), g.key()]
    by = None
    if g.chance(0.4):
        by = g.pick([b"k*", b"k*->f0", b"k*->f1", b"nosort", b"constant", b"*", b"k*->"])
        a += [g.C(b"BY"), by]
    alpha = g.chance(0.5)
    # See WHITELIST["sort"]: these orders are unspecified, compared unordered, never stored.
    unordered = by is not None and (b"*" not in by or alpha)
    store = can_store and not unordered and g.chance(0.3)
    if not unordered and g.chance(0.3):
        a += [g.C(b"LIMIT"), g.pick([b"0", b"1", b"2", b"-1", b"5"]),
              g.pick([b"0", b"1", b"3", b"-1", b"10"])]
    for _ in range(g.r.randint(0, 2) if g.chance(0.3) else 0):
        a += [g.C(b"GET"), g.pick([b"#", b"k*", b"k*->f0", b"k*->f1", b"nokey*"])]
    if g.chance(0.3):
        a.append(g.C(g.pick([b"ASC", b"DESC"])))
    if alpha:
        a.append(g.C(b"ALPHA"))
    if store:
        a += [g.C(b"STORE"), g.key("lists")]
    if g.chance(0.01):
        a.append(g.pick([b"FOO", b"LIMIT", b"STORE"]))
    if unordered:
        return Op(a, "set")
    op = Op(a, "alpha" if alpha and not store else None)
    if not alpha and "zunion" in g.enabled:
        # Redis's numeric SORT tests a stale errno after strtod (sort.c): an ERANGE left by an
        # earlier command (e.g. ZADD k 1e400 m) fails it with "One or more scores can't be
        # converted into double". ZUNION ... WEIGHTS parses a double with errno reset first.
        g.pending.append(op)
        return Op([b"ZUNION", b"1", b"__errno_reset__", b"WEIGHTS", b"1"])
    return op


def g_sort(g):
    return sort_op(g, b"SORT", True)


def g_sort_ro(g):
    return sort_op(g, b"SORT_RO", False)


# ---- server / connection ----


def g_ping(g):
    return Op([g.C(b"PING")] + ([g.val()] if g.chance(0.5) else []))


def g_echo(g):
    return simple(g.C(b"ECHO"), g.val())


# ---- errors ----


def g_arity(g):
    """A wrong number of arguments for an enabled command."""
    names = [n for n in g.enabled if "|" not in n and ARITY.get(n, -1) != -1]
    if not names:
        return simple(b"PING")
    name = g.pick(sorted(names))
    arity = ARITY[name]
    if arity > 0:
        total = g.pick([n for n in range(1, arity + 3) if n != arity])
    else:
        total = g.r.randint(1, -arity - 1)
    return Op([g.C(name.encode())] + [g.key() if i == 0 else g.val() for i in range(total - 1)])


def g_unknown(g):
    a = [g.pick(UNKNOWN_COMMANDS)] + [g.val() for _ in range(g.r.randint(0, 3))]
    if g.chance(0.1):
        a.append(b"w" * 200)
    return Op(a)


def g_unknown_sub(g):
    if g.chance(0.3):
        sub = g.pick([b"ENCODING", b"REFCOUNT", b"IDLETIME", b"FREQ"])
        return Op([g.C(b"OBJECT"), g.C(sub)] + [g.key()] * g.pick([0, 2]))
    return Op([g.C(b"OBJECT"), g.pick([b"FOO", b"encodingg", b""]), g.key()])


# ---- transactions ----
# WATCH/UNWATCH are plain operations: the keys stay watched while the random stream goes on
# (every write of every family then decides, as in Redis, whether it touched them), and the
# next transaction's EXEC shows it (a null array or the replies). A transaction is one
# operation (do_multi): MULTI, up to six commands from the other families, then EXEC (or
# DISCARD, or EXEC with an argument), sent together and compared reply by reply.

TX_EXCLUDED = {"select", "multi", "watch", "unwatch"}   # SELECT: g.db must not depend on EXEC


def tx_inner(g):
    """A command for inside MULTI whose reply can be compared byte for byte in EXEC's array:
    no handler, no normaliser, nothing pending, no database change in the generator."""
    for _ in range(20):
        family = g.r.choices(g.families, g.fam_weights)[0]
        if family == "transactions":
            continue
        names, weights = g.choices[family]
        name = g.r.choices(names, weights)[0]
        if name in TX_EXCLUDED or name in WHITELIST:
            continue
        pending, db = list(g.pending), g.db
        op = CATALOGUE[name][2](g)
        numeric = "nul-number" in TOLERATE and op.args and op.args[0].upper() in NUMERIC
        if g.pending != pending or g.db != db or op.handler or op.kind or numeric:
            g.pending, g.db = pending, db
            continue
        return op.args
    return [b"PING"]


def g_multi(g):
    commands = [[g.C(b"MULTI")]]
    for _ in range(g.r.randint(0, 6)):
        x = g.r.random()
        if x < 0.03:
            commands.append([g.C(b"MULTI")])                  # nested: an error, no abort
        elif x < 0.06:
            commands.append([g.C(b"WATCH"), g.key()])         # refused inside MULTI
        else:
            commands.append(tx_inner(g))
    x = g.r.random()
    if x < 0.85:
        commands.append([g.C(b"EXEC")])
    elif x < 0.97:
        commands.append([g.C(b"DISCARD")])
    else:
        commands.append([g.C(b"EXEC"), b"x"])
    op = Op(commands[0], handler=do_multi)
    op.tx = commands
    return op


def g_watch(g):
    return Op([g.C(b"WATCH")] + [g.key() for _ in range(g.r.randint(1, 3))])


def g_unwatch(g):
    return simple(g.C(b"UNWATCH"))


# ==== Catalogue ========================================================================
# name (lower case, "cmd|sub" for subcommands) -> (family, weight, generator)

CATALOGUE = {}


def _add(family, rows):
    for name, weight in rows:
        fn = globals()["g_" + name.replace("|", "_")]
        CATALOGUE[name] = (family, weight, fn)


_add("strings", [("set", 4), ("setnx", 1), ("setex", 1), ("psetex", 1), ("get", 3),
                 ("getdel", 1), ("getset", 1), ("getex", 1.5), ("getrange", 1.5),
                 ("setrange", 1.5), ("append", 2), ("strlen", 1), ("incr", 1.5), ("decr", 1),
                 ("incrby", 1.5), ("decrby", 1), ("incrbyfloat", 2), ("mget", 1), ("mset", 1),
                 ("msetnx", 1), ("lcs", 1)])
_add("keys", [("del", 3), ("unlink", 1.5), ("exists", 1.5), ("touch", 0.5), ("type", 1.5),
              ("expire", 2), ("pexpire", 1.5), ("expireat", 1.5), ("pexpireat", 1),
              ("ttl", 1.5), ("pttl", 1.5), ("expiretime", 1), ("pexpiretime", 1),
              ("persist", 1.5)])
_add("lists", [("lpush", 3), ("rpush", 3), ("lpushx", 1), ("rpushx", 1), ("lpop", 2),
               ("rpop", 2), ("llen", 1), ("lindex", 1.5), ("linsert", 1.5), ("lrange", 2),
               ("lrem", 1.5), ("lset", 1.5), ("ltrim", 1), ("lpos", 2), ("lmove", 1.5),
               ("rpoplpush", 1), ("lmpop", 1.5)])
_add("hashes", [("hset", 4), ("hmset", 1), ("hsetnx", 1), ("hget", 2), ("hmget", 1.5),
                ("hdel", 2), ("hexists", 1), ("hlen", 1), ("hstrlen", 1), ("hincrby", 1.5),
                ("hincrbyfloat", 1.5), ("hkeys", 1), ("hvals", 1), ("hgetall", 1.5),
                ("hrandfield", 1), ("hscan", 1)])
_add("sets", [("sadd", 4), ("srem", 2), ("scard", 1), ("sismember", 1.5), ("smismember", 1),
              ("smembers", 1.5), ("sunion", 1), ("sinter", 1), ("sdiff", 1),
              ("sunionstore", 1), ("sinterstore", 1), ("sdiffstore", 1), ("sintercard", 1),
              ("smove", 1.5), ("spop", 1.5), ("srandmember", 1.5), ("sscan", 1)])
_add("zsets", [("zadd", 5), ("zincrby", 1.5), ("zcard", 1), ("zscore", 1.5), ("zmscore", 1),
               ("zrank", 1), ("zrevrank", 1), ("zrem", 2), ("zcount", 1), ("zlexcount", 1),
               ("zrange", 3), ("zrangestore", 1), ("zrevrange", 1), ("zrangebyscore", 1.5),
               ("zrevrangebyscore", 1), ("zrangebylex", 1), ("zrevrangebylex", 1),
               ("zremrangebyrank", 1), ("zremrangebyscore", 1), ("zremrangebylex", 1),
               ("zpopmin", 1), ("zpopmax", 1), ("zmpop", 1), ("zunion", 1), ("zinter", 1),
               ("zunionstore", 1), ("zinterstore", 1), ("zdiff", 1), ("zdiffstore", 1),
               ("zintercard", 1), ("zrandmember", 1), ("zscan", 1)])
_add("bitmaps", [("setbit", 3), ("getbit", 2), ("bitcount", 2), ("bitpos", 2), ("bitop", 1.5),
                 ("bitfield", 2), ("bitfield_ro", 1)])
_add("keyspace", [("copy", 2), ("move", 1.5), ("rename", 2), ("renamenx", 1.5),
                  ("swapdb", 0.5), ("select", 1.5), ("dbsize", 1), ("keys", 1),
                  ("flushdb", 0.03), ("flushall", 0.015), ("randomkey", 1), ("scan", 1.5),
                  ("object|encoding", 2), ("object|refcount", 0.3), ("object|idletime", 0.3),
                  ("object|freq", 0.2), ("object|help", 0.1), ("sort", 2), ("sort_ro", 1)])
_add("server", [("ping", 1), ("echo", 1)])
_add("errors", [("arity", 3), ("unknown", 1), ("unknown_sub", 0.5)])
_add("transactions", [("multi", 2), ("watch", 1.5), ("unwatch", 0.3)])
# Pseudo entries of the errors family: not commands, never probed.
PSEUDO = {"arity", "unknown", "unknown_sub"}
ARITY = {}    # command -> arity, read from the reference server's COMMAND INFO


# ==== Random commands ==================================================================
# Checked by shape against the reference contents (read from redis before the command);
# SPOP state is re-synchronised afterwards.


def fetch_content(runner, key):
    """(type, content) of key on the reference server: set -> set, hash -> dict,
    zset -> dict member -> score bytes."""
    def value(args):
        return runner.ref(args)[0][0][1]
    t = value([b"TYPE", key])
    if t == b"set":
        return t, set(v[1] for v in value([b"SMEMBERS", key]))
    if t == b"hash":
        items = [v[1] for v in value([b"HGETALL", key])]
        return t, dict(zip(items[0::2], items[1::2]))
    if t == b"zset":
        items = [v[1] for v in value([b"ZRANGE", key, b"0", b"-1", b"WITHSCORES"])]
        return t, dict(zip(items[0::2], items[1::2]))
    return t, None


def random_shape(op, reply, content, keyspace):
    """None when reply is a possible answer of the random command op given the reference
    content of its key (or the key list for RANDOMKEY)."""
    name = op.args[0].upper()
    val = reply[0]
    if name == b"RANDOMKEY":
        if val == ("$", None):
            return None if not keyspace else "nil with keys present"
        return None if val[0] == "$" and val[1] in keyspace else "not a key of the database"
    args = [a.upper() for a in op.args[2:]]
    with_values = bool(args) and args[-1] in (b"WITHVALUES", b"WITHSCORES")
    if not args:
        if val == ("$", None):
            return None if not content else "nil from a non-empty key"
        return None if val[0] == "$" and content and val[1] in content else "not a member"
    if val[0] != "*" or val[1] is None:
        return "expected an array"
    try:
        count = int(op.args[2])
    except ValueError:
        return "a count that is not an integer was accepted"
    items = [v[1] for v in val[1]]
    if any(v[0] != "$" for v in val[1]):
        return "array of non-bulk items"
    members = items[0::2] if with_values else items
    if with_values:
        for m, v in zip(items[0::2], items[1::2]):
            want = content.get(m) if content else None
            if "negzero" in TOLERATE and want == b"-0":
                want = v if v in (b"0", b"-0") else want
            if want != v:
                return "value/score %r does not match member %r" % (v, m)
    size = len(content) if content else 0
    if any(m not in (content or ()) for m in members):
        return "element not in the key"
    if count >= 0:
        if len(members) != min(count, size) or len(set(members)) != len(members):
            return "expected %d distinct elements" % min(count, size)
    elif len(members) != (-count if size else 0):
        return "expected %d elements" % (-count if size else 0)
    return None


def popped(reply):
    v = reply[0]
    if v[0] == "$":
        return [] if v[1] is None else [v[1]]
    if v[0] == "*" and v[1]:
        return [x[1] for x in v[1]]
    return []


def do_random(runner, op):
    name = op.args[0].upper()
    keyspace = None
    content = None
    if name == b"RANDOMKEY":
        keyspace = runner.ref_keys()
    else:
        _type, content = fetch_content(runner, op.args[1])
    k, r = runner.both(op)
    if k[1] == r[1]:
        return None
    if k[0][0] == "-" or r[0][0] == "-":
        return "replies differ", k, r
    for who, reply in (("redis", r), ("keel", k)):
        why = random_shape(op, reply, content, keyspace)
        if why:
            return "%s reply is not a valid %s result: %s" % (who, op.args[0].decode(), why), k, r
    if name == b"SPOP":
        kp, rp = popped(k), popped(r)
        if set(kp) != set(rp):
            if rp:
                runner.ref([b"SADD", op.args[1]] + rp, note="resync after SPOP")
            if kp:
                runner.ref([b"SREM", op.args[1]] + kp, note="resync after SPOP")
        if "smembers" in runner.enabled:
            return runner.compare_now(Op([b"SMEMBERS", op.args[1]], "set"), "after SPOP resync")
    return None


# ==== Lexicographic ranges ==============================================================


def do_lex(runner, op):
    """Lex-range commands are specified only when every member has the same score (Redis
    walks its skiplist, whose shape is random, assuming lex order): run them only then."""
    key = op.args[2] if op.args[0].upper() == b"ZRANGESTORE" else op.args[1]
    first = runner.ref([b"ZRANGE", key, b"0", b"0", b"WITHSCORES"])[0][0]
    last = runner.ref([b"ZRANGE", key, b"-1", b"-1", b"WITHSCORES"])[0][0]
    if first[0] == "*" and first[1] and last[1]:
        if float(first[1][1][1]) != float(last[1][1][1]):
            runner.log(op.no, op.db, op.args, "(skipped: scores differ, order unspecified)")
            return None
    k, r = runner.both(op)
    why = check_reply(op.kind, k, r)
    return None if why is None else (why, k, r)


# ==== Known difference "nul-number" =====================================================

NUMERIC = {b"INCR", b"DECR", b"INCRBY", b"DECRBY", b"INCRBYFLOAT", b"HINCRBY", b"HINCRBYFLOAT"}


def do_numeric(runner, op):
    """Under --tolerate nul-number: skip the command when the stored value holds a NUL."""
    name = op.args[0].upper()
    if name.startswith(b"H") and len(op.args) >= 3:
        value = runner.ref([b"HGET", op.args[1], op.args[2]])[0][0]
    else:
        value = runner.ref([b"GET", op.args[1]])[0][0]
    if (value[0] == "$" and value[1] and b"\0" in value[1]) or any(b"\0" in a for a in op.args):
        runner.log(op.no, op.db, op.args, "(skipped: --tolerate nul-number)")
        return None
    k, r = runner.both(op)
    why = check_reply(op.kind, k, r)
    return None if why is None else (why, k, r)


# ==== Full-iteration SCAN ==============================================================


def collect_scan(runner, conn, op, first):
    """Iterate from the first reply to cursor 0; returns (set of items, error)."""
    pairs = op.args[0].upper() in (b"HSCAN", b"ZSCAN")
    cur_at = 1 if op.args[0].upper() == b"SCAN" else 2
    out = set()
    reply = first
    for _ in range(100000):
        v = reply[0]
        if v[0] != "*" or v[1] is None or len(v[1]) != 2 or v[1][1][0] != "*":
            return None, "bad SCAN reply %s" % show_raw(reply[1])
        items = [x[1] for x in v[1][1][1]]
        if pairs:
            if len(items) % 2:
                return None, "odd number of items"
            if "negzero" in TOLERATE and op.args[0].upper() == b"ZSCAN":
                items[1::2] = [b"0" if v == b"-0" else v for v in items[1::2]]
            out.update(zip(items[0::2], items[1::2]))
        else:
            out.update(items)
        cursor = v[1][0][1]
        if cursor == b"0":
            return out, None
        args = list(op.args)
        args[cur_at] = cursor
        reply = runner.single(conn, args, op)
    return None, "SCAN did not finish in 100000 calls"


def do_multi(runner, op):
    """A whole transaction, sent at once to both servers, every reply compared."""
    wire = b"".join(encode(args) for args in op.tx)
    for args in op.tx:
        runner.log(op.no, op.db, args)
    kr, rr = exchange([(runner.keel, wire, len(op.tx)), (runner.redis, wire, len(op.tx))])
    for args, k, r in zip(op.tx, kr, rr):
        runner.verbose(op, k, r)
        why = check_reply(None, k, r)
        if why:
            return ("in the transaction, at %s: %s" % (show_args(args, 40), why), k, r)
    return None


def do_scan(runner, op):
    k, r = runner.both(op)
    if k[0][0] == "-" or r[0][0] == "-":
        return None if k[1] == r[1] else ("replies differ", k, r)
    rset, rerr = collect_scan(runner, runner.redis, op, r)
    kset, kerr = collect_scan(runner, runner.keel, op, k)
    if rerr:
        return "redis: " + rerr, k, r
    if kerr:
        return "keel: " + kerr, k, r
    if kset != rset:
        extra = sorted(kset - rset)[:10]
        missing = sorted(rset - kset)[:10]
        return ("full iteration differs: keel extra %r, keel missing %r" % (extra, missing),
                k, r)
    return None


# ==== Runner ===========================================================================


class Mismatch(Exception):
    pass


class ProbeFailed(Exception):
    pass


class Runner:
    def __init__(self, opts, keel, redis, gen, enabled):
        self.opts = opts
        self.keel = keel
        self.redis = redis
        self.gen = gen
        self.enabled = enabled
        self.history = collections.deque(maxlen=HISTORY)
        self.current = None
        self.dumps = 0
        self.logfile = None
        self.dump_every = DUMP_EVERY

    # ---- plumbing ----
    def log(self, op_no, db, args, note=""):
        self.history.append((op_no, db, args, note))

    def both(self, op):
        wire = encode(op.args)
        self.log(op.no, op.db, op.args)
        (k,), (r,) = exchange([(self.keel, wire, 1), (self.redis, wire, 1)])
        self.verbose(op, k, r)
        return k, r

    def single(self, conn, args, op):
        self.log(op.no, op.db, args, "(%s only)" % conn.name)
        return exchange([(conn, encode(args), 1)])[0][0]

    def ref(self, args, note="reference read"):
        """A command on the reference server only (reads, or a re-sync)."""
        if note != "reference read":
            self.log(self.current.no if self.current else 0, self.gen.db, args,
                     "(redis only: %s)" % note)
        return exchange([(self.redis, encode(args), 1)])[0]

    def ref_keys(self):
        replies = exchange([(self.redis, b"".join(encode([b"EXISTS", k]) for k in self.gen.keys),
                             len(self.gen.keys))])[0]
        return set(k for k, rep in zip(self.gen.keys, replies) if rep[0][1])

    def compare_now(self, op, note):
        op.no, op.db = self.current.no, self.current.db
        k, r = self.both(op)
        why = check_reply(op.kind, k, r)
        return None if why is None else ("%s: %s" % (note, why), k, r)

    def verbose(self, op, k, r):
        if self.opts.verbose:
            print("#%d [db%d] %s -> %s" % (op.no, op.db, show_args(op.args, 40),
                                          show_raw(k[1], 120)))

    # ---- main loop ----
    def run(self, total):
        batch = []
        done = 0
        next_dump = self.dump_every
        while done < total:
            op = self.gen.next()
            if op is None:
                break
            done += 1
            if self.logfile:
                handler = op.handler.__name__ if op.handler else None
                self.logfile.write(repr((op.name, op.kind, handler, op.tx or op.args)) + "\n")
            if op.handler is None:
                batch.append(op)
                if len(batch) < self.opts.batch and done < total:
                    continue
            self.flush(batch)
            batch = []
            if op.handler is not None:
                self.current = op
                res = op.handler(self, op)
                if res:
                    self.fail(op, *res)
            if done >= next_dump or done >= total:
                self.flush(batch)
                batch = []
                self.dump(done)
                next_dump += self.dump_every
        self.flush(batch)
        return done

    def flush(self, batch):
        if not batch:
            return
        wire = b"".join(encode(op.args) for op in batch)
        try:
            kr, rr = exchange([(self.keel, wire, len(batch)), (self.redis, wire, len(batch))])
        except ServerError as e:
            for op in batch:
                self.log(op.no, op.db, op.args, "(in the failed batch)")
            self.fail(batch[-1], "server error in the batch of operations %d..%d: %s (rerun "
                      "with --batch 1 to find the operation)" % (batch[0].no, batch[-1].no, e))
        for op, k, r in zip(batch, kr, rr):
            self.log(op.no, op.db, op.args)
            self.verbose(op, k, r)
            why = check_reply(op.kind, k, r)
            if why:
                self.fail(op, why, k, r)

    def fail(self, op, why, k=None, r=None):
        signature = op.args[0].upper() + (b" (dump)" if "keyspace dump" in why else b"")
        if self.opts.quiet:
            raise Mismatch(signature)
        print("\nMISMATCH at operation %d (seed %d, db %d): %s" % (op.no, self.opts.seed, op.db,
                                                                   why))
        print("last commands (oldest first):")
        for no, db, args, note in self.history:
            print("  #%-7d [db%d] %s %s" % (no, db, show_args(args), note))
        if k is not None:
            print("keel : %s" % show_raw(k[1]))
            print("redis: %s" % show_raw(r[1]))
            where = first_difference(k[0], r[0])
            if where:
                print(where)
        print("rerun: %s" % self.opts.rerun)
        raise Mismatch(signature)

    # ---- keyspace dump ----
    def dump(self, done):
        """TYPE, TTL and contents of every key in every database, on both servers."""
        self.dumps += 1
        has = self.enabled.__contains__
        dbs = list(range(NDBS)) if has("select") else [self.gen.db]
        probe = Op([b"DUMP"])
        probe.no, probe.db = done, self.gen.db
        self.current = probe
        cmds, kinds, what = [], [], []
        for db in dbs:
            if has("select"):
                cmds.append([b"SELECT", b"%d" % db])
                kinds.append(None)
                what.append((db, None, "select"))
            if has("dbsize"):
                cmds.append([b"DBSIZE"])
                kinds.append(None)
                what.append((db, None, "dbsize"))
            for key in self.gen.keys:
                cmds.append([b"TYPE", key])
                kinds.append(None)
                what.append((db, key, "type"))
                if has("pttl"):
                    cmds.append([b"PTTL", key])
                    kinds.append("ttl_ms")
                    what.append((db, key, "pttl"))
        kr, rr = self.run_dump_cmds(cmds, kinds, what, done)
        contents = []
        for (db, key, kind), r in zip(what, rr):
            if kind == "type" and r[0][1] != b"none":
                contents.append((db, key, r[0][1]))
        cmds, kinds, what = [], [], []
        for db in dbs:
            if has("select"):
                cmds.append([b"SELECT", b"%d" % db])
                kinds.append(None)
                what.append((db, None, "select"))
            for cdb, key, t in contents:
                if cdb != db:
                    continue
                read = DUMP_READS.get(t)
                if read and has(read[0]):
                    cmds.append(read[1](key))
                    kinds.append(read[2])
                    what.append((db, key, "contents"))
                if has("object|encoding"):
                    cmds.append([b"OBJECT", b"ENCODING", key])
                    kinds.append("encoding_any")   # checked by check_encodings
                    what.append((db, key, "encoding"))
        kr, rr = self.run_dump_cmds(cmds, kinds, what, done)
        self.check_encodings(contents, what, kr, rr, done)

    def check_encodings(self, contents, what, kr, rr, done):
        types = dict(((db, key), t) for db, key, t in contents)
        members = {}
        for (db, key, label), k, r in zip(what, kr, rr):
            if label == "contents" and r[0][0] == "*":
                members[(db, key)] = [v[1] for v in r[0][1]]
            elif label == "contents" and r[0][0] == "$":
                members[(db, key)] = [r[0][1]]
            if label != "encoding" or k[0][0] != "$" or r[0][0] != "$":
                continue
            t = types.get((db, key))
            if (db, key) not in members and t == b"set":
                continue
            if not encoding_fits(t, members.get((db, key), []), k[0][1], r[0][1]):
                op = Op([b"OBJECT", b"ENCODING", key])
                op.no, op.db = done, db
                self.log(done, db, op.args, "(keyspace dump)")
                self.fail(op, "keyspace dump after %d operations, db %d, key %s: encoding %r "
                          "not accepted for this %s (Redis 7.0: %r)" %
                          (done, db, show_args([key]), k[0][1], t.decode(), r[0][1]), k, r)

    def run_dump_cmds(self, cmds, kinds, what, done):
        if self.enabled.__contains__("select"):
            cmds = cmds + [[b"SELECT", b"%d" % self.gen.db]]
            kinds = kinds + [None]
            what = what + [(self.gen.db, None, "select")]
        wire = b"".join(encode(c) for c in cmds)
        kr, rr = exchange([(self.keel, wire, len(cmds)), (self.redis, wire, len(cmds))])
        for args, kind, (db, key, label), k, r in zip(cmds, kinds, what, kr, rr):
            why = check_reply(kind, k, r)
            if why:
                op = Op(args)
                op.no, op.db = done, db
                self.log(done, db, args, "(keyspace dump)")
                name = show_args([key]) if key is not None else "-"
                self.fail(op, "keyspace dump after %d operations, db %d, key %s, %s: %s" %
                          (done, db, name, label, why), k, r)
        return kr, rr


DUMP_READS = {
    b"string": ("get", lambda k: [b"GET", k], None),
    b"list": ("lrange", lambda k: [b"LRANGE", k, b"0", b"-1"], None),
    b"hash": ("hgetall", lambda k: [b"HGETALL", k], "pairs"),
    b"set": ("smembers", lambda k: [b"SMEMBERS", k], "set"),
    b"zset": ("zrange", lambda k: [b"ZRANGE", k, b"0", b"-1", b"WITHSCORES"], None),
}

# ==== Replay and reduction =============================================================
# --log FILE writes every operation (one Python literal per line); --replay FILE runs such a
# file instead of the generator; --replay FILE --reduce shrinks it (delta debugging) to a
# short sequence that still gives a mismatch of the same command, printed for a bug report.

HANDLERS = {f.__name__: f for f in (do_random, do_scan, do_lex, do_numeric, do_multi)}


def load_log(path):
    import ast
    ops = []
    with open(path) as f:
        for line in f:
            if line.strip():
                name, kind, handler, args = ast.literal_eval(line)
                op = Op(list(args), kind, HANDLERS[handler] if handler else None)
                if handler == "do_multi":       # a transaction logs all its commands
                    op.tx = [list(command) for command in args]
                    op.args = op.tx[0]
                op.name = name
                ops.append(op)
    return ops


class ReplaySource:
    """Plays a list of logged operations with the generator's interface (next, db, keys)."""

    def __init__(self, ops, keys):
        self.ops = ops
        self.keys = keys
        self.i = 0
        self.db = 0

    def next(self):
        if self.i >= len(self.ops):
            return None
        src = self.ops[self.i]
        self.i += 1
        op = Op(src.args, src.kind, src.handler)
        op.name = src.name
        op.tx = src.tx
        op.no = self.i
        op.db = self.db
        if src.name == "select" and src.args[1].isdigit() and int(src.args[1]) < 16:
            self.db = int(src.args[1])
        return op


def replay_fails(runner, ops, keys):
    """Signature of the mismatch replaying ops from empty servers gives, or None."""
    wire = encode([b"FLUSHALL"]) + encode([b"SELECT", b"0"])
    exchange([(runner.keel, wire, 2), (runner.redis, wire, 2)])
    runner.gen = ReplaySource(ops, keys)
    runner.history.clear()
    try:
        done = runner.run(len(ops))
        runner.dump(done)
    except Mismatch as e:
        return e.args[0] if e.args else b"?"
    return None


def reduce_ops(runner, ops, keys):
    """ddmin over the operations: keeps removing chunks while the same mismatch remains."""
    target = replay_fails(runner, ops, keys)
    if target is None:
        return None, None
    if not target.endswith(b"(dump)"):
        runner.dump_every = 10 ** 9       # only the final dump: faster replays
    n = 2
    tests = 0
    while len(ops) >= 2 and tests < 5000:
        chunk = max(1, len(ops) // n)
        removed = False
        for start in range(0, len(ops), chunk):
            candidate = ops[:start] + ops[start + chunk:]
            tests += 1
            if candidate and replay_fails(runner, candidate, keys) == target:
                ops = candidate
                n = max(n - 1, 2)
                removed = True
                break
        if not removed:
            if chunk == 1:
                break
            n = min(len(ops), n * 2)
    return ops, target


# ==== Probing ==========================================================================


# Probes that must not change the connection's state (enter MULTI, watch a key).
PROBE_OVERRIDES = {"multi": [b"MULTI", b"__probe__"], "watch": [b"WATCH"]}


def probe_args(name):
    if name in PROBE_OVERRIDES:
        return PROBE_OVERRIDES[name]
    if "|" in name:
        cmd, sub = name.split("|")
        args = [cmd.encode(), sub.encode()]
        if sub != "help":
            args.append(b"__probe__")
        return args
    arity = ARITY.get(name, -2)
    n = arity if arity > 0 else -arity
    args = [name.encode()]
    if n >= 2:
        args.append(b"__probe__")
    args += [b"0"] * max(0, n - 2)
    return args


def read_arities(redis):
    names = sorted(set(n.split("|")[0] for n in CATALOGUE if n not in PSEUDO))
    wire = b"".join(encode([b"COMMAND", b"INFO", n.encode()]) for n in names)
    replies = exchange([(redis, wire, len(names))])[0]
    for name, rep in zip(names, replies):
        info = rep[0][1]
        if info and info[0][1]:
            ARITY[name] = info[0][1][1][1]


def probe(keel, candidates):
    """Names of the catalogue entries keel implements (anything but the stub reply)."""
    names = [n for n in candidates if n not in PSEUDO and n not in ("flushall", "flushdb")]
    names += [n for n in ("flushdb", "flushall") if n in candidates]
    enabled, skipped = set(), []
    for name in names:
        args = probe_args(name)
        try:
            rep = exchange([(keel, encode(args), 1)])[0][0]
        except ServerError as e:
            raise ProbeFailed("probing %s: %s" % (show_args(args), e))
        if rep[1] in STUB_REPLIES or rep[1].startswith(UNKNOWN_PREFIX):
            skipped.append(name)
        else:
            enabled.add(name)
    cleanup = [[b"SELECT", b"%d" % db] for db in range(NDBS)]
    wire = b""
    for sel in cleanup:
        wire += encode(sel) + encode([b"DEL", b"__probe__", b"0"])
    wire += encode([b"SELECT", b"0"])
    exchange([(keel, wire, 2 * NDBS + 1)])
    enabled |= set(n for n in candidates if n in PSEUDO)
    return enabled, skipped


# ==== Main =============================================================================


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    p.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    p.add_argument("--ops", type=int, default=200000, help="operations (default 200000)")
    p.add_argument("--families", default="all",
                   help="comma-separated families (default all): " + ",".join(FAMILIES))
    p.add_argument("--keys", type=int, default=12, help="size of the key space (default 12)")
    p.add_argument("--batch", type=int, default=200, help="pipeline depth (default 200)")
    p.add_argument("--no-probe", action="store_true",
                   help="do not probe keel; use every command of the families")
    p.add_argument("--verbose", action="store_true", help="print every command and reply")
    p.add_argument("--exclude", default="",
                   help="comma-separated commands not to generate (to look past a known "
                        "mismatch), e.g. incrbyfloat,object|encoding")
    p.add_argument("--tolerate", default="",
                   help="comma-separated known keel differences to look past (see KNOWN): " +
                        ",".join(sorted(KNOWN)) + " or all")
    p.add_argument("--log", help="write every operation to this file (for --replay)")
    p.add_argument("--resp3", action="store_true",
                   help="switch both connections to RESP3 (HELLO 3) and compare RESP3 replies")
    p.add_argument("--replay", help="run the operations of a --log file instead")
    p.add_argument("--reduce", action="store_true",
                   help="with --replay: shrink the file to a minimal failing sequence")
    o = p.parse_args(argv)
    if o.seed is None:
        o.seed = random.SystemRandom().randrange(1, 2 ** 31)
    if o.families == "all":
        o.family_list = list(FAMILIES)
    else:
        o.family_list = [f.strip() for f in o.families.split(",") if f.strip()]
        bad = [f for f in o.family_list if f not in FAMILIES]
        if bad:
            p.error("unknown families %s (known: %s)" % (",".join(bad), ",".join(FAMILIES)))
    o.keys = max(2, o.keys)
    o.quiet = False
    tags = set(t.strip() for t in o.tolerate.split(",") if t.strip())
    if "all" in tags:
        tags = set(KNOWN)
    if tags - set(KNOWN):
        p.error("unknown --tolerate tags %s (known: %s)" %
                (",".join(sorted(tags - set(KNOWN))), ",".join(sorted(KNOWN))))
    TOLERATE.update(tags)
    if o.reduce and not o.replay:
        p.error("--reduce needs --replay FILE")
    o.batch = max(1, o.batch)
    o.rerun = "%s %s --seed %d --ops %d --families %s --keys %d%s" % (
        sys.executable, os.path.relpath(os.path.abspath(__file__)), o.seed, o.ops,
        ",".join(o.family_list), o.keys, " --tolerate " + o.tolerate if o.tolerate else "")
    if o.exclude:
        o.rerun += " --exclude " + o.exclude
    if o.resp3:
        o.rerun += " --resp3"
    return o


def replay_main(opts, runner, keys):
    ops = load_log(opts.replay)
    if not opts.reduce:
        runner.gen = ReplaySource(ops, keys)
        done = runner.run(len(ops))
        runner.dump(done)
        print("diff: replay of %d operations: no mismatch" % done)
        return 0
    opts.quiet = True
    print("diff: reducing %d operations..." % len(ops))
    small, target = reduce_ops(runner, ops, keys)
    if small is None:
        print("diff: the replay gives no mismatch")
        return 0
    print("diff: %d operations still give a mismatch on %s:" % (len(small), target.decode()))
    for op in small:
        print("  " + show_args(op.args, 200))
    out = opts.replay + ".min"
    with open(out, "w") as f:
        for op in small:
            handler = op.handler.__name__ if op.handler else None
            f.write(repr((op.name, op.kind, handler, op.args)) + "\n")
    print("diff: written to %s; its mismatch:" % out)
    opts.quiet = False
    try:
        replay_fails(runner, small, keys)
    except Mismatch:
        pass
    return 1


def main(argv):
    opts = parse_args(argv)
    # SIGTERM unwinds like an exception so that the servers started here are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    keel_bin = os.environ.get("KEEL_BIN", os.path.join(REPO, "build", "keel"))
    redis_bin = os.environ.get("REDIS_BIN", "/usr/bin/redis-server")
    keel_extra = shlex.split(os.environ.get("KEEL_ARGS", ""))
    for b in (keel_bin, redis_bin):
        if not os.access(b, os.X_OK):
            print("diff: server binary not executable: %s" % b, file=sys.stderr)
            return 2
    print("diff: seed %d, %d operations, families %s, %d keys%s" %
          (opts.seed, opts.ops, ",".join(opts.family_list), opts.keys,
           ", RESP3" if opts.resp3 else ""))
    print("diff: keel %s vs redis %s" % (keel_bin, redis_bin))
    workdir = tempfile.mkdtemp(prefix="keel-diff.")
    servers = [Server("keel", keel_bin, workdir, keel_extra),
               Server("redis", redis_bin, workdir, [])]
    started = time.monotonic()
    try:
        for s in servers:
            s.start()
        keel = Conn("keel", servers[0].port)
        redis = Conn("redis", servers[1].port)
        if opts.resp3:
            global RESP3_MODE
            RESP3_MODE = True
            hello3([keel, redis])
        read_arities(redis)
        excluded = set(x.strip().lower() for x in opts.exclude.split(",") if x.strip())
        candidates = set(n for n, (f, _w, _fn) in CATALOGUE.items()
                         if f in opts.family_list and n not in excluded)
        if opts.no_probe:
            enabled, skipped = set(candidates), []
        else:
            enabled, skipped = probe(keel, candidates)
        if skipped:
            print("diff: skipped (not implemented in keel): %s" % " ".join(sorted(skipped)))
        if not enabled - PSEUDO:
            print("diff: nothing to test")
            return 2
        gen = Gen(opts.seed, enabled, opts.keys, int(time.time()))
        runner = Runner(opts, keel, redis, gen, enabled)
        if opts.replay:
            return replay_main(opts, runner, gen.keys)
        print("diff: families in use: %s" % ",".join(gen.families))
        if opts.log:
            runner.logfile = open(opts.log, "w")
        try:
            done = runner.run(opts.ops)
        except ServerError as e:
            op = runner.current or Op([b"?"])
            print("\nSERVER ERROR: %s" % e)
            runner.fail(op, "server error: %s" % e)
        elapsed = time.monotonic() - started
        print("diff: OK, %d operations, %d keyspace dumps, no mismatch (%.1f s, seed %d)" %
              (done, runner.dumps, elapsed, opts.seed))
        return 0
    except ProbeFailed as e:
        print("\nMISMATCH: keel failed while probing commands: %s" % e)
        print("keel log tail:\n%s" % servers[0].log_tail())
        return 1
    except Mismatch:
        if servers[0].proc and servers[0].proc.poll() is not None:
            print("keel exited with status %s; log tail:\n%s" %
                  (servers[0].proc.returncode, servers[0].log_tail()))
        return 1
    except ServerError as e:
        print("diff: setup failed: %s" % e, file=sys.stderr)
        return 2
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
