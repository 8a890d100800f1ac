"""
Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB, the RESP2
subscribed mode, RESP3 push messages, the pubsub class of client-output-buffer-limit
(hard and soft), and keel's pub/sub pools (pubsub-*-max) at the limit and one past it.

Every test not marked keel_only passes against redis-server 7.0.15 too.
"""
import os
import socket
import time

import pytest

from conftest import RawConn, resp_encode

SUBSCRIBED_ERROR = (b"-ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                    b"QUIT / RESET are allowed in this context\r\n")


def confirmation(verb: bytes, name, count: int) -> bytes:
    """The exact RESP2 bytes of a (p)(un)subscribe confirmation."""
    body = b"$-1\r\n" if name is None else b"$%d\r\n%s\r\n" % (len(name), name)
    return b"*3\r\n$%d\r\n%s\r\n%s:%d\r\n" % (len(verb), verb, body, count)


def message(channel: bytes, data: bytes) -> bytes:
    return b"*3\r\n$7\r\nmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(channel), channel, len(data), data)


def pmessage(pattern: bytes, channel: bytes, data: bytes) -> bytes:
    return b"*4\r\n$8\r\npmessage\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (
        len(pattern), pattern, len(channel), channel, len(data), data)


def info_field(conn: RawConn, section: str, name: str):
    text = conn.cmd("INFO", section).decode()
    for line in text.split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    return None


