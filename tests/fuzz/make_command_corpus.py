#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_command (tests/fuzz/corpus/command/) and its dictionary
(tests/fuzz/command.dict). Run from anywhere; the outputs are committed.

Each corpus file is fuzz_command's input: byte 0 = fragment control (0: whole), byte 1 =
fault injection (0: off; n < 128: the n-th data-heap allocation in a command fails; + 128:
that command's later allocations fail too), byte 2 = session (bit 0: requirepass "fuzz" is
set before the client connects; bits 1-2: the client reads after every command (0), once per
receive (1) or never (2)), then the client's bytes. Seeds cover every command family with valid commands (RESP multibulk,
some inline), the malformed inputs of shared/RELIABILITY.md's golden table (A1) and its
CVE inputs (section c), scaled to the fuzzer's 4 MB budget and 1 KB input buffer.
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus", "command")
DICT = os.path.join(HERE, "command.dict")


def resp(*args):
    out = b"*%d\r\n" % len(args)
    for arg in args:
        if isinstance(arg, str):
            arg = arg.encode()
        elif isinstance(arg, int):
            arg = str(arg).encode()
        out += b"$%d\r\n%s\r\n" % (len(arg), arg)
    return out


def script(*commands):
    """Commands as tuples (RESP) or bytes (sent as is, e.g. inline or malformed)."""
    return b"".join(c if isinstance(c, bytes) else resp(*c) for c in commands)


SEEDS = {}


def seed(name, body, fragment=0, fault=0, password=False, drain=0):
    """drain: how the client reads (0 after every command, 1 once per receive, 2 never)."""
    SEEDS[name] = bytes([fragment, fault, (1 if password else 0) | drain << 1]) + body


# ==== Strings ====
seed("string_basic", script(
    ("SET", "k", "v"), ("GET", "k"), ("GETSET", "k", "w"), ("GETDEL", "k"), ("GET", "k"),
    ("SET", "k", "v", "EX", "100"), ("TTL", "k"), ("SET", "k", "v2", "KEEPTTL", "GET"),
    ("SET", "k", "v3", "NX"), ("SET", "k", "v4", "XX", "PX", "100000"),
    ("SET", "k", "v5", "EXAT", "1800000000"), ("SET", "k", "v6", "PXAT", "1800000000000"),
    ("GETEX", "k", "PERSIST"), ("GETEX", "k", "EX", "5"), ("SETNX", "n", "1"),
    ("SETEX", "e", "10", "x"), ("PSETEX", "p", "10000", "y"), ("STRLEN", "k"),
    ("APPEND", "k", "tail"), ("GETRANGE", "k", "0", "-1"), ("SETRANGE", "k", "3", "XYZ"),
    ("MSET", "a", "1", "b", "2", "c", "3"), ("MSETNX", "d", "4", "a", "5"),
    ("MGET", "a", "b", "c", "d", "nokey")))
seed("string_numbers", script(
    ("INCR", "i"), ("INCRBY", "i", "41"), ("DECR", "i"), ("DECRBY", "i", "-9"),
    ("INCRBYFLOAT", "f", "1.5"), ("INCRBYFLOAT", "f", "-0.25e1"), ("SET", "i", "9223372036854775807"),
    ("INCR", "i"), ("DECRBY", "x", "-9223372036854775808"), ("INCRBYFLOAT", "f", "1e308"),
    ("INCRBYFLOAT", "f", "1e308"), ("INCRBYFLOAT", "f", "inf"), ("SET", "s", "abc"),
    ("INCR", "s"), ("GET", "i"), ("GET", "f")))
seed("string_errors", script(
    ("SET", "q", "v", "EX", "0"), ("SET", "q", "v", "NX", "XX"), ("SET", "q", "v", "EX", "1", "PX", "1"),
    ("SETRANGE", "k", "-1", "x"), ("GETRANGE", "k", "-9223372036854775808", "9223372036854775807"),
    ("MSET", "a"), ("MSETNX", "k", "1", "k", "2"), ("GET", "k"), ("GETEX", "k", "EX", "-1")))
seed("string_big_value", script(("SET", "big", "x" * 600), ("APPEND", "big", "y" * 700),
                                ("GET", "big"), ("STRLEN", "big"), ("SETRANGE", "big", "2000", "z"),
                                ("GETRANGE", "big", "590", "610")), fragment=37)
seed("string_oom", script(("SETRANGE", "huge", "3000000", "x"), ("SETRANGE", "h2", "2000000", "y"),
                          ("SET", "a", "b"), ("APPEND", "huge", "more"), ("MSET", "x", "1", "y", "2"),
                          ("DEL", "huge"), ("SET", "a", "b")))
seed("string_fault", script(("MSET", "a", "1", "b", "2", "c", "3", "d", "4"), ("SET", "e", "x" * 100),
                            ("APPEND", "a", "x" * 50), ("INCRBYFLOAT", "f", "2.5")), fault=3)

# ==== Lists ====
seed("list_basic", script(
    ("LPUSH", "l", "a", "b", "c"), ("RPUSH", "l", "d", "e"), ("LPUSHX", "l", "z"), ("RPUSHX", "none", "z"),
    ("LRANGE", "l", "0", "-1"), ("LINDEX", "l", "-1"), ("LSET", "l", "0", "Z"), ("LLEN", "l"),
    ("LINSERT", "l", "BEFORE", "c", "x"), ("LINSERT", "l", "AFTER", "c", "y"), ("LREM", "l", "0", "x"),
    ("LPOS", "l", "c", "RANK", "-1", "COUNT", "0", "MAXLEN", "10"), ("LTRIM", "l", "1", "-2"),
    ("LPOP", "l"), ("RPOP", "l", "2"), ("LMOVE", "l", "m", "LEFT", "RIGHT"),
    ("RPOPLPUSH", "m", "l"), ("LMPOP", "2", "none", "l", "RIGHT", "COUNT", "2"), ("LRANGE", "m", "0", "-1")))
