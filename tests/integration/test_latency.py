"""
LATENCY LATEST/HISTORY/RESET/DOCTOR/GRAPH/HELP and latency-monitor-threshold,
with Redis 7.0.15's replies: a command at or above the threshold (in whole
milliseconds) is a sample of the "command" event, or "fast-command" for
commands flagged fast; one sample per second per event, the highest wins.
Every test runs against redis-server 7.0.15 too (KEEL_BIN=/usr/bin/redis-server)
except the keel_only ones (LATENCY HISTOGRAM, which keel refuses).

The slow commands are real work (SORT of a 200,000-element list, SADD of
200,000 members), each well over 1 ms on both servers.
"""
import re
import time

import pytest

OK = b"+OK\r\n"
LIST_SIZE = 200000

DISABLED = (b"I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis "
            b"instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in "
            b"order to enable it. If we weren't in a deep space mission I'd suggest to take a "
            b"look at https://redis.io/topics/latency-monitor.\n")
NO_SPIKE = (b"Dave, no latency spike was observed during the lifetime of this Redis instance, "
            b"not in the slightest bit. I honestly think you ought to sit down calmly, take a "
            b"stress pill, and think things over.\n")
SPIKES = (b"Dave, I have observed latency spikes in this Redis instance. You don't mind talking "
          b"about it, do you Dave?\n\n")
ADVICE = b"\nI have a few advices for you:\n\n"
TUNING = (b"- Your current Slow Log configuration only logs events that are slower than your "
          b"configured latency monitor threshold. Please use 'CONFIG SET "
          b"slowlog-log-slower-than 1000'.\n")
ENABLE = (b"- There are latency issues with potentially slow commands you are using. Try to "
          b"enable the Slow Log Redis feature using the command 'CONFIG SET "
          b"slowlog-log-slower-than 1000'. If the Slow log is disabled Redis is not able to log "
          b"slow commands execution for you.\n")
INSPECT = (b"- Check your Slow Log to understand what are the commands you are running which "
           b"are too slow to execute. Please check https://redis.io/commands/slowlog for more "
           b"information.\n")
LARGE = (b"- Deleting, expiring or evicting (because of maxmemory policy) large objects is a "
         b"blocking operation. If you have very large objects that are often deleted, expired, "
         b"or evicted, try to fragment those objects into multiple smaller objects.\n")
SCHEDULER = (b"- The system is slow to execute Redis code paths not containing system calls. "
             b"This usually means the system does not provide Redis CPU time to run for long "
             b"periods. You should try to:\n"
             b"  1) Lower the system load.\n"
             b"  2) Use a computer / VM just for Redis if you are running other software in the "
             b"same system.\n"
             b"  3) Check if you have a \"noisy neighbour\" problem.\n"
             b"  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency "
             b"in your system.\n"
             b"  5) Check if the problem is allocator-related by recompiling Redis with "
             b"MALLOC=libc, if you are using Jemalloc. However this may create fragmentation "
             b"problems.\n")
THP_ADVICE = b"- I detected a non zero amount of anonymous huge pages used by your process."


@pytest.fixture
def conn(server):
    return server.raw(timeout=30)


def fill_list(conn):
    for start in range(0, LIST_SIZE, 10000):
        conn.cmd("RPUSH", "big", *range(start, start + 10000))


def slow_command(conn):
    """SORT (not a fast command) of the whole list."""
    assert conn.cmd("SORT", "big", "LIMIT", "0", "1") == [b"0"]


def bulk_text(conn, *args) -> bytes:
    value = conn.cmd(*args)
    assert isinstance(value, bytes), value
    return value


def event_line(number: int, name: bytes) -> bytes:
    return (rb"%d\. %s: (\d+) latency spikes \(average (\d+)ms, mean deviation (\d+)ms, "
            rb"period (\d+\.\d\d) sec\)\. Worst all time event (\d+)ms\.\n" % (number, name))


# ==== Keyword, HELP, empty state ====