def wait_for(predicate, timeout: float = 5.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ==== Replies, byte for byte ====

def test_subscribe_confirmations(shared_server, r):
    sub = shared_server.raw()
    sub.send(resp_encode("SUBSCRIBE", "a", "b", "a"))
    sub.expect(confirmation(b"subscribe", b"a", 1) + confirmation(b"subscribe", b"b", 2) +
               confirmation(b"subscribe", b"a", 2))
    sub.send(resp_encode("PSUBSCRIBE", "p*", "p*"))
    sub.expect(confirmation(b"psubscribe", b"p*", 3) + confirmation(b"psubscribe", b"p*", 3))
    # Unsubscribing what is not subscribed still confirms, with the current count.
    assert sub.call("UNSUBSCRIBE", "zz") == confirmation(b"unsubscribe", b"zz", 3)
    assert sub.call("PUNSUBSCRIBE", "q") == confirmation(b"punsubscribe", b"q", 3)
    assert sub.call("UNSUBSCRIBE", "a") == confirmation(b"unsubscribe", b"a", 2)
    assert sub.call("PUNSUBSCRIBE", "p*") == confirmation(b"punsubscribe", b"p*", 1)
    assert sub.call("UNSUBSCRIBE") == confirmation(b"unsubscribe", b"b", 0)
    # Back in normal mode.
    assert sub.call("GET", "nothing") == b"$-1\r\n"


def test_unsubscribe_with_nothing_subscribed(raw):
    assert raw.call("UNSUBSCRIBE") == confirmation(b"unsubscribe", None, 0)
    assert raw.call("PUNSUBSCRIBE") == confirmation(b"punsubscribe", None, 0)
    raw.send(resp_encode("UNSUBSCRIBE", "x", "y"))
    raw.expect(confirmation(b"unsubscribe", b"x", 0) + confirmation(b"unsubscribe", b"y", 0))
    assert raw.call("PING") == b"+PONG\r\n"


def test_unsubscribe_all_counts_patterns(raw):
    raw.send(resp_encode("PSUBSCRIBE", "x*"))
    raw.expect(confirmation(b"psubscribe", b"x*", 1))
    # No channels: one confirmation with a nil name and the count of patterns left.
    assert raw.call("UNSUBSCRIBE") == confirmation(b"unsubscribe", None, 1)
    raw.send(resp_encode("SUBSCRIBE", "c1", "c2"))
    raw.expect(confirmation(b"subscribe", b"c1", 2) + confirmation(b"subscribe", b"c2", 3))
    raw.send(resp_encode("UNSUBSCRIBE"))
    first = raw.read_reply()[1]
    second = raw.read_reply()[1]
    assert sorted([first[1], second[1]]) == [b"c1", b"c2"]
    assert [first[2], second[2]] == [2, 1]
    assert raw.call("PUNSUBSCRIBE") == confirmation(b"punsubscribe", b"x*", 0)


def test_subscribed_mode_refuses_other_commands(raw):
    raw.send(resp_encode("SUBSCRIBE", "ch"))
    raw.expect(confirmation(b"subscribe", b"ch", 1))
    assert raw.call("GET", "x") == SUBSCRIBED_ERROR % b"get"
    assert raw.call("CONFIG", "GET", "maxmemory") == SUBSCRIBED_ERROR % b"config|get"
    assert raw.call("PUBLISH", "ch", "m") == SUBSCRIBED_ERROR % b"publish"
    assert raw.call("PUBSUB", "NUMPAT") == SUBSCRIBED_ERROR % b"pubsub|numpat"
    # Arity and unknown commands are answered before the subscribed-mode check.
    assert raw.call("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert raw.call("NOSUCH").startswith(b"-ERR unknown command 'NOSUCH'")
    assert raw.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert raw.call("PING", "hi") == b"*2\r\n$4\r\npong\r\n$2\r\nhi\r\n"
    assert raw.call("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"
    assert raw.call("UNSUBSCRIBE", "ch") == confirmation(b"unsubscribe", b"ch", 0)
    assert raw.call("PING") == b"+PONG\r\n"
    raw.send(resp_encode("PSUBSCRIBE", "p"))
    raw.expect(confirmation(b"psubscribe", b"p", 1))
    assert raw.call("SET", "k", "v") == SUBSCRIBED_ERROR % b"set"
    assert raw.call("QUIT") == b"+OK\r\n"
    raw.assert_closed()


def test_reset_leaves_subscribed_mode(shared_server, r):
    sub = shared_server.raw()
    sub.send(resp_encode("SUBSCRIBE", "rs1", "rs2"))
    sub.read_reply()
    sub.read_reply()
    assert sub.call("PSUBSCRIBE", "rs*") == confirmation(b"psubscribe", b"rs*", 3)
    # RESET unsubscribes everything without a confirmation per name.
    assert sub.call("RESET") == b"+RESET\r\n"
    assert sub.call("GET", "nothing") == b"$-1\r\n"
    assert r.pubsub_numsub("rs1", "rs2") == [(b"rs1", 0), (b"rs2", 0)]
    assert r.pubsub_numpat() == 0
    assert r.publish("rs1", "m") == 0
    sub.assert_silent()


def test_subscribers_are_not_idle_closed(server_factory):
    server = server_factory("--timeout", "1")
    idle = server.raw()
    subscriber = server.raw()
    assert subscriber.call("SUBSCRIBE", "idle") == confirmation(b"subscribe", b"idle", 1)
    psubscriber = server.raw()
    assert psubscriber.call("PSUBSCRIBE", "i*") == confirmation(b"psubscribe", b"i*", 1)
    data, closed = idle.read_until_close(4.0)  # Redis checks each client about once a second
    assert closed and data == b""
    time.sleep(0.5)
    publisher = server.raw()
    assert publisher.call("PUBLISH", "idle", "hi") == b":2\r\n"
    subscriber.expect(message(b"idle", b"hi"))
    psubscriber.expect(pmessage(b"i*", b"idle", b"hi"))


def test_arity_errors(raw):
    for name in ("subscribe", "psubscribe"):
        assert raw.call(name) == b"-ERR wrong number of arguments for '%s' command\r\n" % (
            name.encode())
    assert raw.call("PUBLISH", "a") == b"-ERR wrong number of arguments for 'publish' command\r\n"
    assert raw.call("PUBSUB") == b"-ERR wrong number of arguments for 'pubsub' command\r\n"


def test_pubsub_subcommands(raw):
    assert raw.call("PUBSUB", "foo") == b"-ERR unknown subcommand 'foo'. Try PUBSUB HELP.\r\n"
    assert raw.call("PUBSUB", "NUMPAT", "x") == (
        b"-ERR wrong number of arguments for 'pubsub|numpat' command\r\n")
    assert raw.call("PUBSUB", "CHANNELS", "a", "b") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. "
        b"Try PUBSUB HELP.\r\n")
    assert raw.call("PUBSUB", "shardchannels", "a", "b") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'shardchannels'. "
        b"Try PUBSUB HELP.\r\n")
    assert raw.call("PUBSUB", "NUMSUB") == b"*0\r\n"
    assert raw.call("PUBSUB", "CHANNELS") == b"*0\r\n"
    assert raw.call("PUBSUB", "SHARDCHANNELS") == b"*0\r\n"
    assert raw.call("PUBSUB", "SHARDNUMSUB", "a") == b"*2\r\n$1\r\na\r\n:0\r\n"
    assert raw.call("PUBSUB", "NUMPAT") == b":0\r\n"
    help_reply = raw.cmd("PUBSUB", "HELP")
    assert len(help_reply) == 14
    assert help_reply[0] == b"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert help_reply[-1] == b"    Prints this help."


# ==== Delivery ====

def test_publish_fan_out(shared_server, r):
    first = shared_server.raw()
    second = shared_server.raw()
    pattern = shared_server.raw()
    first.send(resp_encode("SUBSCRIBE", "news", "other"))
    first.read_reply()
    first.read_reply()
    second.send(resp_encode("SUBSCRIBE", "news"))
    second.read_reply()
    pattern.send(resp_encode("PSUBSCRIBE", "n*", "*s"))
    pattern.read_reply()
    pattern.read_reply()
    assert r.publish("news", "hello") == 4
    first.expect(message(b"news", b"hello"))
    second.expect(message(b"news", b"hello"))
    got = {pattern.read_reply()[0], pattern.read_reply()[0]}
    assert got == {pmessage(b"n*", b"news", b"hello"), pmessage(b"*s", b"news", b"hello")}
    assert r.publish("nobody", "x") == 1  # n*
    pattern.expect(pmessage(b"n*", b"nobody", b"x"))
    assert r.publish("zzz", "x") == 0
    first.assert_silent()
    second.assert_silent()


def test_messages_in_order_and_binary(shared_server, r):
    sub = shared_server.raw()
    channel = b"bin\x00\r\n\xff"
    sub.send(resp_encode("SUBSCRIBE", channel))
    sub.read_reply()
    payloads = [os.urandom(size) for size in (0, 1, 100, 20000, 70000)]
    for payload in payloads:
        assert r.publish(channel, payload) == 1
    for payload in payloads:
        sub.expect(message(channel, payload))


def test_client_subscribed_to_channel_and_pattern_receives_twice(shared_server, r):
    sub = shared_server.raw()
    sub.send(resp_encode("SUBSCRIBE", "a.b"))
    sub.read_reply()
    sub.send(resp_encode("PSUBSCRIBE", "a.*"))
    sub.read_reply()
    assert r.publish("a.b", "m") == 2
    sub.expect(message(b"a.b", b"m") + pmessage(b"a.*", b"a.b", b"m"))


def test_glob_patterns(shared_server, r):
    sub = shared_server.raw()
    sub.send(resp_encode("PSUBSCRIBE", "h?llo", "x[ae]y", "q\\*"))
    for _ in range(3):
        sub.read_reply()
    assert r.publish("hello", "1") == 1
    assert r.publish("hallo", "2") == 1
    assert r.publish("hllo", "3") == 0
    assert r.publish("xey", "4") == 1
    assert r.publish("xiy", "5") == 0
    assert r.publish("q*", "6") == 1
    assert r.publish("qq", "7") == 0
    sub.expect(pmessage(b"h?llo", b"hello", b"1") + pmessage(b"h?llo", b"hallo", b"2") +
               pmessage(b"x[ae]y", b"xey", b"4") + pmessage(b"q\\*", b"q*", b"6"))


def test_redis_py_pubsub(shared_server, r):
    pubsub = r.pubsub()
    pubsub.subscribe("chan")
    pubsub.psubscribe("pat*")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    assert pubsub.get_message(timeout=2)["type"] == "psubscribe"
    assert r.publish("chan", "one") == 1
    assert r.publish("pattern", "two") == 1
    msg = pubsub.get_message(timeout=2)
    assert (msg["type"], msg["channel"], msg["data"]) == ("message", b"chan", b"one")
    msg = pubsub.get_message(timeout=2)
    assert (msg["type"], msg["pattern"], msg["channel"], msg["data"]) == (
        "pmessage", b"pat*", b"pattern", b"two")
    assert r.pubsub_numsub("chan", "none") == [(b"chan", 1), (b"none", 0)]
    assert r.pubsub_numpat() == 1
    assert r.pubsub_channels() == [b"chan"]
    pubsub.close()
    assert wait_for(lambda: r.pubsub_numsub("chan") == [(b"chan", 0)])
    assert wait_for(lambda: r.pubsub_numpat() == 0)


def test_pubsub_channels_numsub_numpat(shared_server, r):
    one = shared_server.raw()
    two = shared_server.raw()
    one.send(resp_encode("SUBSCRIBE", "news.a", "news.b", "sport"))
    for _ in range(3):
        one.read_reply()
    two.send(resp_encode("SUBSCRIBE", "news.a"))
    two.read_reply()
    two.send(resp_encode("PSUBSCRIBE", "x*", "y*"))
    two.read_reply()
    two.read_reply()
    one.send(resp_encode("PSUBSCRIBE", "x*"))
    one.read_reply()
    assert sorted(r.pubsub_channels()) == [b"news.a", b"news.b", b"sport"]
    assert sorted(r.pubsub_channels("news.*")) == [b"news.a", b"news.b"]
    assert r.pubsub_channels("nothing*") == []
    assert r.pubsub_numsub("news.a", "news.b", "sport", "x*") == [
        (b"news.a", 2), (b"news.b", 1), (b"sport", 1), (b"x*", 0)]
    # NUMPAT counts distinct patterns (Redis 7.0).
    assert r.pubsub_numpat() == 2
    stats = r.info("stats")
    assert stats["pubsub_channels"] == 3
    assert stats["pubsub_patterns"] == 2
    assert stats["pubsubshard_channels"] == 0
    one.close()
    assert wait_for(lambda: r.info("stats")["pubsub_channels"] == 1)
    assert r.pubsub_channels() == [b"news.a"]
    assert r.pubsub_numpat() == 2
    two.close()
    assert wait_for(lambda: r.info("stats")["pubsub_patterns"] == 0)
    assert r.info("stats")["pubsub_channels"] == 0


def test_long_channel_names(shared_server, r):
    sub = shared_server.raw()
    names = [b"c" * 41, b"d" * 4096, os.urandom(100000)]
    sub.send(resp_encode("SUBSCRIBE", *names))
    for index, name in enumerate(names):
        sub.expect(confirmation(b"subscribe", name, index + 1))
    for name in names:
        assert r.publish(name, b"v") == 1
        sub.expect(message(name, b"v"))
    assert r.pubsub_numsub(*names) == [(name, 1) for name in names]
    assert sorted(r.pubsub_channels()) == sorted(names)
    sub.send(resp_encode("UNSUBSCRIBE", names[1]))
    sub.expect(confirmation(b"unsubscribe", names[1], 2))
    assert sorted(r.pubsub_channels()) == sorted([names[0], names[2]])


def test_close_unsubscribes(shared_server, r):
    for _ in range(20):
        sub = shared_server.raw()
        sub.send(resp_encode("SUBSCRIBE", "gone", "gone2"))
        sub.read_reply()
        sub.send(resp_encode("PSUBSCRIBE", "g*"))
        sub.read_reply()
        sub.read_reply()
        sub.close()
    assert wait_for(lambda: r.publish("gone", "x") == 0)
    assert wait_for(lambda: r.pubsub_numpat() == 0)
    assert r.pubsub_channels() == []


def test_resp3_push_messages(shared_server, r):
    sub = shared_server.raw()
    sub.cmd("HELLO", "3")
    assert sub.call("SUBSCRIBE", "r3") == b">3\r\n$9\r\nsubscribe\r\n$2\r\nr3\r\n:1\r\n"
    # RESP3 has no subscribed mode: every command runs.
    assert sub.call("GET", "nothing") == b"_\r\n"
    assert sub.call("PING") == b"+PONG\r\n"
    assert r.publish("r3", "m") == 1
    sub.expect(b">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$1\r\nm\r\n")
    assert sub.call("PSUBSCRIBE", "r*") == b">3\r\n$10\r\npsubscribe\r\n$2\r\nr*\r\n:2\r\n"
    # A RESP3 subscriber may publish, and gets its own messages before the reply.
    assert sub.call("PUBLISH", "r3", "self") == (
        b">3\r\n$7\r\nmessage\r\n$2\r\nr3\r\n$4\r\nself\r\n")
    sub.expect(b">4\r\n$8\r\npmessage\r\n$2\r\nr*\r\n$2\r\nr3\r\n$4\r\nself\r\n:2\r\n")
    assert sub.call("UNSUBSCRIBE", "r3") == b">3\r\n$11\r\nunsubscribe\r\n$2\r\nr3\r\n:1\r\n"
    assert sub.call("PUNSUBSCRIBE") == b">3\r\n$12\r\npunsubscribe\r\n$2\r\nr*\r\n:0\r\n"
    assert sub.call("UNSUBSCRIBE") == b">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n"


NOPERM_CHANNELS = (b"-NOPERM this user has no permissions to access one of the channels used "
                   b"as arguments\r\n")


def test_acl_channel_permissions(server_factory):
    server = server_factory()
    admin = server.raw()
    assert admin.call("ACL", "SETUSER", "chu", "on", "nopass", "~*", "+@all", "&allowed*",
                      "&exact") == b"+OK\r\n"
    conn = server.raw()
    assert conn.call("AUTH", "chu", "x") == b"+OK\r\n"
    # One channel outside the patterns refuses the whole command.
    assert conn.call("SUBSCRIBE", "allowed1", "nope") == NOPERM_CHANNELS
    conn.send(resp_encode("SUBSCRIBE", "exact", "allowedX"))
    conn.expect(confirmation(b"subscribe", b"exact", 1) +
                confirmation(b"subscribe", b"allowedX", 2))
    # A pattern must equal one of the user's patterns literally.
    assert conn.call("PSUBSCRIBE", "allowed*") == confirmation(b"psubscribe", b"allowed*", 3)
    assert conn.call("PSUBSCRIBE", "allowed1*") == NOPERM_CHANNELS
    assert conn.call("PSUBSCRIBE", "exact") == confirmation(b"psubscribe", b"exact", 4)
    # UNSUBSCRIBE and PUBSUB are not checked.
    assert conn.call("UNSUBSCRIBE", "nope") == confirmation(b"unsubscribe", b"nope", 4)
    conn.send(resp_encode("PUNSUBSCRIBE"))
    conn.read_reply()
    conn.read_reply()
    conn.send(resp_encode("UNSUBSCRIBE"))
    conn.read_reply()
    conn.read_reply()
    assert conn.call("PUBLISH", "nope", "m") == NOPERM_CHANNELS
    assert conn.call("PUBLISH", "allowedZ", "m") == b":0\r\n"
    assert conn.call("PUBSUB", "NUMSUB", "nope") == b"*2\r\n$4\r\nnope\r\n:0\r\n"
    entry = admin.cmd("ACL", "LOG", "1")[0]
    fields = dict(zip(entry[0::2], entry[1::2]))
    assert fields[b"reason"] == b"channel"
    assert fields[b"object"] == b"nope"
    assert fields[b"username"] == b"chu"
    assert fields[b"count"] == 2
    # The default user has every channel (&*).
    assert admin.call("PUBLISH", "nope", "m") == b":0\r\n"


def test_default_pubsub_output_limit(r):
    value = r.config_get("client-output-buffer-limit")["client-output-buffer-limit"]
    assert "pubsub 33554432 8388608 60" in value


# ==== Slow subscribers: the pubsub output-limit class ====

def flood_until_cut(r, publisher: RawConn, channel: str, payload: bytes, limit_bytes: int):
    """Publishes payloads until the channel has no subscriber; returns bytes published."""
    sent = 0
    batch = resp_encode("PUBLISH", channel, payload) * 16
    while sent < limit_bytes:
        publisher.send(batch)
        for _ in range(16):
            publisher.read_reply()
        sent += 16 * len(payload)
        if r.pubsub_numsub(channel)[0][1] == 0:
            return sent
    return sent


@pytest.mark.parametrize("hard", ["1mb"])
def test_hard_limit_cuts_a_slow_subscriber(server_factory, hard):
    server = server_factory()
    r = server.client()
    r.config_set("client-output-buffer-limit", f"pubsub {hard} 0 0")
    slow = RawConn(server.port)
    slow.send(resp_encode("SUBSCRIBE", "flood"))
    fast = server.raw()
    fast.send(resp_encode("SUBSCRIBE", "flood"))
    fast.read_reply()
    time.sleep(0.1)
    publisher = server.raw()
    payload = b"x" * 65536
    sent = flood_until_cut(r, publisher, "flood", payload, 64 * 1024 * 1024)
    assert sent < 64 * 1024 * 1024, "the slow subscriber was never cut"
    # The fast subscriber was cut too: it never read either. Only the publisher matters.
    assert publisher.call("PING") == b"+PONG\r\n"
    assert r.set("after", "flood") is True
    assert r.get("after") == b"flood"
    data, closed = slow.read_until_close(5.0)
    assert closed
    # A normal client is not under the pubsub class: a large reply is fine.
    r.set("big", b"y" * (3 * 1024 * 1024))
    assert len(r.get("big")) == 3 * 1024 * 1024


def test_reading_subscriber_survives_a_flood(server_factory):
    server = server_factory()
    r = server.client()
    r.config_set("client-output-buffer-limit", "pubsub 2mb 0 0")
    reader = server.raw()
    reader.send(resp_encode("SUBSCRIBE", "steady"))
    reader.read_reply()
    publisher = server.raw()
    payload = b"z" * 1000
    for round_index in range(50):
        publisher.send(resp_encode("PUBLISH", "steady", payload) * 100)
        for _ in range(100):
            assert publisher.read_reply()[1] == 1
        for _ in range(100):
            reader.expect(message(b"steady", payload))
    assert r.pubsub_numsub("steady") == [(b"steady", 1)]


def test_soft_limit_cuts_after_its_seconds(server_factory):
    server = server_factory()
    r = server.client()
    r.config_set("client-output-buffer-limit", "pubsub 0 256kb 1")
    slow = RawConn(server.port)
    slow.send(resp_encode("SUBSCRIBE", "soft"))
    time.sleep(0.1)
    publisher = server.raw()
    payload = b"s" * 65536
    # Well over the soft limit (beyond the ~4 MB the sockets absorb), under no hard limit.
    for _ in range(256):
        assert publisher.cmd("PUBLISH", "soft", payload) == 1
    assert r.pubsub_numsub("soft") == [(b"soft", 1)]  # not yet: the seconds have not passed
    time.sleep(2.2)
    # Redis checks on the next write; keel's cron also checks. Either way one more does it.
    publisher.cmd("PUBLISH", "soft", b"one more")
    assert wait_for(lambda: r.pubsub_numsub("soft") == [(b"soft", 0)])
    data, closed = slow.read_until_close(5.0)
    assert closed


@pytest.mark.keel_only
def test_output_limit_disconnections_counted(server_factory):
    server = server_factory()
    r = server.client()
    r.config_set("client-output-buffer-limit", "pubsub 512kb 0 0")
    before = r.info("stats")["client_output_buffer_limit_disconnections"]
    slow = RawConn(server.port)
    slow.send(resp_encode("SUBSCRIBE", "count"))
    time.sleep(0.1)
    publisher = server.raw()
    flood_until_cut(r, publisher, "count", b"c" * 65536, 64 * 1024 * 1024)
    assert wait_for(lambda: r.info("stats")["client_output_buffer_limit_disconnections"] ==
                    before + 1)
    # Silently: the connection ends without an error reply.
    data, closed = slow.read_until_close(5.0)
    assert closed
    assert b"-ERR" not in data


def vm_rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.keel_only
def test_slow_subscribers_stay_within_the_plan(server_factory):
    """Slow subscribers never read; a publisher floods. They are cut, the publisher and
    other clients are unaffected, and RSS grows by no more than the output pool."""
    pool = 16 * 1024 * 1024
    server = server_factory("--output-pool-size", "16mb")
    r = server.client()
    slows = []
    for _ in range(4):
        slow = RawConn(server.port)
        slow.send(resp_encode("SUBSCRIBE", "rss"))
        slows.append(slow)
    time.sleep(0.2)
    assert r.pubsub_numsub("rss") == [(b"rss", 4)]
    rss_before = vm_rss_bytes(server.pid)
    publisher = server.raw()
    sent = flood_until_cut(r, publisher, "rss", b"r" * 65536, 256 * 1024 * 1024)
    assert sent < 256 * 1024 * 1024
    growth = vm_rss_bytes(server.pid) - rss_before
    assert growth <= pool + 4 * 1024 * 1024, f"RSS grew by {growth} bytes"
    for slow in slows:
        assert slow.read_until_close(5.0)[1]
    assert publisher.call("PING") == b"+PONG\r\n"
    other = server.raw()
    assert other.call("SET", "k", "v") == b"+OK\r\n"
    info = r.info("memory")
    assert info["allocations_after_ready"] == 0


# ==== keel's pools: pubsub-channels-max, pubsub-patterns-max, pubsub-subscriptions-max ====

CHANNELS_FULL = b"-ERR max number of pubsub channels reached (pubsub-channels-max)\r\n"
PATTERNS_FULL = b"-ERR max number of pubsub patterns reached (pubsub-patterns-max)\r\n"
SUBSCRIPTIONS_FULL = (b"-ERR max number of pubsub subscriptions reached "
                      b"(pubsub-subscriptions-max)\r\n")


@pytest.mark.keel_only
def test_channel_limit(server_factory):
    server = server_factory("--pubsub-channels-max", "4", "--pubsub-subscriptions-max", "100")
    sub = server.raw()
    sub.send(resp_encode("SUBSCRIBE", "c1", "c2", "c3", "c4"))
    for index in range(4):
        sub.expect(confirmation(b"subscribe", b"c%d" % (index + 1), index + 1))
    # One past: the error in place of its confirmation; later names are not tried.
    sub.send(resp_encode("SUBSCRIBE", "c1", "c5", "c6"))
    sub.expect(confirmation(b"subscribe", b"c1", 4) + CHANNELS_FULL)
    other = server.raw()
    # An existing channel still takes subscribers.
    other.send(resp_encode("SUBSCRIBE", "c2"))
    other.expect(confirmation(b"subscribe", b"c2", 1))
    assert sub.call("UNSUBSCRIBE", "c1") == confirmation(b"unsubscribe", b"c1", 3)
    sub.send(resp_encode("SUBSCRIBE", "c5"))
    sub.expect(confirmation(b"subscribe", b"c5", 4))
    publisher = server.raw()
    assert publisher.call("PUBSUB", "NUMSUB", "c5", "c6") == (
        b"*4\r\n$2\r\nc5\r\n:1\r\n$2\r\nc6\r\n:0\r\n")


@pytest.mark.keel_only
def test_pattern_limit(server_factory):
    server = server_factory("--pubsub-patterns-max", "2")
    sub = server.raw()
    sub.send(resp_encode("PSUBSCRIBE", "a*", "b*"))
    sub.expect(confirmation(b"psubscribe", b"a*", 1) + confirmation(b"psubscribe", b"b*", 2))
    assert sub.call("PSUBSCRIBE", "c*") == PATTERNS_FULL
    assert sub.call("PUNSUBSCRIBE", "a*") == confirmation(b"punsubscribe", b"a*", 1)
    assert sub.call("PSUBSCRIBE", "c*") == confirmation(b"psubscribe", b"c*", 2)


@pytest.mark.keel_only
def test_subscription_limit(server_factory):
    server = server_factory("--pubsub-subscriptions-max", "3")
    one = server.raw()
    one.send(resp_encode("SUBSCRIBE", "x", "y"))
    one.read_reply()
    one.read_reply()
    two = server.raw()
    assert two.call("PSUBSCRIBE", "x*") == confirmation(b"psubscribe", b"x*", 1)
    assert two.call("SUBSCRIBE", "x") == SUBSCRIPTIONS_FULL
    # The refused client stays usable (it is subscribed to x* only).
    assert two.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    one.close()
    publisher = server.raw()
    assert wait_for(lambda: publisher.cmd("PUBSUB", "NUMSUB", "x") == [b"x", 0])
    assert two.call("SUBSCRIBE", "x") == confirmation(b"subscribe", b"x", 2)


@pytest.mark.keel_only
def test_a_full_first_subscribe_stays_in_normal_mode(server_factory):
    server = server_factory("--pubsub-subscriptions-max", "1")
    one = server.raw()
    assert one.call("SUBSCRIBE", "only") == confirmation(b"subscribe", b"only", 1)
    two = server.raw()
    assert two.call("SUBSCRIBE", "only") == SUBSCRIPTIONS_FULL
    assert two.call("GET", "k") == b"$-1\r\n"


@pytest.mark.keel_only
def test_plan_lists_pubsub_pools(server_factory):
    server = server_factory("--maxclients", "100", "--pubsub-channels-max", "500")
    text = server.raw().cmd("INFO", "memory").decode()
    assert "plan_pubsub_channels:count=500," in text
    assert "plan_pubsub_patterns:count=100," in text       # 1 per client
    assert "plan_pubsub_subscriptions:count=1600," in text  # 16 per client


@pytest.mark.keel_only
def test_long_names_count_in_used_memory(server_factory):
    server = server_factory()
    r = server.client()
    before = r.info("memory")["used_memory"]
    sub = server.raw()
    name = b"n" * 200000
    assert sub.call("SUBSCRIBE", name) == confirmation(b"subscribe", name, 1)
    during = r.info("memory")["used_memory"]
    assert during >= before + 200000
    assert sub.call("UNSUBSCRIBE", name) == confirmation(b"unsubscribe", name, 0)
    assert r.info("memory")["used_memory"] == before