seed("list_large", script(("RPUSH", "q", *[str(i) * 20 for i in range(60)]),
                          ("CONFIG", "SET", "list-max-listpack-size", "4"),
                          ("RPUSH", "r", *[str(i) for i in range(40)]), ("OBJECT", "ENCODING", "r"),
                          ("LINSERT", "r", "BEFORE", "20", "new"), ("LREM", "r", "-2", "5"),
                          ("LTRIM", "r", "5", "30"), ("LRANGE", "r", "-100", "100")), fragment=0x45)
seed("list_errors", script(("SET", "s", "x"), ("LPUSH", "s", "a"), ("LSET", "nokey", "0", "a"),
                           ("LPUSH", "l", "a"), ("LSET", "l", "5", "b"), ("LPOS", "l", "a", "RANK", "0"),
                           ("LMOVE", "l", "s", "LEFT", "LEFT"), ("LRANGE", "l", "0", "-1"),
                           ("LMPOP", "0", "l", "LEFT"), ("LPOP", "l", "-1")))
seed("list_fault", script(("RPUSH", "l", *["v%d" % i for i in range(30)]), ("LINSERT", "l", "AFTER", "v3", "n"),
                          ("LSET", "l", "2", "x" * 80), ("LMOVE", "l", "m", "RIGHT", "LEFT")), fault=5)

# ==== Hashes ====
seed("hash_basic", script(
    ("HSET", "h", "f1", "v1", "f2", "v2"), ("HSETNX", "h", "f1", "x"), ("HGET", "h", "f1"),
    ("HMGET", "h", "f1", "nof", "f2"), ("HMSET", "h", "f3", "3"), ("HDEL", "h", "f2", "nof"),
    ("HLEN", "h"), ("HSTRLEN", "h", "f1"), ("HEXISTS", "h", "f3"), ("HKEYS", "h"), ("HVALS", "h"),
    ("HGETALL", "h"), ("HINCRBY", "h", "f3", "7"), ("HINCRBYFLOAT", "h", "f4", "2.5"),
    ("HRANDFIELD", "h", "-5", "WITHVALUES"), ("HRANDFIELD", "h"), ("HSCAN", "h", "0", "MATCH", "f*", "COUNT", "10")))
seed("hash_large", script(("HSET", "big", *sum([["field%d" % i, "value%d" % i] for i in range(70)], [])),
                          ("HSET", "big", "long", "x" * 70), ("OBJECT", "ENCODING", "big"),
                          ("HSCAN", "big", "0"), ("HRANDFIELD", "big", "3"), ("HDEL", "big", "field3")), fragment=0x8a)
seed("hash_errors", script(("HSET", "h", "f", "abc"), ("HINCRBY", "h", "f", "1"),
                           ("HINCRBYFLOAT", "h", "g", "+inf"), ("HINCRBYFLOAT", "h", "g", "nan"),
                           ("HINCRBYFLOAT", "h", "g", "1e308"), ("HINCRBYFLOAT", "h", "g", "1e308"),
                           ("HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"), ("HGETALL", "h"),
                           ("HSET", "h", "odd")))
seed("hash_fault", script(("HSET", "h", *sum([["f%d" % i, "v%d" % i] for i in range(20)], [])),
                          ("HSET", "h", "wide", "w" * 100), ("HINCRBYFLOAT", "h", "n", "1.5")), fault=4)

# ==== Sets ====
seed("set_basic", script(
    ("SADD", "s", "1", "2", "3"), ("SADD", "t", "a", "b", "3"), ("SREM", "s", "2"), ("SCARD", "s"),
    ("SISMEMBER", "s", "3"), ("SMISMEMBER", "s", "1", "9"), ("SMEMBERS", "t"), ("SPOP", "t"),
    ("SRANDMEMBER", "s", "-4"), ("SMOVE", "s", "t", "1"), ("SINTER", "s", "t"), ("SINTERCARD", "2", "s", "t", "LIMIT", "1"),
    ("SINTERSTORE", "i", "s", "t"), ("SUNION", "s", "t"), ("SUNIONSTORE", "u", "s", "t"), ("SDIFF", "t", "s"),
    ("SDIFFSTORE", "d", "t", "s"), ("SSCAN", "t", "0", "COUNT", "2"), ("SPOP", "t", "2")))
seed("set_encodings", script(("SADD", "ints", *[str(i) for i in range(600)]), ("OBJECT", "ENCODING", "ints"),
                             ("SADD", "lp", *["m%d" % i for i in range(130)]), ("OBJECT", "ENCODING", "lp"),
                             ("SUNIONSTORE", "all", "ints", "lp"), ("SINTERCARD", "2", "all", "lp"),
                             ("SSCAN", "all", "0", "MATCH", "m1*"), ("SRANDMEMBER", "all", "5")), fragment=0xc0)
seed("set_errors", script(("SET", "str", "x"), ("SADD", "str", "a"), ("SMOVE", "s", "str", "a"),
                          ("SADD", "s", "a"), ("SMOVE", "s", "str", "a"), ("SMEMBERS", "s"),
                          ("SRANDMEMBER", "s", "-9223372036854775808"), ("SPOP", "s", "-1"),
                          ("SINTERCARD", "0", "s"), ("SUNIONSTORE", "str", "s", "str")))
