/*
 * test_config.c: keel's configuration against Redis 7.0's behaviour.
 *
 * The expected texts and values were taken from redis-server 7.0.15 (CONFIG
 * GET, CONFIG SET and startup errors) unless a test says keel differs on
 * purpose. Temporary config files are written under /tmp and removed.
 */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include "config.h"

#include <unistd.h>

/* ==== Helpers ==== */

static char error[CONFIG_ERROR_SIZE_MAX];

static struct config config_fresh(void) {
    struct config config;
    config_defaults(&config);
    return config;
}

/* The config after one line, which must apply. */
static struct config config_line(const char *line) {
    struct config config = config_fresh();
    bool applied = config_apply_line(&config, line, error);
    cr_assert(applied, "line '%s' failed: %s", line, error);
    cr_assert_str_empty(error);
    return config;
}

/* The line must fail with exactly `expected`, leaving the config unchanged. */
static void line_fails(const char *line, const char *expected) {
    struct config config = config_fresh();
    struct config before = config;
    bool applied = config_apply_line(&config, line, error);
    cr_assert_not(applied, "line '%s' should fail", line);
    cr_assert_str_eq(error, expected, "line '%s'", line);
    cr_assert(memcmp(&config, &before, sizeof(config)) == 0, "line '%s' changed config", line);
}

static uint32_t keyword(const char *name) {
    uint32_t index = config_keyword_find(name, (uint32_t)strlen(name));
    cr_assert_neq(index, UINT32_MAX, "keyword %s", name);
    return index;
}

/* CONFIG GET's value for `name` (a viewed one up to its first NUL, for the str asserts). */
static const char *get(const struct config *config, const char *name) {
    static char value[8 * CONFIG_VALUE_SIZE_MAX];
    memset(value, 'x', sizeof(value));
    struct slice view;
    if (config_keyword_view(config, keyword(name), &view)) {
        cr_assert_lt(view.size, sizeof(value));
        if (view.size > 0) {
            memcpy(value, view.ptr, view.size);
        }
        value[view.size] = '\0';
        return value;
    }
    config_keyword_format(config, keyword(name), value, CONFIG_VALUE_SIZE_MAX);
    return value;
}

static void line_gets(const char *line, const char *name, const char *expected) {
    struct config config = config_line(line);
    cr_assert_str_eq(get(&config, name), expected, "line '%s'", line);
}

static char temp_path[64];

static const char *temp_file(const char *contents, size_t size) {
    snprintf(temp_path, sizeof(temp_path), "/tmp/keel_test_config_XXXXXX");
    int fd = mkstemp(temp_path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, contents, size), (ssize_t)size);
    cr_assert_eq(close(fd), 0);
    return temp_path;
}

static bool load(struct config *config, int argc, char **argv, struct config_flags *flags) {
    config_defaults(config);
    return config_load(config, argc, argv, flags, error);
}

static struct config set_ok(struct config config, const char *name, const char *value) {
    struct config reserved = config_fresh();
    enum config_set_status status = config_set(&config, &reserved, keyword(name), value, error);
    cr_assert_eq(status, CONFIG_SET_OK, "set %s '%s': %s", name, value, error);
    return config;
}

static void set_fails(const char *name, const char *value, enum config_set_status expected,
                      const char *reason) {
    struct config config = config_fresh();
    struct config reserved = config_fresh();
    struct config before = config;
    enum config_set_status status = config_set(&config, &reserved, keyword(name), value, error);
    cr_assert_eq(status, expected, "set %s '%s' gave %d", name, value, (int)status);
    cr_assert_str_eq(error, reason, "set %s '%s'", name, value);
    cr_assert(memcmp(&config, &before, sizeof(config)) == 0);
}

/* ==== Defaults ==== */

Test(config, defaults) {
    struct config config = config_fresh();
    cr_assert_eq(config.port, 6379);
    cr_assert_eq(config.bind_count, 1);
    cr_assert_str_eq(config.bind[0], "127.0.0.1");
    cr_assert_eq(config.tcp_backlog, 511);
    cr_assert_eq(config.tcp_keepalive_seconds, 300);
    cr_assert_eq(config.timeout_seconds, 0);
    cr_assert(config.protected_mode);
    cr_assert_eq(config.maxmemory, GIB);
    cr_assert_eq(config.maxclients, 10000);
    cr_assert_eq(config.proto_max_bulk_len, 512 * MIB);
    cr_assert_eq(config.client_query_buffer_limit, GIB);
    cr_assert_eq(config.output_limit_normal.hard_size, 256 * MIB);
    cr_assert_eq(config.output_limit_normal.soft_size, 0);
    cr_assert_eq(config.output_limit_normal.soft_seconds, 0);
    cr_assert_eq(config.output_limit_pubsub.hard_size, 32 * MIB);
    cr_assert_eq(config.output_limit_pubsub.soft_size, 8 * MIB);
    cr_assert_eq(config.output_limit_pubsub.soft_seconds, 60);
    cr_assert_eq(config.client_input_buffer_size, 16 * KIB);
    cr_assert_eq(config.output_pool_size, 256 * MIB);
    cr_assert_eq(config.databases, 16);
    cr_assert_eq(config.maxmemory_policy, POLICY_NOEVICTION);
    cr_assert_eq(config.maxmemory_samples, 5);
    cr_assert_eq(config.hz, 10);
    cr_assert_eq(config.io_backend, IO_BACKEND_AUTO);
    cr_assert_not(config.lock_memory);
    cr_assert_eq(config.loglevel, LOG_NOTICE);
    cr_assert_str_eq(config.logfile, "");
    cr_assert_not(config.daemonize);
    cr_assert_eq(config.requirepass_size, 0);
    cr_assert_str_eq(config.dir, "./");
    cr_assert_str_eq(config.dbfilename, "dump.rdb");
    cr_assert_not(config.appendonly);
    cr_assert(config_validate(&config, error), "%s", error);
}

Test(config, defaults_as_config_get) {
    struct config config = config_fresh();
    cr_assert_str_eq(get(&config, "port"), "6379");
    cr_assert_str_eq(get(&config, "bind"), "127.0.0.1");
    cr_assert_str_eq(get(&config, "maxmemory"), "1073741824");
    cr_assert_str_eq(get(&config, "proto-max-bulk-len"), "536870912");
    cr_assert_str_eq(get(&config, "client-query-buffer-limit"), "1073741824");
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 268435456 0 0 slave 268435456 67108864 60 "
                     "pubsub 33554432 8388608 60");
    cr_assert_str_eq(get(&config, "client-input-buffer-size"), "16384");
    cr_assert_str_eq(get(&config, "output-pool-size"), "268435456");
    cr_assert_str_eq(get(&config, "protected-mode"), "yes");
    cr_assert_str_eq(get(&config, "lock-memory"), "no");
    cr_assert_str_eq(get(&config, "daemonize"), "no");
    cr_assert_str_eq(get(&config, "appendonly"), "no");
    cr_assert_str_eq(get(&config, "maxmemory-policy"), "noeviction");
    cr_assert_str_eq(get(&config, "loglevel"), "notice");
    cr_assert_str_eq(get(&config, "io-backend"), "auto");
    cr_assert_str_eq(get(&config, "save"), "");
    cr_assert_str_eq(get(&config, "requirepass"), "");
    cr_assert_str_eq(get(&config, "logfile"), "");
    cr_assert_str_eq(get(&config, "dbfilename"), "dump.rdb");
    cr_assert_str_eq(get(&config, "hz"), "10");
    cr_assert_str_eq(get(&config, "databases"), "16");
}

/* ==== Every keyword from a line ==== */