def test_keyword(conn):
    assert conn.cmd("CONFIG", "GET", "latency-monitor-threshold") == [
        b"latency-monitor-threshold", b"0"]
    prefix = b"-ERR CONFIG SET failed (possibly related to argument 'latency-monitor-threshold') - "
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "-1") == (
        prefix + b"argument must be between 0 and 9223372036854775807 inclusive\r\n")
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "x") == (
        prefix + b"argument couldn't be parsed into an integer\r\n")
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "9223372036854775807") == OK
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "25") == OK
    assert conn.cmd("CONFIG", "GET", "latency-monitor-threshold") == [
        b"latency-monitor-threshold", b"25"]


def test_help(conn):
    lines = [
        b"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"DOCTOR",
        b"    Return a human readable latency analysis report.",
        b"GRAPH <event>",
        b"    Return an ASCII latency graph for the <event> class.",
        b"HISTORY <event>",
        b"    Return time-latency samples for the <event> class.",
        b"LATEST",
        b"    Return the latest latency samples for all events.",
        b"RESET [<event> ...]",
        b"    Reset latency data of one or more <event> classes.",
        b"    (default: reset all data for all event classes)",
        b"HISTOGRAM [COMMAND ...]",
        b"    Return a cumulative distribution of latencies in the format of a histogram for "
        b"the specified command names.",
        b"    If no commands are specified then all histograms are replied.",
        b"HELP",
        b"    Prints this help.",
    ]
    assert conn.call("LATENCY", "HELP") == (
        b"*%d\r\n" % len(lines) + b"".join(b"+%s\r\n" % line for line in lines))


def test_empty_state(conn):
    assert conn.call("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.call("LATENCY", "HISTORY", "command") == b"*0\r\n"
    assert conn.call("LATENCY", "RESET") == b":0\r\n"
    assert conn.call("LATENCY", "RESET", "command", "fast-command") == b":0\r\n"
    assert conn.call("LATENCY", "GRAPH", "command") == (
        b"-ERR No samples available for event 'command'\r\n")
    assert bulk_text(conn, "LATENCY", "DOCTOR") == DISABLED
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "100") == OK
    report = bulk_text(conn, "LATENCY", "DOCTOR")
    assert report == NO_SPIKE or (report.startswith(ADVICE) and THP_ADVICE in report)


def test_errors(conn):
    assert conn.call("LATENCY") == b"-ERR wrong number of arguments for 'latency' command\r\n"
    assert conn.call("LATENCY", "HISTORY") == (
        b"-ERR wrong number of arguments for 'latency|history' command\r\n")
    assert conn.call("LATENCY", "HISTORY", "a", "b") == (
        b"-ERR wrong number of arguments for 'latency|history' command\r\n")
    assert conn.call("LATENCY", "LATEST", "x") == (
        b"-ERR wrong number of arguments for 'latency|latest' command\r\n")
    assert conn.call("LATENCY", "DOCTOR", "x") == (
        b"-ERR wrong number of arguments for 'latency|doctor' command\r\n")
    assert conn.call("LATENCY", "GRAPH") == (
        b"-ERR wrong number of arguments for 'latency|graph' command\r\n")
    assert conn.call("LATENCY", "nope") == b"-ERR unknown subcommand 'nope'. Try LATENCY HELP.\r\n"


# ==== Samples ====

def test_below_threshold_is_not_recorded(conn):
    fill_list(conn)
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "100000") == OK
    slow_command(conn)
    assert conn.call("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "0") == OK
    slow_command(conn)
    assert conn.call("LATENCY", "LATEST") == b"*0\r\n"


def test_command_event(conn):
    fill_list(conn)
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "1") == OK
    before = int(time.time())
    slow_command(conn)
    latest = conn.cmd("LATENCY", "LATEST")
    assert len(latest) == 1
    name, when, latency_ms, max_ms = latest[0]
    assert name == b"command"
    assert before - 1 <= when <= time.time() + 1
    assert 1 <= latency_ms == max_ms
    history = conn.cmd("LATENCY", "HISTORY", "command")
    assert history == [[when, latency_ms]]
    assert conn.cmd("LATENCY", "HISTORY", "COMMAND") == []  # names are case-sensitive here
    # Within the same second the highest sample wins; the all-time high is kept apart.
    for _ in range(3):
        slow_command(conn)
    history = conn.cmd("LATENCY", "HISTORY", "command")
    assert 1 <= len(history) <= 2
    assert all(sample[1] >= 1 for sample in history)
    max_ms = conn.cmd("LATENCY", "LATEST")[0][3]
    assert max_ms == max(sample[1] for sample in history)
    assert conn.call("LATENCY", "RESET", "COMMAND", "command", "other") == b":1\r\n"
    assert conn.call("LATENCY", "LATEST") == b"*0\r\n"
    assert conn.call("LATENCY", "HISTORY", "command") == b"*0\r\n"