# A blocking command that times out under CLIENT REPLY OFF / SKIP answers nothing.
seed("blocked_timeout_reply_off", script(("CLIENT", "REPLY", "OFF"), ("BLPOP", "x", "1"), ("CLIENT", "REPLY", "ON"),
                                         ("CLIENT", "REPLY", "SKIP"), ("BZPOPMIN", "z", "1"), ("PING",)))
# A failed multi-member SADD leaves a small set's encoding as it was (intset -> listpack).
for fault in (1, 2, 3, 5):
    seed("sadd_encoding_fault%d" % fault,
         script(("SADD", "s", "1", "2", "3"), ("SADD", "s", "b", "a", "c"), ("OBJECT", "ENCODING", "s"),
                ("SADD", "t", "x"), ("SADD", "t", *["m%d" % i for i in range(200)])), fault=fault)
seed("set_fault", script(("SADD", "a", *[str(i) for i in range(40)]), ("SADD", "b", *["x%d" % i for i in range(40)]),
                         ("SUNIONSTORE", "c", "a", "b"), ("SINTERSTORE", "d", "a", "c"), ("SMOVE", "a", "b", "7")), fault=6)

# ==== Sorted sets ====
seed("zset_basic", script(
    ("ZADD", "z", "1", "a", "2", "b", "3", "c"), ("ZADD", "z", "GT", "CH", "5", "a"), ("ZADD", "z", "INCR", "1", "b"),
    ("ZINCRBY", "z", "2.5", "c"), ("ZCARD", "z"), ("ZCOUNT", "z", "(1", "+inf"), ("ZLEXCOUNT", "z", "-", "+"),
    ("ZSCORE", "z", "a"), ("ZMSCORE", "z", "a", "x"), ("ZRANK", "z", "b"), ("ZREVRANK", "z", "b"),
    ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("ZRANGE", "z", "(1", "10", "BYSCORE", "LIMIT", "0", "2"),
    ("ZRANGE", "z", "[a", "[z", "BYLEX", "REV"), ("ZRANGEBYSCORE", "z", "-inf", "+inf"),
    ("ZREVRANGEBYSCORE", "z", "+inf", "-inf", "WITHSCORES"), ("ZRANGEBYLEX", "z", "-", "+"),
    ("ZREVRANGEBYLEX", "z", "+", "-"), ("ZREVRANGE", "z", "0", "1"), ("ZRANGESTORE", "dst", "z", "0", "1"),
    ("ZREM", "z", "a"), ("ZREMRANGEBYSCORE", "dst", "0", "1"), ("ZREMRANGEBYRANK", "dst", "0", "0"),
    ("ZREMRANGEBYLEX", "z", "[a", "[b"), ("ZPOPMIN", "z"), ("ZPOPMAX", "z", "2"),
    ("ZADD", "y", "1", "p", "2", "q"), ("ZMPOP", "2", "z", "y", "MIN", "COUNT", "1"),
    ("ZRANDMEMBER", "y", "-3", "WITHSCORES"), ("ZSCAN", "y", "0")))
seed("zset_ops", script(("ZADD", "a", "1", "x", "2", "y"), ("ZADD", "b", "3", "y", "4", "z"),
                        ("ZUNION", "2", "a", "b", "WEIGHTS", "2", "3", "AGGREGATE", "MAX", "WITHSCORES"),
                        ("ZINTER", "2", "a", "b"), ("ZDIFF", "2", "a", "b", "WITHSCORES"),
                        ("ZUNIONSTORE", "u", "2", "a", "b"), ("ZINTERSTORE", "i", "2", "a", "b", "AGGREGATE", "MIN"),
                        ("ZDIFFSTORE", "d", "2", "b", "a"), ("ZINTERCARD", "2", "a", "b", "LIMIT", "0"),
                        ("SADD", "s", "x"), ("ZUNION", "2", "a", "s")))
seed("zset_large", script(("ZADD", "big", *sum([[str(i), "member%d" % i] for i in range(140)], [])),
                          ("OBJECT", "ENCODING", "big"), ("ZRANGE", "big", "10", "20"),
                          ("ZREMRANGEBYRANK", "big", "0", "100"), ("ZRANGESTORE", "small", "big", "0", "-1")),
     fragment=0x7f)
seed("zset_errors", script(("ZADD", "z", "NX", "XX", "1", "a"), ("ZADD", "z", "GT", "LT", "1", "a"),
                           ("ZADD", "z", "nan", "a"), ("ZADD", "z", "1", "a"), ("ZINCRBY", "z", "inf", "a"),
                           ("ZINCRBY", "z", "-inf", "a"), ("ZADD", "z", "INCR", "1", "a", "2", "b"),
                           ("ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES"),
                           ("ZRANGE", "z", "0", "-1", "BYLEX"), ("ZUNIONSTORE", "d", "0", "z")))
seed("zset_fault", script(("ZADD", "z", *sum([[str(i), "m%d" % i] for i in range(30)], [])),
                          ("ZUNIONSTORE", "u", "1", "z", "WEIGHTS", "2"), ("ZRANGESTORE", "r", "z", "0", "10"),
                          ("ZADD", "z", "99", "x" * 80)), fault=7)

# ==== Bitmaps ====
seed("bitmap_basic", script(
    ("SETBIT", "b", "7", "1"), ("SETBIT", "b", "100", "1"), ("GETBIT", "b", "7"), ("BITCOUNT", "b"),
    ("BITCOUNT", "b", "0", "-1", "BIT"), ("BITCOUNT", "b", "1", "2", "BYTE"), ("BITPOS", "b", "1"),
    ("BITPOS", "b", "0", "1", "-1", "BIT"), ("SET", "c", "abc"), ("BITOP", "AND", "d", "b", "c"),
    ("BITOP", "OR", "d", "b", "c"), ("BITOP", "XOR", "d", "b", "c"), ("BITOP", "NOT", "e", "c"),
    ("BITFIELD", "f", "SET", "u8", "0", "200", "GET", "i4", "4", "INCRBY", "u8", "#1", "100",
     "OVERFLOW", "SAT", "INCRBY", "u8", "0", "100", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "200"),
    ("BITFIELD_RO", "f", "GET", "u16", "0"), ("GET", "d")))