Test(config, network_keywords) {
    cr_assert_eq(config_line("port 7000").port, 7000);
    cr_assert_eq(config_line("tcp-backlog 1024").tcp_backlog, 1024);
    cr_assert_eq(config_line("tcp-keepalive 60").tcp_keepalive_seconds, 60);
    cr_assert_eq(config_line("timeout 30").timeout_seconds, 30);
    cr_assert_not(config_line("protected-mode no").protected_mode);
    cr_assert(config_line("protected-mode YES").protected_mode);
    struct config config = config_line("bind 10.0.0.1 -::1 *");
    cr_assert_eq(config.bind_count, 3);
    cr_assert_str_eq(config.bind[0], "10.0.0.1");
    cr_assert_str_eq(config.bind[1], "-::1");
    cr_assert_str_eq(config.bind[2], "*");
    cr_assert_str_eq(get(&config, "bind"), "10.0.0.1 -::1 *");
}

Test(config, size_keywords) {
    cr_assert_eq(config_line("maxmemory 100mb").maxmemory, 100 * MIB);
    cr_assert_eq(config_line("maxclients 5").maxclients, 5);
    cr_assert_eq(config_line("proto-max-bulk-len 2mb").proto_max_bulk_len, 2 * MIB);
    cr_assert_eq(config_line("client-query-buffer-limit 64mb").client_query_buffer_limit,
                 64 * MIB);
    cr_assert_eq(config_line("client-input-buffer-size 4kb").client_input_buffer_size, 4 * KIB);
    cr_assert_eq(config_line("output-pool-size 1gb").output_pool_size, GIB);
}

Test(config, maxmemory_zero_means_keel_default) {
    struct config config = config_line("maxmemory 0");
    cr_assert_eq(config.maxmemory, GIB);
    cr_assert_str_eq(get(&config, "maxmemory"), "1073741824");
}

Test(config, output_limit_keyword) {
    struct config config = config_line("client-output-buffer-limit normal 1mb 2mb 3");
    cr_assert_eq(config.output_limit_normal.hard_size, MIB);
    cr_assert_eq(config.output_limit_normal.soft_size, 2 * MIB);
    cr_assert_eq(config.output_limit_normal.soft_seconds, 3);
    config = config_line("client-output-buffer-limit PUBSUB 0 0 0 replica 1 2 3 normal 4 5 6");
    cr_assert_eq(config.output_limit_pubsub.hard_size, 0);
    cr_assert_eq(config.output_limit_normal.hard_size, 4);
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 4 5 6 slave 1 2 3 pubsub 0 0 0");
    config = config_line("client-output-buffer-limit slave 1k 2k 0");
    cr_assert_eq(config.output_limit_replica.hard_size, 1000);
    line_fails("client-output-buffer-limit normal 1 2",
               "client-output-buffer-limit: Wrong number of arguments in buffer limit "
               "configuration.");
    line_fails("client-output-buffer-limit master 1 2 3",
               "client-output-buffer-limit: Invalid client class specified in buffer limit "
               "configuration.");
    line_fails("client-output-buffer-limit normal x 2 3",
               "client-output-buffer-limit: Error in hard, soft or soft_seconds setting in "
               "buffer limit configuration.");
    line_fails("client-output-buffer-limit normal 1 2 -3",
               "client-output-buffer-limit: Error in hard, soft or soft_seconds setting in "
               "buffer limit configuration.");
    /* A bad later class leaves the earlier ones unapplied too. */
    line_fails("client-output-buffer-limit normal 1 2 3 pubsub 1 2 x",
               "client-output-buffer-limit: Error in hard, soft or soft_seconds setting in "
               "buffer limit configuration.");
}

Test(config, behaviour_keywords) {
    cr_assert_eq(config_line("databases 4").databases, 4);
    cr_assert_eq(config_line("maxmemory-samples 10").maxmemory_samples, 10);
    cr_assert_eq(config_line("hz 100").hz, 100);
    cr_assert_eq(config_line("io-backend epoll").io_backend, IO_BACKEND_EPOLL);
    cr_assert_eq(config_line("io-backend IO_URING").io_backend, IO_BACKEND_IO_URING);
    cr_assert_eq(config_line("io-backend auto").io_backend, IO_BACKEND_AUTO);
    cr_assert(config_line("lock-memory yes").lock_memory);
    cr_assert_str_eq(config_line("logfile /tmp/keel.log").logfile, "/tmp/keel.log");
    cr_assert_str_eq(config_line("dir /var/lib/keel").dir, "/var/lib/keel");
    cr_assert_str_eq(config_line("dbfilename keel.rdb").dbfilename, "keel.rdb");
    cr_assert_not(config_line("daemonize no").daemonize);
    cr_assert_not(config_line("appendonly no").appendonly);
    line_fails("daemonize yes", "daemonize: keel runs in the foreground");
    line_fails("appendonly yes",
               "appendonly: keel does not implement persistence yet (appendonly yes is refused)");
    line_fails("dbfilename a/b", "dbfilename: dbfilename can't be a path, just a filename");
}

Test(config, loglevel_names) {
    cr_assert_eq(config_line("loglevel debug").loglevel, LOG_DEBUG);
    cr_assert_eq(config_line("loglevel verbose").loglevel, LOG_VERBOSE);
    cr_assert_eq(config_line("loglevel notice").loglevel, LOG_NOTICE);
    cr_assert_eq(config_line("loglevel Warning").loglevel, LOG_WARNING);
    cr_assert_eq(config_line("loglevel nothing").loglevel, LOG_NOTHING);
    line_gets("loglevel WARNING", "loglevel", "warning");
    line_fails("loglevel loud", "loglevel: argument(s) must be one of the following: debug, "
                                "verbose, notice, warning, nothing");
}

Test(config, policy_names) {
    static const char *const names[] = {
        "noeviction",   "allkeys-lru",  "allkeys-lfu",     "allkeys-random",
        "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl",
    };
    for (uint32_t policy = 0; policy < ARRAY_COUNT(names); policy++) {
        char line[64];
        snprintf(line, sizeof(line), "maxmemory-policy %s", names[policy]);
        struct config config = config_line(line);
        cr_assert_eq((uint32_t)config.maxmemory_policy, policy);
        cr_assert_str_eq(config_policy_name(config.maxmemory_policy), names[policy]);
        cr_assert_str_eq(get(&config, "maxmemory-policy"), names[policy]);
    }
    cr_assert_eq(config_line("maxmemory-policy ALLKEYS-LRU").maxmemory_policy,
                 POLICY_ALLKEYS_LRU);
    line_fails("maxmemory-policy lru",
               "maxmemory-policy: argument(s) must be one of the following: volatile-lru, "
               "volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, "
               "allkeys-random, noeviction");
    line_fails("io-backend kqueue",
               "io-backend: argument(s) must be one of the following: auto, io_uring, epoll");
}

Test(config, requirepass_is_binary_safe) {
    struct config config = config_line("requirepass \"a\\x00b c\"");
    cr_assert_eq(config.requirepass_size, 5);
    cr_assert(memcmp(config.requirepass, "a\0b c", 5) == 0);
    config = config_line("requirepass secret");
    cr_assert_eq(config.requirepass_size, 6);
    cr_assert_str_eq(get(&config, "requirepass"), "secret");
    config = config_line("requirepass \"\"");
    cr_assert_eq(config.requirepass_size, 0);
    line_fails("requirepass", "requirepass: wrong number of arguments");
    line_fails("requirepass a b", "requirepass: wrong number of arguments");
}

Test(config, save_is_validated_then_ignored) {
    line_gets("save \"\"", "save", "");
    line_gets("save 900 1 300 10", "save", "");
    line_gets("save", "save", "");
    line_fails("save abc", "save: Invalid save parameters");
    line_fails("save 100", "save: Invalid save parameters");
    line_fails("save 0 1", "save: Invalid save parameters");
    line_fails("save 100 -1", "save: Invalid save parameters");
    line_fails("save 100 1 200", "save: Invalid save parameters");
}

