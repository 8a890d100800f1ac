"""
ACL: users, AUTH with users, every ACL subcommand, NOPERM for commands and
keys, disabled users, the default user and requirepass. Every test runs
against redis-server 7.0.15 too (KEEL_BIN=/usr/bin/redis-server), except the
keel_only ones: keel's limits and the rules keel refuses.

Where Redis's ACL LIST lists several single commands, their order follows its
command dictionary's hash order (random per process): such lines are compared
as sets of words. Category fits can also differ where keel has fewer commands
in a category than Redis; the tests use rules whose description is the same.
"""
import hashlib
import re

import pytest

OK = b"+OK\r\n"
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
NOPERM_KEYS = (b"-NOPERM this user has no permissions to access one of the keys used as "
               b"arguments\r\n")


def noperm(command: str) -> bytes:
    return f"-NOPERM this user has no permissions to run the '{command}' command\r\n".encode()


def setuser_error(modifier: str, reason: str) -> bytes:
    return f"-ERR Error in ACL SETUSER modifier '{modifier}': {reason}\r\n".encode()


def sha256_hex(password: str) -> bytes:
    return hashlib.sha256(password.encode()).hexdigest().encode()


def bulk(text: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(text), text)


@pytest.fixture
def conn(server):
    return server.raw()


# ==== The default user ====