seed("bitmap_errors", script(("SETBIT", "k", "4294967296", "1"), ("SETBIT", "k", "4294967295", "1"),
                             ("BITFIELD", "k", "SET", "u8", "4294967295", "1"), ("BITFIELD", "k", "GET", "u64", "0"),
                             ("BITPOS", "k", "1", "-9223372036854775808", "9223372036854775807"),
                             ("BITOP", "NOT", "d", "a", "b"), ("SETBIT", "k", "1", "2"),
                             ("LPUSH", "l", "x"), ("BITOP", "AND", "d", "l"), ("BITCOUNT", "k", "0")))
seed("bitmap_fault", script(("SETBIT", "b", "5000", "1"), ("BITOP", "OR", "c", "b", "b"),
                            ("BITFIELD", "d", "SET", "u32", "40000", "7"), ("SETBIT", "b", "70000", "1")), fault=2)

# ==== Keyspace ====
seed("keyspace_basic", script(
    ("MSET", "a", "1", "b", "2", "c", "3"), ("EXISTS", "a", "b", "x"), ("TYPE", "a"), ("TOUCH", "a", "x"),
    ("EXPIRE", "a", "100"), ("PEXPIRE", "b", "100000", "NX"), ("EXPIREAT", "c", "1900000000", "GT"),
    ("PEXPIREAT", "c", "1900000000000", "LT"), ("TTL", "a"), ("PTTL", "b"), ("EXPIRETIME", "c"),
    ("PEXPIRETIME", "c"), ("PERSIST", "a"), ("KEYS", "*"), ("SCAN", "0", "MATCH", "?", "COUNT", "100", "TYPE", "string"),
    ("RANDOMKEY",), ("RENAME", "a", "r"), ("RENAMENX", "b", "r"), ("COPY", "r", "cp"), ("COPY", "r", "cp", "REPLACE"),
    ("COPY", "r", "x", "DB", "3"), ("MOVE", "cp", "2"), ("SWAPDB", "0", "2"), ("DBSIZE",), ("SELECT", "2"),
    ("KEYS", "*"), ("OBJECT", "ENCODING", "r"), ("OBJECT", "FREQ", "r"), ("OBJECT", "IDLETIME", "r"),
    ("OBJECT", "REFCOUNT", "r"), ("OBJECT", "HELP"), ("UNLINK", "r", "cp"), ("DEL", "c"), ("FLUSHDB",),
    ("SELECT", "0"), ("FLUSHALL",), ("DBSIZE",)))
seed("keyspace_expire", script(("SET", "gone", "x", "PXAT", "1"), ("EXISTS", "gone"), ("SET", "k", "v"),
                               ("EXPIRE", "k", "-1"), ("EXISTS", "k"), ("SET", "k", "v"),
                               ("EXPIRE", "k", "9223372036854775807"), ("PEXPIREAT", "k", "0"),
                               ("SET", "t", "1", "EX", "50"), ("COPY", "t", "t2"), ("TTL", "t2"),
                               ("RENAME", "t", "t3"), ("PTTL", "t3"), ("MOVE", "t3", "1"), ("SELECT", "1"), ("TTL", "t3")))
seed("keyspace_sort", script(
    ("RPUSH", "l", "3", "1", "2"), ("SADD", "s", "b", "a", "c"), ("MSET", "w_1", "30", "w_2", "10", "w_3", "20"),
    ("MSET", "o_1", "one", "o_2", "two", "o_3", "three"), ("HSET", "h_1", "f", "x"),
    ("SORT", "l"), ("SORT", "l", "DESC", "LIMIT", "0", "2"), ("SORT", "s", "ALPHA"),
    ("SORT", "l", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "h_*->f"), ("SORT", "l", "BY", "nosort"),
    ("SORT", "l", "STORE", "dst"), ("LRANGE", "dst", "0", "-1"), ("SORT_RO", "s", "ALPHA", "DESC"),
    ("SORT_RO", "l", "BY", "a", "LIMIT", "2", "9223372036854775807"), ("SORT", "s"), ("ZADD", "z", "1", "m"),
    ("SORT", "z", "ALPHA")))
seed("keyspace_errors", script(("RENAME", "none", "x"), ("SET", "a", "1"), ("RENAME", "a", "a"),
                               ("COPY", "a", "b", "DB", "99"), ("MOVE", "a", "0"), ("MOVE", "a", "x"),
                               ("SWAPDB", "0", "99"), ("SELECT", "-1"), ("EXPIRE", "a", "10", "NX", "XX"),
                               ("SCAN", "abc"), ("SCAN", "0", "COUNT", "0"), ("OBJECT", "ENCODING", "none"),
                               ("SORT", "a"), ("SORT", "a", "LIMIT", "1"), ("GET", "a")))
seed("keyspace_fault", script(("HSET", "h", "a", "1", "b", "2"), ("COPY", "h", "h2"), ("RENAME", "h", "h3"),
                              ("RPUSH", "l", "3", "2", "1"), ("SORT", "l", "STORE", "sorted"),
                              ("MOVE", "h2", "5"), ("SET", "x", "y"), ("RENAMENX", "x", "x2")), fault=3)