/* Encoding thresholds are real settings, under both names, at and past their limits. */
Test(config, encoding_thresholds) {
    line_gets("hash-max-ziplist-entries 64", "hash-max-listpack-entries", "64");
    line_gets("hash-max-listpack-value 0", "hash-max-listpack-value", "0");
    line_gets("zset-max-ziplist-value 2147483647", "zset-max-listpack-value", "2147483647");
    line_fails("zset-max-listpack-entries 2147483648",
               "zset-max-listpack-entries: argument must be between 0 and 2147483647 inclusive");
    line_gets("list-max-ziplist-size -5", "list-max-listpack-size", "-5");
    line_gets("list-max-listpack-size -2147483648", "list-max-listpack-size", "-2147483648");
    line_fails("list-max-listpack-size -2147483649",
               "list-max-listpack-size: argument must be between -2147483648 and 2147483647 "
               "inclusive");
    line_fails("list-max-listpack-size x",
               "list-max-listpack-size: argument couldn't be parsed into an integer");
    line_gets("set-max-intset-entries 7", "set-max-intset-entries", "7");
    line_gets("set-max-listpack-entries 9", "set-max-listpack-entries", "9");
    struct config config = config_fresh();
    cr_assert_eq(config.hash_max_listpack_entries, 512);
    cr_assert_eq(config.list_max_listpack_size, -2);
    cr_assert_eq(config.zset_max_listpack_entries, 128);
}

Test(config, ignored_keywords) {
    line_gets("supervised systemd", "supervised", "no");
    line_gets("pidfile /var/run/redis_6379.pid", "pidfile", "");
    line_gets("stop-writes-on-bgsave-error no", "stop-writes-on-bgsave-error", "yes");
    line_gets("lazyfree-lazy-eviction yes", "lazyfree-lazy-eviction", "no");
    line_gets("oom-score-adj-values 0 200 800", "oom-score-adj-values", "0 200 800");
    line_gets("appendfsync always", "appendfsync", "everysec");
    line_gets("always-show-logo", "always-show-logo", "no");
    struct config config = config_line("rdbcompression yes");
    struct config fresh = config_fresh();
    cr_assert(memcmp(&config, &fresh, sizeof(config)) == 0);
}

Test(config, unknown_keywords) {
    line_fails("foo bar", "foo: unknown keyword");
    line_fails("tls-port 6380", "tls-port: unknown keyword");
    line_fails("notify-keyspace-events Ex", "notify-keyspace-events: unknown keyword");
    line_fails("include /etc/redis.conf", "include: unknown keyword");
    line_fails("\"bad\\x01name\" 1", "bad?name: unknown keyword");
}

Test(config, keywords_are_case_insensitive) {
    cr_assert_eq(config_line("PORT 7000").port, 7000);
    cr_assert_eq(config_line("MaxMemory 1GB").maxmemory, GIB);
    cr_assert_eq(config_line("Client-Output-Buffer-Limit Normal 1 2 3")
                     .output_limit_normal.soft_seconds,
                 3);
}

Test(config, wrong_number_of_arguments) {
    line_fails("port", "port: wrong number of arguments");
    line_fails("port 1 2", "port: wrong number of arguments");
    line_fails("hz 1 2", "hz: wrong number of arguments");
    line_fails("maxmemory", "maxmemory: wrong number of arguments");
    line_fails("logfile", "logfile: wrong number of arguments");
    /* Redis does not take a '#' after arguments as a comment. */
    line_fails("port 6379 # comment", "port: wrong number of arguments");
}

/* ==== Quoting (Redis's sdssplitargs) ==== */

Test(config, comments_and_blank_lines) {
    struct config config = config_fresh();
    struct config fresh = config_fresh();
    cr_assert(config_apply_line(&config, "", error));
    cr_assert(config_apply_line(&config, "   \t  ", error));
    cr_assert(config_apply_line(&config, "# port 1", error));
    cr_assert(config_apply_line(&config, "   # port 1", error));
    cr_assert(config_apply_line(&config, "\r\n", error));
    cr_assert(memcmp(&config, &fresh, sizeof(config)) == 0);
    cr_assert_eq(config_line("  port   7000  \r").port, 7000);
    cr_assert_eq(config_line("\tport\t7000").port, 7000);
}

Test(config, double_quotes) {
    struct config config = config_line("logfile \"a b\\n\\r\\t\\\"\\\\\\x41\\x7a\"");
    cr_assert_str_eq(config.logfile, "a b\n\r\t\"\\Az");
    /* An invalid \x escape is the letter x, as in Redis. */
    cr_assert_str_eq(config_line("logfile \"\\xZZ\"").logfile, "xZZ");
    cr_assert_str_eq(config_line("logfile \"\\q\"").logfile, "q");
    /* A quote inside a word starts a quoted part of the same argument. */
    cr_assert_str_eq(config_line("logfile ab\"c d\"").logfile, "abc d");
    cr_assert_str_eq(config_line("logfile \"\"").logfile, "");
    cr_assert_eq(config_line("\"port\" \"7000\"").port, 7000);
}

Test(config, single_quotes) {
    cr_assert_str_eq(config_line("logfile 'a \"b\" \\n'").logfile, "a \"b\" \\n");
    cr_assert_str_eq(config_line("logfile 'it\\'s'").logfile, "it's");
    cr_assert_str_eq(config_line("logfile ''").logfile, "");
}

Test(config, unbalanced_quotes) {
    line_fails("logfile \"abc", "logfile: Unbalanced quotes in configuration line");
    line_fails("logfile 'abc", "logfile: Unbalanced quotes in configuration line");
    line_fails("requirepass \"ab\"c", "requirepass: Unbalanced quotes in configuration line");
    line_fails("requirepass 'ab'c", "requirepass: Unbalanced quotes in configuration line");
    line_fails("logfile \"abc\\\"", "logfile: Unbalanced quotes in configuration line");
}

/* ==== Units and numbers ==== */

Test(config, size_units) {
    static const struct {
        const char *text;
        uint64_t size;
    } cases[] = {
        { "0", 0 },           { "100", 100 },          { "100b", 100 },     { "100B", 100 },
        { "1k", 1000 },       { "1K", 1000 },          { "1kb", 1024 },     { "1KB", 1024 },
        { "1Kb", 1024 },      { "1kB", 1024 },         { "1m", 1000000 },   { "1mb", MIB },
        { "5Mb", 5 * MIB },   { "1g", 1000000000 },    { "2gb", 2 * GIB },  { "2GB", 2 * GIB },
        { "010", 10 },        { "18446744073709551615", UINT64_MAX },      { "16gb", 16 * GIB },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        uint64_t size = 12345;
        cr_assert(config_parse_size(cases[index].text, &size), "%s", cases[index].text);
        cr_assert_eq(size, cases[index].size, "%s", cases[index].text);
    }
}

Test(config, size_units_invalid) {
    static const char *const cases[] = {
        "",      "k",     "kb",    "-1",       "+1",   " 1",   "1 ",    "1.5mb",
        "1tb",   "1kib",  "1bk",   "abc",      "1mbb", "0x10", "1e3",
        "18446744073709551616", "17179869184gb", "99999999999999999999999",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        uint64_t size = 12345;
        cr_assert_not(config_parse_size(cases[index], &size), "'%s'", cases[index]);
        cr_assert_eq(size, 12345);
    }
    line_fails("maxmemory 1tb", "maxmemory: argument must be a memory value");
    line_fails("maxmemory -1", "maxmemory: argument must be a memory value");
    line_fails("maxmemory 1.5mb", "maxmemory: argument must be a memory value");
    line_fails("output-pool-size lots", "output-pool-size: argument must be a memory value");
}

Test(config, integers_follow_string2ll) {
    line_fails("port abc", "port: argument couldn't be parsed into an integer");
    line_fails("port 05", "port: argument couldn't be parsed into an integer");
    line_fails("port +5", "port: argument couldn't be parsed into an integer");
    line_fails("port 1k", "port: argument couldn't be parsed into an integer");
    line_fails("port 1.5", "port: argument couldn't be parsed into an integer");
    line_fails("port 99999999999999999999", "port: argument couldn't be parsed into an integer");
    line_fails("port -1", "port: argument must be between 0 and 65535 inclusive");
    line_fails("maxclients -0", "maxclients: argument couldn't be parsed into an integer");
}