def test_default_user(conn):
    assert conn.cmd("ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    assert conn.cmd("ACL", "USERS") == [b"default"]
    assert conn.call("ACL", "WHOAMI") == b"$7\r\ndefault\r\n"
    assert conn.call("ACL", "GETUSER", "default") == (
        b"*12\r\n$5\r\nflags\r\n*2\r\n$2\r\non\r\n$6\r\nnopass\r\n$9\r\npasswords\r\n*0\r\n"
        b"$8\r\ncommands\r\n$5\r\n+@all\r\n$4\r\nkeys\r\n$2\r\n~*\r\n$8\r\nchannels\r\n"
        b"$2\r\n&*\r\n$9\r\nselectors\r\n*0\r\n")
    assert conn.call("ACL", "GETUSER", "nobody") == b"$-1\r\n"


def test_requirepass_is_the_default_password(server_factory):
    server = server_factory("--requirepass", "sekret")
    conn = server.raw()
    assert conn.call("ACL", "WHOAMI") == NOAUTH
    assert conn.call("AUTH", "sekret") == OK
    assert conn.cmd("ACL", "LIST") == [b"user default on #" + sha256_hex("sekret") +
                                       b" ~* &* +@all"]
    assert conn.cmd("ACL", "GETUSER", "default")[1] == [b"on"]
    # CONFIG SET requirepass replaces default's passwords; connections stay.
    assert conn.call("CONFIG", "SET", "requirepass", "newpw") == OK
    assert conn.cmd("ACL", "LIST") == [b"user default on #" + sha256_hex("newpw") +
                                       b" ~* &* +@all"]
    assert conn.call("PING") == b"+PONG\r\n"
    assert server.raw().call("AUTH", "sekret") == WRONGPASS
    assert server.raw().call("AUTH", "default", "newpw") == OK
    # An extra password; setting requirepass to the same value changes nothing.
    assert conn.call("ACL", "SETUSER", "default", ">another") == OK
    assert conn.call("CONFIG", "SET", "requirepass", "newpw") == OK
    assert conn.cmd("ACL", "LIST") == [b"user default on #" + sha256_hex("newpw") + b" #" +
                                       sha256_hex("another") + b" ~* &* +@all"]
    assert conn.cmd("CONFIG", "GET", "requirepass") == [b"requirepass", b"newpw"]
    # An empty requirepass makes default nopass again: new connections need no AUTH.
    assert conn.call("CONFIG", "SET", "requirepass", "") == OK
    assert conn.cmd("ACL", "LIST") == [b"user default on nopass ~* &* +@all"]
    assert server.raw().call("PING") == b"+PONG\r\n"


def test_default_password_by_setuser(conn, server):
    assert conn.call("ACL", "SETUSER", "default", "resetpass", ">x1") == OK
    assert conn.cmd("CONFIG", "GET", "requirepass") == [b"requirepass", b""]
    fresh = server.raw()
    assert fresh.call("PING") == NOAUTH
    assert fresh.call("ACL", "WHOAMI") == NOAUTH
    assert fresh.call("AUTH", "wrong") == WRONGPASS
    assert fresh.call("AUTH", "x1") == OK
    assert fresh.call("PING") == b"+PONG\r\n"
    # The connection that changed it stays authenticated.
    assert conn.call("PING") == b"+PONG\r\n"


def test_default_user_disabled(conn, server):
    assert conn.call("ACL", "SETUSER", "default", "resetpass", ">x1", "off") == OK
    assert conn.cmd("ACL", "LIST") == [b"user default off #" + sha256_hex("x1") +
                                       b" ~* &* +@all"]
    fresh = server.raw()
    assert fresh.call("PING") == NOAUTH
    assert fresh.call("AUTH", "x1") == WRONGPASS
    assert fresh.call("AUTH", "default", "x1") == WRONGPASS
    assert conn.call("PING") == b"+PONG\r\n"


def test_default_user_cannot_be_removed(conn):
    error = b"-ERR The 'default' user cannot be removed\r\n"
    assert conn.call("ACL", "SETUSER", "alice") == OK
    assert conn.call("ACL", "DELUSER", "alice", "default") == error
    assert conn.cmd("ACL", "USERS") == [b"alice", b"default"]


# ==== AUTH with users ====

def test_auth_with_users(conn, server):
    assert conn.call("ACL", "SETUSER", "alice", "on", ">pw1", ">pw2", "~*", "+@all") == OK
    other = server.raw()
    assert other.call("AUTH", "alice", "pw2") == OK
    assert other.call("ACL", "WHOAMI") == bulk(b"alice")
    assert other.call("AUTH", "alice", "pw1") == OK
    # Every failure is the same WRONGPASS, and the connection keeps its user.
    assert other.call("AUTH", "alice", "wrong") == WRONGPASS
    assert other.call("AUTH", "nobody", "pw1") == WRONGPASS
    assert other.call("AUTH", "ALICE", "pw1") == WRONGPASS
    assert other.call("ACL", "WHOAMI") == bulk(b"alice")
    assert other.call("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"
    # The one-argument form is the default user's, which has no password.
    assert other.call("AUTH", "pw1") == (
        b"-ERR AUTH <password> called without any password configured for the default "
        b"user. Are you sure your configuration is correct?\r\n")
    assert other.call("AUTH", "default", "anything") == OK
    assert other.call("ACL", "WHOAMI") == bulk(b"default")


def test_whoami_after_failed_auth(server_factory):
    server = server_factory("--requirepass", "sekret")
    conn = server.raw()
    assert conn.call("AUTH", "sekret") == OK
    assert conn.call("ACL", "SETUSER", "bob", "on", ">bobpw", "+@all", "~*") == OK
    assert conn.call("AUTH", "bob", "bobpw") == OK
    assert conn.call("AUTH", "bob", "nope") == WRONGPASS
    assert conn.call("ACL", "WHOAMI") == bulk(b"bob")
    assert conn.call("AUTH", "wrong") == WRONGPASS
    assert conn.call("ACL", "WHOAMI") == bulk(b"bob")
    fresh = server.raw()
    assert fresh.call("AUTH", "bob", "nope") == WRONGPASS
    assert fresh.call("ACL", "WHOAMI") == NOAUTH


def test_disabled_and_nopass_users(conn, server):
    assert conn.call("ACL", "SETUSER", "carol", "off", ">pw", "+@all", "~*") == OK
    other = server.raw()
    assert other.call("AUTH", "carol", "pw") == WRONGPASS
    assert conn.call("ACL", "SETUSER", "carol", "on") == OK
    assert other.call("AUTH", "carol", "pw") == OK
    # Turning a user off does not log out its connections.
    assert conn.call("ACL", "SETUSER", "carol", "off") == OK
    assert other.call("ACL", "WHOAMI") == bulk(b"carol")
    assert server.raw().call("AUTH", "carol", "pw") == WRONGPASS
    # nopass: any password works; resetpass: none does.
    assert conn.call("ACL", "SETUSER", "dave", "on", "nopass", "+@all") == OK
    assert server.raw().call("AUTH", "dave", "whatever") == OK
    assert conn.call("ACL", "SETUSER", "dave", "resetpass") == OK
    assert server.raw().call("AUTH", "dave", "whatever") == WRONGPASS
    assert conn.call("ACL", "SETUSER", "dave", ">p", "<p") == OK
    assert server.raw().call("AUTH", "dave", "p") == WRONGPASS


def test_auth_needs_no_permission(conn, server):
    assert conn.call("ACL", "SETUSER", "eve", "on", ">pw", "-@all") == OK
    other = server.raw()
    assert other.call("AUTH", "eve", "pw") == OK
    assert other.call("PING") == noperm("ping")
    assert other.call("ACL", "WHOAMI") == noperm("acl|whoami")
    assert other.call("AUTH", "default", "x") == OK
    assert other.call("PING") == b"+PONG\r\n"


# ==== NOPERM ====

def test_noperm_commands_and_subcommands(conn, server):
    assert conn.call("ACL", "SETUSER", "u", "on", "nopass", "allkeys", "+@all",
                     "-@dangerous", "-config|set", "-get") == OK
    user = server.raw()
    assert user.call("AUTH", "u", "x") == OK
    assert user.call("GET", "k") == noperm("get")
    assert user.call("get", "k") == noperm("get")
    assert user.call("SET", "k", "v") == OK
    assert user.call("KEYS", "*") == noperm("keys")
    assert user.call("FLUSHALL") == noperm("flushall")
    assert user.call("CONFIG", "SET", "maxmemory", "0") == noperm("config|set")
    assert user.call("CONFIG", "GET", "maxmemory") == noperm("config|get")
    assert user.call("ACL", "SETUSER", "u", "+@all") == noperm("acl|setuser")
    assert user.call("ACL", "WHOAMI") == bulk(b"u")
    # A subcommand's arity error comes before the permission check.
    assert user.call("CONFIG", "RESETSTAT", "x") == (
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n")
    assert user.call("NOSUCH") == (
        b"-ERR unknown command 'NOSUCH', with args beginning with: \r\n")
    assert user.call("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    # Permissions change at once for connected clients.
    assert conn.call("ACL", "SETUSER", "u", "+get") == OK
    assert user.call("GET", "k") == bulk(b"v")


def test_subcommand_errors_come_before_noauth_and_acl(server_factory):
    server = server_factory("--requirepass", "pw")
    conn = server.raw()
    assert conn.call("ACL", "nosuch") == b"-ERR unknown subcommand 'nosuch'. Try ACL HELP.\r\n"
    assert conn.call("config", "NoSuch") == (
        b"-ERR unknown subcommand 'NoSuch'. Try CONFIG HELP.\r\n")
    assert conn.call("CONFIG", "GET") == (
        b"-ERR wrong number of arguments for 'config|get' command\r\n")
    assert conn.call("CONFIG", "GET", "port") == NOAUTH
    assert conn.call("AUTH", "pw") == OK
    assert conn.call("ACL", "SETUSER", "u", "on", ">p", "-@all", "+config|get") == OK
    assert conn.call("AUTH", "u", "p") == OK
    assert conn.call("CONFIG", "NOSUCH") == (
        b"-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n")
    assert conn.call("CONFIG", "RESETSTAT") == noperm("config|resetstat")
    assert conn.call("COMMAND") == noperm("command")


def test_container_rules(conn, server):
    assert conn.call("ACL", "SETUSER", "c", "on", "nopass", "-@all", "+config",
                     "-config|set", "+acl|whoami") == OK
    user = server.raw()
    assert user.call("AUTH", "c", "x") == OK
    assert user.cmd("CONFIG", "GET", "maxmemory-policy") == [b"maxmemory-policy",
                                                             b"noeviction"]
    assert user.call("CONFIG", "SET", "maxmemory-policy", "noeviction") == noperm("config|set")
    assert user.call("ACL", "WHOAMI") == bulk(b"c")
    assert user.call("ACL", "USERS") == noperm("acl|users")


def test_noperm_keys(conn, server):
    assert conn.call("ACL", "SETUSER", "k", "on", ">pw", "~a*", "~[xy]z", "+@all") == OK
    user = server.raw()
    assert user.call("AUTH", "k", "pw") == OK
    assert user.call("SET", "a1", "1") == OK
    assert user.call("SET", "xz", "1") == OK
    assert user.call("GET", "b") == NOPERM_KEYS
    assert user.call("GET", "wz") == NOPERM_KEYS
    assert user.call("MGET", "a1", "b") == NOPERM_KEYS
    # MSET names every other argument: values are not keys.
    assert user.call("MSET", "a1", "b", "a2", "c") == OK
    assert user.call("MSET", "a1", "1", "b", "2") == NOPERM_KEYS
    assert user.call("DEL", "a2", "zz") == NOPERM_KEYS
    assert user.call("RENAME", "a1", "b") == NOPERM_KEYS
    assert user.call("OBJECT", "ENCODING", "b") == NOPERM_KEYS
    assert user.call("OBJECT", "ENCODING", "a1") == bulk(b"embstr")
    assert user.call("MEMORY", "USAGE", "b") == NOPERM_KEYS
    assert user.call("EXISTS", "a1", "xz") == b":2\r\n"


def test_noperm_keys_with_numkeys(conn, server):
    assert conn.call("ACL", "SETUSER", "n", "on", "nopass", "~a*", "+@all") == OK
    user = server.raw()
    assert user.call("AUTH", "n", "x") == OK
    assert user.call("ZUNIONSTORE", "a1", "2", "a2", "b") == NOPERM_KEYS
    assert user.call("ZUNIONSTORE", "b", "1", "a") == NOPERM_KEYS
    assert user.call("ZUNIONSTORE", "a1", "1", "a2") == b":0\r\n"
    # numkeys is read as atoi() does for the check; out of range: the command answers.
    assert user.call("ZUNIONSTORE", "a1", "2x", "a2", "b") == NOPERM_KEYS
    assert user.call("ZUNIONSTORE", "a1", "5", "a2", "b") == b"-ERR syntax error\r\n"
    assert user.call("ZUNION", "2", "a", "b") == NOPERM_KEYS
    assert user.call("SINTERCARD", "2", "a1", "b") == NOPERM_KEYS
    assert user.call("LMPOP", "2", "a1", "b", "LEFT") == NOPERM_KEYS
    assert user.call("LMPOP", "1", "a1", "LEFT") == b"*-1\r\n"
    assert user.call("SORT", "a1", "STORE", "b") == NOPERM_KEYS
    assert user.call("SORT", "b") == NOPERM_KEYS
    assert user.call("SORT_RO", "b") == NOPERM_KEYS


def test_no_keys_for_all_keys_users(conn, server):
    assert conn.call("ACL", "SETUSER", "z", "on", "nopass", "+@all") == OK
    user = server.raw()
    assert user.call("AUTH", "z", "x") == OK
    assert user.call("GET", "any") == NOPERM_KEYS
    assert user.call("PING") == b"+PONG\r\n"
    assert user.call("DBSIZE") == b":0\r\n"
    assert conn.call("ACL", "SETUSER", "z", "allkeys") == OK
    assert user.call("GET", "any") == b"$-1\r\n"


# ==== SORT's BY and GET patterns need access to every key ====

SORT_BY_DENIED = b"-ERR BY option of SORT denied due to insufficient ACL permissions.\r\n"
SORT_GET_DENIED = b"-ERR GET option of SORT denied due to insufficient ACL permissions.\r\n"


def test_sort_patterns_need_all_keys(conn, server):
    assert conn.call("RPUSH", "klist", "3", "1", "2") == b":3\r\n"
    assert conn.call("SET", "w_1", "30") == OK
    assert conn.call("ACL", "SETUSER", "bob", "on", "nopass", "~k*", "+@all") == OK
    bob = server.raw()
    assert bob.call("AUTH", "bob", "x") == OK
    assert bob.call("SORT", "klist", "BY", "w_*") == SORT_BY_DENIED
    assert bob.call("SORT", "klist", "by", "w_*->f") == SORT_BY_DENIED
    assert bob.call("SORT", "klist", "GET", "#") == SORT_GET_DENIED
    assert bob.call("SORT", "klist", "GET", "w_*") == SORT_GET_DENIED
    assert bob.call("SORT_RO", "klist", "BY", "w_*") == SORT_BY_DENIED
    assert bob.call("SORT_RO", "klist", "GET", "#") == SORT_GET_DENIED
    # The first offending option answers; errors before it come first.
    assert bob.call("SORT", "klist", "GET", "#", "BY", "w_*") == SORT_GET_DENIED
    assert bob.call("SORT", "klist", "BY", "w_*", "GET", "#") == SORT_BY_DENIED
    assert bob.call("SORT", "klist", "BY", "w_*", "LIMIT", "0", "x") == SORT_BY_DENIED
    assert bob.call("SORT", "klist", "LIMIT", "0", "x", "BY", "w_*") == (
        b"-ERR value is not an integer or out of range\r\n")
    assert bob.call("SORT", "klist", "foo", "BY", "w_*") == b"-ERR syntax error\r\n"
    assert bob.call("SORT", "klist", "BY", "w_*", "foo") == SORT_BY_DENIED
    assert bob.call("SORT", "klist", "GET") == b"-ERR syntax error\r\n"
    # The key checks run first (dispatch), then the options.
    assert bob.call("SORT", "nokey", "BY", "w_*") == NOPERM_KEYS
    assert bob.call("SORT", "klist", "STORE", "other") == NOPERM_KEYS
    assert bob.call("SORT", "klist", "STORE", "kout", "BY", "w_*") == SORT_BY_DENIED
    # BY without '*' (before any NUL, as strchr reads it) is no pattern: allowed.
    assert bob.cmd("SORT", "klist", "BY", "nosort") == [b"3", b"1", b"2"]
    assert bob.cmd("SORT", "klist", "BY", "") == [b"3", b"1", b"2"]
    assert bob.cmd("SORT", "klist", "BY", b"w_\x00*") == [b"3", b"1", b"2"]
    assert bob.cmd("SORT", "klist") == [b"1", b"2", b"3"]
    assert bob.call("SORT", "klist", "STORE", "kout") == b":3\r\n"
    # Nothing ran: a denied SORT ... STORE writes nothing.
    assert bob.call("SORT", "klist", "BY", "w_*", "STORE", "kdenied") == SORT_BY_DENIED
    assert conn.call("EXISTS", "kdenied") == b":0\r\n"


def test_sort_patterns_with_all_keys(conn, server):
    assert conn.call("RPUSH", "klist", "3", "1", "2") == b":3\r\n"
    assert conn.call("MSET", "w_1", "30", "w_2", "20", "w_3", "10") == OK
    for rules in (("allkeys",), ("~k*", "~*"), ("~*",)):
        assert conn.call("ACL", "SETUSER", "carol", "reset", "on", "nopass", "+@all",
                         *rules) == OK
        carol = server.raw()
        assert carol.call("AUTH", "carol", "x") == OK
        assert carol.cmd("SORT", "klist", "BY", "w_*") == [b"3", b"2", b"1"]
        assert carol.cmd("SORT", "klist", "BY", "w_*", "GET", "#", "GET", "w_*") == [
            b"3", b"10", b"2", b"20", b"1", b"30"]
        assert carol.cmd("SORT_RO", "klist", "GET", "w_*") == [b"30", b"20", b"10"]
    # "~*" is not a pattern list containing "*": a glob that matches all is not enough.
    assert conn.call("ACL", "SETUSER", "carol", "reset", "on", "nopass", "+@all", "~?*",
                     "~") == OK
    carol = server.raw()
    assert carol.call("AUTH", "carol", "x") == OK
    assert carol.call("SORT", "klist", "BY", "w_*") == SORT_BY_DENIED
    # The default user has every key.
    assert conn.cmd("SORT", "klist", "BY", "w_*") == [b"3", b"2", b"1"]


# ==== ACL SETUSER ====

def test_setuser_rules_and_list(conn):
    users = {
        "s1": ["-@all", "+config|get"],
        "s2": ["+@all", "-config|set"],
        "s3": ["-@all", "+config", "-config|set"],
        "s4": ["-@all", "+@read", "-get"],
        "s5": ["+@all", "-@admin", "+config|get"],
        "s6": ["-@all", "+@admin"],
        "s7": ["+@all", "-@dangerous"],
        "s10": ["+@all", "-config"],
        "s12": ["-@all", "+@slow"],
        "s13": ["allcommands", "-get", "nocommands", "+set"],
        "s14": ["+@all", "-@read", "+@read"],
        "s15": ["on", "nopass", ">pw"],
        "s16": ["on", ">pw", "nopass"],
        "s17": ["skip-sanitize-payload"],
        "s18": [">a", ">b", ">a", "<a"],
        "s19": ["~a", "allkeys"],
        "s20": ["~a", "resetkeys", "~b"],
        "s21": ["&foo", "&bar", "~a", "~b", "~a", "nopass", "on", ">x"],
        "s22": ["reset"],
        "s23": ["ON", "AllKeys", "+@ALL", "&*", ""],
    }
    for name, rules in users.items():
        assert conn.call("ACL", "SETUSER", name, *rules) == OK, name
    listed = conn.cmd("ACL", "LIST")
    assert listed == [
        b"user default on nopass ~* &* +@all",
        b"user s1 off resetchannels -@all +config|get",
        b"user s10 off resetchannels +@all -config",
        b"user s12 off resetchannels -@all +@slow",
        b"user s13 off resetchannels -@all +set",
        b"user s14 off resetchannels +@all",
        b"user s15 on #" + sha256_hex("pw") + b" resetchannels -@all",
        b"user s16 on nopass resetchannels -@all",
        b"user s17 off skip-sanitize-payload resetchannels -@all",
        b"user s18 off #" + sha256_hex("b") + b" resetchannels -@all",
        b"user s19 off ~* resetchannels -@all",
        b"user s2 off resetchannels +@all -config|set",
        b"user s20 off ~b resetchannels -@all",
        b"user s21 on #" + sha256_hex("x") + b" ~a ~b resetchannels &foo &bar -@all",
        b"user s22 off sanitize-payload resetchannels -@all",
        b"user s23 on ~* &* +@all",
        b"user s3 off resetchannels -@all +config -config|set",
        b"user s4 off resetchannels -@all +@read -get",
        b"user s5 off resetchannels +@all -@admin +config|get",
        b"user s6 off resetchannels -@all +@admin",
        b"user s7 off resetchannels +@all -@dangerous",
    ]
    assert conn.cmd("ACL", "USERS") == [line.split()[1] for line in listed]


def test_list_with_several_commands(conn):
    # Redis orders single commands by its dictionary's hash: compare as sets.
    assert conn.call("ACL", "SETUSER", "alice", "on", ">pw", "~foo*", "+get", "+set",
                     "+ttl") == OK
    line = conn.cmd("ACL", "LIST")[0].split()
    assert line[:6] == [b"user", b"alice", b"on", b"#" + sha256_hex("pw"), b"~foo*",
                        b"resetchannels"]
    assert line[6] == b"-@all"
    assert sorted(line[7:]) == [b"+get", b"+set", b"+ttl"]


def test_getuser_shape(conn):
    assert conn.call("ACL", "SETUSER", "alice", "on", ">pw", "~foo*", "~bar", "&ch1",
                     "+get") == OK
    assert conn.call("ACL", "GETUSER", "alice") == (
        b"*12\r\n$5\r\nflags\r\n*1\r\n$2\r\non\r\n$9\r\npasswords\r\n*1\r\n" +
        bulk(sha256_hex("pw")) +
        b"$8\r\ncommands\r\n$10\r\n-@all +get\r\n$4\r\nkeys\r\n$10\r\n~foo* ~bar\r\n"
        b"$8\r\nchannels\r\n$4\r\n&ch1\r\n$9\r\nselectors\r\n*0\r\n")
    assert conn.call("ACL", "SETUSER", "bob") == OK
    assert conn.call("ACL", "GETUSER", "bob") == (
        b"*12\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$9\r\npasswords\r\n*0\r\n"
        b"$8\r\ncommands\r\n$5\r\n-@all\r\n$4\r\nkeys\r\n$0\r\n\r\n"
        b"$8\r\nchannels\r\n$0\r\n\r\n$9\r\nselectors\r\n*0\r\n")
    assert conn.cmd("ACL", "GETUSER", "s") is None


def test_password_hashes(conn, server):
    digest = hashlib.sha256(b"").hexdigest()
    assert conn.call("ACL", "SETUSER", "h", "on", ">", "+@all") == OK
    assert conn.cmd("ACL", "GETUSER", "h")[3] == [digest.encode()]
    assert server.raw().call("AUTH", "h", "") == OK
    assert conn.call("ACL", "SETUSER", "h", "!" + digest) == OK
    assert conn.cmd("ACL", "GETUSER", "h")[3] == []
    secret = hashlib.sha256(b"hashed").hexdigest()
    assert conn.call("ACL", "SETUSER", "h", "#" + secret) == OK
    assert server.raw().call("AUTH", "h", "hashed") == OK
    assert conn.call("ACL", "SETUSER", "h", "#" + secret.upper()) == setuser_error(
        "#" + secret.upper(), "The password hash must be exactly 64 characters and contain "
        "only lowercase hexadecimal characters")


def test_setuser_errors(conn):
    unknown = "Unknown command or category name in ACL"
    cases = [
        (["+nosuch"], "+nosuch", unknown),
        (["+@nosuch"], "+@nosuch", unknown),
        (["+config|nosuch"], "+config|nosuch", unknown),
        (["+|x"], "+|x", unknown),
        (["-get|foo"], "-get|foo", unknown),
        (["-config|get|x"], "-config|get|x", unknown),
        (["+config|get|x"], "+config|get|x",
         "Allowing first-arg of a subcommand is not supported"),
        (["+config|"], "+config|", "Syntax error"),
        (["bogus"], "bogus", "Syntax error"),
        (["~a b"], "~a b", "Syntax error"),
        (["&a b"], "&a b", "Syntax error"),
        (["<nopw"], "<nopw",
         "The password you are trying to remove from the user does not exist"),
        (["#abc"], "#abc", "The password hash must be exactly 64 characters and contain "
         "only lowercase hexadecimal characters"),
        (["~*", "~foo"], "~foo", "Adding a pattern after the * pattern (or the 'allkeys' "
         "flag) is not valid and does not have any effect. Try 'resetkeys' to start with an "
         "empty list of patterns"),
        (["allkeys", "~foo"], "~foo", "Adding a pattern after the * pattern (or the "
         "'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start "
         "with an empty list of patterns"),
        (["&*", "&foo"], "&foo", "Adding a pattern after the * pattern (or the 'allchannels' "
         "flag) is not valid and does not have any effect. Try 'resetchannels' to start with "
         "an empty list of channels"),
    ]
    for rules, modifier, reason in cases:
        assert conn.call("ACL", "SETUSER", "u1", *rules) == setuser_error(modifier, reason)
    assert conn.call("ACL", "SETUSER", "a b") == (
        b"-ERR Usernames can't contain spaces or null characters\r\n")
    assert conn.call("ACL", "SETUSER", "u1", "(+get") == (
        b"-ERR Unmatched parenthesis in acl selector starting at '(+get'.\r\n")
    # None of the failed commands created the user.
    assert conn.cmd("ACL", "USERS") == [b"default"]


def test_setuser_is_atomic(conn):
    assert conn.call("ACL", "SETUSER", "u", "on", ">pw", "~a", "+get") == OK
    before = conn.cmd("ACL", "GETUSER", "u")
    assert conn.call("ACL", "SETUSER", "u", "off", "resetpass", "~b", "+nosuch") == (
        setuser_error("+nosuch", "Unknown command or category name in ACL"))
    assert conn.cmd("ACL", "GETUSER", "u") == before


def test_channels_are_shown(conn):
    assert conn.call("ACL", "SETUSER", "p", "&news.*", "&alerts", "&alerts") == OK
    assert conn.cmd("ACL", "GETUSER", "p")[9] == b"&news.* &alerts"
    assert conn.call("ACL", "SETUSER", "p", "allchannels") == OK
    assert conn.cmd("ACL", "GETUSER", "p")[9] == b"&*"
    assert conn.call("ACL", "SETUSER", "p", "resetchannels") == OK
    assert conn.cmd("ACL", "LIST")[1] == b"user p off resetchannels -@all"


# ==== ACL DELUSER ====

def test_deluser_disconnects_its_clients(conn, server):
    assert conn.call("ACL", "SETUSER", "gone", "on", ">pw", "+@all", "~*") == OK
    victim = server.raw()
    assert victim.call("AUTH", "gone", "pw") == OK
    assert conn.call("ACL", "DELUSER", "gone", "nobody", "gone") == b":1\r\n"
    victim.assert_closed()
    assert conn.call("PING") == b"+PONG\r\n"
    assert conn.cmd("ACL", "USERS") == [b"default"]
    assert server.raw().call("AUTH", "gone", "pw") == WRONGPASS


def test_deluser_of_own_user_replies_then_closes(conn, server):
    assert conn.call("ACL", "SETUSER", "self", "on", ">pw", "+@all", "~*") == OK
    me = server.raw()
    assert me.call("AUTH", "self", "pw") == OK
    assert me.call("ACL", "DELUSER", "self") == b":1\r\n"
    me.assert_closed()
    assert conn.cmd("ACL", "USERS") == [b"default"]


# ==== ACL CAT, GENPASS, DRYRUN, HELP and errors ====

def test_cat(conn):
    categories = [b"keyspace", b"read", b"write", b"set", b"sortedset", b"list", b"hash",
                  b"string", b"bitmap", b"hyperloglog", b"geo", b"stream", b"pubsub", b"admin",
                  b"fast", b"slow", b"blocking", b"dangerous", b"connection", b"transaction",
                  b"scripting"]
    assert conn.cmd("ACL", "CAT") == categories
    read = conn.cmd("ACL", "CAT", "read")
    assert {b"get", b"mget", b"memory|usage", b"object|encoding", b"dbsize"} <= set(read)
    assert b"set" not in read and b"object|help" not in read
    admin = conn.cmd("ACL", "CAT", "ADMIN")
    assert {b"config|set", b"acl|setuser", b"shutdown"} <= set(admin)
    assert b"acl|whoami" not in admin
    assert conn.call("ACL", "CAT", "nosuch") == b"-ERR Unknown category 'nosuch'\r\n"
    assert conn.call("ACL", "CAT", "read", "extra") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'CAT'. Try ACL HELP.\r\n")


def test_genpass(conn):
    password = conn.cmd("ACL", "GENPASS")
    assert re.fullmatch(rb"[0-9a-f]{64}", password)
    assert conn.cmd("ACL", "GENPASS") != password
    assert re.fullmatch(rb"[0-9a-f]{2}", conn.cmd("ACL", "GENPASS", "5"))
    assert len(conn.cmd("ACL", "GENPASS", "4096")) == 1024
    assert len(conn.cmd("ACL", "GENPASS", "1")) == 1
    error = (b"-ERR ACL GENPASS argument must be the number of bits for the output password, "
             b"a positive number up to 4096\r\n")
    assert conn.call("ACL", "GENPASS", "0") == error
    assert conn.call("ACL", "GENPASS", "4097") == error
    assert conn.call("ACL", "GENPASS", "x") == b"-ERR value is not an integer or out of range\r\n"


def test_dryrun(conn):
    assert conn.call("ACL", "SETUSER", "d1", "on", "~a*", "-@all", "+get", "+config|get",
                     "+object") == OK
    assert conn.call("ACL", "DRYRUN", "d1", "get", "a1") == OK
    assert conn.call("ACL", "DRYRUN", "d1", "GET", "a1") == OK
    assert conn.call("ACL", "DRYRUN", "d1", "get", "b") == bulk(
        b"This user has no permissions to access the 'b' key")
    assert conn.call("ACL", "DRYRUN", "d1", "set", "a", "1") == bulk(
        b"This user has no permissions to run the 'set' command")
    assert conn.call("ACL", "DRYRUN", "d1", "config", "get", "x") == OK
    assert conn.call("ACL", "DRYRUN", "d1", "config", "set", "x", "y") == bulk(
        b"This user has no permissions to run the 'config|set' command")
    assert conn.call("ACL", "DRYRUN", "d1", "object", "encoding", "b") == bulk(
        b"This user has no permissions to access the 'b' key")
    assert conn.call("ACL", "DRYRUN", "d1", "auth", "x") == OK
    assert conn.call("ACL", "DRYRUN", "d1", "get") == (
        b"-ERR wrong number of arguments for 'get' command\r\n")
    assert conn.call("ACL", "DRYRUN", "d1", "config") == (
        b"-ERR wrong number of arguments for 'config' command\r\n")
    assert conn.call("ACL", "DRYRUN", "d1", "Config", "Set", "x") == (
        b"-ERR wrong number of arguments for 'config|set' command\r\n")
    assert conn.call("ACL", "DRYRUN", "d1", "config", "nosuch") == (
        b"-ERR Command 'config' not found\r\n")
    assert conn.call("ACL", "DRYRUN", "d1", "nosuch") == b"-ERR Command 'nosuch' not found\r\n"
    assert conn.call("ACL", "DRYRUN", "nobody", "get", "x") == (
        b"-ERR User 'nobody' not found\r\n")
    assert conn.call("ACL", "DRYRUN", "default", "get", "x") == OK


def test_help(conn):
    reply = conn.cmd("ACL", "HELP")
    assert len(reply) == 29
    assert reply[0] == b"ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert reply[-2:] == [b"HELP", b"    Prints this help."]
    assert b"DRYRUN <username> <command> [<arg> ...]" in reply


def test_subcommand_errors(conn):
    assert conn.call("ACL") == b"-ERR wrong number of arguments for 'acl' command\r\n"
    assert conn.call("ACL", "foo") == b"-ERR unknown subcommand 'foo'. Try ACL HELP.\r\n"
    for sub, name in (("SETUSER", "setuser"), ("GETUSER", "getuser"), ("DELUSER", "deluser")):
        assert conn.call("ACL", sub) == (
            f"-ERR wrong number of arguments for 'acl|{name}' command\r\n".encode())
    for sub in ("whoami", "list", "users", "help"):
        assert conn.call("ACL", sub, "extra") == (
            f"-ERR wrong number of arguments for 'acl|{sub}' command\r\n".encode())
    assert conn.call("ACL", "GETUSER", "default", "extra") == (
        b"-ERR wrong number of arguments for 'acl|getuser' command\r\n")
    assert conn.call("ACL", "DRYRUN", "default") == (
        b"-ERR wrong number of arguments for 'acl|dryrun' command\r\n")
    acl_file = (b"-ERR This Redis instance is not configured to use an ACL file. You may want "
                b"to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE "
                b"(assuming you have a Redis configuration file set) in order to store users in "
                b"the Redis configuration.\r\n")
    assert conn.call("ACL", "SAVE") == acl_file
    assert conn.call("ACL", "LOAD") == acl_file


# ==== keel's limits and the rules it refuses ====

@pytest.mark.keel_only
def test_user_pool_limit(server_factory):
    conn = server_factory("--acl-users-max", "3").raw()
    assert conn.call("ACL", "SETUSER", "u1") == OK
    assert conn.call("ACL", "SETUSER", "u2") == OK
    assert conn.call("ACL", "SETUSER", "u3") == (
        b"-ERR No room for another ACL user (acl-users-max is 3)\r\n")
    # Changing an existing user needs no record; a deleted user's record is reused.
    assert conn.call("ACL", "SETUSER", "u2", "on") == OK
    assert conn.call("ACL", "DELUSER", "u1") == b":1\r\n"
    assert conn.call("ACL", "SETUSER", "u3", "on", ">p") == OK
    assert conn.cmd("ACL", "USERS") == [b"default", b"u2", b"u3"]
    assert conn.cmd("CONFIG", "GET", "acl-users-max") == [b"acl-users-max", b"3"]
    assert conn.call("CONFIG", "SET", "acl-users-max", "10").startswith(
        b"-ERR CONFIG SET failed (possibly related to argument 'acl-users-max') - can't set "
        b"immutable config")


@pytest.mark.keel_only
def test_record_limits(conn):
    rules = [f">p{index}" for index in range(8)]
    assert conn.call("ACL", "SETUSER", "u", *rules) == OK
    assert conn.call("ACL", "SETUSER", "u", ">p0") == OK
    assert conn.call("ACL", "SETUSER", "u", ">p8") == setuser_error(
        ">p8", "A user can have at most 8 passwords in keel")
    assert conn.call("ACL", "SETUSER", "u", "<p3", ">p8") == OK
    assert conn.call("ACL", "SETUSER", "n" * 128) == OK
    assert conn.call("ACL", "SETUSER", "n" * 129) == (
        b"-ERR Usernames can't be longer than 128 bytes in keel\r\n")
    pattern = "~" + "k" * 1000
    assert conn.call("ACL", "SETUSER", "v", pattern, pattern + "1") == OK
    # The reply carries the modifier first: a long one is cut at 512 bytes.
    assert conn.call("ACL", "SETUSER", "v", pattern + "2").startswith(
        b"-ERR Error in ACL SETUSER modifier '~kkk")
    # 1002 + 1003 bytes are used: a 40-byte pattern fits (2047), a 50-byte one does not.
    assert conn.call("ACL", "SETUSER", "v", "~" + "k" * 40) == OK
    assert conn.call("ACL", "SETUSER", "v", "~" + "q" * 50) == setuser_error(
        "~" + "q" * 50, "No room for more key patterns (keel keeps up to 2048 bytes of them "
        "per user)")


@pytest.mark.keel_only
def test_refused_rules(conn):
    assert conn.call("ACL", "SETUSER", "u", "%R~foo") == setuser_error(
        "%R~foo", "Read/write key permissions (%R~, %W~, %RW~) are not supported by keel")
    assert conn.call("ACL", "SETUSER", "u", "%X~foo") == setuser_error("%X~foo", "Syntax error")
    assert conn.call("ACL", "SETUSER", "u", "(+get ~x)") == setuser_error(
        "(+get ~x)", "Selectors are not supported by keel")
    assert conn.call("ACL", "SETUSER", "u", "(+get", "~x)") == setuser_error(
        "(+get", "Selectors are not supported by keel")
    assert conn.call("ACL", "SETUSER", "u", "+select|0") == setuser_error(
        "+select|0", "Allowing first-arg of an otherwise blocked command is not supported by "
        "keel")
    assert conn.call("ACL", "SETUSER", "u", "clearselectors") == OK