# ==== Server, ACL, CONFIG, MEMORY, COMMAND ====
seed("server_basic", script(("PING",), ("PING", "hello"), ("ECHO", "x"), ("TIME",), ("DBSIZE",),
                            ("INFO",), ("INFO", "memory"), ("INFO", "keyspace"), ("COMMAND", "COUNT"),
                            ("COMMAND", "INFO", "get", "set", "nosuch"), ("COMMAND", "DOCS", "get"),
                            ("COMMAND", "LIST"), ("COMMAND", "HELP"), ("SHUTDOWN", "ABORT")))
seed("config", script(("CONFIG", "GET", "*max*"), ("CONFIG", "GET", "maxmemory", "save"),
                      ("CONFIG", "SET", "hash-max-listpack-entries", "2", "set-max-intset-entries", "4"),
                      ("CONFIG", "SET", "maxmemory", "10gb"), ("CONFIG", "SET", "proto-max-bulk-len", "10gb"),
                      ("CONFIG", "SET", "client-query-buffer-limit", "10gb"), ("CONFIG", "SET", "dir", "/tmp"),
                      ("CONFIG", "SET", "maxmemory-policy", "allkeys-lru"), ("CONFIG", "SET", "maxmemory", "1mb"),
                      ("SETRANGE", "a", "900000", "x"), ("SETRANGE", "b", "900000", "x"), ("DBSIZE",),
                      ("CONFIG", "RESETSTAT"), ("CONFIG", "HELP"), ("CONFIG", "SET", "nosuch", "1")))
seed("memory", script(("SET", "k", "v"), ("RPUSH", "l", "a"), ("MEMORY", "USAGE", "k"),
                      ("MEMORY", "USAGE", "l", "SAMPLES", "0"), ("MEMORY", "STATS"), ("MEMORY", "DOCTOR"),
                      ("MEMORY", "MALLOC-STATS"), ("MEMORY", "PURGE"), ("MEMORY", "HELP"), ("MEMORY", "NOSUCH")))
# enable-debug-command is no (the default) and immutable: every DEBUG is refused, none crashes.
seed("debug_refused", script(("CONFIG", "GET", "enable-debug-command"),
                             ("CONFIG", "SET", "enable-debug-command", "yes"), ("DEBUG", "ASSERT"),
                             ("DEBUG", "PANIC"), ("DEBUG", "SEGFAULT"), ("DEBUG", "SLEEP", "100"),
                             ("DEBUG", "POPULATE", "1000000"), ("DEBUG", "SET-ACTIVE-EXPIRE", "0"),
                             ("DEBUG", "HELP"), ("DEBUG",), b"DEBUG assert\r\n", ("DBSIZE",)))
seed("acl", script(("ACL", "WHOAMI"), ("ACL", "SETUSER", "alice", "on", ">pw", "~k*", "+get", "+set", "-@admin"),
                   ("ACL", "GETUSER", "alice"), ("ACL", "LIST"), ("ACL", "USERS"), ("ACL", "CAT"),
                   ("ACL", "CAT", "string"), ("ACL", "GENPASS", "64"), ("ACL", "DRYRUN", "alice", "get", "k1"),
                   ("ACL", "DRYRUN", "alice", "del", "k1"), ("AUTH", "alice", "wrong"), ("AUTH", "alice", "pw"),
                   ("SET", "k1", "v"), ("SET", "other", "v"), ("DEL", "k1"), ("ACL", "LOG"), ("AUTH", "default", "x"),
                   ("ACL", "DELUSER", "alice"), ("ACL", "HELP"), ("ACL", "LOG", "RESET")))
seed("auth_required", script(("CONFIG", "SET", "requirepass", "secret"), ("PING",), ("AUTH", "wrong"),
                             ("AUTH", "a", "b", "c"), ("AUTH", "secret"), ("PING",), ("CONFIG", "SET", "requirepass", ""),
                             ("ACL", "SETUSER", "default", "resetpass", ">p"), ("SET", "k", "v")))
seed("quit", script(("SET", "k", "v"), ("QUIT",), ("GET", "k")))
seed("output_overflow", script(("CONFIG", "SET", "client-output-buffer-limit", "normal 64 0 0"),
                               ("RPUSH", "l", "x" * 100), ("LRANGE", "l", "0", "-1")))
seed("output_pool", script(("SETRANGE", "big", "1100000", "x"), ("GET", "big")))
seed("shutdown", script(("SET", "k", "v"), ("SHUTDOWN", "NOSAVE"), ("GET", "k")))