Test(config, yes_no) {
    cr_assert_not(config_line("protected-mode No").protected_mode);
    cr_assert(config_line("lock-memory yEs").lock_memory);
    line_fails("protected-mode 1", "protected-mode: argument must be 'yes' or 'no'");
    line_fails("protected-mode maybe", "protected-mode: argument must be 'yes' or 'no'");
    line_fails("daemonize maybe", "daemonize: argument must be 'yes' or 'no'");
}

/* ==== Limits: at the limit and one past it ==== */

Test(config, integer_limits) {
    cr_assert_eq(config_line("port 65535").port, 65535);
    line_fails("port 65536", "port: argument must be between 0 and 65535 inclusive");
    cr_assert_eq(config_line("maxclients 1").maxclients, 1);
    cr_assert_eq(config_line("maxclients 1000000").maxclients, CONFIG_MAXCLIENTS_MAX);
    line_fails("maxclients 0", "maxclients: argument must be between 1 and 1000000 inclusive");
    line_fails("maxclients 1000001",
               "maxclients: argument must be between 1 and 1000000 inclusive");
    cr_assert_eq(config_line("databases 1").databases, 1);
    cr_assert_eq(config_line("databases 1024").databases, CONFIG_DATABASES_MAX);
    line_fails("databases 0", "databases: argument must be between 1 and 1024 inclusive");
    line_fails("databases 1025", "databases: argument must be between 1 and 1024 inclusive");
    cr_assert_eq(config_line("timeout 2147483647").timeout_seconds, 2147483647u);
    line_fails("timeout 2147483648",
               "timeout: argument must be between 0 and 2147483647 inclusive");
    line_fails("tcp-keepalive -1",
               "tcp-keepalive: argument must be between 0 and 2147483647 inclusive");
    line_fails("tcp-backlog -1",
               "tcp-backlog: argument must be between 0 and 2147483647 inclusive");
    cr_assert_eq(config_line("maxmemory-samples 1").maxmemory_samples, 1);
    line_fails("maxmemory-samples 0",
               "maxmemory-samples: argument must be between 1 and 2147483647 inclusive");
}

/* Redis takes any hz from 0 to INT_MAX and clamps it to 1..500. */
Test(config, hz_is_clamped) {
    cr_assert_eq(config_line("hz 1").hz, 1);
    cr_assert_eq(config_line("hz 500").hz, 500);
    cr_assert_eq(config_line("hz 0").hz, 1);
    cr_assert_eq(config_line("hz 501").hz, 500);
    line_gets("hz 100000", "hz", "500");
    line_fails("hz -1", "hz: argument must be between 0 and 2147483647 inclusive");
    line_fails("hz abc", "hz: argument couldn't be parsed into an integer");
}

Test(config, size_limits) {
    cr_assert_eq(config_line("proto-max-bulk-len 1mb").proto_max_bulk_len, MIB);
    line_fails("proto-max-bulk-len 1048575",
               "proto-max-bulk-len: argument must be between 1048576 and 4294967295 inclusive");
    cr_assert_eq(config_line("proto-max-bulk-len 4294967295").proto_max_bulk_len, UINT32_MAX);
    line_fails("proto-max-bulk-len 4gb",
               "proto-max-bulk-len: argument must be between 1048576 and 4294967295 inclusive");
    cr_assert_eq(config_line("client-query-buffer-limit 1mb").client_query_buffer_limit, MIB);
    line_fails("client-query-buffer-limit 1048575",
               "client-query-buffer-limit: argument must be between 1048576 and "
               "9223372036854775807 inclusive");
    cr_assert_eq(config_line("client-input-buffer-size 1kb").client_input_buffer_size, KIB);
    cr_assert_eq(config_line("client-input-buffer-size 1mb").client_input_buffer_size, MIB);
    line_fails("client-input-buffer-size 1023",
               "client-input-buffer-size: argument must be between 1024 and 1048576 inclusive");
    line_fails("client-input-buffer-size 1048577",
               "client-input-buffer-size: argument must be between 1024 and 1048576 inclusive");
    cr_assert_eq(config_line("output-pool-size 1mb").output_pool_size, MIB);
    line_fails("output-pool-size 1048575",
               "output-pool-size: argument must be between 1048576 and 68719476736 inclusive");
    cr_assert_eq(config_line("output-pool-size 64gb").output_pool_size, 64 * GIB);
    line_fails("output-pool-size 68719476737",
               "output-pool-size: argument must be between 1048576 and 68719476736 inclusive");
    cr_assert_eq(config_line("input-pool-size 1mb").input_pool_size, MIB);
    line_fails("input-pool-size 1048575",
               "input-pool-size: argument must be between 1048576 and 68719476736 inclusive");
    cr_assert_eq(config_line("maxmemory 1099511627776").maxmemory, CONFIG_MAXMEMORY_MAX);
    line_fails("maxmemory 1099511627777",
               "maxmemory: argument must be between 0 and 1099511627776 inclusive");
}

Test(config, bind_limits) {
    struct config config = config_line("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16");
    cr_assert_eq(config.bind_count, 16);
    cr_assert_str_eq(config.bind[15], "16");
    line_fails("bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
               "bind: Too many bind addresses specified.");
    char line[128];
    char address[65];
    memset(address, 'a', 63);
    address[63] = '\0';
    snprintf(line, sizeof(line), "bind %s", address);
    cr_assert_str_eq(config_line(line).bind[0], address);
    address[63] = 'a';
    address[64] = '\0';
    snprintf(line, sizeof(line), "bind %s", address);
    line_fails(line, "bind: address must be 1 to 63 bytes");
    line_fails("bind 127.0.0.1 \"\"", "bind: address must be 1 to 63 bytes");
    /* A single "" is Redis's empty list, which config_validate refuses. */
    config = config_line("bind \"\"");
    cr_assert_eq(config.bind_count, 0);
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "bind: keel needs at least one address to listen on");
}

Test(config, string_limits) {
    char line[CONFIG_STRING_SIZE_MAX + 32];
    char value[CONFIG_STRING_SIZE_MAX + 1];
    memset(value, 'p', CONFIG_STRING_SIZE_MAX - 1);
    value[CONFIG_STRING_SIZE_MAX - 1] = '\0';
    snprintf(line, sizeof(line), "dir %s", value);
    cr_assert_str_eq(config_line(line).dir, value);
    value[CONFIG_STRING_SIZE_MAX - 1] = 'p';
    value[CONFIG_STRING_SIZE_MAX] = '\0';
    /* requirepass is kept by reference: 512 bytes are fine (it is bounded by the line). */
    snprintf(line, sizeof(line), "requirepass %s", value);
    struct config config = config_line(line);
    cr_assert_eq(config.requirepass_size, CONFIG_STRING_SIZE_MAX);
    cr_assert_str_eq(get(&config, "requirepass"), value);
    snprintf(line, sizeof(line), "dir %s", value);
    line_fails(line, "dir: argument is too long");
    line_fails("logfile \"a\\x00b\"", "logfile: argument must not contain a NUL byte");
}

Test(config, line_limits) {
    static char line[5000];
    memset(line, ' ', sizeof(line) - 1);
    line[sizeof(line) - 1] = '\0';
    memcpy(line, "port", 4);
    struct config config = config_fresh();
    cr_assert_not(config_apply_line(&config, line, error));
    cr_assert_str_eq(error, "port: line too long");
    /* 64 arguments fit (keyword included); 65 do not. */
    char many[256] = "save";
    for (uint32_t index = 0; index < 63; index++) {
        strcat(many, " 1");
    }
    line_fails(many, "save: Invalid save parameters");
    strcat(many, " 1");
    line_fails(many, "save: too many arguments");
}

/* ==== Files ==== */