def test_fast_command_event(conn):
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "1") == OK
    assert conn.cmd("SADD", "members", *range(LIST_SIZE)) == LIST_SIZE
    latest = conn.cmd("LATENCY", "LATEST")
    assert [entry[0] for entry in latest] == [b"fast-command"]
    assert latest[0][2] >= 1
    assert len(conn.cmd("LATENCY", "HISTORY", "fast-command")) == 1
    report = bulk_text(conn, "LATENCY", "DOCTOR")
    assert re.fullmatch(re.escape(SPIKES) + event_line(1, b"fast-command") + re.escape(ADVICE) +
                        re.escape(SCHEDULER) + rb"(- I detected .*\n)?", report, re.S), report
    # Redis's DOCTOR reads /proc/self/smaps, which can itself take a millisecond or more
    # and add a "command" event.
    assert conn.cmd("LATENCY", "RESET") in (1, 2)


def test_doctor_report(conn):
    fill_list(conn)
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "1") == OK
    slow_command(conn)
    report = bulk_text(conn, "LATENCY", "DOCTOR")
    match = re.fullmatch(re.escape(SPIKES) + event_line(1, b"command") + re.escape(ADVICE) +
                         re.escape(TUNING + INSPECT + LARGE) + rb"(- I detected .*\n)?",
                         report, re.S)
    assert match, report
    samples, average, deviation, period, worst = match.groups()[:5]
    assert samples == b"1" and deviation == b"0" and average == worst
    assert period in (b"1.00", b"2.00")
    # Slow log off: the advice is to turn it on; at or below the threshold: no tuning advice.
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "-1") == OK
    report = bulk_text(conn, "LATENCY", "DOCTOR")
    assert (ADVICE + ENABLE + INSPECT + LARGE) in report
    assert conn.call("CONFIG", "SET", "slowlog-log-slower-than", "1999") == OK
    report = bulk_text(conn, "LATENCY", "DOCTOR")
    assert (ADVICE + INSPECT + LARGE) in report
    # Events stay after the threshold goes back to 0: the report is not "disabled".
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "0") == OK
    assert bulk_text(conn, "LATENCY", "DOCTOR").startswith(SPIKES)


def test_graph(conn):
    fill_list(conn)
    assert conn.call("CONFIG", "SET", "latency-monitor-threshold", "1") == OK
    slow_command(conn)
    graph = bulk_text(conn, "LATENCY", "GRAPH", "command")
    latency_ms = conn.cmd("LATENCY", "LATEST")[0][2]
    header = b"command - high %d ms, low %d ms (all time high %d ms)\n" % (
        latency_ms, latency_ms, latency_ms)
    # One sample: the lowest mark on the bottom row, a blank row, then its age downwards.
    assert re.fullmatch(re.escape(header + b"-" * 80 + b"\n" + b" \n" * 3 + b"_\n" + b" \n") +
                        rb"\d\ns\n", graph), graph
    assert conn.call("LATENCY", "GRAPH", "Command") == (
        b"-ERR No samples available for event 'Command'\r\n")


@pytest.mark.keel_only
def test_histogram_is_refused(conn):
    assert conn.call("LATENCY", "HISTOGRAM") == (
        b"-ERR LATENCY HISTOGRAM is not supported by keel (no per-command latency histograms "
        b"are kept)\r\n")