# ==== Transactions, pub/sub, RESP3, client management ====
seed("multi_basic", script(("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("LPUSH", "a", "x"), ("GET", "a"),
                           ("EXEC",), ("MULTI",), ("SET", "b", "2"), ("DISCARD",), ("EXISTS", "b"),
                           ("WATCH", "a"), ("SET", "a", "5"), ("MULTI",), ("INCR", "a"), ("EXEC",),
                           ("WATCH", "a"), ("UNWATCH",), ("MULTI",), ("INCR", "a"), ("EXEC",)))
seed("multi_errors", script(("EXEC",), ("DISCARD",), ("MULTI",), ("MULTI",), ("SET", "a"), ("NOSUCH",),
                            ("EXEC",), ("MULTI",), ("WATCH", "a"), ("SET", "k", "v"), ("EXEC",),
                            ("MULTI",), ("SETRANGE", "big", "5000000", "x"), ("EXEC",)))
seed("pubsub", script(("PUBLISH", "ch", "hello"), ("PUBSUB", "CHANNELS"), ("PUBSUB", "NUMSUB", "ch"),
                      ("PUBSUB", "NUMPAT"), ("SUBSCRIBE", "ch", "other"), ("PSUBSCRIBE", "c*"), ("PING",),
                      ("PING", "x"), ("GET", "k"), ("UNSUBSCRIBE", "ch"), ("PUNSUBSCRIBE",),
                      ("UNSUBSCRIBE",), ("GET", "k")))
seed("resp3", script(("HELLO", "3"), ("SET", "k", "1"), ("GET", "nokey"), ("ZADD", "z", "1.5", "m"),
                     ("ZSCORE", "z", "m"), ("ZRANGE", "z", "0", "-1", "WITHSCORES"), ("HSET", "h", "f", "v"),
                     ("HGETALL", "h"), ("SADD", "s", "a"), ("SMEMBERS", "s"), ("CONFIG", "GET", "maxmemory"),
                     ("LPOP", "nolist"), ("MGET", "k", "x"), ("INCRBYFLOAT", "f", "1.5"), ("INFO", "server"),
                     ("SUBSCRIBE", "ch"), ("PUBLISH", "ch", "self"), ("UNSUBSCRIBE",), ("HELLO", "2"), ("GET", "k")))
seed("hello", script(("HELLO",), ("HELLO", "4"), ("HELLO", "abc"), ("HELLO", "3", "SETNAME", "me"),
                     ("HELLO", "2", "AUTH", "default", "wrong"), ("CLIENT", "GETNAME"), ("RESET",), ("CLIENT", "GETNAME")))
seed("client", script(("CLIENT", "ID"), ("CLIENT", "SETNAME", "fuzz"), ("CLIENT", "GETNAME"), ("CLIENT", "LIST"),
                      ("CLIENT", "INFO"), ("CLIENT", "NO-EVICT", "on"), ("CLIENT", "REPLY", "SKIP"), ("PING",),
                      ("PING",), ("CLIENT", "REPLY", "OFF"), ("SET", "k", "v"), ("INCR", "k"),
                      ("CLIENT", "REPLY", "ON"), ("GET", "k"), ("CLIENT", "SETNAME", "bad name"),
                      ("CLIENT", "KILL", "ID", "999"), ("CLIENT", "UNPAUSE"), ("CLIENT", "HELP"), ("WAIT", "0", "0")))
seed("client_pause", script(("CLIENT", "PAUSE", "100", "WRITE"), ("GET", "k"), ("SET", "k", "v"), ("GET", "k")))
seed("client_kill_self", script(("CLIENT", "KILL", "ID", "1"), ("CLIENT", "KILL", "SKIPME", "no"), ("PING",)))
seed("monitor", script(("MONITOR",), ("SET", "k", "v"), ("MONITOR",), ("GET", "k"), ("RESET",), ("PING",)))
seed("slowlog_latency", script(("SLOWLOG", "GET"), ("SLOWLOG", "LEN"), ("SLOWLOG", "RESET"), ("SLOWLOG", "HELP"),
                               ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "command"), ("LATENCY", "RESET"),
                               ("LATENCY", "DOCTOR"), ("LATENCY", "HELP"), ("CONFIG", "SET", "slowlog-log-slower-than", "0"),
                               ("SET", "k", "v"), ("SLOWLOG", "GET", "1")))

seed("blocking", script(("RPUSH", "l", "a", "b"), ("BLPOP", "l", "0"), ("BRPOP", "none", "l", "1"),
                        ("BLMOVE", "l", "m", "LEFT", "RIGHT", "2"), ("BLPOP", "l", "0.5"), ("GET", "after"),
                        ("ZADD", "z", "1", "a"), ("BZPOPMIN", "z", "1"), ("BZPOPMAX", "z", "0.01"),
                        ("BLMPOP", "1", "2", "x", "y", "LEFT"), ("BZMPOP", "1", "1", "z", "MIN"),
                        ("BRPOPLPUSH", "x", "y", "1"), ("MULTI",), ("BLPOP", "x", "0"), ("EXEC",),
                        ("BLPOP", "x", "-1"), ("BLPOP", "x", "abc"), ("SET", "s", "v"), ("BLPOP", "s", "1"),
                        ("BLPOP", "forever", "0"), ("PING",)))
seed("blocking_resp3", script(("HELLO", "3"), ("BLPOP", "x", "1"), ("BZPOPMIN", "z", "1"), ("PING",)))

# ==== Regressions: reproducers of fuzz_command findings, fixed (tests/fuzz/findings/README.md) ====
# MSET answered -OOM with a..g stored when the index could not grow for the 8th new key (the
# 12th data-heap allocation of the command fails here).
seed("finding_mset_partial_oom", b"MSET a 1 b 2 c 3 d 4 e 5 f 6 g 7 h 8 i 9 j 10\r\n", fault=12)
# SET x 1 ran after LRANGE had put the client over its output limit (Redis runs nothing more).
seed("finding_commands_after_output_overflow",
     b'CONFIG SET client-output-buffer-limit "normal 64 0 0"\r\nRPUSH l ' + b"x" * 100
     + b"\r\nLRANGE l 0 -1\r\nSET x 1\r\n")