Test(config, file_is_applied) {
    static const char contents[] = "# keel test\n"
                                   "\n"
                                   "port 7000\r\n"
                                   "  bind 127.0.0.1 -::1\n"
                                   "maxmemory 100mb\n"
                                   "requirepass \"pass word\"\n"
                                   "client-output-buffer-limit pubsub 64mb 16mb 90\n"
                                   "save 900 1\n"
                                   "supervised no\n"
                                   "hz 20"; /* the last line has no newline */
    const char *path = temp_file(contents, sizeof(contents) - 1);
    char *argv[] = { "keel", (char *)path };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, 2, argv, &flags);
    unlink(path);
    cr_assert(loaded, "%s", error);
    cr_assert_eq(config.port, 7000);
    cr_assert_eq(config.bind_count, 2);
    cr_assert_str_eq(config.bind[1], "-::1");
    cr_assert_eq(config.maxmemory, 100 * MIB);
    cr_assert_eq(config.requirepass_size, 9);
    cr_assert_eq(config.output_limit_pubsub.soft_seconds, 90);
    cr_assert_eq(config.hz, 20);
    cr_assert_not(flags.check_plan);
    cr_assert(config_validate(&config, error), "%s", error);
}

Test(config, file_error_names_line) {
    static const char contents[] = "port 7000\n# fine\nmaxmemory lots\n";
    const char *path = temp_file(contents, sizeof(contents) - 1);
    char *argv[] = { "keel", (char *)path };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, 2, argv, &flags);
    unlink(path);
    cr_assert_not(loaded);
    char expected[128];
    snprintf(expected, sizeof(expected), "maxmemory: argument must be a memory value (%s:3)",
             path);
    cr_assert_str_eq(error, expected);
}

Test(config, file_missing) {
    char *argv[] = { "keel", "/tmp/keel_test_config_does_not_exist.conf" };
    struct config config;
    struct config_flags flags;
    cr_assert_not(load(&config, 2, argv, &flags));
    cr_assert_str_eq(error, "/tmp/keel_test_config_does_not_exist.conf: can't open config "
                            "file: No such file or directory");
}

Test(config, file_line_too_long) {
    static char contents[5000];
    memset(contents, 'a', sizeof(contents));
    const char *path = temp_file(contents, sizeof(contents));
    char *argv[] = { "keel", (char *)path };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, 2, argv, &flags);
    unlink(path);
    cr_assert_not(loaded);
    char expected[128];
    snprintf(expected, sizeof(expected), "%s: line 1 is too long (at most 4095 bytes)", path);
    cr_assert_str_eq(error, expected);
}

Test(config, file_longest_line) {
    /* 4095 bytes and a newline: the longest line there is room for. */
    static char contents[4096 + 10];
    memset(contents, ' ', sizeof(contents));
    memcpy(contents, "port 7001", 9);
    contents[4095] = '\n';
    memcpy(contents + 4096, "hz 20\n", 6);
    const char *path = temp_file(contents, 4096 + 6);
    char *argv[] = { "keel", (char *)path };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, 2, argv, &flags);
    unlink(path);
    cr_assert(loaded, "%s", error);
    cr_assert_eq(config.port, 7001);
    cr_assert_eq(config.hz, 20);
}

/* ==== Flags ==== */

Test(config, every_keyword_as_flag) {
    char *argv[] = {
        "keel",
        "--port", "7100",
        "--bind", "127.0.0.2", "-::1",
        "--tcp-backlog", "128",
        "--tcp-keepalive", "10",
        "--timeout", "5",
        "--protected-mode", "no",
        "--maxmemory", "2gb",
        "--maxclients", "100",
        "--proto-max-bulk-len", "8mb",
        "--client-query-buffer-limit", "16mb",
        "--client-output-buffer-limit", "normal", "1mb", "0", "0", "pubsub", "2mb", "1mb", "10",
        "--client-input-buffer-size", "32kb",
        "--output-pool-size", "64mb",
        "--databases", "2",
        "--maxmemory-policy", "allkeys-lfu",
        "--maxmemory-samples", "7",
        "--hz", "50",
        "--io-backend", "epoll",
        "--lock-memory", "yes",
        "--loglevel", "debug",
        "--logfile", "/tmp/k.log",
        "--daemonize", "no",
        "--requirepass", "a b",
        "--dir", "/tmp",
        "--dbfilename", "k.rdb",
        "--appendonly", "no",
        "--save", "",
        "--rdbcompression", "no",
    };
    struct config config;
    struct config_flags flags;
    cr_assert(load(&config, (int)ARRAY_COUNT(argv), argv, &flags), "%s", error);
    cr_assert_eq(config.port, 7100);
    cr_assert_eq(config.bind_count, 2);
    cr_assert_str_eq(config.bind[0], "127.0.0.2");
    cr_assert_str_eq(config.bind[1], "-::1");
    cr_assert_eq(config.tcp_backlog, 128);
    cr_assert_eq(config.tcp_keepalive_seconds, 10);
    cr_assert_eq(config.timeout_seconds, 5);
    cr_assert_not(config.protected_mode);
    cr_assert_eq(config.maxmemory, 2 * GIB);
    cr_assert_eq(config.maxclients, 100);
    cr_assert_eq(config.proto_max_bulk_len, 8 * MIB);
    cr_assert_eq(config.client_query_buffer_limit, 16 * MIB);
    cr_assert_eq(config.output_limit_normal.hard_size, MIB);
    cr_assert_eq(config.output_limit_pubsub.soft_seconds, 10);
    cr_assert_eq(config.client_input_buffer_size, 32 * KIB);
    cr_assert_eq(config.output_pool_size, 64 * MIB);
    cr_assert_eq(config.databases, 2);
    cr_assert_eq(config.maxmemory_policy, POLICY_ALLKEYS_LFU);
    cr_assert_eq(config.maxmemory_samples, 7);
    cr_assert_eq(config.hz, 50);
    cr_assert_eq(config.io_backend, IO_BACKEND_EPOLL);
    cr_assert(config.lock_memory);
    cr_assert_eq(config.loglevel, LOG_DEBUG);
    cr_assert_str_eq(config.logfile, "/tmp/k.log");
    cr_assert_eq(config.requirepass_size, 3);
    cr_assert(memcmp(config.requirepass, "a b", 3) == 0);
    cr_assert_str_eq(config.dir, "/tmp");
    cr_assert_str_eq(config.dbfilename, "k.rdb");
    cr_assert(config_validate(&config, error), "%s", error);
}

Test(config, flags_override_file) {
    static const char contents[] = "port 7000\nmaxmemory 10mb\nhz 20\n";
    const char *path = temp_file(contents, sizeof(contents) - 1);
    char *argv[] = { "keel", (char *)path, "--port", "7001", "--maxmemory", "20mb" };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, (int)ARRAY_COUNT(argv), argv, &flags);
    unlink(path);
    cr_assert(loaded, "%s", error);
    cr_assert_eq(config.port, 7001);
    cr_assert_eq(config.maxmemory, 20 * MIB);
    cr_assert_eq(config.hz, 20);
}

Test(config, flag_forms) {
    struct config config;
    struct config_flags flags;
    /* The keyword and its value in one entry, as Redis allows. */
    char *joined[] = { "keel", "--port 6380", "--maxmemory", "5mb" };
    cr_assert(load(&config, 4, joined, &flags), "%s", error);
    cr_assert_eq(config.port, 6380);
    cr_assert_eq(config.maxmemory, 5 * MIB);
    /* --save with no value before another flag, and at the end. */
    char *save_before[] = { "keel", "--save", "--port", "6381" };
    cr_assert(load(&config, 4, save_before, &flags), "%s", error);
    cr_assert_eq(config.port, 6381);
    char *save_last[] = { "keel", "--port", "6382", "--save" };
    cr_assert(load(&config, 4, save_last, &flags), "%s", error);
    /* Arguments are taken byte for byte: no quote processing. */
    char *quoted[] = { "keel", "--requirepass", "\"x\"" };
    cr_assert(load(&config, 3, quoted, &flags), "%s", error);
    cr_assert_eq(config.requirepass_size, 3);
    char *upper[] = { "keel", "--MAXMEMORY", "1MB" };
    cr_assert(load(&config, 3, upper, &flags), "%s", error);
    cr_assert_eq(config.maxmemory, MIB);
}

Test(config, flag_errors) {
    struct config config;
    struct config_flags flags;
    char *missing[] = { "keel", "--port", "--hz", "20" };
    cr_assert_not(load(&config, 4, missing, &flags));
    cr_assert_str_eq(error, "port: wrong number of arguments");
    char *unknown[] = { "keel", "--foo", "bar" };
    cr_assert_not(load(&config, 3, unknown, &flags));
    cr_assert_str_eq(error, "foo: unknown keyword");
    char *invalid[] = { "keel", "--maxmemory", "abc" };
    cr_assert_not(load(&config, 3, invalid, &flags));
    cr_assert_str_eq(error, "maxmemory: argument must be a memory value");
    char *stray[] = { "keel", "-x" };
    cr_assert_not(load(&config, 2, stray, &flags));
    cr_assert_str_eq(error, "-x: unexpected argument (flags are --keyword value...)");
    char *standard_input[] = { "keel", "-" };
    cr_assert_not(load(&config, 2, standard_input, &flags));
    cr_assert_str_eq(error, "-: reading the configuration from stdin is not supported");
    char *bare[] = { "keel", "--" };
    cr_assert_not(load(&config, 2, bare, &flags));
    cr_assert_str_eq(error, "--: expected a keyword after --");
    char *daemon[] = { "keel", "--daemonize", "yes" };
    cr_assert_not(load(&config, 3, daemon, &flags));
    cr_assert_str_eq(error, "daemonize: keel runs in the foreground");
}

Test(config, special_flags) {
    struct config config;
    struct config_flags flags;
    char *none[] = { "keel" };
    cr_assert(load(&config, 1, none, &flags));
    cr_assert_not(flags.version || flags.help || flags.check_plan);
    char *version[] = { "keel", "-v" };
    cr_assert(load(&config, 2, version, &flags));
    cr_assert(flags.version);
    char *version_long[] = { "keel", "--port", "7000", "--version", "--foo" };
    cr_assert(load(&config, 5, version_long, &flags));
    cr_assert(flags.version);
    char *help[] = { "keel", "-h" };
    cr_assert(load(&config, 2, help, &flags));
    cr_assert(flags.help);
    char *help_long[] = { "keel", "--help" };
    cr_assert(load(&config, 2, help_long, &flags));
    cr_assert(flags.help);
    char *plan[] = { "keel", "--maxmemory", "2mb", "--check-plan", "--port", "7002" };
    cr_assert(load(&config, 6, plan, &flags), "%s", error);
    cr_assert(flags.check_plan);
    cr_assert_not(flags.version);
    cr_assert_eq(config.port, 7002);
    char *plan_argument[] = { "keel", "--check-plan", "yes" };
    cr_assert_not(load(&config, 3, plan_argument, &flags));
    cr_assert_str_eq(error, "check-plan: wrong number of arguments");
}

/* ==== Validation ==== */

Test(config, validate_cross_field_rules) {
    struct config config = config_fresh();
    cr_assert(config_validate(&config, error));
    cr_assert_str_empty(error);
    config = config_line("port 0");
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "port: keel needs a TCP port (port 0 would disable TCP)");
    config = config_fresh();
    config.maxclients = 0;
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "maxclients: argument must be between 1 and 1000000 inclusive");
    config = config_fresh();
    config.databases = 0;
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "databases: argument must be between 1 and 1024 inclusive");
    config = config_fresh();
    config.maxmemory = 0;
    cr_assert_not(config_validate(&config, error));
    config = config_fresh();
    config.output_pool_size = MIB;
    config.client_input_buffer_size = 2 * MIB;
    cr_assert_not(config_validate(&config, error));
    config = config_fresh();
    config.hz = 0;
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "hz: argument must be between 1 and 500 inclusive");
}

/* ==== CONFIG SET ==== */

Test(config, set_immutable) {
    static const char *const names[] = {
        "port", "bind", "databases", "io-backend", "lock-memory", "daemonize",
        "client-input-buffer-size", "output-pool-size", "tcp-backlog", "logfile",
        "supervised",
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(names); index++) {
        set_fails(names[index], "1", CONFIG_SET_IMMUTABLE, "can't set immutable config");
    }
    set_fails("dir", "/tmp", CONFIG_SET_PROTECTED, "can't set protected config");
    set_fails("dbfilename", "x.rdb", CONFIG_SET_PROTECTED, "can't set protected config");
}

Test(config, set_reserved_sizes_lower_only) {
    struct config reserved = config_fresh();
    struct config config = reserved;
    struct {
        const char *name;
        const char *lower;
        const char *equal;
        const char *higher;
        const char *reason;
    } cases[] = {
        { "maxmemory", "100mb", "1gb", "1073741825",
          "value exceeds the size reserved at startup (1073741824 bytes)" },
        { "maxclients", "10", "10000", "10001",
          "value exceeds the number reserved at startup (10000)" },
        { "proto-max-bulk-len", "1mb", "512mb", "513mb",
          "value exceeds the size reserved at startup (536870912 bytes)" },
        { "client-query-buffer-limit", "2mb", "1gb", "2gb",
          "value exceeds the size reserved at startup (1073741824 bytes)" },
    };
    for (uint32_t index = 0; index < ARRAY_COUNT(cases); index++) {
        uint32_t keyword_index = keyword(cases[index].name);
        cr_assert_eq(config_set(&config, &reserved, keyword_index, cases[index].lower, error),
                     CONFIG_SET_OK, "%s", error);
        cr_assert_eq(config_set(&config, &reserved, keyword_index, cases[index].equal, error),
                     CONFIG_SET_OK, "%s", error);
        struct config before = config;
        cr_assert_eq(config_set(&config, &reserved, keyword_index, cases[index].higher, error),
                     CONFIG_SET_ABOVE_RESERVED);
        cr_assert_str_eq(error, cases[index].reason);
        cr_assert(memcmp(&config, &before, sizeof(config)) == 0);
    }
}

Test(config, set_maxmemory_zero_means_reserved) {
    struct config reserved = config_line("maxmemory 200mb");
    struct config config = reserved;
    cr_assert_eq(config_set(&config, &reserved, keyword("maxmemory"), "100mb", error),
                 CONFIG_SET_OK);
    cr_assert_eq(config.maxmemory, 100 * MIB);
    cr_assert_eq(config_set(&config, &reserved, keyword("maxmemory"), "0", error), CONFIG_SET_OK);
    cr_assert_eq(config.maxmemory, 200 * MIB);
    cr_assert_str_eq(get(&config, "maxmemory"), "209715200");
}