# ==== Malformed requests (RELIABILITY.md A1, P1) ====
seed("bad_multibulk_count", b"*3000000000\r\n")
seed("bad_multibulk_plus", b"*+1\r\n")
seed("bad_multibulk_space", b"* 1\r\n")
seed("bad_multibulk_int_max", b"*2147483648\r\n")
seed("ignored_counts", b"*0\r\n*-1\r\n*-10\r\n" + resp("PING"))
seed("bad_bulk_negative", b"*1\r\n$-10\r\n")
seed("bad_bulk_null_arg", b"*1\r\n$-1\r\n")
seed("bad_bulk_text", b"*1\r\n$blabla\r\n")
seed("bad_bulk_leading_zero", b"*1\r\n$04\r\nPING\r\n")
seed("bad_bulk_too_big", b"*1\r\n$2000000000\r\n")
seed("bad_bulk_over_max", b"*1\r\n$536870913\r\n")
seed("bad_expected_dollar", b"*1\r\nfoo\r\n")
seed("bad_inline_quotes", b'set """test-key""" test-value\r\n')
seed("inline_quoting", b"set \"a\\x41\\n\" 'b\\'c'\r\nGET \"a\\x41\\n\"\r\nPING\n\r\n")
seed("skip_crlf_quirk", b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n")
seed("bare_lf_multibulk", b"*1\n$4\nPING\n")
seed("nul_inline", b"\x00\r\nPING\r\n")
seed("nul_desync", b"*\x00\r\n$\x00\r\n")
seed("resp3_aggregate", b"%1\r\n+a\r\n+b\r\n")
seed("empty_command", b"*1\r\n$0\r\n\r\n" + resp("PING"))
seed("unknown_command", resp("FOOBAR", "abc") + resp("FOO\r\n+OK", "x") + resp("GET"))
seed("http_post", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n")
seed("http_host", b"Host: example\r\n")
seed("http_get", b"GET / HTTP/1.1\r\n")
seed("pipeline_fragmented", script(*[("INCR", "n")] * 50, ("GET", "n")), fragment=3)
seed("big_arg_split", script(("SET", "k", "v" * 1500), ("GET", "k"), ("DEL", "k")), fragment=0x80)
seed("big_arg_refused", script(("SETRANGE", "fill", "4000000", "x"), ("SET", "k", "v" * 900), ("PING",)),
     fragment=0x50)
seed("many_args", resp("DEL", *["key%d" % i for i in range(300)]) + resp("MGET", *["k"] * 40), fragment=0x30)

# ==== CVE inputs (RELIABILITY.md section c) ====
seed("cve_2021_32675_count", b"*1048576\r\n")
seed("cve_2021_32675_bulk", b"*1\r\n$536870912\r\n")
seed("cve_2021_32675_unauth", b"*11\r\n", password=True)
seed("cve_2021_32675_unauth_bulk", b"*1\r\n$16385\r\n", password=True)
seed("cve_2021_32675_unauth_ok", resp(*["a"] * 10) + b"*1\r\n$16384\r\n", password=True)
seed("cve_2025_21605", b"PING\r\n" * 200, password=True, drain=2)
seed("slow_reader", script(("SETRANGE", "big", "300000", "x"), *[("GET", "big")] * 5, ("SET", "after", "1")),
     drain=2)
seed("turn_reader", script(*[("LRANGE", "l", "0", "-1"), ("RPUSH", "l", "v" * 200)] * 60), fragment=0x9f, drain=1)
seed("backpressure", script(("SETRANGE", "big", "200000", "x"), *[("GET", "big")] * 4, ("PING",)), drain=1)
seed("preauth_bypass", script(("AUTH", "wrong"), ("SET", "k", "v"), ("HELLO", "3", "AUTH", "default", "wrong"),
                              ("GET", "k"), ("ACL", "WHOAMI")) + b"auth wrong\r\nset k v\r\n"
     + script(("HELLO", "3"), ("AUTH", "default", "fuzz"), ("SET", "k", "v"), ("AUTH", "wrong"),
              ("GET", "k"), ("RESET",), ("GET", "k")), password=True)
seed("preauth_auth", script(("PING",), ("AUTH", "fuzz"), ("PING",), ("CONFIG", "SET", "requirepass", ""),
                            ("RESET",), ("PING",)), password=True)
seed("cve_2025_46686", b"*1000000\r\n$100\r\n" + b"x" * 100 + b"\r\n$100000\r\n")
seed("cve_config_limits", script(("CONFIG", "SET", "proto-max-bulk-len", "10gb"),
                                 ("CONFIG", "SET", "client-query-buffer-limit", "10gb"),
                                 ("CONFIG", "SET", "set-max-intset-entries", "2147483648"),
                                 ("CONFIG", "SET", "hash-max-listpack-entries", "9999999999"),
                                 ("CONFIG", "GET", "proto-max-bulk-len")))
seed("cve_2021_29477_lcs", script(("SET", "a", "x" * 300), ("SET", "b", "y" * 300), ("LCS", "a", "b")))
seed("cve_2022_35977", script(("SETRANGE", "K", "9223372036854775807", "A"), ("SETRANGE", "K", "2147483647", "A"),
                              ("RPUSH", "L", "1"), ("SORT_RO", "L", "BY", "a", "LIMIT", "2", "9223372036854775807")))
seed("cve_2023_22458", script(("SADD", "s", "a"), ("SRANDMEMBER", "s", "-9223372036854775808"),
                              ("HSET", "h", "f", "v"), ("HRANDFIELD", "h", "-9223372036854775808", "WITHVALUES"),
                              ("ZADD", "z", "1", "m"), ("ZRANDMEMBER", "z", "-9223372036854770000", "WITHSCORES")))
seed("cve_2022_36021_glob", script(("SET", "a" * 40, "v"), ("KEYS", "a*" * 20 + "b"),
                                   ("SCAN", "0", "MATCH", "a*" * 20 + "b"), ("KEYS", "(*?)" * 100),
                                   ("KEYS", "[" + "abcdefghij" * 50 + "]")))
seed("cve_2023_28425", script(("MSETNX", "k", "1", "k", "2"), ("GET", "k")))
seed("cve_2023_28856", script(("HINCRBYFLOAT", "h", "f", "+inf"), ("HINCRBYFLOAT", "h", "f", "nan"),
                              ("HINCRBYFLOAT", "h", "f", "1e308"), ("HINCRBYFLOAT", "h", "f", "1e308"),
                              ("INCRBYFLOAT", "k", "1e308"), ("INCRBYFLOAT", "k", "1e308"), ("HGETALL", "h"), ("GET", "k")))
seed("cve_2021_32761_bits", script(("SETBIT", "k", "4294967295", "1"), ("BITFIELD", "k", "SET", "u8", "4294967295", "1"),
                                   ("BITCOUNT", "k", "0", "-1", "BIT"),
                                   ("BITPOS", "k", "1", "-9223372036854775808", "9223372036854775807")))
seed("cve_2019_10192_hll", script(("SET", "k", "HYLL\x01\x00\x00\x00"), ("PFCOUNT", "k"), ("PFADD", "k", "a")))
seed("reply_injection", script(("FOO\r\n-ERR x\r\n+OK", "a"), ("SET", "k\r\n+OK", "v"), ("LPUSH", "k\r\n+OK", "v"),
                               ("CONFIG", "GET", "\r\n-ERR")))


def command_names():
    text = open(os.path.join(ROOT, "src", "commands.def")).read()
    return re.findall(r'^COMMAND\("([a-z_|-]+)"', text, re.M)


def dict_entry(token):
    out = []
    for byte in token.encode():
        if byte in (0x22, 0x5c) or byte < 0x20 or byte >= 0x7f:
            out.append("\\x%02x" % byte)
        else:
            out.append(chr(byte))
    return '"' + "".join(out) + '"'


OPTIONS = """EX PX EXAT PXAT KEEPTTL NX XX GT LT GET CH INCR PERSIST LEFT RIGHT BEFORE AFTER RANK
COUNT MAXLEN MIN MAX WITHSCORES WITHVALUES LIMIT BYSCORE BYLEX REV WEIGHTS AGGREGATE SUM MATCH
TYPE BY STORE ASC DESC ALPHA REPLACE DB BIT BYTE AND OR XOR NOT OVERFLOW WRAP SAT FAIL SET
INCRBY u8 i8 u16 i64 u63 #0 ENCODING FREQ IDLETIME REFCOUNT HELP USAGE SAMPLES STATS DOCTOR
MALLOC-STATS PURGE WATCH NOSUCH CHANNELS NUMSUB NUMPAT SETNAME GETNAME KILL SKIPME ID
NO-EVICT REPLY PAUSE UNPAUSE WRITE ALL AUTH SETUSER GETUSER DELUSER LIST USERS WHOAMI CAT GENPASS DRYRUN LOG RESET INFO
DOCS RESETSTAT ASYNC SYNC NOSAVE SAVE NOW FORCE ABORT on off nopass resetpass reset >pw <pw
~* ~k* &* +@all -@all +get -set allkeys allcommands requirepass maxmemory maxmemory-policy
allkeys-lru allkeys-lfu allkeys-random volatile-ttl noeviction proto-max-bulk-len
client-output-buffer-limit list-max-listpack-size hash-max-listpack-entries
set-max-intset-entries zset-max-listpack-entries protected-mode default -inf +inf inf nan
-1 0 1 -2 9223372036854775807 -9223372036854775808 4294967295 2147483648 ( [ - + * ? h_*->f #
""".split()

RESP_TOKENS = ["*", "$", "\r\n", "\n", "*1\r\n", "*2\r\n", "*3\r\n", "$1\r\n", "$3\r\n",
               "$-1\r\n", "*-1\r\n", "*0\r\n", "$0\r\n\r\n", "$600\r\n", "$1000\r\n", "$16385\r\n",
               "$536870912\r\n", "*1048576\r\n", "\"", "'", "\\x00", "POST", "Host:"]


def write_dict():
    lines = ["# fuzz_command dictionary: every command of src/commands.def (as an inline word",
             "# and as a RESP bulk), their options, and RESP tokens. Generated by",
             "# tests/fuzz/make_command_corpus.py."]
    for name in command_names():
        lines.append(dict_entry(name))
        lines.append(dict_entry(name.upper() + " "))
        lines.append(dict_entry("$%d\r\n%s\r\n" % (len(name), name.upper())))
    for token in OPTIONS + RESP_TOKENS:
        lines.append(dict_entry(token))
    seen = set()
    unique = [line for line in lines if not (line in seen or seen.add(line))]
    with open(DICT, "w") as out:
        out.write("\n".join(unique) + "\n")


FAMILIES = ("string_", "list_", "hash_", "set_", "zset_", "bitmap_", "keyspace_", "config",
            "memory", "acl", "many_args", "big_arg_", "multi_", "resp3", "blocking")


def add_fault_variants():
    """Fault-injecting copies of the command seeds, so that most of what the fuzzer derives
    from them (mutations rarely touch byte 1) runs with a failing allocation somewhere:
    each *_fault seed also with persistent failure (the heap stays full for the rest of the
    command), and every other command seed with a one-shot and a persistent failure."""
    for name, body in list(SEEDS.items()):
        if name.endswith("_fault"):
            SEEDS[name + "_persistent"] = body[:1] + bytes([body[1] | 0x80]) + body[2:]
        elif name.startswith(FAMILIES) and body[1] == 0:
            SEEDS[name + "_fault5"] = body[:1] + bytes([5]) + body[2:]
            SEEDS[name + "_fault17_persistent"] = body[:1] + bytes([17 | 0x80]) + body[2:]


def main():
    add_fault_variants()
    os.makedirs(CORPUS, exist_ok=True)
    for name in os.listdir(CORPUS):
        os.unlink(os.path.join(CORPUS, name))
    for name, body in SEEDS.items():
        with open(os.path.join(CORPUS, name), "wb") as out:
            out.write(body)
    write_dict()
    print("%d seeds, %d commands in the dictionary" % (len(SEEDS), len(command_names())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