Test(config, set_invalid_values) {
    set_fails("maxmemory", "abc", CONFIG_SET_INVALID, "argument must be a memory value");
    set_fails("maxmemory", "", CONFIG_SET_INVALID, "argument must be a memory value");
    set_fails("maxmemory", "1tb", CONFIG_SET_INVALID, "argument must be a memory value");
    set_fails("hz", "abc", CONFIG_SET_INVALID, "argument couldn't be parsed into an integer");
    set_fails("hz", "-1", CONFIG_SET_INVALID,
              "argument must be between 0 and 2147483647 inclusive");
    set_fails("maxclients", "0", CONFIG_SET_INVALID,
              "argument must be between 1 and 1000000 inclusive");
    set_fails("proto-max-bulk-len", "1000", CONFIG_SET_INVALID,
              "argument must be between 1048576 and 4294967295 inclusive");
    set_fails("protected-mode", "maybe", CONFIG_SET_INVALID, "argument must be 'yes' or 'no'");
    set_fails("maxmemory-policy", "foo", CONFIG_SET_INVALID,
              "argument(s) must be one of the following: volatile-lru, volatile-lfu, "
              "volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, "
              "noeviction");
    set_fails("appendonly", "yes", CONFIG_SET_INVALID,
              "keel does not implement persistence yet (appendonly yes is refused)");
    set_fails("appendonly", "maybe", CONFIG_SET_INVALID, "argument must be 'yes' or 'no'");
    set_fails("save", "100", CONFIG_SET_INVALID, "Invalid save parameters");
    set_fails("client-output-buffer-limit", "normal 1 2", CONFIG_SET_INVALID,
              "Wrong number of arguments in buffer limit configuration.");
    set_fails("client-output-buffer-limit", "normal  1 2 3", CONFIG_SET_INVALID,
              "Wrong number of arguments in buffer limit configuration.");
    set_fails("client-output-buffer-limit", "foo 1 2 3", CONFIG_SET_INVALID,
              "Invalid client class specified in buffer limit configuration.");
    set_fails("client-output-buffer-limit", "normal 1 2 3 pubsub x 1 1", CONFIG_SET_INVALID,
              "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
}

Test(config, set_values) {
    struct config config = config_fresh();
    config = set_ok(config, "hz", "501");
    cr_assert_eq(config.hz, 500);
    config = set_ok(config, "maxmemory-policy", "ALLKEYS-LRU");
    cr_assert_eq(config.maxmemory_policy, POLICY_ALLKEYS_LRU);
    config = set_ok(config, "requirepass", "a b");
    cr_assert_eq(config.requirepass_size, 3);
    cr_assert_str_eq(get(&config, "requirepass"), "a b");
    config = set_ok(config, "timeout", "60");
    cr_assert_eq(config.timeout_seconds, 60);
    config = set_ok(config, "loglevel", "warning");
    cr_assert_eq(config.loglevel, LOG_WARNING);
    config = set_ok(config, "save", "");
    config = set_ok(config, "save", "100 1 200 2");
    cr_assert_str_eq(get(&config, "save"), "");
    config = set_ok(config, "maxmemory", "10MB");
    cr_assert_str_eq(get(&config, "maxmemory"), "10485760");
    config = set_ok(config, "stop-writes-on-bgsave-error", "no");
    config = set_ok(config, "slave-read-only", "no");
}

Test(config, set_output_limit) {
    struct config config = config_fresh();
    config = set_ok(config, "client-output-buffer-limit", "NORMAL 1kb 2mb 3");
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 1024 2097152 3 slave 268435456 67108864 60 "
                     "pubsub 33554432 8388608 60");
    config = set_ok(config, "client-output-buffer-limit", "replica 1 2 3 pubsub 4 5 6");
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 1024 2097152 3 slave 1 2 3 pubsub 4 5 6");
    /* An empty soft_seconds reads as 0 (Redis's strtoll), and "" sets nothing. */
    config = set_ok(config, "client-output-buffer-limit", "normal 1 2 ");
    cr_assert_eq(config.output_limit_normal.soft_seconds, 0);
    config = set_ok(config, "client-output-buffer-limit", "");
    cr_assert_eq(config.output_limit_normal.hard_size, 1);
}

/* ==== The keyword table ==== */

Test(config, keyword_table) {
    uint32_t count = config_keyword_count();
    cr_assert_gt(count, 27);
    struct config config = config_fresh();
    for (uint32_t index = 0; index < count; index++) {
        const char *name = config_keyword_name(index);
        for (const char *c = name; *c != '\0'; c++) {
            cr_assert(*c == '-' || *c == '_' || (*c >= 'a' && *c <= 'z'), "%s", name);
        }
        cr_assert_eq(config_keyword_find(name, (uint32_t)strlen(name)), index, "%s", name);
        const char *alias = config_keyword_alias(index);
        if (alias != NULL) {
            cr_assert_eq(config_keyword_find(alias, (uint32_t)strlen(alias)), index);
        }
        /* requirepass (of any size) is viewed; the others fit CONFIG_VALUE_SIZE_MAX. */
        struct slice view;
        if (config_keyword_view(&config, index, &view)) {
            cr_assert_str_eq(name, "requirepass");
            continue;
        }
        char value[CONFIG_VALUE_SIZE_MAX];
        config_keyword_format(&config, index, value, sizeof(value));
        cr_assert_lt(strlen(value), sizeof(value));
    }
    cr_assert_eq(config_keyword_find("MAXMEMORY", 9), keyword("maxmemory"));
    cr_assert_eq(config_keyword_find("maxmemoryx", 9), keyword("maxmemory"));
    cr_assert_eq(config_keyword_find("maxmemor", 8), UINT32_MAX);
    cr_assert_eq(config_keyword_find("nope", 4), UINT32_MAX);
    cr_assert_eq(config_keyword_find("", 0), UINT32_MAX);
    cr_assert_eq(keyword("lua-time-limit"), keyword("busy-reply-threshold"));
    cr_assert_str_eq(config_keyword_alias(keyword("hash-max-listpack-value")),
                     "hash-max-ziplist-value");
    cr_assert_null(config_keyword_alias(keyword("port")));
}

Test(config, config_get_longest_values) {
    struct config config = config_fresh();
    char line[1200] = "bind";
    char address[64];
    memset(address, 'b', 63);
    address[63] = '\0';
    for (uint32_t index = 0; index < CONFIG_BIND_COUNT_MAX; index++) {
        strcat(line, " ");
        strcat(line, address);
    }
    cr_assert(config_apply_line(&config, line, error), "%s", error);
    cr_assert_eq(strlen(get(&config, "bind")), 16 * 63 + 15);
    cr_assert(config_apply_line(&config,
                                "client-output-buffer-limit normal 18446744073709551615 "
                                "18446744073709551615 2147483647",
                                error),
              "%s", error);
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 18446744073709551615 18446744073709551615 2147483647 "
                     "slave 268435456 67108864 60 pubsub 33554432 8388608 60");
}

/* ==== requirepass by reference (any size) ==== */

/* requirepass from a line: bounded by the line only; the longest line's password applies. */
Test(config, requirepass_startup_is_bounded_by_the_line) {
    static char line[4096];
    memcpy(line, "requirepass ", 12);
    memset(line + 12, 'q', sizeof(line) - 13);
    line[sizeof(line) - 1] = '\0'; /* 4095 bytes: the longest line */
    struct config config = config_line(line);
    cr_assert_eq(config.requirepass_size, sizeof(line) - 13);
    cr_assert_eq(config.requirepass[0], 'q');
    cr_assert_eq(config.requirepass[config.requirepass_size - 1], 'q');
    /* The value outlives the line it came from (it is copied to lasting storage). */
    memset(line, 'z', sizeof(line) - 1);
    cr_assert_eq(config.requirepass[0], 'q');
    /* A flag's entry: 4095 bytes at most, as any argument. */
    static char value[4097];
    memset(value, 'f', 4095);
    value[4095] = '\0';
    char *argv[] = { "keel", "--requirepass", value };
    struct config_flags flags;
    cr_assert(load(&config, 3, argv, &flags), "%s", error);
    cr_assert_eq(config.requirepass_size, 4095);
    cr_assert_eq(config.requirepass[4094], 'f');
    value[4095] = 'f';
    value[4096] = '\0';
    cr_assert_not(load(&config, 3, argv, &flags));
    cr_assert_str_eq(error, "requirepass: argument is too long");
}

/* CONFIG SET: no limit of its own; the config refers to the argument until it is kept. */
Test(config, set_requirepass_any_size) {
    static uint8_t password[1024 * 1024 + 1];
    static const uint32_t sizes[] = { 511, 512, 513, 4095, 4096, 16384, 16385, 1024 * 1024 };
    struct config reserved = config_fresh();
    for (uint32_t index = 0; index < ARRAY_COUNT(sizes); index++) {
        memset(password, 'a' + (int)index, sizes[index]);
        password[sizes[index] / 2] = 0; /* binary safe */
        struct config config = config_fresh();
        struct slice value = { .ptr = password, .size = sizes[index] };
        cr_assert_eq(config_set_bytes(&config, &reserved, keyword("requirepass"), value, error),
                     CONFIG_SET_OK, "%u: %s", sizes[index], error);
        cr_assert_eq(config.requirepass, password);
        cr_assert_eq(config.requirepass_size, sizes[index]);
        struct slice view;
        cr_assert(config_keyword_view(&config, keyword("requirepass"), &view));
        cr_assert_eq(view.size, sizes[index]); /* NUL bytes included, as Redis 7.0 shows it */
        cr_assert(memcmp(view.ptr, password, sizes[index]) == 0);
    }
    struct config config = config_fresh();
    cr_assert_eq(config_set_bytes(&config, &reserved, keyword("requirepass"),
                                  (struct slice){ .ptr = password, .size = 0 }, error),
                 CONFIG_SET_OK);
    cr_assert_null(config.requirepass);
    cr_assert_str_eq(get(&config, "requirepass"), "");
    struct slice view;
    cr_assert_not(config_keyword_view(&config, keyword("maxmemory"), &view));
}

/* Other values: their parser sees them whole (Redis's errors), a list is bounded by a line. */
Test(config, set_long_values) {
    static char value[8192];
    memset(value, '1', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    struct config reserved = config_fresh();
    struct config config = config_fresh();
    struct slice text = { .ptr = (const uint8_t *)value, .size = sizeof(value) - 1 };
    cr_assert_eq(config_set_bytes(&config, &reserved, keyword("maxmemory-samples"), text, error),
                 CONFIG_SET_INVALID);
    cr_assert_str_eq(error, "argument couldn't be parsed into an integer");
    cr_assert_eq(config_set_bytes(&config, &reserved, keyword("save"), text, error),
                 CONFIG_SET_INVALID);
    cr_assert_str_eq(error, "argument is too long");
    cr_assert_eq(config_set_allowed(keyword("port"), error), CONFIG_SET_IMMUTABLE);
    cr_assert_str_eq(error, "can't set immutable config");
    cr_assert_eq(config_set_allowed(keyword("dir"), error), CONFIG_SET_PROTECTED);
    cr_assert_eq(config_set_allowed(keyword("requirepass"), error), CONFIG_SET_OK);
    cr_assert_str_empty(error);
}

/* ==== A list keyword's single argument is split again (Redis 7.0's MULTI_ARG_CONFIG) ==== */

Test(config, flag_list_in_one_argument) {
    struct config config;
    struct config_flags flags;
    char *output[] = { "keel", "--client-output-buffer-limit", "normal 1000 0 0" };
    cr_assert(load(&config, 3, output, &flags), "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, 1000);
    cr_assert_eq(config.output_limit_normal.soft_size, 0);
    cr_assert_str_eq(get(&config, "client-output-buffer-limit"),
                     "normal 1000 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    char *two[] = { "keel", "--client-output-buffer-limit", "  normal 1mb 2mb 3   pubsub 4 5 6 " };
    cr_assert(load(&config, 3, two, &flags), "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, MIB);
    cr_assert_eq(config.output_limit_normal.soft_seconds, 3);
    cr_assert_eq(config.output_limit_pubsub.hard_size, 4);
    cr_assert_eq(config.output_limit_pubsub.soft_seconds, 6);
    /* Quotes inside are honoured, as sdssplitargs does. */
    char *quoted[] = { "keel", "--client-output-buffer-limit", "normal \"1000\" '0' 0" };
    cr_assert(load(&config, 3, quoted, &flags), "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, 1000);
    char *save[] = { "keel", "--save", "900 1 300 10", "--port", "7001" };
    cr_assert(load(&config, 5, save, &flags), "%s", error);
    cr_assert_eq(config.port, 7001);
    char *bind[] = { "keel", "--bind", "127.0.0.2   -::1" };
    cr_assert(load(&config, 3, bind, &flags), "%s", error);
    cr_assert_eq(config.bind_count, 2);
    cr_assert_str_eq(config.bind[0], "127.0.0.2");
    cr_assert_str_eq(config.bind[1], "-::1");
    cr_assert_str_eq(get(&config, "bind"), "127.0.0.2 -::1");
    /* The keyword and its value in one entry worked before and still does. */
    char *joined[] = { "keel", "--client-output-buffer-limit normal 2000 0 0" };
    cr_assert(load(&config, 2, joined, &flags), "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, 2000);
    /* `--save ""` and `--save` are still the empty list. */
    char *empty[] = { "keel", "--save", "", "--save" };
    cr_assert(load(&config, 4, empty, &flags), "%s", error);
}

Test(config, flag_list_in_one_argument_errors) {
    struct config config;
    struct config_flags flags;
    /* Two arguments are not split again: "normal 1000 0 0" "pubsub 1 1 1" is two values. */
    char *two[] = { "keel", "--client-output-buffer-limit", "normal 1000 0 0", "pubsub 1 1 1" };
    cr_assert_not(load(&config, 4, two, &flags));
    cr_assert_str_eq(error, "client-output-buffer-limit: Wrong number of arguments in buffer "
                            "limit configuration.");
    char *short_list[] = { "keel", "--client-output-buffer-limit", "normal 1000 0" };
    cr_assert_not(load(&config, 3, short_list, &flags));
    cr_assert_str_eq(error, "client-output-buffer-limit: Wrong number of arguments in buffer "
                            "limit configuration.");
    char *bad_save[] = { "keel", "--save", "900 x" };
    cr_assert_not(load(&config, 3, bad_save, &flags));
    cr_assert_str_eq(error, "save: Invalid save parameters");
    /* Unbalanced quotes leave no argument, as Redis's sdssplitargs returning NULL: the
     * output limits are unchanged, and bind ends up empty (refused by config_validate,
     * as Redis refuses to listen nowhere). */
    char *unbalanced[] = { "keel", "--client-output-buffer-limit", "normal \"1000 0 0" };
    cr_assert(load(&config, 3, unbalanced, &flags), "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, 256 * MIB);
    char *bind[] = { "keel", "--bind", "127.0.0.1 \"::1" };
    cr_assert(load(&config, 3, bind, &flags), "%s", error);
    cr_assert_eq(config.bind_count, 0);
    cr_assert_not(config_validate(&config, error));
    cr_assert_str_eq(error, "bind: keel needs at least one address to listen on");
    /* Only list keywords are split: other values are taken whole. */
    char *size[] = { "keel", "--maxmemory", "1 mb" };
    cr_assert_not(load(&config, 3, size, &flags));
    cr_assert_str_eq(error, "maxmemory: argument must be a memory value");
    char *password[] = { "keel", "--requirepass", "a b" };
    cr_assert(load(&config, 3, password, &flags), "%s", error);
    cr_assert_eq(config.requirepass_size, 3);
    /* At most CONFIG_ARG_COUNT_MAX (64) arguments after the split. */
    static char many[4000];
    many[0] = '\0';
    for (uint32_t index = 0; index < 65; index++) {
        strcat(many, "1 ");
    }
    char *too_many[] = { "keel", "--save", many };
    cr_assert_not(load(&config, 3, too_many, &flags));
    cr_assert_str_eq(error, "save: too many arguments");
}

Test(config, file_list_in_one_argument) {
    static const char contents[] = "client-output-buffer-limit \"normal 1000 0 0 pubsub 1 2 3\"\n"
                                   "save \"900 1 300 10\"\n"
                                   "bind \"127.0.0.2 -::1\"\n"
                                   "save \"\"\n";
    const char *path = temp_file(contents, sizeof(contents) - 1);
    char *argv[] = { "keel", (char *)path };
    struct config config;
    struct config_flags flags;
    bool loaded = load(&config, 2, argv, &flags);
    unlink(path);
    cr_assert(loaded, "%s", error);
    cr_assert_eq(config.output_limit_normal.hard_size, 1000);
    cr_assert_eq(config.output_limit_pubsub.soft_seconds, 3);
    cr_assert_eq(config.bind_count, 2);
    cr_assert_str_eq(config.bind[1], "-::1");
    /* The argument reads as a C string when split again: a NUL byte ends it. */
    config = config_line("client-output-buffer-limit \"normal 7 0 0\\x00 pubsub 1 1 1\"");
    cr_assert_eq(config.output_limit_normal.hard_size, 7);
    cr_assert_eq(config.output_limit_pubsub.hard_size, 32 * MIB);
}
